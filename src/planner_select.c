/* Which devices a plan takes (SPEC §5 rule 1: whole IOMMU groups), and the
 * checks that refuse a plan with one clear error: a device not on the host,
 * not bound to vfio-pci, a split group, a base domain that cannot take
 * accelerated vSMMUs, a target too old. */
#include "planner_private.h"

#include <string.h>

#include "errors.h"
#include "feature_use.h"

static gboolean
is_vfio (const host_pci_device *dev)
{
  return g_strcmp0 (dev->driver, "vfio-pci") == 0;
}

static const char *
driver_text (const host_pci_device *dev)
{
  return dev->driver != NULL ? dev->driver : "no driver";
}

static gboolean
matches_filters (const host_pci_device *dev, const plan_request *req)
{
  if (dev->is_bridge)
    return FALSE;
  if (req->all_vfio && !is_vfio (dev))
    return FALSE;
  if (req->have_vendor && dev->vendor != req->vendor)
    return FALSE;
  if (req->have_device_id && dev->device != req->device_id)
    return FALSE;
  return TRUE;
}

/* --device BDF…: each one on the host and not a bridge. */
static gboolean
select_named (const host_model *host, const plan_request *req, GHashTable *chosen, GError **error)
{
  g_autoptr (GString) missing = g_string_new (NULL);
  guint n_missing = 0;
  for (const char *const *name = req->devices; name != NULL && *name != NULL; name++)
    {
      g_autofree char *bdf = pci_bdf_normalize (*name);
      if (bdf == NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                       "--device '%s': not a PCI address (DDDD:BB:DD.F, e.g. 0008:01:00.0); see smmuctl plan --help",
                       *name);
          return FALSE;
        }
      host_pci_device *dev = host_find_device (host, bdf);
      if (dev == NULL)
        {
          g_string_append_printf (missing, "%s%s", n_missing++ ? ", " : "", bdf);
          continue;
        }
      if (dev->is_bridge)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "%s: is a PCI bridge (%s); pass the endpoints behind it with --device", dev->bdf,
                       pci_class_name (dev->class_code));
          return FALSE;
        }
      g_hash_table_add (chosen, dev);
    }
  if (n_missing > 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN, "%s: not found %s (try: %s)", missing->str,
                   req->host_where, req->probe_hint);
      return FALSE;
    }
  return TRUE;
}

/* Rule 1: a group is assigned whole.  Members bound to vfio-pci come along,
 * with the reason; with --managed also unbound ones, and ones bound to a
 * host driver only with --managed-peers (libvirt would unbind them from the
 * host when the VM starts): those are refused together, each named with its
 * driver.  Others make the plan fail. */
static gboolean
close_groups (const host_model *host, const plan_request *req, GHashTable *chosen, GHashTable *peer_reasons,
              GError **error)
{
  /* group id → group, once: a host may have thousands */
  g_autoptr (GHashTable) groups = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < host->groups->len; i++)
    {
      host_iommu_group *group = g_ptr_array_index (host->groups, i);
      g_hash_table_insert (groups, GINT_TO_POINTER (group->id), group);
    }
  g_autoptr (GString) taken_from_host = g_string_new (NULL);
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (host->devices, i);
      if (!g_hash_table_contains (chosen, dev) || dev->iommu_group < 0)
        continue;
      const host_iommu_group *group = g_hash_table_lookup (groups, GINT_TO_POINTER (dev->iommu_group));
      for (guint m = 0; group != NULL && m < group->devices->len; m++)
        {
          const char *bdf = g_ptr_array_index (group->devices, m);
          host_pci_device *peer = host_find_device (host, bdf);
          if (peer == dev || (peer != NULL && (peer->is_bridge || g_hash_table_contains (chosen, peer))))
            continue;
          gboolean host_driver = peer != NULL && peer->driver != NULL && !is_vfio (peer);
          if (peer != NULL && (is_vfio (peer) || (req->managed && (!host_driver || req->managed_peers))))
            {
              g_hash_table_add (chosen, peer);
              g_hash_table_insert (peer_reasons, g_strdup (peer->bdf),
                                   g_strdup_printf ("included because it shares IOMMU group %d with %s, and a "
                                                    "group is assigned whole",
                                                    dev->iommu_group, dev->bdf));
              continue;
            }
          if (peer != NULL && req->managed && host_driver)
            {
              if (!strstr (taken_from_host->str, peer->bdf))
                g_string_append_printf (taken_from_host, "%s%s (bound to %s, IOMMU group %d with %s)",
                                        taken_from_host->len ? ", " : "", peer->bdf, peer->driver,
                                        dev->iommu_group, dev->bdf);
              continue;
            }
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "IOMMU group %d is split: %s is selected but %s in the same group is %s%s; a group goes "
                       "to one VM whole: bind %s to vfio-pci too (echo vfio-pci > "
                       "/sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/devices/%s/driver/unbind; "
                       "echo %s > /sys/bus/pci/drivers_probe) or leave %s out",
                       dev->iommu_group, dev->bdf, bdf, peer ? "bound to " : "not readable", peer ? driver_text (peer) : "",
                       bdf, bdf, bdf, bdf, bdf, dev->bdf);
          return FALSE;
        }
    }
  if (taken_from_host->len > 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                   "--managed would take %s from the host: a group is assigned whole, and libvirt unbinds every "
                   "member from its host driver when the VM starts; name each one with --device if the VM should "
                   "have it, or pass --managed-peers to take them all",
                   taken_from_host->str);
      return FALSE;
    }
  return TRUE;
}

