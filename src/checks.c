#include "checks.h"
#include "tools.h"

#include "smmucompat.h"
#include "versions.h"

const char *
check_status_name (check_status status)
{
  static const char *const names[] = { "PASS", "NOTE", "WARN", "FAIL" };
  return names[status];
}

static void
host_check_free (host_check *c)
{
  g_free (c->subject);
  g_free (c->message);
  g_free (c->hint);
  g_free (c);
}

static host_check * G_GNUC_PRINTF (5, 6)
add (GPtrArray *out, check_status status, const char *id, const char *subject, const char *fmt, ...)
{
  host_check *c = g_new0 (host_check, 1);
  va_list ap;
  va_start (ap, fmt);
  c->status = status;
  c->id = id;
  c->subject = g_strdup (subject);
  c->message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (out, c);
  return c;
}

static gboolean
is_vfio (const host_pci_device *dev)
{
  return g_strcmp0 (dev->driver, "vfio-pci") == 0;
}

/* GPUs and accelerators are what people pass through; a NIC or disk on its
 * native driver is usually the host's own. */
static gboolean
is_passthrough_candidate (const host_pci_device *dev)
{
  guint32 base = dev->class_code >> 16;
  return base == 0x03 || base == 0x12;
}

static void
check_iommufd (const host_model *host, GPtrArray *out)
{
  if (host->dev_iommu.present)
    add (out, CHECK_PASS, "iommufd", NULL, "iommufd (/dev/iommu present, mode %04o uid %u gid %u)",
         host->dev_iommu.mode, host->dev_iommu.uid, host->dev_iommu.gid);
  else
    add (out, CHECK_FAIL, "iommufd", NULL, "iommufd: no /dev/iommu")->hint
      = g_strdup ("accelerated vSMMUs need a kernel with CONFIG_IOMMUFD (6.6+ for vfio cdev): modprobe iommufd");
}

static void
check_vfio (const host_model *host, GPtrArray *out)
{
  guint n_vfio = 0;
  g_autoptr (GString) missing = g_string_new (NULL);
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (!is_vfio (dev))
        continue;
      n_vfio++;
      if (dev->vfio_cdev == NULL)
        g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", dev->bdf);
    }
  if (n_vfio == 0)
    {
      add (out, CHECK_NOTE, "vfio-cdev", NULL, "no device is bound to vfio-pci yet");
      return;
    }
  if (missing->len == 0 && host->vfio_devices_dir.present)
    add (out, CHECK_PASS, "vfio-cdev", NULL, "vfio cdev for every vfio-pci device (%u)", n_vfio);
  else
    add (out, CHECK_FAIL, "vfio-cdev", NULL, "no vfio cdev for %s",
         missing->len ? missing->str : "any device (/dev/vfio/devices missing)")->hint
      = g_strdup ("iommufd passthrough needs CONFIG_VFIO_DEVICE_CDEV=y (kernel 6.6+); legacy /dev/vfio/N groups cannot back an accelerated vSMMU");
}

static void
check_drivers (const host_model *host, GPtrArray *out)
{
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (dev->is_bridge || is_vfio (dev) || !is_passthrough_candidate (dev))
        continue;
      host_check *c = add (out, CHECK_WARN, "vfio-bound", dev->bdf, "%s is bound to %s, not vfio-pci", dev->bdf,
                           dev->driver ? dev->driver : "no driver");
      c->hint = g_strdup_printf ("echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; "
                                 "echo %s > /sys/bus/pci/drivers_probe (after unbinding), or use managed='yes'",
                                 dev->bdf, dev->bdf);
    }
}

