/* -device options → the guest model: PCI buses (pxb-pcie, root ports,
 * switches, bridges), vSMMUs (arm-smmuv3) and other IOMMUs, vfio-pci and
 * emulated endpoints.  QEMU creates devices in command-line order, so a
 * bus= or primary-bus= resolves only to a device created before it; one
 * without bus= lands where qdev puts it (qemuargv_model.c). */
#include "qemuargv_model.h"

#include <errno.h>
#include <string.h>

typedef enum {
  DEVICE_PCI_BUS,   /* provides a PCI bus named after its id */
  DEVICE_SMMUV3,
  DEVICE_IOMMU,     /* another IOMMU model: iommu_model says which */
  DEVICE_VFIO,
  DEVICE_ENDPOINT,  /* an emulated PCI endpoint */
  DEVICE_NOT_PCI,   /* USB, SCSI, virtio-mmio, CPUs, memory, …: not in the PCI tree */
  DEVICE_UNKNOWN,
} device_role;

static const struct {
  const char *driver;
  device_role role;
  guest_bus_kind kind;      /* DEVICE_PCI_BUS */
  const char *iommu_model;  /* DEVICE_IOMMU: as libvirt names it */
} device_table[] = {
  { "pxb-pcie", DEVICE_PCI_BUS, GUEST_BUS_PXB_PCIE, NULL },
  { "pcie-root-port", DEVICE_PCI_BUS, GUEST_BUS_ROOT_PORT, NULL },
  { "ioh3420", DEVICE_PCI_BUS, GUEST_BUS_ROOT_PORT, NULL },
  { "x3130-upstream", DEVICE_PCI_BUS, GUEST_BUS_SWITCH_UPSTREAM, NULL },
  { "xio3130-downstream", DEVICE_PCI_BUS, GUEST_BUS_SWITCH_DOWNSTREAM, NULL },
  { "pcie-pci-bridge", DEVICE_PCI_BUS, GUEST_BUS_PCI_BRIDGE, NULL },
  { "pci-bridge", DEVICE_PCI_BUS, GUEST_BUS_PCI_BRIDGE, NULL },
  { "pci-bridge-seat", DEVICE_PCI_BUS, GUEST_BUS_PCI_BRIDGE, NULL },
  { "i82801b11-bridge", DEVICE_PCI_BUS, GUEST_BUS_PCI_BRIDGE, NULL },
  { "pxb", DEVICE_PCI_BUS, GUEST_BUS_OTHER, NULL },
  { "arm-smmuv3", DEVICE_SMMUV3, 0, NULL },
  { "virtio-iommu-pci", DEVICE_IOMMU, 0, "virtio" },
  { "intel-iommu", DEVICE_IOMMU, 0, "intel" },
  { "amd-iommu", DEVICE_IOMMU, 0, "amd" },
  { "vfio-pci", DEVICE_VFIO, 0, NULL },
  { "vfio-pci-nohotplug", DEVICE_VFIO, 0, NULL },
  /* PCI endpoints whose names do not end in -pci */
  { "nvme", DEVICE_ENDPOINT, 0, NULL }, { "e1000", DEVICE_ENDPOINT, 0, NULL },
  { "e1000e", DEVICE_ENDPOINT, 0, NULL }, { "igb", DEVICE_ENDPOINT, 0, NULL },
  { "rtl8139", DEVICE_ENDPOINT, 0, NULL }, { "vmxnet3", DEVICE_ENDPOINT, 0, NULL },
  { "qemu-xhci", DEVICE_ENDPOINT, 0, NULL }, { "nec-usb-xhci", DEVICE_ENDPOINT, 0, NULL },
  { "usb-ehci", DEVICE_ENDPOINT, 0, NULL }, { "pci-ohci", DEVICE_ENDPOINT, 0, NULL },
  { "ich9-ahci", DEVICE_ENDPOINT, 0, NULL }, { "VGA", DEVICE_ENDPOINT, 0, NULL },
  { "secondary-vga", DEVICE_ENDPOINT, 0, NULL }, { "bochs-display", DEVICE_ENDPOINT, 0, NULL },
  { "cirrus-vga", DEVICE_ENDPOINT, 0, NULL }, { "ati-vga", DEVICE_ENDPOINT, 0, NULL },
  { "qxl", DEVICE_ENDPOINT, 0, NULL }, { "qxl-vga", DEVICE_ENDPOINT, 0, NULL },
  { "megasas", DEVICE_ENDPOINT, 0, NULL }, { "megasas-gen2", DEVICE_ENDPOINT, 0, NULL },
  { "mptsas1068", DEVICE_ENDPOINT, 0, NULL }, { "lsi53c895a", DEVICE_ENDPOINT, 0, NULL },
  { "am53c974", DEVICE_ENDPOINT, 0, NULL }, { "dc390", DEVICE_ENDPOINT, 0, NULL },
  { "pvscsi", DEVICE_ENDPOINT, 0, NULL }, { "i6300esb", DEVICE_ENDPOINT, 0, NULL },
  { "intel-hda", DEVICE_ENDPOINT, 0, NULL }, { "ich9-intel-hda", DEVICE_ENDPOINT, 0, NULL },
  { "ES1370", DEVICE_ENDPOINT, 0, NULL }, { "AC97", DEVICE_ENDPOINT, 0, NULL },
  { "ivshmem-plain", DEVICE_ENDPOINT, 0, NULL }, { "ivshmem-doorbell", DEVICE_ENDPOINT, 0, NULL },
  { "edu", DEVICE_ENDPOINT, 0, NULL }, { "pci-serial", DEVICE_ENDPOINT, 0, NULL },
  { "pci-serial-2x", DEVICE_ENDPOINT, 0, NULL }, { "pci-serial-4x", DEVICE_ENDPOINT, 0, NULL },
  { "pci-testdev", DEVICE_ENDPOINT, 0, NULL }, { "cxl-type3", DEVICE_ENDPOINT, 0, NULL },
  /* not on PCI, whatever their names suggest */
  { "ramfb", DEVICE_NOT_PCI, 0, NULL }, { "nvdimm", DEVICE_NOT_PCI, 0, NULL },
  { "pc-dimm", DEVICE_NOT_PCI, 0, NULL }, { "loader", DEVICE_NOT_PCI, 0, NULL },
  { "guest-loader", DEVICE_NOT_PCI, 0, NULL }, { "virtconsole", DEVICE_NOT_PCI, 0, NULL },
  { "virtserialport", DEVICE_NOT_PCI, 0, NULL },
};

