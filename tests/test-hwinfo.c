/* SMMUv3 hw_info: IDR decoding (with the OAS table), recordings, and the
 * live path's refusals on a machine without an SMMU. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "hwinfo.h"
#include "jsontext.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

/* IDR0: S2P S1P TTF=2 COHACC HTTU=2 ATS ASID16 PRI VMID16 ST_LEVEL=1, no BTM */
#define IDR0_NESTING_ATS 0x0805149bu
/* IDR1: SIDSIZE=32 SSIDSIZE=20 */
#define IDR1_SID32_SSID20 0x00000520u
/* IDR3: RIL, BBML=2, no FWB */
#define IDR3_RIL_BBML2 0x00001400u
/* IDR5: OAS=5 (48 bits), GRAN4K, GRAN64K */
#define IDR5_OAS48_4K_64K 0x00000055u

static host_hwinfo
known_hwinfo (void)
{
  return (host_hwinfo) {
    .known = TRUE,
    .idr = { IDR0_NESTING_ATS, IDR1_SID32_SSID20, 0, IDR3_RIL_BBML2, 0, IDR5_OAS48_4K_64K },
    .out_capabilities = HWINFO_CAP_DIRTY_TRACKING | HWINFO_CAP_PCI_ATS_NOT_SUPPORTED,
    .out_max_pasid_log2 = 20,
  };
}

static void
test_decode_fields (void)
{
  host_hwinfo hw = known_hwinfo ();
  g_assert_cmpint (hwinfo_field (&hw, IDR_S1P), ==, 1);
  g_assert_cmpint (hwinfo_field (&hw, IDR_TTF), ==, 2);
  g_assert_cmpint (hwinfo_field (&hw, IDR_HTTU), ==, 2);
  g_assert_cmpint (hwinfo_field (&hw, IDR_ST_LEVEL), ==, 1);
  g_assert_cmpint (hwinfo_field (&hw, IDR_SIDSIZE), ==, 32);
  g_assert_cmpint (hwinfo_field (&hw, IDR_SSIDSIZE), ==, 20);
  g_assert_cmpint (hwinfo_field (&hw, IDR_BBML), ==, 2);
  g_assert_cmpint (hwinfo_field (&hw, IDR_OAS), ==, 5);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_S2P), ==, TRI_YES);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_ATS), ==, TRI_YES);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_PRI), ==, TRI_YES);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_BTM), ==, TRI_NO);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_FWB), ==, TRI_NO);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_RIL), ==, TRI_YES);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_GRAN4K), ==, TRI_YES);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_GRAN16K), ==, TRI_NO);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_GRAN64K), ==, TRI_YES);
  g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, 48);
  g_assert_cmpint (hwinfo_capability_flag (&hw, HWINFO_CAP_DIRTY_TRACKING), ==, TRI_YES);
  g_assert_cmpint (hwinfo_capability_flag (&hw, HWINFO_CAP_PASID_EXEC), ==, TRI_NO);
  g_assert_cmpint (hwinfo_capability_flag (&hw, HWINFO_CAP_PCI_ATS_NOT_SUPPORTED), ==, TRI_YES);

  host_smmu *smmu = host_smmu_new ();
  g_assert_cmpint (host_smmu_cap (smmu, IDR_S1P), ==, TRI_UNKNOWN);
  smmu->hwinfo = hw;
  g_assert_cmpint (host_smmu_cap (smmu, IDR_S1P), ==, TRI_YES);
  g_assert_cmpint (host_smmu_cap (smmu, IDR_FWB), ==, TRI_NO);
  host_smmu_free (smmu);
}

static void
test_oas_table (void)
{
  /* IDR5.OAS: 0:32 1:36 2:40 3:42 4:44 5:48 6:52; not 32 + 4*field. */
  static const guint want[] = { 32, 36, 40, 42, 44, 48, 52, 0 };
  host_hwinfo hw = known_hwinfo ();
  for (guint field = 0; field < G_N_ELEMENTS (want); field++)
    {
      hw.idr[5] = (IDR5_OAS48_4K_64K & ~7u) | field;
      g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, want[field]);
    }
  hw.idr[5] = 5;
  g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, 48);
  hw.idr[5] = 6;
  g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, 52);
  hw.idr[5] = 3;
  g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, 42);
}

