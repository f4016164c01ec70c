/* SMMUv3 hardware information: decoding, recordings, and the live iommufd
 * query (IOMMU_GET_HW_INFO through a vfio cdev bound to /dev/iommu). */
#include "hwinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "errors.h"
#include "hostjson.h"
#include "jsontext.h"

/* ---- decoding ------------------------------------------------------------ */

gint64
hwinfo_field (const host_hwinfo *hw, idr_field field)
{
  return hw->known ? (gint64) idr_get (hw->idr, field) : -1;
}

tristate
hwinfo_flag (const host_hwinfo *hw, idr_field field)
{
  if (!hw->known)
    return TRI_UNKNOWN;
  return idr_get (hw->idr, field) ? TRI_YES : TRI_NO;
}

guint
hwinfo_oas_bits (const host_hwinfo *hw)
{
  return hw->known ? idr_oas_bits (idr_get (hw->idr, IDR_OAS)) : 0;
}

tristate
hwinfo_capability_flag (const host_hwinfo *hw, hwinfo_capability cap)
{
  if (!hw->known)
    return TRI_UNKNOWN;
  return (hw->out_capabilities & cap) ? TRI_YES : TRI_NO;
}

tristate
host_smmu_cap (const host_smmu *smmu, idr_field field)
{
  return hwinfo_flag (&smmu->hwinfo, field);
}

tristate
host_device_ats (const host_pci_device *dev, const char **source)
{
  const char *from = "config space";
  tristate ats = dev->ats;
  if (dev->hw_known && (dev->hw_capabilities & HWINFO_CAP_PCI_ATS_NOT_SUPPORTED))
    {
      ats = TRI_NO;
      from = "IOMMU_GET_HW_INFO";
    }
  /* The bit is negative so that 0 from an older kernel reads as "supported":
   * trust that only when config space says nothing. */
  else if (dev->hw_known && ats == TRI_UNKNOWN)
    {
      ats = TRI_YES;
      from = "IOMMU_GET_HW_INFO";
    }
  if (source != NULL)
    *source = from;
  return ats;
}

int
host_device_pasid_bits (const host_pci_device *dev, const char **source)
{
  /* 0 is also what a kernel without the field answers: not a "no". */
  if (dev->hw_known && dev->hw_max_pasid_log2 > 0)
    {
      if (source != NULL)
        *source = "IOMMU_GET_HW_INFO";
      return dev->hw_max_pasid_log2;
    }
  if (source != NULL)
    *source = "config space";
  if (dev->pasid == TRI_NO)
    return 0;
  if (dev->pasid == TRI_UNKNOWN || dev->pasid_width < 0)
    return -1;
  return dev->pasid_width;
}

/* out_capabilities bits, uapi IOMMU_HW_CAP_* in bit order. */
static const struct {
  hwinfo_capability cap;
  const char *name;
} capability_names[] = {
  { HWINFO_CAP_DIRTY_TRACKING, "dirty_tracking" },
  { HWINFO_CAP_PASID_EXEC, "pasid_exec" },
  { HWINFO_CAP_PASID_PRIV, "pasid_priv" },
  { HWINFO_CAP_PCI_ATS_NOT_SUPPORTED, "pci_ats_not_supported" },
};

json_object *
hwinfo_caps_to_json (const host_hwinfo *hw)
{
  if (!hw->known)
    return NULL;
  json_object *caps = json_object_new_object ();
  gsize n_fields;
  const idr_field_info *fields = idr_field_table (&n_fields);
  for (gsize i = 0; i < n_fields; i++)
    {
      guint32 value = idr_get (hw->idr, fields[i].field);
      json_object_object_add (caps, fields[i].name, fields[i].width == 1
                                                      ? json_object_new_boolean (value != 0)
                                                      : json_object_new_int64 (value));
      if (fields[i].field == IDR_OAS)
        {
          guint bits = idr_oas_bits (value);
          json_object_object_add (caps, "oas_bits", bits ? json_object_new_int64 (bits) : NULL);
        }
    }
  for (gsize i = 0; i < G_N_ELEMENTS (capability_names); i++)
    json_object_object_add (caps, capability_names[i].name,
                            json_object_new_boolean ((hw->out_capabilities & capability_names[i].cap) != 0));
  json_object_object_add (caps, "max_pasid_log2", json_object_new_int64 (hw->out_max_pasid_log2));
  return caps;
}

