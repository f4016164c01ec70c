/* The planner (SPEC §5): which devices, grouped how, on which root complex,
 * port and vSMMU.  Selection and the checks that refuse a plan live in
 * planner_select.c; NUMA cells, indexes, slots and bus numbers in
 * planner_numbers.c; the vSMMU properties and the MMIO window in
 * planner_props.c. */
#include "planner.h"
#include "planner_private.h"

#include <string.h>

#include "errors.h"
#include "mmio64.h"

static const struct {
  plan_layout layout;
  const char *name;
} layouts[] = {
  { PLAN_LAYOUT_PER_SMMU, "per-smmu" },
  { PLAN_LAYOUT_PER_DEVICE, "per-device" },
};

const char *
plan_layout_name (plan_layout layout)
{
  for (gsize i = 0; i < G_N_ELEMENTS (layouts); i++)
    if (layouts[i].layout == layout)
      return layouts[i].name;
  return "unknown";
}

gboolean
plan_layout_parse (const char *text, plan_layout *out)
{
  for (gsize i = 0; i < G_N_ELEMENTS (layouts); i++)
    if (g_strcmp0 (layouts[i].name, text) == 0)
      {
        *out = layouts[i].layout;
        return TRUE;
      }
  return FALSE;
}

void
plan_request_init (plan_request *req)
{
  memset (req, 0, sizeof *req);
  req->layout = PLAN_LAYOUT_PER_SMMU;
  req->bus_headroom = PLAN_DEFAULT_BUS_HEADROOM;
  req->bus_max = PLAN_BUS_MAX;
  req->root_slots = PLAN_SLOTS_PER_BUS;
  req->target_qemu = sw_target_from_version (sw_newest_known (SW_QEMU));
  req->target_libvirt = sw_target_from_version (sw_newest_known (SW_LIBVIRT));
  req->target_qemu_source = req->target_libvirt_source = "newest known";
  req->name = "smmuctl-guest";
  req->memory_kib = G_GUINT64_CONSTANT (4) << 20;
  req->vcpus = 4;
  req->host_where = "on this host";
  req->probe_hint = "smmuctl probe";
}

static void
plan_root_complex_free (plan_root_complex *rc)
{
  g_ptr_array_unref (rc->devices);
  g_free (rc);
}

void
guest_plan_free (guest_plan *plan)
{
  if (plan == NULL)
    return;
  guest_domain_free (plan->domain);
  g_ptr_array_unref (plan->root_complexes);
  g_ptr_array_unref (plan->devices);
  g_free (plan->target_qemu_source);
  g_free (plan->target_libvirt_source);
  g_ptr_array_unref (plan->why);
  g_ptr_array_unref (plan->warnings);
  g_free (plan);
}

void
plan_port_free (plan_port *port)
{
  g_ptr_array_unref (port->functions);
  g_free (port);
}

/* ---- ports: one per host slot (multi-function devices stay together) ---- */

static gint
compare_ports (gconstpointer a, gconstpointer b)
{
  const plan_port *pa = *(plan_port *const *) a, *pb = *(plan_port *const *) b;
  if (pa->smmu_order != pb->smmu_order)
    return pa->smmu_order < pb->smmu_order ? -1 : 1;
  const host_pci_device *da = g_ptr_array_index (pa->functions, 0);
  const host_pci_device *db = g_ptr_array_index (pb->functions, 0);
  return g_ascii_strcasecmp (da->bdf, db->bdf);
}

static guint
smmu_order (const host_model *host, const host_smmu *smmu)
{
  guint pos = 0;
  g_ptr_array_find (host->smmus, smmu, &pos);
  return pos;
}

/* devices: sorted by BDF.  A port holds the functions of one host slot that
 * sit behind the same SMMU. */