static void
test_unknown (void)
{
  host_hwinfo hw = { 0 };
  g_assert_cmpint (hwinfo_field (&hw, IDR_SSIDSIZE), ==, -1);
  g_assert_cmpint (hwinfo_flag (&hw, IDR_S1P), ==, TRI_UNKNOWN);
  g_assert_cmpuint (hwinfo_oas_bits (&hw), ==, 0);
  g_assert_cmpint (hwinfo_capability_flag (&hw, HWINFO_CAP_DIRTY_TRACKING), ==, TRI_UNKNOWN);
  g_assert_null (hwinfo_caps_to_json (&hw));
  g_assert_null (hwinfo_registers_to_json (&hw));
}

static void
test_caps_json (void)
{
  host_hwinfo hw = known_hwinfo ();
  g_autoptr (json_object) caps = hwinfo_caps_to_json (&hw);
  g_autofree char *text = json_pretty_string (caps);
  static const char want[] =
    "{\n  \"s2p\": true,\n  \"s1p\": true,\n  \"ttf\": 2,\n  \"cohacc\": true,\n  \"btm\": false,\n"
    "  \"httu\": 2,\n  \"ats\": true,\n  \"asid16\": true,\n  \"pri\": true,\n  \"vmid16\": true,\n  \"ttendian\": 0,\n"
    "  \"st_level\": 1,\n  \"sidsize\": 32,\n  \"ssidsize\": 20,\n  \"fwb\": false,\n  \"ril\": true,\n"
    "  \"bbml\": 2,\n  \"oas\": 5,\n  \"oas_bits\": 48,\n  \"gran4k\": true,\n  \"gran16k\": false,\n"
    "  \"gran64k\": true,\n  \"dirty_tracking\": true,\n  \"pasid_exec\": false,\n"
    "  \"pasid_priv\": false,\n  \"pci_ats_not_supported\": true,\n  \"max_pasid_log2\": 20\n}\n";
  g_assert_cmpstr (text, ==, want);

  hw.idr[5] = 7; /* reserved encoding: no size */
  g_autoptr (json_object) reserved = hwinfo_caps_to_json (&hw);
  g_assert_null (json_object_object_get (reserved, "oas_bits"));
  g_assert_true (json_object_object_get_ex (reserved, "oas_bits", NULL));
  g_assert_cmpint (json_object_get_int (json_object_object_get (reserved, "oas")), ==, 7);
}

/* ---- recordings ----------------------------------------------------------- */

static host_model *
two_smmu_host (void)
{
  host_model *host = host_model_new ();
  const char *names[] = { "smmu3.0x0000000016000000", "smmu3.0x0000000016800000" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      host_smmu *smmu = host_smmu_new ();
      smmu->name = g_strdup (names[i]);
      smmu->base = g_ascii_strtoull (names[i] + strlen ("smmu3."), NULL, 16);
      g_ptr_array_add (host->smmus, smmu);
    }
  host->root = g_strdup ("/");
  host_model_finish (host);
  return host;
}

static char *
write_temp (const char *content)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("smmuctl-hwinfo-XXXXXX.json", &path, &error);
  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
  return path;
}

