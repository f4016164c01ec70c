#include "versions.h"

#include <stdio.h>

/* Sources: QEMU hw/arm/smmuv3-accel.c and qemu-options.hx history, libvirt
 * NEWS.rst and docs/formatdomain.rst, cross-checked with libvirt's own gating
 * (QEMU_CAPS_ARM_SMMUV3_SMMU_PER_BUS needs QEMU 10.2).  Confirmed: pciBus
 * "Since 11.10.0"; hostdev iommufd in 12.1 and the domain <iommufd> element
 * in 12.2 (NEWS).  Not confirmed: the release of the accel attributes.  They
 * are upstream (tests/qemuxmlconfdata/iommu-smmuv3-pci-bus-accel.xml) but the
 * NEWS of 12.1 to 12.5 does not list them, so 12.6 is the earliest release
 * that can have them; and the newest release: 12.7 at least, as patches in
 * review carry "Since 12.8.0".  One edit here fixes each if a release note
 * disagrees. */
static const feature_info features[FEAT_N] = {
  { FEAT_QEMU_IOMMUFD, SW_QEMU, "qemu.iommufd", { 8, 2, 0 },
    "-object iommufd and vfio-pci iommufd=", "iommufd backend merged for 8.2" },
  { FEAT_QEMU_HIGHMEM_MMIO_SIZE, SW_QEMU, "qemu.highmem_mmio_size", { 10, 0, 0 },
    "-machine virt,highmem-mmio-size=", "power of two, not below the 512 GiB default" },
  { FEAT_QEMU_SMMUV3_PLUGGABLE, SW_QEMU, "qemu.smmuv3_pluggable", { 10, 2, 0 },
    "-device arm-smmuv3,primary-bus= (one per root complex)", "libvirt gates smmu_per_bus on 10.2" },
  { FEAT_QEMU_SMMUV3_ACCEL, SW_QEMU, "qemu.smmuv3_accel", { 11, 0, 0 },
    "arm-smmuv3 accel=on with ats, ril, ssidsize, oas", "oas 44 or 48; ssidsize 0..20" },
  { FEAT_QEMU_SMMUV3_AUTO, SW_QEMU, "qemu.smmuv3_auto", { 11, 1, 0 },
    "arm-smmuv3 ats/ril/ssidsize=auto from the host's hw_info", "oas has no auto" },
  { FEAT_QEMU_SMMUV3_CMDQV, SW_QEMU, "qemu.smmuv3_cmdqv", { 0, 0, 0 },
    "arm-smmuv3 cmdqv= (Tegra241 CMDQV)", "vendor builds only, not upstream in 11.1" },
  { FEAT_LIBVIRT_IOMMU_PCIBUS, SW_LIBVIRT, "libvirt.iommu_pcibus", { 11, 10, 0 },
    "<iommu model='smmuv3'><driver pciBus=…/> (several vSMMUs)", "pciBus is a controller index" },
  { FEAT_LIBVIRT_HOSTDEV_IOMMUFD, SW_LIBVIRT, "libvirt.hostdev_iommufd", { 12, 1, 0 },
    "<hostdev><driver iommufd='yes'/>", "" },
  { FEAT_LIBVIRT_DOMAIN_IOMMUFD, SW_LIBVIRT, "libvirt.domain_iommufd", { 12, 2, 0 },
    "domain-level <iommufd enabled='yes'/>", "" },
  { FEAT_LIBVIRT_SMMUV3_ACCEL, SW_LIBVIRT, "libvirt.smmuv3_accel", { 12, 6, 0 },
    "<iommu><driver accel= ats= ril= ssidsize= oas=/>", "not in NEWS up to 12.5; upstream spelling" },
  { FEAT_LIBVIRT_SMMUV3_CMDQV, SW_LIBVIRT, "libvirt.smmuv3_cmdqv", { 0, 0, 0 },
    "<iommu><driver cmdqv=/>", "posted for review, not in a release" },
};

static const sw_version newest_known[] = {
  [SW_QEMU] = { 11, 1, 0 },
  [SW_LIBVIRT] = { 12, 7, 0 },
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

gboolean
sw_has_feature (sw_version v, feature_id id)
{
  const feature_info *f = feature_lookup (id);
  if (f->since.major == 0)
    return FALSE;
  return sw_version_compare (v, f->since) >= 0;
}
