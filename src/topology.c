/* The guest topology model: constructors, the controller-model table and the
 * questions every reader of the model asks (which root complex is this bus
 * under, which IOMMU serves it, which bus numbers does it take). */
#include "topology.h"

#include <string.h>

/* libvirt controller models; the first row of a kind is its canonical name. */
static const struct {
  const char *model;
  guest_bus_kind kind;
} bus_models[] = {
  { "pcie-root", GUEST_BUS_PCIE_ROOT },
  { "pcie-expander-bus", GUEST_BUS_PXB_PCIE },
  { "pcie-root-port", GUEST_BUS_ROOT_PORT },
  { "pcie-switch-upstream-port", GUEST_BUS_SWITCH_UPSTREAM },
  { "pcie-switch-downstream-port", GUEST_BUS_SWITCH_DOWNSTREAM },
  { "pcie-to-pci-bridge", GUEST_BUS_PCI_BRIDGE },
  { "pci-bridge", GUEST_BUS_PCI_BRIDGE },
  { "dmi-to-pci-bridge", GUEST_BUS_PCI_BRIDGE },
  { "pci-root", GUEST_BUS_OTHER },
  { "pci-expander-bus", GUEST_BUS_OTHER },
};

const char *
guest_bus_kind_model (guest_bus_kind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bus_models); i++)
    if (bus_models[i].kind == kind)
      return bus_models[i].model;
  return "unknown";
}

guest_bus_kind
guest_bus_kind_from_model (const char *model)
{
  if (model == NULL)
    return GUEST_BUS_OTHER;
  for (gsize i = 0; i < G_N_ELEMENTS (bus_models); i++)
    if (strcmp (bus_models[i].model, model) == 0)
      return bus_models[i].kind;
  return GUEST_BUS_OTHER;
}

gboolean
guest_bus_is_root_complex (guest_bus_kind kind)
{
  return kind == GUEST_BUS_PCIE_ROOT || kind == GUEST_BUS_PXB_PCIE;
}

gboolean
guest_iommu_is_accel (const guest_iommu *iommu)
{
  const vsmmu_prop *accel = &iommu->props[VSMMU_PROP_ACCEL];
  return accel->state == PROP_VALUE && accel->value != 0;
}

/* ---- constructors ---- */

guest_domain *
guest_domain_new (void)
{
  guest_domain *dom = g_new0 (guest_domain, 1);
  dom->buses = g_ptr_array_new_with_free_func ((GDestroyNotify) guest_bus_free);
  dom->iommus = g_ptr_array_new_with_free_func ((GDestroyNotify) guest_iommu_free);
  dom->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) guest_endpoint_free);
  dom->numa_cells = g_array_new (FALSE, TRUE, sizeof (guest_numa_cell));
  return dom;
}

void
guest_domain_free (guest_domain *dom)
{
  if (dom == NULL)
    return;
  g_free (dom->name);
  g_free (dom->domain_type);
  g_free (dom->arch);
  g_free (dom->machine);
  g_free (dom->mmio64_path);
  g_ptr_array_unref (dom->buses);
  g_ptr_array_unref (dom->iommus);
  g_ptr_array_unref (dom->endpoints);
  for (guint i = 0; i < dom->numa_cells->len; i++)
    g_free (g_array_index (dom->numa_cells, guest_numa_cell, i).cpus);
  g_array_unref (dom->numa_cells);
  g_free (dom);
}

guest_bus *
guest_bus_new (int index, guest_bus_kind kind)
{
  guest_bus *bus = g_new0 (guest_bus, 1);
  bus->index = index;
  bus->kind = kind;
  bus->model = g_strdup (guest_bus_kind_model (kind));
  bus->id = index == 0 && kind == GUEST_BUS_PCIE_ROOT ? g_strdup ("pcie.0")
                                                      : g_strdup_printf ("pci.%d", index);
  bus->parent = -1;
  bus->slot = bus->function = -1;
  bus->bus_nr = -1;
  bus->numa_node = -1;
  bus->chassis = bus->port = -1;
  bus->root_complex = -1;
  return bus;
}

void
guest_bus_free (guest_bus *bus)
{
  if (bus == NULL)
    return;
  g_free (bus->model);
  g_free (bus->id);
  g_free (bus->comment);
  g_free (bus->path);
  g_free (bus->parent_ref);
  g_free (bus);
}

