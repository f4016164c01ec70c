#include "hostmodel.h"

#include <stdio.h>
#include <string.h>

const char *
tristate_name (tristate t)
{
  static const char *const names[] = { "unknown", "no", "yes" };
  return t <= TRI_YES ? names[t] : "unknown";
}

static void
clear_rid_range (gpointer p)
{
  g_free (((host_rid_range *) p)->smmu);
}

host_model *
host_model_new (void)
{
  host_model *host = g_new0 (host_model, 1);
  host->smmus = g_ptr_array_new_with_free_func ((GDestroyNotify) host_smmu_free);
  host->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) host_pci_device_free);
  host->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) host_iommu_group_free);
  host->numa_nodes = g_array_new (FALSE, TRUE, sizeof (host_numa_node));
  host->rid_ranges = g_array_new (FALSE, TRUE, sizeof (host_rid_range));
  g_array_set_clear_func (host->rid_ranges, clear_rid_range);
  host->tools.smmuv3_props = g_ptr_array_new_with_free_func (g_free);
  host->notes = g_ptr_array_new_with_free_func (g_free);
  return host;
}

void
host_model_free (host_model *host)
{
  if (host == NULL)
    return;
  g_free (host->root);
  g_free (host->kernel_release);
  g_free (host->iort_source);
  g_ptr_array_unref (host->smmus);
  g_ptr_array_unref (host->devices);
  g_ptr_array_unref (host->groups);
  g_array_unref (host->numa_nodes);
  g_array_unref (host->rid_ranges);
  g_free (host->tools.qemu_path);
  g_free (host->tools.qemu_version);
  g_free (host->tools.libvirt_version);
  g_free (host->tools.libvirt_uri);
  g_ptr_array_unref (host->tools.smmuv3_props);
  g_ptr_array_unref (host->notes);
  g_free (host);
}

host_smmu *
host_smmu_new (void)
{
  host_smmu *smmu = g_new0 (host_smmu, 1);
  smmu->numa_node = -1;
  smmu->devices = g_ptr_array_new_with_free_func (g_free);
  return smmu;
}

void
host_smmu_free (host_smmu *smmu)
{
  if (smmu == NULL)
    return;
  g_free (smmu->name);
  g_free (smmu->platform_device);
  g_free (smmu->hwinfo.source);
  g_ptr_array_unref (smmu->devices);
  g_free (smmu);
}

host_pci_device *
host_pci_device_new (void)
{
  host_pci_device *dev = g_new0 (host_pci_device, 1);
  dev->iommu_group = -1;
  dev->numa_node = -1;
  dev->pasid_width = -1;
  dev->bars = g_array_new (FALSE, TRUE, sizeof (host_bar));
  return dev;
}

void
host_pci_device_free (host_pci_device *dev)
{
  if (dev == NULL)
    return;
  g_free (dev->bdf);
  g_free (dev->driver);
  g_free (dev->smmu);
  g_array_unref (dev->bars);
  g_free (dev->link_speed);
  g_free (dev->vfio_cdev);
  g_free (dev->sysfs_path);
  g_free (dev->parent_bdf);
  g_free (dev->physfn);
  g_free (dev);
}

static void
clear_region (gpointer p)
{
  g_free (((host_reserved_region *) p)->type);
}

host_iommu_group *
host_iommu_group_new (int id)
{
  host_iommu_group *group = g_new0 (host_iommu_group, 1);
  group->id = id;
  group->devices = g_ptr_array_new_with_free_func (g_free);
  group->reserved_regions = g_array_new (FALSE, TRUE, sizeof (host_reserved_region));
  g_array_set_clear_func (group->reserved_regions, clear_region);
  return group;
}

void
host_iommu_group_free (host_iommu_group *group)
{
  if (group == NULL)
    return;
  g_free (group->type);
  g_ptr_array_unref (group->devices);
  g_array_unref (group->reserved_regions);
  g_free (group);
}

/* One field of hex digits (no sign, no 0x), saturating above limit. */
static const char *
hex_field (const char *p, unsigned limit, unsigned *value)
{
  const char *start = p;
  unsigned v = 0;
  for (; g_ascii_isxdigit (*p); p++)
    v = v > limit ? v : v * 16 + (unsigned) g_ascii_xdigit_value (*p);
  *value = v;
  return p != start ? p : NULL;
}

gboolean
pci_bdf_parse (const char *text, guint32 *segment, guint8 *bus, guint8 *slot, guint8 *function)
{
  /* "SSSS:BB:DD.F" or "BB:DD.F"; parsed by hand, as this runs for every
   * device of a host and sscanf costs more than reading the device. */
  unsigned first, second, s = 0, b, d, f;
  const char *p = text != NULL ? hex_field (text, 0xffff, &first) : NULL;
  if (p == NULL || *p != ':' || (p = hex_field (p + 1, 0xffff, &second)) == NULL)
    return FALSE;
  if (*p == ':')
    {
      s = first, b = second;
      if ((p = hex_field (p + 1, 0xffff, &d)) == NULL)
        return FALSE;
    }
  else
    b = first, d = second;
  if (*p != '.' || (p = hex_field (p + 1, 0xffff, &f)) == NULL || *p != '\0')
    return FALSE;
  if (s > 0xffff || b > 0xff || d > 0x1f || f > 7)
    return FALSE;
  if (segment) *segment = s;
  if (bus) *bus = (guint8) b;
  if (slot) *slot = (guint8) d;
  if (function) *function = (guint8) f;
  return TRUE;
}

