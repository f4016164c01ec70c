/* Reading <devices> of libvirt domain XML: PCI controllers, IOMMUs, and the
 * endpoints (passthrough and emulated) with their guest addresses; plus
 * what libvirt adds to a domain by itself at define time. */
#include <string.h>

#include "domainxml_internal.h"

/* One PCI segment has 256 buses of 32 slots of 8 functions: a document with
 * more devices than that cannot be a real domain, and the bound keeps the
 * work of the rules linear in practice. */
#define MAX_PCI_CONTROLLER_INDEX 255
#define MAX_DEVICES 65536

/* Which device element: its name and ordinal among same-named siblings, made
 * into "/domain/devices/hostdev[2]" only for what the model keeps (printf
 * per device showed in profiles of 2,000-file runs). */
typedef struct {
  const char *element;
  guint ordinal;
} device_where;

static char *
device_path (const device_where *where)
{
  char digits[12];
  gsize i = sizeof digits - 1;
  guint n = where->ordinal;
  digits[i] = '\0';
  do
    digits[--i] = (char) ('0' + n % 10);
  while ((n /= 10) > 0 && i > 0);
  return g_strconcat ("/domain/devices/", where->element, "[", digits + i, "]", NULL);
}

/* ---- guest PCI addresses ---- */

typedef struct {
  int bus, slot, function;  /* -1 unless explicit */
  gboolean explicit_address;
  gboolean is_pci;          /* FALSE for virtio-mmio, usb, drive, … addresses */
  tristate multifunction;   /* multifunction='on|off'; UNKNOWN when not written */
} guest_address;

/* <address type='pci' …/>.  libvirt treats domain, bus and slot all zero as
 * "no address" and assigns one itself. */
static gboolean
read_guest_address (reader *r, const xmlNode *owner, guest_address *out)
{
  const xmlNode *addr = xml_child (owner, "address");
  *out = (guest_address) { -1, -1, -1, FALSE, TRUE, TRI_UNKNOWN };
  if (addr == NULL)
    return TRUE;
  if (!xml_attr_is (r, addr, "type", "pci"))
    {
      out->is_pci = FALSE;
      return TRUE;
    }
  int domain = 0, bus = 0, slot = 0, function = 0;
  tristate multifunction = TRI_UNKNOWN;
  if (!reader_number (r, addr, "domain", 0, 0xffff, &domain) || !reader_number (r, addr, "bus", 0, 0xff, &bus)
      || !reader_number (r, addr, "slot", 0, 0x1f, &slot) || !reader_number (r, addr, "function", 0, 7, &function)
      || !reader_yes_no (r, addr, "multifunction", &multifunction))
    return FALSE;
  if (domain == 0 && bus == 0 && slot == 0)
    return TRUE;
  *out = (guest_address) { bus, slot, function, TRUE, TRUE, multifunction };
  return TRUE;
}

/* ---- <controller type='pci'> ---- */

/* <pcihole64> on pcie-root: the 64-bit window, which libvirt 12.9 passes to
 * QEMU virt as highmem-mmio-size=NK. */
static gboolean
read_pcihole64 (reader *r, const xmlNode *n, const guest_bus *bus, const device_where *where)
{
  const xmlNode *hole = xml_child (n, "pcihole64");
  if (hole == NULL || bus->kind != GUEST_BUS_PCIE_ROOT)
    return TRUE;
  g_autofree char *value = xml_text (hole);
  const char *unit = xml_attr (r, hole, "unit");
  guint64 kib = 0;
  if (!parse_memory_kib (value, unit, &kib) || kib > G_MAXUINT64 / 1024)
    return reader_fail (r, hole, "<pcihole64 unit='%s'>%s</pcihole64>: not a size (libvirt refuses it too)",
                        unit ? unit : "KiB", value);
  guest_domain *dom = r->dom;
  dom->mmio64_size = kib * 1024;
  dom->mmio64_line = xml_line (hole);
  dom->mmio64_source = GUEST_MMIO64_PCIHOLE64;
  g_autofree char *path = device_path (where);
  g_free (dom->mmio64_path);
  dom->mmio64_path = g_strconcat (path, "/pcihole64", NULL);
  return TRUE;
}

