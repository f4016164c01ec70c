/* The host model: what smmuctl knows about one machine's SMMUs, PCI devices,
 * IOMMU groups, NUMA nodes and virtualization readiness.  Built by hostprobe.c
 * (from a root prefix) or hostjson.c (from a `probe --json` document); read by
 * the probe report, the planner and the host-aware rules. */
#pragma once
#include <glib.h>
#include "idr.h"
#include "versions.h"

/* A fact we may or may not know: unknown is not the same as false. */
typedef enum { TRI_UNKNOWN = 0, TRI_NO, TRI_YES } tristate;

const char *tristate_name (tristate t); /* "unknown", "no", "yes" */

typedef struct {
  guint index;        /* BAR number 0..5 */
  guint64 start, size;
  gboolean is64, prefetchable;
} host_bar;

typedef struct {
  char *bdf;          /* "DDDD:BB:DD.F" */
  guint32 segment;
  guint8 bus, slot, function;
  guint16 vendor, device;
  guint32 class_code; /* 24-bit class/subclass/prog-if */
  char *driver;       /* NULL when unbound */
  int iommu_group;    /* -1 when none */
  char *smmu;         /* name of the SMMU behind it ("smmu3.0x…"), NULL when unknown */
  const char *smmu_source; /* "sysfs" or "iort" (static string), NULL when unknown */
  int numa_node;      /* -1 when unknown */
  GArray *bars;       /* host_bar, memory BARs with size > 0 */
  guint64 bar64_total; /* sum of 64-bit memory BARs */
  guint64 bar_total;
  char *link_speed;   /* "32.0 GT/s PCIe" or NULL */
  int link_width;     /* 0 when unknown */
  char *vfio_cdev;    /* "vfio3" (/dev/vfio/devices/vfio3) or NULL */
  gboolean is_bridge; /* class 0x0604xx: bridges don't count as group endpoints */
  /* From config space beyond 64 bytes (root or a snapshot); unknown otherwise. */
  tristate ats, pri, pasid;
  int pasid_width;    /* max PASID width in bits, -1 unknown, 0 none */
  tristate canwbs;    /* IORT root complex memory access flag of its segment */
  char *sysfs_path;   /* "/sys/bus/pci/devices/<bdf>" as seen under the root */
  /* The bridge above it in the PCI tree ("0000:fc:00.0"), from the sysfs
   * device path; NULL on a root bus, and when not read (host JSON). */
  char *parent_bdf;
  char *physfn;       /* a VF: its PF's BDF (sysfs physfn); NULL otherwise */
  /* IOMMU_GET_HW_INFO through this device (--hwinfo, or a recording): the
   * kernel's per-device answer, which already weighs the SMMU, the root
   * complex and the device (hwinfo.h: host_device_ats, _pasid_bits). */
  gboolean hw_known;
  guint64 hw_capabilities;   /* out_capabilities */
  guint8 hw_max_pasid_log2;  /* out_max_pasid_log2 */
} host_pci_device;

typedef struct {
  guint64 start, end;
  char *type;         /* "direct", "direct-relaxable", "reserved", "msi" */
} host_reserved_region;

typedef struct {
  int id;
  char *type;         /* "DMA", "DMA-FQ", "identity", "blocked", "unmanaged" or NULL */
  GPtrArray *devices; /* char* BDFs, sorted */
  GArray *reserved_regions; /* host_reserved_region */
} host_iommu_group;

typedef struct {
  gboolean known;
  char *source;       /* "/dev/vfio/devices/vfio0" (live) or the --hwinfo-json file */
  guint32 flags;
  guint32 idr[6], iidr, aidr;
  guint64 out_capabilities;
  guint8 out_max_pasid_log2;
} host_hwinfo;

typedef struct {
  char *name;         /* "smmu3.0x0000000016000000" */
  guint64 base;
  char *platform_device; /* "arm-smmu-v3.3.auto" or NULL (not stable across boots) */
  int numa_node;      /* -1 unknown */
  const char *numa_source; /* "sysfs", "iort" or NULL */
  gboolean in_iort;
  guint32 iort_offset; /* byte offset of its IORT SMMUv3 node when in_iort */
  tristate canwbs;    /* YES when every root complex mapped to it has CANWBS */
  host_hwinfo hwinfo;
  GPtrArray *devices; /* char* BDFs behind it, sorted */
} host_smmu;

typedef struct {
  int id;
  gboolean has_cpu, has_memory;
} host_numa_node;

/* One IORT root-complex ID mapping that ends at an SMMUv3: the requester IDs
 * (bus << 8 | devfn) of a PCI segment that this SMMU translates. */
