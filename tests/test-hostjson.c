/* The host JSON document: every model field round-trips, byte-stable text,
 * schema-valid output, and readable errors naming the JSON path. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "hostjson.h"
#include "jsontext.h"
#include "hostload.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

/* ---- building and comparing models --------------------------------------- */

static void
add_bar (host_pci_device *dev, guint index, guint64 start, guint64 size, gboolean is64, gboolean pref)
{
  host_bar bar = { .index = index, .start = start, .size = size, .is64 = is64, .prefetchable = pref };
  g_array_append_val (dev->bars, bar);
  dev->bar_total += size;
  dev->bar64_total += is64 ? size : 0;
}

static host_pci_device *
add_device (host_model *host, const char *bdf, guint16 vendor, guint16 device, guint32 class_code,
            const char *driver, int group, const char *smmu)
{
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = g_strdup (bdf);
  g_assert_true (pci_bdf_parse (bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function));
  dev->vendor = vendor;
  dev->device = device;
  dev->class_code = class_code;
  dev->driver = g_strdup (driver);
  dev->iommu_group = group;
  dev->smmu = g_strdup (smmu);
  dev->sysfs_path = g_strdup_printf ("/sys/bus/pci/devices/%s", bdf);
  g_ptr_array_add (host->devices, dev);
  return dev;
}

static host_iommu_group *
add_group (host_model *host, int id, const char *type, const char *const *bdfs)
{
  host_iommu_group *group = host_iommu_group_new (id);
  group->type = g_strdup (type);
  for (; *bdfs; bdfs++)
    g_ptr_array_add (group->devices, g_strdup (*bdfs));
  host_reserved_region msi = { 0x8000000, 0x80fffff, g_strdup ("msi") };
  g_array_append_val (group->reserved_regions, msi);
  g_ptr_array_add (host->groups, group);
  return group;
}

/* A GB200-like host with every field set somewhere, unknowns elsewhere, and
 * edge values (a 2^63-byte BAR, the last 64-bit address, non-ASCII notes). */
static host_model *
build_rich_host (void)
{
  host_model *host = host_model_new ();
  host->root = g_strdup ("/srv/snapshots/gb200");
  host->kernel_release = g_strdup ("6.12.0-smmu+");
  host->dev_iommu = (host_node_access) { TRUE, 0660, 0, 107, TRUE };
  host->vfio_devices_dir = (host_node_access) { TRUE, 0755, 0, 0, FALSE };
  host->vfio_legacy = (host_node_access) { FALSE, 0, 0, 0, FALSE };
  host->iort_present = TRUE;
  host->iort_source = g_strdup ("/sys/firmware/acpi/tables/IORT");
  host_numa_node n0 = { 0, TRUE, TRUE }, n1 = { 1, FALSE, TRUE };
  g_array_append_val (host->numa_nodes, n1);
  g_array_append_val (host->numa_nodes, n0);

  host_smmu *gpu_smmu = host_smmu_new ();
  gpu_smmu->name = g_strdup ("smmu3.0x0000000016000000");
  gpu_smmu->base = 0x16000000;
  gpu_smmu->platform_device = g_strdup ("arm-smmu-v3.3.auto");
  gpu_smmu->numa_node = 0;
  gpu_smmu->numa_source = "iort";
  gpu_smmu->in_iort = TRUE;
  gpu_smmu->iort_offset = 0x48c;
  gpu_smmu->canwbs = TRI_YES;
  gpu_smmu->hwinfo = (host_hwinfo) {
    .known = TRUE, .source = g_strdup ("/dev/vfio/devices/vfio0"), .flags = 0,
    .idr = { 0x0c0d14df, 0x00e739d0, 0, 0x00000d54, 0x20000000, 0x00000075 },
    .iidr = 0x4b00043b, .aidr = 0x00000004, .out_capabilities = 0x3, .out_max_pasid_log2 = 20,
  };
  host_smmu *nic_smmu = host_smmu_new ();
  nic_smmu->name = g_strdup ("smmu3.0x0000000017000000");
  nic_smmu->base = 0x17000000;
  nic_smmu->canwbs = TRI_NO;
  nic_smmu->numa_source = "sysfs";
  nic_smmu->numa_node = 1;
  g_ptr_array_add (host->smmus, nic_smmu);
  g_ptr_array_add (host->smmus, gpu_smmu);

  host_pci_device *gpu = add_device (host, "0008:01:00.0", 0x10de, 0x2941, 0x030200, "vfio-pci", 12,
                                     gpu_smmu->name);
  gpu->smmu_source = "sysfs";
  gpu->numa_node = 0;
  gpu->vfio_cdev = g_strdup ("vfio0");
  add_bar (gpu, 0, 0x610000000000, 16 << 20, TRUE, FALSE);
  add_bar (gpu, 2, 0x400000000000, G_GUINT64_CONSTANT (512) << 30, TRUE, TRUE);
  add_bar (gpu, 4, 0x620000000000, 32 << 20, TRUE, TRUE);
  gpu->link_speed = g_strdup ("32.0 GT/s PCIe");
  gpu->link_width = 16;
  gpu->ats = TRI_YES;
  gpu->pri = TRI_NO;
  gpu->pasid = TRI_YES;
  gpu->pasid_width = 20;
  gpu->canwbs = TRI_YES;

  host_pci_device *port = add_device (host, "0008:00:00.0", 0x10de, 0x22b2, 0x060400, "pcieport",
                                      12, gpu_smmu->name);
  port->is_bridge = TRUE;
  port->pasid_width = 0;
  port->smmu_source = "iort";

  host_pci_device *nic = add_device (host, "0000:03:00.0", 0x15b3, 0x1021, 0x020000, "mlx5_core", 4,
                                     nic_smmu->name);
  add_bar (nic, 0, 0xffffffffffffffff, G_GUINT64_CONSTANT (1) << 63, FALSE, FALSE);
  add_device (host, "0000:00:01.0", 0x1af4, 0x1045, 0xffff00, NULL, -1, NULL);

  add_group (host, 12, "DMA", (const char *[]) { "0008:01:00.0", "0008:00:00.0", NULL });
  host_iommu_group *nic_group = add_group (host, 4, "DMA-FQ", (const char *[]) { "0000:03:00.0", NULL });
  host_reserved_region top = { 0xfffffffffffff000, 0xffffffffffffffff, g_strdup ("reserved") };
  g_array_append_val (nic_group->reserved_regions, top);
  add_group (host, 7, NULL, (const char *[]) { NULL });

  host->tools.probed = TRUE;
  host->tools.qemu_path = g_strdup ("/opt/qemu/bin/qemu-system-aarch64");
  host->tools.qemu_version = g_strdup ("11.1.0");
  host->tools.smmuv3_user_creatable = TRI_YES;
  for (const char *const *p = (const char *[]) { "accel", "ats", "oas", "ril", "ssidsize", NULL }; *p; p++)
    g_ptr_array_add (host->tools.smmuv3_props, g_strdup (*p));
  host->tools.libvirt_version = g_strdup ("12.5.0");
  g_ptr_array_add (host->notes, g_strdup ("0000:03:00.0: config space needs root — \"ATS\" unknown / é"));
  g_ptr_array_add (host->notes, g_strdup ("tab\there, backslash \\ and a control \x01 byte"));
  host_model_finish (host);
  return host;
}