static gboolean
read_pci_controller (reader *r, const xmlNode *n, const device_where *where)
{
  int index = -1;
  if (!reader_number (r, n, "index", 10, MAX_PCI_CONTROLLER_INDEX, &index))
    return FALSE;
  const char *model = xml_attr (r, n, "model");
  if (model == NULL) /* libvirt's defaults for a PCIe machine */
    model = index == 0 ? "pcie-root" : "pcie-root-port";
  guest_bus *bus = guest_bus_new (index, guest_bus_kind_from_model (model));
  g_ptr_array_add (r->dom->buses, bus);
  g_free (bus->model);
  bus->model = g_strdup (model);
  bus->line = xml_line (n);
  bus->path = device_path (where);
  const char *alias = xml_attr (r, xml_child (n, "alias"), "name");
  if (alias != NULL)
    {
      g_free (bus->id);
      bus->id = g_strdup (alias);
    }
  const xmlNode *target = xml_child (n, "target");
  if (target != NULL)
    {
      /* busNr 255 (and 0) libvirt refuses: SMU401 says so in its words. */
      if (!reader_number (r, target, "busNr", 10, 255, &bus->bus_nr)
          || !reader_number (r, target, "chassis", 0, 255, &bus->chassis)
          || !reader_number (r, target, "port", 0, 255, &bus->port)
          || !reader_yes_no (r, target, "hotplug", &bus->hotplug))
        return FALSE;
      const xmlNode *node = xml_child (target, "node");
      if (node != NULL)
        {
          g_autofree char *s = xml_text (node);
          guint64 v;
          if (!parse_unsigned (s, 10, G_MAXINT16, &v))
            return reader_fail (r, node, "<node>%s</node>: not a NUMA node number", s);
          bus->numa_node = (int) v;
        }
    }
  guest_address address;
  if (!read_guest_address (r, n, &address))
    return FALSE;
  bus->parent = address.bus;
  bus->slot = address.slot;
  bus->function = address.function;
  bus->address_explicit = address.explicit_address;
  bus->multifunction = address.multifunction;
  return read_pcihole64 (r, n, bus, where);
}

/* ---- <iommu> ---- */

/* <driver> attributes of an smmuv3: upstream spellings and the ones forks
 * and drafts used (SMU003 names the upstream one). */
static const struct {
  const char *spelling;
  vsmmu_prop_id id;
} smmuv3_driver_attrs[] = {
  { "accel", VSMMU_PROP_ACCEL }, { "ats", VSMMU_PROP_ATS },   { "ril", VSMMU_PROP_RIL },
  { "ssidsize", VSMMU_PROP_SSIDSIZE }, { "oas", VSMMU_PROP_OAS }, { "cmdqv", VSMMU_PROP_CMDQV },
  { "ssidSize", VSMMU_PROP_SSIDSIZE }, { "pasid", VSMMU_PROP_SSIDSIZE },
};

static gboolean
read_vsmmu_prop (reader *r, const xmlNode *driver, const char *spelling, vsmmu_prop_id id,
                 const char *value, vsmmu_prop *p)
{
  gboolean is_switch = id == VSMMU_PROP_ACCEL || id == VSMMU_PROP_CMDQV || id == VSMMU_PROP_ATS
                       || id == VSMMU_PROP_RIL;
  guint64 number;
  if (strcmp (value, "auto") == 0 && id != VSMMU_PROP_ACCEL)
    p->state = PROP_AUTO; /* QEMU's value, not libvirt's: SMU209 says libvirt refuses it at define */
  else if ((is_switch || strcmp (spelling, "pasid") == 0) && strcmp (value, "on") == 0)
    {
      p->state = PROP_VALUE;
      /* A fork's pasid='on' meant "PASID support": QEMU's largest SSID width. */
      p->value = id == VSMMU_PROP_SSIDSIZE ? 20 : 1;
    }
  else if ((is_switch || strcmp (spelling, "pasid") == 0) && strcmp (value, "off") == 0)
    {
      p->state = PROP_VALUE;
      p->value = 0;
    }
  else if (!is_switch && parse_unsigned (value, 10, G_MAXUINT32, &number))
    {
      p->state = PROP_VALUE;
      p->value = (guint) number;
    }
  else
    return reader_fail (r, driver, "<driver %s='%s'>: expected %s", spelling, value,
                 is_switch ? "on or off" : "a number or auto");
  p->spelling = g_strdup (spelling);
  p->line = xml_line (driver);
  return TRUE;
}