static void
test_recording (void)
{
  g_autoptr (host_model) host = two_smmu_host ();
  g_autofree char *path = write_temp (
    "{\"smmus\": [\n"
    "  {\"smmu\": \"smmu3.0x0000000016000000\", \"type\": \"arm-smmuv3\", \"flags\": 0,\n"
    "   \"idr\": [\"0x0805149b\", \"0x00000520\", \"0x0\", \"0x00001400\", \"0x0\", \"0x00000055\"],\n"
    "   \"iidr\": \"0x4b00043b\", \"aidr\": \"0x4\", \"out_capabilities\": \"0x9\", \"out_max_pasid_log2\": 20},\n"
    "  {\"smmu\": \"smmu3.0x00000000ffff0000\", \"idr\": [\"0x3\", \"0x0\", \"0x0\", \"0x0\", \"0x0\", \"0x6\"]}\n"
    "], \"recorded_on\": \"a future key, ignored\"}\n");
  g_autoptr (GError) error = NULL;
  g_assert_true (hwinfo_load_json (host, path, &error));
  g_assert_no_error (error);

  host_smmu *smmu = host_find_smmu (host, "smmu3.0x0000000016000000");
  g_assert_true (smmu->hwinfo.known);
  g_assert_cmpstr (smmu->hwinfo.source, ==, path);
  g_assert_cmphex (smmu->hwinfo.idr[0], ==, IDR0_NESTING_ATS);
  g_assert_cmphex (smmu->hwinfo.idr[5], ==, IDR5_OAS48_4K_64K);
  g_assert_cmphex (smmu->hwinfo.iidr, ==, 0x4b00043b);
  g_assert_cmphex (smmu->hwinfo.aidr, ==, 0x4);
  g_assert_cmphex (smmu->hwinfo.out_capabilities, ==, 0x9);
  g_assert_cmpuint (smmu->hwinfo.out_max_pasid_log2, ==, 20);
  g_assert_cmpuint (hwinfo_oas_bits (&smmu->hwinfo), ==, 48);
  g_assert_cmpint (host_smmu_cap (smmu, IDR_ATS), ==, TRI_YES);
  const char *reason = NULL;
  /* S1+S2 but neither FWB nor known CANWBS. */
  g_assert_cmpint (host_smmu_nesting (smmu, &reason), ==, TRI_UNKNOWN);

  host_smmu *other = host_find_smmu (host, "smmu3.0x0000000016800000");
  g_assert_false (other->hwinfo.known);
  g_assert_cmpuint (host->notes->len, ==, 1);
  g_autofree char *note = g_strdup_printf ("%s: $.smmus[1]: no SMMU smmu3.0x00000000ffff0000 on this "
                                           "host; its recorded hw_info is not used", path);
  g_assert_cmpstr (host->notes->pdata[0], ==, note);
  g_unlink (path);

  g_assert_false (hwinfo_load_json (host, "/nonexistent/hwinfo.json", &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  g_assert_cmpstr (error->message, ==, "/nonexistent/hwinfo.json: cannot open: No such file or directory");
}

/* The per-device part of the answers: the record's own device, and the
 * others under "devices"; unknown devices are a note. */
static void
test_recording_devices (void)
{
  g_autoptr (host_model) host = two_smmu_host ();
  const char *bdfs[] = { "0008:01:00.0", "0008:01:00.1", "0008:02:00.0" };
  for (gsize i = 0; i < G_N_ELEMENTS (bdfs); i++)
    {
      host_pci_device *dev = host_pci_device_new ();
      dev->bdf = g_strdup (bdfs[i]);
      dev->smmu = g_strdup ("smmu3.0x0000000016000000");
      g_ptr_array_add (host->devices, dev);
    }
  host_model_finish (host);
  static const char text[] =
    "{\"smmus\": [{\"smmu\": \"smmu3.0x0000000016000000\", \"device\": \"0008:01:00.0\",\n"
    "   \"idr\": [\"0x0805149b\", \"0x00000520\", \"0x0\", \"0x00001400\", \"0x0\", \"0x00000055\"],\n"
    "   \"out_capabilities\": \"0x1\", \"out_max_pasid_log2\": 20}],\n"
    " \"devices\": [{\"device\": \"8:1:0.1\", \"out_capabilities\": \"0x9\", \"out_max_pasid_log2\": 0},\n"
    "             {\"device\": \"0009:01:00.0\", \"out_capabilities\": \"0x0\"}]}\n";
  g_autoptr (GError) error = NULL;
  g_assert_true (hwinfo_load_json_data (host, text, strlen (text), "rec.json", &error));
  g_assert_no_error (error);
  const host_pci_device *gpu = host_find_device (host, "0008:01:00.0");
  const host_pci_device *nic = host_find_device (host, "0008:01:00.1");
  const host_pci_device *other = host_find_device (host, "0008:02:00.0");
  g_assert_true (gpu->hw_known);
  g_assert_cmphex (gpu->hw_capabilities, ==, 0x1);
  g_assert_cmpuint (gpu->hw_max_pasid_log2, ==, 20);
  g_assert_cmpint (host_device_pasid_bits (gpu, NULL), ==, 20);
  g_assert_true (nic->hw_known);
  g_assert_cmpint (host_device_ats (nic, NULL), ==, TRI_NO); /* PCI_ATS_NOT_SUPPORTED */
  g_assert_cmpint (host_device_pasid_bits (nic, NULL), ==, -1); /* 0 is no answer; config space unread */
  g_assert_false (other->hw_known);
  g_assert_cmpuint (host->notes->len, ==, 1);
  g_assert_cmpstr (host->notes->pdata[0], ==, "rec.json: $.devices[1]: no PCI device 0009:01:00.0 on this host; its "
                                              "recorded hw_info is not used");
}

#define IDR6 "\"idr\":[\"0x3\",\"0x0\",\"0x0\",\"0x0\",\"0x0\",\"0x5\"]"
#define GOOD "{\"smmu\":\"smmu3.0x0000000016000000\"," IDR6 "}"

static const struct {
  const char *recording;
  const char *message;
} bad_recordings[] = {
  { "[]", "rec.json: $: expected an object with an \"smmus\" array (a hw_info recording)" },
  { "{}", "rec.json: $: expected an object with an \"smmus\" array (a hw_info recording)" },
  { "{\"smmus\":{}}", "rec.json: $.smmus: expected an array or null" },
  { "{\"smmus\":[" GOOD ",7]}", "rec.json: $.smmus[1]: expected an object" },
  { "{\"smmus\":[{" IDR6 "}]}", "rec.json: $.smmus[0].smmu: missing (the SMMU's name, \"smmu3.0x…\")" },
  { "{\"smmus\":[{\"smmu\":3," IDR6 "}]}", "rec.json: $.smmus[0].smmu: expected a string" },
  { "{\"smmus\":[{\"smmu\":\"s\"}]}",
    "rec.json: $.smmus[0].idr: expected an array of 6 hexadecimal strings (IDR0..IDR5)" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"idr\":[\"0x1\",\"0x2\",\"0x3\",\"0x4\",\"0x5\",\"0x6\",\"0x7\"]}]}",
    "rec.json: $.smmus[0].idr: expected an array of 6 hexadecimal strings (IDR0..IDR5)" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"idr\":[\"0x1\",\"0x2\",\"0x3\",\"0x4\",5,\"0x6\"]}]}",
    "rec.json: $.smmus[0].idr[4]: expected a hexadecimal string such as \"0x1f\"" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"idr\":[\"0x1\",\"0x2\",\"0x3\",\"0x4\",\"0xg\",\"0x6\"]}]}",
    "rec.json: $.smmus[0].idr[4]: expected a hexadecimal string such as \"0x1f\"" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"type\":\"tegra241-cmdqv\"," IDR6 "}]}",
    "rec.json: $.smmus[0].type: \"tegra241-cmdqv\" is not a data type smmuctl reads (expected \"arm-smmuv3\")" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"flags\":-1," IDR6 "}]}",
    "rec.json: $.smmus[0].flags: expected an integer from 0 to 4294967295" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"out_max_pasid_log2\":256," IDR6 "}]}",
    "rec.json: $.smmus[0].out_max_pasid_log2: expected an integer from 0 to 255" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"iidr\":\"0x123456789\"," IDR6 "}]}",
    "rec.json: $.smmus[0].iidr: 0x123456789 is out of range (at most 0xffffffff)" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"out_capabilities\":9," IDR6 "}]}",
    "rec.json: $.smmus[0].out_capabilities: expected a hexadecimal string such as \"0x1f\"" },
  { "{\"smmus\":[" GOOD "," GOOD "]}",
    "rec.json: $.smmus[1].smmu: smmu3.0x0000000016000000 is recorded twice (also at $.smmus[0])" },
  { "{\"smmus\":[" GOOD "\n,]}", "rec.json:2:2: not valid JSON: unexpected character" },
  { "{\"smmus\":[{\"smmu\":\"s\",\"device\":\"gpu0\"," IDR6 "}]}",
    "rec.json: $.smmus[0].device: \"gpu0\" is not a PCI address such as \"0008:01:00.0\"" },
  { "{\"smmus\":[" GOOD "],\"devices\":[{\"out_capabilities\":\"0x8\"}]}",
    "rec.json: $.devices[0].device: missing (the device's PCI address)" },
  { "{\"smmus\":[" GOOD "],\"devices\":[{\"device\":\"0008:01:00.0\",\"out_max_pasid_log2\":-1}]}",
    "rec.json: $.devices[0].out_max_pasid_log2: expected an integer from 0 to 255" },
  { "{\"smmus\":[" GOOD "],\"devices\":{}}", "rec.json: $.devices: expected an array or null" },
};

static void
test_recording_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_recordings); i++)
    {
      g_autoptr (host_model) host = two_smmu_host ();
      g_autoptr (GError) error = NULL;
      const char *text = bad_recordings[i].recording;
      g_test_message ("recording %" G_GSIZE_FORMAT ": %s", i, text);
      g_assert_false (hwinfo_load_json_data (host, text, strlen (text), "rec.json", &error));
      g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
      g_assert_cmpstr (error->message, ==, bad_recordings[i].message);
      /* A malformed recording changes nothing, not even its good entries. */
      for (guint j = 0; j < host->smmus->len; j++)
        g_assert_false (((host_smmu *) host->smmus->pdata[j])->hwinfo.known);
      g_assert_cmpuint (host->notes->len, ==, 0);
    }
}

