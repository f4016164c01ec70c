/* Host-aware rules (SMU3xx, SMU402 with real BARs): a domain checked against
 * the host model it will run on.  Each finding names both sides: the guest
 * element and line, and the host fact (sysfs path, IORT node, ID register)
 * that contradicts it. */
#include "rules.h"

#include "hwinfo.h"
#include "idr.h"
#include "smmucompat.h"
#include "mmio64.h"
#include "units.h"

static const char *
host_name (const host_model *host)
{
  return host->root != NULL ? host->root : "the host";
}

/* SMU302, SMU303: each hostdev against the host's PCI devices. */
static void
check_hostdevs (const guest_domain *dom, const host_model *host, finding_list *out)
{
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = dom->endpoints->pdata[i];
      if (ep->kind != GUEST_EP_HOSTDEV)
        continue;
      const char *path = ep->path;
      if (ep->host_bdf == NULL && ep->host_unknown != NULL)
        {
          /* Passed by file descriptor: which host device is not said, and not guessed. */
          finding_add (out, "SMU310", SEVERITY_INFO, ep->line, path,
                       "validate the domain XML against the host instead, or write host= on the command line",
                       "the host device of %s '%s' is unknown: %s; the host rules leave it out", ep->model,
                       ep->id != NULL ? ep->id : "", ep->host_unknown);
          continue;
        }
      const host_pci_device *dev = host_find_device (host, ep->host_bdf);
      if (dev == NULL)
        {
          finding_add (out, "SMU302", SEVERITY_ERROR, ep->line, path,
                       "run `smmuctl probe` on the host to list its devices, and fix <source><address>",
                       "hostdev source %s is not a PCI device of %s (no /sys/bus/pci/devices/%s)",
                       ep->host_bdf ? ep->host_bdf : "(none)", host_name (host), ep->host_bdf ? ep->host_bdf : "");
          continue;
        }
      if (g_strcmp0 (dev->driver, "vfio-pci") == 0)
        continue;
      const char *driver = dev->driver ? dev->driver : "no driver";
      if (ep->managed)
        finding_add (out, "SMU303", SEVERITY_INFO, ep->line, path, NULL,
                     "%s is bound to %s; managed='yes' lets libvirt rebind it to vfio-pci when the VM starts",
                     dev->bdf, driver);
      else
        {
          g_autofree char *hint = g_strdup_printf (
            "bind it first: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; echo %s > "
            "/sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers_probe — or set managed='yes'",
            dev->bdf, dev->bdf, dev->bdf, dev->bdf);
          finding_add (out, "SMU303", SEVERITY_ERROR, ep->line, path, hint,
                     "%s is bound to %s, not vfio-pci, and the hostdev is managed='no' (%s/driver)",
                     dev->bdf, driver, dev->sysfs_path ? dev->sysfs_path : "sysfs");
        }
    }
}

static const guest_endpoint *
find_hostdev (const guest_domain *dom, const char *bdf)
{
  g_autofree char *want = pci_bdf_normalize (bdf);
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = dom->endpoints->pdata[i];
      if (ep->kind == GUEST_EP_HOSTDEV && g_strcmp0 (ep->host_bdf, want) == 0)
        return ep;
    }
  return NULL;
}

/* SMU305: a group is assigned whole or not at all. */
static void
check_groups (const guest_domain *dom, const host_model *host, finding_list *out)
{
  g_autoptr (GHashTable) reported = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = dom->endpoints->pdata[i];
      if (ep->kind != GUEST_EP_HOSTDEV)
        continue;
      const char *path = ep->path;
      const host_pci_device *dev = host_find_device (host, ep->host_bdf);
      if (dev == NULL || dev->iommu_group < 0
          || g_hash_table_contains (reported, GINT_TO_POINTER (dev->iommu_group)))
        continue;
      g_autoptr (GPtrArray) members = host_group_endpoints (host, dev->iommu_group);
      g_autoptr (GString) missing = g_string_new (NULL);
      for (guint m = 0; m < members->len; m++)
        if (find_hostdev (dom, members->pdata[m]) == NULL)
          g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", (const char *) members->pdata[m]);
      if (missing->len == 0)
        continue;
      g_hash_table_add (reported, GINT_TO_POINTER (dev->iommu_group));
      g_autofree char *hint = g_strdup_printf ("add a <hostdev> for %s too (`smmuctl plan` includes whole groups), "
                                               "or move the device to a slot whose downstream port has ACS",
                                               missing->str);
      finding_add (out, "SMU305", SEVERITY_ERROR, ep->line, path, hint,
                   "IOMMU group %d (/sys/kernel/iommu_groups/%d) of %s also holds %s, which the domain does not assign",
                   dev->iommu_group, dev->iommu_group, dev->bdf, missing->str);
    }
}