static void
check_groups (const host_model *host, GPtrArray *out)
{
  guint problems = 0, checked = 0;
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (!is_vfio (dev) || dev->iommu_group < 0)
        continue;
      checked++;
      g_autoptr (GPtrArray) members = host_group_endpoints (host, dev->iommu_group);
      for (guint m = 0; m < members->len; m++)
        {
          const host_pci_device *other = host_find_device (host, members->pdata[m]);
          if (other == NULL || other == dev || is_vfio (other))
            continue;
          problems++;
          add (out, CHECK_FAIL, "group-viable", dev->bdf,
               "IOMMU group %d of %s also holds %s (%s)", dev->iommu_group, dev->bdf, other->bdf,
               other->driver ? other->driver : "no driver")->hint
            = g_strdup_printf ("a group is assigned whole: bind %s to vfio-pci too, or pick a slot with ACS",
                               other->bdf);
        }
    }
  if (checked > 0 && problems == 0)
    add (out, CHECK_PASS, "group-viable", NULL, "IOMMU groups of vfio devices hold no other endpoints");
}

/* QEMU's host check for a vSMMU with every property auto (as plan writes
 * them when it may): what remains are the fields no property changes. */
static void
check_qemu_accel (const host_model *host, const host_smmu *smmu, GPtrArray *out)
{
  if (!smmu->hwinfo.known)
    return;
  sw_version qemu = sw_newest_known (SW_QEMU);
  if (host->tools.qemu_version != NULL && sw_version_parse (host->tools.qemu_version, &qemu)
      && !sw_has_feature (qemu, FEAT_QEMU_SMMUV3_ACCEL))
    qemu = sw_newest_known (SW_QEMU); /* judged for a QEMU that has accel; check_tools says the rest */
  guest_iommu *vsmmu = guest_iommu_new ();
  vsmmu->props[VSMMU_PROP_ACCEL] = (vsmmu_prop) { .state = PROP_VALUE, .value = 1 };
  for (int p = VSMMU_PROP_ATS; p < VSMMU_N_PROPS; p++)
    vsmmu->props[p].state = PROP_AUTO;
  g_autoptr (GPtrArray) refused = smmu_compat_check (&smmu->hwinfo, vsmmu, qemu);
  guest_iommu_free (vsmmu);
  g_autofree char *release = sw_version_to_string (qemu);
  if (refused->len == 0)
    add (out, CHECK_PASS, "qemu-accel", smmu->name, "%s passes QEMU %s's host check for accelerated vSMMUs",
         smmu->name, release);
  for (guint i = 0; i < refused->len; i++)
    {
      const smmu_incompat *c = refused->pdata[i];
      add (out, CHECK_FAIL, "qemu-accel", smmu->name, "QEMU %s refuses %s for an accelerated vSMMU: \"%s\"", release,
           smmu->name, c->message)->hint
        = g_strdup ("pass the devices behind it through without accel=on (smmuctl explain SMU309)");
    }
}

static void
check_nesting (const host_model *host, GPtrArray *out)
{
  if (host->smmus->len == 0)
    {
      add (out, CHECK_FAIL, "smmuv3", NULL, "no SMMUv3 found")->hint
        = g_strdup ("is the arm-smmu-v3 driver loaded? `ls /sys/class/iommu` lists the IOMMUs");
      return;
    }
  for (guint i = 0; i < host->smmus->len; i++)
    {
      const host_smmu *smmu = host->smmus->pdata[i];
      gboolean has_vfio = FALSE;
      for (guint d = 0; d < smmu->devices->len && !has_vfio; d++)
        {
          const host_pci_device *dev = host_find_device (host, smmu->devices->pdata[d]);
          has_vfio = dev != NULL && is_vfio (dev);
        }
      if (!has_vfio)
        continue; /* only SMMUs that would back a vSMMU matter */
      const char *reason;
      tristate nesting = host_smmu_nesting (smmu, &reason);
      static const check_status status[] = { [TRI_UNKNOWN] = CHECK_NOTE, [TRI_NO] = CHECK_FAIL, [TRI_YES] = CHECK_PASS };
      host_check *c = add (out, status[nesting], "nesting", smmu->name, "%s nesting %s: %s", smmu->name,
                           tristate_name (nesting), reason);
      if (nesting == TRI_UNKNOWN)
        c->hint = g_strdup ("sudo smmuctl probe --hwinfo reads the ID registers through iommufd");
      check_qemu_accel (host, smmu, out);
    }
}