static gboolean
read_iommu (reader *r, const xmlNode *n, const device_where *where)
{
  guest_iommu *iommu = guest_iommu_new ();
  g_ptr_array_add (r->dom->iommus, iommu);
  iommu->model = g_strdup (xml_attr (r, n, "model"));
  iommu->line = xml_line (n);
  iommu->path = device_path (where);
  iommu->id = g_strdup (xml_attr (r, xml_child (n, "alias"), "name"));
  if (iommu->id == NULL)
    iommu->id = g_strdup_printf ("iommu%u", r->dom->iommus->len - 1);
  const xmlNode *driver = xml_child (n, "driver");
  gboolean smmuv3 = g_strcmp0 (iommu->model, "smmuv3") == 0;
  for (const xmlAttr *a = driver != NULL ? driver->properties : NULL; a != NULL; a = a->next)
    {
      const char *name = (const char *) a->name;
      const char *value = xml_attr (r, driver, name);
      if (value == NULL)
        continue;
      if (strcmp (name, "pciBus") == 0)
        {
          if (!reader_number (r, driver, "pciBus", 0, G_MAXINT16, &iommu->pci_bus))
            return FALSE;
          continue;
        }
      if (!smmuv3)
        continue; /* intremap, caching_mode, …: other models' business */
      gboolean known = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (smmuv3_driver_attrs) && !known; i++)
        {
          if (strcmp (smmuv3_driver_attrs[i].spelling, name) != 0)
            continue;
          known = TRUE;
          vsmmu_prop *p = &iommu->props[smmuv3_driver_attrs[i].id];
          if (p->state != PROP_ABSENT) /* ssidsize and ssidSize both: the second is noise */
            g_ptr_array_add (iommu->unknown_attrs, g_strdup (name));
          else if (!read_vsmmu_prop (r, driver, name, smmuv3_driver_attrs[i].id, value, p))
            return FALSE;
        }
      if (!known)
        g_ptr_array_add (iommu->unknown_attrs, g_strdup (name));
    }
  if (smmuv3 && iommu->pci_bus < 0 && r->dom->iommu_machine_wide_line == 0)
    r->dom->iommu_machine_wide_line = iommu->line;
  return TRUE;
}

/* ---- endpoints ---- */

static char *
pci_bdf_of (reader *r, const xmlNode *addr, gboolean *ok)
{
  int domain = 0, bus = 0, slot = 0, function = 0;
  *ok = reader_number (r, addr, "domain", 0, 0xffff, &domain) && reader_number (r, addr, "bus", 0, 0xff, &bus)
        && reader_number (r, addr, "slot", 0, 0x1f, &slot) && reader_number (r, addr, "function", 0, 7, &function);
  return *ok ? g_strdup_printf ("%04x:%02x:%02x.%x", domain, bus, slot, function) : NULL;
}

/* What QEMU device an emulated element becomes, or NULL when it is not a PCI
 * endpoint.  Defaults are libvirt's for aarch64 virt. */
