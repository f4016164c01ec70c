/* Reading under a root prefix: links stay inside, loops end, odd files refuse. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostprobe.h"
#include "sysroot.h"

static char *tree;

static void
write_file (const char *rel, const char *content)
{
  g_autofree char *path = g_build_filename (tree, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, content, -1, NULL));
}

static void
link_file (const char *target, const char *rel)
{
  g_autofree char *path = g_build_filename (tree, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static void
setup_tree (void)
{
  g_autoptr (GError) error = NULL;
  tree = g_dir_make_tmp ("smmuctl-sysroot-XXXXXX", &error);
  g_assert_no_error (error);
  write_file ("sys/devices/pci0000:00/0000:00:01.0/vendor", "0x10de\n");
  write_file ("etc/secret", "inside\n");
  link_file ("../../../devices/pci0000:00/0000:00:01.0", "sys/bus/pci/devices/0000:00:01.0");
  link_file ("../../../../../../../../../../etc/secret", "sys/escape");     /* clamps at the root */
  link_file ("/etc/secret", "sys/absolute");                                 /* restarts at the root */
  link_file ("loop-b", "sys/loop-a");
  link_file ("loop-a", "sys/loop-b");
  link_file ("missing", "sys/dangling");
  g_autofree char *fifo = g_build_filename (tree, "sys/fifo", NULL);
  g_assert_cmpint (mkfifo (fifo, 0644), ==, 0);
  g_autofree char *dir = g_build_filename (tree, "sys/a-directory", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
}

static void
test_links_stay_inside (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sysroot) root = sysroot_open (tree, &error);
  g_assert_no_error (error);

  g_autofree char *vendor = sysroot_read_text (root, "/sys/bus/pci/devices/0000:00:01.0/vendor", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vendor, ==, "0x10de");

  /* ".." above the root stays at the root, so the tree's own etc/ is read. */
  g_autofree char *escaped = sysroot_read_text (root, "/sys/escape", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (escaped, ==, "inside");
  g_autofree char *absolute = sysroot_resolve (root, "/sys/absolute", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (absolute, ==, "/etc/secret");
}

static void
test_bad_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sysroot) root = sysroot_open (tree, &error);
  g_assert_no_error (error);

  g_autofree char *loop = sysroot_read_text (root, "/sys/loop-a", &error);
  g_assert_null (loop);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS);
  g_clear_error (&error);

  g_autofree char *dangling = sysroot_read_text (root, "/sys/dangling", &error);
  g_assert_null (dangling);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A FIFO must not block the reader. */
  g_autofree char *fifo = sysroot_read_text (root, "/sys/fifo", &error);
  g_assert_null (fifo);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_clear_error (&error);

  g_autofree char *dir = sysroot_read_text (root, "/sys/a-directory", &error);
  g_assert_null (dir);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE);
  g_clear_error (&error);
}

static void
test_root_not_a_directory (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (sysroot) root = sysroot_open ("/nonexistent/smmuctl-root", &error);
  g_assert_null (root);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent/smmuctl-root"));
}

/* PCIe extended capabilities: ATS at 0x100 → PASID (width 20) at 0x110 → PRI at 0x120. */
static void
test_config_caps (void)
{
  guint8 config[4096] = { 0 };
  const guint32 headers[][2] = { { 0x100, 0x000f | 1u << 16 | 0x110u << 20 },
                                 { 0x110, 0x001b | 1u << 16 | 0x120u << 20 },
                                 { 0x120, 0x0013 | 1u << 16 } };
  for (gsize i = 0; i < G_N_ELEMENTS (headers); i++)
    for (int b = 0; b < 4; b++)
      config[headers[i][0] + b] = (guint8) (headers[i][1] >> (8 * b));
  config[0x114] = 0x06;       /* exec + priv */
  config[0x115] = 20;         /* max PASID width */
  host_pci_device *dev = host_pci_device_new ();
  hostprobe_parse_config (dev, config, sizeof config);
  g_assert_cmpint (dev->ats, ==, TRI_YES);
  g_assert_cmpint (dev->pasid, ==, TRI_YES);
  g_assert_cmpint (dev->pasid_width, ==, 20);
  g_assert_cmpint (dev->pri, ==, TRI_YES);
  host_pci_device_free (dev);

  /* 64 bytes (not root): unknown, not "no". */
  dev = host_pci_device_new ();
  hostprobe_parse_config (dev, config, 64);
  g_assert_cmpint (dev->ats, ==, TRI_UNKNOWN);
  g_assert_cmpint (dev->pasid_width, ==, -1);
  host_pci_device_free (dev);

  /* A next pointer that points back at itself must end the walk. */
  guint8 looped[4096] = { 0 };
  guint32 self = 0x000f | 0x100u << 20;
  for (int b = 0; b < 4; b++)
    looped[0x100 + b] = (guint8) (self >> (8 * b));
  dev = host_pci_device_new ();
  hostprobe_parse_config (dev, looped, sizeof looped);
  g_assert_cmpint (dev->ats, ==, TRI_YES);
  g_assert_cmpint (dev->pasid, ==, TRI_NO);
  host_pci_device_free (dev);
}

static void
test_bdf (void)
{
  g_autofree char *a = pci_bdf_normalize ("0008:01:00.0");
  g_autofree char *b = pci_bdf_normalize ("01:00.1");
  g_autofree char *c = pci_bdf_normalize ("000A:FF:1F.7");
  g_assert_cmpstr (a, ==, "0008:01:00.0");
  g_assert_cmpstr (b, ==, "0000:01:00.1");
  g_assert_cmpstr (c, ==, "000a:ff:1f.7");
  g_assert_null (pci_bdf_normalize ("0000:01:20.0"));  /* slot > 31 */
  g_assert_null (pci_bdf_normalize ("0000:01:00.8"));  /* function > 7 */
  g_assert_null (pci_bdf_normalize ("-1:01:00.0"));
  g_assert_null (pci_bdf_normalize ("0000:01:00.0 "));
  g_assert_null (pci_bdf_normalize (""));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  setup_tree ();
  g_test_add_func ("/sysroot/links-stay-inside", test_links_stay_inside);
  g_test_add_func ("/sysroot/bad-files", test_bad_files);
  g_test_add_func ("/sysroot/root-not-a-directory", test_root_not_a_directory);
  g_test_add_func ("/hostprobe/config-caps", test_config_caps);
  g_test_add_func ("/hostmodel/bdf", test_bdf);
  int status = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tree);
  (void) !system (cmd);
  g_free (tree);
  return status;
}