char *
pci_bdf_normalize (const char *text)
{
  guint32 s;
  guint8 b, d, f;
  if (!pci_bdf_parse (text, &s, &b, &d, &f))
    return NULL;
  return g_strdup_printf ("%04x:%02x:%02x.%x", s, b, d, f);
}

host_pci_device *
host_find_device (const host_model *host, const char *bdf)
{
  g_autofree char *want = pci_bdf_normalize (bdf);
  if (want == NULL)
    return NULL;
  /* Devices are sorted by canonical BDF (host_model_finish): bisect. */
  guint lo = 0, hi = host->devices->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      host_pci_device *dev = host->devices->pdata[mid];
      int c = g_strcmp0 (dev->bdf, want);
      if (c == 0)
        return dev;
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  /* Not (yet) sorted, e.g. while a model is being built: scan. */
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      if (g_strcmp0 (dev->bdf, want) == 0)
        return dev;
    }
  return NULL;
}

host_smmu *
host_find_smmu (const host_model *host, const char *name)
{
  if (name == NULL)
    return NULL;
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      if (g_strcmp0 (smmu->name, name) == 0)
        return smmu;
    }
  return NULL;
}

host_smmu *
host_find_smmu_by_base (const host_model *host, guint64 base)
{
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      if (smmu->base == base)
        return smmu;
    }
  return NULL;
}