static GPtrArray *
build_ports (const host_model *host, GPtrArray *devices)
{
  GPtrArray *ports = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_port_free);
  plan_port *current = NULL;
  for (guint i = 0; i < devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (devices, i);
      const host_smmu *smmu = host_find_smmu (host, dev->smmu);
      const host_pci_device *first = current ? g_ptr_array_index (current->functions, 0) : NULL;
      if (current == NULL || current->smmu != smmu || first->segment != dev->segment || first->bus != dev->bus
          || first->slot != dev->slot)
        {
          current = g_new0 (plan_port, 1);
          current->smmu = smmu;
          current->smmu_order = smmu_order (host, smmu);
          current->functions = g_ptr_array_new ();
          g_ptr_array_add (ports, current);
        }
      g_ptr_array_add (current->functions, (gpointer) dev);
    }
  g_ptr_array_sort (ports, compare_ports);
  return ports;
}

/* ---- building the guest elements ---- */

static int
common_numa_node (const plan_root_complex *rc)
{
  int node = -2;
  for (guint i = 0; i < rc->devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (rc->devices, i);
      if (node == -2)
        node = dev->numa_node;
      else if (node != dev->numa_node)
        return -1;
    }
  return node < 0 ? -1 : node;
}

static void
place_numa (guest_bus *pxb, const plan_root_complex *rc, const guest_domain *dom, GString *why)
{
  int node = common_numa_node (rc);
  const char *source = "host node of its devices";
  if (node < 0 && rc->smmu->numa_node >= 0)
    {
      node = rc->smmu->numa_node;
      source = "host node of its SMMU";
    }
  if (node < 0)
    g_string_append (why, "; no NUMA node: the host does not say where its devices are");
  else if (guest_has_numa_cell (dom, node))
    {
      pxb->numa_node = node;
      g_string_append_printf (why, "; NUMA node %d: %s", node, source);
    }
  else
    g_string_append_printf (why, "; no NUMA node: its devices are on host node %d but the guest has no "
                                 "NUMA cell %d (define guest NUMA cells in the base domain to place it)",
                            node, node);
}

static guint
count_base_hostdevs (const guest_domain *dom, guint n)
{
  guint count = 0;
  for (guint i = 0; i < n; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->kind == GUEST_EP_HOSTDEV)
        count++;
    }
  return count;
}

static char *
describe_device (const host_pci_device *dev)
{
  return g_strdup_printf ("%s (%04x:%04x %s, IOMMU group %d)", dev->bdf, dev->vendor, dev->device,
                          pci_class_name (dev->class_code), dev->iommu_group);
}

static gboolean
no_free_index (GError **error, const plan_request *req, const char *what, guint n, guint of)
{
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
               "no free controller index for %s %u of %u: libvirt and QEMU take indexes 1-%u, and %s uses the "
               "others; plan fewer devices%s",
               what, n, of, req->bus_max, req->base_name ? req->base_name : "the domain",
               req->base_name ? ", or free controller indexes in the base domain" : "");
  return FALSE;
}

/* Add the root complexes, ports, vSMMUs and hostdevs of the plan to the
 * domain.  Ports sit one per slot on their pxb while they fit, eight
 * functions per slot beyond that (as libvirt packs pcie.0). */
