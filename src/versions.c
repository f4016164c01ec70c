#include "versions.h"

#include <stdio.h>

/* Every row was checked in the real-stack tier (tests/realstack): QEMU
 * 11.1.3 with libvirt 12.9.0 (Debian trixie-backports) and QEMU 10.0.13 with
 * libvirt 11.3.0 (trixie), plus QEMU 7.2 (Debian 12).  Where the first
 * release lies between two releases that were run, `since` comes from the
 * project's documentation or NEWS when they name it, else it is the first
 * release seen to have the feature and `checked` says so; explain SMU501 and
 * the README print `checked`. */
static const feature_info features[FEAT_N] = {
  { FEAT_QEMU_IOMMUFD, SW_QEMU, "qemu.iommufd", { 8, 2, 0 },
    "-object iommufd and vfio-pci iommufd=",
    "ran: QEMU 7.2 has no iommufd object, 10.0 and 11.1 have it; 8.2 from QEMU's changelog",
    "QEMU 7.2 exits: \"Parameter 'qom-type' does not accept value 'iommufd'\"" },
  { FEAT_QEMU_HIGHMEM_MMIO_SIZE, SW_QEMU, "qemu.highmem_mmio_size", { 10, 0, 0 },
    "-machine virt,highmem-mmio-size=",
    "ran: QEMU 7.2 lacks it, 10.0 and 11.1 have it",
    "QEMU 7.2 exits: \"Property 'virt-7.2-machine.highmem-mmio-size' not found\"" },
  { FEAT_QEMU_SMMUV3_PLUGGABLE, SW_QEMU, "qemu.smmuv3_pluggable", { 10, 2, 0 },
    "-device arm-smmuv3,primary-bus= (one per root complex)",
    "ran: in QEMU 10.0 arm-smmuv3 is not user-creatable, in 11.1 it is; 10.2 from libvirt's gating of "
    "smmu_per_bus",
    "QEMU 10.0 exits: \"Parameter 'driver' expects a pluggable device type\"" },
  { FEAT_QEMU_SMMUV3_ACCEL, SW_QEMU, "qemu.smmuv3_accel", { 11, 0, 0 },
    "arm-smmuv3 accel=on with ats, ril, ssidsize, oas",
    "ran: QEMU 10.0 lacks it, 11.1 has it; 11.0 from QEMU's changelog",
    "QEMU 10.0 exits: \"Parameter 'driver' expects a pluggable device type\" (it has no user-creatable "
    "arm-smmuv3)" },
  { FEAT_QEMU_SMMUV3_AUTO, SW_QEMU, "qemu.smmuv3_auto", { 11, 1, 0 },
    "arm-smmuv3 ats/ril/ssidsize/oas/cmdqv=auto from the host's hw_info (the default)",
    "ran: QEMU 11.1 has them (OnOffAuto, default auto), 10.0 lacks them; 11.0 not run", NULL },
  { FEAT_QEMU_SMMUV3_CMDQV, SW_QEMU, "qemu.smmuv3_cmdqv", { 11, 1, 0 },
    "arm-smmuv3 cmdqv= (Tegra241 CMDQV)",
    "ran: QEMU 11.1 has cmdqv=<OnOffAuto>, 10.0 lacks it; 11.0 not run (vendor trees carried it then)",
    NULL },
  { FEAT_LIBVIRT_IOMMU_PCIBUS, SW_LIBVIRT, "libvirt.iommu_pcibus", { 11, 10, 0 },
    "<iommu model='smmuv3'><driver pciBus=…/> (several vSMMUs)",
    "ran: libvirt 11.3 drops pciBus, 12.9 keeps it; 11.10 from libvirt's documentation (\"Since 11.10.0\")",
    "libvirt 11.3 drops pciBus at define (the vSMMU becomes the machine-wide -machine virt,iommu=smmuv3 on "
    "pcie.0) and refuses a second <iommu>: \"XML error: only a single IOMMU device is supported\"" },
  { FEAT_LIBVIRT_HOSTDEV_IOMMUFD, SW_LIBVIRT, "libvirt.hostdev_iommufd", { 12, 1, 0 },
    "<hostdev><driver iommufd='yes'/>",
    "ran: libvirt 11.3 drops it, 12.9 keeps it and lists iommufd in domcapabilities; 12.1 from libvirt's NEWS",
    "libvirt 11.3 drops it at define: the device uses the legacy VFIO container" },
  { FEAT_LIBVIRT_DOMAIN_IOMMUFD, SW_LIBVIRT, "libvirt.domain_iommufd", { 12, 2, 0 },
    "domain-level <iommufd enabled='yes'/>",
    "ran: libvirt 11.3 drops it, 12.9 keeps it; 12.2 from libvirt's NEWS",
    "libvirt 11.3 drops it at define: every hostdev uses the legacy VFIO container" },
  { FEAT_LIBVIRT_SMMUV3_ACCEL, SW_LIBVIRT, "libvirt.smmuv3_accel", { 12, 9, 0 },
    "<iommu><driver accel= ats= ril= ssidsize= oas=/>",
    "ran: libvirt 11.3 drops them, 12.9 keeps them; releases 12.6 to 12.8 not checked (NEWS up to 12.5 does "
    "not list them), so an earlier one may have them",
    "libvirt 11.3 drops them at define: the vSMMU is not accelerated" },
  { FEAT_LIBVIRT_SMMUV3_CMDQV, SW_LIBVIRT, "libvirt.smmuv3_cmdqv", { 12, 9, 0 },
    "<iommu><driver cmdqv=/>",
    "ran: libvirt 11.3 drops it, 12.9 keeps it and passes cmdqv to QEMU; releases 12.6 to 12.8 not checked",
    "libvirt 11.3 drops it at define" },
  { FEAT_LIBVIRT_PCIHOLE64_VIRT, SW_LIBVIRT, "libvirt.pcihole64_virt", { 12, 9, 0 },
    "<controller model='pcie-root'><pcihole64/> as highmem-mmio-size on aarch64 virt",
    "ran: libvirt 11.3 refuses it, 12.9 passes it as -machine highmem-mmio-size; releases 11.4 to 12.8 not "
    "checked",
    "libvirt 11.3 refuses the domain at define: \"unsupported configuration: Setting the 64-bit PCI hole size "
    "is not supported for machine 'virt-10.0'\"" },
};

