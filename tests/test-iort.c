/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the IORT parser.  Tables are built byte by byte here, so
 * each test shows exactly which field it breaks.
 */
#include "iort.h"

#include <string.h>

/* ---- little-endian table builder ---------------------------------- */

static void
put_le (GByteArray *b, guint64 v, guint size)
{
  for (guint i = 0; i < size; i++)
    {
      guint8 byte = (guint8) (v >> (8 * i));
      g_byte_array_append (b, &byte, 1);
    }
}

#define put_u8(b, v)  put_le ((b), (v), 1)
#define put_u16(b, v) put_le ((b), (v), 2)
#define put_u32(b, v) put_le ((b), (v), 4)
#define put_u64(b, v) put_le ((b), (v), 8)

static void
put_zeros (GByteArray *b, guint n)
{
  while (n-- > 0)
    put_u8 (b, 0);
}

/* Overwrites a field already written, e.g. to break one on purpose. */
static void
set_le (GByteArray *b, guint at, guint32 v, guint size)
{
  g_assert_cmpuint (at + size, <=, b->len);
  for (guint i = 0; i < size; i++)
    b->data[at + i] = (guint8) (v >> (8 * i));
}

#define set_u16(b, at, v) set_le ((b), (at), (v), 2)
#define set_u32(b, at, v) set_le ((b), (at), (v), 4)

/* Standard ACPI header + IORT node count/offset; end_table patches them. */
static GByteArray *
begin_table (void)
{
  GByteArray *b = g_byte_array_new ();

  g_byte_array_append (b, (const guint8 *) "IORT", 4);
  put_u32 (b, 0);                                   /* length, patched */
  put_u8 (b, 5);                                    /* revision (E.f) */
  put_u8 (b, 0);                                    /* checksum, patched */
  g_byte_array_append (b, (const guint8 *) "SMMUCTTESTIORT", 14);  /* OEM and table id */
  put_u32 (b, 1);                                   /* OEM revision */
  g_byte_array_append (b, (const guint8 *) "TEST", 4);
  put_u32 (b, 1);                                   /* creator revision */
  put_u32 (b, 0);                                   /* node count, patched */
  put_u32 (b, 48);                                  /* first node */
  put_u32 (b, 0);                                   /* reserved */
  g_assert_cmpuint (b->len, ==, 48);
  return b;
}

static void
end_table (GByteArray *b, guint32 node_count)
{
  guint8 sum = 0;

  set_u32 (b, 4, b->len);
  set_u32 (b, 36, node_count);
  b->data[9] = 0;
  for (guint i = 0; i < b->len; i++)
    sum = (guint8) (sum + b->data[i]);
  b->data[9] = (guint8) (0x100 - sum);
}

/* Writes a node header and returns the node offset; end_node sets the length. */
static guint32
begin_node (GByteArray *b, guint8 type, guint8 revision, guint32 identifier,
            guint32 mapping_count, guint32 mapping_offset)
{
  guint32 at = b->len;

  put_u8 (b, type);
  put_u16 (b, 0);
  put_u8 (b, revision);
  put_u32 (b, identifier);
  put_u32 (b, mapping_count);
  put_u32 (b, mapping_offset);
  return at;
}

static void
end_node (GByteArray *b, guint32 at)
{
  set_u16 (b, at + 1, (guint16) (b->len - at));
}

/* Returns where the output reference lives, for forward references. */
static guint
put_mapping (GByteArray *b, guint32 input_base, guint32 count_minus_one,
             guint32 output_base, guint32 output_ref, guint32 flags)
{
  guint ref_at;

  put_u32 (b, input_base);
  put_u32 (b, count_minus_one);
  put_u32 (b, output_base);
  ref_at = b->len;
  put_u32 (b, output_ref);
  put_u32 (b, flags);
  return ref_at;
}

/* SMMUv3 body, 68 bytes from node start (node revision 4), then mappings. */
static void
put_smmuv3_body (GByteArray *b, guint64 base, guint32 flags, guint32 model, guint32 proximity)
{
  put_u64 (b, base);
  put_u32 (b, flags);
  put_u32 (b, 0);                                   /* reserved */
  put_u64 (b, 0);                                   /* VATOS */
  put_u32 (b, model);
  for (guint32 gsiv = 0x120; gsiv < 0x124; gsiv++)  /* event, PRI, GERR, sync */
    put_u32 (b, gsiv);
  put_u32 (b, proximity);
  put_u32 (b, 0);                                   /* ID mapping index */
}

