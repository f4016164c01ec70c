/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ACPI IORT parser.  Layout: SPEC.md section 2 and Arm DEN 0049.
 *
 * The buffer is untrusted (a file given with --iort, or a snapshot): all
 * reads go through the little-endian readers below after an explicit
 * bounds check against the node length, and every node lies inside
 * min(header length, buffer length).  Error messages name the node by
 * its 0-based position and its byte offset, the way `iasl -d` output and
 * output references locate nodes.
 */
#include "iort.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (iort-error-quark, iort_error)

#define IORT_TABLE_HEADER_SIZE    48u
#define IORT_NODE_HEADER_SIZE     16u
#define IORT_ID_MAPPING_SIZE      20u
#define IORT_RMR_RANGE_SIZE       20u
#define IORT_ITS_ID_SIZE          4u

/* Byte offsets of table header fields that error messages point at. */
#define IORT_HDR_LENGTH_AT        4u
#define IORT_HDR_NODE_COUNT_AT    36u
#define IORT_HDR_FIRST_NODE_AT    40u

/* Explicit little-endian assembly: the buffer may be unaligned, and the
 * casts before each shift keep UBSan quiet about int promotion. */
static guint16
read_le16 (const guint8 *p)
{
  return (guint16) ((guint16) p[0] | (guint16) ((guint16) p[1] << 8));
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
read_le64 (const guint8 *p)
{
  return (guint64) read_le32 (p) | ((guint64) read_le32 (p + 4) << 32);
}

/* Where the parser is; carried so that every error can say "where". */
typedef struct {
  const guint8 *table;
  guint index;              /* 0-based position in the node list */
  guint32 offset;           /* byte offset of the node in the table */
  guint16 length;           /* node length, already checked to fit the table */
} node_cursor;

static gboolean node_fail (GError **error, iort_error_code code, const node_cursor *c,
                           const char *format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
node_fail (GError **error, iort_error_code code, const node_cursor *c, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, IORT_ERROR, (gint) code, "IORT: node %u at byte 0x%x: %s", c->index, c->offset, what);
  return FALSE;
}

static const guint8 *
node_bytes (const node_cursor *c)
{
  return c->table + c->offset;
}

/* An array of @count elements of @element_size bytes at @array_offset
 * (relative to the node) must lie inside the node and not overlap its
 * header.  Checked in 64 bits before anything is allocated, so an absurd
 * count is rejected instead of becoming a giant g_array_set_size(). */
static gboolean
check_array_in_node (const node_cursor *c, const char *what, guint32 count, guint32 array_offset,
                     guint32 element_size, GError **error)
{
  guint64 end = (guint64) array_offset + (guint64) count * element_size;

  if (count == 0)
    return TRUE;            /* firmware often leaves the offset 0 for empty arrays */
  if (array_offset < IORT_NODE_HEADER_SIZE)
    return node_fail (error, IORT_ERROR_BAD_OFFSET, c,
                      "%s array (count %u) at node offset 0x%x overlaps the %u-byte node header",
                      what, count, array_offset, IORT_NODE_HEADER_SIZE);
  if (end > c->length)
    return node_fail (error, IORT_ERROR_BAD_OFFSET, c,
                      "%s array (count %u, %u bytes each) at node offset 0x%x runs past the node end (length %u)",
                      what, count, element_size, array_offset, c->length);
  return TRUE;
}

static gboolean
decode_its_group (const node_cursor *c, iort_node *node, GError **error)
{
  const guint8 *n = node_bytes (c);
  guint32 count = read_le32 (n + 16);

  if (!check_array_in_node (c, "ITS identifier", count, 20, IORT_ITS_ID_SIZE, error))
    return FALSE;
  node->its_ids = g_array_sized_new (FALSE, FALSE, sizeof (guint32), count);
  for (guint32 i = 0; i < count; i++)
    {
      guint32 its_id = read_le32 (n + 20 + (gsize) i * IORT_ITS_ID_SIZE);
      g_array_append_val (node->its_ids, its_id);
    }
  return TRUE;
}

static gboolean
decode_smmuv3 (const node_cursor *c, iort_node *node, GError **error)
{
  const guint8 *n = node_bytes (c);

  (void) error;
  node->smmu_base = read_le64 (n + 16);
  node->smmu_flags = read_le32 (n + 24);
  node->smmu_model = read_le32 (n + 40);
  node->proximity_domain = read_le32 (n + 60);
  node->proximity_valid = (node->smmu_flags & IORT_SMMUV3_PROXIMITY_VALID) != 0;
  return TRUE;
}

static gboolean
decode_root_complex (const node_cursor *c, iort_node *node, GError **error)
{
  const guint8 *n = node_bytes (c);

  (void) error;
  /* Memory access properties u64@16: coherency u32, hints u8, reserved
   * u16, flags u8.  CANWBS (bit 2) tells whether the guest may use
   * cacheable stage-1 walks on a nested SMMU without FWB. */
  node->cache_coherency = read_le32 (n + 16);
  node->alloc_hints = n[20];
  node->memory_access_flags = n[23];
  node->canwbs = (node->memory_access_flags & IORT_RC_MEMORY_CANWBS) != 0;
  node->ats_attribute = read_le32 (n + 24);
  node->pci_segment = read_le32 (n + 28);
  node->memory_address_limit = n[32];
  return TRUE;
}

static gboolean
decode_rmr (const node_cursor *c, iort_node *node, GError **error)
{
  const guint8 *n = node_bytes (c);
  guint32 count = read_le32 (n + 20);
  guint32 ranges_at = read_le32 (n + 24);

  node->rmr_flags = read_le32 (n + 16);
  if (!check_array_in_node (c, "RMR memory range", count, ranges_at, IORT_RMR_RANGE_SIZE, error))
    return FALSE;
  node->rmr_ranges = g_array_sized_new (FALSE, FALSE, sizeof (iort_rmr_range), count);
  for (guint32 i = 0; i < count; i++)
    {
      const guint8 *r = n + ranges_at + (gsize) i * IORT_RMR_RANGE_SIZE;
      iort_rmr_range range = { .base = read_le64 (r), .length = read_le64 (r + 8) };
      g_array_append_val (node->rmr_ranges, range);
    }
  return TRUE;
}

/* One row per node type: the bytes its decoded fields need (checked once
 * against the node length before decode runs, so decoders may read any
 * field below min_length) and its body decoder. */
typedef struct {
  const char *name;
  guint16 min_length;
  gboolean (*decode) (const node_cursor *c, iort_node *node, GError **error);
} node_type_info;

static const node_type_info node_types[] = {
  [IORT_NODE_ITS] = { "its", 20, decode_its_group },                       /* ITS count u32@16 */
  [IORT_NODE_NAMED] = { "named-component", IORT_NODE_HEADER_SIZE, NULL },
  [IORT_NODE_ROOT_COMPLEX] = { "root-complex", 33, decode_root_complex },  /* address limit u8@32 */
  [IORT_NODE_SMMUV1V2] = { "smmuv1v2", IORT_NODE_HEADER_SIZE, NULL },
  [IORT_NODE_SMMUV3] = { "smmuv3", 64, decode_smmuv3 },                    /* proximity u32@60 */
  [IORT_NODE_PMCG] = { "pmcg", IORT_NODE_HEADER_SIZE, NULL },
  [IORT_NODE_RMR] = { "rmr", 28, decode_rmr },                             /* range offset u32@24 */
};

/* Types newer than this parser: keep the header and ID mappings, which
 * have the same layout in every node type. */
static const node_type_info unknown_node_type = { "unknown", IORT_NODE_HEADER_SIZE, NULL };

static const node_type_info *
node_type_lookup (guint type)
{
  if (type < G_N_ELEMENTS (node_types))
    return &node_types[type];
  return &unknown_node_type;
}

const char *
iort_node_type_name (iort_node_type type)
{
  return node_type_lookup ((guint) type)->name;
}

static void
iort_node_free (iort_node *node)
{
  if (node == NULL)
    return;
  g_clear_pointer (&node->mappings, g_array_unref);
  g_clear_pointer (&node->rmr_ranges, g_array_unref);
  g_clear_pointer (&node->its_ids, g_array_unref);
  g_free (node);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (iort_node, iort_node_free)

static gboolean
decode_id_mappings (const node_cursor *c, iort_node *node, GError **error)
{
  const guint8 *n = node_bytes (c);
  guint32 count = read_le32 (n + 8);
  guint32 array_at = read_le32 (n + 12);

  if (!check_array_in_node (c, "ID mapping", count, array_at, IORT_ID_MAPPING_SIZE, error))
    return FALSE;
  g_array_set_size (node->mappings, count);
  for (guint32 i = 0; i < count; i++)
    {
      const guint8 *m = n + array_at + (gsize) i * IORT_ID_MAPPING_SIZE;
      iort_id_mapping *mapping = &g_array_index (node->mappings, iort_id_mapping, i);

      mapping->input_base = read_le32 (m);
      mapping->id_count = (guint64) read_le32 (m + 4) + 1;
      mapping->output_base = read_le32 (m + 8);
      mapping->output_ref = read_le32 (m + 12);
      mapping->flags = read_le32 (m + 16);
    }
  return TRUE;
}

/* Decodes the node at c->offset, whose header (16 bytes) and declared
 * length are already known to lie inside the table. */
static iort_node *
parse_node (const node_cursor *c, GError **error)
{
  const guint8 *n = node_bytes (c);
  const node_type_info *info = node_type_lookup (n[0]);
  g_autoptr(iort_node) node = g_new0 (iort_node, 1);

  node->offset = c->offset;
  node->type = (iort_node_type) n[0];
  node->length = c->length;
  node->revision = n[3];
  /* Only meaningful from table revision 3 on; older tables have 0 here. */
  node->identifier = read_le32 (n + 4);
  node->mappings = g_array_new (FALSE, TRUE, sizeof (iort_id_mapping));

  if (c->length < info->min_length)
    {
      node_fail (error, IORT_ERROR_BAD_OFFSET, c,
                 "%s node length %u is shorter than the %u bytes its fields need",
                 info->name, c->length, info->min_length);
      return NULL;
    }
  if (!decode_id_mappings (c, node, error))
    return NULL;
  if (info->decode != NULL && !info->decode (c, node, error))
    return NULL;
  return g_steal_pointer (&node);
}

static char *
describe_signature (const guint8 *signature)
{
  GString *out = g_string_new (NULL);

  /* The bytes are arbitrary: never put control characters on a terminal. */
  for (guint i = 0; i < 4; i++)
    {
      if (g_ascii_isprint (signature[i]) && signature[i] != '"' && signature[i] != '\\')
        g_string_append_c (out, (char) signature[i]);
      else
        g_string_append_printf (out, "\\x%02x", signature[i]);
    }
  return g_string_free (out, FALSE);
}

static gboolean
check_table_header (const guint8 *data, gsize len, GError **error)
{
  guint32 header_length;

  /* Signature first: a short file of another kind is "not an IORT", a
   * more useful message than "truncated". */
  if (len >= 4 && memcmp (data, "IORT", 4) != 0)
    {
      g_autofree char *seen = describe_signature (data);
      g_set_error (error, IORT_ERROR, IORT_ERROR_BAD_SIGNATURE,
                   "IORT: signature at byte 0x0 is \"%s\", expected \"IORT\"", seen);
      return FALSE;
    }
  if (len < IORT_TABLE_HEADER_SIZE)
    {
      g_set_error (error, IORT_ERROR, IORT_ERROR_TRUNCATED,
                   "IORT: table ends at byte 0x%" G_GSIZE_MODIFIER "x (%" G_GSIZE_FORMAT
                   " bytes), inside the %u-byte table header", len, len, IORT_TABLE_HEADER_SIZE);
      return FALSE;
    }
  header_length = read_le32 (data + IORT_HDR_LENGTH_AT);
  if (header_length > len)
    {
      g_set_error (error, IORT_ERROR, IORT_ERROR_TRUNCATED,
                   "IORT: length at byte 0x%x says the table is %u bytes (0x%x) but only %"
                   G_GSIZE_FORMAT " bytes (0x%" G_GSIZE_MODIFIER "x) were read",
                   IORT_HDR_LENGTH_AT, header_length, header_length, len, len);
      return FALSE;
    }
  if (header_length < IORT_TABLE_HEADER_SIZE)
    {
      g_set_error (error, IORT_ERROR, IORT_ERROR_TRUNCATED,
                   "IORT: length at byte 0x%x says the table is %u bytes, shorter than its %u-byte header",
                   IORT_HDR_LENGTH_AT, header_length, IORT_TABLE_HEADER_SIZE);
      return FALSE;
    }
  return TRUE;
}

iort_table *
iort_parse (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(iort_table) table = NULL;
  guint32 node_count, first_node, table_length;
  guint64 offset;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_table_header (data, len, error))
    return NULL;

  /* Bytes after the declared length (e.g. page padding of a dump) are
   * not part of the table; check_table_header made length <= len. */
  table_length = read_le32 (data + IORT_HDR_LENGTH_AT);
  node_count = read_le32 (data + IORT_HDR_NODE_COUNT_AT);
  first_node = read_le32 (data + IORT_HDR_FIRST_NODE_AT);

  table = g_new0 (iort_table, 1);
  table->revision = data[8];
  table->length = table_length;
  table->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) iort_node_free);

  if (node_count > 0 && first_node < IORT_TABLE_HEADER_SIZE)
    {
      g_set_error (error, IORT_ERROR, IORT_ERROR_BAD_OFFSET,
                   "IORT: first node offset 0x%x at byte 0x%x points inside the %u-byte table header",
                   first_node, IORT_HDR_FIRST_NODE_AT, IORT_TABLE_HEADER_SIZE);
      return NULL;
    }
  if (node_count > 0 && first_node >= table_length)
    {
      g_set_error (error, IORT_ERROR, IORT_ERROR_BAD_OFFSET,
                   "IORT: first node offset 0x%x at byte 0x%x is past the end of the table (0x%x bytes)",
                   first_node, IORT_HDR_FIRST_NODE_AT, table_length);
      return NULL;
    }

  /* Nodes follow each other; the count is untrusted, but every node
   * takes at least 16 bytes, so the loop ends within length/16 rounds. */
  offset = first_node;
  for (guint32 i = 0; i < node_count; i++)
    {
      node_cursor cursor = { .table = data, .index = i, .offset = (guint32) offset };
      iort_node *node;

      if (offset + IORT_NODE_HEADER_SIZE > table_length)
        {
          node_fail (error, IORT_ERROR_TRUNCATED, &cursor,
                     "node count at byte 0x%x is %u but the table ends at byte 0x%x, "
                     "before this node's %u-byte header",
                     IORT_HDR_NODE_COUNT_AT, node_count, table_length, IORT_NODE_HEADER_SIZE);
          return NULL;
        }
      cursor.length = read_le16 (data + offset + 1);
      /* A length below the header size would make the next node overlap
       * this one (length 0: the same node forever). */
      if (cursor.length < IORT_NODE_HEADER_SIZE)
        {
          node_fail (error, IORT_ERROR_BAD_OFFSET, &cursor,
                     "length %u is shorter than a node header (%u bytes)",
                     cursor.length, IORT_NODE_HEADER_SIZE);
          return NULL;
        }
      if (offset + cursor.length > table_length)
        {
          node_fail (error, IORT_ERROR_TRUNCATED, &cursor,
                     "length %u runs past the end of the table at byte 0x%x",
                     cursor.length, table_length);
          return NULL;
        }
      node = parse_node (&cursor, error);
      if (node == NULL)
        return NULL;
      g_ptr_array_add (table->nodes, node);
      offset += cursor.length;
    }
  return g_steal_pointer (&table);
}