static void
assert_strings_equal (const GPtrArray *a, const GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_cmpstr (a->pdata[i], ==, b->pdata[i]);
}

static void
assert_access_equal (const host_node_access *a, const host_node_access *b)
{
  g_assert_cmpint (a->present, ==, b->present);
  g_assert_cmpuint (a->mode, ==, b->mode);
  g_assert_cmpuint (a->uid, ==, b->uid);
  g_assert_cmpuint (a->gid, ==, b->gid);
  g_assert_cmpint (a->is_char_device, ==, b->is_char_device);
}

static void
assert_smmus_equal (const host_smmu *a, const host_smmu *b)
{
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmphex (a->base, ==, b->base);
  g_assert_cmpstr (a->platform_device, ==, b->platform_device);
  g_assert_cmpint (a->numa_node, ==, b->numa_node);
  g_assert_cmpstr (a->numa_source, ==, b->numa_source);
  g_assert_cmpint (a->in_iort, ==, b->in_iort);
  g_assert_cmpuint (a->iort_offset, ==, b->iort_offset);
  g_assert_cmpint (a->canwbs, ==, b->canwbs);
  g_assert_cmpint (a->hwinfo.known, ==, b->hwinfo.known);
  g_assert_cmpstr (a->hwinfo.source, ==, b->hwinfo.source);
  g_assert_cmphex (a->hwinfo.flags, ==, b->hwinfo.flags);
  for (guint i = 0; i < 6; i++)
    g_assert_cmphex (a->hwinfo.idr[i], ==, b->hwinfo.idr[i]);
  g_assert_cmphex (a->hwinfo.iidr, ==, b->hwinfo.iidr);
  g_assert_cmphex (a->hwinfo.aidr, ==, b->hwinfo.aidr);
  g_assert_cmphex (a->hwinfo.out_capabilities, ==, b->hwinfo.out_capabilities);
  g_assert_cmpuint (a->hwinfo.out_max_pasid_log2, ==, b->hwinfo.out_max_pasid_log2);
  assert_strings_equal (a->devices, b->devices);
}

