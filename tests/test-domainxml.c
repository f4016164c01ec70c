/* The domain XML reader: what it reads into the model (lines, paths,
 * addresses, vSMMU properties, what libvirt adds by itself) and what it
 * refuses (malformed, hostile or invalid documents). */
#include <string.h>

#include <glib/gstdio.h>
#include <stdio.h>
#include <unistd.h>

#include "domainxml.h"
#include "errors.h"

#define HEAD "<domain type='kvm'>\n<name>t</name>\n<os><type arch='aarch64' machine='virt'>hvm</type></os>\n"

static guest_domain *
read_ok (const char *xml)
{
  g_autoptr (GError) error = NULL;
  guest_domain *dom = domainxml_read_memory (xml, strlen (xml), "t.xml", &error);
  g_assert_no_error (error);
  g_assert_nonnull (dom);
  return dom;
}

/* The error's line and message (after "LINE: "). */
static int
read_fails (const char *xml, gsize len, const char *expect_in_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory (xml, len, "t.xml", &error);
  g_assert_null (dom);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  const char *message = NULL;
  int line = domainxml_error_line (error, &message);
  if (strstr (message, expect_in_message) == NULL)
    g_error ("'%s' not in '%s'", expect_in_message, error->message);
  return line;
}

static guest_endpoint *
endpoint (const guest_domain *dom, guint i)
{
  g_assert_cmpuint (i, <, dom->endpoints->len);
  return g_ptr_array_index (dom->endpoints, i);
}

static void
test_domain_level (void)
{
  g_autoptr (guest_domain) dom = read_ok (
    "<domain type='kvm'>\n"
    "  <name>gpu-vm</name>\n"
    "  <memory unit='GiB'>64</memory>\n"
    "  <vcpu placement='static'>32</vcpu>\n"
    "  <os><type arch='aarch64' machine='virt-10.2'>hvm</type></os>\n"
    "  <features><acpi/><gic version='3'/></features>\n"
    "  <cpu><numa><cell id='0' cpus='0-15' memory='32' unit='GiB'/><cell id='1' cpus='16-31' memory='33554432'/></numa></cpu>\n"
    "  <devices><memballoon model='none'/></devices>\n"
    "</domain>\n");
  g_assert_cmpstr (dom->name, ==, "gpu-vm");
  g_assert_cmpstr (dom->domain_type, ==, "kvm");
  g_assert_cmpstr (dom->arch, ==, "aarch64");
  g_assert_cmpstr (dom->machine, ==, "virt-10.2");
  g_assert_cmpint (dom->acpi, ==, TRI_YES);
  g_assert_cmpuint (dom->memory_kib, ==, G_GUINT64_CONSTANT (64) << 20);
  g_assert_cmpuint (dom->vcpus, ==, 32);
  g_assert_cmpuint (dom->numa_cells->len, ==, 2);
  g_assert_cmpuint (g_array_index (dom->numa_cells, guest_numa_cell, 0).memory_kib, ==, 32u << 20);
  g_assert_cmpuint (g_array_index (dom->numa_cells, guest_numa_cell, 1).memory_kib, ==, 32u << 20);
  g_assert_cmpstr (g_array_index (dom->numa_cells, guest_numa_cell, 1).cpus, ==, "16-31");
  g_assert_cmpint (dom->line, ==, 1);
  /* libvirt adds controller 0 (pcie-root) when the document has none. */
  guest_bus *root = guest_find_bus (dom, 0);
  g_assert_nonnull (root);
  g_assert_cmpint (root->kind, ==, GUEST_BUS_PCIE_ROOT);
  g_assert_cmpint (root->line, ==, 0);
  g_assert_cmpuint (dom->endpoints->len, ==, 0); /* memballoon model='none' */
}