G_STATIC_ASSERT (FEAT_N <= 32); /* sw_target keeps one bit per feature */

static const sw_version newest_known[] = {
  [SW_QEMU] = { 11, 1, 0 },
  [SW_LIBVIRT] = { 12, 9, 0 },
};

const feature_info *
feature_lookup (feature_id id)
{
  g_return_val_if_fail (id < FEAT_N, NULL);
  return &features[id];
}

const feature_info *
feature_table (gsize *n)
{
  *n = G_N_ELEMENTS (features);
  return features;
}

sw_version
sw_newest_known (sw_kind kind)
{
  return newest_known[kind];
}

gboolean
sw_version_parse (const char *text, sw_version *out)
{
  if (text == NULL)
    return FALSE;
  if (*text == 'v' || *text == 'V')
    text++;
  sw_version v = { 0, 0, 0 };
  guint *parts[] = { &v.major, &v.minor, &v.micro };
  const char *p = text;
  for (int i = 0; i < 3; i++)
    {
      if (!g_ascii_isdigit (*p))
        {
          if (i == 0)
            return FALSE;
          break;
        }
      guint64 n = 0;
      while (g_ascii_isdigit (*p))
        {
          n = n * 10 + (guint64) (*p++ - '0');
          if (n > 100000)
            return FALSE;
        }
      *parts[i] = (guint) n;
      if (*p != '.')
        break;
      p++;
    }
  /* Allow release suffixes ("-rc1", "+dfsg", " (Debian …)"), not garbage digits. */
  if (*p != '\0' && *p != '-' && *p != '+' && *p != ' ' && *p != '~')
    return FALSE;
  *out = v;
  return TRUE;
}

int
sw_version_compare (sw_version a, sw_version b)
{
  if (a.major != b.major)
    return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor)
    return a.minor < b.minor ? -1 : 1;
  if (a.micro != b.micro)
    return a.micro < b.micro ? -1 : 1;
  return 0;
}

char *
sw_version_to_string (sw_version v)
{
  return g_strdup_printf ("%u.%u.%u", v.major, v.minor, v.micro);
}

const feature_info *
feature_by_key (const char *key)
{
  for (gsize i = 0; key != NULL && i < G_N_ELEMENTS (features); i++)
    if (g_strcmp0 (features[i].key, key) == 0)
      return &features[i];
  return NULL;
}

gboolean
sw_has_feature (sw_version v, feature_id id)
{
  const feature_info *f = feature_lookup (id);
  if (f->since.major == 0)
    return FALSE;
  return sw_version_compare (v, f->since) >= 0;
}

sw_target
sw_target_from_version (sw_version v)
{
  return (sw_target) { v, 0, 0 };
}

void
sw_target_report (sw_target *t, feature_id id, gboolean has)
{
  g_return_if_fail (id < FEAT_N);
  guint32 bit = 1u << id;
  t->reported_yes = has ? t->reported_yes | bit : t->reported_yes & ~bit;
  t->reported_no = has ? t->reported_no & ~bit : t->reported_no | bit;
}

gboolean
sw_target_reported (const sw_target *t, feature_id id)
{
  return ((t->reported_yes | t->reported_no) & (1u << id)) != 0;
}

gboolean
sw_target_has (const sw_target *t, feature_id id)
{
  if (t->reported_yes & (1u << id))
    return TRUE;
  if (t->reported_no & (1u << id))
    return FALSE;
  return sw_has_feature (t->version, id);
}
