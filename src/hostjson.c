/* host model <-> `probe --json` document. */
#include "hostjson.h"

#include <string.h>

#include "errors.h"
#include "hwinfo.h"
#include "jsontext.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

/* ---- model -> document --------------------------------------------------- */

static void
add (json_object *obj, const char *key, json_object *value)
{
  json_object_object_add (obj, key, value);
}

static json_object *
string_or_null (const char *s)
{
  return s ? json_object_new_string (s) : NULL;
}

static json_object *
int_or_null (gint64 value, gboolean known)
{
  return known ? json_object_new_int64 (value) : NULL;
}

static json_object *
strings_to_json (const GPtrArray *strings)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; strings && i < strings->len; i++)
    json_object_array_add (array, json_object_new_string (strings->pdata[i]));
  return array;
}

static json_object *
node_access_to_json (const char *path, const host_node_access *access)
{
  json_object *obj = json_object_new_object ();
  g_autofree char *mode = g_strdup_printf ("0%03o", access->mode);
  add (obj, "path", json_object_new_string (path));
  add (obj, "present", json_object_new_boolean (access->present));
  add (obj, "is_char_device", json_object_new_boolean (access->is_char_device));
  add (obj, "mode", json_object_new_string (mode));
  add (obj, "uid", json_object_new_int64 (access->uid));
  add (obj, "gid", json_object_new_int64 (access->gid));
  return obj;
}

static json_object *
smmu_to_json (const host_smmu *smmu)
{
  json_object *obj = json_object_new_object ();
  const char *reason = NULL;
  tristate nesting = host_smmu_nesting (smmu, &reason);
  json_object *nest = json_object_new_object ();
  add (nest, "possible", json_object_new_string (tristate_name (nesting)));
  add (nest, "reason", string_or_null (reason));

  add (obj, "name", json_object_new_string (smmu->name ? smmu->name : ""));
  add (obj, "base", json_hex_new (smmu->base, 16));
  add (obj, "platform_device", string_or_null (smmu->platform_device));
  add (obj, "numa_node", int_or_null (smmu->numa_node, smmu->numa_node >= 0));
  add (obj, "numa_source", string_or_null (smmu->numa_source));
  add (obj, "in_iort", json_object_new_boolean (smmu->in_iort));
  add (obj, "iort_offset", json_object_new_int64 (smmu->iort_offset));
  add (obj, "canwbs", json_object_new_string (tristate_name (smmu->canwbs)));
  add (obj, "hwinfo", hwinfo_registers_to_json (&smmu->hwinfo));
  add (obj, "caps", hwinfo_caps_to_json (&smmu->hwinfo));
  add (obj, "nesting", nest);
  add (obj, "devices", strings_to_json (smmu->devices));
  return obj;
}

static void
write_bar (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_bar *bar = &g_array_index ((const GArray *) data, host_bar, i);
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_int (&w, "index", bar->index, TRUE);
  json_writer_hex (&w, "start", bar->start, 0);
  json_writer_uint (&w, "size", bar->size);
  json_writer_bool (&w, "is64", bar->is64);
  json_writer_bool (&w, "prefetchable", bar->prefetchable);
  json_writer_end (&w);
}

static void
write_string_element (GString *out, gconstpointer data, guint i, guint depth)
{
  (void) depth;
  json_text_string (out, g_ptr_array_index ((const GPtrArray *) data, i));
}

static void
write_region (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_reserved_region *region = &g_array_index ((const GArray *) data, host_reserved_region, i);
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_hex (&w, "start", region->start, 0);
  json_writer_hex (&w, "end", region->end, 0);
  json_writer_string (&w, "type", region->type);
  json_writer_end (&w);
}

