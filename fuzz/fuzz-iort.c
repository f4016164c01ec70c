/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer harness for the IORT parser: parse, then walk every root
 * complex the way `smmuctl probe` does (segment -> SMMUs, RID -> SMMU),
 * so that the lookups run on whatever graph the parser accepted.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc src/iort.c fuzz/fuzz-iort.c \
 *         $(pkg-config --cflags --libs glib-2.0)
 */
#include "iort.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Not g_assert: that vanishes under G_DISABLE_ASSERT, and these are the
 * invariants the fuzzer exists to check. */
#define FUZZ_CHECK(cond) do { if (!(cond)) abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* RIDs at the edges of typical mapping ranges and of the 32-bit space. */
static const guint32 probe_rids[] = { 0x0, 0x1, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0xffffffff };

static void
walk_root_complex (const iort_table *table, const iort_node *rc)
{
  g_autoptr(GPtrArray) smmus = iort_smmus_of_root_complex (table, rc);
  /* The input bases of the first mappings too, so that chains are
   * actually entered; capped because each lookup scans every mapping of
   * up to 16 nodes, and a big input would make the harness quadratic. */
  guint bases = MIN (rc->mappings->len, 64u);

  for (guint i = 0; i < smmus->len; i++)
    FUZZ_CHECK (((const iort_node *) g_ptr_array_index (smmus, i))->type == IORT_NODE_SMMUV3);
  for (guint i = 0; i < bases + G_N_ELEMENTS (probe_rids); i++)
    {
      guint32 rid = i < bases
                    ? g_array_index (rc->mappings, iort_id_mapping, i).input_base
                    : probe_rids[i - bases];
      guint32 stream_id = 0;
      g_autoptr(GError) error = NULL;
      const iort_node *smmu = iort_smmu_for_rid_checked (table, rc, rid, &stream_id, &error);

      FUZZ_CHECK (smmu == NULL || smmu->type == IORT_NODE_SMMUV3);
      FUZZ_CHECK (smmu == NULL || error == NULL);
      FUZZ_CHECK (iort_smmu_for_rid (table, rc, rid, NULL) == smmu);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(iort_table) table = iort_parse (data, size, &error);

  if (table == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == IORT_ERROR);
      return 0;
    }
  FUZZ_CHECK (error == NULL);

  for (guint i = 0; i < table->nodes->len; i++)
    {
      const iort_node *node = g_ptr_array_index (table->nodes, i);

      /* The bounds the parser promises: nodes inside the table, in order. */
      FUZZ_CHECK ((guint64) node->offset + node->length <= table->length);
      FUZZ_CHECK (i == 0 || ((const iort_node *) g_ptr_array_index (table->nodes, i - 1))->offset < node->offset);
      FUZZ_CHECK (iort_node_at (table, node->offset) == node);
      (void) iort_node_type_name (node->type);
      if (node->type == IORT_NODE_ROOT_COMPLEX)
        {
          FUZZ_CHECK (iort_root_complex_for_segment (table, node->pci_segment) != NULL);
          walk_root_complex (table, node);
        }
    }
  return 0;
}
