/* What planner.c shares with its neighbours planner_select.c,
 * planner_numbers.c and planner_props.c; not for other modules. */
#pragma once
#include "planner.h"

/* One guest root port: the functions of one host slot behind one SMMU. */
typedef struct {
  const host_smmu *smmu;
  guint smmu_order;           /* position of smmu in host->smmus (sorted by base) */
  GPtrArray *functions;       /* const host_pci_device*, by function */
} plan_port;

void plan_port_free (plan_port *port);

/* SPEC §5 rule 1 and the refusals: the selected devices plus the rest of
 * their IOMMU groups, sorted by BDF (borrowed from host).  peer_reasons gets
 * BDF → why, for each device added because it shares a group. */
GPtrArray *plan_select_devices (const host_model *host, const plan_request *req, GHashTable *peer_reasons,
                                GError **error);

/* The base domain can take the plan: aarch64 virt, KVM, no conflicting
 * IOMMU, none of the selected devices assigned already.  Notes what the
 * planner adds to it (ACPI) in plan->why. */
gboolean plan_check_base (guest_plan *plan, const guest_domain *base, const plan_request *req,
                          GPtrArray *selected, GError **error);

/* The layout's reason, and SMMUs whose nesting is not confirmed, in
 * plan->why.  (What fails at start is the plan check's error: plan_check.h.) */
void plan_explain_host (guest_plan *plan);

/* The target QEMU (and libvirt, when req->check_libvirt) has every feature
 * the planned domain uses (feature_use.c, the table SMU501 reads).  Called
 * before the plan is built (planned = FALSE: nothing to check yet) and after. */
gboolean plan_check_targets (guest_plan *plan, const plan_request *req, gboolean planned, GError **error);

/* How a raised MMIO window is declared: <pcihole64> on pcie-root when the
 * target libvirt passes it to QEMU, else <qemu:commandline> (planner_props.c). */
void plan_choose_mmio64_source (guest_plan *plan, const plan_request *req);

/* ---- planner_numbers.c ---- */

/* A new aarch64 virt KVM domain with pcie.0, from --name, --memory, --vcpus. */
guest_domain *plan_new_domain (const plan_request *req);
/* Guest NUMA cells mirroring the host's nodes with CPUs and memory. */
void plan_mirror_numa (guest_plan *plan, const host_model *host, const plan_request *req);

/* What is free on the guest: controller indexes, pcie.0 slots, chassis. */
typedef struct {
  guint n_indexes, n_slots, n_chassis;
  gboolean *index_used;      /* n_indexes: controller indexes 0..bus_max */
  gboolean *pcie0_slot_used; /* n_slots */
  gboolean *chassis_used;    /* n_chassis */
} plan_alloc;

void plan_alloc_init (plan_alloc *alloc, const guest_domain *dom, const plan_request *req);
void plan_alloc_clear (plan_alloc *alloc);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (plan_alloc, plan_alloc_clear)
/* The lowest controller index nothing uses (libvirt and QEMU take 1..255:
 * "Invalid PCI address bus='0x100', must be <= 0xFF"); -1 when none is. */
int plan_alloc_index (plan_alloc *alloc);
int plan_alloc_pcie0_slot (plan_alloc *alloc);          /* -1 when pcie.0 is full */
int plan_alloc_chassis (plan_alloc *alloc, int index);  /* -1 when none is free */

/* Remove the root ports the domain reader modelled for unused controller
 * indexes (libvirt adds them at define time): the plan takes the lowest
 * free indexes first, and libvirt fills only what it leaves.  Returns how
 * many there were. */
guint plan_take_index_gaps (guest_domain *dom);
/* Last bus number pcie.0 keeps: the base's use, the fillers libvirt adds
 * for unused indexes the plan leaves (gaps_left), one root port per device
 * libvirt will place (auto_ports), and the headroom. */
int plan_pcie0_reserved_last (const guest_domain *dom, guint headroom, guint gaps_left, guint *auto_ports);
/* busNr of each planned root complex, counting down from req->bus_max
 * around the base's pxbs; PLAN error when the numbers run out. */
gboolean plan_assign_bus_numbers (guest_plan *plan, const plan_request *req, guint n_base_buses, GError **error);