static void
write_device (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_pci_device *dev = g_ptr_array_index ((const GPtrArray *) data, i);
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_string (&w, "bdf", dev->bdf ? dev->bdf : "");
  json_writer_hex (&w, "vendor", dev->vendor, 4);
  json_writer_hex (&w, "device", dev->device, 4);
  json_writer_hex (&w, "class", dev->class_code, 6);
  json_writer_string (&w, "class_name", pci_class_name (dev->class_code));
  json_writer_bool (&w, "is_bridge", dev->is_bridge);
  json_writer_string (&w, "driver", dev->driver);
  json_writer_int (&w, "iommu_group", dev->iommu_group, dev->iommu_group >= 0);
  json_writer_string (&w, "smmu", dev->smmu);
  json_writer_string (&w, "smmu_source", dev->smmu_source);
  json_writer_int (&w, "numa_node", dev->numa_node, dev->numa_node >= 0);
  json_writer_string (&w, "vfio_cdev", dev->vfio_cdev);
  json_writer_array (&w, "bars", dev->bars->len, write_bar, dev->bars);
  json_writer_uint (&w, "bar_total", dev->bar_total);
  json_writer_uint (&w, "bar64_total", dev->bar64_total);
  json_writer_string (&w, "link_speed", dev->link_speed);
  json_writer_int (&w, "link_width", dev->link_width, dev->link_width > 0);
  json_writer_string (&w, "ats", tristate_name (dev->ats));
  json_writer_string (&w, "pri", tristate_name (dev->pri));
  json_writer_string (&w, "pasid", tristate_name (dev->pasid));
  json_writer_int (&w, "pasid_width", dev->pasid_width, dev->pasid_width >= 0);
  json_writer_string (&w, "canwbs", tristate_name (dev->canwbs));
  json_writer_string (&w, "sysfs_path", dev->sysfs_path);
  json_writer_string (&w, "physfn", dev->physfn);
  if (dev->hw_known)
    {
      json_writer hw;
      json_writer_object (&w, "hwinfo", &hw);
      json_writer_hex (&hw, "out_capabilities", dev->hw_capabilities, 0);
      json_writer_int (&hw, "out_max_pasid_log2", dev->hw_max_pasid_log2, TRUE);
      json_writer_end (&hw);
    }
  else
    json_writer_string (&w, "hwinfo", NULL);
  json_writer_end (&w);
}

static void
write_group (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_iommu_group *group = g_ptr_array_index ((const GPtrArray *) data, i);
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_int (&w, "id", group->id, TRUE);
  json_writer_string (&w, "type", group->type);
  json_writer_array (&w, "devices", group->devices->len, write_string_element, group->devices);
  json_writer_array (&w, "reserved_regions", group->reserved_regions->len, write_region, group->reserved_regions);
  json_writer_end (&w);
}

static json_object *
tools_to_json (const host_tools *tools)
{
  json_object *obj = json_object_new_object ();
  add (obj, "probed", json_object_new_boolean (tools->probed));
  add (obj, "qemu_path", string_or_null (tools->qemu_path));
  add (obj, "qemu_version", string_or_null (tools->qemu_version));
  add (obj, "smmuv3_user_creatable",
       json_object_new_string (tristate_name (tools->smmuv3_user_creatable)));
  add (obj, "smmuv3_props", strings_to_json (tools->smmuv3_props));
  add (obj, "libvirt_version", string_or_null (tools->libvirt_version));
  if (tools->probed)
    {
      /* What the programs reported about themselves (feature keys of the
       * version table), so that a plan made elsewhere targets them. */
      add (obj, "libvirt_uri", string_or_null (tools->libvirt_uri));
      json_object *features = json_object_new_object ();
      gsize n = 0;
      const feature_info *table = feature_table (&n);
      for (gsize i = 0; i < n; i++)
        if (tools->features[table[i].id] != TRI_UNKNOWN)
          add (features, table[i].key, json_object_new_boolean (tools->features[table[i].id] == TRI_YES));
      add (obj, "features", features);
    }
  return obj;
}

/* Everything but pci_devices and iommu_groups, which stay empty here and
 * are written straight to text by hostjson_to_string. */