/* qdev's aliases on a PCI machine (qdev-monitor.c): libvirt writes
 * "virtio-iommu" for virtio-iommu-pci. */
static const char *const virtio_aliases[] = { "virtio-9p", "virtio-balloon", "virtio-blk", "virtio-gpu",
                                              "virtio-input-host", "virtio-iommu", "virtio-keyboard", "virtio-mouse",
                                              "virtio-multitouch", "virtio-net", "virtio-rng", "virtio-scsi",
                                              "virtio-serial", "virtio-sound", "virtio-tablet" };

static const char *
canonical_driver (const char *driver, char **owned)
{
  for (gsize i = 0; i < G_N_ELEMENTS (virtio_aliases); i++)
    if (strcmp (driver, virtio_aliases[i]) == 0)
      return *owned = g_strconcat (driver, "-pci", NULL);
  return driver;
}

/* Name patterns for the rest: "-pci" marks a PCI device; bus-specific
 * prefixes and "-device" (virtio-mmio), "-ccw", "-cpu" mark others. */
static const char *const not_pci_prefixes[] = { "usb-", "scsi-", "ide-", "isa-", "nvme-ns", "nvme-subsys", "tpm-",
                                                "hda-", "ccid-", "i2c-", "ipmi-", "sd-", "gpio-", "sysbus-" };
static const char *const not_pci_suffixes[] = { "-device", "-ccw", "-cpu", "-mmio" };

static device_role
classify (const char *driver, guest_bus_kind *kind, const char **iommu_model)
{
  /* Built once for every thread: a command line has dozens of devices. */
  static GHashTable *by_driver;
  if (g_once_init_enter (&by_driver))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
      for (gsize i = 0; i < G_N_ELEMENTS (device_table); i++)
        g_hash_table_insert (table, (gpointer) device_table[i].driver, GSIZE_TO_POINTER (i + 1));
      g_once_init_leave (&by_driver, table);
    }
  gsize row = GPOINTER_TO_SIZE (g_hash_table_lookup (by_driver, driver));
  if (row > 0)
    {
      *kind = device_table[row - 1].kind;
      *iommu_model = device_table[row - 1].iommu_model;
      return device_table[row - 1].role;
    }
  if (g_str_has_suffix (driver, "-pci") || strstr (driver, "-pci-") != NULL)
    return DEVICE_ENDPOINT;
  for (gsize i = 0; i < G_N_ELEMENTS (not_pci_prefixes); i++)
    if (g_str_has_prefix (driver, not_pci_prefixes[i]))
      return DEVICE_NOT_PCI;
  for (gsize i = 0; i < G_N_ELEMENTS (not_pci_suffixes); i++)
    if (g_str_has_suffix (driver, not_pci_suffixes[i]))
      return DEVICE_NOT_PCI;
  return DEVICE_UNKNOWN;
}

