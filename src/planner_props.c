/* What the host lets a vSMMU promise (SPEC §5 rules 6 and 7): accelerated
 * vSMMU properties from the host SMMU's ID registers and its devices'
 * capabilities, and the 64-bit MMIO window from their BARs. */
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

/* An unknown property: `auto` when the target QEMU fills it from hw_info,
 * otherwise absent (QEMU's default) and named in the warning. */
static void
unknown_prop (guest_iommu *iommu, vsmmu_prop_id id, gboolean has_auto, const char *why_unknown, GString *why,
              GString *omitted)
{
  if (has_auto && id != VSMMU_PROP_OAS)
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
                         sw_version target_qemu, guest_iommu *iommu, GString *why, GPtrArray *warnings)
{
  const host_hwinfo *hw = &smmu->hwinfo;
  gboolean has_auto = sw_has_feature (target_qemu, FEAT_QEMU_SMMUV3_AUTO);
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

  /* oas: the largest size QEMU offers that the host SMMU covers; no auto */
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
    unknown_prop (iommu, VSMMU_PROP_OAS, FALSE, regs_unknown, why, omitted);

  if (omitted->len > 0)
    {
      g_ptr_array_add (warnings,
                       g_strdup_printf ("%s: %s left to QEMU's defaults for host SMMU %s: the capability is unknown "
                                        "and %s; read it with `smmuctl probe --hwinfo` as root, or give "
                                        "--hwinfo-json",
                                        iommu->id, omitted->str, smmu->name,
                                        has_auto ? "oas has no auto value"
                                                 : "the target QEMU has no auto values"));
    }
}

guint64
plan_mmio64_window (guint64 bar64_total)
{
  guint64 want = bar64_total + bar64_total / 4;
  guint64 window = GUEST_DEFAULT_MMIO64_SIZE;
  while (window < want && window < (G_GUINT64_CONSTANT (1) << 62))
    window <<= 1;
  return window;
}