static void
check_msi (const host_model *host, GPtrArray *out)
{
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (!is_vfio (dev) || dev->smmu == NULL)
        continue;
      const host_iommu_group *group = host_find_group (host, dev->iommu_group);
      if (group == NULL || group->reserved_regions->len == 0)
        continue; /* not read: nothing to say */
      gboolean msi = FALSE;
      for (guint r = 0; r < group->reserved_regions->len; r++)
        msi |= g_strcmp0 (g_array_index (group->reserved_regions, host_reserved_region, r).type, "msi") == 0;
      if (!msi)
        add (out, CHECK_WARN, "msi-window", dev->bdf,
             "IOMMU group %d of %s has no 'msi' reserved region; guest MSIs may not be mapped", group->id, dev->bdf);
    }
}

static void
check_tools (const host_model *host, GPtrArray *out)
{
  const host_tools *t = &host->tools;
  if (!t->probed)
    return;
  /* What the programs reported about themselves outranks their numbers. */
  sw_version v;
  sw_target qemu = tools_target (t, SW_QEMU), libvirt = tools_target (t, SW_LIBVIRT);
  if (t->qemu_version == NULL || !sw_version_parse (t->qemu_version, &v))
    add (out, CHECK_NOTE, "qemu", NULL, "qemu-system-aarch64 not found");
  else if (!sw_target_has (&qemu, FEAT_QEMU_SMMUV3_ACCEL))
    {
      const feature_info *f = feature_lookup (FEAT_QEMU_SMMUV3_ACCEL);
      g_autofree char *need = sw_version_to_string (f->since);
      add (out, CHECK_WARN, "qemu", NULL, "QEMU %s cannot run an accelerated vSMMU (needs %s)", t->qemu_version,
           need)->hint = g_strdup ("plan with --target-qemu for the QEMU that will run the VM");
    }
  else
    add (out, CHECK_PASS, "qemu", NULL, "QEMU %s supports arm-smmuv3,accel=on", t->qemu_version);
  if (t->libvirt_version != NULL && sw_version_parse (t->libvirt_version, &v)
      && !sw_target_has (&libvirt, FEAT_LIBVIRT_IOMMU_PCIBUS))
    {
      const feature_info *f = feature_lookup (FEAT_LIBVIRT_IOMMU_PCIBUS);
      g_autofree char *need = sw_version_to_string (f->since);
      add (out, CHECK_WARN, "libvirt", NULL, "libvirt %s has no per-bus smmuv3 (<driver pciBus>, needs %s)",
           t->libvirt_version, need)->hint = g_strdup ("use --format qemu, or plan with --target-libvirt");
    }
}

GPtrArray *
host_checks_run (const host_model *host)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) host_check_free);
  check_iommufd (host, out);
  check_vfio (host, out);
  check_drivers (host, out);
  check_groups (host, out);
  check_nesting (host, out);
  check_msi (host, out);
  check_tools (host, out);
  return out;
}

json_object *
host_checks_to_json (const GPtrArray *checks)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < checks->len; i++)
    {
      const host_check *c = checks->pdata[i];
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "status", json_object_new_string (check_status_name (c->status)));
      json_object_object_add (o, "id", json_object_new_string (c->id));
      json_object_object_add (o, "subject", c->subject ? json_object_new_string (c->subject) : NULL);
      json_object_object_add (o, "message", json_object_new_string (c->message));
      json_object_object_add (o, "hint", c->hint ? json_object_new_string (c->hint) : NULL);
      json_object_array_add (array, o);
    }
  return array;
}

gboolean
host_checks_failed (const GPtrArray *checks)
{
  for (guint i = 0; i < checks->len; i++)
    if (((const host_check *) checks->pdata[i])->status == CHECK_FAIL)
      return TRUE;
  return FALSE;
}