/* QEMU's integer properties take decimal or 0x-hex. */
static gboolean
parse_number (const char *text, guint64 max, guint64 *out)
{
  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (text, &end, 0);
  if (errno == ERANGE || *end != '\0' || v > max) /* not errno != 0: see qemu_parse_size */
    return FALSE;
  *out = v;
  return TRUE;
}

/* A number property into *value (left alone when absent); FALSE and a note
 * when QEMU would refuse the value. */
static gboolean
read_number (model_builder *mb, const qemu_option *option, const char *driver, const char *key, guint64 max,
             int *value)
{
  int arg = 0;
  const char *text = model_device_prop (mb, option, driver, key, &arg);
  guint64 v = 0;
  if (text == NULL)
    return TRUE;
  if (!parse_number (text, max, &v))
    {
      qemu_note_add (mb->cl->notes, arg, QEMU_NOTE_REFUSED, NULL,
                     "%s %s=%s: not a number from 0 to %" G_GUINT64_FORMAT "; QEMU refuses the value", driver, key,
                     text, max);
      return FALSE;
    }
  *value = (int) v;
  return TRUE;
}

/* addr=SLOT[.FUNCTION], both hex ("0x1", "0x0.0x0", "06.1"). */
static void
read_addr (const qemu_option *option, int *slot, int *function)
{
  const char *addr = qemu_props_get (option->props, "addr");
  if (addr == NULL)
    return;
  char *end = NULL;
  guint64 s = g_ascii_strtoull (addr, &end, 16), f = 0;
  if (end == addr || s > 0x1f)
    return;
  if (*end == '.')
    f = g_ascii_strtoull (end + 1, &end, 16);
  if (*end == '\0' && f <= 7)
    *slot = (int) s, *function = (int) f;
}

/* multifunction=on|off (libvirt's JSON: true/false); UNKNOWN when not given,
 * which QEMU takes as off. */
static tristate
read_multifunction (const qemu_option *option)
{
  const char *text = qemu_props_get (option->props, "multifunction");
  gboolean on = FALSE;
  if (text == NULL || !qemu_parse_bool (text, &on))
    return TRI_UNKNOWN;
  return on ? TRI_YES : TRI_NO;
}

static gboolean
index_taken (const model_builder *mb, guint index)
{
  return index < mb->index_used->len && g_array_index (mb->index_used, gboolean, index);
}

static int
take_index (model_builder *mb, guint index)
{
  if (index >= mb->index_used->len)
    g_array_set_size (mb->index_used, index + 1);
  g_array_index (mb->index_used, gboolean, index) = TRUE;
  return (int) index;
}

/* libvirt's index N for its "pci.N" ids, so that messages name the same
 * controllers as the XML; the next free index otherwise. */
static int
bus_index_for (model_builder *mb, const char *id)
{
  guint64 n = 0;
  if (id != NULL && g_str_has_prefix (id, "pci.") && parse_number (id + 4, 255, &n) && n > 0
      && !index_taken (mb, (guint) n))
    return take_index (mb, (guint) n);
  guint index = 1;
  while (index_taken (mb, index))
    index++;
  return take_index (mb, index);
}

/* pxb-pcie's own bus takes bridges only (root ports, switch ports, PCI bridges). */
static void
check_pxb_child (model_builder *mb, int bus_index, const qemu_option *option, const char *driver)
{
  const guest_bus *parent = guest_find_bus (mb->dom, bus_index);
  if (parent == NULL || parent->kind != GUEST_BUS_PXB_PCIE)
    return;
  qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED,
                 "plug it into a pcie-root-port below the pxb-pcie (bus=<the root port's id>)",
                 "%s lands on the bus of pxb-pcie %s itself; QEMU exits: \"PCI: Only PCI/PCIe bridges can be "
                 "plugged into pxb-pcie\"", driver, parent->id);
}