/* ---- live ----------------------------------------------------------------- */

static host_pci_device *
add_device (host_model *host, const char *bdf, const char *driver, const char *smmu, const char *cdev)
{
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = g_strdup (bdf);
  dev->driver = g_strdup (driver);
  dev->smmu = g_strdup (smmu);
  dev->vfio_cdev = g_strdup (cdev);
  g_ptr_array_add (host->devices, dev);
  return dev;
}

static void
test_live_needs_live_root (void)
{
  g_autoptr (host_model) host = two_smmu_host ();
  g_free (host->root);
  host->root = g_strdup ("/srv/snap");
  hwinfo_read_live (host);
  g_assert_cmpuint (host->notes->len, ==, 1);
  g_assert_cmpstr (host->notes->pdata[0], ==,
                   "hw_info not read: --hwinfo asks the running kernel, so it needs the live host, "
                   "not the tree under /srv/snap (use --hwinfo-json FILE for a recording)");
}

static void
test_live_refusals (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host->root = g_strdup ("/");
  const char *names[] = { "smmu3.0x0000000001000000", "smmu3.0x0000000002000000",
                          "smmu3.0x0000000003000000", "smmu3.0x0000000004000000" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      host_smmu *smmu = host_smmu_new ();
      smmu->name = g_strdup (names[i]);
      smmu->base = (i + 1) * 0x1000000;
      g_ptr_array_add (host->smmus, smmu);
    }
  /* 1: nothing behind it; 2: a vfio-pci device whose cdev node does not
   * exist here; 3: bound to vfio-pci without a cdev, and a cdev device on
   * another driver; 4: a cdev name that is not vfioN. */
  add_device (host, "0000:02:00.0", "vfio-pci", names[1], "vfio4242");
  add_device (host, "0000:03:00.0", "vfio-pci", names[2], NULL);
  add_device (host, "0000:03:00.1", "mlx5_core", names[2], "vfio7");
  add_device (host, "0000:04:00.0", "vfio-pci", names[3], "../../iommu");
  host_model_finish (host);

  hwinfo_read_live (host);
  for (guint i = 0; i < host->smmus->len; i++)
    g_assert_false (((host_smmu *) host->smmus->pdata[i])->hwinfo.known);
  if (geteuid () != 0)
    {
      g_assert_cmpuint (host->notes->len, ==, 1);
      g_assert_true (g_str_has_prefix (host->notes->pdata[0], "hw_info not read: binding a vfio cdev "
                                                              "to /dev/iommu needs root"));
      return;
    }
  g_assert_cmpuint (host->notes->len, ==, 4);
  const char *no_cdev = "hw_info not read: no vfio-pci device with a vfio cdev behind it (bind one "
                        "to vfio-pci; needs kernel 6.6+ with CONFIG_VFIO_DEVICE_CDEV)";
  g_autofree char *want0 = g_strdup_printf ("%s: %s", names[0], no_cdev);
  g_autofree char *want2 = g_strdup_printf ("%s: %s", names[2], no_cdev);
  g_assert_cmpstr (host->notes->pdata[0], ==, want0);
  g_assert_cmpstr (host->notes->pdata[1], ==,
                   "smmu3.0x0000000002000000: hw_info not read: cannot open "
                   "/dev/vfio/devices/vfio4242 (0000:02:00.0): No such file or directory");
  g_assert_cmpstr (host->notes->pdata[2], ==, want2);
  g_assert_cmpstr (host->notes->pdata[3], ==,
                   "smmu3.0x0000000004000000: hw_info not read: 0000:04:00.0 has an unexpected "
                   "vfio cdev name '../../iommu'");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hwinfo/decode/fields", test_decode_fields);
  g_test_add_func ("/hwinfo/decode/oas-table", test_oas_table);
  g_test_add_func ("/hwinfo/decode/unknown", test_unknown);
  g_test_add_func ("/hwinfo/decode/caps-json", test_caps_json);
  g_test_add_func ("/hwinfo/recording/load", test_recording);
  g_test_add_func ("/hwinfo/recording/errors", test_recording_errors);
  g_test_add_func ("/hwinfo/recording/devices", test_recording_devices);
  g_test_add_func ("/hwinfo/live/needs-live-root", test_live_needs_live_root);
  g_test_add_func ("/hwinfo/live/refusals", test_live_refusals);
  return g_test_run ();
}
