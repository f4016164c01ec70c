#include "hostprobe.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "errors.h"
#include "hostiort.h"


static void
note_error (host_model *host, GError *error)
{
  host_model_note (host, "%s", error->message);
}

static void
read_access (sysroot *root, const char *path, host_node_access *out)
{
  struct stat st;
  memset (out, 0, sizeof *out);
  if (!sysroot_stat (root, path, &st))
    return;
  out->present = TRUE;
  out->mode = st.st_mode & 07777;
  out->uid = st.st_uid;
  out->gid = st.st_gid;
  out->is_char_device = S_ISCHR (st.st_mode);
}

/* "0-3,5" → node ids; the kernel's cpulist/nodelist format. */
static gboolean
list_contains (const char *list, int id)
{
  if (list == NULL)
    return FALSE;
  g_auto (GStrv) ranges = g_strsplit (list, ",", -1);
  for (char **r = ranges; *r; r++)
    {
      gint64 lo, hi;
      char *end;
      lo = g_ascii_strtoll (*r, &end, 10);
      if (end == *r)
        continue;
      hi = *end == '-' ? g_ascii_strtoll (end + 1, NULL, 10) : lo;
      if (id >= lo && id <= hi)
        return TRUE;
    }
  return FALSE;
}

static void
read_numa (sysroot *root, host_model *host)
{
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/devices/system/node", NULL);
  if (names == NULL)
    return; /* not a NUMA kernel: leave empty */
  g_autofree char *has_cpu = sysroot_read_text (root, "/sys/devices/system/node/has_cpu", NULL);
  g_autofree char *has_memory = sysroot_read_text (root, "/sys/devices/system/node/has_memory", NULL);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      char *end;
      if (!g_str_has_prefix (name, "node") || !g_ascii_isdigit (name[4]))
        continue;
      gint64 id = g_ascii_strtoll (name + 4, &end, 10);
      if (*end != '\0' || id > G_MAXINT)
        continue;
      host_numa_node node = { (int) id, list_contains (has_cpu, (int) id), list_contains (has_memory, (int) id) };
      g_array_append_val (host->numa_nodes, node);
    }
}

static gboolean
parse_smmu_base (const char *name, guint64 *base)
{
  if (!g_str_has_prefix (name, "smmu3.0x"))
    return FALSE;
  const char *hex = name + strlen ("smmu3.0x");
  char *end;
  errno = 0;
  guint64 v = g_ascii_strtoull (hex, &end, 16);
  if (errno != 0 || end == hex || *end != '\0')
    return FALSE;
  *base = v;
  return TRUE;
}

static void
read_smmus (sysroot *root, host_model *host)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/class/iommu", &error);
  if (names == NULL)
    {
      host_model_note (host, "no IOMMUs registered: %s", error->message);
      return;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      guint64 base;
      if (!parse_smmu_base (name, &base))
        continue; /* another IOMMU kind (SMMUv2, virtio-iommu): not ours */
      g_autofree char *link = g_strconcat ("/sys/class/iommu/", name, NULL);
      g_autoptr (GError) local = NULL;
      g_autofree char *dir = sysroot_resolve (root, link, &local);
      host_smmu *smmu = host_smmu_new ();
      smmu->name = g_strdup (name);
      smmu->base = base;
      g_ptr_array_add (host->smmus, smmu);
      if (dir == NULL)
        {
          host_model_note (host, "%s: dangling link (%s)", name, local->message);
          continue;
        }
      /* …/platform/arm-smmu-v3.3.auto/iommu/smmu3.0x… → the platform device. */
      g_autofree char *iommu_dir = g_path_get_dirname (dir);
      g_autofree char *platform_dir = g_path_get_dirname (iommu_dir);
      smmu->platform_device = host_text_printable (g_path_get_basename (platform_dir));
      g_autofree char *numa_path = g_strconcat (platform_dir, "/numa_node", NULL);
      gint64 node;
      if (sysroot_read_int64 (root, numa_path, &node, NULL) && node >= 0 && node <= G_MAXINT)
        {
          smmu->numa_node = (int) node;
          smmu->numa_source = "sysfs";
        }
    }
}