static void
assert_devices_equal (const host_pci_device *a, const host_pci_device *b)
{
  g_assert_cmpstr (a->bdf, ==, b->bdf);
  g_assert_cmpuint (a->segment, ==, b->segment);
  g_assert_cmpuint (a->bus, ==, b->bus);
  g_assert_cmpuint (a->slot, ==, b->slot);
  g_assert_cmpuint (a->function, ==, b->function);
  g_assert_cmphex (a->vendor, ==, b->vendor);
  g_assert_cmphex (a->device, ==, b->device);
  g_assert_cmphex (a->class_code, ==, b->class_code);
  g_assert_cmpstr (a->driver, ==, b->driver);
  g_assert_cmpint (a->iommu_group, ==, b->iommu_group);
  g_assert_cmpstr (a->smmu, ==, b->smmu);
  g_assert_cmpstr (a->smmu_source, ==, b->smmu_source);
  g_assert_cmpint (a->numa_node, ==, b->numa_node);
  g_assert_cmpuint (a->bars->len, ==, b->bars->len);
  for (guint i = 0; i < a->bars->len; i++)
    {
      const host_bar *x = &g_array_index (a->bars, host_bar, i), *y = &g_array_index (b->bars, host_bar, i);
      g_assert_cmpuint (x->index, ==, y->index);
      g_assert_cmphex (x->start, ==, y->start);
      g_assert_cmphex (x->size, ==, y->size);
      g_assert_cmpint (x->is64, ==, y->is64);
      g_assert_cmpint (x->prefetchable, ==, y->prefetchable);
    }
  g_assert_cmphex (a->bar64_total, ==, b->bar64_total);
  g_assert_cmphex (a->bar_total, ==, b->bar_total);
  g_assert_cmpstr (a->link_speed, ==, b->link_speed);
  g_assert_cmpint (a->link_width, ==, b->link_width);
  g_assert_cmpstr (a->vfio_cdev, ==, b->vfio_cdev);
  g_assert_cmpint (a->is_bridge, ==, b->is_bridge);
  g_assert_cmpint (a->ats, ==, b->ats);
  g_assert_cmpint (a->pri, ==, b->pri);
  g_assert_cmpint (a->pasid, ==, b->pasid);
  g_assert_cmpint (a->pasid_width, ==, b->pasid_width);
  g_assert_cmpint (a->canwbs, ==, b->canwbs);
  g_assert_cmpstr (a->sysfs_path, ==, b->sysfs_path);
}

static void
assert_groups_equal (const host_iommu_group *a, const host_iommu_group *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpstr (a->type, ==, b->type);
  assert_strings_equal (a->devices, b->devices);
  g_assert_cmpuint (a->reserved_regions->len, ==, b->reserved_regions->len);
  for (guint i = 0; i < a->reserved_regions->len; i++)
    {
      const host_reserved_region *x = &g_array_index (a->reserved_regions, host_reserved_region, i);
      const host_reserved_region *y = &g_array_index (b->reserved_regions, host_reserved_region, i);
      g_assert_cmphex (x->start, ==, y->start);
      g_assert_cmphex (x->end, ==, y->end);
      g_assert_cmpstr (x->type, ==, y->type);
    }
}

static void
assert_hosts_equal (const host_model *a, const host_model *b)
{
  g_assert_cmpstr (a->root, ==, b->root);
  g_assert_cmpstr (a->kernel_release, ==, b->kernel_release);
  assert_access_equal (&a->dev_iommu, &b->dev_iommu);
  assert_access_equal (&a->vfio_devices_dir, &b->vfio_devices_dir);
  assert_access_equal (&a->vfio_legacy, &b->vfio_legacy);
  g_assert_cmpint (a->iort_present, ==, b->iort_present);
  g_assert_cmpstr (a->iort_source, ==, b->iort_source);
  g_assert_cmpuint (a->smmus->len, ==, b->smmus->len);
  for (guint i = 0; i < a->smmus->len; i++)
    assert_smmus_equal (a->smmus->pdata[i], b->smmus->pdata[i]);
  g_assert_cmpuint (a->devices->len, ==, b->devices->len);
  for (guint i = 0; i < a->devices->len; i++)
    assert_devices_equal (a->devices->pdata[i], b->devices->pdata[i]);
  g_assert_cmpuint (a->groups->len, ==, b->groups->len);
  for (guint i = 0; i < a->groups->len; i++)
    assert_groups_equal (a->groups->pdata[i], b->groups->pdata[i]);
  g_assert_cmpuint (a->numa_nodes->len, ==, b->numa_nodes->len);
  for (guint i = 0; i < a->numa_nodes->len; i++)
    {
      const host_numa_node *x = &g_array_index (a->numa_nodes, host_numa_node, i);
      const host_numa_node *y = &g_array_index (b->numa_nodes, host_numa_node, i);
      g_assert_cmpint (x->id, ==, y->id);
      g_assert_cmpint (x->has_cpu, ==, y->has_cpu);
      g_assert_cmpint (x->has_memory, ==, y->has_memory);
    }
  g_assert_cmpint (a->tools.probed, ==, b->tools.probed);
  g_assert_cmpstr (a->tools.qemu_path, ==, b->tools.qemu_path);
  g_assert_cmpstr (a->tools.qemu_version, ==, b->tools.qemu_version);
  g_assert_cmpint (a->tools.smmuv3_user_creatable, ==, b->tools.smmuv3_user_creatable);
  assert_strings_equal (a->tools.smmuv3_props, b->tools.smmuv3_props);
  g_assert_cmpstr (a->tools.libvirt_version, ==, b->tools.libvirt_version);
  assert_strings_equal (a->notes, b->notes);
}

