/* The guest topology model: one description of a VM's PCI tree, its IOMMUs
 * and its passthrough devices.  The domain XML reader builds it, the planner
 * builds it, the rules read it and the emitters write it. */
#pragma once
#include <glib.h>
#include "hostmodel.h"

/* What a PCI controller is, in libvirt's terms (controller type='pci' model=…). */
typedef enum {
  GUEST_BUS_PCIE_ROOT,         /* pcie-root: pcie.0, index 0 */
  GUEST_BUS_PXB_PCIE,          /* pcie-expander-bus (pxb-pcie): a root complex */
  GUEST_BUS_ROOT_PORT,         /* pcie-root-port */
  GUEST_BUS_SWITCH_UPSTREAM,   /* pcie-switch-upstream-port */
  GUEST_BUS_SWITCH_DOWNSTREAM, /* pcie-switch-downstream-port */
  GUEST_BUS_PCI_BRIDGE,        /* pcie-to-pci-bridge, pci-bridge, dmi-to-pci-bridge */
  GUEST_BUS_OTHER,             /* pci-root, pci-expander-bus, …: not valid on aarch64 virt */
} guest_bus_kind;

/* libvirt model name ↔ kind, one table (topology.c). */
const char *guest_bus_kind_model (guest_bus_kind kind);
guest_bus_kind guest_bus_kind_from_model (const char *model);
gboolean guest_bus_is_root_complex (guest_bus_kind kind);

/* One PCI controller; libvirt's controller index N is the guest bus it provides. */
typedef struct {
  int index;              /* libvirt controller index; QEMU id pcie.0 or pci.N */
  guest_bus_kind kind;
  char *model;            /* libvirt model as written ("pcie-root-port") */
  char *id;               /* QEMU id: "pcie.0", "pci.3" */
  int parent;             /* index of the bus it is plugged into, -1 for pcie-root and unknown */
  int slot, function;     /* address on the parent, -1 when not given */
  gboolean address_explicit;
  tristate multifunction; /* <address multifunction='on|off'>; UNKNOWN when not written */
  int bus_nr;             /* pxb-pcie: first bus number (target busNr); -1 otherwise */
  int numa_node;          /* pxb-pcie: target <node>, -1 when none */
  int chassis, port;      /* root/downstream ports: target chassis/port, -1 when none */
  tristate hotplug;       /* ports: target hotplug='on|off'; UNKNOWN = default (on) */
  int root_complex;       /* index of the root complex this bus hangs off, -1 when unresolved */
  gboolean index_gap;     /* not in the document: libvirt fills an unused index below the highest one in use */
  int line;               /* source line, 0 when planned */
  char *comment;          /* planner's reason, emitted with --explain; NULL otherwise */
  char *path;             /* XML element path ("/domain/devices/controller[3]"), NULL when planned */
  char *parent_ref;       /* QEMU argv: bus= as written when it names no bus created before it */
} guest_bus;

/* QEMU virt's 64-bit PCI MMIO window when highmem-mmio-size is not given;
 * highmem-mmio-size may only raise it, in powers of two. */
#define GUEST_DEFAULT_MMIO64_SIZE (G_GUINT64_CONSTANT (512) << 30)

/* An accelerated vSMMU property: absent, "auto", or a value. */
typedef enum { PROP_ABSENT = 0, PROP_AUTO, PROP_VALUE } prop_state;
typedef struct {
  prop_state state;
  guint value;            /* on/off props: 1/0; ssidsize/oas: number */
  char *spelling;         /* the attribute name as written ("ssidsize", "pasid", "ssidSize") */
  int line;
} vsmmu_prop;

typedef enum { VSMMU_PROP_ACCEL, VSMMU_PROP_ATS, VSMMU_PROP_RIL, VSMMU_PROP_SSIDSIZE,
               VSMMU_PROP_OAS, VSMMU_PROP_CMDQV, VSMMU_N_PROPS } vsmmu_prop_id;

