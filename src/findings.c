/* The finding-code table: every code of SPEC §6, its stable name, default
 * severity, one-line summary and the long explanation `smmuctl explain`
 * prints.  Codes and names are a contract with scripts: never renumber,
 * never rename; new codes take free numbers of the right hundred. */
#include "findings.h"

#include <string.h>

#include "versions.h"

static const finding_code_info codes[] = {
  { "SMU001", "xml-malformed", SEVERITY_ERROR,
    "the document is not well-formed XML, or its root element is not <domain>",
    "At run time: `virsh define` refuses the document (\"XML error: ...\"), so\n"
    "nothing else in it can be checked or started.\n"
    "\n"
    "Why: smmuctl reads domain XML the way libvirt does, with libxml2. It also\n"
    "refuses, on purpose, what domain XML never needs: entity declarations\n"
    "(<!ENTITY ...>, the 'billion laughs' trick), network access for external\n"
    "DTDs, documents larger than 32 MiB and elements nested deeper than 256.\n"
    "\n"
    "Fix: correct the document at the line named (an unclosed element, a bare\n"
    "'&' that should be '&amp;', mismatched quotes). `xmllint --noout FILE`\n"
    "points at the same place. If the root element is not <domain>, you gave\n"
    "a network, pool or capabilities document: use `virsh dumpxml --inactive`.\n"
    "\n"
    "Before:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "    <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/>\n"
    "  </hostdev>\n"
    "After:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "    <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "  </hostdev>\n" },

  { "SMU002", "not-aarch64-virt", SEVERITY_ERROR,
    "an smmuv3 IOMMU on a domain that is not aarch64 with the 'virt' machine",
    "At run time: libvirt refuses to start the domain: the smmuv3 model exists\n"
    "only for ARM 'virt' machines (the x86 q35 machine has intel and\n"
    "virtio IOMMUs, never an SMMU).\n"
    "\n"
    "Why: arm-smmuv3 is a device of QEMU's aarch64 'virt' board: it is wired\n"
    "into that board's IORT (ACPI) and platform bus. No other machine type\n"
    "can host it.\n"
    "\n"
    "Fix: make the domain aarch64 with a virt machine, or drop the <iommu>\n"
    "(use model='intel' or 'virtio' on x86).\n"
    "\n"
    "Before:\n"
    "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
    "  ... <iommu model='smmuv3'/>\n"
    "After:\n"
    "  <os><type arch='aarch64' machine='virt'>hvm</type></os>\n"
    "  ... <iommu model='smmuv3'/>\n" },

  { "SMU003", "attribute-spelling", SEVERITY_WARNING,
    "an <iommu><driver> attribute unknown to the target, or a fork's spelling",
    "At run time: libvirt ignores attributes it does not know (they vanish at\n"
    "`virsh define`) or, with validation on, rejects the document. Either way\n"
    "the property you meant never reaches QEMU: a vSMMU without ssidsize has\n"
    "no PASID support, one without accel is not accelerated at all.\n"
    "\n"
    "Why: vendor forks and KubeVirt drafts used other names before upstream\n"
    "settled: 'ssidSize' (camel case), 'pasid' (on/off: PASID support, which\n"
    "upstream expresses as a substream-ID width). Upstream libvirt spells the\n"
    "attributes accel, ats, ril, ssidsize, oas and cmdqv (Tegra241 CMDQV,\n"
    "upstream since QEMU {{qemu.smmuv3_cmdqv}} and libvirt {{libvirt.smmuv3_cmdqv}}; whether a target has them is\n"
    "SMU501's business). smmuctl reads the fork spellings (so that the other\n"
    "rules still see what you meant: pasid='on' is read as ssidsize='20', the\n"
    "QEMU maximum) and tells you the spelling to use.\n"
    "\n"
    "Fix: rename the attribute to the upstream spelling.\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on' ssidSize='20'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on' ssidsize='20'/></iommu>\n" },

  { "SMU004", "qemu-cmdline-invalid", SEVERITY_ERROR,
    "the file holds no QEMU command line, or QEMU refuses one of its options at start-up",
    "At run time: QEMU exits before the guest starts, with the message the\n"
    "finding quotes (\"Bus 'pci.9' not found\", \"Duplicate ID 'rp1' for device\",\n"
    "\"PCI: Only PCI/PCIe bridges can be plugged into pxb-pcie\", a JSON error).\n"
    "\n"
    "Why: `smmuctl validate --qemu` reads a command line the way QEMU does:\n"
    "shell words first (GLib's parser; nothing is run or expanded), then QEMU's\n"
    "option syntax: key=value lists where ',,' is a literal comma, or one JSON\n"
    "object as libvirt writes -device and -object. QEMU creates devices in\n"
    "command-line order, so bus= and primary-bus= must name a device given\n"
    "before them, and a PCI device without bus= lands on the newest pxb-pcie's\n"
    "own bus, which takes bridges only.\n"
    "\n"
    "Fix: correct the option at the argument named; the same command line with\n"
    "-S shows QEMU's own error.\n"
    "\n"
    "Before:\n"
    "  -device pcie-root-port,id=rp1,chassis=1,bus=pxb1 -device pxb-pcie,id=pxb1,bus_nr=252\n"
    "After:\n"
    "  -device pxb-pcie,id=pxb1,bus_nr=252 -device pcie-root-port,id=rp1,chassis=1,bus=pxb1\n" },

  { "SMU005", "qemu-cmdline-unchecked", SEVERITY_WARNING,
    "part of a QEMU command line cannot be checked (-readconfig, -set, unknown options or devices)",
    "At run time: nothing fails because of this finding, but what those\n"
    "options add or change (the devices of a -readconfig file, a -set that\n"
    "moves a device) is invisible to the other rules, so a clean report does\n"
    "not cover it. QEMU itself exits on options it does not know (\"invalid\n"
    "option\").\n"
    "\n"
    "Why: smmuctl reads the options that shape the PCI tree, the vSMMUs and the\n"
    "accelerator, and passes over those that cannot matter to them (display,\n"
    "chardevs, firmware, block backends). Anything else it reports as not\n"
    "checked rather than passing it silently (warning for -readconfig and\n"
    "-set, info for unknown options and devices). A libvirt log with several\n"
    "starts is checked at its last command line, and the finding says so.\n"
    "\n"
    "Fix: write the options on the command line itself, give devices smmuctl\n"
    "does not know a bus= naming a PCI bus, and check one command line per\n"
    "file.\n"
    "\n"
    "Before:\n"
    "  qemu-system-aarch64 -readconfig vm.cfg -machine virt,acpi=on …\n"
    "After:\n"
    "  qemu-system-aarch64 -machine virt,acpi=on -device pxb-pcie,id=pci.1,bus_nr=252 …\n" },

  { "SMU101", "pcibus-no-controller", SEVERITY_ERROR,
    "<iommu><driver pciBus=N> names no controller index",
    "At run time: libvirt refuses the domain, because it turns pciBus='N' into\n"
    "QEMU's primary-bus=pci.N and no controller with index N exists.\n"
    "\n"
    "Why: pciBus is the *index* of a <controller type='pci'> (0 for\n"
    "pcie-root, or a pcie-expander-bus), not a bus number and not a count.\n"
    "\n"
    "Fix: point pciBus at the index of the pcie-expander-bus the vSMMU should\n"
    "serve (or 0 for pcie.0), or add that controller.\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='1' model='pcie-expander-bus'>...</controller>\n"
    "  <iommu model='smmuv3'><driver pciBus='7' accel='on'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n" },

  { "SMU102", "pcibus-not-root-complex", SEVERITY_ERROR,
    "pciBus names a controller that is not pcie-root or a pcie-expander-bus",
    "At run time: QEMU refuses to attach an SMMU to a bus that is not a PCIe\n"
    "root bus: an arm-smmuv3 sits at the top of one root complex (pcie.0 or a\n"
    "pxb-pcie) and translates everything below it. A root port, switch port or\n"
    "bridge cannot carry one.\n"
    "\n"
    "Why: the IORT that QEMU builds maps a root complex's requester-ID range to\n"
    "an SMMU; there is no such mapping for a port in the middle of the tree.\n"
    "\n"
    "Fix: set pciBus to the index of the root complex above that port (follow\n"
    "the port's <address bus=...> up to a pcie-expander-bus or to 0).\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='2' model='pcie-root-port'>\n"
    "    <address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>\n"
    "  <iommu model='smmuv3'><driver pciBus='2' accel='on'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n" },

  { "SMU103", "pcibus-is-busnr", SEVERITY_ERROR,
    "pciBus equals a pxb-pcie's busNr instead of its controller index",
    "At run time: libvirt refuses the domain (no controller with that index)\n"
    "or, worse, attaches the vSMMU to an unrelated controller whose index\n"
    "happens to equal that number.\n"
    "\n"
    "Why: a pcie-expander-bus has two numbers: its controller index (what\n"
    "pciBus and device addresses use, QEMU id pci.N) and <target busNr=...>\n"
    "(the first PCI bus number the guest sees). They are easy to confuse\n"
    "because `lspci` in the guest shows busNr.\n"
    "\n"
    "Fix: use the controller's index attribute.\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='1' model='pcie-expander-bus'>\n"
    "    <model name='pxb-pcie'/><target busNr='252'/></controller>\n"
    "  <iommu model='smmuv3'><driver pciBus='252' accel='on'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n" },

  { "SMU104", "iommu-bus-taken", SEVERITY_ERROR,
    "two IOMMUs on one root complex",
    "At run time: QEMU refuses the second IOMMU for a bus that already has\n"
    "one; a PCI bus has exactly one IOMMU address space.\n"
    "\n"
    "Why: each root complex is translated by one SMMU. Two <iommu> elements\n"
    "with the same pciBus (or two without pciBus, both meaning pcie.0) ask\n"
    "for two.\n"
    "\n"
    "Fix: keep one <iommu> per root complex. To give devices of another host\n"
    "SMMU their own vSMMU, add a pcie-expander-bus for them and point the\n"
    "second <iommu> at its index (`smmuctl plan` lays this out).\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n"
    "  <iommu model='smmuv3'><driver pciBus='2' accel='on'/></iommu>\n" },

  { "SMU105", "iommu-mixed", SEVERITY_ERROR,
    "per-bus smmuv3 mixed with a machine-wide smmuv3 or another IOMMU model",
    "At run time: libvirt 12.9 passes the IOMMUs in document order, and what\n"
    "happens depends on it. A machine-wide <iommu model='smmuv3'/> (no pciBus)\n"
    "before a per-bus one becomes -machine virt,iommu=smmuv3 next to -device\n"
    "arm-smmuv3, and QEMU 11.1 exits: \"virt machine already has iommu=smmuv3\n"
    "set. Doesn't support incompatible iommus\". After a per-bus one, libvirt\n"
    "drops the machine-wide one without a word and pcie.0 has no vSMMU. A\n"
    "virtio-iommu before a per-bus smmuv3 makes QEMU exit (\"virt machine\n"
    "already has virtio-iommu set ...\"), next to a machine-wide one too (\"virt\n"
    "machine does not support multiple IOMMUs\"); after a per-bus smmuv3 QEMU\n"
    "starts with both (a warning then).\n"
    "\n"
    "Why: the machine-wide form is the legacy single SMMU on pcie.0; the\n"
    "per-bus form (QEMU {{qemu.smmuv3_pluggable}}+, libvirt {{libvirt.iommu_pcibus}}+ with\n"
    "pciBus) replaces it. Both build IORT\n"
    "entries for pcie.0 and would conflict.\n"
    "\n"
    "Fix: give every smmuv3 a pciBus (pciBus='0' for the one on pcie.0) and\n"
    "remove IOMMUs of other models.\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'/>\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='0'/></iommu>\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n" },

  { "SMU106", "hostdev-without-accel-vsmmu", SEVERITY_ERROR,
    "accel vSMMUs are used, but a passthrough device sits below a root complex without one",
    "At run time: the VM starts, but that device is outside every accelerated\n"
    "vSMMU: the guest sees no IOMMU for it (or only an emulated one), gets no\n"
    "nested stage-1 translation, no PASID/SVA and no isolation for it, while\n"
    "its siblings have all of that. Drivers that expect the same IOMMU\n"
    "features on every GPU or NIC of the VM misbehave.\n"
    "\n"
    "Why: usually an address mistake: the hostdev's <address bus=...> names a\n"
    "root port under pcie.0 instead of one under the pxb-pcie that carries the\n"
    "accel vSMMU, or the hostdev has no address and libvirt put it on a free\n"
    "port elsewhere. (This is a warning when no vSMMU is accelerated: then it\n"
    "is legal, just probably not what you meant.)\n"
    "\n"
    "Fix: move the hostdev to a root port below the root complex whose vSMMU\n"
    "stands for the host SMMU of that device (`smmuctl plan` computes this).\n"
    "\n"
    "Before:\n"
    "  <hostdev ...><address type='pci' bus='0x03' slot='0x00' function='0x0'/></hostdev>\n"
    "  <!-- index 3 is a root port on pcie.0, which has no vSMMU -->\n"
    "After:\n"
    "  <hostdev ...><address type='pci' bus='0x02' slot='0x00' function='0x0'/></hostdev>\n"
    "  <!-- index 2 is a root port on the pxb-pcie with the accel vSMMU -->\n" },

  { "SMU107", "address-unresolved", SEVERITY_ERROR,
    "a device's or controller's guest bus does not exist",
    "At run time: for a device, libvirt does not fail: it quietly adds\n"
    "pcie-root-ports on pcie.0 for every missing controller index up to the\n"
    "one referenced. The device then lands below pcie.0, not below the root\n"
    "complex you meant, and every vSMMU rule about it is decided by accident.\n"
    "A root port plugged into a missing bus cannot sit on such a root port:\n"
    "libvirt refuses the domain (\"a PCIe slot is needed to connect a PCI\n"
    "controller model='pcie-root-port', but none is available, and it cannot\n"
    "be automatically added\").\n"
    "\n"
    "Why: <address type='pci' bus='N'> names the *controller index* N of the\n"
    "bus to plug into; the controller with that index must exist (and lead up\n"
    "to a root complex without loops).\n"
    "\n"
    "Fix: add the missing controller, or change bus= to an existing index.\n"
    "\n"
    "Before:\n"
    "  <hostdev ...><address type='pci' bus='0x09' slot='0x00' function='0x0'/></hostdev>\n"
    "After:\n"
    "  <controller type='pci' index='9' model='pcie-root-port'>\n"
    "    <target chassis='9' port='0x0' hotplug='off'/>\n"
    "    <address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>\n"
    "  <hostdev ...><address type='pci' bus='0x09' slot='0x00' function='0x0'/></hostdev>\n" },

  { "SMU108", "pxb-numa-node-missing", SEVERITY_ERROR,
    "a pcie-expander-bus names a NUMA node the guest does not have",
    "At run time: libvirt refuses the domain at define: \"XML error:\n"
    "pcie-expander-bus with index N is configured for a NUMA node (M) not\n"
    "present in the domain's <cpu><numa> array (K)\". (QEMU too needs guest\n"
    "NUMA node M for pxb-pcie numa_node=M.)\n"
    "\n"
    "Why: the pxb's <target><node> is a *guest* node id. It is meant to place\n"
    "a passthrough device near the guest memory and CPUs that mirror its host\n"
    "NUMA node, so the guest needs that cell.\n"
    "\n"
    "Fix: add the NUMA cell, or change or drop <node>.\n"
    "\n"
    "Before:\n"
    "  <cpu><numa><cell id='0' cpus='0-7' memory='16' unit='GiB'/></numa></cpu>\n"
    "  <controller ... model='pcie-expander-bus'><target busNr='252'><node>1</node></target>\n"
    "After:\n"
    "  <cpu><numa><cell id='0' cpus='0-7' memory='16' unit='GiB'/>\n"
    "            <cell id='1' cpus='8-15' memory='16' unit='GiB'/></numa></cpu>\n" },

  { "SMU109", "vsmmu-pxb-without-acpi", SEVERITY_WARNING,
    "a non-accelerated per-bus smmuv3 on a pcie-expander-bus, with ACPI off",
    "At run time: QEMU starts, but warns \"SMMUv3 device only supported with\n"
    "pcie.0 for DT\": a guest without ACPI boots from QEMU's device tree, which\n"
    "describes an SMMUv3 on pcie.0 only, so the devices below the pxb run\n"
    "without an IOMMU in the guest.\n"
    "\n"
    "Why: QEMU builds the IORT (ACPI) for every per-bus SMMUv3, the device tree\n"
    "for pcie.0's only, and warns when it builds the guest without ACPI (no\n"
    "<acpi/>, or no UEFI firmware to load the tables). An accelerated one is\n"
    "refused outright without ACPI (SMU206).\n"
    "\n"
    "Fix: turn ACPI on (<features><acpi/>, UEFI firmware), or attach the\n"
    "vSMMU to pcie.0.\n"
    "\n"
    "Before:\n"
    "  <features><gic version='3'/></features>\n"
    "  <iommu model='smmuv3'><driver pciBus='1'/></iommu>\n"
    "After:\n"
    "  <features><acpi/><gic version='3'/></features>\n"
    "  <iommu model='smmuv3'><driver pciBus='1'/></iommu>\n" },

  { "SMU110", "pci-address-duplicate", SEVERITY_ERROR,
    "two devices or controllers at one guest PCI address",
    "At run time: libvirt 12.9 refuses the domain at define: \"XML error:\n"
    "Attempted double use of PCI Address 0000:02:00.0\" (QEMU, given such a\n"
    "command line: \"PCI: slot 0 function 0 not available for ..., in use by\n"
    "...\").\n"
    "\n"
    "Why: an <address type='pci' bus= slot= function=> names one function of\n"
    "one slot of the bus that controller index 'bus' provides; only one\n"
    "device can be there.\n"
    "\n"
    "Fix: give one of them another slot or function, or drop its <address>\n"
    "and let libvirt place it (away from accelerated vSMMUs: see SMU201).\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='3' model='pcie-root-port'>\n"
    "    <address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>\n"
    "  <controller type='pci' index='4' model='pcie-root-port'>\n"
    "    <address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>\n"
    "After:\n"
    "  <controller type='pci' index='4' model='pcie-root-port'>\n"
    "    <address type='pci' bus='0x00' slot='0x04' function='0x0'/></controller>\n" },

  { "SMU111", "multifunction-off", SEVERITY_ERROR,
    "a function above 0 in a slot whose function 0 has multifunction off",
    "At run time: QEMU exits: \"PCI: single function device can't be\n"
    "populated in function 1.1\". libvirt 12.9 adds multifunction='on' to\n"
    "function 0 itself when the attribute is left out, but passes an explicit\n"
    "multifunction='off' on to QEMU (\"multifunction\":false).\n"
    "\n"
    "Why: a guest only looks past function 0 of a slot whose function 0 says\n"
    "it is multi-function, and QEMU refuses to populate the others otherwise.\n"
    "\n"
    "Fix: write multifunction='on' on function 0's address (or leave it out in\n"
    "libvirt XML).\n"
    "\n"
    "Before:\n"
    "  <address type='pci' bus='0x00' slot='0x01' function='0x0' multifunction='off'/>\n"
    "  <address type='pci' bus='0x00' slot='0x01' function='0x1'/>\n"
    "After:\n"
    "  <address type='pci' bus='0x00' slot='0x01' function='0x0' multifunction='on'/>\n"
    "  <address type='pci' bus='0x00' slot='0x01' function='0x1'/>\n" },

  { "SMU112", "chassis-duplicate", SEVERITY_ERROR,
    "two root or downstream ports with one chassis number",
    "At run time: libvirt 12.9 defines the domain, and QEMU exits when it\n"
    "starts: \"Can't add chassis slot, error -16\" (EBUSY).\n"
    "\n"
    "Why: each pcie-root-port and switch downstream port registers its\n"
    "(chassis, slot) pair with QEMU's hotplug model; libvirt writes no slot,\n"
    "so the chassis numbers must differ. A port without <target chassis> gets\n"
    "its controller index from libvirt.\n"
    "\n"
    "Fix: give every port its own chassis; its controller index is a safe\n"
    "choice.\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='2' model='pcie-root-port'><target chassis='2' port='0x0'/>...\n"
    "  <controller type='pci' index='3' model='pcie-root-port'><target chassis='2' port='0x8'/>...\n"
    "After:\n"
    "  <controller type='pci' index='3' model='pcie-root-port'><target chassis='3' port='0x8'/>...\n" },

  { "SMU201", "accel-emulated-endpoint", SEVERITY_ERROR,
    "an emulated endpoint (virtio, e1000e, nvme, xhci, ...) below an accelerated vSMMU",
    "At run time: QEMU exits at start-up with \"Emulated endpoint devices are\n"
    "not allowed when using arm-smmuv3,accel=on\".\n"
    "\n"
    "Why: an accelerated vSMMU hands stage-1 translation to the host SMMU\n"
    "hardware. Only vfio-pci devices using iommufd have a physical SMMU\n"
    "behind them; an emulated device's DMA would need QEMU's software\n"
    "translation, which accel mode does not provide. Below an accel vSMMU only\n"
    "root ports, switches, bridges, pxb-pcie and vfio-pci+iommufd may sit.\n"
    "Devices without an <address> count too: libvirt first fills missing\n"
    "controller indexes with root ports on pcie.0, then puts each device on\n"
    "the first free root port by index, which can be a spare port below the\n"
    "accelerated pxb (hotplug='off' does not keep it away). libvirt adds no\n"
    "memballoon and no USB controller to an aarch64 domain.\n"
    "\n"
    "Fix: keep emulated devices on pcie.0 (a root port whose bus is 0), give\n"
    "devices without an address an explicit one, and leave no free root port\n"
    "below an accelerated pxb.\n"
    "\n"
    "Before:\n"
    "  <interface type='network'><model type='virtio'/>\n"
    "    <address type='pci' bus='0x02' slot='0x00' function='0x0'/></interface>\n"
    "  <!-- index 2: root port below the pxb with the accel vSMMU -->\n"
    "After:\n"
    "  <interface type='network'><model type='virtio'/>\n"
    "    <address type='pci' bus='0x04' slot='0x00' function='0x0'/></interface>\n"
    "  <!-- index 4: root port on pcie.0 -->\n" },

  { "SMU202", "accel-vfio-no-iommufd", SEVERITY_ERROR,
    "a passthrough device below an accelerated vSMMU does not use iommufd",
    "At run time: QEMU exits with \"vfio-pci endpoint devices without an iommufd\n"
    "backend not allowed when using arm-smmuv3,accel=on\".\n"
    "\n"
    "Why: nested translation is set up through iommufd objects (vIOMMU, vDEVICE,\n"
    "nested HWPT). The legacy VFIO container (/dev/vfio/vfio) has none of them.\n"
    "\n"
    "Fix: enable iommufd for the hostdev (libvirt {{libvirt.hostdev_iommufd}}+), or domain-wide\n"
    "with <iommufd enabled='yes'/> (libvirt {{libvirt.domain_iommufd}}+). The host needs /dev/iommu and\n"
    "vfio cdevs (kernel 6.6+); `smmuctl probe` checks both.\n"
    "\n"
    "Before:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "    <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "After:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'>\n"
    "    <driver iommufd='yes'/>\n"
    "    <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n" },

  { "SMU203", "accel-no-coldplug-vfio", SEVERITY_ERROR,
    "an accelerated vSMMU with no cold-plugged vfio-pci device below it",
    "At run time: with any property at auto (QEMU 11.1's default for ats, ril,\n"
    "ssidsize and oas, so also when libvirt XML leaves them out) QEMU\n"
    "exits with \"arm-smmuv3 accel=on with 'auto' properties requires at least\n"
    "one cold-plugged VFIO device\" (cmdqv='on': \"arm-smmuv3 cmdqv=on requires\n"
    "at least one cold-plugged VFIO device\"). With every one given, the VM\n"
    "starts, but the vSMMU is useless: its\n"
    "vIOMMU object is allocated from the first device attached at creation,\n"
    "and devices hotplugged later are not supported below it.\n"
    "\n"
    "Why: the host kernel creates one vIOMMU per host SMMU, from a device fd;\n"
    "the guest's IORT and the hw_info capability sync are fixed at boot.\n"
    "\n"
    "Fix: put at least one <hostdev> (vfio-pci, iommufd) below the root\n"
    "complex of every accelerated vSMMU, or remove the vSMMU (and its pxb).\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'><driver pciBus='2' accel='on'/></iommu>\n"
    "  <!-- nothing below pci.2 -->\n"
    "After:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'><driver iommufd='yes'/>\n"
    "    <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "    <address type='pci' bus='0x05' slot='0x00' function='0x0'/></hostdev>\n"
    "  <!-- index 5: a root port below pci.2 -->\n" },

  { "SMU204", "accel-hotplug", SEVERITY_WARNING,
    "hotplug is enabled or possible below an accelerated vSMMU",
    "At run time: the VM starts, but a device hotplugged into such a port later\n"
    "fails to attach (or attaches without nested translation): hotplug below an\n"
    "accelerated vSMMU is not supported. A free port is also where libvirt puts\n"
    "the next device without an address, possibly an emulated one (SMU201).\n"
    "\n"
    "Why: the vIOMMU object, the guest's IORT and the capability sync are all\n"
    "fixed when the VM is created. pcie-root-port and switch downstream ports\n"
    "are hotplug-capable unless told otherwise.\n"
    "\n"
    "Fix: add hotplug='off' to the <target> of every port below an accelerated\n"
    "vSMMU, and remove spare ports there.\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='3' model='pcie-root-port'>\n"
    "    <target chassis='3' port='0x0'/>\n"
    "After:\n"
    "  <controller type='pci' index='3' model='pcie-root-port'>\n"
    "    <target chassis='3' port='0x0' hotplug='off'/>\n" },

  { "SMU205", "accel-needs-kvm", SEVERITY_ERROR,
    "an accelerated vSMMU on a domain that is not type='kvm'",
    "At run time: QEMU exits with \"SMMUv3 accel=on requires KVM with\n"
    "kernel-irqchip=on support\".\n"
    "\n"
    "Why: the host SMMU walks the guest's stage-1 tables in guest-physical\n"
    "memory through the stage-2 that KVM owns, and guest MSIs are delivered\n"
    "through the in-kernel GIC ITS. TCG has neither.\n"
    "\n"
    "Fix: use <domain type='kvm'> (and do not set <ioapic>/kernel_irqchip off).\n"
    "\n"
    "Before:\n"
    "  <domain type='qemu'>\n"
    "After:\n"
    "  <domain type='kvm'>\n" },

  { "SMU206", "accel-needs-acpi", SEVERITY_ERROR,
    "an accelerated vSMMU on a domain with ACPI off",
    "At run time: QEMU exits with \"SMMUv3 with accel=on not supported for DT\".\n"
    "\n"
    "Why: accelerated mode describes MSI doorbells to the guest through an IORT\n"
    "RMR node (guest IOVA = guest PA), which exists only in ACPI. Without\n"
    "<features><acpi/> libvirt passes acpi=off and the guest boots with a\n"
    "device tree. On aarch64 ACPI also needs UEFI firmware (<os firmware='efi'>).\n"
    "\n"
    "Fix: add <acpi/> to <features> and boot with UEFI.\n"
    "\n"
    "Before:\n"
    "  <features><gic version='3'/></features>\n"
    "After:\n"
    "  <features><acpi/><gic version='3'/></features>\n" },

  { "SMU207", "accel-no-migration", SEVERITY_INFO,
    "an accelerated vSMMU blocks live migration",
    "At run time: `virsh migrate` fails with \"Migration not supported with\n"
    "SMMUv3 accelerator mode enabled\"; save/restore and snapshots with memory\n"
    "are blocked the same way.\n"
    "\n"
    "Why: the guest's stage-1 state lives in the host SMMU hardware and in\n"
    "iommufd objects that cannot be transferred to another host.\n"
    "\n"
    "Fix: nothing to fix if the VM is not meant to migrate (passthrough VMs\n"
    "rarely are). Otherwise drop accel='on' and accept emulated translation.\n"
    "\n"
    "Before / After: no change needed; this is information.\n" },

  { "SMU208", "accel-on-pcie0", SEVERITY_WARNING,
    "an accelerated vSMMU on the default root complex pcie.0",
    "At run time: QEMU accepts it, but pcie.0 is where libvirt adds root ports\n"
    "for devices without an address and for missing controller indexes, and\n"
    "so where it places those devices: virtio-serial for channels, the video\n"
    "device, disks and NICs without an address. Each of them below the\n"
    "accelerated vSMMU makes QEMU exit (\"Emulated endpoint devices are not\n"
    "allowed ...\").\n"
    "\n"
    "Why: an accelerated vSMMU tolerates only vfio-pci+iommufd endpoints below\n"
    "it, and pcie.0 is the catch-all root complex.\n"
    "\n"
    "Fix: put the passthrough devices on a pcie-expander-bus (pxb-pcie) and\n"
    "attach the accelerated vSMMU there; leave pcie.0 without a vSMMU or with a\n"
    "non-accelerated one.\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'><driver pciBus='0' accel='on'/></iommu>\n"
    "After:\n"
    "  <controller type='pci' index='1' model='pcie-expander-bus'>\n"
    "    <model name='pxb-pcie'/><target busNr='252'/></controller>\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n" },

  { "SMU209", "accel-prop-invalid", SEVERITY_ERROR,
    "a vSMMU property has a value libvirt or QEMU refuses, or needs accel='on'",
    "At run time: libvirt 12.9 refuses the domain at define when a <driver>\n"
    "attribute says 'auto' (\"XML error: Invalid value for attribute 'ats' in\n"
    "element 'driver': 'auto'.\", with \" Expected integer value\" for ssidsize\n"
    "and oas) or when ats, ril, ssidsize, oas or cmdqv is given without\n"
    "accel='on' (\"XML error: accel must be enabled for iommu model 'smmuv3'\n"
    "when setting ats, ril, ssidsize, oas, or cmdqv\"). QEMU exits while\n"
    "realizing arm-smmuv3 for oas other than 44/48 (\"QEMU SMMUv3 model only\n"
    "implements auto, 44 bit, or 48 bit OAS ...\"), ssidsize above 20, and on\n"
    "its own command line without accel=on: \"ats can only be enabled if\n"
    "accel=on\", \"ril can only be disabled if accel=on\", \"oas must be 44\n"
    "bits when accel=off\", \"ssidsize can only be greater than 0 bits if\n"
    "accel=on\", \"cmdqv can only be enabled if accel=on\".\n"
    "\n"
    "Why: QEMU {{qemu.smmuv3_accel}}+ takes ats, ril and cmdqv as on/off/auto, ssidsize 0..20 or\n"
    "auto, oas 44, 48 or auto; auto (from {{qemu.smmuv3_auto}}) is the default and takes\n"
    "the host SMMU's value. libvirt's schema has on/off and integers only: in\n"
    "XML, leaving an attribute out is how to get QEMU's auto.\n"
    "\n"
    "Fix: use a value from those ranges, leave the attribute out for auto,\n"
    "or add accel='on'.\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' ats='on' oas='52'/></iommu>\n"
    "After:\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on' ats='on' oas='48'/></iommu>\n" },

  { "SMU301", "host-smmu-mixed", SEVERITY_ERROR,
    "devices of different host SMMUs below one accelerated vSMMU",
    "At run time: QEMU starts, then attaching the second device fails with\n"
    "EINVAL from the kernel (the vIOMMU cannot take a device of another\n"
    "physical SMMU), and QEMU exits with an unhelpful iommufd error.\n"
    "\n"
    "Why: the host allocates one vIOMMU object per accelerated vSMMU, bound to\n"
    "one physical SMMU; stage-1 tables and invalidations go to that SMMU only.\n"
    "\n"
    "Fix: give each host SMMU its own pxb-pcie and accelerated vSMMU, and put\n"
    "each device below the one for its SMMU. `smmuctl plan` does this;\n"
    "`smmuctl probe` shows which SMMU each device is behind.\n"
    "\n"
    "Before:\n"
    "  <!-- 0008:01:00.0 (smmu3.0x...16000000) and 0009:01:00.0 (smmu3.0x...16800000)\n"
    "       both below pci.1 -->\n"
    "After:\n"
    "  <!-- 0008:01:00.0 below pci.1 with iommu0, 0009:01:00.0 below pci.2 with iommu1 -->\n"
    "  <iommu model='smmuv3'><driver pciBus='1' accel='on'/></iommu>\n"
    "  <iommu model='smmuv3'><driver pciBus='2' accel='on'/></iommu>\n" },

  { "SMU302", "host-device-missing", SEVERITY_ERROR,
    "a hostdev's source address is not a PCI device on the host",
    "At run time: libvirt fails to start the domain (\"Device ... not found\").\n"
    "\n"
    "Why: the <source><address> must name an existing host BDF; typical causes\n"
    "are a different PCI segment (domain) numbering between machines, a\n"
    "device renumbered after a firmware update, or a VF that is not created.\n"
    "\n"
    "Fix: correct the source address (`smmuctl probe` lists the host's\n"
    "devices), or create the VFs first.\n"
    "\n"
    "Before:\n"
    "  <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "After:\n"
    "  <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n" },

  { "SMU303", "host-device-not-vfio", SEVERITY_ERROR,
    "an unmanaged hostdev whose host device is not bound to vfio-pci",
    "At run time: libvirt fails to start the domain: with managed='no' it does\n"
    "not rebind the device, and opening its vfio cdev fails.\n"
    "\n"
    "Why: passthrough needs the device bound to vfio-pci; managed='yes' makes\n"
    "libvirt do that at start, managed='no' leaves it to you.\n"
    "\n"
    "Fix: bind it (driverctl set-override BDF vfio-pci, or\n"
    "echo vfio-pci > /sys/bus/pci/devices/BDF/driver_override and reprobe), or\n"
    "set managed='yes'.\n"
    "\n"
    "Before:\n"
    "  <hostdev mode='subsystem' type='pci' managed='no'>\n"
    "After:\n"
    "  <hostdev mode='subsystem' type='pci' managed='yes'>\n" },

  { "SMU304", "host-no-iommufd", SEVERITY_ERROR,
    "accelerated vSMMU, but the host has no /dev/iommu or no vfio cdev",
    "At run time: QEMU cannot open /dev/iommu or /dev/vfio/devices/vfioN and\n"
    "exits; libvirt reports the failed open.\n"
    "\n"
    "Why: accelerated SMMUv3 works only through iommufd: the kernel needs\n"
    "CONFIG_IOMMUFD and CONFIG_VFIO_DEVICE_CDEV (6.6+), and the device must be\n"
    "bound to vfio-pci so that its cdev exists.\n"
    "\n"
    "Fix: load the iommufd module (modprobe iommufd), use a kernel built with\n"
    "VFIO_DEVICE_CDEV, bind the devices to vfio-pci; `smmuctl probe` checks\n"
    "each of these.\n"
    "\n"
    "Before / After: a host change, not an XML change.\n" },

  { "SMU305", "host-group-split", SEVERITY_ERROR,
    "an IOMMU group is only partly assigned to the domain",
    "At run time: libvirt or VFIO refuses to start the domain: a group is the\n"
    "smallest unit the host can isolate, so all of its endpoints must be\n"
    "assigned together (bridges in it do not count).\n"
    "\n"
    "Why: devices in one group can reach each other's DMA without passing the\n"
    "IOMMU (no ACS between them).\n"
    "\n"
    "Fix: assign every endpoint of the group (`smmuctl plan` adds them and says\n"
    "so), or move the card to a slot with its own group.\n"
    "\n"
    "Before:\n"
    "  <!-- only 0000:03:00.0 of group 4 (0000:03:00.0 and 0000:03:00.1) -->\n"
    "After:\n"
    "  <!-- a <hostdev> for 0000:03:00.0 and one for 0000:03:00.1 -->\n" },

  { "SMU306", "host-caps-exceeded", SEVERITY_ERROR,
    "a vSMMU property exceeds what a device below it supports, or the host cannot tell",
    "At run time: QEMU starts, but the guest is promised a feature a device\n"
    "below the vSMMU cannot use through the host SMMU: with ats='on' the guest\n"
    "enables ATS for a device the host kernel runs without ATS (IOMMU_GET_HW_INFO\n"
    "reports PCI_ATS_NOT_SUPPORTED for it), and with an ssidsize wider than the\n"
    "device's PASID width the guest hands out PASIDs the device cannot carry.\n"
    "Properties beyond the host SMMU's own registers are SMU309: QEMU refuses\n"
    "those itself.\n"
    "\n"
    "Why: the guest drives the host SMMU's stage 1 directly; a vSMMU property\n"
    "holds for every device below it, so it may promise no more than the\n"
    "weakest of them. A warning (not an error) when the host's or the device's\n"
    "support is unknown: then nothing was checked.\n"
    "\n"
    "Fix: turn the property off or lower it to what every device supports\n"
    "(`smmuctl plan` does), or move the device to a vSMMU of its own.\n"
    "`smmuctl probe --hwinfo` reads the host's registers and each device's\n"
    "ATS and PASID support as the kernel sees them.\n"
    "\n"
    "Before:\n"
    "  <driver pciBus='1' accel='on' ats='on' ssidsize='20'/>  <!-- a NIC without ATS below it -->\n"
    "After:\n"
    "  <driver pciBus='1' accel='on' ats='off' ssidsize='20'/>\n" },

  { "SMU307", "host-no-nesting", SEVERITY_ERROR,
    "the host SMMU cannot do nested translation",
    "At run time: QEMU fails to allocate the nesting-parent page table or the\n"
    "vIOMMU (EOPNOTSUPP from iommufd) and exits.\n"
    "\n"
    "Why: accelerated SMMUv3 needs both translation stages (IDR0 S1P and S2P)\n"
    "and coherent table walks (IORT CANWBS on the root complex, or IDR3.FWB).\n"
    "\n"
    "Fix: use a host SMMU that has them, or drop accel='on' for the vSMMU that\n"
    "stands for this one.\n"
    "\n"
    "Before:\n"
    "  <driver pciBus='1' accel='on'/>\n"
    "After:\n"
    "  <driver pciBus='1'/>\n" },

  { "SMU308", "host-numa-mismatch", SEVERITY_WARNING,
    "a pxb-pcie's NUMA node differs from the host NUMA node of its devices",
    "At run time: the VM works, but the guest places DMA buffers and threads\n"
    "for those devices on the wrong node: GPU and NIC bandwidth drops.\n"
    "\n"
    "Why: <target><node> tells the guest which of its NUMA nodes the root\n"
    "complex is near; it should mirror the host node the devices are on.\n"
    "\n"
    "Fix: set <node> to the guest cell backed by that host node (with\n"
    "<numatune><memnode>).\n"
    "\n"
    "Before:\n"
    "  <target busNr='252'><node>0</node></target>  <!-- devices on host node 1 -->\n"
    "After:\n"
    "  <target busNr='252'><node>1</node></target>\n" },

  { "SMU309", "host-smmu-incompatible", SEVERITY_ERROR,
    "QEMU refuses the host SMMU for an accelerated vSMMU (its host-compatibility check)",
    "At run time: QEMU refuses the first vfio-pci device that attaches to the\n"
    "accelerated vSMMU and exits with one of (QEMU 11.1,\n"
    "smmuv3_accel_check_hw_compatible):\n"
    "  Host SMMUv3 Stream Table format mismatch (host STLEVEL=%u, QEMU STLEVEL=%u)\n"
    "  Host SMMUv3 doesn't support Little-endian translation table\n"
    "  Host SMMUv3 doesn't support AArch64 translation table format\n"
    "  Host SMMUv3 SIDSIZE not compatible (host=%u, QEMU=%u)\n"
    "  Host SMMUv3 SSIDSIZE not compatible (host=%u, QEMU=%u)\n"
    "  Host SMMUv3 doesn't support Range Invalidation\n"
    "  Host SMMUv3 supports only %d-bit IPA, but the vSMMU OAS implies %d-bit IPA\n"
    "  Host SMMUv3 doesn't support Address Translation Services\n"
    "  Host SMMUv3 doesn't support 4K translation granule (16K, 64K)\n"
    "\n"
    "Why: QEMU compares the host SMMU's ID registers (IOMMU_GET_HW_INFO) with\n"
    "its vSMMU's: the same stream table format (2-level), little-endian\n"
    "AArch64 tables, at least 16 StreamID bits, and every one of the 4K, 16K\n"
    "and 64K granules (QEMU's vSMMU advertises all three, and the host must\n"
    "have exactly those); ssidsize, ril, oas and ats may not be above the\n"
    "host's. Properties set to 'auto' (from QEMU {{qemu.smmuv3_auto}}, also when left out) take\n"
    "the host's value and pass; QEMU {{qemu.smmuv3_accel}} defaults to ril on, ats off,\n"
    "ssidsize 0, oas 44. The fixed fields cannot be changed: such an SMMU\n"
    "cannot back an accelerated vSMMU.\n"
    "\n"
    "Fix: lower or leave out the property the message names; for a fixed\n"
    "field, pass the devices behind that host SMMU through without accel='on'\n"
    "(or leave them out: `smmuctl plan` names them). `smmuctl probe --hwinfo`\n"
    "reads the registers.\n"
    "\n"
    "Before:\n"
    "  <driver pciBus='1' accel='on' ril='on'/>  <!-- host IDR3.RIL=0 -->\n"
    "After:\n"
    "  <driver pciBus='1' accel='on' ril='off'/>\n" },

  { "SMU310", "host-device-unknown", SEVERITY_INFO,
    "a vfio-pci device of a QEMU command line names no host device (passed by file descriptor)",
    "At run time: nothing fails because of it. libvirt opens the device itself\n"
    "(/dev/vfio/devices/vfioN) and passes QEMU the open file descriptor.\n"
    "\n"
    "Why: `virsh domxml-to-native qemu-argv` and libvirt's logs print vfio-pci\n"
    "devices without host= or sysfsdev=, so the command line does not say\n"
    "which host device each one is. smmuctl does not guess: the host rules\n"
    "(one host SMMU per vSMMU, vfio binding, IOMMU groups, capabilities, BAR\n"
    "sizes) leave those devices out.\n"
    "\n"
    "Fix: check the domain XML instead (smmuctl validate --host … vm.xml, or\n"
    "--connect), or write host= on a hand-made command line.\n"
    "\n"
    "Before:\n"
    "  -device '{\"driver\":\"vfio-pci\",\"id\":\"hostdev0\",\"iommufd\":\"iommufd0\",\"bus\":\"pci.7\"}'\n"
    "After:\n"
    "  -device vfio-pci,host=0008:01:00.0,id=hostdev0,iommufd=iommufd0,bus=pci.7\n" },

  { "SMU401", "bus-range-overlap", SEVERITY_ERROR,
    "root complex bus-number ranges overlap, or run past bus 255",
    "At run time: the guest firmware numbers the buses of pcie.0 from 0 and\n"
    "those of each pxb-pcie from its busNr; where ranges overlap, buses are\n"
    "numbered twice and devices below them disappear from the guest or the\n"
    "guest fails to boot.\n"
    "\n"
    "Why: every root port, switch port and bridge takes one bus number in its\n"
    "root complex's range. pcie.0 needs [0, ports below it] and each pxb\n"
    "[busNr, busNr + ports below it]; the ranges must not meet and must end at\n"
    "or below 255.\n"
    "\n"
    "Fix: raise or lower busNr so that each pxb's range is clear of the others;\n"
    "leave headroom for ports you may add. Conventionally pxbs count down from\n"
    "254.\n"
    "\n"
    "Before:\n"
    "  <controller ... model='pcie-expander-bus'><target busNr='2'/></controller>\n"
    "  <!-- pcie.0 has 4 root ports: buses 0..4 -->\n"
    "After:\n"
    "  <controller ... model='pcie-expander-bus'><target busNr='252'/></controller>\n" },

  { "SMU402", "mmio-window-small", SEVERITY_WARNING,
    "64-bit BARs of the passthrough devices exceed the 64-bit MMIO window",
    "At run time: the guest firmware cannot assign the large BARs: the GPU\n"
    "appears in lspci with unassigned BARs and its driver fails to load.\n"
    "\n"
    "Why: QEMU's virt machine has a 512 GiB high PCI MMIO window by default;\n"
    "GPUs with 256 GiB+ BARs need terabytes. Only 64-bit prefetchable BARs go\n"
    "there, and each root port's bridge window is aligned to its largest BAR\n"
    "(with 1 MiB granularity), so two 512 GiB GPUs take 1.5 TiB, not 1 TiB;\n"
    "smmuctl plan and this check compute it the same way. The window is set\n"
    "with -machine highmem-mmio-size (a power of two, QEMU {{qemu.highmem_mmio_size}}+), which\n"
    "libvirt {{libvirt.pcihole64_virt}} passes from <pcihole64> on pcie-root; older libvirt refuses\n"
    "<pcihole64> on virt and needs <qemu:commandline>. Without a host to read\n"
    "BAR sizes from, smmuctl reports the declared window as information.\n"
    "\n"
    "Fix: set the window to the smallest power of two that holds the BARs\n"
    "(`smmuctl plan` computes it).\n"
    "\n"
    "Before:\n"
    "  <controller type='pci' index='0' model='pcie-root'/>  <!-- 512 GiB default -->\n"
    "After:\n"
    "  <controller type='pci' index='0' model='pcie-root'>\n"
    "    <pcihole64 unit='KiB'>2147483648</pcihole64>  <!-- 2 TiB -->\n"
    "  </controller>\n" },

  { "SMU403", "mmio-window-invalid", SEVERITY_ERROR,
    "highmem-mmio-size is not a size, not a power of two, or below the default",
    "At run time: QEMU 11.1 exits with \"highmem-mmio-size is not a power of\n"
    "2\" (0 included) or \"highmem-mmio-size cannot be set to a lower value\n"
    "than the default (512 GiB)\", or \"Parameter 'highmem-mmio-size' expects\n"
    "size\". libvirt 12.9 passes any <pcihole64> on pcie-root on as\n"
    "highmem-mmio-size=NK without checking it.\n"
    "\n"
    "Why: the virt machine aligns the window to its size and will not shrink it.\n"
    "\n"
    "Fix: use a power of two of at least 512 GiB: <pcihole64 unit='KiB'> with\n"
    "a power of two of KiB, or highmem-mmio-size with a QEMU size suffix (K,\n"
    "M, G, T, P, E).\n"
    "\n"
    "Before:\n"
    "  <pcihole64 unit='KiB'>3221225472</pcihole64>  <!-- 3 TiB -->\n"
    "After:\n"
    "  <pcihole64 unit='KiB'>4294967296</pcihole64>  <!-- 4 TiB -->\n" },

  { "SMU501", "target-too-old", SEVERITY_ERROR,
    "the XML needs a newer libvirt or QEMU than the target",
    "At run time: an older libvirt drops the attributes and elements it does\n"
    "not know at `virsh define` (pciBus, accel, iommufd, ...), silently\n"
    "producing a different VM, or refuses them with validation on; an older\n"
    "QEMU refuses the device properties (\"Property 'arm-smmuv3.accel' not\n"
    "found\").\n"
    "\n"
    "Why: per-bus SMMUv3 arrived in QEMU {{qemu.smmuv3_pluggable}} and libvirt {{libvirt.iommu_pcibus}} (pciBus);\n"
    "accel and its properties in QEMU {{qemu.smmuv3_accel}}, 'auto' values in {{qemu.smmuv3_auto}}; hostdev\n"
    "iommufd in libvirt {{libvirt.hostdev_iommufd}}, the domain-level <iommufd> in {{libvirt.domain_iommufd}}.\n"
    "`smmuctl validate --target-libvirt VERSION --target-qemu VERSION` checks\n"
    "against the versions you deploy; 'installed' asks this machine's QEMU\n"
    "(its -device arm-smmuv3,help, -machine virt,help and -object help) and\n"
    "libvirt daemon (its version and domain capabilities), and what they\n"
    "report outranks the version number, so a vendor build that has the\n"
    "properties is accepted. The table below is the one smmuctl uses, with\n"
    "how each row was checked (\"ran\": releases run in smmuctl's real-stack\n"
    "tests; a release not named there was not run, and a number not seen in\n"
    "a run comes from the project's documentation or NEWS).\n"
    "\n"
    "Fix: upgrade the target, or write the XML for what the target can do\n"
    "(`smmuctl plan --target-libvirt/--target-qemu`).\n"
    "\n"
    "Before / After: depends on the feature named in the finding.\n" },

  /* SMU6xx: smmuctl verify, a booted guest held against its plan. */
  { "SMU601", "verify-device-missing", SEVERITY_ERROR,
    "a planned passthrough device is not at its planned guest address",
    "At run time: the guest has no PCI function where the plan put the device\n"
    "(its root complex's first bus, then the slot.function of each port down to\n"
    "it, as the kernel's PCI path syntax writes it: 0000:fc:00.0/00.0). The\n"
    "device is missing, or it sits elsewhere, where no vSMMU or another one\n"
    "translates it and where its IOMMU group and NUMA node are not the planned\n"
    "ones.\n"
    "\n"
    "Why: the VM was not started from the plan as written: a hostdev without\n"
    "<address> (libvirt puts it on the first free root port, often on pcie.0),\n"
    "an edited bus= or addr=, a device that failed to attach, or a function of\n"
    "a multi-function device moved to a port of its own.\n"
    "\n"
    "Fix: start the VM from the plan (`smmuctl plan --format qemu`, or the XML\n"
    "it wrote, with every <address>); the finding's hint names where a function\n"
    "with the device's ids is, if the guest has one.\n"
    "\n"
    "Before:\n"
    "  -device vfio-pci,host=0008:01:00.0,iommufd=iommufd0,id=hostdev0,bus=pcie.0,addr=0x5\n"
    "After:\n"
    "  -device vfio-pci,host=0008:01:00.0,iommufd=iommufd0,id=hostdev0,bus=pci.7,addr=0x0\n" },

  { "SMU602", "verify-device-other", SEVERITY_ERROR,
    "the function at a planned device's guest address has other PCI ids",
    "At run time: the guest drives another device than the one planned there:\n"
    "its NUMA placement, its vSMMU and its IOMMU group were chosen for a device\n"
    "of another host SMMU.\n"
    "\n"
    "Why: the hostdev's source address differs from the plan's host_bdf (a\n"
    "renumbered host, a copied domain), or an emulated device took its place.\n"
    "\n"
    "Fix: pass through the host device the plan names at that address, or plan\n"
    "again for the devices you pass through.\n"
    "\n"
    "Before:\n"
    "  <source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>\n"
    "After (the plan's host_bdf 0008:01:00.0):\n"
    "  <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n" },

  { "SMU603", "verify-device-untranslated", SEVERITY_ERROR,
    "a device planned below a vSMMU is translated by no SMMU in the guest",
    "At run time: the guest does DMA for the device without its IOMMU: no\n"
    "nested translation, no PASID/SVA, no isolation between the guest's\n"
    "drivers, and the vSMMU you planned for it does nothing.\n"
    "\n"
    "Why: the VM has no arm-smmuv3 on the device's root complex (it was dropped\n"
    "from the command line or the XML), or the guest kernel lacks the SMMUv3\n"
    "driver (CONFIG_ARM_SMMU_V3) or ACPI IORT support (CONFIG_ACPI_IORT), or the\n"
    "guest booted with device tree instead of ACPI.\n"
    "\n"
    "Fix: start the VM with the planned vSMMU (-device arm-smmuv3,primary-bus=\n"
    "pci.N; libvirt <iommu model='smmuv3'><driver pciBus='N'/>) and ACPI, and\n"
    "boot a kernel with both options (Debian's arm64 kernels have them).\n"
    "\n"
    "Before:\n"
    "  -device pxb-pcie,bus_nr=252,id=pci.1,bus=pcie.0,addr=0x1   (no arm-smmuv3)\n"
    "After:\n"
    "  -device arm-smmuv3,primary-bus=pci.1,id=iommu0,accel=on\n" },

  { "SMU604", "verify-wrong-vsmmu", SEVERITY_ERROR,
    "a device is translated by another guest SMMU than the vSMMU of its planned root complex",
    "At run time: the device's DMA goes through a vSMMU that stands for\n"
    "another host SMMU; with accel=on the host refuses to attach it (EINVAL)\n"
    "or the guest's stage-1 tables end up on the wrong physical SMMU.\n"
    "\n"
    "Why: in the guest each root complex (pcie.0 and every pxb-pcie) has its\n"
    "bus range mapped to one SMMU by the IORT's root-complex ID mappings; the\n"
    "device reports (sysfs iommu link) an SMMU other than the one the IORT\n"
    "gives its planned root complex, so it sits below another root complex.\n"
    "\n"
    "Fix: put the device on a port of the planned root complex, as the plan\n"
    "says (bus= of its -device / <address bus=> of its hostdev).\n"
    "\n"
    "Before:\n"
    "  -device vfio-pci,host=0009:01:00.0,…,bus=pci.7   (pci.7 is on pci.1: iommu0)\n"
    "After:\n"
    "  -device vfio-pci,host=0009:01:00.0,…,bus=pci.8   (pci.8 is on pci.2: iommu1)\n" },

  { "SMU605", "verify-vsmmu-missing", SEVERITY_ERROR,
    "the guest's IORT maps a planned vSMMU's root complex to no SMMU",
    "At run time: every device below that root complex runs without its\n"
    "vSMMU (see SMU603); with accel=on planned, nothing is accelerated.\n"
    "\n"
    "Why: QEMU creates an SMMU for a root complex from -device arm-smmuv3,\n"
    "primary-bus=ID only (libvirt: <iommu model='smmuv3'><driver pciBus=\n"
    "'INDEX'/>), and describes it in the IORT it gives the guest. The VM was\n"
    "started without it, or on another bus (primary-bus naming the pxb's root\n"
    "port, or the pxb's busNr instead of its index in libvirt, SMU103).\n"
    "\n"
    "Fix: add the planned vSMMU to the VM as the plan writes it.\n"
    "\n"
    "Before:\n"
    "  (no -device arm-smmuv3 for pci.2)\n"
    "After:\n"
    "  -device arm-smmuv3,primary-bus=pci.2,id=iommu1,accel=on\n" },

  { "SMU606", "verify-vsmmu-shared", SEVERITY_ERROR,
    "root complexes planned with separate vSMMUs share one SMMU in the guest",
    "At run time: devices of different host SMMUs sit below one guest SMMU;\n"
    "with accel=on the host backs a vSMMU with one vIOMMU object on one host\n"
    "SMMU, so attaching the second device fails (EINVAL), as SMU301 describes.\n"
    "\n"
    "Why: one SMMU translates several root complexes when the VM uses the\n"
    "machine-wide -machine virt,iommu=smmuv3 (QEMU maps pcie.0 and every pxb's\n"
    "buses to it), or an <iommu> without pciBus, instead of one arm-smmuv3 per\n"
    "root complex.\n"
    "\n"
    "Fix: one -device arm-smmuv3,primary-bus=pci.N per planned root complex,\n"
    "no machine-wide IOMMU.\n"
    "\n"
    "Before:\n"
    "  -machine virt,iommu=smmuv3 …\n"
    "After:\n"
    "  -device arm-smmuv3,primary-bus=pci.1,id=iommu0,accel=on\n"
    "  -device arm-smmuv3,primary-bus=pci.2,id=iommu1,accel=on\n" },

  { "SMU607", "verify-vsmmu-unplanned", SEVERITY_ERROR,
    "the guest has an SMMU that no planned vSMMU accounts for",
    "At run time: an SMMU the plan did not ask for translates some of the\n"
    "guest's buses; an accelerated one with no vfio-pci device below it makes\n"
    "QEMU refuse to start (SMU203), an emulated one slows emulated devices down.\n"
    "\n"
    "Why: the VM has a machine-wide iommu=smmuv3 or an extra arm-smmuv3/<iommu>\n"
    "that the plan did not write, or its vSMMUs sit on other root complexes\n"
    "than planned (then SMU605 names the planned ones).\n"
    "\n"
    "Fix: remove the SMMU the plan did not write, or plan again for the\n"
    "devices you want below it.\n"
    "\n"
    "Before:\n"
    "  <iommu model='smmuv3'/>   (machine-wide, beside the planned ones)\n"
    "After:\n"
    "  (only the planned <iommu model='smmuv3'><driver pciBus='N' …/></iommu>)\n" },

  { "SMU608", "verify-group-mismatch", SEVERITY_ERROR,
    "a device's guest IOMMU group holds other devices than its planned functions",
    "At run time: a group is the unit the guest assigns (to a nested VM, to\n"
    "VFIO in the guest, to a user-space driver): a device sharing a group with\n"
    "an unrelated device cannot be given away alone, and DMA isolation between\n"
    "them is lost.\n"
    "\n"
    "Why: two devices behind one port without ACS (a pcie-pci-bridge or a\n"
    "conventional PCI bridge groups everything below it), or two devices on one\n"
    "slot as functions of one multi-function device that are not one device.\n"
    "A planned device is alone in its group, or together with exactly its own\n"
    "planned functions.\n"
    "\n"
    "Fix: one pcie-root-port per device (QEMU's have ACS), a device's\n"
    "functions together on its port, as the plan places them.\n"
    "\n"
    "Before:\n"
    "  -device pcie-pci-bridge,id=br0,bus=pci.3 -device vfio-pci,…,bus=br0,addr=0x1\n"
    "  -device vfio-pci,…,bus=br0,addr=0x2\n"
    "After:\n"
    "  -device vfio-pci,…,bus=pci.3,addr=0x0 -device vfio-pci,…,bus=pci.4,addr=0x0\n" },

  { "SMU609", "verify-numa-mismatch", SEVERITY_ERROR,
    "a device is not on the guest NUMA node the plan gives its root complex",
    "At run time: the guest allocates the device's DMA buffers and runs its\n"
    "interrupts on the wrong node: cross-socket traffic for a GPU or NIC whose\n"
    "host memory is local to one socket.\n"
    "\n"
    "Why: the guest reads a device's node from the _PXM of its root bridge,\n"
    "which QEMU writes from pxb-pcie numa_node= (libvirt <target><node>); the\n"
    "VM was started without it, or without a guest NUMA node of that id\n"
    "(-numa node,nodeid=N / <numa><cell id='N'>), so the node is -1 or another.\n"
    "\n"
    "Fix: start the VM with the pxb's numa_node and the planned NUMA cells.\n"
    "\n"
    "Before:\n"
    "  -device pxb-pcie,bus_nr=252,id=pci.1,bus=pcie.0,addr=0x1\n"
    "After:\n"
    "  -device pxb-pcie,bus_nr=252,id=pci.1,numa_node=0,bus=pcie.0,addr=0x1\n" },

  { "SMU610", "verify-device-no-vsmmu", SEVERITY_WARNING,
    "a guest PCI device the plan does not place is translated by no SMMU",
    "At run time: nothing fails; the device does DMA that no guest IOMMU\n"
    "translates. For emulated devices on pcie.0 (virtio disk, network) that is\n"
    "what the plan intends; for a passthrough device it means it is outside\n"
    "every planned vSMMU.\n"
    "\n"
    "Why: a device added to the VM after planning, or a planned device placed\n"
    "elsewhere (then SMU601 names it as missing at its planned address).\n"
    "\n"
    "Fix: nothing for emulated devices; put a passthrough device where the\n"
    "plan puts it, or plan again with it (--base with the domain XML).\n"
    "\n"
    "Before / After: see SMU601.\n" },

  { "SMU611", "verify-no-group", SEVERITY_WARNING,
    "a device behind a guest SMMU is in no IOMMU group, so its grouping is not checked",
    "At run time: nothing fails yet; the guest cannot assign the device to\n"
    "VFIO until it has a group, and verify cannot say whether the group will\n"
    "hold only the planned functions.\n"
    "\n"
    "Why: Linux (6.12 and others) puts a device behind an SMMU into an IOMMU\n"
    "group when a driver binds to it; an unbound device has none.\n"
    "\n"
    "Fix: bind its driver in the guest (or pci-stub:\n"
    "echo pci-stub > /sys/bus/pci/devices/BDF/driver_override; echo BDF >\n"
    "/sys/bus/pci/drivers_probe), then verify again.\n"
    "\n"
    "Before / After: none; this is about the guest's state, not the VM's.\n" },

  { "SMU612", "verify-no-iort", SEVERITY_WARNING,
    "the guest's IORT was not read, so the vSMMU of each root complex is not checked",
    "At run time: nothing fails; verify cannot tell which guest SMMU serves\n"
    "which root complex, so SMU604 to SMU607 are not checked.\n"
    "\n"
    "Why: /sys/firmware/acpi/tables/IORT is readable by root only, or the\n"
    "guest booted without ACPI (device tree: no IORT, and no accelerated\n"
    "vSMMU either).\n"
    "\n"
    "Fix: run smmuctl verify as root in the guest, or dump the table there\n"
    "(acpidump -b -n IORT) and give it with --iort FILE.\n"
    "\n"
    "Before / After: none.\n" },
};