static const char *
emulated_model (reader *r, const xmlNode *n, char **owned)
{
  const char *element = (const char *) n->name;
  const char *type = xml_attr (r, n, "type");
  const char *model = xml_attr (r, n, "model");
  const char *sub_type = xml_attr (r, xml_child (n, "model"), "type");
  if (strcmp (element, "interface") == 0)
    return sub_type == NULL || g_str_has_prefix (sub_type, "virtio") ? "virtio-net-pci"
                                                                      : sub_type;
  if (strcmp (element, "disk") == 0)
    {
      const xmlNode *target = xml_child (n, "target");
      const char *bus = xml_attr (r, target, "bus");
      const char *dev = xml_attr (r, target, "dev");
      gboolean virtio = bus != NULL ? strcmp (bus, "virtio") == 0 : g_str_has_prefix (dev != NULL ? dev : "", "vd");
      return virtio ? "virtio-blk-pci" : NULL;
    }
  if (strcmp (element, "controller") == 0)
    {
      if (g_strcmp0 (type, "usb") == 0)
        return model == NULL ? "qemu-xhci" : strcmp (model, "none") == 0 ? NULL : model;
      if (g_strcmp0 (type, "scsi") == 0)
        return model == NULL || strcmp (model, "virtio-scsi") == 0 ? "virtio-scsi-pci" : model;
      if (g_strcmp0 (type, "virtio-serial") == 0)
        return "virtio-serial-pci";
      if (g_strcmp0 (type, "sata") == 0)
        return "ich9-ahci";
      if (g_strcmp0 (type, "nvme") == 0)
        return "nvme";
      return NULL;
    }
  if (strcmp (element, "video") == 0)
    {
      static const char *const video[][2] = { { "virtio", "virtio-gpu-pci" }, { "vga", "VGA" },
                                              { "bochs", "bochs-display" }, { "qxl", "qxl-vga" },
                                              { "cirrus", "cirrus-vga" } };
      if (sub_type == NULL)
        return "virtio-gpu-pci";
      for (gsize i = 0; i < G_N_ELEMENTS (video); i++)
        if (strcmp (sub_type, video[i][0]) == 0)
          return video[i][1];
      return NULL; /* ramfb, none: not on PCI */
    }
  if (strcmp (element, "memballoon") == 0)
    return model != NULL && g_str_has_prefix (model, "virtio") ? "virtio-balloon-pci" : NULL;
  if (strcmp (element, "rng") == 0)
    return model != NULL && g_str_has_prefix (model, "virtio") ? "virtio-rng-pci" : NULL;
  if (strcmp (element, "input") == 0)
    {
      if (!xml_attr_is (r, n, "bus", "virtio"))
        return NULL;
      return *owned = g_strdup_printf ("virtio-%s-pci", g_strcmp0 (type, "passthrough") == 0 ? "input-host"
                                                        : type != NULL ? type : "tablet");
    }
  if (strcmp (element, "sound") == 0)
    return g_strcmp0 (model, "ich9") == 0 ? "ich9-intel-hda"
           : g_strcmp0 (model, "ich6") == 0 || g_strcmp0 (model, "ich7") == 0 ? "intel-hda"
           : g_strcmp0 (model, "es1370") == 0 || g_strcmp0 (model, "ac97") == 0 ? model
           : NULL;
  if (strcmp (element, "watchdog") == 0)
    return g_strcmp0 (model, "i6300esb") == 0 ? "i6300esb" : NULL;
  if (strcmp (element, "vsock") == 0)
    return "vhost-vsock-pci";
  if (strcmp (element, "filesystem") == 0)
    return xml_attr_is (r, xml_child (n, "driver"), "type", "virtiofs") ? "vhost-user-fs-pci" : "virtio-9p-pci";
  if (strcmp (element, "shmem") == 0)
    return "ivshmem-plain";
  if (strcmp (element, "crypto") == 0)
    return "virtio-crypto-pci";
  if (strcmp (element, "serial") == 0 && xml_attr_is (r, xml_child (n, "target"), "type", "pci-serial"))
    return "pci-serial";
  /* Anything else that declares a PCI address is a PCI device too. */
  if (xml_attr_is (r, xml_child (n, "address"), "type", "pci"))
    return element;
  return NULL;
}

static guest_endpoint *
add_endpoint (reader *r, guest_endpoint_kind kind, const xmlNode *n, const device_where *where, const char *model,
              const guest_address *address)
{
  guest_endpoint *ep = guest_endpoint_new (kind);
  g_ptr_array_add (r->dom->endpoints, ep);
  ep->model = g_strdup (model);
  ep->element = g_strdup ((const char *) n->name);
  ep->id = g_strdup (xml_attr (r, xml_child (n, "alias"), "name"));
  ep->line = xml_line (n);
  ep->path = where != NULL ? device_path (where) : g_strdup ("/domain/devices");
  ep->bus = address->bus;
  ep->slot = address->slot;
  ep->function = address->function;
  ep->address_explicit = address->explicit_address;
  ep->multifunction = address->multifunction;
  return ep;
}