/* Resource file: one "start end flags" line per BAR (then ROM, bridge windows). */
static void
read_bars (sysroot *root, host_model *host, host_pci_device *dev)
{
  g_autofree char *path = g_strconcat (dev->sysfs_path, "/resource", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = sysroot_read_text (root, path, &error);
  if (text == NULL)
    {
      note_error (host, error);
      return;
    }
  char *line = *text != '\0' ? text : NULL, *next;
  for (guint index = 0; index < 6 && line != NULL; index++, line = next)
    {
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      guint64 start, end, flags;
      char *p = line, *q;
      start = g_ascii_strtoull (p, &q, 16);
      if (q == p) goto bad;
      end = g_ascii_strtoull (p = q, &q, 16);
      if (q == p) goto bad;
      flags = g_ascii_strtoull (p = q, &q, 16);
      if (q == p) goto bad;
      if (end == 0 || !(flags & 0x200))
        continue; /* unused or an I/O BAR */
      if (end < start)
        {
          g_autofree char *shown = sysroot_display (root, path);
          host_model_note (host, "%s line %u: end 0x%" G_GINT64_MODIFIER "x is below start 0x%" G_GINT64_MODIFIER
                    "x; BAR %u ignored", shown, index + 1, end, start, index);
          continue;
        }
      host_bar bar = { index, start, end - start + 1, (flags & 0x100000) != 0, (flags & 0x2000) != 0 };
      g_array_append_val (dev->bars, bar);
      dev->bar_total += bar.size;
      if (bar.is64)
        dev->bar64_total += bar.size;
      continue;
    bad:
      {
        g_autofree char *shown = sysroot_display (root, path);
        host_model_note (host, "%s line %u: '%s' is not 'start end flags'; BAR %u ignored", shown, index + 1, line,
                  index);
      }
    }
}

/* PCIe extended capability IDs (PCI Express Base Specification §7.6). */
enum { EXT_CAP_ATS = 0x000f, EXT_CAP_PRI = 0x0013, EXT_CAP_PASID = 0x001b };

void
hostprobe_parse_config (host_pci_device *dev, const guint8 *config, gsize len)
{
  if (len <= 256)
    return; /* extended space unread (not root): unknown, not absent */
  dev->ats = dev->pri = dev->pasid = TRI_NO;
  dev->pasid_width = 0;
  guint32 offset = 0x100;
  /* Each capability is at least 4 bytes and aligned: bound the walk so a
   * looping next pointer ends. */
  for (int hops = 0; offset >= 0x100 && offset + 4 <= len && hops < 1024; hops++)
    {
      guint32 header = (guint32) config[offset] | (guint32) config[offset + 1] << 8
                       | (guint32) config[offset + 2] << 16 | (guint32) config[offset + 3] << 24;
      guint16 id = header & 0xffff;
      if (header == 0 || header == 0xffffffff)
        break;
      if (id == EXT_CAP_ATS)
        dev->ats = TRI_YES;
      else if (id == EXT_CAP_PRI)
        dev->pri = TRI_YES;
      else if (id == EXT_CAP_PASID && offset + 6 <= len)
        {
          guint16 cap = (guint16) (config[offset + 4] | config[offset + 5] << 8);
          dev->pasid = TRI_YES;
          dev->pasid_width = (cap >> 8) & 0x1f;
        }
      guint32 next = header >> 20;
      if (next <= offset || (next & 3) != 0)
        break;
      offset = next;
    }
}

/* The basename of a link's target ("vfio-pci", "12", "smmu3.0x…"): all that
 * sysfs links tell us.  The caller checks the name against what it listed
 * (/sys/class/iommu, /sys/kernel/iommu_groups), which catches dangling and
 * escaping links without resolving every one. */
static char *
read_link_name (sysroot *root, host_model *host, const char *dir, const char *attr)
{
  g_autoptr (GError) error = NULL;
  char *name = sysroot_link_basename (root, dir, attr, &error);
  if (name == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    note_error (host, error);
  return host_text_printable (name);
}

static gboolean
read_hex_attr (sysroot *root, host_model *host, const char *dir, const char *attr, guint64 max, guint64 *out)
{
  g_autofree char *path = g_strconcat (dir, "/", attr, NULL);
  g_autoptr (GError) error = NULL;
  gint64 v;
  if (!sysroot_read_int64 (root, path, &v, &error))
    {
      note_error (host, error);
      return FALSE;
    }
  if (v < 0 || (guint64) v > max)
    {
      g_autofree char *shown = sysroot_display (root, path);
      host_model_note (host, "%s: %" G_GINT64_FORMAT " is out of range", shown, v);
      return FALSE;
    }
  *out = (guint64) v;
  return TRUE;
}

static guint32
config_u32 (const guint8 *c, gsize off)
{
  return (guint32) c[off] | (guint32) c[off + 1] << 8 | (guint32) c[off + 2] << 16 | (guint32) c[off + 3] << 24;
}

/* PCIe Link Capabilities speed encoding (PCIe Base Spec §7.5.3.6) as sysfs prints it. */
static const char *const link_speeds[] = { NULL, "2.5 GT/s PCIe", "5.0 GT/s PCIe", "8.0 GT/s PCIe",
                                           "16.0 GT/s PCIe", "32.0 GT/s PCIe", "64.0 GT/s PCIe" };

/* The first 64 bytes are readable by anyone and hold the ids and class;
 * the PCI Express capability (when readable) holds the link — as lspci
 * does, one read of config instead of five attribute files. */
static void
parse_config_header (host_pci_device *dev, const guint8 *c, gsize len)
{
  dev->vendor = (guint16) (c[0] | c[1] << 8);
  dev->device = (guint16) (c[2] | c[3] << 8);
  dev->class_code = config_u32 (c, 8) >> 8;
  if (!(c[6] & 0x10)) /* status: no capability list */
    return;
  guint8 pos = c[0x34] & 0xfc;
  for (int hops = 0; pos >= 0x40 && (gsize) pos + 0x10 <= len && hops < 48; hops++)
    {
      if (c[pos] == 0x10) /* PCI Express */
        {
          guint32 link_caps = config_u32 (c, pos + 0x0c);
          guint speed = link_caps & 0xf;
          if (speed < G_N_ELEMENTS (link_speeds) && link_speeds[speed] != NULL)
            dev->link_speed = g_strdup (link_speeds[speed]);
          dev->link_width = (int) ((link_caps >> 4) & 0x3f);
          return;
        }
      pos = c[pos + 1] & 0xfc;
    }
}

static void
read_ids_from_attributes (sysroot *root, host_model *host, host_pci_device *dev)
{
  guint64 v;
  const char *dir = dev->sysfs_path;
  if (read_hex_attr (root, host, dir, "vendor", 0xffff, &v))
    dev->vendor = (guint16) v;
  if (read_hex_attr (root, host, dir, "device", 0xffff, &v))
    dev->device = (guint16) v;
  if (read_hex_attr (root, host, dir, "class", 0xffffff, &v))
    dev->class_code = (guint32) v;
}

static void
read_link_attributes (sysroot *root, host_pci_device *dev)
{
  g_autofree char *speed_path = g_strconcat (dev->sysfs_path, "/max_link_speed", NULL);
  dev->link_speed = host_text_printable (sysroot_read_text (root, speed_path, NULL));
  g_autofree char *width_path = g_strconcat (dev->sysfs_path, "/max_link_width", NULL);
  gint64 width;
  if (sysroot_read_int64 (root, width_path, &width, NULL) && width > 0 && width <= 32)
    dev->link_width = (int) width;
}

static host_pci_device *
read_device (sysroot *root, host_model *host, const char *bdf)
{
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = pci_bdf_normalize (bdf);
  pci_bdf_parse (bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function);
  dev->sysfs_path = g_strconcat ("/sys/bus/pci/devices/", bdf, NULL);
  const char *dir = dev->sysfs_path;

  g_autofree char *config_path = g_strconcat (dir, "/config", NULL);
  guint8 config_data[4096];
  gsize config_len = 0;
  if (!sysroot_read_into (root, config_path, config_data, sizeof config_data, &config_len, NULL))
    config_len = 0;
  /* A function that answers all-ones (a VF, a device in reset) has no
   * usable header: fall back to the kernel's attribute files. */
  if (config_len >= 64 && !(config_data[0] == 0xff && config_data[1] == 0xff))
    parse_config_header (dev, config_data, config_len);
  else
    read_ids_from_attributes (root, host, dev);
  if (dev->link_speed == NULL)
    read_link_attributes (root, dev);
  hostprobe_parse_config (dev, config_data, config_len);
  dev->is_bridge = (dev->class_code >> 8) == 0x0604;

  g_autofree char *numa_path = g_strconcat (dir, "/numa_node", NULL);
  gint64 node;
  if (sysroot_read_int64 (root, numa_path, &node, NULL) && node >= 0 && node <= G_MAXINT)
    dev->numa_node = (int) node;

  read_bars (root, host, dev);

  dev->driver = read_link_name (root, host, dir, "driver");
  g_autofree char *group = read_link_name (root, host, dir, "iommu_group");
  if (group != NULL)
    {
      char *end;
      gint64 id = g_ascii_strtoll (group, &end, 10);
      if (*end == '\0' && end != group && id >= 0 && id <= G_MAXINT)
        dev->iommu_group = (int) id;
      else
        {
          g_autofree char *shown = sysroot_display (root, dir);
          host_model_note (host, "%s/iommu_group: '%s' is not an IOMMU group", shown, group);
        }
    }
  g_autofree char *physfn = read_link_name (root, host, dir, "physfn");
  if (physfn != NULL && (dev->physfn = pci_bdf_normalize (physfn)) == NULL)
    {
      g_autofree char *shown = sysroot_display (root, dir);
      host_model_note (host, "%s/physfn: '%s' is not a PCI address", shown, physfn);
    }
  dev->smmu = read_link_name (root, host, dir, "iommu");
  if (dev->smmu != NULL)
    dev->smmu_source = "sysfs";

  /* Only vfio-pci devices have a vfio cdev: don't list the others. */
  if (g_strcmp0 (dev->driver, "vfio-pci") == 0)
    {
      g_autofree char *cdev_dir = g_strconcat (dir, "/vfio-dev", NULL);
      g_autoptr (GPtrArray) cdevs = sysroot_list_dir (root, cdev_dir, NULL);
      if (cdevs != NULL && cdevs->len > 0)
        dev->vfio_cdev = g_strdup (cdevs->pdata[0]);
    }
  return dev;
}

/* /sys/bus/pci/devices/<bdf> links to …/pci0000:fc/0000:fc:00.0/0000:fd:00.0:
 * the component before the device's own is the bridge above it, or the root
 * bus ("pci0000:fc").  The link text is enough; it is not followed. */
static char *
read_parent_bdf (sysroot *root, const char *name)
{
  g_autofree char *target = sysroot_link_target (root, "/sys/bus/pci/devices", name, NULL);
  if (target == NULL)
    return NULL;
  g_autofree char *dir = g_path_get_dirname (target);
  g_autofree char *parent = g_path_get_basename (dir);
  return pci_bdf_normalize (parent);
}

static void
read_devices (sysroot *root, host_model *host)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/bus/pci/devices", &error);
  if (names == NULL)
    {
      host_model_note (host, "no PCI devices: %s", error->message);
      return;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      if (!pci_bdf_parse (name, NULL, NULL, NULL, NULL))
        {
          host_model_note (host, "/sys/bus/pci/devices/%s: not a PCI address, ignored", name);
          continue;
        }
      g_autofree char *parent = read_parent_bdf (root, name);
      /* A device entry that leads nowhere is one note, not one per attribute. */
      g_autofree char *link = g_strconcat ("/sys/bus/pci/devices/", name, NULL);
      g_autoptr (GError) local = NULL;
      if (!sysroot_check_dir (root, link, &local))
        {
          host_model_note (host, "%s; device ignored", local->message);
          continue;
        }
      host_pci_device *dev = read_device (root, host, name);
      dev->parent_bdf = g_steal_pointer (&parent);
      g_ptr_array_add (host->devices, dev);
    }
}

static void
read_reserved_regions (sysroot *root, host_model *host, host_iommu_group *group, const char *dir)
{
  g_autofree char *path = g_strconcat (dir, "/reserved_regions", NULL);
  g_autofree char *text = sysroot_read_text (root, path, NULL);
  if (text == NULL)
    return;
  for (char *line = text, *next; line != NULL; line = next)
    {
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      g_strstrip (line);
      if (*line == '\0')
        continue;
      /* Exactly three fields, one blank or tab between each. */
      char *first = strpbrk (line, " \t");
      char *second = first != NULL ? strpbrk (first + 1, " \t") : NULL;
      if (second == NULL || strpbrk (second + 1, " \t") != NULL)
        {
          host_model_note (host, "%s: '%s' is not 'start end type', ignored", path, line);
          continue;
        }
      *first = *second = '\0';
      host_reserved_region region = { g_ascii_strtoull (line, NULL, 16), g_ascii_strtoull (first + 1, NULL, 16),
                                      host_text_printable (g_strdup (second + 1)) };
      g_array_append_val (group->reserved_regions, region);
    }
}

/* Groups: type and reserved regions from /sys/kernel/iommu_groups; members
 * from each device's iommu_group link (read already), which saves listing
 * every group's devices/ directory. */
static void
read_groups (sysroot *root, host_model *host)
{
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/kernel/iommu_groups", NULL);
  /* Each group's files are then one lookup from this directory. */
  sysroot_check_dir (root, "/sys/kernel/iommu_groups", NULL);
  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      const char *name = names->pdata[i];
      char *end;
      gint64 id = g_ascii_strtoll (name, &end, 10);
      if (*end != '\0' || end == name || id < 0 || id > G_MAXINT)
        continue;
      host_iommu_group *group = host_iommu_group_new ((int) id);
      g_ptr_array_add (host->groups, group);
      /* Not a directory: nothing to read; devices naming it are noted below. */
      g_autofree char *dir = g_strconcat ("/sys/kernel/iommu_groups/", name, NULL);
      g_autofree char *type_path = g_strconcat (dir, "/type", NULL);
      group->type = host_text_printable (sysroot_read_text (root, type_path, NULL));
      read_reserved_regions (root, host, group, dir);
    }
  host_model_finish (host); /* sorted groups for the lookups below */
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      if (dev->iommu_group < 0)
        continue;
      host_iommu_group *group = host_find_group (host, dev->iommu_group);
      if (group == NULL)
        {
          g_autofree char *shown = sysroot_display (root, dev->sysfs_path);
          host_model_note (host, "%s/iommu_group: link target missing (no /sys/kernel/iommu_groups/%d)", shown,
                    dev->iommu_group);
          dev->iommu_group = -1;
          continue;
        }
      g_ptr_array_add (group->devices, g_strdup (dev->bdf));
    }
}