guest_iommu *
guest_iommu_new (void)
{
  guest_iommu *iommu = g_new0 (guest_iommu, 1);
  iommu->pci_bus = -1;
  iommu->unknown_attrs = g_ptr_array_new_with_free_func (g_free);
  return iommu;
}

void
guest_iommu_free (guest_iommu *iommu)
{
  if (iommu == NULL)
    return;
  g_free (iommu->model);
  g_free (iommu->id);
  for (int i = 0; i < VSMMU_N_PROPS; i++)
    g_free (iommu->props[i].spelling);
  g_ptr_array_unref (iommu->unknown_attrs);
  g_free (iommu->host_smmu);
  g_free (iommu->comment);
  g_free (iommu->path);
  g_free (iommu->pci_bus_ref);
  g_free (iommu);
}

guest_endpoint *
guest_endpoint_new (guest_endpoint_kind kind)
{
  guest_endpoint *ep = g_new0 (guest_endpoint, 1);
  ep->kind = kind;
  ep->bus = ep->slot = ep->function = -1;
  return ep;
}

void
guest_endpoint_free (guest_endpoint *ep)
{
  if (ep == NULL)
    return;
  g_free (ep->model);
  g_free (ep->element);
  g_free (ep->id);
  g_free (ep->host_bdf);
  g_free (ep->comment);
  g_free (ep->path);
  g_free (ep->bus_ref);
  g_free (ep->host_unknown);
  g_free (ep);
}

/* ---- lookups ---- */

guest_bus *
guest_find_bus (const guest_domain *dom, int index)
{
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->index == index)
        return bus;
    }
  return NULL;
}

guest_iommu *
guest_iommu_for_root_complex (const guest_domain *dom, int rc_index)
{
  guest_iommu *machine_wide = NULL;
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      if (iommu->pci_bus == rc_index && rc_index >= 0)
        return iommu;
      if (iommu->pci_bus < 0 && machine_wide == NULL)
        machine_wide = iommu;
    }
  /* A machine-wide IOMMU (-machine virt,iommu=smmuv3, or <iommu> without
   * pciBus) translates pcie.0 only: QEMU's IORT maps pxb buses around it. */
  if (machine_wide != NULL)
    {
      guest_bus *rc = guest_find_bus (dom, rc_index);
      if (rc != NULL && rc->kind == GUEST_BUS_PCIE_ROOT)
        return machine_wide;
    }
  return NULL;
}

static const guest_bus *
find_in_domain (gconstpointer data, int index)
{
  return guest_find_bus (data, index);
}

int
guest_root_complex_walk (const guest_domain *dom, int bus_index, guest_bus_lookup find, gconstpointer data)
{
  if (find == NULL)
    find = find_in_domain, data = dom;
  const guest_bus *bus = bus_index >= 0 ? find (data, bus_index) : NULL;
  if (bus != NULL && bus->root_complex >= 0)
    return bus->root_complex;
  /* Walk up the parents; a chain longer than the number of buses is a loop
   * in the XML (controller A plugged into B plugged into A). */
  guint steps = 0;
  for (; bus != NULL; bus = bus->parent >= 0 ? find (data, bus->parent) : NULL)
    {
      if (guest_bus_is_root_complex (bus->kind))
        return bus->index;
      if (bus->parent < 0 || ++steps > dom->buses->len)
        return -1;
    }
  return -1;
}

int
guest_root_complex_of_bus (const guest_domain *dom, int bus_index)
{
  return guest_root_complex_walk (dom, bus_index, NULL, NULL);
}

void
guest_domain_resolve (guest_domain *dom)
{
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      bus->root_complex = guest_root_complex_of_bus (dom, bus->index);
    }
}

void
guest_root_complex_bus_range (const guest_domain *dom, int rc_index, int *first, int *last)
{
  guest_bus *rc = guest_find_bus (dom, rc_index);
  int start = 0;
  if (rc != NULL && rc->kind == GUEST_BUS_PXB_PCIE)
    start = MAX (rc->bus_nr, 0);
  int below = 0;
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (guest_bus_is_root_complex (bus->kind))
        continue;
      int rc = guest_root_complex_of_bus (dom, bus->index);
      if (rc == rc_index)
        below++;
    }
  *first = start;
  *last = start + below;
}