/* Serialize, parse, compare models, serialize again: same bytes. */
static void
assert_round_trip (const host_model *host)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = hostjson_to_string (host, NULL);
  g_autoptr (host_model) back = hostjson_parse (text, strlen (text), "round-trip.json", &error);
  g_assert_no_error (error);
  assert_hosts_equal (host, back);
  g_autofree char *again = hostjson_to_string (back, NULL);
  g_assert_cmpstr (text, ==, again);
}

/* ---- schema --------------------------------------------------------------- */

static const char *schema_check_py =
  "import json, sys, jsonschema\n"
  "schema = json.load(open(sys.argv[1]))\n"
  "jsonschema.Draft202012Validator.check_schema(schema)\n"
  "bad = 0\n"
  "for path in sys.argv[2:]:\n"
  "    for e in jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(path))):\n"
  "        print(path, '/'.join(map(str, e.absolute_path)), e.message)\n"
  "        bad = 1\n"
  "sys.exit(bad)\n";

/* TRUE when every text is valid against data/schemas/host.schema.json;
 * one checker process for all of them (starting Python is the slow part). */
static gboolean
schema_accepts_all (const GPtrArray *texts, char **report)
{
  g_autoptr (GError) error = NULL;
  const char *srcdir = g_getenv ("SRCDIR");
  g_assert_nonnull (srcdir);
  g_autofree char *schema = g_build_filename (srcdir, "data", "schemas", "host.schema.json", NULL);
  g_autofree char *dir = g_dir_make_tmp ("smmuctl-schema-XXXXXX", &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  /* python3 on PATH may lack jsonschema: Debian's has it. */
  g_ptr_array_add (argv, g_strdup ("/usr/bin/python3"));
  g_ptr_array_add (argv, g_strdup ("-c"));
  g_ptr_array_add (argv, g_strdup (schema_check_py));
  g_ptr_array_add (argv, g_strdup (schema));
  for (guint i = 0; i < texts->len; i++)
    {
      char *doc = g_strdup_printf ("%s/doc%u.json", dir, i);
      g_assert_true (g_file_set_contents (doc, texts->pdata[i], -1, NULL));
      g_ptr_array_add (argv, doc);
    }
  g_ptr_array_add (argv, NULL);
  int status = -1;
  g_autofree char *out = NULL, *err = NULL;
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  for (guint i = 4; i < argv->len - 1; i++)
    g_unlink (argv->pdata[i]);
  g_rmdir (dir);
  if (report)
    *report = g_strconcat (out, err, NULL);
  g_assert_true (WIFEXITED (status));
  /* 1 = findings; anything else is a broken checker, not a verdict. */
  g_assert_cmpint (WEXITSTATUS (status), <=, 1);
  return WEXITSTATUS (status) == 0;
}

static gboolean
schema_accepts (const char *text, char **report)
{
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  g_ptr_array_add (texts, (gpointer) text);
  return schema_accepts_all (texts, report);
}

static void
assert_schema_valid (const char *text)
{
  g_autofree char *report = NULL;
  if (!schema_accepts (text, &report))
    g_error ("document does not match host.schema.json:\n%s", report);
}

/* ---- tests ---------------------------------------------------------------- */

static void
test_round_trip_rich (void)
{
  g_autoptr (host_model) host = build_rich_host ();
  assert_round_trip (host);
}

static void
test_round_trip_empty (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host_model_finish (host);
  assert_round_trip (host);
  g_autofree char *text = hostjson_to_string (host, NULL);
  assert_schema_valid (text);
}

static void
test_round_trip_live (void)
{
  g_autoptr (GError) error = NULL;
  host_load_options opts = { 0 };
  g_autoptr (host_model) host = host_load (&opts, &error);
  g_assert_no_error (error);
  assert_round_trip (host);
  g_autofree char *text = hostjson_to_string (host, NULL);
  assert_schema_valid (text);
}

static void
test_round_trip_fixtures (void)
{
  g_autofree char *hosts = g_build_filename (g_getenv ("SRCDIR"), "tests", "data", "hosts", NULL);
  g_autoptr (GDir) dir = g_dir_open (hosts, 0, NULL);
  if (dir == NULL)
    {
      g_test_skip ("no fixture hosts under tests/data/hosts");
      return;
    }
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  for (const char *name; (name = g_dir_read_name (dir)) != NULL;)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *root = g_build_filename (hosts, name, NULL);
      g_autofree char *sys = g_build_filename (root, "sys", NULL);
      if (!g_file_test (sys, G_FILE_TEST_IS_DIR))
        continue;
      g_autofree char *recording = g_build_filename (root, "hwinfo.json", NULL);
      host_load_options opts = { .root = root };
      if (g_file_test (recording, G_FILE_TEST_EXISTS))
        opts.hwinfo_json = recording;
      g_autoptr (host_model) host = host_load (&opts, &error);
      if (host == NULL)
        {
          g_test_message ("%s: not loadable (%s)", name, error->message); /* broken-* fixtures */
          continue;
        }
      g_test_message ("%s: %u SMMUs, %u devices", name, host->smmus->len, host->devices->len);
      assert_round_trip (host);
      g_ptr_array_add (texts, hostjson_to_string (host, NULL));
    }
  g_assert_cmpuint (texts->len, >, 0);
  g_autofree char *report = NULL;
  if (!schema_accepts_all (texts, &report))
    g_error ("fixture documents do not match host.schema.json:\n%s", report);
}

