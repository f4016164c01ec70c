/* Facts only the ACPI IORT has, added to a host model read from sysfs:
 * which SMMU translates the devices that have no iommu link, CANWBS of
 * each root complex, SMMU proximity domains, and SMMUs whose driver is not
 * bound (in the IORT, not in /sys/class/iommu). */
#pragma once
#include "hostmodel.h"
#include "sysroot.h"

/* Read the IORT (iort_file, a raw binary, or the root's
 * /sys/firmware/acpi/tables/IORT) and apply it to host.  An unreadable or
 * malformed table under the root is a note; a bad iort_file is an INPUT
 * error (FALSE). */
gboolean hostiort_read (sysroot *root, host_model *host, const char *iort_file, GError **error);