static gboolean
build_guest (guest_plan *plan, const plan_request *req, GPtrArray *groups, GHashTable *peer_reasons,
             GError **error)
{
  guest_domain *dom = plan->domain;
  g_auto (plan_alloc) alloc = { 0 };
  plan_alloc_init (&alloc, dom, req);
  guint hostdev_no = count_base_hostdevs (dom, plan->n_base_endpoints);

  /* pxbs first so that every port's index is above its parent's */
  for (guint g = 0; g < groups->len; g++)
    {
      plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, g);
      int slot = plan_alloc_pcie0_slot (&alloc);
      if (slot < 0)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "pcie.0 has no free slot for pxb-pcie %u of %u (%u slots, some may be taken by the "
                       "base domain); use --layout per-smmu or plan fewer root complexes",
                       g + 1, groups->len, req->root_slots - 1);
          return FALSE;
        }
      int index = plan_alloc_index (&alloc);
      if (index < 0)
        return no_free_index (error, req, "pxb-pcie", g + 1, groups->len);
      guest_bus *pxb = guest_bus_new (index, GUEST_BUS_PXB_PCIE);
      pxb->parent = 0;
      pxb->slot = slot;
      pxb->function = 0;
      pxb->address_explicit = TRUE;
      pxb->root_complex = pxb->index;
      rc->rc_index = pxb->index;
      g_ptr_array_add (dom->buses, pxb);
    }

  for (guint g = 0; g < groups->len; g++)
    {
      plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, g);
      GPtrArray *ports = g_ptr_array_index (groups, g);
      guest_bus *pxb = guest_find_bus (dom, rc->rc_index);
      pxb->bus_nr = rc->bus_first;

      g_autoptr (GString) why = g_string_new (NULL);
      if (plan->layout == PLAN_LAYOUT_PER_SMMU)
        g_string_append_printf (why, "root complex for host SMMU %s: its %u device(s) share one vSMMU, "
                                     "which the host backs with one vIOMMU on that SMMU",
                                rc->smmu->name, rc->devices->len);
      else
        g_string_append_printf (why, "root complex of its own for %s (per-device layout), behind host SMMU %s",
                                ((const host_pci_device *) g_ptr_array_index (rc->devices, 0))->bdf,
                                rc->smmu->name);
      g_string_append_printf (why, "; busNr %d counts down from the top so it never meets pcie.0's buses "
                                   "(range %d-%d: the pxb, %u root port(s), %u headroom)",
                              rc->bus_first, rc->bus_first, rc->bus_last, rc->n_ports, req->bus_headroom);
      place_numa (pxb, rc, dom, why);
      pxb->comment = g_string_free (g_steal_pointer (&why), FALSE);

      /* its vSMMU */
      guest_iommu *iommu = guest_iommu_new ();
      iommu->model = g_strdup ("smmuv3");
      iommu->id = g_strdup_printf ("iommu%u", dom->iommus->len);
      iommu->pci_bus = pxb->index;
      iommu->host_smmu = g_strdup (rc->smmu->name);
      g_autoptr (GString) iommu_why = g_string_new (NULL);
      g_string_append_printf (iommu_why, "accelerated vSMMU on %s for host SMMU %s", pxb->id, rc->smmu->name);
      plan_derive_vsmmu_props (rc->smmu, (const host_pci_device *const *) rc->devices->pdata, rc->devices->len,
                               req->target_qemu, iommu, iommu_why, plan->warnings);
      iommu->comment = g_string_free (g_steal_pointer (&iommu_why), FALSE);
      rc->iommu = (int) dom->iommus->len;
      g_ptr_array_add (dom->iommus, iommu);

      /* its ports and devices */
      gboolean pack = ports->len > PLAN_SLOTS_PER_BUS;
      for (guint p = 0; p < ports->len; p++)
        {
          const plan_port *hp = g_ptr_array_index (ports, p);
          int index = plan_alloc_index (&alloc);
          if (index < 0)
            return no_free_index (error, req, "root port", p + 1, ports->len);
          guest_bus *port = guest_bus_new (index, GUEST_BUS_ROOT_PORT);
          port->parent = pxb->index;
          port->slot = pack ? (int) (p / 8) : (int) p;
          port->function = pack ? (int) (p % 8) : 0;
          port->address_explicit = TRUE;
          port->chassis = plan_alloc_chassis (&alloc, port->index);
          port->port = (port->slot << 3) | port->function;
          port->hotplug = TRI_NO;
          port->root_complex = pxb->index;
          if (port->chassis < 0)
            {
              g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                           "no free chassis number (1-%u) for root port %s", req->bus_max, port->id);
              guest_bus_free (port);
              return FALSE;
            }
          const host_pci_device *lead = g_ptr_array_index (hp->functions, 0);
          port->comment = hp->functions->len > 1
                              ? g_strdup_printf ("root port for the %u functions of %04x:%02x:%02x, kept together; "
                                                 "hotplug off: nothing can be hotplugged below an accelerated vSMMU",
                                                 hp->functions->len, lead->segment, lead->bus, lead->slot)
                              : g_strdup_printf ("root port for %s; hotplug off: nothing can be hotplugged below "
                                                 "an accelerated vSMMU", lead->bdf);
          g_ptr_array_add (dom->buses, port);

          for (guint f = 0; f < hp->functions->len; f++)
            {
              const host_pci_device *dev = g_ptr_array_index (hp->functions, f);
              guest_endpoint *ep = guest_endpoint_new (GUEST_EP_HOSTDEV);
              ep->model = g_strdup ("vfio-pci");
              ep->element = g_strdup ("hostdev");
              ep->id = g_strdup_printf ("hostdev%u", hostdev_no++);
              ep->host_bdf = g_strdup (dev->bdf);
              ep->managed = req->managed;
              ep->iommufd = TRI_YES;
              ep->bus = port->index;
              ep->slot = 0;
              /* functions renumbered from 0: a guest slot without function 0 is never scanned */
              ep->function = (int) f;
              ep->address_explicit = TRUE;
              g_autofree char *what = describe_device (dev);
              const char *peer = g_hash_table_lookup (peer_reasons, dev->bdf);
              ep->comment = g_strdup_printf ("%s behind host SMMU %s; vfio-pci with the iommufd backend, as "
                                             "accel requires%s%s",
                                             what, hp->smmu->name, peer ? "; " : "", peer ? peer : "");
              g_ptr_array_add (dom->endpoints, ep);
            }
        }
    }
  return TRUE;
}

