/* What the host lets a vSMMU promise (SPEC §5 rules 6 and 7): accelerated
 * vSMMU properties from the host SMMU's ID registers and its devices'
 * capabilities, and how the 64-bit MMIO window is declared (its size is
 * mmio64.c's). */
#include "planner_private.h"

#include "hwinfo.h"
#include "idr.h"

/* QEMU's arm-smmuv3 accel property names (upstream spelling; libvirt uses
 * the same names on <driver>). */
static const char *const prop_spelling[VSMMU_N_PROPS] = {
  [VSMMU_PROP_ACCEL] = "accel", [VSMMU_PROP_ATS] = "ats",       [VSMMU_PROP_RIL] = "ril",
  [VSMMU_PROP_SSIDSIZE] = "ssidsize", [VSMMU_PROP_OAS] = "oas", [VSMMU_PROP_CMDQV] = "cmdqv",
};

/* The only output address sizes QEMU's accelerated SMMUv3 offers, smallest
 * first; the first one is its default. */
static const guint qemu_accel_oas_bits[] = { 44, 48 };

static void
set_prop (guest_iommu *iommu, vsmmu_prop_id id, prop_state state, guint value)
{
  vsmmu_prop *prop = &iommu->props[id];
  prop->state = state;
  prop->value = value;
  g_free (prop->spelling);
  prop->spelling = g_strdup (prop_spelling[id]);
}

/* YES when every device can use ATS behind its SMMU, NO when one cannot. */
static tristate
all_devices_ats (const host_pci_device *const *devices, guint n)
{
  tristate result = TRI_YES;
  for (guint i = 0; i < n; i++)
    {
      tristate t = host_device_ats (devices[i], NULL);
      if (t == TRI_NO)
        return TRI_NO;
      if (t == TRI_UNKNOWN)
        result = TRI_UNKNOWN;
    }
  return result;
}

/* Narrowest PASID width the devices can use (0 for one without PASID), -1
 * when one of them is unknown. */
static int
device_pasid_bits (const host_pci_device *const *devices, guint n)
{
  int bits = PLAN_QEMU_SSIDSIZE_MAX;
  gboolean unknown = FALSE;
  for (guint i = 0; i < n; i++)
    {
      int width = host_device_pasid_bits (devices[i], NULL);
      if (width == 0)
        return 0;
      if (width < 0)
        unknown = TRUE;
      else
        bits = MIN (bits, width);
    }
  return unknown ? -1 : bits;
}

/* An unknown property: `auto` when the target QEMU fills it from hw_info
 * (the launch script writes it; libvirt XML has no `auto`, so the XML leaves
 * the attribute out, which is the same: auto is QEMU's default), otherwise
 * absent (QEMU's default) and named in the warning. */
static void
unknown_prop (guest_iommu *iommu, vsmmu_prop_id id, gboolean has_auto, const char *why_unknown, GString *why,
              GString *omitted)
{
  if (has_auto)
    {
      set_prop (iommu, id, PROP_AUTO, 0);
      g_string_append_printf (why, "; %s=auto: %s, QEMU fills it from the host's hw_info", prop_spelling[id],
                              why_unknown);
      return;
    }
  set_prop (iommu, id, PROP_ABSENT, 0);
  g_string_append_printf (why, "; %s left to QEMU's default: %s", prop_spelling[id], why_unknown);
  g_string_append_printf (omitted, "%s%s", omitted->len ? ", " : "", prop_spelling[id]);
}