static json_object *
build_document (const host_model *host, json_object *checks)
{
  json_object *doc = json_object_new_object ();
  json_object *kernel = json_object_new_object ();
  json_object *iort = json_object_new_object ();
  json_object *numa = json_object_new_array ();
  json_object *smmus = json_object_new_array ();
  json_object *devices = json_object_new_array ();
  json_object *groups = json_object_new_array ();
  add (kernel, "release", string_or_null (host->kernel_release));
  add (iort, "present", json_object_new_boolean (host->iort_present));
  add (iort, "source", string_or_null (host->iort_source));
  for (guint i = 0; i < host->numa_nodes->len; i++)
    {
      const host_numa_node *node = &g_array_index (host->numa_nodes, host_numa_node, i);
      json_object *n = json_object_new_object ();
      add (n, "id", json_object_new_int64 (node->id));
      add (n, "has_cpu", json_object_new_boolean (node->has_cpu));
      add (n, "has_memory", json_object_new_boolean (node->has_memory));
      json_object_array_add (numa, n);
    }
  for (guint i = 0; i < host->smmus->len; i++)
    json_object_array_add (smmus, smmu_to_json (host->smmus->pdata[i]));

  add (doc, "format", json_object_new_string (HOSTJSON_FORMAT));
  add (doc, "format_version", json_object_new_int (HOSTJSON_FORMAT_VERSION));
  add (doc, "root", string_or_null (host->root));
  add (doc, "kernel", kernel);
  add (doc, "iommufd", node_access_to_json ("/dev/iommu", &host->dev_iommu));
  add (doc, "vfio_cdev", node_access_to_json ("/dev/vfio/devices", &host->vfio_devices_dir));
  add (doc, "vfio_legacy", node_access_to_json ("/dev/vfio/vfio", &host->vfio_legacy));
  add (doc, "iort", iort);
  add (doc, "numa_nodes", numa);
  add (doc, "smmus", smmus);
  add (doc, "pci_devices", devices);
  add (doc, "iommu_groups", groups);
  add (doc, "tools", tools_to_json (&host->tools));
  add (doc, "notes", strings_to_json (host->notes));
  if (checks != NULL)
    add (doc, "checks", checks);
  return doc;
}

/* The document into out; with a sink, moved there as it is written. */
static void
write_document (GString *out, FILE *sink, const host_model *host, json_object *checks)
{
  g_autoptr (json_object) doc = build_document (host, checks);
  json_writer w;
  json_writer_begin (&w, out, 0);
  w.sink = sink;
  json_object_object_foreach (doc, key, member)
    {
      if (strcmp (key, "pci_devices") == 0)
        json_writer_array (&w, key, host->devices->len, write_device, host->devices);
      else if (strcmp (key, "iommu_groups") == 0)
        json_writer_array (&w, key, host->groups->len, write_group, host->groups);
      else
        json_writer_tree (&w, key, member);
    }
  json_writer_end (&w);
  g_string_append_c (out, '\n');
}

char *
hostjson_to_string (const host_model *host, json_object *checks)
{
  GString *out = g_string_new (NULL);
  write_document (out, NULL, host, checks);
  return g_string_free (out, FALSE);
}

void
hostjson_write (FILE *file, const host_model *host, json_object *checks)
{
  g_autoptr (GString) out = g_string_sized_new (65536 + 4096);
  write_document (out, file, host, checks);
  fwrite (out->str, 1, out->len, file);
}

json_object *
hostjson_from_model (const host_model *host, json_object *checks)
{
  g_autofree char *text = hostjson_to_string (host, checks);
  return json_tokener_parse (text);
}

/* ---- document -> model --------------------------------------------------- */

/* Where a fact came from: static strings, so documents map onto this table. */
static const char *const fact_sources[] = { "sysfs", "iort" };

static const char *
read_fact_source (json_reader *r, json_object *obj, const char *key)
{
  g_autofree char *text = json_reader_string (r, obj, key, TRUE);
  if (text == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (fact_sources); i++)
    if (strcmp (text, fact_sources[i]) == 0)
      return fact_sources[i];
  json_reader_fail (r, key, "expected \"sysfs\", \"iort\" or null");
  return NULL;
}

/* A member that must be there (identity keys: name, bdf, id). */
static gboolean
require (json_reader *r, json_object *obj, const char *key)
{
  if (r->error == NULL && !json_reader_has (obj, key))
    json_reader_fail (r, key, "missing");
  return r->error == NULL;
}