/* Every device can sit below an accelerated vSMMU on this host. */
static gboolean
check_devices (const host_model *host, const plan_request *req, GPtrArray *devices, GError **error)
{
  g_autoptr (GPtrArray) not_vfio = g_ptr_array_new ();
  for (guint i = 0; i < devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (devices, i);
      if (dev->iommu_group < 0)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "%s: no IOMMU group %s (no IOMMU translates it), so it cannot be passed through "
                       "(try: %s)",
                       dev->bdf, req->host_where, req->probe_hint);
          return FALSE;
        }
      if (dev->smmu == NULL || host_find_smmu (host, dev->smmu) == NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "%s: no SMMUv3 known behind it %s (neither a sysfs iommu link nor an IORT mapping); "
                       "an accelerated vSMMU needs its host SMMU (try: %s)",
                       dev->bdf, req->host_where, req->probe_hint);
          return FALSE;
        }
      if (!is_vfio (dev) && !req->managed)
        g_ptr_array_add (not_vfio, (gpointer) dev);
    }
  if (not_vfio->len == 0)
    return TRUE;
  g_autoptr (GString) list = g_string_new (NULL);
  for (guint i = 0; i < not_vfio->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (not_vfio, i);
      g_string_append_printf (list, "%s%s (%s)", i ? ", " : "", dev->bdf, driver_text (dev));
    }
  const host_pci_device *first = g_ptr_array_index (not_vfio, 0);
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
               "%s %s not bound to vfio-pci; bind %s: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
               "echo %s > /sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers_probe%s "
               "— or plan with --managed so that libvirt binds %s (managed='yes')",
               list->str, not_vfio->len > 1 ? "are" : "is", not_vfio->len > 1 ? "each" : "it", first->bdf,
               first->bdf, first->bdf, first->bdf, not_vfio->len > 1 ? " (likewise for the others)" : "",
               not_vfio->len > 1 ? "them" : "it");
  return FALSE;
}

