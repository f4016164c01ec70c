/* The numbers of a plan (SPEC §5 rules 4 and 5): guest NUMA cells of a new
 * domain, controller indexes, pcie.0 slots, chassis numbers and the bus
 * numbers of every root complex. */
#include "planner_private.h"

#include <string.h>

#include "errors.h"

/* ---- the new domain, when there is no base ---- */

/* Guest NUMA cells mirroring the host nodes that have CPUs and memory, so
 * that each pxb-pcie can sit on its devices' node: vCPUs and memory split
 * evenly (memory in 2 MiB steps, the remainder on the last cell). */
void
plan_mirror_numa (guest_plan *plan, const host_model *host, const plan_request *req)
{
  guest_domain *dom = plan->domain;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < host->numa_nodes->len; i++)
    {
      const host_numa_node *node = &g_array_index (host->numa_nodes, host_numa_node, i);
      if (node->has_cpu && node->has_memory)
        g_array_append_val (ids, node->id);
    }
  guint n = ids->len;
  guint64 memory_mib = req->memory_kib / 1024;
  const char *skip = NULL;
  if (req->no_numa)
    skip = "--no-numa";
  else if (n < 2)
    skip = "the host has one NUMA node with CPUs and memory";
  else if (g_array_index (ids, int, n - 1) != (int) n - 1)
    skip = "the host's NUMA nodes with CPUs and memory are not numbered 0..N-1";
  else if (req->vcpus < n)
    skip = "fewer vCPUs than host NUMA nodes";
  else if (req->memory_kib % 1024 != 0 || memory_mib < 2 * (guint64) n)
    skip = "the memory does not split into whole MiB per node";
  if (skip != NULL)
    {
      g_ptr_array_add (plan->why, g_strdup_printf ("no guest NUMA cells: %s", skip));
      return;
    }
  guint64 per_cell = (memory_mib / n) & ~G_GUINT64_CONSTANT (1);
  for (guint i = 0; i < n; i++)
    {
      guint first = i * req->vcpus / n, last = (i + 1) * req->vcpus / n - 1;
      guest_numa_cell cell = {
        .id = (int) i,
        .memory_kib = (i + 1 < n ? per_cell : memory_mib - per_cell * (n - 1)) * 1024,
        .cpus = first == last ? g_strdup_printf ("%u", first) : g_strdup_printf ("%u-%u", first, last),
      };
      g_array_append_val (dom->numa_cells, cell);
    }
  g_ptr_array_add (plan->why, g_strdup_printf ("guest NUMA: %u cells mirroring host nodes 0-%u (vCPUs and memory "
                                               "split evenly), so that each pxb-pcie sits on its devices' node",
                                               n, n - 1));
}

guest_domain *
plan_new_domain (const plan_request *req)
{
  guest_domain *dom = guest_domain_new ();
  dom->name = g_strdup (req->name);
  dom->domain_type = g_strdup ("kvm");
  dom->arch = g_strdup ("aarch64");
  dom->machine = g_strdup ("virt");
  dom->acpi = TRI_YES;
  dom->memory_kib = req->memory_kib;
  dom->vcpus = req->vcpus;
  guest_bus *root = guest_bus_new (0, GUEST_BUS_PCIE_ROOT);
  root->root_complex = 0;
  g_ptr_array_add (dom->buses, root);
  return dom;
}

/* ---- controller indexes, pcie.0 slots, chassis numbers ---- */


void
plan_alloc_clear (plan_alloc *alloc)
{
  g_free (alloc->index_used);
  g_free (alloc->pcie0_slot_used);
  g_free (alloc->chassis_used);
}


void
plan_alloc_init (plan_alloc *alloc, const guest_domain *dom, const plan_request *req)
{
  alloc->n_indexes = req->bus_max + 1;
  alloc->n_slots = req->root_slots;
  alloc->n_chassis = req->bus_max + 1;
  alloc->index_used = g_new0 (gboolean, alloc->n_indexes);
  alloc->pcie0_slot_used = g_new0 (gboolean, alloc->n_slots);
  alloc->chassis_used = g_new0 (gboolean, alloc->n_chassis);
  alloc->index_used[0] = TRUE;      /* pcie-root */
  alloc->pcie0_slot_used[0] = TRUE; /* the GPEX host bridge */
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      /* libvirt's filler for an unused index: the plan takes that index itself */
      if (bus->index_gap)
        continue;
      if (bus->index >= 0 && (guint) bus->index < alloc->n_indexes)
        alloc->index_used[bus->index] = TRUE;
      if (bus->parent == 0 && bus->slot >= 0 && (guint) bus->slot < alloc->n_slots)
        alloc->pcie0_slot_used[bus->slot] = TRUE;
      /* A port without <target chassis> gets its index from libvirt (SMU112 if two meet). */
      int chassis = bus->chassis >= 0 ? bus->chassis
                    : bus->kind == GUEST_BUS_ROOT_PORT || bus->kind == GUEST_BUS_SWITCH_DOWNSTREAM ? bus->index : -1;
      if (chassis >= 0 && (guint) chassis < alloc->n_chassis)
        alloc->chassis_used[chassis] = TRUE;
    }
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->bus == 0 && ep->address_explicit && ep->slot >= 0 && (guint) ep->slot < alloc->n_slots)
        alloc->pcie0_slot_used[ep->slot] = TRUE;
    }
}