/* Root complex body, 40 bytes from node start (node revision 4). */
static void
put_root_complex_body (GByteArray *b, guint32 coherency, guint8 hints, guint8 access_flags,
                       guint32 ats, guint32 segment, guint8 address_limit)
{
  put_u32 (b, coherency);
  put_u8 (b, hints);
  put_u16 (b, 0);
  put_u8 (b, access_flags);
  put_u32 (b, ats);
  put_u32 (b, segment);
  put_u8 (b, address_limit);
  put_u16 (b, 0);                                   /* PASID capabilities */
  put_u8 (b, 0);
  put_u32 (b, 0);                                   /* flags */
}

/* ---- the realistic table -------------------------------------------- */

typedef struct {
  guint32 its, smmu_a, smmu_b, rc0, rc8, rmr;
} realistic_offsets;

/* An ITS group, two SMMUv3 (NUMA 0 and 1) each sending its own MSIs to
 * the ITS, a root complex on segment 0 split over both SMMUs (mapping
 * order B, A, A to check table-order results), one on segment 8 with
 * CANWBS behind SMMU B, and an RMR for the MSI doorbell behind SMMU B. */
static GByteArray *
build_realistic_table (realistic_offsets *o)
{
  GByteArray *b = begin_table ();

  o->its = begin_node (b, 0, 1, 0, 0, 0);
  put_u32 (b, 2);
  put_u32 (b, 0);
  put_u32 (b, 1);
  end_node (b, o->its);

  o->smmu_a = begin_node (b, 4, 4, 1, 1, 68);
  put_smmuv3_body (b, 0x16000000, 0x9, 0, 0);
  put_mapping (b, 0, 0, 0x10000, o->its, 1);
  end_node (b, o->smmu_a);

  o->smmu_b = begin_node (b, 4, 4, 2, 1, 68);
  put_smmuv3_body (b, 0x16800000, 0x8, 0, 1);
  put_mapping (b, 0, 0, 0x10001, o->its, 1);
  end_node (b, o->smmu_b);

  o->rc0 = begin_node (b, 2, 4, 3, 3, 40);
  put_root_complex_body (b, 1, 0, 0x3, 1, 0, 48);
  put_mapping (b, 0x100, 0xff, 0x20000, o->smmu_b, 0);
  put_mapping (b, 0x000, 0xff, 0x0, o->smmu_a, 0);
  put_mapping (b, 0x200, 0xff, 0x100, o->smmu_a, 0);
  end_node (b, o->rc0);

  o->rc8 = begin_node (b, 2, 4, 4, 1, 40);
  put_root_complex_body (b, 1, 0x5, 0x7, 0, 8, 44);
  put_mapping (b, 0, 0xffff, 0x10000, o->smmu_b, 0);
  end_node (b, o->rc8);

  o->rmr = begin_node (b, 6, 3, 5, 1, 28);
  put_u32 (b, 0x1);                                 /* flags: remapping permitted */
  put_u32 (b, 1);
  put_u32 (b, 48);
  put_mapping (b, 0, 0, 0x20000, o->smmu_b, 1);
  put_u64 (b, 0x8000000);
  put_u64 (b, 0x100000);
  put_u32 (b, 0);
  end_node (b, o->rmr);

  end_table (b, 6);
  return b;
}