typedef struct {
  char *model;            /* "smmuv3", "intel", "virtio", … */
  char *id;               /* QEMU id "iommu0" */
  int pci_bus;            /* <driver pciBus=…>: controller index; -1 = machine-wide */
  vsmmu_prop props[VSMMU_N_PROPS];
  GPtrArray *unknown_attrs; /* char*: <driver> attributes we do not know */
  char *host_smmu;        /* planner: host SMMU this vSMMU stands for; NULL from XML */
  int line;
  char *comment;
  char *path;             /* XML element path, NULL when planned */
  char *pci_bus_ref;      /* QEMU argv: primary-bus as written, NULL when absent (and from XML) */
} guest_iommu;

gboolean guest_iommu_is_accel (const guest_iommu *iommu);

typedef enum {
  GUEST_EP_HOSTDEV,       /* <hostdev type='pci'>: vfio-pci */
  GUEST_EP_EMULATED,      /* interface, disk, controller, video, … that is a PCI endpoint */
} guest_endpoint_kind;

typedef struct {
  guest_endpoint_kind kind;
  char *model;            /* "vfio-pci", "virtio-net-pci", "nvme", "e1000e", … */
  char *element;          /* XML element ("hostdev", "interface", "disk") */
  char *id;               /* QEMU/libvirt alias: "hostdev0", "net0"; NULL when unknown */
  char *host_bdf;         /* hostdev: source address, canonical */
  gboolean managed;       /* hostdev managed='yes' */
  tristate iommufd;       /* hostdev <driver iommufd=…> (or the domain-level default) */
  int bus, slot, function; /* guest address; bus is a controller index, -1 unknown */
  gboolean address_explicit; /* FALSE: libvirt would auto-assign; bus is our guess */
  tristate multifunction;  /* <address multifunction='on|off'>; UNKNOWN when not written */
  int line;
  char *comment;
  char *path;             /* XML element path, NULL when planned */
  gboolean iommufd_from_domain; /* iommufd came from the domain-level default */
  char *bus_ref;          /* QEMU argv: bus= as written when it names no bus created before it */
  char *host_unknown;     /* hostdev without host_bdf: why the host device is not known */
} guest_endpoint;

typedef struct {
  int id;
  guint64 memory_kib;
  char *cpus;             /* "0-15" */
} guest_numa_cell;

/* Where a guest model came from.  Rules word their findings in its terms
 * (<iommu><driver pciBus=…> and lines, or -device arm-smmuv3,primary-bus=…
 * and argument positions: in a QEMU_ARGV model every line is an argv index);
 * the rules that quote libvirt's refusals apply to libvirt XML only, QEMU's
 * to every origin.  Planned models are XML-worded. */
typedef enum {
  GUEST_FROM_LIBVIRT_XML = 0, /* domain XML (the reader) */
  GUEST_FROM_QEMU_ARGV,       /* a QEMU command line */
  GUEST_FROM_PLAN,            /* the planner: its emitters write what each format takes */
} guest_origin;

/* How the 64-bit PCI MMIO window (QEMU's highmem-mmio-size) is given. */
typedef enum {
  GUEST_MMIO64_DEFAULT = 0,       /* not given: QEMU virt's 512 GiB */
  GUEST_MMIO64_QEMU_COMMANDLINE,  /* <qemu:commandline> -machine highmem-mmio-size= (taints the domain) */
  GUEST_MMIO64_PCIHOLE64,         /* <controller model='pcie-root'><pcihole64> (libvirt 12.9 on virt) */
} guest_mmio64_source;

typedef struct {
  guest_origin origin;
  char *name;
  char *domain_type;      /* "kvm", "qemu"; QEMU argv: the accelerator ("kvm", "tcg"), NULL = QEMU's default, TCG */
  char *arch;             /* "aarch64" */
  char *machine;          /* "virt", "virt-10.2", … */
  tristate acpi;          /* <features><acpi/> */
  tristate domain_iommufd; /* domain-level <iommufd enabled='yes'/> (libvirt 12.2) */
  int domain_iommufd_line; /* of that element, 0 when absent */
  guint64 memory_kib;
  guint vcpus;
  guint64 mmio64_size;    /* 64-bit PCI MMIO window in bytes, 0 = machine default/unknown */
  int mmio64_line;
  guest_mmio64_source mmio64_source;
  gboolean mmio64_unparsed; /* highmem-mmio-size= given, but not a size QEMU reads */
  char *mmio64_path;      /* element that declares it, NULL when planned or not given */
  GPtrArray *buses;       /* guest_bus*, by index order as read */
  GPtrArray *iommus;      /* guest_iommu* */
  GPtrArray *endpoints;   /* guest_endpoint* */
  GArray *numa_cells;     /* guest_numa_cell */
  int line;               /* of <domain>; QEMU argv: of the first -machine */
  int accel_line;         /* QEMU argv: of the option that chose the accelerator, 0 for QEMU's default */
  int iommu_machine_wide_line; /* <features><… iommu> or a pciBus-less smmuv3; 0 when none */
} guest_domain;

