#include "hostprobe.h"

#include <errno.h>
#include <gio/gio.h>
#include <string.h>

#include "errors.h"
#include "iort.h"

/* An IORT is a few KiB; 1 MiB is far beyond any real one. */
#define MAX_IORT_SIZE (1024 * 1024)

static void G_GNUC_PRINTF (2, 3)
add_note (host_model *host, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (host->notes, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static void
note_error (host_model *host, GError *error)
{
  add_note (host, "%s", error->message);
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
      add_note (host, "no IOMMUs registered: %s", error->message);
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
          add_note (host, "%s: dangling link (%s)", name, local->message);
          continue;
        }
      /* …/platform/arm-smmu-v3.3.auto/iommu/smmu3.0x… → the platform device. */
      g_autofree char *iommu_dir = g_path_get_dirname (dir);
      g_autofree char *platform_dir = g_path_get_dirname (iommu_dir);
      smmu->platform_device = g_path_get_basename (platform_dir);
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
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (guint index = 0; index < 6 && lines[index] != NULL; index++)
    {
      guint64 start, end, flags;
      char *p = lines[index], *q;
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
          add_note (host, "%s line %u: end 0x%" G_GINT64_MODIFIER "x is below start 0x%" G_GINT64_MODIFIER
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
        add_note (host, "%s line %u: '%s' is not 'start end flags'; BAR %u ignored", shown, index + 1,
                  lines[index], index);
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

static char *
read_link_name (sysroot *root, host_model *host, const char *dir, const char *attr, gboolean resolve)
{
  g_autofree char *path = g_strconcat (dir, "/", attr, NULL);
  g_autoptr (GError) error = NULL;
  if (!resolve)
    {
      char *name = sysroot_link_basename (root, path, &error);
      if (name == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        note_error (host, error);
      return name;
    }
  g_autofree char *target = sysroot_resolve (root, path, &error);
  if (target == NULL)
    {
      struct stat st;
      g_autofree char *shown = sysroot_display (root, path);
      /* Absent is normal (no IOMMU); a link that leads nowhere is worth a note. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS))
        add_note (host, "%s: symlink loop, ignored", shown);
      else if (sysroot_link_basename (root, path, NULL) != NULL || sysroot_stat (root, path, &st))
        add_note (host, "%s: link target missing (%s)", shown, error->message);
      return NULL;
    }
  return g_path_get_basename (target);
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
      add_note (host, "%s: %" G_GINT64_FORMAT " is out of range", shown, v);
      return FALSE;
    }
  *out = (guint64) v;
  return TRUE;
}

static host_pci_device *
read_device (sysroot *root, host_model *host, const char *bdf)
{
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = pci_bdf_normalize (bdf);
  pci_bdf_parse (bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function);
  dev->sysfs_path = g_strconcat ("/sys/bus/pci/devices/", bdf, NULL);
  const char *dir = dev->sysfs_path;
  guint64 v;

  if (read_hex_attr (root, host, dir, "vendor", 0xffff, &v))
    dev->vendor = (guint16) v;
  if (read_hex_attr (root, host, dir, "device", 0xffff, &v))
    dev->device = (guint16) v;
  if (read_hex_attr (root, host, dir, "class", 0xffffff, &v))
    dev->class_code = (guint32) v;
  dev->is_bridge = (dev->class_code >> 8) == 0x0604;

  g_autofree char *numa_path = g_strconcat (dir, "/numa_node", NULL);
  gint64 node;
  if (sysroot_read_int64 (root, numa_path, &node, NULL) && node >= 0 && node <= G_MAXINT)
    dev->numa_node = (int) node;

  read_bars (root, host, dev);

  g_autofree char *speed_path = g_strconcat (dir, "/max_link_speed", NULL);
  dev->link_speed = sysroot_read_text (root, speed_path, NULL);
  g_autofree char *width_path = g_strconcat (dir, "/max_link_width", NULL);
  gint64 width;
  if (sysroot_read_int64 (root, width_path, &width, NULL) && width > 0 && width <= 32)
    dev->link_width = (int) width;

  dev->driver = read_link_name (root, host, dir, "driver", FALSE);
  g_autofree char *group = read_link_name (root, host, dir, "iommu_group", TRUE);
  if (group != NULL)
    {
      char *end;
      gint64 id = g_ascii_strtoll (group, &end, 10);
      if (*end == '\0' && end != group && id >= 0 && id <= G_MAXINT)
        dev->iommu_group = (int) id;
    }
  dev->smmu = read_link_name (root, host, dir, "iommu", TRUE);
  if (dev->smmu != NULL)
    dev->smmu_source = "sysfs";

  g_autofree char *cdev_dir = g_strconcat (dir, "/vfio-dev", NULL);
  g_autoptr (GPtrArray) cdevs = sysroot_list_dir (root, cdev_dir, NULL);
  if (cdevs != NULL && cdevs->len > 0)
    dev->vfio_cdev = g_strdup (cdevs->pdata[0]);

  g_autofree char *config_path = g_strconcat (dir, "/config", NULL);
  g_autoptr (GBytes) config = sysroot_read_bytes (root, config_path, 4096, NULL);
  if (config != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (config, &len);
      hostprobe_parse_config (dev, data, len);
    }
  return dev;
}

static void
read_devices (sysroot *root, host_model *host)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/bus/pci/devices", &error);
  if (names == NULL)
    {
      add_note (host, "no PCI devices: %s", error->message);
      return;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      if (!pci_bdf_parse (name, NULL, NULL, NULL, NULL))
        {
          add_note (host, "/sys/bus/pci/devices/%s: not a PCI address, ignored", name);
          continue;
        }
      g_ptr_array_add (host->devices, read_device (root, host, name));
    }
}

static void
read_reserved_regions (sysroot *root, host_model *host, host_iommu_group *group, const char *dir)
{
  g_autofree char *path = g_strconcat (dir, "/reserved_regions", NULL);
  g_autofree char *text = sysroot_read_text (root, path, NULL);
  if (text == NULL)
    return;
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **line = lines; *line; line++)
    {
      g_auto (GStrv) f = g_strsplit_set (g_strstrip (*line), " \t", -1);
      if (**line == '\0')
        continue;
      if (g_strv_length (f) != 3)
        {
          add_note (host, "%s: '%s' is not 'start end type', ignored", path, *line);
          continue;
        }
      host_reserved_region region = { g_ascii_strtoull (f[0], NULL, 16), g_ascii_strtoull (f[1], NULL, 16),
                                      g_strdup (f[2]) };
      g_array_append_val (group->reserved_regions, region);
    }
}

static void
read_groups (sysroot *root, host_model *host)
{
  g_autoptr (GPtrArray) names = sysroot_list_dir (root, "/sys/kernel/iommu_groups", NULL);
  if (names == NULL)
    return;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      char *end;
      gint64 id = g_ascii_strtoll (name, &end, 10);
      if (*end != '\0' || end == name || id < 0 || id > G_MAXINT)
        continue;
      host_iommu_group *group = host_iommu_group_new ((int) id);
      g_ptr_array_add (host->groups, group);
      g_autofree char *dir = g_strconcat ("/sys/kernel/iommu_groups/", name, NULL);
      g_autofree char *type_path = g_strconcat (dir, "/type", NULL);
      group->type = sysroot_read_text (root, type_path, NULL);
      g_autofree char *devices_dir = g_strconcat (dir, "/devices", NULL);
      g_autoptr (GPtrArray) members = sysroot_list_dir (root, devices_dir, NULL);
      for (guint m = 0; members != NULL && m < members->len; m++)
        {
          char *bdf = pci_bdf_normalize (members->pdata[m]);
          if (bdf != NULL)
            g_ptr_array_add (group->devices, bdf);
        }
      read_reserved_regions (root, host, group, dir);
    }
}

/* Facts only the IORT has: which SMMU translates a segment whose devices lack
 * an iommu link, CANWBS of each root complex, SMMU proximity domains. */
static void
apply_iort (host_model *host, const iort_table *iort)
{
  g_autoptr (GHashTable) canwbs = g_hash_table_new (g_direct_hash, g_direct_equal); /* smmu → tristate */
  for (guint i = 0; i < iort->nodes->len; i++)
    {
      const iort_node *node = iort->nodes->pdata[i];
      if (node->type == IORT_NODE_SMMUV3)
        {
          host_smmu *smmu = host_find_smmu_by_base (host, node->smmu_base);
          if (smmu == NULL)
            {
              smmu = host_smmu_new ();
              smmu->base = node->smmu_base;
              smmu->name = g_strdup_printf ("smmu3.0x%016" G_GINT64_MODIFIER "x", node->smmu_base);
              g_ptr_array_add (host->smmus, smmu);
              add_note (host, "%s: in the IORT but not in /sys/class/iommu (driver not bound?)", smmu->name);
            }
          smmu->in_iort = TRUE;
          smmu->iort_offset = node->offset;
          if (smmu->numa_node < 0 && node->proximity_valid && node->proximity_domain <= G_MAXINT)
            {
              smmu->numa_node = (int) node->proximity_domain;
              smmu->numa_source = "iort";
            }
        }
      else if (node->type == IORT_NODE_ROOT_COMPLEX)
        {
          g_autoptr (GPtrArray) targets = iort_smmus_of_root_complex (iort, node);
          for (guint t = 0; t < targets->len; t++)
            {
              const iort_node *target = targets->pdata[t];
              gpointer key = GSIZE_TO_POINTER ((gsize) target->offset + 1);
              tristate prev = GPOINTER_TO_INT (g_hash_table_lookup (canwbs, key));
              tristate now = node->canwbs ? TRI_YES : TRI_NO;
              g_hash_table_insert (canwbs, key, GINT_TO_POINTER (prev == TRI_NO ? TRI_NO : now));
            }
        }
    }
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      if (smmu->in_iort)
        smmu->canwbs = GPOINTER_TO_INT (g_hash_table_lookup (canwbs, GSIZE_TO_POINTER ((gsize) smmu->iort_offset + 1)));
    }
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      const iort_node *rc = iort_root_complex_for_segment (iort, dev->segment);
      if (rc == NULL)
        continue;
      dev->canwbs = rc->canwbs ? TRI_YES : TRI_NO;
      if (dev->smmu != NULL)
        continue;
      guint32 rid = (guint32) dev->bus << 8 | (guint32) dev->slot << 3 | dev->function;
      const iort_node *smmu_node = iort_smmu_for_rid (iort, rc, rid, NULL);
      host_smmu *smmu = smmu_node != NULL ? host_find_smmu_by_base (host, smmu_node->smmu_base) : NULL;
      if (smmu != NULL)
        {
          dev->smmu = g_strdup (smmu->name);
          dev->smmu_source = "iort";
        }
    }
}

static gboolean
read_iort (sysroot *root, host_model *host, const char *iort_file, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) local = NULL;
  if (iort_file != NULL)
    {
      g_autofree char *data = NULL;
      gsize len;
      if (!g_file_get_contents (iort_file, &data, &len, &local))
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "--iort: %s", local->message);
          return FALSE;
        }
      bytes = g_bytes_new_take (g_steal_pointer (&data), len);
      host->iort_source = g_strdup (iort_file);
    }
  else
    {
      bytes = sysroot_read_bytes (root, "/sys/firmware/acpi/tables/IORT", MAX_IORT_SIZE, &local);
      if (bytes == NULL)
        {
          if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            add_note (host, "IORT not read: %s (run as root, or give --iort FILE from `acpidump -b`)",
                      local->message);
          return TRUE;
        }
      host->iort_source = sysroot_display (root, "/sys/firmware/acpi/tables/IORT");
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autoptr (iort_table) iort = iort_parse (data, len, &local);
  if (iort == NULL)
    {
      if (iort_file != NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: %s", iort_file, local->message);
          return FALSE;
        }
      add_note (host, "%s: %s; IORT facts (CANWBS, SMMU of devices without an iommu link) unknown",
                host->iort_source, local->message);
      g_clear_pointer (&host->iort_source, g_free);
      return TRUE;
    }
  host->iort_present = TRUE;
  apply_iort (host, iort);
  return TRUE;
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
  host->kernel_release = sysroot_read_text (root, "/proc/sys/kernel/osrelease", NULL);
  read_access (root, "/dev/iommu", &host->dev_iommu);
  read_access (root, "/dev/vfio/devices", &host->vfio_devices_dir);
  read_access (root, "/dev/vfio/vfio", &host->vfio_legacy);
  read_numa (root, host);
  read_smmus (root, host);
  read_devices (root, host);
  read_groups (root, host);
  host_model_finish (host); /* sorted lists, for the lookups below */
  if (!read_iort (root, host, iort_file, error))
    return NULL;
  host_model_finish (host);
  return g_steal_pointer (&host);
}