/* ---- registers <-> JSON -------------------------------------------------- */

json_object *
hwinfo_registers_to_json (const host_hwinfo *hw)
{
  if (!hw->known)
    return NULL;
  json_object *obj = json_object_new_object ();
  json_object *idr = json_object_new_array ();
  for (guint i = 0; i < G_N_ELEMENTS (hw->idr); i++)
    json_object_array_add (idr, json_hex_new (hw->idr[i], 8));
  json_object_object_add (obj, "type", json_object_new_string (HWINFO_TYPE_ARM_SMMUV3_NAME));
  json_object_object_add (obj, "source", hw->source ? json_object_new_string (hw->source) : NULL);
  json_object_object_add (obj, "flags", json_object_new_int64 (hw->flags));
  json_object_object_add (obj, "idr", idr);
  json_object_object_add (obj, "iidr", json_hex_new (hw->iidr, 8));
  json_object_object_add (obj, "aidr", json_hex_new (hw->aidr, 8));
  json_object_object_add (obj, "out_capabilities", json_hex_new (hw->out_capabilities, 0));
  json_object_object_add (obj, "out_max_pasid_log2", json_object_new_int64 (hw->out_max_pasid_log2));
  return obj;
}

void
hwinfo_registers_from_json (json_reader *r, json_object *obj, host_hwinfo *hw)
{
  g_autofree char *type = json_reader_string (r, obj, "type", FALSE);
  if (type != NULL && strcmp (type, HWINFO_TYPE_ARM_SMMUV3_NAME) != 0)
    json_reader_fail (r, "type", "\"%s\" is not a data type smmuctl reads (expected \"%s\")", type,
                      HWINFO_TYPE_ARM_SMMUV3_NAME);
  json_object *idr = json_reader_array (r, obj, "idr");
  if (r->error == NULL && (idr == NULL || json_object_array_length (idr) != G_N_ELEMENTS (hw->idr)))
    json_reader_fail (r, "idr", "expected an array of 6 hexadecimal strings (IDR0..IDR5)");
  guint32 regs[6] = { 0 };
  gsize outer = json_reader_enter (r, "idr");
  for (guint i = 0; i < G_N_ELEMENTS (regs) && r->error == NULL; i++)
    {
      gsize mark = json_reader_enter_index (r, i);
      regs[i] = (guint32) json_reader_hex_value (r, json_object_array_get_idx (idr, i), G_MAXUINT32);
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
  host_hwinfo parsed = { 0 };
  memcpy (parsed.idr, regs, sizeof regs);
  parsed.source = json_reader_string (r, obj, "source", TRUE);
  parsed.flags = (guint32) json_reader_int (r, obj, "flags", 0, 0, G_MAXUINT32, FALSE);
  parsed.iidr = (guint32) json_reader_hex (r, obj, "iidr", 0, G_MAXUINT32);
  parsed.aidr = (guint32) json_reader_hex (r, obj, "aidr", 0, G_MAXUINT32);
  parsed.out_capabilities = json_reader_hex (r, obj, "out_capabilities", 0, G_MAXUINT64);
  parsed.out_max_pasid_log2 = (guint8) json_reader_int (r, obj, "out_max_pasid_log2", 0, 0, 255, FALSE);
  if (r->error != NULL)
    {
      g_free (parsed.source);
      return;
    }
  parsed.known = TRUE;
  g_free (hw->source);
  *hw = parsed;
}

/* ---- recordings ---------------------------------------------------------- */

typedef struct {
  char *smmu;
  char *path;        /* "$.smmus[2]", for the note about unknown SMMUs */
  char *device;      /* the device the registers were read through, or NULL */
  host_hwinfo hw;
} recorded_smmu;

/* The per-device part of an answer: what the kernel says about one device. */
typedef struct {
  char *device;
  char *path;
  guint64 out_capabilities;
  guint8 out_max_pasid_log2;
} recorded_device;

static void
recorded_device_clear (gpointer p)
{
  recorded_device *rec = p;
  g_free (rec->device);
  g_free (rec->path);
}

static char *
read_recorded_bdf (json_reader *r, json_object *item, const char *key)
{
  g_autofree char *text = json_reader_string (r, item, key, TRUE);
  if (text == NULL)
    return NULL;
  char *bdf = pci_bdf_normalize (text);
  if (bdf == NULL)
    json_reader_fail (r, key, "\"%s\" is not a PCI address such as \"0008:01:00.0\"", text);
  return bdf;
}

static void
recorded_smmu_clear (gpointer p)
{
  recorded_smmu *rec = p;
  g_free (rec->smmu);
  g_free (rec->path);
  g_free (rec->device);
  g_free (rec->hw.source);
}

static void
read_recording (json_reader *r, json_object *doc, GArray *out)
{
  json_object *smmus = json_object_get_type (doc) == json_type_object
                         ? json_reader_array (r, doc, "smmus") : NULL;
  if (r->error == NULL && smmus == NULL)
    json_reader_fail (r, NULL, "expected an object with an \"smmus\" array (a hw_info recording)");
  gsize outer = json_reader_enter (r, "smmus");
  for (size_t i = 0; smmus && i < json_object_array_length (smmus) && r->error == NULL; i++)
    {
      json_object *item = json_object_array_get_idx (smmus, i);
      gsize mark = json_reader_enter_index (r, i);
      recorded_smmu rec = { 0 };
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else if (!json_reader_has (item, "smmu"))
        json_reader_fail (r, "smmu", "missing (the SMMU's name, \"smmu3.0x…\")");
      rec.smmu = r->error ? NULL : json_reader_string (r, item, "smmu", FALSE);
      if (rec.smmu != NULL)
        hwinfo_registers_from_json (r, item, &rec.hw);
      rec.device = r->error ? NULL : read_recorded_bdf (r, item, "device");
      for (guint j = 0; j < out->len && r->error == NULL; j++)
        if (strcmp (g_array_index (out, recorded_smmu, j).smmu, rec.smmu) == 0)
          json_reader_fail (r, "smmu", "%s is recorded twice (also at %s)", rec.smmu,
                            g_array_index (out, recorded_smmu, j).path);
      rec.path = g_strdup (r->path->str);
      g_array_append_val (out, rec);
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

/* "devices": [{"device": "BDF", "out_capabilities", "out_max_pasid_log2"}]:
 * the per-device answers of the other devices behind each SMMU. */
static void
read_recorded_devices (json_reader *r, json_object *doc, GArray *out)
{
  json_object *devices = r->error == NULL ? json_reader_array (r, doc, "devices") : NULL;
  gsize outer = json_reader_enter (r, "devices");
  for (size_t i = 0; devices && i < json_object_array_length (devices) && r->error == NULL; i++)
    {
      json_object *item = json_object_array_get_idx (devices, i);
      gsize mark = json_reader_enter_index (r, i);
      recorded_device rec = { 0 };
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else if (!json_reader_has (item, "device"))
        json_reader_fail (r, "device", "missing (the device's PCI address)");
      else
        {
          rec.device = read_recorded_bdf (r, item, "device");
          rec.out_capabilities = json_reader_hex (r, item, "out_capabilities", 0, G_MAXUINT64);
          rec.out_max_pasid_log2 = (guint8) json_reader_int (r, item, "out_max_pasid_log2", 0, 0, 255, FALSE);
        }
      rec.path = g_strdup (r->path->str);
      g_array_append_val (out, rec);
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

/* The kernel's per-device answer, recorded or read live. */
static void
set_device_answer (host_model *host, const char *bdf, const char *where, guint64 capabilities,
                   guint8 max_pasid_log2)
{
  host_pci_device *dev = host_find_device (host, bdf);
  if (dev == NULL)
    {
      host_model_note (host, "%s: no PCI device %s on this host; its recorded hw_info is not used", where, bdf);
      return;
    }
  dev->hw_known = TRUE;
  dev->hw_capabilities = capabilities;
  dev->hw_max_pasid_log2 = max_pasid_log2;
}

gboolean
hwinfo_load_json_data (host_model *host, const char *data, gsize len, const char *source_name,
                       GError **error)
{
  json_reader r;
  json_reader_init (&r, source_name);
  g_autoptr (GArray) recorded = g_array_new (FALSE, TRUE, sizeof (recorded_smmu));
  g_array_set_clear_func (recorded, recorded_smmu_clear);
  g_autoptr (GArray) devices = g_array_new (FALSE, TRUE, sizeof (recorded_device));
  g_array_set_clear_func (devices, recorded_device_clear);
  json_object *doc = json_reader_parse (&r, data, len);
  if (doc != NULL)
    read_recording (&r, doc, recorded);
  if (doc != NULL && r.error == NULL)
    read_recorded_devices (&r, doc, devices);
  json_object_put (doc);
  if (r.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&r.error));
      json_reader_clear (&r);
      return FALSE;
    }
  json_reader_clear (&r);

  /* Only now touch the host, so that a malformed recording changes nothing. */
  for (guint i = 0; i < recorded->len; i++)
    {
      recorded_smmu *rec = &g_array_index (recorded, recorded_smmu, i);
      host_smmu *smmu = host_find_smmu (host, rec->smmu);
      if (smmu == NULL)
        {
          host_model_note (host, "%s: %s: no SMMU %s on this host; its recorded hw_info is not used", source_name,
                           rec->path, rec->smmu);
          continue;
        }
      g_free (smmu->hwinfo.source);
      smmu->hwinfo = rec->hw;
      smmu->hwinfo.source = g_strdup (source_name);
      if (rec->device != NULL)
        {
          g_autofree char *where = g_strdup_printf ("%s: %s", source_name, rec->path);
          set_device_answer (host, rec->device, where, rec->hw.out_capabilities, rec->hw.out_max_pasid_log2);
        }
    }
  for (guint i = 0; i < devices->len; i++)
    {
      const recorded_device *rec = &g_array_index (devices, recorded_device, i);
      g_autofree char *where = g_strdup_printf ("%s: %s", source_name, rec->path);
      set_device_answer (host, rec->device, where, rec->out_capabilities, rec->out_max_pasid_log2);
    }
  return TRUE;
}

gboolean
hwinfo_load_json (host_model *host, const char *path, GError **error)
{
  gsize len = 0;
  g_autofree char *data = json_read_input (path, HOSTJSON_MAX_SIZE, &len, error);
  if (data == NULL)
    return FALSE;
  return hwinfo_load_json_data (host, data, len, g_strcmp0 (path, "-") == 0 ? "<stdin>" : path,
                                error);
}

/* ---- live ---------------------------------------------------------------- */

/* Local copies of the uapi (linux/iommufd.h, linux/vfio.h): Debian 12's
 * kernel headers predate iommufd hw_info and vfio cdev binding. */
struct smmuctl_vfio_device_bind_iommufd {
  __u32 argsz;
  __u32 flags;
  __s32 iommufd;
  __u32 out_devid;
};
#define SMMUCTL_VFIO_DEVICE_BIND_IOMMUFD _IO (';', 100 + 18)

struct smmuctl_iommu_hw_info_arm_smmuv3 {
  __u32 flags;
  __u32 reserved;
  __u32 idr[6];
  __u32 iidr;
  __u32 aidr;
};

struct smmuctl_iommu_hw_info {
  __u32 size;
  __u32 flags;
  __u32 dev_id;
  __u32 data_len;
  __aligned_u64 data_uptr;
  __u32 data_type;          /* in_data_type with FLAG_INPUT_TYPE, else out_data_type */
  __u8 out_max_pasid_log2;
  __u8 reserved[3];
  __aligned_u64 out_capabilities;
};
#define SMMUCTL_IOMMU_GET_HW_INFO _IO (';', 0x8a)
/* Kernel 6.17+: ask for a data type; a Tegra241 CMDQV host otherwise
 * answers with its CMDQV data instead of the SMMUv3 registers. */
#define SMMUCTL_IOMMU_HW_INFO_FLAG_INPUT_TYPE (1u << 0)

G_STATIC_ASSERT (sizeof (struct smmuctl_iommu_hw_info) == 40);
G_STATIC_ASSERT (sizeof (struct smmuctl_iommu_hw_info_arm_smmuv3) == 40);
G_STATIC_ASSERT (sizeof (struct smmuctl_vfio_device_bind_iommufd) == 16);
G_STATIC_ASSERT (SMMUCTL_IOMMU_GET_HW_INFO == 0x3B8A);
G_STATIC_ASSERT (SMMUCTL_VFIO_DEVICE_BIND_IOMMUFD == 0x3B76);


static gboolean
is_cdev_name (const char *name)
{
  return g_str_has_prefix (name, "vfio") && name[4] != '\0'
         && strspn (name + 4, "0123456789") == strlen (name + 4);
}

static int
get_hw_info (int iommufd, guint32 dev_id, struct smmuctl_iommu_hw_info *info,
             struct smmuctl_iommu_hw_info_arm_smmuv3 *data)
{
  for (int attempt = 0; attempt < 2; attempt++)
    {
      memset (info, 0, sizeof *info);
      memset (data, 0, sizeof *data);
      info->size = sizeof *info;
      info->dev_id = dev_id;
      info->data_len = sizeof *data;
      info->data_uptr = (guint64) (guintptr) data;
      if (attempt == 0)
        {
          info->flags = SMMUCTL_IOMMU_HW_INFO_FLAG_INPUT_TYPE;
          info->data_type = HWINFO_TYPE_ARM_SMMUV3;
        }
      if (ioctl (iommufd, SMMUCTL_IOMMU_GET_HW_INFO, info) == 0)
        return 0;
      /* Kernels before 6.17 refuse the flag: ask again without it. */
      if (errno != EOPNOTSUPP)
        break;
    }
  return -1;
}

/* IOMMU_GET_HW_INFO through one device: NULL on success, or why not (one
 * line for the notes). */
static char *
query_device (const host_pci_device *dev, struct smmuctl_iommu_hw_info *info,
              struct smmuctl_iommu_hw_info_arm_smmuv3 *data)
{
  g_autofree char *node = g_strdup_printf ("/dev/vfio/devices/%s", dev->vfio_cdev);
  int device_fd = open (node, O_RDWR | O_CLOEXEC);
  if (device_fd < 0)
    {
      int e = errno;
      return g_strdup_printf ("cannot open %s (%s): %s%s", node, dev->bdf, g_strerror (e),
                              e == EBUSY ? " (in use, e.g. by a running VM?)" : "");
    }
  int iommufd = open ("/dev/iommu", O_RDWR | O_CLOEXEC);
  if (iommufd < 0)
    {
      int e = errno;
      close (device_fd);
      return g_strdup_printf ("cannot open /dev/iommu: %s (is the iommufd module loaded?)",
                              g_strerror (e));
    }
  char *why = NULL;
  struct smmuctl_vfio_device_bind_iommufd bind = { .argsz = sizeof bind, .iommufd = iommufd };
  if (ioctl (device_fd, SMMUCTL_VFIO_DEVICE_BIND_IOMMUFD, &bind) != 0)
    why = g_strdup_printf ("VFIO_DEVICE_BIND_IOMMUFD on %s (%s) failed: %s", node, dev->bdf,
                           g_strerror (errno));
  else if (get_hw_info (iommufd, bind.out_devid, info, data) != 0)
    why = g_strdup_printf ("IOMMU_GET_HW_INFO for %s failed: %s", dev->bdf, g_strerror (errno));
  else if (info->data_type != HWINFO_TYPE_ARM_SMMUV3)
    why = g_strdup_printf ("IOMMU_GET_HW_INFO for %s returned data type %u, not arm-smmuv3 (%d)",
                           dev->bdf, info->data_type, HWINFO_TYPE_ARM_SMMUV3);
  close (device_fd); /* closing the device unbinds it from iommufd */
  close (iommufd);
  return why;
}

/* Every vfio-pci device with a cdev behind smmu: the SMMU's registers from
 * the first that answers, each device's own facts from its answer.  NULL
 * when the registers were read, else why not. */
static char *
query_smmu (host_model *host, host_smmu *smmu)
{
  char *why = NULL;
  gboolean asked = FALSE;
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      if (g_strcmp0 (dev->smmu, smmu->name) != 0 || g_strcmp0 (dev->driver, "vfio-pci") != 0
          || dev->vfio_cdev == NULL)
        continue;
      asked = TRUE;
      struct smmuctl_iommu_hw_info info;
      struct smmuctl_iommu_hw_info_arm_smmuv3 data;
      g_autofree char *failed = is_cdev_name (dev->vfio_cdev)
                                  ? query_device (dev, &info, &data)
                                  : g_strdup_printf ("%s has an unexpected vfio cdev name '%s'", dev->bdf,
                                                     dev->vfio_cdev);
      if (failed != NULL)
        {
          if (smmu->hwinfo.known)
            host_model_note (host, "%s: hw_info of %s not read: %s", smmu->name, dev->bdf, failed);
          else if (why == NULL)
            why = g_steal_pointer (&failed);
          continue;
        }
      dev->hw_known = TRUE;
      dev->hw_capabilities = info.out_capabilities;
      dev->hw_max_pasid_log2 = info.out_max_pasid_log2;
      if (smmu->hwinfo.known)
        continue;
      g_autofree char *node = g_strdup_printf ("/dev/vfio/devices/%s", dev->vfio_cdev);
      smmu->hwinfo = (host_hwinfo) {
        .known = TRUE, .source = g_strdup (node), .flags = data.flags,
        .iidr = data.iidr, .aidr = data.aidr,
        .out_capabilities = info.out_capabilities,
        .out_max_pasid_log2 = info.out_max_pasid_log2,
      };
      memcpy (smmu->hwinfo.idr, data.idr, sizeof data.idr);
      g_clear_pointer (&why, g_free);
    }
  if (!asked)
    return g_strdup ("no vfio-pci device with a vfio cdev behind it (bind one to vfio-pci; "
                     "needs kernel 6.6+ with CONFIG_VFIO_DEVICE_CDEV)");
  return smmu->hwinfo.known ? NULL : why;
}

void
hwinfo_read_live (host_model *host)
{
  if (g_strcmp0 (host->root, "/") != 0)
    {
      host_model_note (host, "hw_info not read: --hwinfo asks the running kernel, so it needs the live host, "
                  "not the tree under %s (use --hwinfo-json FILE for a recording)",
            host->root ? host->root : "(unknown root)");
      return;
    }
  if (geteuid () != 0)
    {
      host_model_note (host, "hw_info not read: binding a vfio cdev to /dev/iommu needs root (running as uid %u)",
            (guint) geteuid ());
      return;
    }
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      g_autofree char *why = query_smmu (host, smmu);
      if (why != NULL)
        host_model_note (host, "%s: hw_info not read: %s", smmu->name, why);
    }
}