/* The host devices of the hostdevs below one root complex. */
static GPtrArray *
devices_below (const guest_domain *dom, const host_model *host, int rc_index)
{
  GPtrArray *devs = g_ptr_array_new ();
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = dom->endpoints->pdata[i];
      if (ep->kind != GUEST_EP_HOSTDEV || guest_root_complex_of_bus (dom, ep->bus) != rc_index)
        continue;
      host_pci_device *dev = host_find_device (host, ep->host_bdf);
      if (dev != NULL)
        g_ptr_array_add (devs, dev);
    }
  return devs;
}

/* SMU301: one vSMMU stands for one host SMMU. Returns that SMMU, or NULL. */
static const host_smmu *
check_one_smmu (const guest_iommu *iommu, const char *path, const GPtrArray *devs, const host_model *host,
                finding_list *out)
{
  const host_smmu *first = NULL;
  g_autoptr (GString) list = g_string_new (NULL);
  gboolean mixed = FALSE;
  for (guint i = 0; i < devs->len; i++)
    {
      const host_pci_device *dev = devs->pdata[i];
      const host_smmu *smmu = host_find_smmu (host, dev->smmu);
      g_string_append_printf (list, "%s%s → %s", list->len ? ", " : "", dev->bdf, dev->smmu ? dev->smmu : "no SMMU");
      if (smmu == NULL)
        continue;
      if (first == NULL)
        first = smmu;
      else if (smmu != first)
        mixed = TRUE;
    }
  if (mixed)
    finding_add (out, "SMU301", SEVERITY_ERROR, iommu->line, path,
                 "give each host SMMU its own pcie-expander-bus and <iommu>; `smmuctl plan` lays this out",
                 "the accelerated vSMMU on controller %d has devices behind different host SMMUs (%s); "
                 "attaching them to one vIOMMU fails with EINVAL when QEMU starts",
                 iommu->pci_bus, list->str);
  return mixed ? NULL : first;
}

static void G_GNUC_PRINTF (6, 7)
caps_finding (finding_list *out, gboolean known, const guest_iommu *iommu, const vsmmu_prop *prop,
              const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *message = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  int line = prop->line > 0 ? prop->line : iommu->line;
  if (known)
    finding_add (out, "SMU306", SEVERITY_ERROR, line, path,
                 "lower the property or drop it (QEMU 11.1+ takes 'auto' for ats, ril and ssidsize)", "%s", message);
  else
    finding_add (out, "SMU306", SEVERITY_WARNING, line, path,
                 "run `sudo smmuctl probe --hwinfo --json` on the host (reads the SMMU's ID registers and the "
                 "device's PCIe capabilities) and validate with --host", "%s", message);
}

/* SMU306: vSMMU properties against what each device below can use; unknown
 * host registers are a warning (SMU309 compares the known ones as QEMU does). */
