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
  FEAT_QEMU_SMMUV3_AUTO,        /* ats/ril/ssidsize=auto (filled from hw_info) */
  FEAT_QEMU_SMMUV3_CMDQV,       /* Tegra241 CMDQV: vendor builds only */
  /* libvirt */
  FEAT_LIBVIRT_IOMMU_PCIBUS,    /* <iommu model='smmuv3'><driver pciBus=…> */
  FEAT_LIBVIRT_HOSTDEV_IOMMUFD, /* <hostdev><driver iommufd='yes'/> */
  FEAT_LIBVIRT_DOMAIN_IOMMUFD,  /* <iommufd enabled='yes'/> */
  FEAT_LIBVIRT_SMMUV3_ACCEL,    /* <driver accel= ats= ril= ssidsize= oas=> */
  FEAT_LIBVIRT_SMMUV3_CMDQV,    /* <driver cmdqv=> */
  FEAT_N
} feature_id;

typedef enum { SW_QEMU, SW_LIBVIRT } sw_kind;

typedef struct {
  feature_id id;
  sw_kind kind;
  const char *key;          /* stable identifier for JSON: "qemu.smmuv3_accel" */
  sw_version since;         /* {0,0,0} = not in any upstream release yet */
  const char *what;         /* human description */
  const char *note;         /* why the number is what it is (source, caveat) */
} feature_info;

const feature_info *feature_lookup (feature_id id);
const feature_info *feature_table (gsize *n);

/* The newest release of each that this table knows about (default target). */
sw_version sw_newest_known (sw_kind kind);

gboolean sw_version_parse (const char *text, sw_version *out); /* "11.1", "12.5.0", "v10.2.0-rc1" */
int sw_version_compare (sw_version a, sw_version b);
char *sw_version_to_string (sw_version v); /* "11.1.0" */
/* TRUE when a release at version v has the feature. */
gboolean sw_has_feature (sw_version v, feature_id id);