/* ---- the plan ---- */

static void
add_mmio_window (guest_plan *plan, const host_model *host, const plan_request *req)
{
  guest_domain *dom = plan->domain;
  for (guint i = 0; i < plan->devices->len; i++)
    plan->bar64_total += ((const host_pci_device *) g_ptr_array_index (plan->devices, i))->bar64_total;
  /* One computation with SMU402 (mmio64.c): the prefetchable 64-bit BARs as firmware places them. */
  plan->mmio64_need = mmio64_need (dom, host);
  guint64 window = mmio64_window_for (plan->mmio64_need);
  g_autofree char *need = units_format_size (plan->mmio64_need);
  g_autofree char *have = units_format_size (window);
  if (dom->mmio64_size >= window)
    {
      g_autofree char *base = units_format_size (dom->mmio64_size);
      g_ptr_array_add (plan->why, g_strdup_printf ("64-bit MMIO window: the base domain's %s already holds the "
                                                   "%s of 64-bit BARs", base, need));
    }
  else if (window > GUEST_DEFAULT_MMIO64_SIZE)
    {
      dom->mmio64_size = window;
      plan->mmio64_raised = TRUE;
      g_ptr_array_add (plan->why, g_strdup_printf ("64-bit MMIO window: %s, the smallest power of two that holds the "
                                                   "%s the 64-bit prefetchable BARs take, bridge windows aligned",
                                                   have, need));
      plan_choose_mmio64_source (plan, req);
    }
  else
    g_ptr_array_add (plan->why, g_strdup_printf ("64-bit MMIO window: the machine default %s holds the %s the "
                                                 "64-bit prefetchable BARs take, bridge windows aligned",
                                                 have, need));
}

static GPtrArray *
group_ports (guest_plan *plan, GPtrArray *ports, plan_layout layout)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *current = NULL;
  const host_smmu *current_smmu = NULL;
  for (guint i = 0; i < ports->len; i++)
    {
      plan_port *port = g_ptr_array_index (ports, i);
      if (current == NULL || layout == PLAN_LAYOUT_PER_DEVICE || port->smmu != current_smmu)
        {
          current = g_ptr_array_new ();
          current_smmu = port->smmu;
          g_ptr_array_add (groups, current);
          plan_root_complex *rc = g_new0 (plan_root_complex, 1);
          rc->smmu = port->smmu;
          rc->devices = g_ptr_array_new ();
          g_ptr_array_add (plan->root_complexes, rc);
        }
      g_ptr_array_add (current, port);
      plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, plan->root_complexes->len - 1);
      rc->n_ports++;
      for (guint f = 0; f < port->functions->len; f++)
        {
          gpointer dev = g_ptr_array_index (port->functions, f);
          g_ptr_array_add (rc->devices, dev);
          g_ptr_array_add (plan->devices, dev);
        }
    }
  return groups;
}