int
guest_bus_nr_alloc (const GArray *taken, int size, int last_bus)
{
  for (int start = MIN (last_bus - size + 1, last_bus - 1); start >= 1 && size > 0; start--)
    {
      gboolean clear = TRUE;
      for (guint i = 0; i < taken->len && clear; i++)
        {
          const guest_bus_range *r = &g_array_index (taken, guest_bus_range, i);
          clear = start + size - 1 < r->first || start > r->last;
        }
      if (clear)
        return start;
    }
  return -1;
}

gboolean
guest_has_numa_cell (const guest_domain *dom, int id)
{
  for (guint i = 0; i < dom->numa_cells->len; i++)
    if (g_array_index (dom->numa_cells, guest_numa_cell, i).id == id)
      return TRUE;
  return FALSE;
}

/* ---- libvirt's auto-placement ---- */

/* The order libvirt's qemuDomainAssignDevicePCISlots assigns device kinds
 * in; devices of one kind keep document order. */
static const char *const placement_order[] = {
  "controller", "filesystem", "interface", "sound", "hostdev", "disk", "memballoon",
  "rng", "watchdog", "video", "input", "shmem", "vsock",
};

static guint
placement_rank (const guest_endpoint *ep)
{
  for (guint i = 0; i < G_N_ELEMENTS (placement_order); i++)
    if (g_strcmp0 (ep->element, placement_order[i]) == 0)
      return i;
  return G_N_ELEMENTS (placement_order);
}

static int
compare_placement_rank (gconstpointer a, gconstpointer b)
{
  guint ra = placement_rank (*(const guest_endpoint *const *) a);
  guint rb = placement_rank (*(const guest_endpoint *const *) b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

static gboolean
bus_takes_endpoints (guest_bus_kind kind)
{
  return kind == GUEST_BUS_ROOT_PORT || kind == GUEST_BUS_SWITCH_DOWNSTREAM;
}

static int
max_bus_index (const guest_domain *dom)
{
  int max = -1;
  for (guint i = 0; i < dom->buses->len; i++)
    max = MAX (max, ((guest_bus *) g_ptr_array_index (dom->buses, i))->index);
  return max;
}

/* The port nothing is plugged into with the lowest index; a new root port
 * on pcie.0 when every port is taken, as libvirt adds one. */
static guest_bus *
take_free_port (guest_domain *dom, GHashTable *occupied)
{
  guest_bus *best = NULL;
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus_takes_endpoints (bus->kind) && !g_hash_table_contains (occupied, GINT_TO_POINTER (bus->index))
          && (best == NULL || bus->index < best->index))
        best = bus;
    }
  if (best != NULL)
    {
      g_hash_table_add (occupied, GINT_TO_POINTER (best->index));
      return best;
    }
  guest_bus *port = guest_bus_new (max_bus_index (dom) + 1, GUEST_BUS_ROOT_PORT);
  port->parent = 0;
  port->comment = g_strdup ("pcie-root-port libvirt adds on pcie.0 for a device without an address");
  g_ptr_array_add (dom->buses, port);
  g_hash_table_add (occupied, GINT_TO_POINTER (port->index));
  return port;
}

static guest_bus *
first_bus_of_kind (const guest_domain *dom, guest_bus_kind kind)
{
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->kind == kind)
        return bus;
    }
  return NULL;
}

static void
place_bus (guest_domain *dom, guest_bus *bus, GHashTable *occupied)
{
  switch (bus->kind)
    {
    case GUEST_BUS_PCIE_ROOT:
    case GUEST_BUS_OTHER:
      return;
    case GUEST_BUS_PXB_PCIE:
    case GUEST_BUS_ROOT_PORT:
      bus->parent = 0;
      break;
    case GUEST_BUS_SWITCH_DOWNSTREAM:
      {
        guest_bus *upstream = first_bus_of_kind (dom, GUEST_BUS_SWITCH_UPSTREAM);
        bus->parent = upstream != NULL ? upstream->index : 0;
      }
      break;
    case GUEST_BUS_SWITCH_UPSTREAM:
    case GUEST_BUS_PCI_BRIDGE:
      bus->parent = take_free_port (dom, occupied)->index;
      break;
    }
  g_free (bus->comment);
  bus->comment = g_strdup_printf ("no <address>: libvirt would plug it into %s",
                                  bus->parent == 0 ? "pcie.0" : guest_find_bus (dom, bus->parent)->id);
}