/* A canonical BDF from a string member or array element at the current path. */
static char *
read_bdf (json_reader *r, json_object *value, const char *key)
{
  const char *text = json_object_get_type (value) == json_type_string
                       ? json_object_get_string (value) : NULL;
  char *bdf = text ? pci_bdf_normalize (text) : NULL;
  if (bdf == NULL)
    json_reader_fail (r, key, "expected a PCI address such as \"0000:01:00.0\"");
  return bdf;
}

static GPtrArray *
read_strings (json_reader *r, json_object *obj, const char *key, gboolean bdfs)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  json_object *array = json_reader_array (r, obj, key);
  gsize outer = json_reader_enter (r, key);
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *value = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (bdfs)
        g_ptr_array_add (out, read_bdf (r, value, NULL));
      else if (json_object_get_type (value) == json_type_string
               && strlen (json_object_get_string (value)) == (size_t) json_object_get_string_len (value))
        g_ptr_array_add (out, g_strdup (json_object_get_string (value)));
      else
        json_reader_fail (r, NULL, "expected a string without NUL characters");
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
  return out;
}

static void
read_node_access (json_reader *r, json_object *doc, const char *key, host_node_access *access)
{
  json_object *obj = json_reader_object (r, doc, key);
  if (obj == NULL)
    return;
  gsize mark = json_reader_enter (r, key);
  access->present = json_reader_bool (r, obj, "present", FALSE);
  access->is_char_device = json_reader_bool (r, obj, "is_char_device", FALSE);
  access->uid = (guint32) json_reader_int (r, obj, "uid", 0, 0, G_MAXUINT32, FALSE);
  access->gid = (guint32) json_reader_int (r, obj, "gid", 0, 0, G_MAXUINT32, FALSE);
  g_autofree char *mode = json_reader_string (r, obj, "mode", FALSE);
  if (mode != NULL)
    {
      char *end = NULL;
      guint64 n = g_ascii_strtoull (mode, &end, 8);
      if (mode[0] != '0' || strlen (mode) > 12 || *end != '\0' || n > G_MAXUINT32
          || strspn (mode, "01234567") != strlen (mode))
        json_reader_fail (r, "mode", "expected octal permissions such as \"0660\"");
      else
        access->mode = (guint32) n;
    }
  json_reader_leave (r, mark);
}

static void
read_smmu (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "name"))
    return;
  host_smmu *smmu = host_smmu_new ();
  g_ptr_array_add (host->smmus, smmu);
  smmu->name = json_reader_string (r, obj, "name", FALSE);
  smmu->base = json_reader_hex (r, obj, "base", 0, G_MAXUINT64);
  smmu->platform_device = json_reader_string (r, obj, "platform_device", TRUE);
  smmu->numa_node = (int) json_reader_int (r, obj, "numa_node", -1, -1, G_MAXINT, TRUE);
  smmu->numa_source = read_fact_source (r, obj, "numa_source");
  smmu->in_iort = json_reader_bool (r, obj, "in_iort", FALSE);
  smmu->iort_offset = (guint32) json_reader_int (r, obj, "iort_offset", 0, 0, G_MAXUINT32, FALSE);
  smmu->canwbs = json_reader_tristate (r, obj, "canwbs");
  json_object *hw = json_reader_object (r, obj, "hwinfo");
  if (hw != NULL)
    {
      gsize mark = json_reader_enter (r, "hwinfo");
      hwinfo_registers_from_json (r, hw, &smmu->hwinfo);
      json_reader_leave (r, mark);
    }
}

