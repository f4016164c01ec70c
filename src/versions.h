/* What each QEMU and libvirt release can do for accelerated SMMUv3: one table
 * (versions.c), so that one edit fixes a fact. */
#pragma once
#include <glib.h>

typedef struct {
  guint major, minor, micro;
} sw_version;

typedef enum {
  /* QEMU */
  FEAT_QEMU_IOMMUFD,            /* -object iommufd, vfio-pci iommufd= */
  FEAT_QEMU_HIGHMEM_MMIO_SIZE,  /* -machine virt,highmem-mmio-size= */
  FEAT_QEMU_SMMUV3_PLUGGABLE,   /* -device arm-smmuv3,primary-bus= (several) */
  FEAT_QEMU_SMMUV3_ACCEL,       /* accel=on and ats/ril/ssidsize/oas */
  FEAT_QEMU_SMMUV3_AUTO,        /* ats/ril/ssidsize/oas=auto (filled from hw_info) */
  FEAT_QEMU_SMMUV3_CMDQV,       /* cmdqv= (Tegra241 CMDQV) */
  /* libvirt */
  FEAT_LIBVIRT_IOMMU_PCIBUS,    /* <iommu model='smmuv3'><driver pciBus=…> */
  FEAT_LIBVIRT_HOSTDEV_IOMMUFD, /* <hostdev><driver iommufd='yes'/> */
  FEAT_LIBVIRT_DOMAIN_IOMMUFD,  /* <iommufd enabled='yes'/> */
  FEAT_LIBVIRT_SMMUV3_ACCEL,    /* <driver accel= ats= ril= ssidsize= oas=> */
  FEAT_LIBVIRT_SMMUV3_CMDQV,    /* <driver cmdqv=> */
  FEAT_LIBVIRT_PCIHOLE64_VIRT,  /* <controller model='pcie-root'><pcihole64> on aarch64 virt */
  FEAT_N
} feature_id;

typedef enum { SW_QEMU, SW_LIBVIRT } sw_kind;

typedef struct {
  feature_id id;
  sw_kind kind;
  const char *key;          /* stable identifier for JSON: "qemu.smmuv3_accel" */
  sw_version since;         /* the first release known to have it */
  const char *what;         /* human description */
  /* How the row was checked: the releases run in the real-stack tier, and
   * where the release number comes from when no run pins it ("from
   * libvirt's NEWS"; "not checked" for releases in between). */
  const char *checked;
  /* What a release without it that was run does with a document that uses
   * it ("libvirt 11.3 drops it at define", "QEMU 10.0 exits: …"), NULL when
   * no such release was run. */
  const char *older;
} feature_info;

const feature_info *feature_lookup (feature_id id);
const feature_info *feature_table (gsize *n);
/* The feature whose key is "qemu.smmuv3_accel", or NULL. */
const feature_info *feature_by_key (const char *key);

/* The newest release of each that this table knows about (default target). */
sw_version sw_newest_known (sw_kind kind);

gboolean sw_version_parse (const char *text, sw_version *out); /* "11.1", "12.5.0", "v10.2.0-rc1" */
int sw_version_compare (sw_version a, sw_version b);
char *sw_version_to_string (sw_version v); /* "11.1.0" */
/* TRUE when a release at version v has the feature (by the table). */
gboolean sw_has_feature (sw_version v, feature_id id);

/* A QEMU or libvirt the VM is planned or checked for: its version, and what
 * the installed program itself reported it can do (its properties, its
 * domain capabilities).  A reported fact wins over the version table, so a
 * vendor build that has a property is accepted whatever its number says. */
typedef struct {
  sw_version version;
  guint32 reported_yes, reported_no; /* bit (1 << feature_id) */
} sw_target;

sw_target sw_target_from_version (sw_version v);
void sw_target_report (sw_target *t, feature_id id, gboolean has);
gboolean sw_target_has (const sw_target *t, feature_id id);
/* TRUE when the program reported whether it has the feature. */
gboolean sw_target_reported (const sw_target *t, feature_id id);