static gint
compare_bus_index (gconstpointer a, gconstpointer b)
{
  const guest_bus *x = *(const guest_bus *const *) a, *y = *(const guest_bus *const *) b;
  return (x->index > y->index) - (x->index < y->index);
}

/* libvirt's implicit controllers for unused indexes below the highest in
 * use: by a controller, or by a device's <address bus=…> (libvirt 12.9 adds
 * root ports 3, 4 and 5 on pcie.0 for a hostdev addressed to a missing bus 5
 * with indexes 3 and 4 unused too, seen in dumpxml after define). */
static void
fill_index_gaps (guest_domain *dom)
{
  guest_bus *root = guest_find_bus (dom, 0);
  int max = max_bus_index (dom);
  int addressed = max;
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->address_explicit && ep->bus <= 255)
        addressed = MAX (addressed, ep->bus);
    }
  if (addressed > max && guest_find_bus (dom, addressed) == NULL)
    max = addressed + 1; /* the addressed bus itself is filled too */
  if (root == NULL || root->kind != GUEST_BUS_PCIE_ROOT || max < 2)
    return;
  g_autofree gboolean *used = g_new0 (gboolean, (gsize) max + 1);
  for (guint i = 0; i < dom->buses->len; i++)
    {
      int index = ((const guest_bus *) g_ptr_array_index (dom->buses, i))->index;
      if (index >= 0 && index <= max)
        used[index] = TRUE;
    }
  for (int index = 1; index < max; index++)
    {
      if (used[index])
        continue;
      guest_bus *port = guest_bus_new (index, GUEST_BUS_ROOT_PORT);
      port->parent = 0;
      port->index_gap = TRUE;
      port->comment = g_strdup_printf ("no controller has index %d: libvirt adds a pcie-root-port on pcie.0 for "
                                       "every unused index below the highest (%d)", index, max);
      g_ptr_array_add (dom->buses, port);
    }
  g_ptr_array_sort (dom->buses, compare_bus_index); /* the model keeps buses in index order */
}

void
guest_domain_place_unaddressed (guest_domain *dom)
{
  fill_index_gaps (dom);
  g_autoptr (GHashTable) occupied = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) unplaced_buses = g_ptr_array_new ();
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->address_explicit)
        g_hash_table_add (occupied, GINT_TO_POINTER (bus->parent));
      else if (bus->index_gap)
        continue; /* placed where libvirt adds it, on pcie.0 */
      else if (!guest_bus_is_root_complex (bus->kind) || bus->kind == GUEST_BUS_PXB_PCIE)
        g_ptr_array_add (unplaced_buses, bus);
    }
  g_autoptr (GPtrArray) unplaced = g_ptr_array_new ();
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->address_explicit)
        g_hash_table_add (occupied, GINT_TO_POINTER (ep->bus));
      else
        g_ptr_array_add (unplaced, ep);
    }

  /* Controllers first, as libvirt does. */
  for (guint i = 0; i < unplaced_buses->len; i++)
    place_bus (dom, g_ptr_array_index (unplaced_buses, i), occupied);

  g_ptr_array_sort (unplaced, compare_placement_rank);
  for (guint i = 0; i < unplaced->len; i++)
    {
      guest_endpoint *ep = g_ptr_array_index (unplaced, i);
      guest_bus *port = take_free_port (dom, occupied);
      ep->bus = port->index;
      ep->slot = 0;
      ep->function = 0;
      g_autofree char *where
        = port->line > 0 ? g_strdup_printf ("libvirt would place it on the first free port, %s (line %d)", port->id,
                                            port->line)
          : port->index_gap ? g_strdup_printf ("libvirt would place it on the root port it adds on pcie.0 for the "
                                               "unused index %d (%s)", port->index, port->id)
                            : g_strdup ("libvirt would place it on a new root port on pcie.0");
      /* Keep what the reader said (an implicit device) before where it lands. */
      char *comment = ep->comment != NULL ? g_strdup_printf ("%s; %s", ep->comment, where)
                                          : g_strdup_printf ("no <address>: %s", where);
      g_free (ep->comment);
      ep->comment = comment;
    }
}