host_iommu_group *
host_find_group (const host_model *host, int id)
{
  /* Groups are sorted by id (host_model_finish): bisect first. */
  guint lo = 0, hi = host->groups->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      host_iommu_group *group = host->groups->pdata[mid];
      if (group->id == id)
        return group;
      if (group->id < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (guint i = 0; i < host->groups->len; i++)
    {
      host_iommu_group *group = host->groups->pdata[i];
      if (group->id == id)
        return group;
    }
  return NULL;
}

gboolean
host_has_numa_node (const host_model *host, int id)
{
  for (guint i = 0; i < host->numa_nodes->len; i++)
    if (g_array_index (host->numa_nodes, host_numa_node, i).id == id)
      return TRUE;
  return FALSE;
}

const host_rid_range *
host_rid_range_find (const host_model *host, guint32 segment, guint32 rid)
{
  for (guint i = 0; i < host->rid_ranges->len; i++)
    {
      const host_rid_range *r = &g_array_index (host->rid_ranges, host_rid_range, i);
      if (r->segment == segment && rid >= r->rid_first && rid <= r->rid_last)
        return r;
    }
  return NULL;
}

static gint
compare_smmus (gconstpointer a, gconstpointer b)
{
  const host_smmu *x = *(host_smmu *const *) a, *y = *(host_smmu *const *) b;
  if (x->base != y->base)
    return x->base < y->base ? -1 : 1;
  return g_strcmp0 (x->name, y->name);
}

static gint
compare_devices (gconstpointer a, gconstpointer b)
{
  const host_pci_device *x = *(host_pci_device *const *) a, *y = *(host_pci_device *const *) b;
  return g_strcmp0 (x->bdf, y->bdf);
}

static gint
compare_groups (gconstpointer a, gconstpointer b)
{
  const host_iommu_group *x = *(host_iommu_group *const *) a, *y = *(host_iommu_group *const *) b;
  return (x->id > y->id) - (x->id < y->id);
}

static gint
compare_numa (gconstpointer a, gconstpointer b)
{
  const host_numa_node *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

char *
host_text_printable (char *text)
{
  if (text == NULL)
    return NULL;
  gboolean clean = g_utf8_validate (text, -1, NULL);
  for (const char *p = text; clean && *p; p++)
    clean = (guchar) *p >= 0x20 && *p != 0x7f;
  if (clean)
    return text; /* the usual case: no copy */
  char *valid = g_utf8_make_valid (text, -1);
  g_free (text);
  for (char *p = valid; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return valid;
}
void
host_model_note (host_model *host, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_ptr_array_add (host->notes, host_text_printable (g_strdup_vprintf (format, args)));
  va_end (args);
}

GHashTable *
host_smmu_index (const host_model *host)
{
  GHashTable *by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      if (smmu->name != NULL && !g_hash_table_contains (by_name, smmu->name))
        g_hash_table_insert (by_name, smmu->name, smmu);
    }
  return by_name;
}

void
host_model_finish
 (host_model *host)
{
  g_ptr_array_sort (host->smmus, compare_smmus);
  g_ptr_array_sort (host->devices, compare_devices);
  g_ptr_array_sort (host->groups, compare_groups);
  g_array_sort (host->numa_nodes, compare_numa);
  for (guint i = 0; i < host->groups->len; i++)
    g_ptr_array_sort (((host_iommu_group *) host->groups->pdata[i])->devices, compare_strings);
  g_autoptr (GHashTable) by_name = host_smmu_index (host);
  for (guint i = 0; i < host->smmus->len; i++)
    g_ptr_array_set_size (((host_smmu *) host->smmus->pdata[i])->devices, 0);
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      host_smmu *smmu = dev->smmu != NULL ? g_hash_table_lookup (by_name, dev->smmu) : NULL;
      if (smmu != NULL)
        g_ptr_array_add (smmu->devices, g_strdup (dev->bdf));
      const host_pci_device *pf = dev->physfn != NULL ? host_find_device (host, dev->physfn) : NULL;
      if (pf != NULL && pf != dev)
        {
          dev->pasid = pf->pasid;
          dev->pasid_width = pf->pasid_width;
        }
    }
}

tristate
host_smmu_nesting (const host_smmu *smmu, const char **reason)
{
  const char *why = NULL;
  tristate result;
  if (!smmu->hwinfo.known)
    {
      result = TRI_UNKNOWN;
      why = "ID registers not read (run as root with --hwinfo, or give --hwinfo-json)";
    }
  else if (!idr_get (smmu->hwinfo.idr, IDR_S1P) || !idr_get (smmu->hwinfo.idr, IDR_S2P))
    {
      result = TRI_NO;
      why = !idr_get (smmu->hwinfo.idr, IDR_S1P) ? "no stage-1 translation (IDR0.S1P=0)"
                                                 : "no stage-2 translation (IDR0.S2P=0)";
    }
  else if (idr_get (smmu->hwinfo.idr, IDR_FWB))
    {
      result = TRI_YES;
      why = "S1+S2, FWB";
    }
  else if (smmu->canwbs == TRI_YES)
    {
      result = TRI_YES;
      why = "S1+S2, CANWBS";
    }
  else if (smmu->canwbs == TRI_NO)
    {
      /* The kernel refuses nesting parents without coherent walks (arm_smmu_master_canwbs). */
      result = TRI_NO;
      why = "stage-2 walks are not coherent: no IDR3.FWB and no IORT CANWBS on its root complexes";
    }
  else
    {
      result = TRI_UNKNOWN;
      why = "S1+S2, but coherency unknown (no IORT read: give --iort or run as root)";
    }
  if (reason)
    *reason = why;
  return result;
}

GPtrArray *
host_group_endpoints (const host_model *host, int group_id)
{
  GPtrArray *out = g_ptr_array_new ();
  host_iommu_group *group = host_find_group (host, group_id);
  if (group == NULL)
    return out;
  for (guint i = 0; i < group->devices->len; i++)
    {
      const char *bdf = group->devices->pdata[i];
      host_pci_device *dev = host_find_device (host, bdf);
      if (dev == NULL || !dev->is_bridge)
        g_ptr_array_add (out, (gpointer) bdf);
    }
  return out;
}

/* PCI class codes (PCI Code and Assignment Specification), the ones seen
 * on servers; others fall back to the base class. */
static const struct {
  guint32 code; /* class << 8 | subclass */
  const char *name;
} class_names[] = {
  { 0x0100, "SCSI controller" }, { 0x0104, "RAID controller" }, { 0x0106, "SATA controller" },
  { 0x0107, "SAS controller" }, { 0x0108, "NVMe controller" }, { 0x0200, "Ethernet controller" },
  { 0x0207, "InfiniBand controller" }, { 0x0280, "Network controller" }, { 0x0300, "VGA controller" },
  { 0x0302, "3D controller" }, { 0x0380, "Display controller" }, { 0x0600, "Host bridge" },
  { 0x0604, "PCI bridge" }, { 0x0880, "System peripheral" }, { 0x0c03, "USB controller" },
  { 0x1200, "Processing accelerator" }, { 0x1080, "Encryption controller" },
};

static const char *const base_class_names[] = {
  "Unclassified device", "Mass storage controller", "Network controller", "Display controller",
  "Multimedia controller", "Memory controller", "Bridge", "Communication controller",
  "System peripheral", "Input device", "Docking station", "Processor", "Serial bus controller",
  "Wireless controller", "Intelligent controller", "Satellite controller", "Encryption controller",
  "Signal processing controller", "Processing accelerator", "Non-essential instrumentation",
};

const char *
pci_class_name (guint32 class_code)
{
  guint32 code = class_code >> 8;
  for (gsize i = 0; i < G_N_ELEMENTS (class_names); i++)
    if (class_names[i].code == code)
      return class_names[i].name;
  guint32 base = code >> 8;
  return base < G_N_ELEMENTS (base_class_names) ? base_class_names[base] : "Unknown class";
}