static void
check_caps (const guest_iommu *iommu, const char *path, const host_smmu *smmu, const GPtrArray *devs,
            finding_list *out)
{
  const host_hwinfo *hw = &smmu->hwinfo;
  const vsmmu_prop *ats = &iommu->props[VSMMU_PROP_ATS];
  const vsmmu_prop *ril = &iommu->props[VSMMU_PROP_RIL];
  const vsmmu_prop *ssid = &iommu->props[VSMMU_PROP_SSIDSIZE];
  const vsmmu_prop *oas = &iommu->props[VSMMU_PROP_OAS];

  if (ats->state == PROP_VALUE && ats->value)
    {
      if (!hw->known)
        caps_finding (out, FALSE, iommu, ats, path, "ats='on' but the ATS support of %s is unknown (IDR0 not read)",
                      smmu->name);
      for (guint i = 0; i < devs->len; i++)
        {
          const host_pci_device *dev = devs->pdata[i];
          const char *source = NULL;
          tristate dev_ats = host_device_ats (dev, &source);
          if (dev_ats == TRI_NO)
            caps_finding (out, TRUE, iommu, ats, path, "ats='on' but %s cannot use ATS (%s: %s)", dev->bdf, source,
                          g_strcmp0 (source, "IOMMU_GET_HW_INFO") == 0 ? "PCI_ATS_NOT_SUPPORTED"
                                                                       : "no ATS capability");
          else if (dev_ats == TRI_UNKNOWN)
            caps_finding (out, FALSE, iommu, ats, path,
                          "ats='on' but whether %s has ATS is unknown (config space beyond 64 bytes needs root)",
                          dev->bdf);
        }
    }
  if (ril->state == PROP_VALUE && ril->value && !hw->known)
    caps_finding (out, FALSE, iommu, ril, path, "ril='on' but range invalidation of %s is unknown", smmu->name);
  if (ssid->state == PROP_VALUE && ssid->value > 0)
    {
      if (!hw->known)
        caps_finding (out, FALSE, iommu, ssid, path, "ssidsize='%u' but the SSID width of %s is unknown", ssid->value,
                      smmu->name);
      for (guint i = 0; i < devs->len; i++)
        {
          const host_pci_device *dev = devs->pdata[i];
          const char *source = NULL;
          int bits = host_device_pasid_bits (dev, &source);
          if (bits == 0)
            caps_finding (out, TRUE, iommu, ssid, path, "ssidsize='%u' but %s has no PASID capability (%s)",
                          ssid->value, dev->bdf, source);
          else if (bits > 0 && ssid->value > (guint) bits)
            caps_finding (out, TRUE, iommu, ssid, path, "ssidsize='%u' exceeds the %d-bit PASID width of %s (%s)",
                          ssid->value, bits, dev->bdf, source);
        }
    }
  if (oas->state == PROP_VALUE && !hw->known)
    caps_finding (out, FALSE, iommu, oas, path, "oas='%u' but the output address size of %s is unknown", oas->value,
                  smmu->name);
}

/* SMU309: QEMU's own host-compatibility check, with QEMU's words. */
static void
check_compat (const guest_iommu *iommu, const char *path, const host_smmu *smmu, sw_version qemu,
              finding_list *out)
{
  g_autoptr (GPtrArray) failed = smmu_compat_check (&smmu->hwinfo, iommu, qemu);
  g_autofree char *release = sw_version_to_string (qemu);
  for (guint i = 0; i < failed->len; i++)
    {
      const smmu_incompat *c = failed->pdata[i];
      g_autofree char *field = smmu_compat_field_name (c->field);
      g_autofree char *hint = c->fixed ? g_strdup_printf ("no vSMMU setting changes %s: pass the devices behind %s "
                                                       "through without accel='on', or leave them out", field,
                                                       smmu->name)
                                    : g_strdup_printf ("lower or leave out the property (%s) to match the host's "
                                                       "%s=%u", c->vsmmu_reason, field, c->host_value);
      finding_add (out, "SMU309", SEVERITY_ERROR, iommu->line, path, hint,
                   "QEMU %s refuses host %s for the accelerated vSMMU on controller %d: \"%s\" (host %s=%u, "
                   "vSMMU %u: %s)", release, smmu->name, iommu->pci_bus, c->message, field, c->host_value,
                   c->vsmmu_value, c->vsmmu_reason);
    }
}

/* SMU308: a pxb's guest NUMA node should be its devices' host node. */
static void
check_numa (const guest_domain *dom, const guest_iommu *iommu, const GPtrArray *devs, finding_list *out)
{
  const guest_bus *rc = guest_find_bus (dom, iommu->pci_bus);
  if (rc == NULL || rc->kind != GUEST_BUS_PXB_PCIE || rc->numa_node < 0)
    return;
  for (guint i = 0; i < devs->len; i++)
    {
      const host_pci_device *dev = devs->pdata[i];
      if (dev->numa_node >= 0 && dev->numa_node != rc->numa_node)
        {
          const char *path = rc->path;
          g_autofree char *hint = g_strdup_printf ("set <target><node>%d</node> on the controller (with a guest NUMA "
                                                   "cell %d) so guest memory and the device share a node", dev->numa_node,
                                                   dev->numa_node);
          finding_add (out, "SMU308", SEVERITY_WARNING, rc->line, path, hint,
                       "%s puts its devices on guest NUMA node %d, but %s is on host node %d (%s/numa_node)", rc->id,
                       rc->numa_node, dev->bdf, dev->numa_node, dev->sysfs_path);
          return;
        }
    }
}