GPtrArray *
plan_select_devices (const host_model *host, const plan_request *req, GHashTable *peer_reasons, GError **error)
{
  g_autoptr (GHashTable) chosen = g_hash_table_new (g_direct_hash, g_direct_equal);
  gboolean named = req->devices != NULL && req->devices[0] != NULL;
  gboolean filtered = req->all_vfio || req->have_vendor;
  if (!named && !filtered)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "plan: choose the devices to pass through with --device BDF, --all-vfio or "
                           "--vendor VVVV[:DDDD]; see smmuctl plan --help");
      return NULL;
    }
  if (named && !select_named (host, req, chosen, error))
    return NULL;
  if (filtered)
    {
      guint matched = 0;
      for (guint i = 0; i < host->devices->len; i++)
        {
          host_pci_device *dev = g_ptr_array_index (host->devices, i);
          if (matches_filters (dev, req))
            {
              g_hash_table_add (chosen, dev);
              matched++;
            }
        }
      if (matched == 0)
        {
          g_autofree char *what = req->have_device_id
                                      ? g_strdup_printf ("%04x:%04x device", req->vendor, req->device_id)
                                  : req->have_vendor ? g_strdup_printf ("vendor %04x device", req->vendor)
                                                     : g_strdup ("device");
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN, "no %s%s found %s (try: %s)", what,
                       req->all_vfio ? " bound to vfio-pci" : "", req->host_where, req->probe_hint);
          return NULL;
        }
    }
  if (!close_groups (host, req, chosen, peer_reasons, error))
    return NULL;

  GPtrArray *devices = g_ptr_array_new ();
  for (guint i = 0; i < host->devices->len; i++)
    if (g_hash_table_contains (chosen, g_ptr_array_index (host->devices, i)))
      g_ptr_array_add (devices, g_ptr_array_index (host->devices, i));
  if (!check_devices (host, req, devices, error))
    {
      g_ptr_array_unref (devices);
      return NULL;
    }
  return devices;
}

/* ---- the base domain ---- */

gboolean
plan_check_base (guest_plan *plan, const guest_domain *base, const plan_request *req, GPtrArray *selected,
                 GError **error)
{
  const char *file = req->base_name ? req->base_name : "base domain";
  if (g_strcmp0 (base->arch, "aarch64") != 0 || base->machine == NULL || !g_str_has_prefix (base->machine, "virt"))
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                   "%s:%d: not an aarch64 virt domain (arch '%s', machine '%s'): accelerated SMMUv3 exists on "
                   "the Arm virt machine only; start from an aarch64 <type machine='virt'> domain or leave out "
                   "--base",
                   file, base->line, base->arch ? base->arch : "?", base->machine ? base->machine : "?");
      return FALSE;
    }
  if (g_strcmp0 (base->domain_type, "kvm") != 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                   "%s:%d: domain type '%s': arm-smmuv3 accel=on needs KVM; use <domain type='kvm'>", file,
                   base->line, base->domain_type ? base->domain_type : "?");
      return FALSE;
    }
  for (guint i = 0; i < base->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (base->iommus, i);
      if (g_strcmp0 (iommu->model, "smmuv3") != 0 || iommu->pci_bus < 0)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "%s:%d: already has a %s IOMMU (<iommu model='%s'>%s); QEMU refuses per-bus accelerated "
                       "vSMMUs next to it: remove it, smmuctl plans one vSMMU per root complex",
                       file, iommu->line, iommu->pci_bus < 0 ? "machine-wide" : "non-SMMUv3",
                       iommu->model ? iommu->model : "?", iommu->pci_bus < 0 ? " without pciBus" : "");
          return FALSE;
        }
    }
  if (base->iommu_machine_wide_line > 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                   "%s:%d: already has a machine-wide IOMMU; QEMU refuses per-bus accelerated vSMMUs next to it: "
                   "remove it, smmuctl plans one vSMMU per root complex",
                   file, base->iommu_machine_wide_line);
      return FALSE;
    }
  for (guint i = 0; i < base->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (base->endpoints, i);
      for (guint d = 0; ep->host_bdf != NULL && d < selected->len; d++)
        {
          const host_pci_device *dev = g_ptr_array_index (selected, d);
          if (g_ascii_strcasecmp (dev->bdf, ep->host_bdf) == 0)
            {
              g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                           "%s:%d: %s is already assigned to this domain; remove that <hostdev> or leave the "
                           "device out of the selection",
                           file, ep->line, dev->bdf);
              return FALSE;
            }
        }
    }
  if (base->acpi != TRI_YES)
    {
      plan->add_acpi = TRUE;
      g_ptr_array_add (plan->why, g_strdup ("adds <features><acpi/> to the base domain: accel=on is refused "
                                            "without ACPI (the vSMMUs are described in the IORT)"));
    }
  return TRUE;
}