/* The lowest number from 1 that used[] does not have, now taken; -1 when
 * all of 1..n-1 are. */
static int
take_lowest (gboolean *used, guint n)
{
  for (guint i = 1; i < n; i++)
    if (!used[i])
      {
        used[i] = TRUE;
        return (int) i;
      }
  return -1;
}

int
plan_alloc_index (plan_alloc *alloc)
{
  return take_lowest (alloc->index_used, alloc->n_indexes);
}

int
plan_alloc_pcie0_slot (plan_alloc *alloc)
{
  return take_lowest (alloc->pcie0_slot_used, alloc->n_slots);
}

/* libvirt's own choice is chassis = controller index; keep it unless the
 * base already took that number (QEMU wants chassis/slot pairs unique). */
int
plan_alloc_chassis (plan_alloc *alloc, int index)
{
  if (index > 0 && (guint) index < alloc->n_chassis && !alloc->chassis_used[index])
    {
      alloc->chassis_used[index] = TRUE;
      return index;
    }
  return take_lowest (alloc->chassis_used, alloc->n_chassis);
}

/* ---- bus numbers ---- */

guint
plan_take_index_gaps (guest_domain *dom)
{
  guint gaps = 0;
  for (guint i = dom->buses->len; i-- > 0;)
    if (((const guest_bus *) g_ptr_array_index (dom->buses, i))->index_gap)
      {
        g_ptr_array_remove_index (dom->buses, i);
        gaps++;
      }
  return gaps;
}

/* pcie.0 keeps what the base uses, the root ports libvirt will add for
 * unused indexes the plan leaves (gaps_left), what libvirt will add for the
 * base's devices without an address (one root port each at most) and the
 * headroom. */
int
plan_pcie0_reserved_last (const guest_domain *dom, guint headroom, guint gaps_left, guint *auto_ports)
{
  int first = 0, last = 0;
  guest_root_complex_bus_range (dom, 0, &first, &last);
  last += (int) gaps_left;
  guint unplaced = 0;
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (!ep->address_explicit)
        unplaced++;
    }
  *auto_ports = unplaced;
  return last + (int) unplaced + (int) headroom;
}

/* Give each planned root complex a busNr counting down from the top so the
 * pxbs never meet pcie.0, whose buses the firmware numbers up from 0. */
gboolean
plan_assign_bus_numbers (guest_plan *plan, const plan_request *req, guint n_base_buses, GError **error)
{
  guest_domain *dom = plan->domain;
  int last_bus = (int) req->bus_max;
  g_autoptr (GArray) taken = g_array_new (FALSE, FALSE, sizeof (guest_bus_range));
  guest_bus_range pcie0 = { 0, plan->pcie0_last };
  g_array_append_val (taken, pcie0);
  guint free_total = last_bus > plan->pcie0_last ? (guint) (last_bus - plan->pcie0_last) : 0;
  for (guint i = 0; i < n_base_buses; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->kind != GUEST_BUS_PXB_PCIE)
        continue;
      guest_bus_range r;
      guest_root_complex_bus_range (dom, bus->index, &r.first, &r.last);
      g_array_append_val (taken, r);
      free_total -= (guint) MIN (r.last - r.first + 1, (int) free_total);
    }
  guint needed = 0;
  for (guint i = 0; i < plan->root_complexes->len; i++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      needed += 1 + rc->n_ports + req->bus_headroom;
    }
  for (guint i = 0; i < plan->root_complexes->len; i++)
    {
      plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      int size = 1 + (int) rc->n_ports + (int) req->bus_headroom;
      int bus_nr = guest_bus_nr_alloc (taken, size, last_bus);
      if (bus_nr < 0)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN,
                       "bus numbers exhausted: %u devices on %u root complexes need %u bus numbers (1 per pxb-pcie "
                       "and per root port, plus %u headroom each), but only %u are free above pcie.0's 0-%d%s "
                       "(a guest PCI segment has %d, and a busNr is at most %d); lower --bus-headroom, use --layout "
                       "per-smmu, or plan fewer devices per VM",
                       plan->devices->len, plan->root_complexes->len, needed, req->bus_headroom, free_total,
                       plan->pcie0_last, plan->gap_ports ? " (with the root ports libvirt adds for unused "
                                                           "controller indexes)" : "",
                       last_bus + 1, last_bus - 1);
          return FALSE;
        }
      rc->bus_first = bus_nr;
      rc->bus_last = bus_nr + size - 1;
      guest_bus_range r = { rc->bus_first, rc->bus_last };
      g_array_append_val (taken, r);
    }
  return TRUE;
}