/* SMU301, SMU304, SMU306, SMU307, SMU308, SMU309 for every accelerated vSMMU. */
static void
check_vsmmus (const guest_domain *dom, const host_model *host, const rule_options *opts, finding_list *out)
{
  /* Without a target, the newest QEMU smmuctl knows (what plan writes for). */
  sw_version qemu = opts->have_target_qemu ? opts->target_qemu.version : sw_newest_known (SW_QEMU);
  gboolean any_accel = FALSE;
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = dom->iommus->pdata[i];
      if (!guest_iommu_is_accel (iommu) || iommu->pci_bus < 0)
        continue;
      any_accel = TRUE;
      const char *path = iommu->path;
      g_autoptr (GPtrArray) devs = devices_below (dom, host, iommu->pci_bus);
      const host_smmu *smmu = check_one_smmu (iommu, path, devs, host, out);
      for (guint d = 0; d < devs->len; d++)
        {
          const host_pci_device *dev = devs->pdata[d];
          if (g_strcmp0 (dev->driver, "vfio-pci") == 0 && dev->vfio_cdev == NULL)
            finding_add (out, "SMU304", SEVERITY_ERROR, iommu->line, path,
                         "iommufd passthrough needs a kernel with CONFIG_VFIO_DEVICE_CDEV=y (6.6+)",
                         "%s has no vfio cdev (%s/vfio-dev missing), so QEMU cannot open it through iommufd", dev->bdf,
                         dev->sysfs_path);
        }
      if (smmu == NULL)
        continue;
      check_caps (iommu, path, smmu, devs, out);
      check_compat (iommu, path, smmu, qemu, out);
      const char *reason;
      if (host_smmu_nesting (smmu, &reason) == TRI_NO)
        finding_add (out, "SMU307", SEVERITY_ERROR, iommu->line, path,
                     "use devices behind an SMMU that can nest, or drop accel='on' (an emulated vSMMU still works)",
                     "the vSMMU on controller %d is accelerated, but host %s cannot nest: %s", iommu->pci_bus,
                     smmu->name, reason);
      check_numa (dom, iommu, devs, out);
    }
  if (any_accel && !host->dev_iommu.present)
    finding_add (out, "SMU304", SEVERITY_ERROR, 0, NULL,
                 "load iommufd (modprobe iommufd; kernel 6.6+ with CONFIG_IOMMUFD) before starting the VM",
                 "the domain uses accelerated vSMMUs but %s has no /dev/iommu", host_name (host));
}

/* SMU402 with the real BAR sizes of the assigned devices, computed as the
 * planner does (mmio64.c). */
static void
check_mmio (const guest_domain *dom, const host_model *host, finding_list *out)
{
  guint64 need = mmio64_need (dom, host);
  gboolean declared = dom->mmio64_source != GUEST_MMIO64_DEFAULT && !dom->mmio64_unparsed;
  guint64 window = declared ? dom->mmio64_size : GUEST_DEFAULT_MMIO64_SIZE;
  if (need <= window)
    return;
  g_autofree char *need_text = units_format_size (need);
  g_autofree char *window_text = units_format_size (window);
  guint64 fit = mmio64_window_for (need);
  g_autofree char *fit_text = units_format_size (fit);
  g_autofree char *qemu_size = g_strdup_printf ("%" G_GUINT64_FORMAT "G", fit >> 30);
  g_autofree char *hint = dom->origin == GUEST_FROM_QEMU_ARGV
    ? g_strdup_printf ("raise the window to %s: -machine highmem-mmio-size=%s", fit_text, qemu_size)
    : g_strdup_printf ("raise the window to %s: <controller type='pci' index='0' model='pcie-root'><pcihole64 "
                       "unit='KiB'>%" G_GUINT64_FORMAT "</pcihole64></controller> (libvirt 12.9+; older libvirt: "
                       "<qemu:commandline> -machine highmem-mmio-size=%s)", fit_text, fit >> 10, qemu_size);
  finding_add (out, "SMU402", SEVERITY_WARNING, dom->mmio64_line > 0 ? dom->mmio64_line : dom->line,
               dom->mmio64_path, hint,
               "the assigned devices' 64-bit prefetchable BARs take %s of the window, bridge windows aligned, but "
               "the 64-bit MMIO window is %s%s; the guest cannot map them",
               need_text, window_text, declared ? "" : " (QEMU virt's default)");
}

void
rules_check_host (const guest_domain *dom, const host_model *host, const rule_options *opts, finding_list *out)
{
  static const rule_options no_targets = { 0 };
  check_hostdevs (dom, host, out);
  check_groups (dom, host, out);
  check_vsmmus (dom, host, opts != NULL ? opts : &no_targets, out);
  check_mmio (dom, host, out);
}