const finding_code_info *
finding_code_lookup (const char *code)
{
  if (code == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_ascii_strcasecmp (codes[i].code, code) == 0)
      return &codes[i];
  return NULL;
}

const finding_code_info *
finding_code_table (gsize *n)
{
  *n = G_N_ELEMENTS (codes);
  return codes;
}

/* "11.0" for {11,0,0}, "12.1.1" when there is a micro; the text for a
 * feature no release has. */
static char *
release_text (const feature_info *f)
{
  if (f->since.major == 0)
    return g_strdup ("(no release yet)");
  if (f->since.micro != 0)
    return sw_version_to_string (f->since);
  return g_strdup_printf ("%u.%u", f->since.major, f->since.minor);
}

/* Prose paragraphs are refilled to the width (the releases put in change
 * line lengths); paragraphs with indented lines (XML) stay as written. */
#define EXPLANATION_WIDTH 78

static void
append_paragraph (GString *out, const char *paragraph)
{
  if (strstr (paragraph, "\n  ") != NULL || g_str_has_prefix (paragraph, "  "))
    {
      g_string_append (out, paragraph);
      return;
    }
  g_auto (GStrv) words = g_strsplit_set (paragraph, " \n", -1);
  gsize column = 0;
  for (char **w = words; *w != NULL; w++)
    {
      gsize len = strlen (*w);
      if (len == 0)
        continue;
      if (column > 0 && column + 1 + len > EXPLANATION_WIDTH)
        {
          g_string_append_c (out, '\n');
          column = 0;
        }
      else if (column > 0)
        {
          g_string_append_c (out, ' ');
          column++;
        }
      g_string_append (out, *w);
      column += len;
    }
}

