/* smmuctl verify: a booted guest (read with the host-model code, as probe
 * reads a host) held against the plan it was started from.  Per planned
 * passthrough device: is it at its planned guest address, behind an SMMU,
 * the SMMU the guest's IORT gives its planned root complex, alone in its
 * IOMMU group (or with exactly its planned functions), on its planned NUMA
 * node?  Plus what the plan did not ask for.  Findings are SMU6xx. */
#pragma once
#include "findings.h"
#include "hostmodel.h"
#include "planread.h"

/* One planned vSMMU and the guest SMMU its root complex maps to. */
typedef struct {
  const guest_iommu *planned;   /* borrowed from the plan */
  guint plan_index;             /* position in the plan's $.vsmmus */
  const guest_bus *root_complex; /* borrowed; NULL when the plan gives none */
  int root_bus;                 /* first bus number of that root complex */
  const char *guest_smmu;       /* borrowed from the guest model; NULL when none or unknown */
} verify_vsmmu;

/* One planned passthrough function and what the guest has at its place. */
typedef struct {
  const guest_endpoint *planned; /* borrowed from the plan */
  guint plan_index;             /* position in the plan's $.endpoints */
  char *planned_at;             /* "0000:fc:00.0/00.0": kernel PCI path (root bus, then devfn per level) */
  const guest_bus *root_complex; /* its planned root complex, borrowed from the plan */
  const verify_vsmmu *vsmmu;    /* the vSMMU of its planned root complex, NULL when none */
  int planned_numa_node;        /* -1 when the plan sets none */
  const host_pci_device *found; /* the guest's function at planned_at, NULL when none */
  GPtrArray *group_endpoints;   /* char* guest BDFs of found's group, NULL when it has none */
  GPtrArray *codes;             /* const char*: finding codes about this device */
} verify_device;

typedef struct {
  GPtrArray *vsmmus;            /* verify_vsmmu* */
  GPtrArray *devices;           /* verify_device* */
  finding_list *findings;       /* sorted by rule order; file = the plan's source */
} verify_result;

void verify_result_free (verify_result *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (verify_result, verify_result_free)

/* The guest model must outlive the result (it borrows names from it). */
verify_result *verify_guest (const plan_document *plan, const host_model *guest);

/* "0000:fd:00.0" → "0000:fc:00.0/00.0": the device's place as the kernel's
 * PCI path syntax writes it, following parent bridges; NULL when the chain
 * is broken (a parent missing from the model) or loops. */
char *verify_guest_path (const host_model *guest, const host_pci_device *dev);
