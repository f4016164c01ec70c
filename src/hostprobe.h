/* Build the host model from a root prefix: sysfs, /dev and the ACPI IORT. */
#pragma once
#include "hostmodel.h"
#include "sysroot.h"

/* iort_file: a raw IORT binary to use instead of the one under the root
 * (NULL = <root>/sys/firmware/acpi/tables/IORT when readable).
 * HOST error when the root holds no sys/ tree; INPUT error when iort_file
 * is given but unusable.  Unreadable parts of a tree become host->notes. */
host_model *hostprobe_read (sysroot *root, const char *iort_file, GError **error);

/* PCIe extended capabilities from a config-space snapshot (> 256 bytes):
 * fills ats, pri, pasid, pasid_width; leaves them unknown for short ones. */
void hostprobe_parse_config (host_pci_device *dev, const guint8 *config, gsize len);
