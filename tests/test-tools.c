/* Tool detection: the installed QEMU and libvirt, fake QEMUs for newer
 * releases and for failures (missing, failing, hanging), and the parsers. */
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <string.h>

#include "tools.h"
#include "versions.h"

static char *fake_dir; /* its name has a space and shell syntax: no shell may touch it */

static void
tools_init (host_tools *tools)
{
  memset (tools, 0, sizeof *tools);
  tools->smmuv3_props = g_ptr_array_new_with_free_func (g_free);
}

static void
tools_clear (host_tools *tools)
{
  g_free (tools->qemu_path);
  g_free (tools->qemu_version);
  g_free (tools->libvirt_version);
  g_free (tools->libvirt_uri);
  g_ptr_array_unref (tools->smmuv3_props);
}

static char *
write_fake (const char *name, const char *script)
{
  g_autofree char *path = g_build_filename (fake_dir, name, NULL);
  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_assert_cmpint (g_chmod (path, 0755), ==, 0);
  return g_steal_pointer (&path);
}

static gboolean
has_prop (const host_tools *tools, const char *name)
{
  for (guint i = 0; i < tools->smmuv3_props->len; i++)
    if (strcmp (tools->smmuv3_props->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

static void
test_installed (void)
{
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-aarch64");
  host_tools tools;
  tools_init (&tools);
  tools_probe (&tools, NULL);
  g_assert_true (tools.probed);
  /* The libvirt client library is installed, so a version is always known:
   * the daemon's when one answers, else the library's. */
  g_autofree char *libvirt = g_strdup_printf ("%d.%d.%d", LIBVIR_VERSION_NUMBER / 1000000,
                                              LIBVIR_VERSION_NUMBER / 1000 % 1000,
                                              LIBVIR_VERSION_NUMBER % 1000);
  g_assert_nonnull (tools.libvirt_version);
  if (tools.libvirt_uri == NULL)
    g_assert_cmpstr (tools.libvirt_version, ==, libvirt);
  else
    g_test_message ("libvirt daemon %s at %s", tools.libvirt_version, tools.libvirt_uri);
  if (qemu == NULL)
    {
      g_assert_null (tools.qemu_path);
      g_assert_null (tools.qemu_version);
      tools_clear (&tools);
      g_test_skip ("qemu-system-aarch64 not installed");
      return;
    }
  g_assert_cmpstr (tools.qemu_path, ==, qemu);
  sw_version version;
  g_assert_nonnull (tools.qemu_version);
  g_assert_true (sw_version_parse (tools.qemu_version, &version));
  g_test_message ("QEMU %s, arm-smmuv3 user-creatable %s, %u properties", tools.qemu_version,
                  tristate_name (tools.smmuv3_user_creatable), tools.smmuv3_props->len);
  /* -device arm-smmuv3,help answers on every QEMU that has the device. */
  g_assert_true (has_prop (&tools, "bus_num"));
  g_assert_cmpint (tools.smmuv3_user_creatable, !=, TRI_UNKNOWN);
  gboolean pluggable = sw_has_feature (version, FEAT_QEMU_SMMUV3_PLUGGABLE);
  g_assert_cmpint (tools.smmuv3_user_creatable, ==, pluggable ? TRI_YES : TRI_NO);
  tools_clear (&tools);
}

static void
test_fake_newer_qemu (void)
{
  g_autofree char *log = g_build_filename (fake_dir, "argv.log", NULL);
  g_autofree char *script = g_strdup_printf (
    "#!/bin/sh\n"
    "printf '%%s|' \"$@\" >> '%s'; echo >> '%s'\n"
    "case \"$*\" in\n"
    "  --version) echo 'QEMU emulator version 11.1.0 (v11.1.0)'; echo 'Copyright (c) 2003-2025' ;;\n"
    "  *'-device help') printf 'Controller/Bridge/Hub devices:\\n"
    "name \"pxb-pcie\", bus PCI, desc \"PCI Express Expander Bridge\"\\n\\nMisc devices:\\n"
    "name \"arm-smmuv3\", bus System, desc \"ARM SMMUv3\"\\n' ;;\n"
    "  *'-device arm-smmuv3,help') printf 'arm-smmuv3 options:\\n"
    "  accel=<bool>           - Enable SMMUv3 accelerator support. (default: off)\\n"
    "  ats=<OnOffAuto>        - Enable/disable ATS support (for accel=on). (default: auto)\\n"
    "  bus_num=<uint8>        -  (default: 0)\\n"
    "  oas=<OasMode>          - Set Output Address Size in bits (for accel=on). (default: auto)\\n"
    "  primary-bus=<link<PCI>>\\n"
    "  ril=<OnOffAuto>        - Enable/disable range invalidation support (for accel=on). (default: auto)\\n"
    "  ssidsize=<SsidSizeMode> - Set number of bits used to represent SubstreamIDs (SSIDs). (default: auto)\\n' ;;\n"
    "  *'-machine virt,help'*) printf 'virt-11.1-machine options:\\n"
    "  highmem-mmio-size=<size> - Set the high memory region size for PCI MMIO\\n"
    "  highmem-mmio=<bool>    - Set on/off to enable/disable high memory region for PCI MMIO\\n' ;;\n"
    "  *'-object help') printf 'List of user creatable objects:\\n  iommufd\\n  memory-backend-ram\\n' ;;\n"
    "  *) exit 1 ;;\n"
    "esac\n", log, log);
  g_autofree char *qemu = write_fake ("qemu-system-aarch64", script);

  /* Found on PATH when no path is given. */
  g_autofree char *saved_path = g_strdup (g_getenv ("PATH"));
  g_setenv ("PATH", fake_dir, TRUE);
  host_tools tools;
  tools_init (&tools);
  tools_probe (&tools, NULL);
  g_setenv ("PATH", saved_path, TRUE);

  g_assert_cmpstr (tools.qemu_path, ==, qemu);
  g_assert_cmpstr (tools.qemu_version, ==, "11.1.0");
  g_assert_cmpint (tools.smmuv3_user_creatable, ==, TRI_YES);
  const char *want[] = { "accel", "ats", "bus_num", "oas", "primary-bus", "ril", "ssidsize" };
  g_assert_cmpuint (tools.smmuv3_props->len, ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpstr (tools.smmuv3_props->pdata[i], ==, want[i]);

  /* Exactly these argvs: no machine, no default devices, no display. */
  g_autofree char *calls = NULL;
  g_assert_true (g_file_get_contents (log, &calls, NULL, NULL));
  g_assert_cmpstr (calls, ==,
                   "--version|\n"
                   "-machine|none|-nodefaults|-display|none|-device|help|\n"
                   "-machine|none|-nodefaults|-display|none|-device|arm-smmuv3,help|\n"
                   "-machine|virt,help|-nodefaults|-display|none|\n"
                   "-machine|none|-nodefaults|-display|none|-object|help|\n");
  /* What its help shows: every QEMU feature but cmdqv. */
  static const feature_id has[] = { FEAT_QEMU_IOMMUFD, FEAT_QEMU_HIGHMEM_MMIO_SIZE, FEAT_QEMU_SMMUV3_PLUGGABLE,
                                    FEAT_QEMU_SMMUV3_ACCEL, FEAT_QEMU_SMMUV3_AUTO };
  for (gsize i = 0; i < G_N_ELEMENTS (has); i++)
    g_assert_cmpint (tools.features[has[i]], ==, TRI_YES);
  g_assert_cmpint (tools.features[FEAT_QEMU_SMMUV3_CMDQV], ==, TRI_NO);
  sw_target target = tools_target (&tools, SW_QEMU);
  g_assert_false (sw_target_has (&target, FEAT_QEMU_SMMUV3_CMDQV)); /* 11.1 by number, but it says no */

  /* Probing again replaces, not appends. */
  tools_probe (&tools, qemu);
  g_assert_cmpuint (tools.smmuv3_props->len, ==, G_N_ELEMENTS (want));
  tools_clear (&tools);
  g_unlink (log);
}

/* A vendor build: an older number, newer properties.  What its help says
 * decides, not the version table. */
static void
test_vendor_qemu (void)
{
  g_autofree char *vendor = write_fake ("vendor-qemu",
    "#!/bin/sh\n"
    "case \"$*\" in\n"
    "  --version) echo 'QEMU emulator version 10.2.1 (vendor-10.2.1-7)' ;;\n"
    "  *'-device help') echo 'name \"arm-smmuv3\", bus System, desc \"ARM SMMUv3\"' ;;\n"
    "  *'-device arm-smmuv3,help') printf '  accel=<bool>\\n  ats=<OnOffAuto>\\n  cmdqv=<OnOffAuto>\\n"
    "  primary-bus=<link<PCI>>\\n' ;;\n"
    "  *) exit 1 ;;\n"
    "esac\n");
  host_tools tools;
  tools_init (&tools);
  tools_probe_qemu (&tools, vendor);
  g_assert_cmpstr (tools.qemu_version, ==, "10.2.1");
  sw_target target = tools_target (&tools, SW_QEMU);
  g_assert_true (sw_target_has (&target, FEAT_QEMU_SMMUV3_ACCEL));
  g_assert_true (sw_target_has (&target, FEAT_QEMU_SMMUV3_CMDQV));
  g_assert_true (sw_target_has (&target, FEAT_QEMU_SMMUV3_AUTO));
  g_assert_true (sw_target_has (&target, FEAT_QEMU_SMMUV3_PLUGGABLE));
  /* It did not answer -machine virt,help: the table decides (10.0+). */
  g_assert_cmpint (tools.features[FEAT_QEMU_HIGHMEM_MMIO_SIZE], ==, TRI_UNKNOWN);
  g_assert_true (sw_target_has (&target, FEAT_QEMU_HIGHMEM_MMIO_SIZE));
  tools_clear (&tools);
}

static void
test_missing_and_failing (void)
{
  host_tools tools;
  tools_init (&tools);
  tools_probe (&tools, "/nonexistent/qemu-system-aarch64");
  g_assert_true (tools.probed);
  g_assert_cmpstr (tools.qemu_path, ==, "/nonexistent/qemu-system-aarch64");
  g_assert_null (tools.qemu_version);
  g_assert_cmpint (tools.smmuv3_user_creatable, ==, TRI_UNKNOWN);
  g_assert_cmpuint (tools.smmuv3_props->len, ==, 0);
  g_assert_nonnull (tools.libvirt_version);

  g_autofree char *failing = write_fake ("failing-qemu", "#!/bin/sh\necho 'QEMU emulator version 9.0.0'\nexit 1\n");
  tools_probe (&tools, failing);
  g_assert_null (tools.qemu_version);

  /* A QEMU that answers --version but fails the device queries. */
  g_autofree char *partial = write_fake ("partial-qemu",
                                         "#!/bin/sh\n[ \"$1\" = --version ] && echo 'QEMU emulator version 8.2.2' && exit 0\nexit 1\n");
  tools_probe (&tools, partial);
  g_assert_cmpstr (tools.qemu_version, ==, "8.2.2");
  g_assert_cmpint (tools.smmuv3_user_creatable, ==, TRI_UNKNOWN);
  g_assert_cmpuint (tools.smmuv3_props->len, ==, 0);
  for (int f = 0; f < FEAT_N; f++)
    if (feature_lookup ((feature_id) f)->kind == SW_QEMU)
      g_assert_cmpint (tools.features[f], ==, TRI_UNKNOWN);

  /* One that answers every query with its version: not help, so nothing is
   * reported and the version table decides. */
  g_autofree char *echo = write_fake ("echo-qemu", "#!/bin/sh\necho 'QEMU emulator version 10.0.3'\n");
  tools_probe (&tools, echo);
  g_assert_cmpstr (tools.qemu_version, ==, "10.0.3");
  for (int f = 0; f < FEAT_N; f++)
    if (feature_lookup ((feature_id) f)->kind == SW_QEMU)
      g_assert_cmpint (tools.features[f], ==, TRI_UNKNOWN);
  tools_clear (&tools);
}

static void
test_hanging_qemu_times_out (void)
{
  g_autofree char *hanging = write_fake ("hanging-qemu", "#!/bin/sh\nexec sleep 60\n");
  host_tools tools;
  tools_init (&tools);
  gint64 start = g_get_monotonic_time ();
  tools_probe (&tools, hanging);
  gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("gave up after %" G_GINT64_FORMAT " ms", elapsed_ms);
  /* GLib may fire a seconds timeout up to a second early (it batches them). */
  g_assert_cmpint (elapsed_ms, >=, TOOLS_QUERY_TIMEOUT_SECONDS * 1000 - 1000);
  g_assert_cmpint (elapsed_ms, <, TOOLS_QUERY_TIMEOUT_SECONDS * 1000 + 5000);
  g_assert_null (tools.qemu_version);
  tools_clear (&tools);
}

static void
test_parsers (void)
{
  static const struct { const char *output, *version; } versions[] = {
    { "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022\n", "7.2.22" },
    { "QEMU emulator version 10.1.0\n", "10.1.0" },
    { "QEMU emulator version 9.2.50 (v9.2.0-1234-gabcdef)\n", "9.2.50" },
    { "QEMU emulator version 11.1.\n", "11.1" },
    { "QEMU emulator version .\n", NULL },
    { "not a qemu\n", NULL },
    { NULL, NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      g_autofree char *got = tools_parse_qemu_version (versions[i].output);
      g_assert_cmpstr (got, ==, versions[i].version);
    }

  const char *list = "name \"pxb-pcie\", bus PCI, desc \"PCI Express Expander Bridge\"\n"
                     "name \"arm-smmuv3-accel\", bus System\n";
  g_assert_cmpint (tools_parse_user_creatable (list, "arm-smmuv3"), ==, TRI_NO);
  g_assert_cmpint (tools_parse_user_creatable (list, "pxb-pcie"), ==, TRI_YES);
  g_assert_cmpint (tools_parse_user_creatable ("qemu: error\n", "arm-smmuv3"), ==, TRI_UNKNOWN);
  g_assert_cmpint (tools_parse_user_creatable (NULL, "arm-smmuv3"), ==, TRI_UNKNOWN);

  /* QEMU before 2.12 printed "device.prop=type". */
  g_autoptr (GPtrArray) old = tools_parse_device_props ("arm-smmuv3.bus_num=uint8\n"
                                                        "arm-smmuv3.primary-bus=link<PCI>\n");
  g_assert_nonnull (old);
  g_assert_cmpuint (old->len, ==, 2);
  g_assert_cmpstr (old->pdata[0], ==, "bus_num");
  g_assert_cmpstr (old->pdata[1], ==, "primary-bus");
  g_assert_null (tools_parse_device_props ("There are no options for arm-smmuv3.\n"));
  g_assert_null (tools_parse_device_props (NULL));

  /* Types as QEMU 11.1.3 prints them. */
  const char *props = "arm-smmuv3 options:\n  accel=<bool>           - Enable … (default: off)\n"
                      "  ats=<OnOffAuto>        - Enable/disable ATS support (default: auto)\n"
                      "  primary-bus=<link<PCI>>\n";
  g_autofree char *ats = tools_parse_prop_type (props, "ats");
  g_autofree char *bus = tools_parse_prop_type (props, "primary-bus");
  g_assert_cmpstr (ats, ==, "OnOffAuto");
  g_assert_cmpstr (bus, ==, "link<PCI>");
  g_assert_null (tools_parse_prop_type (props, "ril"));
  g_assert_true (tools_help_lists ("  highmem-mmio-size=<size> - Set …\n", "highmem-mmio-size"));
  g_assert_false (tools_help_lists ("  highmem-mmio=<bool>\n", "highmem-mmio-size"));
  g_assert_true (tools_help_lists ("List of user creatable objects:\n  iommufd\n", "iommufd"));
  g_assert_false (tools_help_lists ("  iommufd-backend\n", "iommufd"));

  /* Domain capabilities as libvirt 12.9 and 11.3 write them. */
  g_assert_cmpint (tools_parse_domcaps_hostdev_iommufd (
                     "<domainCapabilities><devices><hostdev supported='yes'><enum name='mode'/>"
                     "<enum name='iommufd'><value>no</value></enum></hostdev></devices></domainCapabilities>"),
                   ==, TRI_YES);
  g_assert_cmpint (tools_parse_domcaps_hostdev_iommufd (
                     "<domainCapabilities><devices><hostdev supported='yes'><enum name='mode'/>"
                     "</hostdev></devices></domainCapabilities>"),
                   ==, TRI_NO);
  g_assert_cmpint (tools_parse_domcaps_hostdev_iommufd ("<capabilities/>"), ==, TRI_UNKNOWN);
  g_assert_cmpint (tools_parse_domcaps_hostdev_iommufd ("not xml <"), ==, TRI_UNKNOWN);
  g_assert_cmpint (tools_parse_domcaps_hostdev_iommufd (NULL), ==, TRI_UNKNOWN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("smmuctl-tools-XXXXXX", &error);
  g_assert_no_error (error);
  fake_dir = g_build_filename (tmp, "fake qemu; $(false)", NULL);
  g_assert_cmpint (g_mkdir (fake_dir, 0755), ==, 0);
  g_test_add_func ("/tools/installed", test_installed);
  g_test_add_func ("/tools/fake-newer-qemu", test_fake_newer_qemu);
  g_test_add_func ("/tools/vendor-qemu", test_vendor_qemu);
  g_test_add_func ("/tools/missing-and-failing", test_missing_and_failing);
  g_test_add_func ("/tools/hanging-qemu-times-out", test_hanging_qemu_times_out);
  g_test_add_func ("/tools/parsers", test_parsers);
  int status = g_test_run ();
  const char *names[] = { "qemu-system-aarch64", "vendor-qemu", "failing-qemu", "partial-qemu", "echo-qemu",
                          "hanging-qemu" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (fake_dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (fake_dir);
  g_rmdir (tmp);
  g_free (fake_dir);
  return status;
}