typedef struct {
  guint32 segment;
  guint32 rid_first, rid_last; /* inclusive */
  char *smmu;          /* the SMMU's name ("smmu3.0x…") */
} host_rid_range;

typedef struct {
  gboolean present;
  guint32 mode;       /* permission bits, e.g. 0660 */
  guint32 uid, gid;
  gboolean is_char_device;
} host_node_access;

typedef struct {
  gboolean probed;    /* FALSE for --root trees and recorded documents without tools */
  char *qemu_path;
  char *qemu_version; /* "7.2.22" or NULL when not installed */
  tristate smmuv3_user_creatable;
  GPtrArray *smmuv3_props; /* char*, property names of -device arm-smmuv3,help */
  char *libvirt_version; /* "12.9.0": the daemon's, else the client library's */
  char *libvirt_uri;     /* the daemon that answered (qemu:///system), NULL: the library only */
  /* What QEMU's help and libvirt's domain capabilities say the programs
   * have, per feature_id; TRI_UNKNOWN where they were not asked or did not
   * answer (the version table decides then). */
  tristate features[FEAT_N];
} host_tools;

typedef struct {
  char *root;          /* the root prefix read, "/" for the live host */
  char *kernel_release;
  host_node_access dev_iommu;        /* /dev/iommu */
  host_node_access vfio_devices_dir; /* /dev/vfio/devices */
  host_node_access vfio_legacy;      /* /dev/vfio/vfio */
  gboolean iort_present;
  char *iort_source;   /* path read, NULL when none */
  GPtrArray *smmus;    /* host_smmu*, sorted by base */
  GPtrArray *devices;  /* host_pci_device*, sorted by BDF */
  GPtrArray *groups;   /* host_iommu_group*, sorted by id */
  GArray *numa_nodes;  /* host_numa_node, sorted by id */
  GArray *rid_ranges;  /* host_rid_range in IORT order; empty without an IORT (not in probe --json) */
  host_tools tools;
  GPtrArray *notes;    /* char*: things probe could not read, one line each */
} host_model;

host_model *host_model_new (void);
void host_model_free (host_model *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (host_model, host_model_free)

host_smmu *host_smmu_new (void);
void host_smmu_free (host_smmu *smmu);
host_pci_device *host_pci_device_new (void);
void host_pci_device_free (host_pci_device *dev);
host_iommu_group *host_iommu_group_new (int id);
void host_iommu_group_free (host_iommu_group *group);

/* Lookups; NULL when absent.  BDFs compare case-insensitively and a missing
 * domain ("01:00.0") means segment 0. */
host_pci_device *host_find_device (const host_model *host, const char *bdf);
host_smmu *host_find_smmu (const host_model *host, const char *name);
host_smmu *host_find_smmu_by_base (const host_model *host, guint64 base);
host_iommu_group *host_find_group (const host_model *host, int id);
gboolean host_has_numa_node (const host_model *host, int id);
/* The IORT mapping that sends this requester ID to an SMMU, NULL when none does. */
const host_rid_range *host_rid_range_find (const host_model *host, guint32 segment, guint32 rid);

/* Names and text in a tree are bytes anyone may have written: make them
 * valid UTF-8 without control characters before they reach a terminal or a
 * JSON string.  Takes text (NULL passes), returns it or a cleaned copy. */
char *host_text_printable (char *text);
/* Add one line to host->notes (printable as above). */
void host_model_note (host_model *host, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* name -> host_smmu* (the first of a name, as host_find_smmu), for lookups
 * per device; the table does not own keys or values. */
GHashTable *host_smmu_index (const host_model *host);

/* After the lists are filled: sort them, fill each SMMU's device list, and
 * give each VF its PF's PASID capability (a VF has none of its own; the
 * PF's governs it, PCIe SR-IOV). */
void host_model_finish (host_model *host);

/* "DDDD:BB:DD.F" parsing; accepts "BB:DD.F" (segment 0) and hex in any case. */
gboolean pci_bdf_parse (const char *text, guint32 *segment, guint8 *bus, guint8 *slot, guint8 *function);
char *pci_bdf_normalize (const char *text); /* canonical lower-case form or NULL */

/* Whether this SMMU can do nested translation and, if not or unknown, why. */
tristate host_smmu_nesting (const host_smmu *smmu, const char **reason);

/* Endpoints (non-bridges) of the device's IOMMU group, BDF strings, borrowed. */
GPtrArray *host_group_endpoints (const host_model *host, int group_id);

const char *pci_class_name (guint32 class_code); /* "3D controller", "Ethernet controller", … */