static char *
display_id (const char *id, const char *driver, int arg)
{
  return id != NULL ? g_strdup (id) : g_strdup_printf ("%s without id (arg %d)", driver, arg);
}

static void
read_bus (model_builder *mb, const qemu_option *option, const char *driver, guest_bus_kind kind, const char *id)
{
  guest_bus *bus = guest_bus_new (bus_index_for (mb, id), kind);
  g_free (bus->model);
  bus->model = g_strdup (driver);
  g_free (bus->id);
  bus->id = display_id (id, driver, option->arg);
  bus->line = option->arg;
  const char *parent = qemu_props_get (option->props, "bus");
  bus->parent = model_resolve_bus (mb, parent, &bus->parent_ref, &bus->comment);
  bus->address_explicit = parent != NULL;
  read_addr (option, &bus->slot, &bus->function);
  bus->multifunction = read_multifunction (option);
  gboolean bridge = kind == GUEST_BUS_ROOT_PORT || kind == GUEST_BUS_SWITCH_UPSTREAM
                    || kind == GUEST_BUS_SWITCH_DOWNSTREAM || kind == GUEST_BUS_PCI_BRIDGE;
  if (!bridge)
    check_pxb_child (mb, bus->parent, option, driver);
  if (kind == GUEST_BUS_PXB_PCIE)
    {
      bus->bus_nr = 0; /* QEMU's default, the same as pcie.0's first bus */
      read_number (mb, option, driver, "bus_nr", 255, &bus->bus_nr);
      read_number (mb, option, driver, "numa_node", G_MAXUINT16, &bus->numa_node);
      if (bus->numa_node == 128) /* NUMA_NODE_UNASSIGNED, the default */
        bus->numa_node = -1;
      mb->newest_pxb = bus;
    }
  if (kind == GUEST_BUS_ROOT_PORT || kind == GUEST_BUS_SWITCH_DOWNSTREAM)
    {
      int arg = 0;
      const char *hotplug = model_device_prop (mb, option, driver, "hotplug", &arg);
      gboolean on = TRUE;
      read_number (mb, option, driver, "chassis", 255, &bus->chassis);
      read_number (mb, option, driver, "port", 255, &bus->port);
      if (hotplug != NULL && qemu_parse_bool (hotplug, &on))
        bus->hotplug = on ? TRI_YES : TRI_NO;
      else if (hotplug != NULL)
        qemu_note_add (mb->cl->notes, arg, QEMU_NOTE_REFUSED, "hotplug=on or hotplug=off",
                       "%s hotplug=%s; QEMU exits: \"Parameter 'hotplug' expects 'on' or 'off'\"", driver, hotplug);
    }
  g_ptr_array_add (mb->dom->buses, bus);
  if (id != NULL)
    g_hash_table_insert (mb->buses, bus->id, bus);
}

/* ---- arm-smmuv3 ---- */

typedef enum { VALUE_BOOL, VALUE_ON_OFF_AUTO, VALUE_NUMBER_OR_AUTO } value_kind;

static const struct {
  const char *key;
  vsmmu_prop_id id;
  value_kind kind;
} smmuv3_props[] = {
  { "accel", VSMMU_PROP_ACCEL, VALUE_BOOL },         { "ats", VSMMU_PROP_ATS, VALUE_ON_OFF_AUTO },
  { "ril", VSMMU_PROP_RIL, VALUE_ON_OFF_AUTO },      { "cmdqv", VSMMU_PROP_CMDQV, VALUE_ON_OFF_AUTO },
  { "ssidsize", VSMMU_PROP_SSIDSIZE, VALUE_NUMBER_OR_AUTO }, { "oas", VSMMU_PROP_OAS, VALUE_NUMBER_OR_AUTO },
};

/* arm-smmuv3's other properties in QEMU 11.1 (`-device arm-smmuv3,help`),
 * and what every -device takes. */
static const char *const smmuv3_other_keys[] = { "driver", "id", "bus", "primary-bus", "bus_num", "identifier",
                                                 "memory", "msi-gpa", "secure-memory", "smmu_per_bus", "stage" };