static void
test_memory_units (void)
{
  static const struct {
    const char *unit, *value;
    guint64 kib;
  } cases[] = {
    { "KiB", "1024", 1024 }, { "k", "1024", 1024 }, { "M", "2", 2048 }, { "MB", "1", 976 },
    { "bytes", "1048576", 1024 }, { "b", "2048", 2 }, { "TiB", "1", G_GUINT64_CONSTANT (1) << 30 },
    { "gb", "1", 976562 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf (HEAD "<memory unit='%s'>%s</memory></domain>", cases[i].unit,
                                              cases[i].value);
      g_autoptr (guest_domain) dom = read_ok (xml);
      g_assert_cmpuint (dom->memory_kib, ==, cases[i].kib);
    }
  const char *parsecs = HEAD "<memory unit='parsecs'>3</memory></domain>";
  read_fails (parsecs, strlen (parsecs), "not a memory size");
}

static const char topology_xml[] =
  HEAD
  "<devices>\n"                                                                           /* 4 */
  "<controller type='pci' index='0' model='pcie-root'/>\n"                                /* 5 */
  "<controller type='pci' index='1' model='pcie-expander-bus'><model name='pxb-pcie'/>\n" /* 6 */
  "  <target busNr='252'><node>1</node></target>\n"
  "  <address type='pci' bus='0x00' slot='0x03' function='0x0'/></controller>\n"
  "<controller type='pci' index='2' model='pcie-root-port'>\n"                           /* 9 */
  "  <target chassis='2' port='0x8' hotplug='off'/><alias name='ua-port'/>\n"
  "  <address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>\n"
  "<controller type='usb' model='qemu-xhci'/>\n"                                          /* 12 */
  "<hostdev mode='subsystem' type='pci' managed='yes'><driver iommufd='yes'/>\n"          /* 13 */
  "  <source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>\n"
  "  <alias name='hostdev0'/><address type='pci' bus='2' slot='0x00' function='0x0'/></hostdev>\n"
  "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1'/></source></hostdev>\n"  /* 16 */
  "<interface type='hostdev' managed='no'>\n"                                             /* 17 */
  "  <source><address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/></source></interface>\n"
  "<interface type='network'><model type='e1000e'/><address type='virtio-mmio'/></interface>\n" /* 19 */
  "<disk type='file' device='disk'><target dev='vda'/></disk>\n"                          /* 20 */
  "<disk type='file' device='disk'><target dev='sda' bus='scsi'/></disk>\n"
  "<video><model type='ramfb'/></video>\n"
  "<video><model type='virtio'/><address type='pci' domain='0x0000' bus='0x00' slot='0x00' function='0x0'/></video>\n"
  "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>\n"
  "<iommu model='smmuv3'>\n"                                                              /* 25 */
  "  <driver pciBus='1' accel='on' ats='auto' ssidSize='20' oas='48' ril='off'/></iommu>\n"
  "</devices>\n"
  "</domain>\n";

static void
test_topology (void)
{
  g_autoptr (guest_domain) dom = read_ok (topology_xml);
  g_assert_cmpuint (dom->buses->len, >=, 3);
  guest_bus *pxb = guest_find_bus (dom, 1);
  g_assert_cmpint (pxb->kind, ==, GUEST_BUS_PXB_PCIE);
  g_assert_cmpint (pxb->bus_nr, ==, 252);
  g_assert_cmpint (pxb->numa_node, ==, 1);
  g_assert_cmpint (pxb->parent, ==, 0);
  g_assert_cmpint (pxb->slot, ==, 3);
  g_assert_cmpint (pxb->line, ==, 6);
  g_assert_cmpstr (pxb->path, ==, "/domain/devices/controller[2]");
  g_assert_cmpint (pxb->root_complex, ==, 1);
  guest_bus *port = guest_find_bus (dom, 2);
  g_assert_cmpstr (port->id, ==, "ua-port");
  g_assert_cmpint (port->hotplug, ==, TRI_NO);
  g_assert_cmpint (port->port, ==, 8);
  g_assert_cmpint (port->root_complex, ==, 1);
  g_assert_cmpint (port->line, ==, 9);

  /* Endpoints: xhci, GPU hostdev, VF interface, virtio disk, virtio video,
   * implicit virtio-serial.  Not: usb hostdev, virtio-mmio NIC, scsi disk,
   * ramfb, and no memballoon: libvirt adds none on aarch64. */
  g_assert_cmpuint (dom->endpoints->len, ==, 6);
  guest_endpoint *xhci = endpoint (dom, 0);
  g_assert_cmpint (xhci->kind, ==, GUEST_EP_EMULATED);
  g_assert_cmpstr (xhci->model, ==, "qemu-xhci");
  g_assert_cmpstr (xhci->element, ==, "controller");
  g_assert_false (xhci->address_explicit);
  guest_endpoint *gpu = endpoint (dom, 1);
  g_assert_cmpint (gpu->kind, ==, GUEST_EP_HOSTDEV);
  g_assert_cmpstr (gpu->host_bdf, ==, "0008:01:00.0");
  g_assert_cmpstr (gpu->id, ==, "hostdev0");
  g_assert_true (gpu->managed);
  g_assert_cmpint (gpu->iommufd, ==, TRI_YES);
  g_assert_false (gpu->iommufd_from_domain);
  g_assert_cmpint (gpu->bus, ==, 2); /* decimal bus='2' */
  g_assert_true (gpu->address_explicit);
  g_assert_cmpint (gpu->line, ==, 13);
  g_assert_cmpstr (gpu->path, ==, "/domain/devices/hostdev[1]");
  guest_endpoint *vf = endpoint (dom, 2);
  g_assert_cmpint (vf->kind, ==, GUEST_EP_HOSTDEV);
  g_assert_cmpstr (vf->element, ==, "interface");
  g_assert_cmpstr (vf->host_bdf, ==, "0000:03:00.1");
  g_assert_false (vf->managed);
  g_assert_cmpint (vf->iommufd, ==, TRI_UNKNOWN);
  g_assert_cmpstr (vf->path, ==, "/domain/devices/interface[1]");
  guest_endpoint *disk = endpoint (dom, 3);
  g_assert_cmpstr (disk->model, ==, "virtio-blk-pci"); /* vd* without bus= is virtio */
  g_assert_cmpstr (disk->path, ==, "/domain/devices/disk[1]");
  guest_endpoint *video = endpoint (dom, 4);
  g_assert_cmpstr (video->model, ==, "virtio-gpu-pci");
  g_assert_false (video->address_explicit); /* an all-zero address means "assign one" */
  g_assert_cmpstr (endpoint (dom, 5)->model, ==, "virtio-serial-pci");
  g_assert_true (g_str_has_prefix (endpoint (dom, 5)->comment, "implicit"));

  /* No free port: everything without an address lands on root ports libvirt
   * adds on pcie.0. */
  for (guint i = 0; i < dom->endpoints->len; i++)
    if (!endpoint (dom, i)->address_explicit)
      g_assert_cmpint (guest_root_complex_of_bus (dom, endpoint (dom, i)->bus), ==, 0);

  g_assert_cmpuint (dom->iommus->len, ==, 1);
  guest_iommu *iommu = g_ptr_array_index (dom->iommus, 0);
  g_assert_cmpstr (iommu->model, ==, "smmuv3");
  g_assert_cmpstr (iommu->id, ==, "iommu0");
  g_assert_cmpint (iommu->pci_bus, ==, 1);
  g_assert_cmpint (iommu->line, ==, 25);
  g_assert_true (guest_iommu_is_accel (iommu));
  g_assert_cmpint (iommu->props[VSMMU_PROP_ATS].state, ==, PROP_AUTO);
  g_assert_cmpint (iommu->props[VSMMU_PROP_RIL].state, ==, PROP_VALUE);
  g_assert_cmpuint (iommu->props[VSMMU_PROP_RIL].value, ==, 0);
  g_assert_cmpuint (iommu->props[VSMMU_PROP_OAS].value, ==, 48);
  g_assert_cmpuint (iommu->props[VSMMU_PROP_SSIDSIZE].value, ==, 20);
  g_assert_cmpstr (iommu->props[VSMMU_PROP_SSIDSIZE].spelling, ==, "ssidSize");
  g_assert_cmpint (iommu->props[VSMMU_PROP_SSIDSIZE].line, ==, 26);
  g_assert_cmpint (iommu->props[VSMMU_PROP_CMDQV].state, ==, PROP_ABSENT);
  g_assert_cmpuint (iommu->unknown_attrs->len, ==, 0);
  g_assert_cmpint (dom->iommu_machine_wide_line, ==, 0);
}

static void
test_iommu_spellings (void)
{
  g_autoptr (guest_domain) dom = read_ok (
    HEAD "<devices>\n<iommu model='smmuv3'><driver accel='on' pasid='on' ssidsize='4' Accel='on' cmdqv='off'/></iommu>\n"
    "<iommu model='intel'><driver intremap='on'/></iommu></devices></domain>");
  guest_iommu *smmu = g_ptr_array_index (dom->iommus, 0);
  g_assert_cmpint (smmu->pci_bus, ==, -1);
  g_assert_cmpint (dom->iommu_machine_wide_line, ==, 5);
  /* pasid='on' came first and is read as ssidsize 20; ssidsize='4' repeats it. */
  g_assert_cmpstr (smmu->props[VSMMU_PROP_SSIDSIZE].spelling, ==, "pasid");
  g_assert_cmpuint (smmu->props[VSMMU_PROP_SSIDSIZE].value, ==, 20);
  g_assert_cmpuint (smmu->unknown_attrs->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (smmu->unknown_attrs, 0), ==, "ssidsize");
  g_assert_cmpstr (g_ptr_array_index (smmu->unknown_attrs, 1), ==, "Accel");
  g_assert_cmpint (smmu->props[VSMMU_PROP_CMDQV].state, ==, PROP_VALUE);
  g_assert_cmpuint (smmu->props[VSMMU_PROP_CMDQV].value, ==, 0);
  guest_iommu *intel = g_ptr_array_index (dom->iommus, 1);
  g_assert_cmpstr (intel->id, ==, "iommu1");
  g_assert_cmpuint (intel->unknown_attrs->len, ==, 0); /* other models' attributes are theirs */
}

static void
test_domain_iommufd (void)
{
  g_autoptr (guest_domain) dom = read_ok (
    HEAD "<iommufd enabled='yes'/>\n<devices>"
    "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"
    "<hostdev mode='subsystem' type='pci'><driver iommufd='no'/><source><address bus='2' slot='0' function='0'/></source></hostdev>"
    "</devices></domain>");
  g_assert_cmpint (dom->domain_iommufd, ==, TRI_YES);
  g_assert_cmpint (dom->domain_iommufd_line, ==, 4);
  g_assert_cmpint (endpoint (dom, 0)->iommufd, ==, TRI_YES);
  g_assert_true (endpoint (dom, 0)->iommufd_from_domain);
  g_assert_cmpint (endpoint (dom, 1)->iommufd, ==, TRI_NO);
  g_assert_false (endpoint (dom, 1)->iommufd_from_domain);
  g_assert_cmpstr (endpoint (dom, 1)->host_bdf, ==, "0000:02:00.0");
  /* No <memballoon>, and libvirt adds none to an aarch64 domain. */
  g_assert_cmpuint (dom->endpoints->len, ==, 2);

  /* Inside <devices>, libvirt 12.9 ignores <iommufd> (the hostdev stays on
   * the legacy container): so does the reader. */
  g_autoptr (guest_domain) inside = read_ok (
    HEAD "<devices><iommufd enabled='yes'/>"
    "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='1' slot='0' function='0'/></source></hostdev>"
    "</devices></domain>");
  g_assert_cmpint (inside->domain_iommufd_line, ==, 0);
  g_assert_cmpint (endpoint (inside, 0)->iommufd, ==, TRI_UNKNOWN);

  /* x86_64 q35 without <memballoon>: libvirt 12.9 adds a virtio one. */
  g_autoptr (guest_domain) x86 = read_ok (
    "<domain type='kvm'><os><type arch='x86_64' machine='q35'>hvm</type></os><devices/></domain>");
  g_assert_cmpuint (x86->endpoints->len, ==, 1);
  g_assert_cmpstr (endpoint (x86, 0)->model, ==, "virtio-balloon-pci");
}

static void
test_controller_index_defaults (void)
{
  g_autoptr (guest_domain) dom = read_ok (
    "<domain type='test'><devices>\n"
    "<controller type='pci' index='0'/>\n"
    "<controller type='pci' index='4' model='pcie-root-port'/>\n"
    "<controller type='pci' model='pcie-root-port'/>\n"
    "</devices></domain>");
  g_assert_cmpint (guest_find_bus (dom, 0)->kind, ==, GUEST_BUS_PCIE_ROOT); /* index 0 defaults to pcie-root */
  guest_bus *added = guest_find_bus (dom, 5);                               /* libvirt: next free index */
  g_assert_nonnull (added);
  g_assert_cmpint (added->line, ==, 4);
  g_assert_cmpint (added->parent, ==, 0); /* root ports without address go on pcie.0 */
  g_assert_cmpuint (dom->endpoints->len, ==, 0); /* not a QEMU domain: no implicit balloon */
}

/* Where libvirt 12.9 puts what the document leaves open, as its dumpxml
 * after define showed: every missing controller index up to the highest
 * bus in use becomes a pcie-root-port on pcie.0, and a device without an
 * address goes to the first free port by index, below a pxb too. */
static void
test_libvirt_placement (void)
{
  /* A hostdev addressed to bus 5 with indexes 3 and 4 missing: libvirt adds
   * root ports 3, 4 and 5 on pcie.0. */
  g_autoptr (guest_domain) gaps = read_ok (
    HEAD "<devices>\n<controller type='pci' index='0' model='pcie-root'/>\n"
    "<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='252'/>"
    "<address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>\n"
    "<controller type='pci' index='2' model='pcie-root-port'><target chassis='2' hotplug='off'/>"
    "<address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>\n"
    "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='0' function='0'/></source>"
    "<address type='pci' bus='0x05' slot='0x00' function='0x0'/></hostdev>\n"
    "</devices></domain>");
  for (int index = 3; index <= 5; index++)
    {
      const guest_bus *port = guest_find_bus (gaps, index);
      g_assert_nonnull (port);
      g_assert_true (port->index_gap);
      g_assert_cmpint (port->kind, ==, GUEST_BUS_ROOT_PORT);
      g_assert_cmpint (port->parent, ==, 0);
    }
  g_assert_null (guest_find_bus (gaps, 6));
  g_assert_cmpint (guest_root_complex_of_bus (gaps, endpoint (gaps, 0)->bus), ==, 0);

  /* No gap, one free root port below the pxb (hotplug on or off alike): a
   * NIC without an address goes there. */
  g_autoptr (guest_domain) spare = read_ok (
    HEAD "<devices>\n<controller type='pci' index='0' model='pcie-root'/>\n"
    "<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='252'/>"
    "<address type='pci' bus='0x00' slot='0x02' function='0x0'/></controller>\n"
    "<controller type='pci' index='2' model='pcie-root-port'><target chassis='2' hotplug='off'/>"
    "<address type='pci' bus='0x01' slot='0x00' function='0x0'/></controller>\n"
    "<controller type='pci' index='3' model='pcie-root-port'><target chassis='3' hotplug='off'/>"
    "<address type='pci' bus='0x01' slot='0x01' function='0x0'/></controller>\n"
    "<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0' slot='0' function='0'/></source>"
    "<address type='pci' bus='0x02' slot='0x00' function='0x0'/></hostdev>\n"
    "<interface type='user'><model type='virtio'/></interface>\n"
    "</devices></domain>");
  const guest_endpoint *nic = endpoint (spare, 1);
  g_assert_cmpstr (nic->element, ==, "interface");
  g_assert_cmpint (nic->bus, ==, 3);
  g_assert_cmpint (guest_root_complex_of_bus (spare, nic->bus), ==, 1);

  /* pxb and root port without an address, a controller without an index:
   * the pxb and the ports go on pcie.0, the index is the next free one, the
   * NIC takes the first free port (2). */
  g_autoptr (guest_domain) open = read_ok (
    HEAD "<devices>\n<controller type='pci' index='0' model='pcie-root'/>\n"
    "<controller type='pci' index='1' model='pcie-expander-bus'><target busNr='252'/></controller>\n"
    "<controller type='pci' index='2' model='pcie-root-port'/>\n"
    "<controller type='pci' model='pcie-root-port'/>\n"
    "<interface type='user'><model type='virtio'/></interface>\n"
    "</devices></domain>");
  g_assert_cmpint (guest_find_bus (open, 1)->parent, ==, 0);
  g_assert_cmpint (guest_find_bus (open, 2)->parent, ==, 0);
  g_assert_cmpint (guest_find_bus (open, 3)->parent, ==, 0);
  g_assert_false (guest_find_bus (open, 3)->index_gap);
  g_assert_cmpint (endpoint (open, 0)->bus, ==, 2);
}

static void
test_mmio_window (void)
{
  static const struct {
    const char *arg;
    guint64 size;
  } cases[] = {
    { "highmem-mmio-size=2T", G_GUINT64_CONSTANT (2) << 40 },
    { "virt,gic-version=3,highmem-mmio-size=1.5T", G_GUINT64_CONSTANT (3) << 39 },
    { "highmem-mmio-size=549755813888", G_GUINT64_CONSTANT (512) << 30 },
    { "highmem-mmio-size=lots", 0 },
    { "highmem-mmio-size=1Q", 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf (
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n<devices/>\n"
        "<qemu:commandline><qemu:arg value='-machine'/>\n<qemu:arg value='%s'/></qemu:commandline>\n</domain>",
        cases[i].arg);
      g_autoptr (guest_domain) dom = read_ok (xml);
      g_assert_cmpuint (dom->mmio64_size, ==, cases[i].size);
      g_assert_cmpint (dom->mmio64_line, ==, 4);
    }
  g_autoptr (guest_domain) unparsed = read_ok (
    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n<devices/>\n"
    "<qemu:commandline><qemu:arg value='-machine'/>\n<qemu:arg value='highmem-mmio-size=lots'/></qemu:commandline>\n"
    "</domain>");
  g_assert_true (unparsed->mmio64_unparsed);
  g_assert_cmpint (unparsed->mmio64_source, ==, GUEST_MMIO64_QEMU_COMMANDLINE);
  g_assert_cmpstr (unparsed->mmio64_path, ==, "/domain/qemu:commandline");

  /* <pcihole64> on pcie-root, in libvirt's memory units (KiB by default). */
  static const struct {
    const char *element;
    guint64 size;
  } holes[] = {
    { "<pcihole64>2147483648</pcihole64>", G_GUINT64_CONSTANT (2) << 40 },
    { "<pcihole64 unit='KiB'>3221225472</pcihole64>", G_GUINT64_CONSTANT (3) << 40 },
    { "<pcihole64 unit='G'>256</pcihole64>", G_GUINT64_CONSTANT (256) << 30 },
    { "<pcihole64 unit='T'>4</pcihole64>", G_GUINT64_CONSTANT (4) << 40 },
    { "<pcihole64 unit='KiB'>0</pcihole64>", 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (holes); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<domain type='kvm'>\n<devices>\n<controller type='pci' index='0' "
                                              "model='pcie-root'>\n%s</controller></devices></domain>",
                                              holes[i].element);
      g_autoptr (guest_domain) dom = read_ok (xml);
      g_assert_cmpuint (dom->mmio64_size, ==, holes[i].size);
      g_assert_cmpint (dom->mmio64_source, ==, GUEST_MMIO64_PCIHOLE64);
      g_assert_cmpint (dom->mmio64_line, ==, 4);
      g_assert_false (dom->mmio64_unparsed);
      g_assert_cmpstr (dom->mmio64_path, ==, "/domain/devices/controller[1]/pcihole64");
    }
  /* A <qemu:commandline> -machine highmem-mmio-size comes after libvirt's own -machine: it wins. */
  g_autoptr (guest_domain) both = read_ok (
    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n<devices>"
    "<controller type='pci' index='0' model='pcie-root'><pcihole64 unit='T'>4</pcihole64></controller></devices>\n"
    "<qemu:commandline><qemu:arg value='-machine'/><qemu:arg value='highmem-mmio-size=2T'/></qemu:commandline>"
    "</domain>");
  g_assert_cmpuint (both->mmio64_size, ==, G_GUINT64_CONSTANT (2) << 40);
  g_assert_cmpint (both->mmio64_source, ==, GUEST_MMIO64_QEMU_COMMANDLINE);
  /* libvirt refuses what is not a size. */
  const char *junk = "<domain type='kvm'>\n<devices>\n<controller type='pci' index='0' model='pcie-root'>"
                     "<pcihole64>lots</pcihole64></controller></devices></domain>";
  g_assert_cmpint (read_fails (junk, strlen (junk), "<pcihole64 unit='KiB'>lots</pcihole64>: not a size"), ==, 3);

  /* Another namespace's commandline, or an arg not after -machine, is not it. */
  g_autoptr (guest_domain) other = read_ok (
    "<domain type='kvm' xmlns:q='urn:other'><q:commandline><q:arg value='-machine'/>"
    "<q:arg value='highmem-mmio-size=2T'/></q:commandline></domain>");
  g_assert_cmpint (other->mmio64_line, ==, 0);
}

static void
test_refusals (void)
{
  const char *malformed = "<domain type='kvm'>\n<devices>\n<hostdev>\n</devices>\n</domain>\n";
  /* The first error, not libxml2's last. */
  g_assert_cmpint (read_fails (malformed, strlen (malformed), "Opening and ending tag mismatch"), ==, 4);
  const char *network = "<?xml version='1.0'?>\n<network/>";
  g_assert_cmpint (read_fails (network, strlen (network), "root element is <network>"), ==, 2);
  const char *laughs = "<!DOCTYPE domain [\n<!ENTITY a 'aaaa'>\n<!ENTITY b '&a;&a;&a;'>\n]>\n<domain>&b;</domain>";
  g_assert_cmpint (read_fails (laughs, strlen (laughs), "entity declarations are not accepted"), ==, 2);
  /* An error before the declaration is stopped (found by fuzzing: it leaked). */
  const char *broken = "<!DOCTYPE domain [\n<!ENTITY a:b 'x'>\n]>\n<domain/>";
  read_fails (broken, strlen (broken), "entity declarations are not accepted");
  const char *external = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><domain>&x;</domain>";
  read_fails (external, strlen (external), "entity declarations are not accepted");
  const char *undefined = "<domain><name>&nope;</name></domain>";
  read_fails (undefined, strlen (undefined), "nope");
  read_fails ("", 0, "Document is empty");
  const char *bad_bus = HEAD "<devices><hostdev type='pci'><address type='pci' bus='0x1zz'/></hostdev></devices></domain>";
  g_assert_cmpint (read_fails (bad_bus, strlen (bad_bus), "<address bus='0x1zz'>: not a number"), ==, 4);
  const char *bad_slot = HEAD "<devices><disk><target dev='vda'/><address type='pci' bus='1' slot='32'/></disk></devices></domain>";
  read_fails (bad_slot, strlen (bad_slot), "slot='32'");
  const char *duplicate = HEAD "<devices>\n<controller type='pci' index='1' model='pcie-root-port'/>\n"
                               "<controller type='pci' index='1' model='pcie-root-port'/>\n</devices></domain>";
  g_assert_cmpint (read_fails (duplicate, strlen (duplicate), "two PCI controllers with index 1"), ==, 6);
  const char *bad_switch = HEAD "<devices><iommu model='smmuv3'><driver accel='maybe'/></iommu></devices></domain>";
  read_fails (bad_switch, strlen (bad_switch), "accel='maybe'>: expected on or off");
  const char *bad_index = HEAD "<devices><controller type='pci' index='256'/></devices></domain>";
  read_fails (bad_index, strlen (bad_index), "index='256'");
  const char *negative = HEAD "<devices><iommu model='smmuv3'><driver pciBus='-1'/></iommu></devices></domain>";
  read_fails (negative, strlen (negative), "pciBus='-1'");
}

static void
test_limits (void)
{
  /* Depth: libxml2's 256 without XML_PARSE_HUGE. */
  GString *deep = g_string_new ("<domain>");
  for (int i = 0; i < 300; i++)
    g_string_append (deep, "<a>");
  for (int i = 0; i < 300; i++)
    g_string_append (deep, "</a>");
  g_string_append (deep, "</domain>");
  read_fails (deep->str, deep->len, "depth");
  g_string_free (deep, TRUE);

  /* Size: refused before parsing. */
  gsize big = DOMAINXML_MAX_SIZE + 1;
  g_autofree char *huge = g_malloc (big);
  memset (huge, ' ', big);
  memcpy (huge, "<domain>", 8);
  g_assert_cmpint (read_fails (huge, big, "larger than 32 MiB"), ==, 1);

  /* Devices: more than one PCI segment can hold. */
  GString *many = g_string_new (HEAD "<devices>");
  for (int i = 0; i < 65537; i++)
    g_string_append (many, "<rng model='virtio'/>");
  g_string_append (many, "</devices></domain>");
  read_fails (many->str, many->len, "more than 65536 devices");
  g_string_free (many, TRUE);
}

static void
test_read_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) none = domainxml_read_file ("/nonexistent/vm.xml", &error);
  g_assert_null (none);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  g_assert_true (g_str_has_prefix (error->message, "/nonexistent/vm.xml: cannot open"));
  const char *message = NULL;
  g_assert_cmpint (domainxml_error_line (error, &message), ==, 0);

  g_autofree char *dir = g_dir_make_tmp ("domainxml-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "vm.xml", NULL);
  g_assert_true (g_file_set_contents (path, topology_xml, -1, NULL));
  g_clear_error (&error);
  g_autoptr (guest_domain) dom = domainxml_read_file (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dom->iommus->len, ==, 1);
  g_clear_error (&error);
  g_autoptr (guest_domain) from_dir = domainxml_read_file (dir, &error);
  g_assert_null (from_dir);
  g_assert_nonnull (strstr (error->message, "cannot read"));
  /* A file beyond the bound is not read whole: a sparse 64 MiB file. */
  g_autofree char *big = g_build_filename (dir, "big.xml", NULL);
  FILE *f = fopen (big, "w");
  g_assert_nonnull (f);
  g_assert_cmpint (ftruncate (fileno (f), (off_t) 64 << 20), ==, 0);
  fclose (f);
  g_clear_error (&error);
  g_autoptr (GBytes) bytes = domainxml_load (big, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, DOMAINXML_MAX_SIZE + 1);
  g_autoptr (guest_domain) too_big = domainxml_read_file (big, &error);
  g_assert_null (too_big);
  g_assert_nonnull (strstr (error->message, "larger than 32 MiB"));
  g_unlink (big);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/domainxml/domain-level", test_domain_level);
  g_test_add_func ("/domainxml/memory-units", test_memory_units);
  g_test_add_func ("/domainxml/topology", test_topology);
  g_test_add_func ("/domainxml/iommu-spellings", test_iommu_spellings);
  g_test_add_func ("/domainxml/domain-iommufd", test_domain_iommufd);
  g_test_add_func ("/domainxml/controller-index-defaults", test_controller_index_defaults);
  g_test_add_func ("/domainxml/libvirt-placement", test_libvirt_placement);
  g_test_add_func ("/domainxml/mmio-window", test_mmio_window);
  g_test_add_func ("/domainxml/refusals", test_refusals);
  g_test_add_func ("/domainxml/limits", test_limits);
  g_test_add_func ("/domainxml/read-file", test_read_file);
  return g_test_run ();
}
