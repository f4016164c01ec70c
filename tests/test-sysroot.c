/* Reading under a root prefix: links stay inside, loops end, odd files refuse. */
#include <dirent.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>
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
  /* Files around the one-page read, and a directory whose entry is a link. */
  const gsize sizes[] = { 0, 1, 4095, 4096, 4097, 8194, 70000 };
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *content = g_malloc (sizes[i] + 1);
      for (gsize b = 0; b < sizes[i]; b++)
        content[b] = (char) ('a' + b % 26);
      content[sizes[i]] = '\0';
      g_autofree char *rel = g_strdup_printf ("sys/sized/%" G_GSIZE_FORMAT, sizes[i]);
      write_file (rel, content);
    }
  write_file ("sys/kernel/iommu_groups/0/type", "DMA\n");
  link_file ("/etc", "sys/kernel/iommu_groups/7"); /* in-root /etc, not the host's */
}

/* Each test runs with the kernel's in-root resolution (openat2) and with
 * smmuctl's own (kernels before 5.6, seccomp filters): same answers. */
static void
use_resolver (gconstpointer fallback)
{
  if (GPOINTER_TO_INT (fallback))
    g_setenv ("SMMUCTL_NO_OPENAT2", "1", TRUE);
  else
    g_unsetenv ("SMMUCTL_NO_OPENAT2");
}