static gboolean
read_smmuv3_value (const char *text, value_kind kind, vsmmu_prop *p)
{
  gboolean on = FALSE;
  guint64 n = 0;
  if (kind == VALUE_BOOL && qemu_parse_bool (text, &on))
    p->value = on;
  else if (kind != VALUE_BOOL && strcmp (text, "auto") == 0)
    p->state = PROP_AUTO;
  else if (kind == VALUE_ON_OFF_AUTO && (strcmp (text, "on") == 0 || strcmp (text, "off") == 0))
    p->value = strcmp (text, "on") == 0;
  else if (kind == VALUE_NUMBER_OR_AUTO && parse_number (text, G_MAXUINT32, &n))
    p->value = (guint) n;
  else
    return FALSE;
  if (p->state != PROP_AUTO)
    p->state = PROP_VALUE;
  return TRUE;
}

static void
read_smmuv3 (model_builder *mb, const qemu_option *option, const char *id)
{
  guest_iommu *iommu = guest_iommu_new ();
  iommu->model = g_strdup ("smmuv3");
  iommu->id = display_id (id, "arm-smmuv3", option->arg);
  iommu->line = option->arg;
  int arg = 0;
  const char *primary = model_device_prop (mb, option, "arm-smmuv3", "primary-bus", &arg);
  g_autofree char *ref = NULL;
  if (primary != NULL)
    {
      iommu->pci_bus = model_resolve_bus (mb, primary, &ref, &iommu->comment);
      iommu->pci_bus_ref = g_strdup (primary);
    }
  else
    iommu->pci_bus = mb->next_unresolved++; /* "SMMU is not attached to any PCI bus!" (SMU101) */
  for (gsize i = 0; i < G_N_ELEMENTS (smmuv3_props); i++)
    {
      const char *text = model_device_prop (mb, option, "arm-smmuv3", smmuv3_props[i].key, &arg);
      vsmmu_prop *p = &iommu->props[smmuv3_props[i].id];
      if (text == NULL)
        continue;
      if (!read_smmuv3_value (text, smmuv3_props[i].kind, p))
        {
          qemu_note_add (mb->cl->notes, arg, QEMU_NOTE_REFUSED,
                         smmuv3_props[i].kind == VALUE_BOOL ? "accel=on or accel=off"
                         : smmuv3_props[i].kind == VALUE_ON_OFF_AUTO ? "on, off or auto"
                                                                     : "a number or auto",
                         "arm-smmuv3 %s=%s; QEMU exits: \"Parameter '%s' does not accept value '%s'\"",
                         smmuv3_props[i].key, text, smmuv3_props[i].key, text);
          *p = (vsmmu_prop) { PROP_ABSENT, 0, NULL, 0 };
          continue;
        }
      p->spelling = g_strdup (smmuv3_props[i].key);
      p->line = arg;
    }
  for (guint i = 0; i < option->props->len; i++)
    {
      const char *key = g_array_index (option->props, qemu_prop, i).key;
      gboolean known = FALSE;
      for (gsize k = 0; k < G_N_ELEMENTS (smmuv3_props) && !known; k++)
        known = strcmp (key, smmuv3_props[k].key) == 0;
      for (gsize k = 0; k < G_N_ELEMENTS (smmuv3_other_keys) && !known; k++)
        known = strcmp (key, smmuv3_other_keys[k]) == 0;
      for (guint k = 0; k < iommu->unknown_attrs->len && !known; k++)
        known = strcmp (key, g_ptr_array_index (iommu->unknown_attrs, k)) == 0;
      if (!known)
        g_ptr_array_add (iommu->unknown_attrs, g_strdup (key));
    }
  g_ptr_array_add (mb->dom->iommus, iommu);
}

/* ---- endpoints ---- */