static void
test_schema_rich_and_catches (void)
{
  g_autoptr (host_model) host = build_rich_host ();
  g_autofree char *text = hostjson_to_string (host, NULL);
  assert_schema_valid (text);
  /* The checker must be able to say no: an integer base is not the format. */
  g_autoptr (json_object) doc = hostjson_from_model (host, NULL);
  json_object *smmu = json_object_array_get_idx (json_object_object_get (doc, "smmus"), 0);
  json_object_object_add (smmu, "base", json_object_new_int64 (0x16000000));
  g_autofree char *broken = json_pretty_string (doc);
  g_autofree char *report = NULL;
  g_assert_false (schema_accepts (broken, &report));
  g_assert_nonnull (strstr (report, "smmus/0/base"));
}

static void
test_text_style (void)
{
  g_autoptr (host_model) host = build_rich_host ();
  g_autofree char *text = hostjson_to_string (host, NULL);
  g_assert_true (g_str_has_prefix (text, "{\n  \"format\": \"smmuctl-host\",\n  \"format_version\": 1,\n"
                                         "  \"root\": \"/srv/snapshots/gb200\",\n"));
  g_assert_true (g_str_has_suffix (text, "\n}\n"));
  g_assert_null (strstr (text, "\\/"));                      /* paths stay readable */
  g_assert_nonnull (strstr (text, "root — \\\"ATS\\\" unknown / é\""));   /* UTF-8 kept */
  g_assert_nonnull (strstr (text, "tab\\there, backslash \\\\ and a control \\u0001 byte"));
  g_assert_nonnull (strstr (text, "\"bars\": [],\n"));        /* empty arrays stay on one line */
  g_assert_nonnull (strstr (text, "\"base\": \"0x0000000016000000\""));
  g_assert_nonnull (strstr (text, "\"size\": 9223372036854775808"));
  g_assert_nonnull (strstr (text, "\"start\": \"0xffffffffffffffff\""));
  g_assert_nonnull (strstr (text, "\"mode\": \"0660\""));
  g_assert_nonnull (strstr (text, "\"iommu_group\": null"));
  g_assert_nonnull (strstr (text, "\"oas_bits\": 48"));      /* IDR5.OAS = 5 */
  g_assert_nonnull (strstr (text, "\"possible\": \"yes\""));
  /* Top-level keys in their fixed order. */
  const char *keys[] = { "\"root\"", "\"kernel\"", "\"iommufd\"", "\"vfio_cdev\"", "\"vfio_legacy\"",
                         "\"iort\"", "\"numa_nodes\"", "\"smmus\"", "\"pci_devices\"",
                         "\"iommu_groups\"", "\"tools\"", "\"notes\"" };
  const char *previous = text;
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *needle = g_strdup_printf ("\n  %s: ", keys[i]);
      const char *at = strstr (text, needle);
      g_assert_nonnull (at);
      g_assert_true (at > previous);
      previous = at;
    }
}

static void
test_checks_embedded_not_read (void)
{
  g_autoptr (host_model) host = build_rich_host ();
  json_object *checks = json_object_new_array ();
  json_object *check = json_object_new_object ();
  json_object_object_add (check, "status", json_object_new_string ("WARN"));
  json_object_object_add (check, "id", json_object_new_string ("driver"));
  json_object_object_add (check, "subject", json_object_new_string ("0000:03:00.0"));
  json_object_object_add (check, "message", json_object_new_string ("bound to mlx5_core"));
  json_object_object_add (check, "hint", NULL);
  json_object_array_add (checks, check);
  g_autofree char *text = hostjson_to_string (host, checks);
  g_assert_true (g_str_has_suffix (text, "\"hint\": null\n    }\n  ]\n}\n")); /* last key */
  assert_schema_valid (text);
  g_autoptr (GError) error = NULL;
  g_autoptr (host_model) back = hostjson_parse (text, strlen (text), "with-checks.json", &error);
  g_assert_no_error (error);
  assert_hosts_equal (host, back);
}