/* <hostdev type='pci'|'mdev'> and <interface type='hostdev'>: vfio-pci. */
static gboolean
read_hostdev (reader *r, const xmlNode *n, const device_where *where)
{
  const char *type = xml_attr (r, n, "type");
  gboolean interface = xml_is_element (n, "interface");
  if (!interface && g_strcmp0 (type, "pci") != 0 && g_strcmp0 (type, "mdev") != 0)
    return TRUE; /* usb, scsi, capabilities: not PCI endpoints */
  guest_address address;
  if (!read_guest_address (r, n, &address))
    return FALSE;
  if (!address.is_pci)
    return TRUE;
  guest_endpoint *ep = add_endpoint (r, GUEST_EP_HOSTDEV, n, where, "vfio-pci", &address);
  ep->managed = xml_attr_is (r, n, "managed", "yes");
  const xmlNode *source_address = xml_child (xml_child (n, "source"), "address");
  if (source_address != NULL && (interface || g_strcmp0 (type, "pci") == 0))
    {
      gboolean ok;
      ep->host_bdf = pci_bdf_of (r, source_address, &ok);
      if (!ok)
        return FALSE;
    }
  if (!reader_yes_no (r, xml_child (n, "driver"), "iommufd", &ep->iommufd))
    return FALSE;
  if (ep->iommufd == TRI_UNKNOWN && r->dom->domain_iommufd != TRI_UNKNOWN)
    {
      ep->iommufd = r->dom->domain_iommufd;
      ep->iommufd_from_domain = TRUE;
    }
  return TRUE;
}

static gboolean
read_emulated (reader *r, const xmlNode *n, const device_where *where)
{
  g_autofree char *owned = NULL;
  const char *model = emulated_model (r, n, &owned);
  guest_address address;
  if (model == NULL)
    return TRUE;
  if (!read_guest_address (r, n, &address))
    return FALSE;
  if (address.is_pci)
    add_endpoint (r, GUEST_EP_EMULATED, n, where, model, &address);
  return TRUE;
}

/* ---- <devices> ---- */

static gboolean
read_devices (reader *r, const xmlNode *devices)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint count = 0;
  for (const xmlNode *n = devices->children; n != NULL; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE || n->ns != NULL)
        continue;
      if (++count > MAX_DEVICES)
        return reader_fail (r, n, "more than %d devices: no PCI topology holds that many", MAX_DEVICES);
      /* Ordinals are counted here, not by xmlGetNodePath, which rescans the
       * siblings for every node. */
      const char *element = (const char *) n->name;
      guint ordinal = GPOINTER_TO_UINT (g_hash_table_lookup (seen, element)) + 1;
      g_hash_table_insert (seen, (gpointer) element, GUINT_TO_POINTER (ordinal));
      const device_where where = { element, ordinal };

      gboolean ok;
      if (strcmp (element, "controller") == 0 && xml_attr_is (r, n, "type", "pci"))
        ok = read_pci_controller (r, n, &where);
      else if (strcmp (element, "iommu") == 0)
        ok = read_iommu (r, n, &where);
      else if (strcmp (element, "hostdev") == 0
               || (strcmp (element, "interface") == 0 && xml_attr_is (r, n, "type", "hostdev")))
        ok = read_hostdev (r, n, &where);
      else
        ok = read_emulated (r, n, &where);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static gboolean
has_device (reader *r, const xmlNode *devices, const char *element, const char *type)
{
  for (const xmlNode *n = devices->children; n != NULL; n = n->next)
    if (xml_is_element (n, element) && (type == NULL || xml_attr_is (r, n, "type", type)))
      return TRUE;
  return FALSE;
}

static gboolean
has_virtio_channel (reader *r, const xmlNode *devices)
{
  for (const xmlNode *n = devices->children; n != NULL; n = n->next)
    if ((xml_is_element (n, "channel") || xml_is_element (n, "console"))
        && xml_attr_is (r, xml_child (n, "target"), "type", "virtio"))
      return TRUE;
  return FALSE;
}