/* Every device's iommu link must name an SMMU that /sys/class/iommu has. */
static void
check_smmu_links (sysroot *root, host_model *host)
{
  g_autoptr (GHashTable) names = host_smmu_index (host);
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      if (dev->smmu == NULL || g_hash_table_contains (names, dev->smmu))
        continue;
      g_autofree char *shown = sysroot_display (root, dev->sysfs_path);
      host_model_note (host, "%s/iommu: link target missing ('%s' is not in /sys/class/iommu)", shown, dev->smmu);
      g_clear_pointer (&dev->smmu, g_free);
      dev->smmu_source = NULL;
    }
}

host_model *
hostprobe_read (sysroot *root, const char *iort_file, GError **error)
{
  struct stat st;
  if (!sysroot_stat (root, "/sys", &st) || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST,
                   "%s: no sys/ directory here; --root must name a copy of a host's / (with sys/, dev/)",
                   sysroot_prefix (root));
      return NULL;
    }
  g_autoptr (host_model) host = host_model_new ();
  host->root = g_strdup (sysroot_prefix (root));
  host->kernel_release = host_text_printable (sysroot_read_text (root, "/proc/sys/kernel/osrelease", NULL));
  read_access (root, "/dev/iommu", &host->dev_iommu);
  read_access (root, "/dev/vfio/devices", &host->vfio_devices_dir);
  read_access (root, "/dev/vfio/vfio", &host->vfio_legacy);
  read_numa (root, host);
  read_smmus (root, host);
  read_devices (root, host);
  read_groups (root, host);
  check_smmu_links (root, host);
  host_model_finish (host); /* sorted lists, for the lookups below */
  if (!hostiort_read (root, host, iort_file, error))
    return NULL;
  host_model_finish (host);
  return g_steal_pointer (&host);
}
