/* SMMUv3 ID register (IDR0..5) decoding: one table of fields (SPEC §2). */
#pragma once
#include <glib.h>

typedef enum {
  IDR_S2P, IDR_S1P, IDR_TTF, IDR_COHACC, IDR_BTM, IDR_HTTU, IDR_ATS,
  IDR_ASID16, IDR_PRI, IDR_VMID16, IDR_TTENDIAN, IDR_ST_LEVEL,
  IDR_SIDSIZE, IDR_SSIDSIZE,
  IDR_FWB, IDR_RIL, IDR_BBML,
  IDR_OAS, IDR_GRAN4K, IDR_GRAN16K, IDR_GRAN64K,
  IDR_N_FIELDS
} idr_field;

typedef struct {
  idr_field field;
  const char *name;     /* JSON key and display name, lower case: "s1p", "oas" */
  guint reg;            /* IDR number 0..5 */
  guint lsb, width;
  const char *meaning;  /* one line for humans */
} idr_field_info;

const idr_field_info *idr_field_table (gsize *n_fields);
guint32 idr_get (const guint32 idr[6], idr_field field);

/* IDR5.OAS field → output address size in bits; 0 for reserved encodings.
 * (Not 32 + 4*field: 3 is 42 bits.) */
guint idr_oas_bits (guint32 oas_field);
/* Inverse: bits → field, -1 when not an SMMUv3 OAS size. */
int idr_oas_field_for_bits (guint bits);