static void
read_bars (json_reader *r, json_object *obj, host_pci_device *dev)
{
  json_object *array = json_reader_array (r, obj, "bars");
  gsize outer = json_reader_enter (r, "bars");
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        {
          host_bar bar = { 0 };
          bar.index = (guint) json_reader_int (r, item, "index", 0, 0, 255, FALSE);
          bar.start = json_reader_hex (r, item, "start", 0, G_MAXUINT64);
          bar.size = json_reader_uint64 (r, item, "size", 0);
          bar.is64 = json_reader_bool (r, item, "is64", FALSE);
          bar.prefetchable = json_reader_bool (r, item, "prefetchable", FALSE);
          g_array_append_val (dev->bars, bar);
        }
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static void
read_device (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "bdf"))
    return;
  host_pci_device *dev = host_pci_device_new ();
  g_ptr_array_add (host->devices, dev);
  json_object *bdf = NULL;
  json_object_object_get_ex (obj, "bdf", &bdf);
  dev->bdf = read_bdf (r, bdf, "bdf");
  if (dev->bdf != NULL)
    pci_bdf_parse (dev->bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function);
  dev->vendor = (guint16) json_reader_hex (r, obj, "vendor", 0, 0xffff);
  dev->device = (guint16) json_reader_hex (r, obj, "device", 0, 0xffff);
  dev->class_code = (guint32) json_reader_hex (r, obj, "class", 0, 0xffffff);
  dev->is_bridge = json_reader_bool (r, obj, "is_bridge", FALSE);
  dev->driver = json_reader_string (r, obj, "driver", TRUE);
  dev->iommu_group = (int) json_reader_int (r, obj, "iommu_group", -1, -1, G_MAXINT, TRUE);
  dev->smmu = json_reader_string (r, obj, "smmu", TRUE);
  dev->smmu_source = read_fact_source (r, obj, "smmu_source");
  dev->numa_node = (int) json_reader_int (r, obj, "numa_node", -1, -1, G_MAXINT, TRUE);
  dev->vfio_cdev = json_reader_string (r, obj, "vfio_cdev", TRUE);
  read_bars (r, obj, dev);
  guint64 total = 0, total64 = 0;
  for (guint i = 0; i < dev->bars->len; i++)
    {
      const host_bar *bar = &g_array_index (dev->bars, host_bar, i);
      total += bar->size;
      total64 += bar->is64 ? bar->size : 0;
    }
  /* Hand-written documents may leave the totals out. */
  dev->bar_total = json_reader_uint64 (r, obj, "bar_total", total);
  dev->bar64_total = json_reader_uint64 (r, obj, "bar64_total", total64);
  dev->link_speed = json_reader_string (r, obj, "link_speed", TRUE);
  dev->link_width = (int) json_reader_int (r, obj, "link_width", 0, 0, G_MAXINT, TRUE);
  dev->ats = json_reader_tristate (r, obj, "ats");
  dev->pri = json_reader_tristate (r, obj, "pri");
  dev->pasid = json_reader_tristate (r, obj, "pasid");
  dev->pasid_width = (int) json_reader_int (r, obj, "pasid_width", -1, -1, 32, TRUE);
  dev->canwbs = json_reader_tristate (r, obj, "canwbs");
  dev->sysfs_path = json_reader_string (r, obj, "sysfs_path", TRUE);
  json_object *physfn = NULL;
  if (json_object_object_get_ex (obj, "physfn", &physfn) && physfn != NULL)
    dev->physfn = read_bdf (r, physfn, "physfn");
  json_object *hw = json_reader_object (r, obj, "hwinfo");
  if (hw != NULL)
    {
      gsize mark = json_reader_enter (r, "hwinfo");
      dev->hw_capabilities = json_reader_hex (r, hw, "out_capabilities", 0, G_MAXUINT64);
      dev->hw_max_pasid_log2 = (guint8) json_reader_int (r, hw, "out_max_pasid_log2", 0, 0, 255, FALSE);
      dev->hw_known = r->error == NULL;
      json_reader_leave (r, mark);
    }
}

static void
read_group (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "id"))
    return;
  host_iommu_group *group
    = host_iommu_group_new ((int) json_reader_int (r, obj, "id", 0, 0, G_MAXINT, FALSE));
  g_ptr_array_add (host->groups, group);
  group->type = json_reader_string (r, obj, "type", TRUE);
  g_ptr_array_unref (group->devices);
  group->devices = read_strings (r, obj, "devices", TRUE);
  json_object *array = json_reader_array (r, obj, "reserved_regions");
  gsize outer = json_reader_enter (r, "reserved_regions");
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        {
          host_reserved_region region = { 0 };
          region.start = json_reader_hex (r, item, "start", 0, G_MAXUINT64);
          region.end = json_reader_hex (r, item, "end", 0, G_MAXUINT64);
          region.type = json_reader_string (r, item, "type", TRUE);
          g_array_append_val (group->reserved_regions, region);
        }
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static void
read_numa_node (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "id"))
    return;
  host_numa_node node = { 0 };
  node.id = (int) json_reader_int (r, obj, "id", 0, 0, G_MAXINT, FALSE);
  node.has_cpu = json_reader_bool (r, obj, "has_cpu", FALSE);
  node.has_memory = json_reader_bool (r, obj, "has_memory", FALSE);
  g_array_append_val (host->numa_nodes, node);
}