static host_model *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  host_model *host = hostjson_parse (text, strlen (text), "host.json", &error);
  g_assert_no_error (error);
  g_assert_nonnull (host);
  return host;
}

static void
test_lenient_reading (void)
{
  /* Minimal: only the header; everything else unknown. */
  g_autoptr (host_model) empty = parse_ok ("{\"format\":\"smmuctl-host\",\"format_version\":1}");
  g_assert_cmpuint (empty->smmus->len, ==, 0);
  g_assert_null (empty->root);
  g_assert_false (empty->tools.probed);
  g_assert_nonnull (empty->tools.smmuv3_props);

  /* Unknown keys anywhere are ignored; derived members are recomputed;
   * BDFs are normalized; BAR totals are summed when absent. */
  g_autoptr (host_model) host = parse_ok (
    "{\"format\":\"smmuctl-host\",\"format_version\":1,\"from_the_future\":{\"x\":[1]},"
    " \"smmus\":[{\"name\":\"smmu3.0x0000000016000000\",\"base\":\"0x16000000\",\"shiny\":true,"
    "   \"devices\":[\"0000:99:00.0\"],\"caps\":{\"s1p\":false},\"nesting\":\"whatever\"}],"
    " \"pci_devices\":[{\"bdf\":\"01:00.0\",\"smmu\":\"smmu3.0x0000000016000000\",\"vendor\":\"0x10DE\","
    "   \"bars\":[{\"index\":0,\"start\":\"0x1000\",\"size\":4096,\"is64\":true},"
    "            {\"index\":2,\"start\":\"0x2000\",\"size\":8192}]}],"
    " \"iommu_groups\":[{\"id\":3,\"devices\":[\"01:00.0\"]}]}");
  host_smmu *smmu = host->smmus->pdata[0];
  g_assert_cmpuint (smmu->devices->len, ==, 1);
  g_assert_cmpstr (smmu->devices->pdata[0], ==, "0000:01:00.0");
  g_assert_cmpint (smmu->numa_node, ==, -1);
  host_pci_device *dev = host_find_device (host, "0000:01:00.0");
  g_assert_nonnull (dev);
  g_assert_cmpstr (dev->bdf, ==, "0000:01:00.0");
  g_assert_cmpuint (dev->bus, ==, 1);
  g_assert_cmphex (dev->vendor, ==, 0x10de);
  g_assert_cmpint (dev->iommu_group, ==, -1);
  g_assert_cmpint (dev->pasid_width, ==, -1);
  g_assert_cmpuint (dev->bar_total, ==, 4096 + 8192);
  g_assert_cmpuint (dev->bar64_total, ==, 4096);
  g_assert_cmpstr (((host_iommu_group *) host->groups->pdata[0])->devices->pdata[0], ==, "0000:01:00.0");
}