static iort_table *
parse_ok (GByteArray *b)
{
  g_autoptr(GError) error = NULL;
  iort_table *t = iort_parse (b->data, b->len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

/* iort_node_at for offsets that must hold a node. */
static const iort_node *
node_at (const iort_table *t, guint32 offset)
{
  const iort_node *node = iort_node_at (t, offset);

  g_assert_nonnull (node);
  return node;
}

static void
assert_mapping (const iort_id_mapping *m, guint32 input_base, guint64 id_count,
                guint32 output_base, guint32 output_ref, guint32 flags)
{
  g_assert_cmphex (m->input_base, ==, input_base);
  g_assert_cmphex (m->id_count, ==, id_count);
  g_assert_cmphex (m->output_base, ==, output_base);
  g_assert_cmpuint (m->output_ref, ==, output_ref);
  g_assert_cmphex (m->flags, ==, flags);
}

static const iort_id_mapping *
mapping (const iort_node *node, guint i)
{
  g_assert_cmpuint (i, <, node->mappings->len);
  return &g_array_index (node->mappings, iort_id_mapping, i);
}

static void
test_realistic_nodes (void)
{
  realistic_offsets o;
  g_autoptr(GByteArray) b = build_realistic_table (&o);
  g_autoptr(iort_table) t = parse_ok (b);
  const iort_node *its, *a, *bb, *rc0, *rc8, *rmr;
  const iort_rmr_range *range;

  g_assert_cmpuint (t->revision, ==, 5);
  g_assert_cmpuint (t->length, ==, b->len);
  g_assert_cmpuint (t->nodes->len, ==, 6);

  its = node_at (t, o.its);
  g_assert_cmpint (its->type, ==, IORT_NODE_ITS);
  g_assert_cmpuint (its->length, ==, 28);
  g_assert_cmpuint (its->its_ids->len, ==, 2);
  g_assert_cmpuint (g_array_index (its->its_ids, guint32, 1), ==, 1);
  g_assert_cmpuint (its->mappings->len, ==, 0);

  a = node_at (t, o.smmu_a);
  bb = node_at (t, o.smmu_b);
  g_assert_cmpint (a->type, ==, IORT_NODE_SMMUV3);
  g_assert_cmpuint (a->revision, ==, 4);
  g_assert_cmpuint (a->identifier, ==, 1);
  g_assert_cmphex (a->smmu_base, ==, 0x16000000);
  g_assert_cmphex (a->smmu_flags, ==, 0x9);
  g_assert_cmpuint (a->smmu_model, ==, 0);
  g_assert_true (a->proximity_valid);
  g_assert_cmpuint (a->proximity_domain, ==, 0);
  g_assert_cmphex (bb->smmu_base, ==, 0x16800000);
  g_assert_true (bb->proximity_valid);
  g_assert_cmpuint (bb->proximity_domain, ==, 1);
  assert_mapping (mapping (a, 0), 0, 1, 0x10000, o.its, IORT_ID_MAPPING_SINGLE);
  g_assert_null (a->rmr_ranges);
  g_assert_null (a->its_ids);

  rc0 = node_at (t, o.rc0);
  g_assert_cmpint (rc0->type, ==, IORT_NODE_ROOT_COMPLEX);
  g_assert_cmpuint (rc0->pci_segment, ==, 0);
  g_assert_cmpuint (rc0->cache_coherency, ==, 1);
  g_assert_cmphex (rc0->memory_access_flags, ==, IORT_RC_MEMORY_CPM | IORT_RC_MEMORY_DACS);
  g_assert_false (rc0->canwbs);
  g_assert_cmpuint (rc0->ats_attribute, ==, 1);
  g_assert_cmpuint (rc0->memory_address_limit, ==, 48);
  g_assert_cmpuint (rc0->mappings->len, ==, 3);
  assert_mapping (mapping (rc0, 0), 0x100, 0x100, 0x20000, o.smmu_b, 0);
  assert_mapping (mapping (rc0, 2), 0x200, 0x100, 0x100, o.smmu_a, 0);

  rc8 = node_at (t, o.rc8);
  g_assert_cmpuint (rc8->pci_segment, ==, 8);
  g_assert_true (rc8->canwbs);
  g_assert_cmpuint (rc8->alloc_hints, ==, 0x5);
  g_assert_cmpuint (rc8->ats_attribute, ==, 0);
  g_assert_cmpuint (rc8->memory_address_limit, ==, 44);
  assert_mapping (mapping (rc8, 0), 0, 0x10000, 0x10000, o.smmu_b, 0);

  rmr = node_at (t, o.rmr);
  g_assert_cmpint (rmr->type, ==, IORT_NODE_RMR);
  g_assert_cmpuint (rmr->identifier, ==, 5);
  g_assert_cmphex (rmr->rmr_flags, ==, 0x1);
  g_assert_cmpuint (rmr->rmr_ranges->len, ==, 1);
  range = &g_array_index (rmr->rmr_ranges, iort_rmr_range, 0);
  g_assert_cmphex (range->base, ==, 0x8000000);
  g_assert_cmphex (range->length, ==, 0x100000);
  assert_mapping (mapping (rmr, 0), 0, 1, 0x20000, o.smmu_b, IORT_ID_MAPPING_SINGLE);

  /* Offsets that are not the start of a node. */
  g_assert_null (iort_node_at (t, 0));
  g_assert_null (iort_node_at (t, o.smmu_a + 1));
  g_assert_null (iort_node_at (t, 0xffffffff));
}

static void
assert_rid (const iort_table *t, const iort_node *rc, guint32 rid,
            const iort_node *want_smmu, guint32 want_stream_id)
{
  guint32 stream_id = 0xdeadbeef;
  const iort_node *smmu = iort_smmu_for_rid (t, rc, rid, &stream_id);

  g_assert_true (smmu == want_smmu);
  /* The stream ID is written only when an SMMU is found. */
  g_assert_cmphex (stream_id, ==, want_smmu != NULL ? want_stream_id : 0xdeadbeef);
}

static void
test_realistic_lookups (void)
{
  realistic_offsets o;
  g_autoptr(GByteArray) b = build_realistic_table (&o);
  g_autoptr(iort_table) t = parse_ok (b);
  const iort_node *a = node_at (t, o.smmu_a), *bb = node_at (t, o.smmu_b);
  const iort_node *rc0 = iort_root_complex_for_segment (t, 0);
  const iort_node *rc8 = iort_root_complex_for_segment (t, 8);
  g_autoptr(GPtrArray) smmus0 = NULL;
  g_autoptr(GPtrArray) smmus8 = NULL;

  g_assert_true (rc0 == node_at (t, o.rc0));
  g_assert_true (rc8 == node_at (t, o.rc8));
  g_assert_null (iort_root_complex_for_segment (t, 1));

  assert_rid (t, rc0, 0x0000, a, 0x0);
  assert_rid (t, rc0, 0x00ff, a, 0xff);
  assert_rid (t, rc0, 0x0150, bb, 0x20050);
  assert_rid (t, rc0, 0x0250, a, 0x150);
  assert_rid (t, rc0, 0x0300, NULL, 0);
  assert_rid (t, rc8, 0x1234, bb, 0x11234);
  assert_rid (t, rc8, 0x10000, NULL, 0);
  g_assert_true (iort_smmu_for_rid (t, rc8, 0x42, NULL) == bb);

  /* Table order and each SMMU once, although rc0 lists B first and A twice. */
  smmus0 = iort_smmus_of_root_complex (t, rc0);
  g_assert_cmpuint (smmus0->len, ==, 2);
  g_assert_true (g_ptr_array_index (smmus0, 0) == a);
  g_assert_true (g_ptr_array_index (smmus0, 1) == bb);
  smmus8 = iort_smmus_of_root_complex (t, rc8);
  g_assert_cmpuint (smmus8->len, ==, 1);
  g_assert_true (g_ptr_array_index (smmus8, 0) == bb);
}

/* Firmware may hand over an unaligned buffer or one padded past the
 * declared length (a page-sized dump); neither changes the result. */
static void
test_unaligned_and_padded (void)
{
  realistic_offsets o;
  g_autoptr(GByteArray) b = build_realistic_table (&o);
  g_autofree guint8 *shifted = g_malloc0 (b->len + 1 + 100);
  g_autoptr(iort_table) t = NULL;
  g_autoptr(GError) error = NULL;

  memcpy (shifted + 1, b->data, b->len);
  t = iort_parse (shifted + 1, b->len + 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->length, ==, b->len);
  g_assert_cmpuint (t->nodes->len, ==, 6);
  g_assert_cmphex (node_at (t, o.smmu_b)->smmu_base, ==, 0x16800000);
}

static void
test_empty_table (void)
{
  g_autoptr(GByteArray) b = begin_table ();
  g_autoptr(iort_table) t = NULL;

  set_u32 (b, 40, 0);                               /* no nodes: offset is unused */
  end_table (b, 0);
  t = parse_ok (b);
  g_assert_cmpuint (t->nodes->len, ==, 0);
  g_assert_null (iort_root_complex_for_segment (t, 0));
}

/* The names are JSON values and CLI output: fixed spellings. */
static void
test_type_names (void)
{
  static const char *const names[] = { "its", "named-component", "root-complex", "smmuv1v2",
                                       "smmuv3", "pmcg", "rmr" };

  for (guint type = 0; type < G_N_ELEMENTS (names); type++)
    g_assert_cmpstr (iort_node_type_name ((iort_node_type) type), ==, names[type]);
  g_assert_cmpstr (iort_node_type_name ((iort_node_type) 7), ==, "unknown");
  g_assert_cmpstr (iort_node_type_name ((iort_node_type) 255), ==, "unknown");
}

/* A newer node type is kept (header and mappings) rather than failing. */
static void
test_unknown_node_type (void)
{
  g_autoptr(GByteArray) b = begin_table ();
  g_autoptr(iort_table) t = NULL;
  guint32 at = begin_node (b, 7, 0, 9, 1, 24);
  const iort_node *node;

  put_u64 (b, 0);
  put_mapping (b, 0, 3, 0, 0, 0);
  end_node (b, at);
  end_table (b, 1);
  t = parse_ok (b);
  node = node_at (t, at);
  g_assert_cmpuint (node->type, ==, 7);
  g_assert_cmpuint (mapping (node, 0)->id_count, ==, 4);
}

/* Edges of ID range arithmetic, with Linux's reading of each:
 * - count-minus-one 0xffffffff is the whole 32-bit ID space (2^32 IDs);
 * - firmware that stores the count instead of count-1 makes the last ID
 *   of one range the first of the next: the next range wins;
 * - in a true overlap (the later range does not start there) the first wins. */
static void
test_id_range_edges (void)
{
  g_autoptr(GByteArray) b = begin_table ();
  g_autoptr(iort_table) t = NULL;
  guint32 a = begin_node (b, 4, 4, 0, 0, 0), bb, full, off_by_one, overlap;
  guint32 stream_id = 0;

  put_smmuv3_body (b, 0x10000000, 0, 0, 0);
  end_node (b, a);
  bb = begin_node (b, 4, 4, 1, 0, 0);
  put_smmuv3_body (b, 0x20000000, 0, 0, 0);
  end_node (b, bb);
  full = begin_node (b, 2, 4, 2, 1, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 0, 0);
  put_mapping (b, 0, 0xffffffff, 0, a, 0);
  end_node (b, full);
  off_by_one = begin_node (b, 2, 4, 3, 2, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 1, 0);
  put_mapping (b, 0x000, 0x100, 0x0, a, 0);
  put_mapping (b, 0x100, 0x0ff, 0x0, bb, 0);
  end_node (b, off_by_one);
  overlap = begin_node (b, 2, 4, 4, 2, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 2, 0);
  put_mapping (b, 0x000, 0x100, 0x0, a, 0);
  put_mapping (b, 0x080, 0x0ff, 0x0, bb, 0);
  end_node (b, overlap);
  end_table (b, 5);
  t = parse_ok (b);

  g_assert_cmphex (mapping (node_at (t, full), 0)->id_count, ==, G_GUINT64_CONSTANT (0x100000000));
  g_assert_true (iort_smmu_for_rid (t, node_at (t, full), 0xffffffff, &stream_id) == node_at (t, a));
  g_assert_cmphex (stream_id, ==, 0xffffffff);
  assert_rid (t, node_at (t, off_by_one), 0x0ff, node_at (t, a), 0xff);
  assert_rid (t, node_at (t, off_by_one), 0x100, node_at (t, bb), 0x0);
  assert_rid (t, node_at (t, overlap), 0x090, node_at (t, a), 0x90);
  assert_rid (t, node_at (t, overlap), 0x100, node_at (t, a), 0x100);
}

/* RC -> named component -> SMMUv3 resolves; chains ending at an ITS, an
 * SMMUv1/v2 or a reference to no node are dead ends.  A single mapping
 * ignores the input ID, but, as in Linux, only on root complexes and named
 * components: elsewhere (here a PMCG) it is the node's own MSI ID. */
static void
test_chains_and_dead_ends (void)
{
  g_autoptr(GByteArray) b = begin_table ();
  g_autoptr(iort_table) t = NULL;
  g_autoptr(GPtrArray) smmus = NULL;
  guint32 its, smmu1, smmu3, named, pmcg, rc, rc_single;
  const iort_node *rc_node;

  its = begin_node (b, 0, 1, 0, 0, 0);
  put_u32 (b, 0);
  end_node (b, its);
  smmu1 = begin_node (b, 3, 3, 1, 0, 0);
  put_zeros (b, 60);
  end_node (b, smmu1);
  smmu3 = begin_node (b, 4, 4, 2, 0, 0);
  put_smmuv3_body (b, 0x30000000, 0, 0, 0);
  end_node (b, smmu3);
  named = begin_node (b, 1, 4, 3, 1, 16);
  put_mapping (b, 0x10, 0xf, 0x500, smmu3, 0);
  end_node (b, named);
  pmcg = begin_node (b, 5, 2, 4, 1, 40);
  put_zeros (b, 24);
  put_mapping (b, 0, 0, 0x99, smmu3, IORT_ID_MAPPING_SINGLE);
  end_node (b, pmcg);
  rc = begin_node (b, 2, 4, 5, 5, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 0, 0);
  put_mapping (b, 0x000, 0xf, 0x10, named, 0);
  put_mapping (b, 0x100, 0xf, 0x0, its, 0);
  put_mapping (b, 0x200, 0xf, 0x0, smmu1, 0);
  put_mapping (b, 0x300, 0xf, 0x0, 0x9999, 0);      /* dangling, kept */
  put_mapping (b, 0x400, 0xf, 0x0, pmcg, 0);
  end_node (b, rc);
  rc_single = begin_node (b, 2, 4, 6, 1, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 1, 0);
  put_mapping (b, 0x500, 0, 0x77, smmu3, IORT_ID_MAPPING_SINGLE);
  end_node (b, rc_single);
  end_table (b, 7);
  t = parse_ok (b);
  rc_node = node_at (t, rc);

  assert_rid (t, rc_node, 0x003, node_at (t, smmu3), 0x503);
  assert_rid (t, rc_node, 0x101, NULL, 0);
  assert_rid (t, rc_node, 0x201, NULL, 0);
  assert_rid (t, rc_node, 0x301, NULL, 0);
  assert_rid (t, rc_node, 0x401, NULL, 0);
  assert_rid (t, node_at (t, rc_single), 0x1234, node_at (t, smmu3), 0x77);
  g_assert_cmpuint (mapping (rc_node, 3)->output_ref, ==, 0x9999);
  g_assert_null (iort_node_at (t, 0x9999));
  /* Only direct RC -> SMMUv3 mappings count for segment -> SMMU. */
  smmus = iort_smmus_of_root_complex (t, rc_node);
  g_assert_cmpuint (smmus->len, ==, 0);
}

/* Two named components that map to each other (and an RC that enters the
 * loop) parse fine, but following a RID stops after a bounded number of hops. */
static void
test_mapping_loop (void)
{
  g_autoptr(GByteArray) b = begin_table ();
  g_autoptr(iort_table) t = NULL;
  g_autoptr(GError) error = NULL;
  guint32 named_a, named_b, rc, ref_a_to_b;
  g_autofree char *where = NULL;
  guint32 stream_id = 0xdeadbeef;

  named_a = begin_node (b, 1, 4, 0, 1, 16);
  ref_a_to_b = put_mapping (b, 0, 0xffff, 0, 0, 0);
  end_node (b, named_a);
  named_b = begin_node (b, 1, 4, 1, 1, 16);
  put_mapping (b, 0, 0xffff, 0, named_a, 0);
  end_node (b, named_b);
  set_u32 (b, ref_a_to_b, named_b);
  rc = begin_node (b, 2, 4, 2, 2, 40);
  put_root_complex_body (b, 1, 0, 0, 0, 0, 0);
  put_mapping (b, 0, 0xff, 0, named_a, 0);
  put_mapping (b, 0x100, 0xff, 0, rc, 0);           /* maps to itself */
  end_node (b, rc);
  end_table (b, 3);
  t = parse_ok (b);

  g_assert_null (iort_smmu_for_rid (t, node_at (t, rc), 0x42, &stream_id));
  g_assert_cmphex (stream_id, ==, 0xdeadbeef);
  g_assert_null (iort_smmu_for_rid_checked (t, node_at (t, rc), 0x42, NULL, &error));
  g_assert_error (error, IORT_ERROR, IORT_ERROR_LOOP);
  where = g_strdup_printf ("byte 0x%x", rc);
  g_assert_nonnull (strstr (error->message, where));
  g_clear_error (&error);

  g_assert_null (iort_smmu_for_rid_checked (t, node_at (t, rc), 0x142, NULL, &error));
  g_assert_error (error, IORT_ERROR, IORT_ERROR_LOOP);
  g_clear_error (&error);

  /* A plain dead end is not a loop. */
  g_assert_null (iort_smmu_for_rid_checked (t, node_at (t, rc), 0x242, NULL, &error));
  g_assert_no_error (error);
}

/* ---- malformed tables ----------------------------------------------- */

static void
assert_parse_error (const guint8 *data, gsize len, iort_error_code code, guint32 offset)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(iort_table) t = iort_parse (data, len, &error);
  g_autofree char *where = g_strdup_printf ("0x%x", offset);

  g_assert_null (t);
  g_assert_error (error, IORT_ERROR, (gint) code);
  if (strstr (error->message, where) == NULL)
    g_error ("message \"%s\" does not name %s", error->message, where);
  g_assert_true (g_str_has_prefix (error->message, "IORT: "));
  g_assert_false (g_str_has_suffix (error->message, "."));
  g_test_message ("%s", error->message);
}

static void
test_error_truncated_header (void)
{
  g_autoptr(GByteArray) b = begin_table ();

  assert_parse_error (b->data, 20, IORT_ERROR_TRUNCATED, 20);
  assert_parse_error (NULL, 0, IORT_ERROR_TRUNCATED, 0);
}

static void
test_error_length_beyond_buffer (void)
{
  realistic_offsets o;
  g_autoptr(GByteArray) b = build_realistic_table (&o);
  g_autoptr(GError) error = NULL;
  g_autoptr(iort_table) t = iort_parse (b->data, b->len - 1, &error);
  g_autofree char *header_says = g_strdup_printf ("%u bytes", b->len);
  g_autofree char *buffer_has = g_strdup_printf ("%u bytes", b->len - 1);

  g_assert_null (t);
  g_assert_error (error, IORT_ERROR, IORT_ERROR_TRUNCATED);
  g_assert_nonnull (strstr (error->message, header_says));
  g_assert_nonnull (strstr (error->message, buffer_has));
  g_assert_nonnull (strstr (error->message, "byte 0x4"));
}

/* One field of the realistic table overwritten, and the error it must
 * give.  The message must name `named`, or the broken node's offset. */
#define IN_HEADER G_MAXSIZE
#define NAMES_NODE G_MAXUINT32
#define NAMES_TABLE_END (G_MAXUINT32 - 1)

typedef struct {
  const char *name;
  gsize node;               /* offsetof in realistic_offsets, or IN_HEADER */
  guint field, size;        /* byte offset in the node (or table) and width */
  guint32 value;
  iort_error_code code;
  guint32 named;
} corruption;

static const corruption corruptions[] = {
  { "bad-signature", IN_HEADER, 0, 4, 0x01445344 /* "DSD\x01" */, IORT_ERROR_BAD_SIGNATURE, 0 },
  { "length-shorter-than-header", IN_HEADER, 4, 4, 40, IORT_ERROR_TRUNCATED, 4 },
  { "first-node-past-end", IN_HEADER, 40, 4, 0x1000, IORT_ERROR_BAD_OFFSET, 0x1000 },
  { "first-node-in-header", IN_HEADER, 40, 4, 8, IORT_ERROR_BAD_OFFSET, 8 },
  { "node-count-past-end", IN_HEADER, 36, 4, 7, IORT_ERROR_TRUNCATED, NAMES_TABLE_END },
  { "node-count-absurd", IN_HEADER, 36, 4, 0xffffffff, IORT_ERROR_TRUNCATED, NAMES_TABLE_END },
  /* length 0 would make the node follow itself forever */
  { "zero-length-node", G_STRUCT_OFFSET (realistic_offsets, smmu_b), 1, 2, 0, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "node-shorter-than-header", G_STRUCT_OFFSET (realistic_offsets, smmu_b), 1, 2, 8, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "node-past-table-end", G_STRUCT_OFFSET (realistic_offsets, rmr), 1, 2, 0xffff, IORT_ERROR_TRUNCATED, NAMES_NODE },
  /* 56 bytes: ends before the proximity domain at 60 */
  { "smmuv3-too-short", G_STRUCT_OFFSET (realistic_offsets, smmu_a), 1, 2, 56, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "root-complex-too-short", G_STRUCT_OFFSET (realistic_offsets, rc8), 1, 2, 32, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  /* 3 mappings of 20 bytes from 60 end at 120, past the node's 100 */
  { "mapping-array-past-node-end", G_STRUCT_OFFSET (realistic_offsets, rc0), 12, 4, 60, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "mapping-array-in-node-header", G_STRUCT_OFFSET (realistic_offsets, rc0), 12, 4, 0, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "mapping-array-offset-wraps", G_STRUCT_OFFSET (realistic_offsets, rc0), 12, 4, 0xfffffff0, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  /* count x 20 is 4 in 32-bit arithmetic */
  { "mapping-count-wraps", G_STRUCT_OFFSET (realistic_offsets, rc8), 8, 4, 0x0ccccccd, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "mapping-count-huge", G_STRUCT_OFFSET (realistic_offsets, rc8), 8, 4, 0xffffffff, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "its-count-wraps", G_STRUCT_OFFSET (realistic_offsets, its), 16, 4, 0x40000000, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "rmr-ranges-past-node-end", G_STRUCT_OFFSET (realistic_offsets, rmr), 24, 4, 60, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
  { "rmr-range-count-huge", G_STRUCT_OFFSET (realistic_offsets, rmr), 20, 4, 0xffffffff, IORT_ERROR_BAD_OFFSET, NAMES_NODE },
};

static void
test_corruption (gconstpointer data)
{
  const corruption *c = data;
  realistic_offsets o;
  g_autoptr(GByteArray) b = build_realistic_table (&o);
  guint32 node_at = c->node == IN_HEADER ? 0 : G_STRUCT_MEMBER (guint32, &o, c->node);
  guint32 named = c->named;

  set_le (b, node_at + c->field, c->value, c->size);
  if (named == NAMES_NODE)
    named = node_at;
  else if (named == NAMES_TABLE_END)
    named = b->len;
  assert_parse_error (b->data, b->len, c->code, named);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/iort/realistic/nodes", test_realistic_nodes);
  g_test_add_func ("/iort/realistic/lookups", test_realistic_lookups);
  g_test_add_func ("/iort/unaligned-and-padded", test_unaligned_and_padded);
  g_test_add_func ("/iort/empty-table", test_empty_table);
  g_test_add_func ("/iort/type-names", test_type_names);
  g_test_add_func ("/iort/unknown-node-type", test_unknown_node_type);
  g_test_add_func ("/iort/id-range-edges", test_id_range_edges);
  g_test_add_func ("/iort/chains-and-dead-ends", test_chains_and_dead_ends);
  g_test_add_func ("/iort/mapping-loop", test_mapping_loop);
  g_test_add_func ("/iort/error/truncated-header", test_error_truncated_header);
  g_test_add_func ("/iort/error/length-beyond-buffer", test_error_length_beyond_buffer);
  for (guint i = 0; i < G_N_ELEMENTS (corruptions); i++)
    {
      g_autofree char *path = g_strdup_printf ("/iort/error/%s", corruptions[i].name);
      g_test_add_data_func (path, &corruptions[i], test_corruption);
    }

  return g_test_run ();
}
