#include "idr.h"

/* Bit positions from the SMMUv3 architecture (Arm IHI 0070) as used by
 * Linux drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.h. */
static const idr_field_info fields[IDR_N_FIELDS] = {
  { IDR_S2P, "s2p", 0, 0, 1, "stage-2 translation" },
  { IDR_S1P, "s1p", 0, 1, 1, "stage-1 translation" },
  { IDR_TTF, "ttf", 0, 2, 2, "translation table formats (2 = AArch64)" },
  { IDR_COHACC, "cohacc", 0, 4, 1, "coherent access to tables and queues" },
  { IDR_BTM, "btm", 0, 5, 1, "broadcast TLB maintenance" },
  { IDR_HTTU, "httu", 0, 6, 2, "hardware table update (1 access flag, 2 + dirty)" },
  { IDR_ATS, "ats", 0, 10, 1, "PCIe ATS" },
  { IDR_ASID16, "asid16", 0, 12, 1, "16-bit ASIDs" },
  { IDR_PRI, "pri", 0, 16, 1, "PCIe PRI" },
  { IDR_VMID16, "vmid16", 0, 18, 1, "16-bit VMIDs" },
  { IDR_TTENDIAN, "ttendian", 0, 21, 2, "translation table endianness (0 mixed, 2 little, 3 big)" },
  { IDR_ST_LEVEL, "st_level", 0, 27, 2, "stream table levels (1 = 2-level)" },
  { IDR_SIDSIZE, "sidsize", 1, 0, 6, "StreamID bits" },
  { IDR_SSIDSIZE, "ssidsize", 1, 6, 5, "SubstreamID (PASID) bits" },
  { IDR_FWB, "fwb", 3, 8, 1, "stage-2 forced write-back" },
  { IDR_RIL, "ril", 3, 10, 1, "range invalidation" },
  { IDR_BBML, "bbml", 3, 11, 2, "break-before-make level" },
  { IDR_OAS, "oas", 5, 0, 3, "output address size (encoded)" },
  { IDR_GRAN4K, "gran4k", 5, 4, 1, "4 KiB pages" },
  { IDR_GRAN16K, "gran16k", 5, 5, 1, "16 KiB pages" },
  { IDR_GRAN64K, "gran64k", 5, 6, 1, "64 KiB pages" },
};

static const guint oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

const idr_field_info *
idr_field_table (gsize *n_fields)
{
  *n_fields = G_N_ELEMENTS (fields);
  return fields;
}

guint32
idr_get (const guint32 idr[6], idr_field field)
{
  const idr_field_info *f = &fields[field];
  return (idr[f->reg] >> f->lsb) & ((1u << f->width) - 1u);
}

guint
idr_oas_bits (guint32 oas_field)
{
  return oas_field < G_N_ELEMENTS (oas_bits) ? oas_bits[oas_field] : 0;
}

int
idr_oas_field_for_bits (guint bits)
{
  for (gsize i = 0; i < G_N_ELEMENTS (oas_bits); i++)
    if (oas_bits[i] == bits)
      return (int) i;
  return -1;
}
