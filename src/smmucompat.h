/* QEMU's host-compatibility check for an accelerated vSMMU (QEMU
 * hw/arm/smmuv3-accel.c, smmuv3_accel_check_hw_compatible): when a vfio-pci
 * device attaches, QEMU compares ID register fields of the host SMMU behind
 * it (IOMMU_GET_HW_INFO) with the vSMMU's own and refuses the device on the
 * first mismatch.  One table of those comparisons, with QEMU's messages; the
 * host-aware rules (SMU309) and the planner's check of its own result ask
 * it. */
#pragma once
#include "hostmodel.h"
#include "topology.h"
#include "versions.h"

/* One comparison QEMU would fail. */
typedef struct {
  idr_field field;       /* the ID register field compared */
  guint32 host_value;    /* the host SMMU's field */
  guint32 vsmmu_value;   /* the vSMMU's field */
  gboolean fixed;        /* QEMU's vSMMU always has that value: no property changes it */
  char *message;         /* QEMU's error message with its values filled in */
  char *vsmmu_reason;    /* where the vSMMU's value comes from: "ril='on'", "QEMU 11.0's default for ril", … */
} smmu_incompat;

void smmu_incompat_free (smmu_incompat *incompat);

/* The comparisons QEMU `qemu` makes between host SMMU registers `hw` and
 * the accelerated vSMMU `iommu` that fail, in QEMU's order (QEMU reports
 * the first).  Empty when they all pass, when the registers are unknown,
 * and for a QEMU without accelerated vSMMUs.  An `auto` property (and, from
 * the release that has auto values, an absent one) takes the host's value
 * and passes. */
GPtrArray *smmu_compat_check (const host_hwinfo *hw, const guest_iommu *iommu, sw_version qemu);

/* "IDR5.GRAN16K": the register and field name of a compared field. */
char *smmu_compat_field_name (idr_field field);
