/* plan's check of its own result and what to change (see plan_check.h). */
#include "plan_check.h"

#include <string.h>

#include "domaincheck.h"
#include "smmucompat.h"

finding_list *
plan_check_result (const guest_plan *plan, const host_model *host, const char *source, const char *xml,
                   gboolean check_libvirt)
{
  rule_options opts = {
    .have_target_qemu = TRUE,
    .target_qemu = plan->target_qemu,
    .have_target_libvirt = check_libvirt,
    .target_libvirt = plan->target_libvirt,
    .host = host,
  };
  return domaincheck_document (source, xml, strlen (xml), &opts);
}

/* Why no device behind this root complex's host SMMU can sit below its
 * accelerated vSMMU, or NULL: the facts SMU307, SMU309 and SMU304 judge. */
static char *
why_smmu_unusable (const guest_plan *plan, const plan_root_complex *rc)
{
  const char *reason = NULL;
  if (host_smmu_nesting (rc->smmu, &reason) == TRI_NO)
    return g_strdup_printf ("it cannot nest (%s; SMU307)", reason);
  const guest_iommu *iommu = g_ptr_array_index (plan->domain->iommus, rc->iommu);
  g_autoptr (GPtrArray) refused = smmu_compat_check (&rc->smmu->hwinfo, iommu, plan->target_qemu.version);
  for (guint i = 0; i < refused->len; i++)
    {
      const smmu_incompat *c = g_ptr_array_index (refused, i);
      if (c->fixed)
        return g_strdup_printf ("QEMU refuses it: \"%s\" (SMU309)", c->message);
    }
  return NULL;
}

static gboolean
has_error (const finding_list *findings, const char *code)
{
  for (guint i = 0; i < finding_list_len (findings); i++)
    {
      const finding *f = finding_list_get (findings, i);
      if (f->severity == SEVERITY_ERROR && strcmp (f->info->code, code) == 0)
        return TRUE;
    }
  return FALSE;
}

static char *
join_bdfs (GPtrArray *devices, const char *prefix)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (guint i = 0; i < devices->len; i++)
    g_string_append_printf (s, "%s%s%s", i ? (*prefix ? " " : ", ") : "", prefix,
                            ((const host_pci_device *) g_ptr_array_index (devices, i))->bdf);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Codes whose errors the changes below answer. */
static const char *const answered[] = { "SMU304", "SMU307", "SMU309" };

GPtrArray *
plan_changes (const guest_plan *plan, const host_model *host, const finding_list *findings)
{
  GPtrArray *changes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) dropped = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint r = 0; r < plan->root_complexes->len; r++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, r);
      g_autofree char *why = why_smmu_unusable (plan, rc);
      if (why == NULL || g_hash_table_contains (dropped, rc->smmu))
        continue;
      g_hash_table_add (dropped, (gpointer) rc->smmu);
      g_autoptr (GPtrArray) behind = g_ptr_array_new ();
      for (guint d = 0; d < plan->devices->len; d++)
        {
          const host_pci_device *dev = g_ptr_array_index (plan->devices, d);
          if (g_strcmp0 (dev->smmu, rc->smmu->name) == 0)
            g_ptr_array_add (behind, (gpointer) dev);
        }
      g_autofree char *list = join_bdfs (behind, "");
      g_ptr_array_add (changes, g_strdup_printf ("leave out %s: behind host SMMU %s, which cannot back an "
                                                 "accelerated vSMMU: %s",
                                                 list, rc->smmu->name, why));
    }
  /* Devices with no vfio cdev on a host that has iommufd: SMU304 per device. */
  g_autoptr (GPtrArray) no_cdev = g_ptr_array_new ();
  for (guint d = 0; host->dev_iommu.present && d < plan->devices->len; d++)
    {
      const host_pci_device *dev = g_ptr_array_index (plan->devices, d);
      const host_smmu *smmu = host_find_smmu (host, dev->smmu);
      if (g_strcmp0 (dev->driver, "vfio-pci") == 0 && dev->vfio_cdev == NULL
          && !g_hash_table_contains (dropped, smmu))
        g_ptr_array_add (no_cdev, (gpointer) dev);
    }
  if (no_cdev->len > 0)
    {
      g_autofree char *list = join_bdfs (no_cdev, "");
      g_ptr_array_add (changes, g_strdup_printf ("leave out %s, or give the host a kernel with "
                                                 "CONFIG_VFIO_DEVICE_CDEV (6.6+): iommufd opens a device through "
                                                 "its vfio cdev, and %s none (SMU304)",
                                                 list, no_cdev->len > 1 ? "they have" : "it has"));
    }
  if (!host->dev_iommu.present && has_error (findings, "SMU304"))
    g_ptr_array_add (changes, g_strdup ("load iommufd on the host (modprobe iommufd; a kernel 6.6+ with "
                                        "CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV): every accelerated vSMMU "
                                        "needs /dev/iommu, whatever devices are chosen (SMU304)"));

  guint n_dropped = 0;
  g_autoptr (GPtrArray) keep = g_ptr_array_new ();
  for (guint d = 0; d < plan->devices->len; d++)
    {
      const host_pci_device *dev = g_ptr_array_index (plan->devices, d);
      gboolean drop = g_hash_table_contains (dropped, host_find_smmu (host, dev->smmu));
      for (guint i = 0; !drop && i < no_cdev->len; i++)
        drop = g_ptr_array_index (no_cdev, i) == dev;
      if (drop)
        n_dropped++;
      else
        g_ptr_array_add (keep, (gpointer) dev);
    }
  if (n_dropped > 0 && keep->len > 0 && host->dev_iommu.present)
    {
      g_autofree char *options = join_bdfs (keep, "--device ");
      g_ptr_array_add (changes, g_strdup_printf ("to plan the others, select them: %s", options));
    }
  else if (n_dropped > 0 && keep->len == 0)
    g_ptr_array_add (changes, g_strdup ("none of the selected devices can sit below an accelerated vSMMU on this "
                                        "host; pass them through without a vSMMU, or to a VM on another host"));

  /* An error nothing above answers: the planner wrote what its own rules refuse. */
  for (guint i = 0; i < finding_list_len (findings); i++)
    {
      const finding *f = finding_list_get (findings, i);
      gboolean known = FALSE;
      for (gsize a = 0; a < G_N_ELEMENTS (answered); a++)
        known |= strcmp (f->info->code, answered[a]) == 0;
      if (f->severity != SEVERITY_ERROR || (known && changes->len > 0))
        continue;
      g_ptr_array_add (changes, g_strdup_printf ("%s is an error smmuctl's planner should not have made: please "
                                                 "report it with this output and `smmuctl probe --json` of the "
                                                 "host", f->info->code));
      break;
    }
  return changes;
}