guest_plan *
planner_plan (const host_model *host, const plan_request *req, guest_domain *base, GError **error)
{
  g_autoptr (guest_domain) owned_base = base;
  g_autoptr (guest_plan) plan = g_new0 (guest_plan, 1);
  plan->root_complexes = g_ptr_array_new_with_free_func ((GDestroyNotify) plan_root_complex_free);
  plan->devices = g_ptr_array_new ();
  plan->why = g_ptr_array_new_with_free_func (g_free);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  plan->layout = req->layout;
  plan->bus_headroom = req->bus_headroom;
  plan->target_qemu = req->target_qemu;
  plan->target_libvirt = req->target_libvirt;
  plan->target_qemu_source = g_strdup (req->target_qemu_source);
  plan->target_libvirt_source = g_strdup (req->target_libvirt_source);

  /* What to plan comes before whether the target can run it: a missing
   * selection is a usage error whatever QEMU is installed. */
  g_autoptr (GHashTable) peer_reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) selected = plan_select_devices (host, req, peer_reasons, error);
  if (selected == NULL)
    return NULL;
  if (!plan_check_targets (plan, req, FALSE, error))
    return NULL;

  guint index_gaps = 0;
  if (owned_base != NULL)
    {
      if (!plan_check_base (plan, owned_base, req, selected, error))
        return NULL;
      plan->domain = g_steal_pointer (&owned_base);
      plan->merged = TRUE;
      index_gaps = plan_take_index_gaps (plan->domain);
      guest_domain_resolve (plan->domain);
    }
  else
    {
      plan->domain = plan_new_domain (req);
      plan_mirror_numa (plan, host, req);
    }
  plan->domain->origin = GUEST_FROM_PLAN; /* the emitters write what each format takes */
  /* A new domain's pcie-root is planned too: the emitters write it. */
  plan->n_base_buses = plan->merged ? plan->domain->buses->len : 0;
  plan->n_base_iommus = plan->domain->iommus->len;
  plan->n_base_endpoints = plan->domain->endpoints->len;

  g_autoptr (GPtrArray) ports = build_ports (host, selected);
  g_autoptr (GPtrArray) groups = group_ports (plan, ports, req->layout);
  plan_explain_host (plan);

  guint auto_ports = 0;
  guint n_planned = plan->root_complexes->len;
  for (guint i = 0; i < plan->root_complexes->len; i++)
    n_planned += ((const plan_root_complex *) g_ptr_array_index (plan->root_complexes, i))->n_ports;
  plan->gap_ports = index_gaps - MIN (index_gaps, n_planned);
  plan->pcie0_last = plan_pcie0_reserved_last (plan->domain, req->bus_headroom, plan->gap_ports, &auto_ports);
  if (!plan_assign_bus_numbers (plan, req, plan->n_base_buses, error))
    return NULL;
  g_ptr_array_add (plan->why,
                   g_strdup_printf ("pcie.0 keeps bus numbers 0-%d: what the %s uses%s%s, plus %u headroom; "
                                    "planned root complexes take busNr from %u down",
                                    plan->pcie0_last, plan->merged ? "base domain" : "new domain",
                                    auto_ports ? ", one root port per device libvirt will place" : "",
                                    plan->gap_ports ? ", the root ports libvirt adds for unused controller indexes"
                                                    : "",
                                    req->bus_headroom, req->bus_max - 1));
  if (!build_guest (plan, req, groups, peer_reasons, error))
    return NULL;
  add_mmio_window (plan, host, req);
  if (!plan_check_targets (plan, req, TRUE, error))
    return NULL;
  return g_steal_pointer (&plan);
}
