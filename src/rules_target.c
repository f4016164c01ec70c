/* SMU501: what the XML uses that the target libvirt or QEMU does not have.
 * Every version comes from the feature table (versions.c); this file only
 * says which element needs which feature. */
#include "rules_internal.h"

typedef struct {
  int line;
  const char *path;
  guint count;
} feature_use;

static void
use (feature_use *u, int line, const char *path)
{
  if (u->count++ == 0)
    {
      u->line = line;
      u->path = path;
    }
}

static gboolean
has_accel_props (const guest_iommu *iommu, int *line)
{
  static const vsmmu_prop_id accel_props[] = { VSMMU_PROP_ACCEL, VSMMU_PROP_ATS, VSMMU_PROP_RIL,
                                               VSMMU_PROP_SSIDSIZE, VSMMU_PROP_OAS };
  for (gsize i = 0; i < G_N_ELEMENTS (accel_props); i++)
    if (iommu->props[accel_props[i]].state != PROP_ABSENT)
      {
        *line = iommu->props[accel_props[i]].line;
        return TRUE;
      }
  return FALSE;
}

/* Where the domain uses a feature: the first element and how many. */
static feature_use
find_use (const guest_domain *dom, feature_id feature)
{
  feature_use u = { 0, NULL, 0 };
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      int line = iommu->line;
      if (!rules_is_smmuv3 (iommu))
        continue;
      switch (feature)
        {
        case FEAT_LIBVIRT_IOMMU_PCIBUS:
        case FEAT_QEMU_SMMUV3_PLUGGABLE:
          if (iommu->pci_bus >= 0)
            use (&u, iommu->line, iommu->path);
          break;
        case FEAT_LIBVIRT_SMMUV3_ACCEL:
        case FEAT_QEMU_SMMUV3_ACCEL:
          if (has_accel_props (iommu, &line))
            use (&u, line, iommu->path);
          break;
        case FEAT_LIBVIRT_SMMUV3_CMDQV:
        case FEAT_QEMU_SMMUV3_CMDQV:
          if (iommu->props[VSMMU_PROP_CMDQV].state != PROP_ABSENT)
            use (&u, iommu->props[VSMMU_PROP_CMDQV].line, iommu->path);
          break;
        case FEAT_QEMU_SMMUV3_AUTO:
          for (int p = 0; p < VSMMU_N_PROPS; p++)
            if (iommu->props[p].state == PROP_AUTO)
              {
                use (&u, iommu->props[p].line, iommu->path);
                break;
              }
          break;
        default:
          break;
        }
    }
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->kind != GUEST_EP_HOSTDEV)
        continue;
      if (feature == FEAT_LIBVIRT_HOSTDEV_IOMMUFD && ep->iommufd != TRI_UNKNOWN && !ep->iommufd_from_domain)
        use (&u, ep->line, ep->path);
      if (feature == FEAT_QEMU_IOMMUFD && ep->iommufd == TRI_YES)
        use (&u, ep->line, ep->path);
    }
  if (feature == FEAT_LIBVIRT_DOMAIN_IOMMUFD && dom->domain_iommufd_line != 0)
    use (&u, dom->domain_iommufd_line, "/domain/iommufd");
  if (feature == FEAT_QEMU_HIGHMEM_MMIO_SIZE && dom->mmio64_line != 0)
    use (&u, dom->mmio64_line, "/domain/qemu:commandline");
  return u;
}

static void
check_feature (const rule_context *ctx, const feature_info *f, sw_version target)
{
  if (sw_has_feature (target, f->id))
    return;
  feature_use u = find_use (ctx->dom, f->id);
  if (u.count == 0)
    return;
  const char *product = f->kind == SW_QEMU ? "QEMU" : "libvirt";
  g_autofree char *target_text = sw_version_to_string (target);
  g_autofree char *since = f->since.major != 0 ? sw_version_to_string (f->since) : NULL;
  g_autofree char *more = u.count > 1 ? g_strdup_printf (" (used %u times; the first is here)", u.count)
                                      : g_strdup ("");
  g_autofree char *needs = since != NULL ? g_strdup_printf ("needs %s %s or newer", product, since)
                                         : g_strdup_printf ("is in no %s release yet", product);
  g_autofree char *action = since != NULL ? g_strdup_printf ("upgrade the target to %s %s", product, since)
                                          : g_strdup ("remove it unless the target is a vendor build with it");
  g_autofree char *hint = rules_argv (ctx)
    ? g_strdup_printf ("%s, or plan the command line for QEMU %s (smmuctl plan --format qemu --target-qemu %s)",
                       action, target_text, target_text)
    : g_strdup_printf ("%s, or write the XML for %s %s (smmuctl plan --target-%s %s)", action, product,
                       target_text, f->kind == SW_QEMU ? "qemu" : "libvirt", target_text);
  finding_add (ctx->out, "SMU501", SEVERITY_ERROR, u.line, u.path, hint,
               "%s %s; the target %s is %s%s%s", f->what, needs, product, target_text,
               f->kind == SW_LIBVIRT ? ", which drops what it does not know at define time" : "", more);
}

void
rules_check_target (const rule_context *ctx)
{
  gsize n = 0;
  const feature_info *features = feature_table (&n);
  for (gsize i = 0; i < n; i++)
    {
      const feature_info *f = &features[i];
      if (f->kind == SW_QEMU && ctx->opts->have_target_qemu)
        check_feature (ctx, f, ctx->opts->target_qemu);
      /* A command line is past libvirt: only QEMU's releases apply to it. */
      else if (f->kind == SW_LIBVIRT && ctx->opts->have_target_libvirt && !rules_argv (ctx))
        check_feature (ctx, f, ctx->opts->target_libvirt);
    }
}