static void
read_vfio (model_builder *mb, const qemu_option *option, guest_endpoint *ep)
{
  int arg = 0;
  const char *host = model_device_prop (mb, option, "vfio-pci", "host", &arg);
  const char *sysfsdev = model_device_prop (mb, option, "vfio-pci", "sysfsdev", &arg);
  const char *fd = qemu_props_get (option->props, "fd");
  if (host != NULL)
    {
      ep->host_bdf = pci_bdf_normalize (host);
      if (ep->host_bdf == NULL)
        {
          ep->host_unknown = g_strdup_printf ("host=%s is not a PCI address", host);
          qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED, "host=DDDD:BB:DD.F, as `lspci -D` shows it",
                         "vfio-pci host=%s is not a PCI address; QEMU exits", host);
        }
    }
  else if (sysfsdev != NULL)
    {
      g_autofree char *base = g_path_get_basename (sysfsdev);
      ep->host_bdf = pci_bdf_normalize (base);
      if (ep->host_bdf == NULL)
        ep->host_unknown = g_strdup_printf ("sysfsdev=%s names no PCI device directory (a mediated device?)",
                                            sysfsdev);
    }
  else
    ep->host_unknown = g_strdup_printf ("the command line names no host= or sysfsdev=: %s", fd != NULL
                                          ? "the device is passed by file descriptor (fd=)"
                                          : "libvirt passes the device by file descriptor when it starts QEMU, "
                                            "and domxml-to-native prints no host address");
  const char *iommufd = model_device_prop (mb, option, "vfio-pci", "iommufd", &arg);
  if (iommufd == NULL)
    return;
  const qemu_option *object = g_hash_table_lookup (mb->objects, iommufd);
  if (object == NULL || g_strcmp0 (qemu_props_get (object->props, "qom-type"), "iommufd") != 0)
    qemu_note_add (mb->cl->notes, arg, QEMU_NOTE_REFUSED, "add -object iommufd,id=ID once and name that id",
                   "vfio-pci iommufd=%s names no -object iommufd; QEMU exits: \"Device '%s' not found\"", iommufd,
                   iommufd);
  /* What was meant is iommufd either way; the note says what is wrong. */
  ep->iommufd = TRI_YES;
}

static void
read_endpoint (model_builder *mb, const qemu_option *option, const char *driver, gboolean vfio, const char *id)
{
  guest_endpoint *ep = guest_endpoint_new (vfio ? GUEST_EP_HOSTDEV : GUEST_EP_EMULATED);
  ep->model = g_strdup (driver);
  ep->element = g_strdup (option->name);
  ep->id = g_strdup (id);
  ep->line = option->arg;
  const char *bus = qemu_props_get (option->props, "bus");
  ep->bus = model_resolve_bus (mb, bus, &ep->bus_ref, &ep->comment);
  ep->address_explicit = bus != NULL;
  read_addr (option, &ep->slot, &ep->function);
  ep->multifunction = read_multifunction (option);
  check_pxb_child (mb, ep->bus, option, driver);
  if (vfio)
    read_vfio (mb, option, ep);
  g_ptr_array_add (mb->dom->endpoints, ep);
}

void
model_read_device (model_builder *mb, const qemu_option *option, const char *driver)
{
  if (driver == NULL)
    {
      qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED, "name the device first: -device DRIVER,…",
                     "-device %s: no driver; QEMU exits: \"Parameter 'driver' is missing\"", option->value);
      return;
    }
  guest_bus_kind kind = GUEST_BUS_OTHER;
  const char *iommu_model = NULL;
  g_autofree char *owned = NULL;
  driver = canonical_driver (driver, &owned);
  device_role role = classify (driver, &kind, &iommu_model);
  const char *id = qemu_props_get (option->props, "id");
  const char *bus = qemu_props_get (option->props, "bus");
  if (id != NULL && !g_hash_table_add (mb->device_ids, (gpointer) id))
    {
      qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED, "give each device its own id",
                     "-device %s with id '%s' a second time; QEMU exits: \"Duplicate ID '%s' for device\"", driver,
                     id, id);
      return;
    }
  if (role == DEVICE_UNKNOWN && bus != NULL && g_hash_table_contains (mb->buses, bus))
    role = DEVICE_ENDPOINT; /* plugged into a PCI bus: a PCI device */
  switch (role)
    {
    case DEVICE_PCI_BUS:
      read_bus (mb, option, driver, kind, id);
      break;
    case DEVICE_SMMUV3:
      read_smmuv3 (mb, option, id);
      break;
    case DEVICE_IOMMU:
      {
        guest_iommu *iommu = guest_iommu_new ();
        iommu->model = g_strdup (iommu_model);
        iommu->id = display_id (id, driver, option->arg);
        iommu->line = option->arg;
        g_ptr_array_add (mb->dom->iommus, iommu);
      }
      break;
    case DEVICE_VFIO:
    case DEVICE_ENDPOINT:
      read_endpoint (mb, option, driver, role == DEVICE_VFIO, id);
      break;
    case DEVICE_NOT_PCI:
      break;
    case DEVICE_UNKNOWN:
      qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_UNKNOWN,
                     "give it bus= naming a PCI bus of the command line if it is a PCI device",
                     "-device %s: a device smmuctl does not know; if it is a PCI device it is not checked", driver);
      break;
    }
}