static const struct {
  const char *doc;
  const char *message;
} bad_documents[] = {
#define HDR "{\"format\":\"smmuctl-host\",\"format_version\":1,"
  { HDR "\"pci_devices\":[{\"bdf\":\"0000:01:00.0\"},{\"bdf\":\"0000:02:00.0\"},{\"bdf\":\"0000:03:00.0\"},"
        "{\"bdf\":\"0000:04:00.0\",\"iommu_group\":\"7\"}]}",
    "host.json: $.pci_devices[3].iommu_group: expected an integer or null" },
  { "{\"format_version\":1}",
    "host.json: $.format: missing: this is not a smmuctl host document (expected \"smmuctl-host\"); "
    "write one with smmuctl probe --json" },
  { "{\"format\":\"smmuctl-validate\",\"format_version\":1}",
    "host.json: $.format: \"smmuctl-validate\" is not a smmuctl host document (expected \"smmuctl-host\"); "
    "write one with smmuctl probe --json" },
  { "{\"format\":\"smmuctl-host\",\"format_version\":2}",
    "host.json: $.format_version: version 2 is newer than this smmuctl reads (1); upgrade smmuctl or "
    "write the document with this version's probe --json" },
  { "{\"format\":\"smmuctl-host\",\"format_version\":\"1\"}",
    "host.json: $.format_version: expected an integer" },
  { "{\"format\":\"smmuctl-host\",\"format_version\":0}",
    "host.json: $.format_version: expected an integer from 1 to 9223372036854775807" },
  { "{\"format\":\"smmuctl-host\"}", "host.json: $.format_version: missing" },
  { "[]", "host.json: $: expected an object (a smmuctl probe --json document)" },
  { "{\n  \"format\": ,\n}", "host.json:2:13: not valid JSON: unexpected character" },
  { "{\"format\":\"smmuctl-host\",\"format_version\":1,}", "host.json:1:45: not valid JSON: unexpected character" },
  { HDR "\"notes\":[]} {}", "host.json:1:57: not valid JSON: unexpected character" },
  { "", "host.json:1:1: not valid JSON: unexpected end of input" },
  { "{\"format\":\"smmuctl-host\"", "host.json:1:25: not valid JSON: unexpected end of input" },
  { "{\"format\":\"smmuctl-host\xff\"}", "host.json:1:24: not valid JSON: invalid utf-8 string" },
  { HDR "\"smmus\":[{\"name\":\"smmu3.0x16000000\",\"base\":\"16000000\"}]}",
    "host.json: $.smmus[0].base: expected a hexadecimal string such as \"0x1f\"" },
  { HDR "\"smmus\":[{\"name\":\"smmu3.0x16000000\",\"base\":\"0x10000000000000000\"}]}",
    "host.json: $.smmus[0].base: expected a hexadecimal string such as \"0x1f\"" },
  { HDR "\"smmus\":[{\"base\":\"0x16000000\"}]}", "host.json: $.smmus[0].name: missing" },
  { HDR "\"smmus\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"a\"}]}",
    "host.json: $.smmus[2]: a appears twice in $.smmus (at [0] too)" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"canwbs\":\"maybe\"}]}",
    "host.json: $.smmus[0].canwbs: expected \"yes\", \"no\", \"unknown\" or null" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"numa_source\":\"acpi\"}]}",
    "host.json: $.smmus[0].numa_source: expected \"sysfs\", \"iort\" or null" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"numa_node\":-2}]}",
    "host.json: $.smmus[0].numa_node: expected an integer from -1 to 2147483647" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"hwinfo\":{\"idr\":[\"0x1\",\"0x2\",\"0x3\",\"0x4\",\"0x5\"]}}]}",
    "host.json: $.smmus[0].hwinfo.idr: expected an array of 6 hexadecimal strings (IDR0..IDR5)" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"hwinfo\":{\"idr\":[\"0x1\",\"0x2\",\"0x100000000\",\"0x4\",\"0x5\",\"0x6\"]}}]}",
    "host.json: $.smmus[0].hwinfo.idr[2]: 0x100000000 is out of range (at most 0xffffffff)" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"hwinfo\":{\"type\":\"tegra241-cmdqv\",\"idr\":[]}}]}",
    "host.json: $.smmus[0].hwinfo.type: \"tegra241-cmdqv\" is not a data type smmuctl reads (expected \"arm-smmuv3\")" },
  { HDR "\"smmus\":[{\"name\":\"a\",\"hwinfo\":[]}]}", "host.json: $.smmus[0].hwinfo: expected an object or null" },
  { HDR "\"smmus\":{}}", "host.json: $.smmus: expected an array or null" },
  { HDR "\"smmus\":[3]}", "host.json: $.smmus[0]: expected an object" },
  { HDR "\"pci_devices\":[{\"bdf\":\"0000:01:00.0\"},{\"bdf\":\"0000:01:00.0\"}]}",
    "host.json: $.pci_devices[1]: 0000:01:00.0 appears twice in $.pci_devices (at [0] too)" },
  { HDR "\"pci_devices\":[{\"bdf\":\"0000:01:20.0\"}]}",
    "host.json: $.pci_devices[0].bdf: expected a PCI address such as \"0000:01:00.0\"" },
  { HDR "\"pci_devices\":[{\"vendor\":\"0x10de\"}]}", "host.json: $.pci_devices[0].bdf: missing" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"vendor\":\"0x10000\"}]}",
    "host.json: $.pci_devices[0].vendor: 0x10000 is out of range (at most 0xffff)" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"bars\":[{\"index\":0,\"size\":-1}]}]}",
    "host.json: $.pci_devices[0].bars[0].size: expected a non-negative integer" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"bars\":[{\"index\":0,\"size\":1.5}]}]}",
    "host.json: $.pci_devices[0].bars[0].size: expected a non-negative integer" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"is_bridge\":null}]}",
    "host.json: $.pci_devices[0].is_bridge: expected true or false" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"driver\":\"vfio\\u0000pci\"}]}",
    "host.json: $.pci_devices[0].driver: contains a NUL character" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"iommu_group\":99999999999}]}",
    "host.json: $.pci_devices[0].iommu_group: expected an integer from -1 to 2147483647" },
  { HDR "\"pci_devices\":[{\"bdf\":\"01:00.0\",\"numa_node\":18446744073709551615}]}",
    "host.json: $.pci_devices[0].numa_node: expected an integer from -1 to 2147483647" },
  { HDR "\"iommu_groups\":[{\"id\":1,\"devices\":[\"0000:01:00.0\",\"nope\"]}]}",
    "host.json: $.iommu_groups[0].devices[1]: expected a PCI address such as \"0000:01:00.0\"" },
  { HDR "\"iommu_groups\":[{\"id\":1,\"reserved_regions\":[{\"start\":\"0x0\",\"end\":8}]}]}",
    "host.json: $.iommu_groups[0].reserved_regions[0].end: expected a hexadecimal string such as \"0x1f\"" },
  { HDR "\"iommu_groups\":[{\"id\":1},{\"id\":1}]}",
    "host.json: $.iommu_groups[1]: group 1 appears twice in $.iommu_groups (at [0] too)" },
  { HDR "\"numa_nodes\":[{\"id\":0},{\"id\":0}]}",
    "host.json: $.numa_nodes[1]: node 0 appears twice in $.numa_nodes (at [0] too)" },
  { HDR "\"iommufd\":{\"mode\":\"rw-rw----\"}}",
    "host.json: $.iommufd.mode: expected octal permissions such as \"0660\"" },
  { HDR "\"kernel\":{\"release\":6}}", "host.json: $.kernel.release: expected a string or null" },
  { HDR "\"tools\":{\"smmuv3_props\":[\"accel\",1]}}",
    "host.json: $.tools.smmuv3_props[1]: expected a string without NUL characters" },
  { HDR "\"notes\":\"none\"}", "host.json: $.notes: expected an array or null" },
#undef HDR
};