void
plan_derive_vsmmu_props (const host_smmu *smmu, const host_pci_device *const *devices, guint n_devices,
                         sw_target target_qemu, guest_iommu *iommu, GString *why, GPtrArray *warnings)
{
  const host_hwinfo *hw = &smmu->hwinfo;
  gboolean has_auto = sw_target_has (&target_qemu, FEAT_QEMU_SMMUV3_AUTO);
  const char *regs_unknown = "the host SMMU's ID registers are unknown";
  g_autoptr (GString) omitted = g_string_new (NULL);

  set_prop (iommu, VSMMU_PROP_ACCEL, PROP_VALUE, 1);

  /* ats: the SMMU and every device below it must do ATS */
  tristate dev_ats = all_devices_ats (devices, n_devices);
  tristate host_ats = hw->known ? (idr_get (hw->idr, IDR_ATS) ? TRI_YES : TRI_NO) : TRI_UNKNOWN;
  if (host_ats == TRI_NO || dev_ats == TRI_NO)
    {
      set_prop (iommu, VSMMU_PROP_ATS, PROP_VALUE, 0);
      g_string_append_printf (why, "; ats=off: %s", host_ats == TRI_NO ? "the host SMMU has no ATS (IDR0.ATS=0)"
                                                                        : "a device below it cannot use ATS");
    }
  else if (host_ats == TRI_YES && dev_ats == TRI_YES)
    {
      set_prop (iommu, VSMMU_PROP_ATS, PROP_VALUE, 1);
      g_string_append (why, "; ats=on: the host SMMU (IDR0.ATS) and every device below it do ATS");
    }
  else
    unknown_prop (iommu, VSMMU_PROP_ATS, has_auto,
                  host_ats == TRI_UNKNOWN ? regs_unknown : "a device's ATS capability is unknown (config space "
                                                           "beyond 64 bytes needs root)",
                  why, omitted);

  /* ril: range invalidation, IDR3.RIL */
  if (hw->known)
    {
      guint ril = idr_get (hw->idr, IDR_RIL);
      set_prop (iommu, VSMMU_PROP_RIL, PROP_VALUE, ril);
      g_string_append_printf (why, "; ril=%s: host IDR3.RIL=%u", ril ? "on" : "off", ril);
    }
  else
    unknown_prop (iommu, VSMMU_PROP_RIL, has_auto, regs_unknown, why, omitted);

  /* ssidsize: no wider than the host SMMU, the devices and QEMU's limit */
  int dev_bits = device_pasid_bits (devices, n_devices);
  int host_bits = hw->known ? (int) idr_get (hw->idr, IDR_SSIDSIZE) : -1;
  if (dev_bits == 0)
    {
      set_prop (iommu, VSMMU_PROP_SSIDSIZE, PROP_VALUE, 0);
      g_string_append (why, "; ssidsize=0: a device below it has no PASID capability");
    }
  else if (host_bits >= 0 && dev_bits > 0)
    {
      guint bits = (guint) MIN (MIN (host_bits, dev_bits), PLAN_QEMU_SSIDSIZE_MAX);
      set_prop (iommu, VSMMU_PROP_SSIDSIZE, PROP_VALUE, bits);
      g_string_append_printf (why, "; ssidsize=%u: the smallest of host IDR1.SSIDSIZE %d, device PASID width %d "
                                   "and QEMU's maximum %d",
                              bits, host_bits, dev_bits, PLAN_QEMU_SSIDSIZE_MAX);
    }
  else if (host_bits == 0)
    {
      set_prop (iommu, VSMMU_PROP_SSIDSIZE, PROP_VALUE, 0);
      g_string_append (why, "; ssidsize=0: the host SMMU has no substreams (IDR1.SSIDSIZE=0)");
    }
  else
    unknown_prop (iommu, VSMMU_PROP_SSIDSIZE, has_auto,
                  host_bits < 0 ? regs_unknown : "a device's PASID width is unknown (config space beyond 64 bytes "
                                                 "needs root)",
                  why, omitted);

  /* oas: the largest size QEMU offers that the host SMMU covers */
  guint host_oas = hw->known ? idr_oas_bits (idr_get (hw->idr, IDR_OAS)) : 0;
  guint oas = 0;
  for (gsize i = 0; i < G_N_ELEMENTS (qemu_accel_oas_bits); i++)
    if (qemu_accel_oas_bits[i] <= host_oas)
      oas = qemu_accel_oas_bits[i];
  if (oas > 0)
    {
      set_prop (iommu, VSMMU_PROP_OAS, PROP_VALUE, oas);
      g_string_append_printf (why, "; oas=%u: the largest QEMU offers (44 or 48) within the host's %u-bit OAS",
                              oas, host_oas);
    }
  else if (hw->known)
    {
      set_prop (iommu, VSMMU_PROP_OAS, PROP_ABSENT, 0);
      g_string_append_printf (why, "; oas omitted: the host's %u-bit OAS is below QEMU's smallest (44)", host_oas);
      g_ptr_array_add (warnings, g_strdup_printf ("%s: host SMMU %s has a %u-bit output address size, below the "
                                                  "44 bits QEMU's accelerated vSMMU promises at least",
                                                  iommu->id, smmu->name, host_oas));
    }
  else
    unknown_prop (iommu, VSMMU_PROP_OAS, has_auto, regs_unknown, why, omitted);

  if (omitted->len > 0)
    {
      g_ptr_array_add (warnings,
                       g_strdup_printf ("%s: %s left to QEMU's defaults for host SMMU %s: the capability is unknown "
                                        "and %s; read it with `smmuctl probe --hwinfo` as root, or give "
                                        "--hwinfo-json",
                                        iommu->id, omitted->str, smmu->name, "the target QEMU has no auto values"));
    }
}

void
plan_choose_mmio64_source (guest_plan *plan, const plan_request *req)
{
  guest_domain *dom = plan->domain;
  /* A base that declares it on the QEMU command line keeps that way (a later
   * -machine option wins over libvirt's own). */
  if (dom->mmio64_source == GUEST_MMIO64_QEMU_COMMANDLINE)
    return;
  gboolean pcihole64 = req->check_libvirt && sw_target_has (&req->target_libvirt, FEAT_LIBVIRT_PCIHOLE64_VIRT);
  dom->mmio64_source = pcihole64 ? GUEST_MMIO64_PCIHOLE64 : GUEST_MMIO64_QEMU_COMMANDLINE;
  g_autofree char *libvirt = sw_version_to_string (req->target_libvirt.version);
  if (!req->check_libvirt)
    return;
  g_ptr_array_add (plan->why,
                   pcihole64 ? g_strdup_printf ("the window is <pcihole64> on pcie-root: libvirt %s passes it to QEMU "
                                                "as -machine highmem-mmio-size", libvirt)
                             : g_strdup_printf ("the window is a <qemu:commandline> -machine highmem-mmio-size "
                                                "(which taints the domain): libvirt %s cannot pass <pcihole64> on "
                                                "the virt machine", libvirt));
}
