/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ACPI IORT (IO Remapping Table) parser.
 *
 * The table comes from firmware or from a user-supplied file, so it is
 * untrusted: every offset and length is bounds-checked, and the parser
 * never reads the buffer through struct casts (it may be unaligned).
 * The parser never prints; errors come back as GError in IORT_ERROR.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values are the node type byte of the IORT specification.  A node of a
 * type newer than this list is kept with its raw value; its name is
 * "unknown" and only its header and ID mappings are decoded. */
typedef enum {
  IORT_NODE_ITS = 0,
  IORT_NODE_NAMED = 1,
  IORT_NODE_ROOT_COMPLEX = 2,
  IORT_NODE_SMMUV1V2 = 3,
  IORT_NODE_SMMUV3 = 4,
  IORT_NODE_PMCG = 5,
  IORT_NODE_RMR = 6,
} iort_node_type;

typedef struct {
  guint32 input_base;
  /* Number of IDs, i.e. the table's "count minus one" field + 1.  guint64
   * because the field may be 0xffffffff (the whole 32-bit ID space), and
   * 2^32 does not fit in a guint32 without losing the last ID. */
  guint64 id_count;
  guint32 output_base;
  guint32 output_ref;       /* byte offset of the target node in the table */
  guint32 flags;            /* bit 0: single mapping (input ignored) */
} iort_id_mapping;

#define IORT_ID_MAPPING_SINGLE (1u << 0)

typedef struct {
  guint64 base, length;
} iort_rmr_range;

/* SMMUv3 node flags */
#define IORT_SMMUV3_COHACC_OVERRIDE  (1u << 0)
#define IORT_SMMUV3_PROXIMITY_VALID  (1u << 3)

/* Root complex memory access flags */
#define IORT_RC_MEMORY_CPM     (1u << 0)
#define IORT_RC_MEMORY_DACS    (1u << 1)
#define IORT_RC_MEMORY_CANWBS  (1u << 2)

typedef struct iort_node {
  guint32 offset;           /* byte offset in the table */
  iort_node_type type;
  guint16 length;
  guint8 revision;
  guint32 identifier;
  GArray *mappings;         /* iort_id_mapping, never NULL */

  /* SMMUv3 */
  guint64 smmu_base;
  guint32 smmu_flags, smmu_model, proximity_domain;
  gboolean proximity_valid;

  /* root complex */
  guint32 cache_coherency;
  guint8 alloc_hints, memory_access_flags;
  gboolean canwbs;
  guint32 ats_attribute, pci_segment;
  guint8 memory_address_limit;

  /* RMR */
  guint32 rmr_flags;
  GArray *rmr_ranges;       /* iort_rmr_range, NULL unless an RMR node */

  /* ITS group */
  GArray *its_ids;          /* guint32, NULL unless an ITS group node */
} iort_node;

typedef struct {
  guint8 revision;
  guint32 length;           /* bytes parsed: min(header length, buffer) */
  GPtrArray *nodes;         /* iort_node*, owned, in table (offset) order */
} iort_table;

#define IORT_ERROR (iort_error_quark ())
GQuark iort_error_quark (void);

typedef enum {
  IORT_ERROR_TRUNCATED,     /* the data ends before what the table announces */
  IORT_ERROR_BAD_SIGNATURE, /* not an IORT */
  IORT_ERROR_BAD_OFFSET,    /* an offset or length points outside its container */
  IORT_ERROR_LOOP,          /* an ID mapping chain does not end */
} iort_error_code;

/* Longest chain of ID mappings followed before giving up: real tables
 * need 1 (RC -> SMMU) or 2 (RC -> SMMU -> ITS) hops. */
#define IORT_MAX_MAPPING_HOPS 16

iort_table *iort_parse (const guint8 *data, gsize len, GError **error);
void iort_table_free (iort_table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (iort_table, iort_table_free)

/* The node starting at that byte offset, or NULL (also for dangling
 * output references). */
const iort_node *iort_node_at (const iort_table *t, guint32 offset);

/* Follow @rid of @rc (a root complex or named component) through ID
 * mappings, possibly via several nodes, to the SMMUv3 node that
 * translates it.  Returns NULL when the chain ends elsewhere (ITS,
 * SMMUv1/v2, no matching mapping, dangling reference) or loops.
 * *stream_id_out is written only when a node is returned. */
const iort_node *iort_smmu_for_rid (const iort_table *t, const iort_node *rc,
                                    guint32 rid, guint32 *stream_id_out);

/* Same, but tells a loop (IORT_ERROR_LOOP, naming the node where the hop
 * budget ran out) apart from a plain dead end (NULL, no error). */
const iort_node *iort_smmu_for_rid_checked (const iort_table *t, const iort_node *rc,
                                            guint32 rid, guint32 *stream_id_out,
                                            GError **error);

/* All SMMUv3 nodes that any ID mapping of @rc points at directly, each
 * once, in table order.  Borrowed pointers: free the array only. */
GPtrArray *iort_smmus_of_root_complex (const iort_table *t, const iort_node *rc);

/* The first root complex node whose PCI segment is @segment, or NULL. */
const iort_node *iort_root_complex_for_segment (const iort_table *t, guint32 segment);

/* "its", "named-component", "root-complex", "smmuv1v2", "smmuv3", "pmcg",
 * "rmr", or "unknown". */
const char *iort_node_type_name (iort_node_type type);

G_END_DECLS