static void
test_errors_name_the_path (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_documents); i++)
    {
      g_autoptr (GError) error = NULL;
      const char *doc = bad_documents[i].doc;
      g_autoptr (host_model) host = hostjson_parse (doc, strlen (doc), "host.json", &error);
      g_test_message ("document %" G_GSIZE_FORMAT ": %s", i, doc);
      g_assert_null (host);
      g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
      g_assert_cmpstr (error->message, ==, bad_documents[i].message);
    }
  /* json-c stops at a NUL byte; what follows it must not be ignored. */
  static const char nul_tail[] = "{\"format\":\"smmuctl-host\",\"format_version\":1}\0garbage";
  g_autoptr (GError) error = NULL;
  g_assert_null (hostjson_parse (nul_tail, sizeof nul_tail - 1, "host.json", &error));
  g_assert_cmpstr (error->message, ==, "host.json:1:45: not valid JSON: unexpected text after the document");
}

static void
test_size_cap (void)
{
  g_autoptr (GError) error = NULL;
  gsize len = HOSTJSON_MAX_SIZE + 1;
  g_autofree char *big = g_malloc (len);
  memset (big, ' ', len);
  g_assert_null (hostjson_parse (big, len, "big.json", &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, "big.json: $: larger than 64 MiB; not a host document");

  g_clear_error (&error);
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("smmuctl-big-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, big, len), ==, (gssize) len);
  close (fd);
  g_assert_null (hostjson_read_file (path, &error));
  g_autofree char *want = g_strdup_printf ("%s: larger than 64 MiB, refusing to read it", path);
  g_assert_cmpstr (error->message, ==, want);
  g_unlink (path);
}

static void
test_read_file_and_stdin (void)
{
  g_autoptr (GError) error = NULL;
  g_assert_null (hostjson_read_file ("/nonexistent/host.json", &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, "/nonexistent/host.json: cannot open: No such file or directory");
  g_clear_error (&error);
  g_assert_null (hostjson_read_file ("/", &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, "/: cannot read: Is a directory");
  g_clear_error (&error);

  g_autoptr (host_model) host = build_rich_host ();
  g_autofree char *text = hostjson_to_string (host, NULL);
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("smmuctl-host-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_autoptr (host_model) from_file = hostjson_read_file (path, &error);
  g_assert_no_error (error);
  assert_hosts_equal (host, from_file);

  /* "-" reads stdin; messages then say <stdin>. */
  int saved = dup (STDIN_FILENO);
  g_assert_true (g_file_set_contents (path, "{\"format\":\"smmuctl-host\",\"format_version\":1,\"root\":7}", -1, NULL));
  fd = open (path, O_RDONLY);
  g_assert_cmpint (dup2 (fd, STDIN_FILENO), ==, STDIN_FILENO);
  close (fd);
  g_assert_null (hostjson_read_file ("-", &error));
  dup2 (saved, STDIN_FILENO);
  close (saved);
  clearerr (stdin);
  g_assert_cmpstr (error->message, ==, "<stdin>: $.root: expected a string or null");
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostjson/round-trip/rich", test_round_trip_rich);
  g_test_add_func ("/hostjson/round-trip/empty", test_round_trip_empty);
  g_test_add_func ("/hostjson/round-trip/live", test_round_trip_live);
  g_test_add_func ("/hostjson/round-trip/fixtures", test_round_trip_fixtures);
  g_test_add_func ("/hostjson/schema/rich-and-catches", test_schema_rich_and_catches);
  g_test_add_func ("/hostjson/text-style", test_text_style);
  g_test_add_func ("/hostjson/checks-embedded-not-read", test_checks_embedded_not_read);
  g_test_add_func ("/hostjson/lenient-reading", test_lenient_reading);
  g_test_add_func ("/hostjson/errors-name-the-path", test_errors_name_the_path);
  g_test_add_func ("/hostjson/size-cap", test_size_cap);
  g_test_add_func ("/hostjson/read-file-and-stdin", test_read_file_and_stdin);
  return g_test_run ();
}