static void
add_implicit_endpoint (reader *r, const xmlNode *devices, const char *element, const char *model,
                       const char *id, const char *why)
{
  guest_address none = { -1, -1, -1, FALSE, TRUE, TRI_UNKNOWN };
  guest_endpoint *ep = add_endpoint (r, GUEST_EP_EMULATED, devices, NULL, model, &none);
  g_free (ep->element);
  ep->element = g_strdup (element);
  ep->id = g_strdup (id);
  ep->comment = g_strdup (why);
}

/* What libvirt adds at define time that lands on PCI.  No memballoon on Arm:
 * libvirt 12.9 and 11.3 add none to an aarch64 domain (nor a USB
 * controller); an x86_64 q35 domain without <memballoon> gets a virtio one. */
static void
add_implicit_devices (reader *r, const xmlNode *devices)
{
  guest_domain *dom = r->dom;
  gboolean qemu_driver = g_strcmp0 (dom->domain_type, "kvm") == 0 || g_strcmp0 (dom->domain_type, "qemu") == 0;
  gboolean arm = dom->arch == NULL || g_str_has_prefix (dom->arch, "aarch64") || g_str_has_prefix (dom->arch, "arm");
  if (devices != NULL && qemu_driver && !arm && !has_device (r, devices, "memballoon", NULL))
    add_implicit_endpoint (r, devices, "memballoon", "virtio-balloon-pci", "balloon0",
                           "implicit: libvirt adds a virtio memballoon when <memballoon> is absent");
  if (devices != NULL && has_virtio_channel (r, devices) && !has_device (r, devices, "controller", "virtio-serial"))
    add_implicit_endpoint (r, devices, "controller", "virtio-serial-pci", "virtio-serial0",
                           "implicit: libvirt adds a virtio-serial controller for virtio channels");
}

static int
compare_bus_index (gconstpointer a, gconstpointer b)
{
  int ia = (*(const guest_bus *const *) a)->index;
  int ib = (*(const guest_bus *const *) b)->index;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/* Controllers without index get the next free one, as libvirt does; two
 * with one index are refused, as libvirt does. */
static gboolean
settle_controller_indexes (reader *r, const xmlNode *devices)
{
  guest_domain *dom = r->dom;
  int max = -1;
  for (guint i = 0; i < dom->buses->len; i++)
    max = MAX (max, ((guest_bus *) g_ptr_array_index (dom->buses, i))->index);
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->index < 0)
        {
          bus->index = ++max;
          g_free (bus->id);
          bus->id = g_strdup_printf ("pci.%d", bus->index);
        }
    }
  if (guest_find_bus (dom, 0) == NULL)
    {
      /* libvirt adds pcie-root (pci-root on i440fx) as controller 0. */
      gboolean legacy_pc = dom->machine != NULL
                           && (strcmp (dom->machine, "pc") == 0 || g_str_has_prefix (dom->machine, "pc-i440fx"));
      guest_bus *root = guest_bus_new (0, legacy_pc ? GUEST_BUS_OTHER : GUEST_BUS_PCIE_ROOT);
      root->comment = g_strdup ("implicit: libvirt adds controller 0");
      g_ptr_array_add (dom->buses, root);
    }
  g_ptr_array_sort (dom->buses, compare_bus_index);
  for (guint i = 1; i < dom->buses->len; i++)
    {
      guest_bus *a = g_ptr_array_index (dom->buses, i - 1), *b = g_ptr_array_index (dom->buses, i);
      if (a->index == b->index)
        {
          const xmlNode *where = devices;
          for (const xmlNode *n = devices->children; n != NULL; n = n->next)
            if (n->type == XML_ELEMENT_NODE && xml_line (n) == MAX (a->line, b->line))
              where = n;
          return reader_fail (r, where, "two PCI controllers with index %d (lines %d and %d); libvirt refuses that",
                       a->index, a->line, b->line);
        }
    }
  if (max > MAX_PCI_CONTROLLER_INDEX)
    return reader_fail (r, devices, "more than %d PCI controllers", MAX_PCI_CONTROLLER_INDEX + 1);
  return TRUE;
}

gboolean
reader_devices (reader *r, const xmlNode *devices, const xmlNode *root)
{
  if (devices != NULL)
    {
      if (!read_devices (r, devices))
        return FALSE;
      add_implicit_devices (r, devices);
    }
  return settle_controller_indexes (r, devices != NULL ? devices : root);
}