typedef void (*read_item_fn) (json_reader *r, json_object *obj, host_model *host);

/* Each element of doc[key] must be an object; the item's identity (from
 * key_of) must be unique, since lookups by name, BDF or id return the first. */
static void
read_list (json_reader *r, json_object *doc, const char *key, read_item_fn read_item,
           host_model *host, char *(*key_of) (const host_model *host))
{
  json_object *array = json_reader_array (r, doc, key);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize outer = json_reader_enter (r, key);
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        read_item (r, item, host);
      char *identity = r->error ? NULL : key_of (host);
      if (identity != NULL && g_hash_table_contains (seen, identity))
        json_reader_fail (r, NULL, "%s appears twice in $.%s (at [%u] too)", identity, key,
                          GPOINTER_TO_UINT (g_hash_table_lookup (seen, identity)));
      if (identity != NULL)
        g_hash_table_insert (seen, identity, GUINT_TO_POINTER ((guint) i));
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static char *
last_smmu_key (const host_model *host)
{
  return g_strdup (((host_smmu *) host->smmus->pdata[host->smmus->len - 1])->name);
}

static char *
last_device_key (const host_model *host)
{
  return g_strdup (((host_pci_device *) host->devices->pdata[host->devices->len - 1])->bdf);
}

static char *
last_group_key (const host_model *host)
{
  return g_strdup_printf ("group %d", ((host_iommu_group *) host->groups->pdata[host->groups->len - 1])->id);
}

static char *
last_numa_key (const host_model *host)
{
  return g_strdup_printf ("node %d", g_array_index (host->numa_nodes, host_numa_node, host->numa_nodes->len - 1).id);
}

static void
read_tools (json_reader *r, json_object *doc, host_tools *tools)
{
  json_object *obj = json_reader_object (r, doc, "tools");
  if (obj == NULL)
    return;
  gsize mark = json_reader_enter (r, "tools");
  tools->probed = json_reader_bool (r, obj, "probed", FALSE);
  tools->qemu_path = json_reader_string (r, obj, "qemu_path", TRUE);
  tools->qemu_version = json_reader_string (r, obj, "qemu_version", TRUE);
  tools->smmuv3_user_creatable = json_reader_tristate (r, obj, "smmuv3_user_creatable");
  g_ptr_array_unref (tools->smmuv3_props);
  tools->smmuv3_props = read_strings (r, obj, "smmuv3_props", FALSE);
  tools->libvirt_version = json_reader_string (r, obj, "libvirt_version", TRUE);
  tools->libvirt_uri = json_reader_string (r, obj, "libvirt_uri", TRUE);
  json_object *features = json_reader_object (r, obj, "features");
  if (features != NULL)
    {
      gsize inner = json_reader_enter (r, "features");
      json_object_object_foreach (features, key, value)
        {
          (void) value;
          const feature_info *f = feature_by_key (key);
          if (f == NULL)
            continue; /* a newer smmuctl's feature: this one has no use for it */
          gboolean has = json_reader_bool (r, features, key, FALSE);
          tools->features[f->id] = has ? TRI_YES : TRI_NO;
        }
      json_reader_leave (r, inner);
    }
  json_reader_leave (r, mark);
}

static void
read_header (json_reader *r, json_object *doc)
{
  if (json_object_get_type (doc) != json_type_object)
    {
      json_reader_fail (r, NULL, "expected an object (a smmuctl probe --json document)");
      return;
    }
  g_autofree char *format = json_reader_string (r, doc, "format", FALSE);
  if (r->error == NULL && g_strcmp0 (format, HOSTJSON_FORMAT) != 0)
    json_reader_fail (r, "format", "%s%s%s is not a smmuctl host document (expected \"%s\"); "
                      "write one with smmuctl probe --json",
                      format ? "\"" : "", format ? format : "missing: this", format ? "\"" : "",
                      HOSTJSON_FORMAT);
  if (!require (r, doc, "format_version"))
    return;
  gint64 version = json_reader_int (r, doc, "format_version", 0, 1, G_MAXINT64, FALSE);
  if (version > HOSTJSON_FORMAT_VERSION)
    json_reader_fail (r, "format_version",
                      "version %" G_GINT64_FORMAT " is newer than this smmuctl reads (%d); "
                      "upgrade smmuctl or write the document with this version's probe --json",
                      version, HOSTJSON_FORMAT_VERSION);
}

static host_model *parse_document (const char *data, gsize len, const char *source_name, char **owned_data,
                                   GError **error);

host_model *
hostjson_parse (const char *data, gsize len, const char *source_name, GError **error)
{
  return parse_document (data, len, source_name, NULL, error);
}

/* owned_data: the caller's buffer of data, freed as soon as the tree is
 * built, so that a large host never holds its text and its tree and the
 * model at once. */
static host_model *
parse_document (const char *data, gsize len, const char *source_name, char **owned_data, GError **error)
{
  json_reader r;
  json_reader_init (&r, source_name ? source_name : "<host json>");
  g_autoptr (host_model) host = host_model_new ();
  g_autoptr (json_object) doc = NULL;
  if (len > HOSTJSON_MAX_SIZE)
    json_reader_fail (&r, NULL, "larger than %" G_GSIZE_FORMAT " MiB; not a host document",
                      HOSTJSON_MAX_SIZE / (1024 * 1024));
  else
    doc = json_reader_parse (&r, data, len);
  if (owned_data != NULL)
    g_clear_pointer (owned_data, g_free);
  if (doc != NULL)
    read_header (&r, doc);
  if (doc != NULL && !r.error)
    {
      host->root = json_reader_string (&r, doc, "root", TRUE);
      json_object *kernel = json_reader_object (&r, doc, "kernel");
      gsize mark = json_reader_enter (&r, "kernel");
      host->kernel_release = kernel ? json_reader_string (&r, kernel, "release", TRUE) : NULL;
      json_reader_leave (&r, mark);
      read_node_access (&r, doc, "iommufd", &host->dev_iommu);
      read_node_access (&r, doc, "vfio_cdev", &host->vfio_devices_dir);
      read_node_access (&r, doc, "vfio_legacy", &host->vfio_legacy);
      json_object *iort = json_reader_object (&r, doc, "iort");
      mark = json_reader_enter (&r, "iort");
      host->iort_present = iort ? json_reader_bool (&r, iort, "present", FALSE) : FALSE;
      host->iort_source = iort ? json_reader_string (&r, iort, "source", TRUE) : NULL;
      json_reader_leave (&r, mark);
      read_list (&r, doc, "numa_nodes", read_numa_node, host, last_numa_key);
      read_list (&r, doc, "smmus", read_smmu, host, last_smmu_key);
      read_list (&r, doc, "pci_devices", read_device, host, last_device_key);
      read_list (&r, doc, "iommu_groups", read_group, host, last_group_key);
      read_tools (&r, doc, &host->tools);
      g_ptr_array_unref (host->notes);
      host->notes = read_strings (&r, doc, "notes", FALSE);
    }
  if (r.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&r.error));
      json_reader_clear (&r);
      return NULL;
    }
  json_reader_clear (&r);
  host_model_finish (host);
  return g_steal_pointer (&host);
}

host_model *
hostjson_read_file (const char *path, GError **error)
{
  gsize len = 0;
  g_autofree char *data = json_read_input (path, HOSTJSON_MAX_SIZE, &len, error);
  if (data == NULL)
    return NULL;
  return parse_document (data, len, g_strcmp0 (path, "-") == 0 ? "<stdin>" : path, &data, error);
}
