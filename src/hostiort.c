/* The IORT's part of the host model: what sysfs does not say. */
#include "hostiort.h"

#include <gio/gio.h>

#include "errors.h"
#include "iort.h"
#include "jsonread.h"

/* An IORT is a few KiB; 1 MiB is far beyond any real one. */
#define MAX_IORT_SIZE (1024 * 1024)

/* Which requester IDs of which segment each SMMU translates: the root
 * complexes' ID mappings that point at an SMMUv3 node (after every SMMU
 * node has its host_smmu). */
static void
add_rid_ranges (host_model *host, const iort_table *iort)
{
  for (guint i = 0; i < iort->nodes->len; i++)
    {
      const iort_node *node = iort->nodes->pdata[i];
      if (node->type != IORT_NODE_ROOT_COMPLEX)
        continue;
      for (guint m = 0; m < node->mappings->len; m++)
        {
          const iort_id_mapping *map = &g_array_index (node->mappings, iort_id_mapping, m);
          const iort_node *target = iort_node_at (iort, map->output_ref);
          const host_smmu *smmu = target != NULL && target->type == IORT_NODE_SMMUV3
                                      ? host_find_smmu_by_base (host, target->smmu_base) : NULL;
          if (smmu == NULL || (map->flags & IORT_ID_MAPPING_SINGLE))
            continue;
          guint64 last = (guint64) map->input_base + map->id_count - 1;
          host_rid_range range = { node->pci_segment, map->input_base, (guint32) MIN (last, G_MAXUINT32),
                                   g_strdup (smmu->name) };
          g_array_append_val (host->rid_ranges, range);
        }
    }
}

/* Facts only the IORT has: which SMMU translates a segment whose devices lack
 * an iommu link, CANWBS of each root complex, SMMU proximity domains. */
static void
apply_iort (host_model *host, const iort_table *iort)
{
  g_autoptr (GHashTable) canwbs = g_hash_table_new (g_direct_hash, g_direct_equal); /* smmu → tristate */
  for (guint i = 0; i < iort->nodes->len; i++)
    {
      const iort_node *node = iort->nodes->pdata[i];
      if (node->type == IORT_NODE_SMMUV3)
        {
          host_smmu *smmu = host_find_smmu_by_base (host, node->smmu_base);
          if (smmu == NULL)
            {
              smmu = host_smmu_new ();
              smmu->base = node->smmu_base;
              smmu->name = g_strdup_printf ("smmu3.0x%016" G_GINT64_MODIFIER "x", node->smmu_base);
              g_ptr_array_add (host->smmus, smmu);
              host_model_note (host, "%s: in the IORT but not in /sys/class/iommu (driver not bound?)", smmu->name);
            }
          smmu->in_iort = TRUE;
          smmu->iort_offset = node->offset;
          if (smmu->numa_node < 0 && node->proximity_valid && node->proximity_domain <= G_MAXINT)
            {
              smmu->numa_node = (int) node->proximity_domain;
              smmu->numa_source = "iort";
            }
        }
      else if (node->type == IORT_NODE_ROOT_COMPLEX)
        {
          g_autoptr (GPtrArray) targets = iort_smmus_of_root_complex (iort, node);
          for (guint t = 0; t < targets->len; t++)
            {
              const iort_node *target = targets->pdata[t];
              gpointer key = GSIZE_TO_POINTER ((gsize) target->offset + 1);
              tristate prev = GPOINTER_TO_INT (g_hash_table_lookup (canwbs, key));
              tristate now = node->canwbs ? TRI_YES : TRI_NO;
              g_hash_table_insert (canwbs, key, GINT_TO_POINTER (prev == TRI_NO ? TRI_NO : now));
            }
        }
    }
  add_rid_ranges (host, iort);
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      if (smmu->in_iort)
        smmu->canwbs = GPOINTER_TO_INT (g_hash_table_lookup (canwbs, GSIZE_TO_POINTER ((gsize) smmu->iort_offset + 1)));
    }
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      const iort_node *rc = iort_root_complex_for_segment (iort, dev->segment);
      if (rc == NULL)
        continue;
      dev->canwbs = rc->canwbs ? TRI_YES : TRI_NO;
      if (dev->smmu != NULL)
        continue;
      guint32 rid = (guint32) dev->bus << 8 | (guint32) dev->slot << 3 | dev->function;
      g_autoptr (GError) loop = NULL;
      const iort_node *smmu_node = iort_smmu_for_rid_checked (iort, rc, rid, NULL, &loop);
      if (loop != NULL)
        host_model_note (host, "%s (%s): %s; its SMMU is unknown", dev->bdf, host->iort_source, loop->message);
      host_smmu *smmu = smmu_node != NULL ? host_find_smmu_by_base (host, smmu_node->smmu_base) : NULL;
      if (smmu != NULL)
        {
          dev->smmu = g_strdup (smmu->name);
          dev->smmu_source = "iort";
        }
    }
}

gboolean
hostiort_read (sysroot *root, host_model *host, const char *iort_file, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  if (iort_file != NULL)
    {
      gsize len;
      /* Bounded: --iort /dev/zero must be refused, not read into memory. */
      g_autofree char *data = json_read_input (iort_file, MAX_IORT_SIZE, &len, error);
      if (data == NULL)
        return FALSE;
      bytes = g_bytes_new_take (g_steal_pointer (&data), len);
      host->iort_source = g_strdup (iort_file);
    }
  else
    {
      bytes = sysroot_read_bytes (root, "/sys/firmware/acpi/tables/IORT", MAX_IORT_SIZE, &local);
      if (bytes == NULL)
        {
          if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            host_model_note (host, "IORT not read: %s (run as root, or give --iort FILE from `acpidump -b`)",
                      local->message);
          return TRUE;
        }
      host->iort_source = sysroot_display (root, "/sys/firmware/acpi/tables/IORT");
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (iort_table) iort = iort_parse (data, len, &local);
  if (iort == NULL)
    {
      if (iort_file != NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: %s", iort_file, local->message);
          return FALSE;
        }
      host_model_note (host, "%s: %s; IORT facts (CANWBS, SMMU of devices without an iommu link) unknown",
                host->iort_source, local->message);
      g_clear_pointer (&host->iort_source, g_free);
      return TRUE;
    }
  host->iort_present = TRUE;
  apply_iort (host, iort);
  return TRUE;
}