static char *
fill_in_releases (const char *text)
{
  /* Version facts live in versions.c only; the texts name them by key. */
  gsize n_features = 0;
  const feature_info *features = feature_table (&n_features);
  GString *out = g_string_new (NULL);
  const char *p = text;
  for (const char *open; (open = strstr (p, "{{")) != NULL;)
    {
      const char *close = strstr (open, "}}");
      if (close == NULL)
        break;
      g_string_append_len (out, p, open - p);
      g_autofree char *key = g_strndup (open + 2, (gsize) (close - open - 2));
      const feature_info *found = NULL;
      for (gsize i = 0; i < n_features; i++)
        if (strcmp (features[i].key, key) == 0)
          found = &features[i];
      if (found != NULL)
        {
          g_autofree char *release = release_text (found);
          g_string_append (out, release);
        }
      else
        g_string_append_len (out, open, close + 2 - open);
      p = close + 2;
    }
  g_string_append (out, p);
  return g_string_free (out, FALSE);
}

char *
finding_code_explanation (const finding_code_info *info)
{
  g_autofree char *text = fill_in_releases (info->explanation);
  g_auto (GStrv) paragraphs = g_strsplit (g_strchomp (text), "\n\n", -1);
  GString *out = g_string_new (NULL);
  for (char **para = paragraphs; *para != NULL; para++)
    {
      if (para != paragraphs)
        g_string_append (out, "\n\n");
      append_paragraph (out, *para);
    }
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}
