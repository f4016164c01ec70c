/* The planner: a host model plus a device selection in, a guest topology
 * (src/topology.h) out, with the reason for every decision that was not
 * forced.  SPEC §5 rules 1–8.  It never prints and never writes files: the
 * emitters (emit.h) turn the plan into XML, a QEMU script or JSON. */
#pragma once
#include "units.h"
#include "hostmodel.h"
#include "topology.h"
#include "versions.h"

typedef enum {
  PLAN_LAYOUT_PER_SMMU,   /* one pxb-pcie + one vSMMU per host SMMU in use */
  PLAN_LAYOUT_PER_DEVICE, /* one pxb-pcie + one vSMMU per device (port) */
} plan_layout;

const char *plan_layout_name (plan_layout layout); /* "per-smmu", "per-device" */
gboolean plan_layout_parse (const char *text, plan_layout *out);

/* QEMU's virt machine has one PCI segment: bus numbers 0..255 (topology.h). */
#define PLAN_BUS_MAX GUEST_BUS_LAST
#define PLAN_DEFAULT_BUS_HEADROOM GUEST_DEFAULT_BUS_HEADROOM
/* A pxb-pcie and pcie.0 both offer 32 slots; slot 0 of pcie.0 is the host bridge. */
#define PLAN_SLOTS_PER_BUS 32

typedef struct {
  const char *const *devices;  /* --device BDFs, NULL-terminated; NULL = none */
  gboolean all_vfio;           /* every endpoint bound to vfio-pci */
  gboolean have_vendor;        /* --vendor VVVV[:DDDD] */
  guint16 vendor;
  gboolean have_device_id;
  guint16 device_id;
  gboolean managed;            /* hostdevs managed='yes': libvirt binds vfio-pci itself */
  gboolean managed_peers;      /* with managed: also take group peers bound to host drivers */
  plan_layout layout;
  guint bus_headroom;          /* free bus numbers left in every root complex */
  /* The PCI limits of one guest segment: the highest bus number (chassis
   * numbers are 8-bit too and follow it) and the slots of pcie.0.  Only the
   * benchmark raises them, to time the planner beyond what one VM can hold. */
  guint bus_max;               /* PLAN_BUS_MAX */
  guint root_slots;            /* PLAN_SLOTS_PER_BUS */
  sw_target target_qemu, target_libvirt; /* version, and what the installed one reported */
  const char *target_qemu_source;    /* "--target-qemu", "installed", "newest known" */
  const char *target_libvirt_source;
  gboolean check_libvirt;      /* the plan will be written as libvirt XML */
  /* A new domain (no base): */
  const char *name;
  guint64 memory_kib;
  guint vcpus;
  gboolean no_numa;            /* no guest NUMA cells mirroring the host's */
  const char *base_name;       /* the --base file, for messages */
  /* How to tell the user where a missing device was looked for:
   * "under ./snap/sys/bus/pci/devices" and "smmuctl probe --root ./snap". */
  const char *host_where;
  const char *probe_hint;
} plan_request;

void plan_request_init (plan_request *req); /* defaults: per-smmu, headroom 2, newest targets */

/* One planned root complex: a pxb-pcie with its vSMMU and its devices. */
typedef struct {
  int rc_index;               /* controller index of the pxb-pcie */
  int iommu;                  /* its vSMMU: index into domain->iommus */
  const host_smmu *smmu;      /* the host SMMU behind the vSMMU (borrowed from the host) */
  int bus_first, bus_last;    /* busNr .. busNr + ports + headroom */
  guint n_ports;
  GPtrArray *devices;         /* const host_pci_device*, borrowed, guest order */
} plan_root_complex;

typedef struct {
  guest_domain *domain;       /* the whole guest: base elements first, then planned ones */
  gboolean merged;            /* built on a --base domain */
  guint n_base_buses, n_base_iommus, n_base_endpoints; /* the first n of each list are the base's */
  plan_layout layout;
  guint bus_headroom;
  int pcie0_last;             /* last bus number kept for pcie.0 */
  guint gap_ports;            /* root ports libvirt adds on pcie.0 for unused indexes below the base's highest */
  GPtrArray *root_complexes;  /* plan_root_complex*, planned ones, in index order */
  GPtrArray *devices;         /* const host_pci_device*, every planned device, guest order */
  guint64 bar64_total;        /* sum of the planned devices' 64-bit BARs */
  guint64 mmio64_need;        /* what their prefetchable 64-bit BARs take in the window (mmio64.c) */
  gboolean mmio64_raised;     /* window above the machine default: emit highmem-mmio-size */
  gboolean add_acpi;          /* the base lacked <acpi/>: the XML emitter adds it */
  sw_target target_qemu, target_libvirt;
  char *target_qemu_source, *target_libvirt_source;
  GPtrArray *why;             /* char*: plan-wide decisions, one sentence each */
  GPtrArray *warnings;        /* char*: the plan is written but may not work as is */
} guest_plan;

void guest_plan_free (guest_plan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (guest_plan, guest_plan_free)

/* Plan a guest, new or merged into base (a domain read by domainxml.h; the
 * plan takes it over and keeps every element, index and address of it).
 * PLAN error when the request cannot be satisfied (device missing, not
 * vfio-pci, split group, bus numbers exhausted, base not aarch64 virt or with
 * a conflicting IOMMU, target too old); USAGE error for a bad request. */
guest_plan *planner_plan (const host_model *host, const plan_request *req, guest_domain *base,
                          GError **error);


/* SPEC §5 rule 6 (issue 6): the accelerated vSMMU's properties from the host
 * SMMU's ID registers and the devices below it.  Fills iommu->props (accel
 * on; ats, ril, ssidsize, oas as values, `auto` where unknown and the target
 * QEMU has it, absent otherwise), appends one sentence per property to why,
 * and a line to warnings for every property left to QEMU's default. */
void plan_derive_vsmmu_props (const host_smmu *smmu, const host_pci_device *const *devices, guint n_devices,
                              sw_target target_qemu, guest_iommu *iommu, GString *why, GPtrArray *warnings);

/* QEMU's accelerated arm-smmuv3 limits: oas is 44 or 48, ssidsize 0..20. */
#define PLAN_QEMU_SSIDSIZE_MAX 20