/* ---- what the host lets the plan promise ---- */

void
plan_explain_host (guest_plan *plan)
{
  if (plan->layout == PLAN_LAYOUT_PER_SMMU)
    g_ptr_array_add (plan->why, g_strdup_printf ("layout per-smmu: one pxb-pcie and one accelerated vSMMU per "
                                                 "host SMMU in use (%u), so that no vSMMU mixes host SMMUs",
                                                 plan->root_complexes->len));
  else
    g_ptr_array_add (plan->why, g_strdup_printf ("layout per-device: one pxb-pcie and one accelerated vSMMU per "
                                                 "device (%u)", plan->root_complexes->len));
  /* What makes the VM fail when it starts (no /dev/iommu, no vfio cdev, an
   * SMMU that cannot nest) is an error of the plan's own check (SMU304,
   * SMU307), not a warning here. */
  for (guint i = 0; i < plan->root_complexes->len; i++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      if (i > 0 && ((const plan_root_complex *) g_ptr_array_index (plan->root_complexes, i - 1))->smmu == rc->smmu)
        continue;
      const char *reason = NULL;
      tristate nesting = host_smmu_nesting (rc->smmu, &reason);
      if (nesting == TRI_UNKNOWN)
        g_ptr_array_add (plan->why, g_strdup_printf ("nesting on host SMMU %s is not confirmed: %s",
                                                     rc->smmu->name, reason));
    }
}

/* ---- targets ---- */

static void
need_feature (GString *missing, const sw_target *target, feature_id id)
{
  if (sw_target_has (target, id))
    return;
  const feature_info *f = feature_lookup (id);
  if (missing->len > 0)
    g_string_append (missing, "; ");
  if (sw_target_reported (target, id))
    g_string_append_printf (missing, "%s, which it reports it does not have", f->what);
  else
    g_string_append_printf (missing, "%s from %u.%u.%u", f->what, f->since.major, f->since.minor, f->since.micro);
}

static gboolean
refuse_target (const char *what, sw_version v, const char *source, const char *option, GString *missing,
               GError **error)
{
  if (missing->len == 0)
    return TRUE;
  g_autofree char *version = sw_version_to_string (v);
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
               "target %s %s (%s) cannot express this plan: it needs %s; upgrade it, or plan for the machine that "
               "will run the VM with %s VERSION",
               what, version, source, missing->str, option);
  return FALSE;
}

gboolean
plan_check_targets (guest_plan *plan, const plan_request *req, gboolean planned, GError **error)
{
  /* What the plan needs is read off the planned domain (feature_use.c), the
   * same table SMU501 uses; before the plan is built there is nothing to read. */
  if (!planned)
    return TRUE;
  feature_use uses[FEAT_N];
  guest_feature_uses (plan->domain, uses);
  g_autoptr (GString) qemu = g_string_new (NULL);
  g_autoptr (GString) libvirt = g_string_new (NULL);
  for (int f = 0; f < FEAT_N; f++)
    {
      if (uses[f].count == 0)
        continue;
      if (feature_lookup ((feature_id) f)->kind == SW_QEMU)
        need_feature (qemu, &req->target_qemu, (feature_id) f);
      else if (req->check_libvirt)
        need_feature (libvirt, &req->target_libvirt, (feature_id) f);
    }
  if (!refuse_target ("QEMU", req->target_qemu.version, req->target_qemu_source, "--target-qemu", qemu, error)
      || !refuse_target ("libvirt", req->target_libvirt.version, req->target_libvirt_source, "--target-libvirt",
                         libvirt, error))
    return FALSE;
  g_autofree char *q = sw_version_to_string (req->target_qemu.version);
  g_autofree char *l = sw_version_to_string (req->target_libvirt.version);
  g_ptr_array_insert (plan->why, 0,
                      req->check_libvirt
                          ? g_strdup_printf ("targets: QEMU %s (%s), libvirt %s (%s)", q, req->target_qemu_source, l,
                                             req->target_libvirt_source)
                          : g_strdup_printf ("targets: QEMU %s (%s)", q, req->target_qemu_source));
  return TRUE;
}