static void
test_links_stay_inside (gconstpointer fallback)
{
  use_resolver (fallback);
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

  /* A link's text as written, neither resolved nor clamped. */
  g_autofree char *device = sysroot_link_target (root, "/sys/bus/pci/devices", "0000:00:01.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device, ==, "../../../devices/pci0000:00/0000:00:01.0");
  g_autofree char *escape = sysroot_link_target (root, "/sys", "escape", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (escape, ==, "../../../../../../../../../../etc/secret");
  g_autofree char *not_link = sysroot_link_target (root, "/sys/bus/pci/devices/0000:00:01.0", "vendor", &error);
  g_assert_null (not_link);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SYMBOLIC_LINK);
}

static void
test_bad_files (gconstpointer fallback)
{
  use_resolver (fallback);
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

/* Reads below a cached directory take the short way only without links. */
static void
test_below_cached_directory (gconstpointer fallback)
{
  use_resolver (fallback);
  g_autoptr (GError) error = NULL;
  g_autoptr (sysroot) root = sysroot_open (tree, &error);
  g_assert_no_error (error);
  g_assert_true (sysroot_check_dir (root, "/sys/kernel/iommu_groups", &error));
  g_autofree char *type = sysroot_read_text (root, "/sys/kernel/iommu_groups/0/type", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (type, ==, "DMA");
  /* Group 7 is an absolute link: it restarts at the root, so the tree's etc/. */
  g_autofree char *secret = sysroot_read_text (root, "/sys/kernel/iommu_groups/7/secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "inside");
  g_autofree char *up = sysroot_read_text (root, "/sys/kernel/iommu_groups/0/../../../../etc/secret", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (up, ==, "inside");
  g_autofree char *missing = sysroot_read_text (root, "/sys/kernel/iommu_groups/3/type", &error);
  g_assert_null (missing);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autofree char *name = sysroot_link_basename (root, "/sys/bus/pci/devices", "0000:00:01.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "0000:00:01.0");
  g_autofree char *plain = sysroot_link_basename (root, "/sys/kernel/iommu_groups/0", "type", &error);
  g_assert_null (plain);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SYMBOLIC_LINK);
}

/* Sizes around the one-page read: whole files, and the size limit exact. */
static void
test_file_sizes (gconstpointer fallback)
{
  use_resolver (fallback);
  g_autoptr (GError) error = NULL;
  g_autoptr (sysroot) root = sysroot_open (tree, &error);
  g_assert_no_error (error);
  const gsize sizes[] = { 0, 1, 4095, 4096, 4097, 8194, 70000 };
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sys/sized/%" G_GSIZE_FORMAT, sizes[i]);
      g_autoptr (GBytes) all = sysroot_read_bytes (root, path, 100000, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (all), ==, sizes[i]);
      if (sizes[i] > 0)
        g_assert_cmpint (((const char *) g_bytes_get_data (all, NULL))[sizes[i] - 1], ==, 'a' + (sizes[i] - 1) % 26);
      /* Exactly the limit is fine; one byte less is too large. */
      g_autoptr (GBytes) exact = sysroot_read_bytes (root, path, sizes[i], &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (exact), ==, sizes[i]);
      if (sizes[i] > 0)
        {
          g_autoptr (GBytes) small = sysroot_read_bytes (root, path, sizes[i] - 1, &error);
          g_assert_null (small);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
          g_clear_error (&error);
        }
      g_autofree char *text = sysroot_read_text (root, path, &error);
      if (sizes[i] <= 65536)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (strlen (text), ==, sizes[i]);
        }
      else
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
          g_clear_error (&error);
        }
    }
  guint8 page[4096];
  gsize len = 0;
  g_assert_true (sysroot_read_into (root, "/sys/sized/4096", page, sizeof page, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 4096);
  g_assert_false (sysroot_read_into (root, "/sys/sized/4097", page, sizeof page, &len, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

static guint
open_descriptors (void)
{
  guint n = 0;
  DIR *dir = opendir ("/proc/self/fd");
  g_assert_nonnull (dir);
  while (readdir (dir) != NULL)
    n++;
  closedir (dir);
  return n;
}

/* Descriptors are closed in batches: none may be left behind, and a low
 * descriptor limit must not make reads fail. */
static void
test_no_descriptor_left (void)
{
  for (int pass = 0; pass < 2; pass++)
    {
      struct rlimit saved;
      g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &saved), ==, 0);
      if (pass == 1)
        {
          struct rlimit low = { 24, saved.rlim_max };
          g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &low), ==, 0);
        }
      guint before = open_descriptors ();
      g_autoptr (GError) error = NULL;
      sysroot *root = sysroot_open (tree, &error);
      g_assert_no_error (error);
      for (int i = 0; i < 2000; i++)
        {
          gint64 v = 0;
          g_assert_true (sysroot_read_int64 (root, "/sys/bus/pci/devices/0000:00:01.0/vendor", &v, &error));
          g_assert_no_error (error);
          g_assert_cmpint (v, ==, 0x10de);
          g_assert_true (sysroot_check_dir (root, i % 2 ? "/sys/kernel/iommu_groups/0" : "/sys/sized", &error));
        }
      sysroot_free (root);
      g_assert_cmpuint (open_descriptors (), ==, before);
      if (pass == 1)
        g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &saved), ==, 0);
    }
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
  g_assert_null (pci_bdf_normalize ("0x00:01:00.0"));   /* no prefixes, no signs */
  g_assert_null (pci_bdf_normalize ("+000:01:00.0"));
  g_assert_null (pci_bdf_normalize ("0000:01:00"));
  g_assert_null (pci_bdf_normalize ("0000::00.0"));
  g_assert_null (pci_bdf_normalize ("10000:01:00.0"));  /* segment > 0xffff */
  g_assert_null (pci_bdf_normalize ("0000:100:00.0"));  /* bus > 0xff */
  g_assert_null (pci_bdf_normalize ("ffffffffffffffffffff:00:00.0"));
  g_autofree char *d = pci_bdf_normalize ("000000000001:2:3.4");
  g_assert_cmpstr (d, ==, "0001:02:03.4");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  setup_tree ();
  for (int fallback = 0; fallback < 2; fallback++)
    {
      const char *mode = fallback ? "own-resolver" : "openat2";
      g_autofree char *links = g_strdup_printf ("/sysroot/%s/links-stay-inside", mode);
      g_autofree char *bad = g_strdup_printf ("/sysroot/%s/bad-files", mode);
      g_autofree char *below = g_strdup_printf ("/sysroot/%s/below-cached-directory", mode);
      g_autofree char *sizes = g_strdup_printf ("/sysroot/%s/file-sizes", mode);
      g_test_add_data_func (links, GINT_TO_POINTER (fallback), test_links_stay_inside);
      g_test_add_data_func (bad, GINT_TO_POINTER (fallback), test_bad_files);
      g_test_add_data_func (below, GINT_TO_POINTER (fallback), test_below_cached_directory);
      g_test_add_data_func (sizes, GINT_TO_POINTER (fallback), test_file_sizes);
    }
  g_test_add_func ("/sysroot/no-descriptor-left", test_no_descriptor_left);
  g_test_add_func ("/sysroot/root-not-a-directory", test_root_not_a_directory);
  g_test_add_func ("/hostprobe/config-caps", test_config_caps);
  g_test_add_func ("/hostmodel/bdf", test_bdf);
  int status = g_test_run ();
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tree);
  (void) !system (cmd);
  g_free (tree);
  return status;
}