void
iort_table_free (iort_table *t)
{
  if (t == NULL)
    return;
  g_clear_pointer (&t->nodes, g_ptr_array_unref);
  g_free (t);
}

const iort_node *
iort_node_at (const iort_table *t, guint32 offset)
{
  guint lo = 0, hi;

  g_return_val_if_fail (t != NULL, NULL);

  /* Nodes are stored in strictly increasing offset order (each one
   * starts where the previous ended), so binary search is exact. */
  hi = t->nodes->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const iort_node *node = g_ptr_array_index (t->nodes, mid);

      if (node->offset == offset)
        return node;
      if (node->offset < offset)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

/* If @m maps @id, store the output ID and return TRUE.  An output range
 * that would wrap past 2^32 is a firmware bug and maps nothing. */
static gboolean
mapping_translate (const iort_id_mapping *m, guint32 id, guint32 *out_id)
{
  guint64 delta;

  if (id < m->input_base)
    return FALSE;
  delta = (guint64) id - m->input_base;
  if (delta >= m->id_count || (guint64) m->output_base + delta > G_MAXUINT32)
    return FALSE;
  *out_id = (guint32) (m->output_base + delta);
  return TRUE;
}

/* Which mapping of @node translates @id, with Linux's rules
 * (drivers/acpi/arm64/iort.c, iort_id_map):
 * - a single mapping counts only on root complexes and named components;
 *   elsewhere it is the node's own MSI ID, not a translation;
 * - the first match wins, except that a match on the last ID of a range
 *   yields to a later range starting at that ID: some firmware stores
 *   the count instead of count-1, and Linux follows the later range. */
static const iort_id_mapping *
find_mapping (const iort_node *node, guint32 id, guint32 *out_id)
{
  const iort_id_mapping *tentative = NULL;
  guint32 tentative_out = 0;

  for (guint i = 0; i < node->mappings->len; i++)
    {
      const iort_id_mapping *m = &g_array_index (node->mappings, iort_id_mapping, i);
      guint32 translated;

      if (m->flags & IORT_ID_MAPPING_SINGLE)
        {
          if (node->type != IORT_NODE_ROOT_COMPLEX && node->type != IORT_NODE_NAMED)
            continue;
          *out_id = m->output_base;
          return m;
        }
      if (!mapping_translate (m, id, &translated))
        continue;
      if (tentative != NULL)
        {
          if (id != m->input_base)
            continue;       /* a true overlap: Linux keeps the first */
          *out_id = translated;
          return m;
        }
      if (m->id_count > 1 && (guint64) id - m->input_base == m->id_count - 1)
        {
          tentative = m;
          tentative_out = translated;
          continue;
        }
      *out_id = translated;
      return m;
    }
  if (tentative != NULL)
    *out_id = tentative_out;
  return tentative;
}

const iort_node *
iort_smmu_for_rid_checked (const iort_table *t, const iort_node *rc, guint32 rid,
                           guint32 *stream_id_out, GError **error)
{
  const iort_node *node = rc;
  guint32 id = rid;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (rc != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint hops = 0;; hops++)
    {
      const iort_id_mapping *m;

      if (node->type == IORT_NODE_SMMUV3)
        {
          if (stream_id_out != NULL)
            *stream_id_out = id;
          return node;
        }
      /* Translated by an SMMU this tool does not drive, or not at all. */
      if (node->type == IORT_NODE_ITS || node->type == IORT_NODE_SMMUV1V2)
        return NULL;
      if (hops == IORT_MAX_MAPPING_HOPS)
        break;
      m = find_mapping (node, id, &id);
      if (m == NULL)
        return NULL;
      node = iort_node_at (t, m->output_ref);
      if (node == NULL)
        return NULL;        /* dangling output reference */
    }

  g_set_error (error, IORT_ERROR, IORT_ERROR_LOOP,
               "IORT: RID 0x%x of the %s node at byte 0x%x: ID mappings still unresolved after %u hops, "
               "at the %s node at byte 0x%x (the mappings form a loop)",
               rid, iort_node_type_name (rc->type), rc->offset, IORT_MAX_MAPPING_HOPS,
               iort_node_type_name (node->type), node->offset);
  return NULL;
}

const iort_node *
iort_smmu_for_rid (const iort_table *t, const iort_node *rc, guint32 rid, guint32 *stream_id_out)
{
  return iort_smmu_for_rid_checked (t, rc, rid, stream_id_out, NULL);
}

static gint
compare_node_offset (gconstpointer a, gconstpointer b)
{
  const iort_node *na = *(const iort_node *const *) a;
  const iort_node *nb = *(const iort_node *const *) b;

  return (na->offset > nb->offset) - (na->offset < nb->offset);
}

GPtrArray *
iort_smmus_of_root_complex (const iort_table *t, const iort_node *rc)
{
  GPtrArray *smmus;
  guint kept = 0;

  g_return_val_if_fail (t != NULL, NULL);
  g_return_val_if_fail (rc != NULL, NULL);

  smmus = g_ptr_array_new ();
  for (guint i = 0; i < rc->mappings->len; i++)
    {
      const iort_id_mapping *m = &g_array_index (rc->mappings, iort_id_mapping, i);
      const iort_node *target = iort_node_at (t, m->output_ref);

      if (target != NULL && target->type == IORT_NODE_SMMUV3)
        g_ptr_array_add (smmus, (gpointer) target);
    }
  /* Table order, each SMMU once: sort, then drop adjacent duplicates. */
  g_ptr_array_sort (smmus, compare_node_offset);
  for (guint i = 0; i < smmus->len; i++)
    if (kept == 0 || smmus->pdata[kept - 1] != smmus->pdata[i])
      smmus->pdata[kept++] = smmus->pdata[i];
  g_ptr_array_set_size (smmus, (gint) kept);
  return smmus;
}

const iort_node *
iort_root_complex_for_segment (const iort_table *t, guint32 segment)
{
  g_return_val_if_fail (t != NULL, NULL);

  for (guint i = 0; i < t->nodes->len; i++)
    {
      const iort_node *node = g_ptr_array_index (t->nodes, i);

      if (node->type == IORT_NODE_ROOT_COMPLEX && node->pci_segment == segment)
        return node;
    }
  return NULL;
}