guest_domain *guest_domain_new (void);
void guest_domain_free (guest_domain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (guest_domain, guest_domain_free)
guest_bus *guest_bus_new (int index, guest_bus_kind kind);
void guest_bus_free (guest_bus *bus);
guest_iommu *guest_iommu_new (void);
void guest_iommu_free (guest_iommu *iommu);
guest_endpoint *guest_endpoint_new (guest_endpoint_kind kind);
void guest_endpoint_free (guest_endpoint *ep);

guest_bus *guest_find_bus (const guest_domain *dom, int index);
/* The IOMMU attached to the root complex with this controller index (pciBus),
 * or NULL. */
guest_iommu *guest_iommu_for_root_complex (const guest_domain *dom, int rc_index);
/* Fill every bus's root_complex by following parents; idempotent. */
void guest_domain_resolve (guest_domain *dom);
/* Root complex index of a guest bus index, -1 when unresolved. */
int guest_root_complex_of_bus (const guest_domain *dom, int bus_index);
/* The one walk from a bus up to its root complex (the function above, the
 * rules and the emitters): a bus's root_complex when already resolved,
 * else up through the parents, -1 for a missing bus or a loop.  find looks
 * buses up by index in data (an index table kept for speed), NULL for
 * guest_find_bus. */
typedef const guest_bus *(*guest_bus_lookup) (gconstpointer data, int index);
int guest_root_complex_walk (const guest_domain *dom, int bus_index, guest_bus_lookup find, gconstpointer data);
/* Inclusive bus-number range [first, last] a root complex occupies: pcie.0
 * starts at 0, a pxb at busNr; each bridge/port below it takes one number. */
void guest_root_complex_bus_range (const guest_domain *dom, int rc_index, int *first, int *last);
gboolean guest_has_numa_cell (const guest_domain *dom, int id);

/* Bus numbers of the one PCI segment of the virt machine: 0..255.  A pxb's
 * busNr is at most the last bus but one (libvirt: "PCI controller busNr
 * '255' out of range - must be 1-254"); its bridges take the numbers after
 * it.  Root complexes leave a little headroom for ports added later. */
#define GUEST_BUS_LAST 255
#define GUEST_DEFAULT_BUS_HEADROOM 2

typedef struct {
  int first, last; /* inclusive */
} guest_bus_range;

/* The one bus-number allocator (the planner's busNr and SMU401's hint): the
 * highest busNr, from 1 up to last_bus - 1, whose `size` consecutive bus
 * numbers (the pxb, the bridges below it and any headroom) end at or below
 * last_bus and meet none of `taken` (guest_bus_range); -1 when none fits. */
int guest_bus_nr_alloc (const GArray *taken, int size, int last_bus);

/* What libvirt adds at define time before it places anything: a
 * pcie-root-port on pcie.0 for every controller index below the highest one
 * that no controller has (index_gap; measured with libvirt 12.9: a domain
 * with indexes 0, 1, 3 gets a root port 2 at pcie.0 slot 1 function 1, and
 * a device without an address goes there).  Then where libvirt (aarch64
 * virt, PCIe) puts what has no <address>: root ports,
 * pxbs and DMI bridges go on pcie.0; endpoints, PCI bridges and switch
 * upstream ports take the first free root/downstream port by index (which
 * may be below a pxb), else a pcie-root-port libvirt adds on pcie.0;
 * downstream ports go on the first upstream port.  libvirt never places
 * anything on a pxb's own bus by itself.  Sets parent/bus, keeps
 * address_explicit FALSE and says where in comment.  Call once, after
 * reading and before guest_domain_resolve. */
void guest_domain_place_unaddressed (guest_domain *dom);
