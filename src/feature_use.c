/* The one map from guest elements to the QEMU and libvirt features they
 * need.  Every version lives in versions.c; this file only says which
 * element needs which feature. */
#include "feature_use.h"

static void
add_use (feature_use *u, int line, const char *path)
{
  if (u->count++ == 0)
    {
      u->line = line;
      u->path = path;
    }
}

static gboolean
is_smmuv3 (const guest_iommu *iommu)
{
  return g_strcmp0 (iommu->model, "smmuv3") == 0;
}

/* The first accel property (accel, ats, ril, ssidsize, oas) written, or NULL. */
static const vsmmu_prop *
first_accel_prop (const guest_iommu *iommu)
{
  static const vsmmu_prop_id accel_props[] = { VSMMU_PROP_ACCEL, VSMMU_PROP_ATS, VSMMU_PROP_RIL,
                                               VSMMU_PROP_SSIDSIZE, VSMMU_PROP_OAS };
  for (gsize i = 0; i < G_N_ELEMENTS (accel_props); i++)
    if (iommu->props[accel_props[i]].state != PROP_ABSENT)
      return &iommu->props[accel_props[i]];
  return NULL;
}

static const vsmmu_prop *
first_auto_prop (const guest_iommu *iommu)
{
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    if (iommu->props[p].state == PROP_AUTO)
      return &iommu->props[p];
  return NULL;
}

static void
iommu_uses (const guest_iommu *iommu, feature_use uses[FEAT_N])
{
  if (!is_smmuv3 (iommu))
    return;
  if (iommu->pci_bus >= 0)
    {
      add_use (&uses[FEAT_LIBVIRT_IOMMU_PCIBUS], iommu->line, iommu->path);
      add_use (&uses[FEAT_QEMU_SMMUV3_PLUGGABLE], iommu->line, iommu->path);
    }
  const vsmmu_prop *accel = first_accel_prop (iommu);
  if (accel != NULL)
    {
      add_use (&uses[FEAT_LIBVIRT_SMMUV3_ACCEL], accel->line, iommu->path);
      add_use (&uses[FEAT_QEMU_SMMUV3_ACCEL], accel->line, iommu->path);
    }
  const vsmmu_prop *cmdqv = &iommu->props[VSMMU_PROP_CMDQV];
  if (cmdqv->state != PROP_ABSENT)
    {
      add_use (&uses[FEAT_LIBVIRT_SMMUV3_CMDQV], cmdqv->line, iommu->path);
      add_use (&uses[FEAT_QEMU_SMMUV3_CMDQV], cmdqv->line, iommu->path);
    }
  const vsmmu_prop *auto_prop = first_auto_prop (iommu);
  if (auto_prop != NULL)
    add_use (&uses[FEAT_QEMU_SMMUV3_AUTO], auto_prop->line, iommu->path);
}

static void
endpoint_uses (const guest_endpoint *ep, feature_use uses[FEAT_N])
{
  if (ep->kind != GUEST_EP_HOSTDEV)
    return;
  if (ep->iommufd != TRI_UNKNOWN && !ep->iommufd_from_domain)
    add_use (&uses[FEAT_LIBVIRT_HOSTDEV_IOMMUFD], ep->line, ep->path);
  if (ep->iommufd == TRI_YES)
    add_use (&uses[FEAT_QEMU_IOMMUFD], ep->line, ep->path);
}

void
guest_feature_uses (const guest_domain *dom, feature_use uses[FEAT_N])
{
  for (int f = 0; f < FEAT_N; f++)
    uses[f] = (feature_use) { 0, 0, NULL };
  for (guint i = 0; i < dom->iommus->len; i++)
    iommu_uses (g_ptr_array_index (dom->iommus, i), uses);
  for (guint i = 0; i < dom->endpoints->len; i++)
    endpoint_uses (g_ptr_array_index (dom->endpoints, i), uses);
  if (dom->domain_iommufd_line != 0)
    add_use (&uses[FEAT_LIBVIRT_DOMAIN_IOMMUFD], dom->domain_iommufd_line, "/domain/iommufd");
  if (dom->mmio64_source != GUEST_MMIO64_DEFAULT)
    add_use (&uses[FEAT_QEMU_HIGHMEM_MMIO_SIZE], dom->mmio64_line, dom->mmio64_path);
  if (dom->mmio64_source == GUEST_MMIO64_PCIHOLE64)
    add_use (&uses[FEAT_LIBVIRT_PCIHOLE64_VIRT], dom->mmio64_line, dom->mmio64_path);
}

sw_version
guest_features_required (const guest_domain *dom, sw_kind kind)
{
  feature_use uses[FEAT_N];
  guest_feature_uses (dom, uses);
  sw_version needed = { 0, 0, 0 };
  for (int f = 0; f < FEAT_N; f++)
    {
      const feature_info *info = feature_lookup ((feature_id) f);
      if (info->kind == kind && uses[f].count > 0 && sw_version_compare (info->since, needed) > 0)
        needed = info->since;
    }
  return needed;
}
