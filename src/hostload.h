/* One way in for every verb that needs a host: a root tree (sysfs/IORT),
 * the live machine, or a recorded `probe --json` document. */
#pragma once
#include "hostmodel.h"

typedef struct {
  const char *root;        /* sysfs tree prefix; NULL = the live host "/" */
  const char *host_file;   /* `probe --json` document ("-" = stdin); excludes root */
  const char *iort_file;   /* raw IORT binary instead of <root>/sys/firmware/acpi/tables/IORT */
  const char *hwinfo_json; /* recorded IOMMU_GET_HW_INFO values */
  gboolean hwinfo_live;    /* --hwinfo: ask the kernel (root, vfio cdev) */
  gboolean probe_tools;    /* detect installed QEMU/libvirt */
  const char *qemu_path;   /* QEMU binary to ask; NULL = qemu-system-aarch64 on PATH */
} host_load_options;

/* HOST error when the tree cannot be read, INPUT when a file is malformed. */
host_model *host_load (const host_load_options *opts, GError **error);
