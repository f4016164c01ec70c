/* The guest topology model on its own, built by hand: the controller-model
 * table, root-complex resolution, bus ranges, IOMMU lookup and libvirt's
 * auto-placement. */
#include <string.h>

#include "topology.h"

static guest_bus *
add_bus (guest_domain *dom, int index, guest_bus_kind kind, int parent)
{
  guest_bus *bus = guest_bus_new (index, kind);
  bus->parent = parent;
  bus->address_explicit = parent >= 0;
  bus->line = 10 + index;
  g_ptr_array_add (dom->buses, bus);
  return bus;
}

static guest_endpoint *
add_endpoint (guest_domain *dom, guest_endpoint_kind kind, const char *element, int bus)
{
  guest_endpoint *ep = guest_endpoint_new (kind);
  ep->element = g_strdup (element);
  ep->model = g_strdup (kind == GUEST_EP_HOSTDEV ? "vfio-pci" : "virtio-net-pci");
  ep->bus = bus;
  ep->address_explicit = bus >= 0;
  g_ptr_array_add (dom->endpoints, ep);
  return ep;
}

static void
test_kind_table (void)
{
  for (guest_bus_kind k = GUEST_BUS_PCIE_ROOT; k <= GUEST_BUS_OTHER; k++)
    g_assert_cmpint (guest_bus_kind_from_model (guest_bus_kind_model (k)), ==, k);
  g_assert_cmpint (guest_bus_kind_from_model ("pci-bridge"), ==, GUEST_BUS_PCI_BRIDGE);
  g_assert_cmpint (guest_bus_kind_from_model ("dmi-to-pci-bridge"), ==, GUEST_BUS_PCI_BRIDGE);
  g_assert_cmpint (guest_bus_kind_from_model ("no-such-model"), ==, GUEST_BUS_OTHER);
  g_assert_cmpint (guest_bus_kind_from_model (NULL), ==, GUEST_BUS_OTHER);
  g_assert_true (guest_bus_is_root_complex (GUEST_BUS_PCIE_ROOT));
  g_assert_true (guest_bus_is_root_complex (GUEST_BUS_PXB_PCIE));
  g_assert_false (guest_bus_is_root_complex (GUEST_BUS_ROOT_PORT));
  g_assert_false (guest_bus_is_root_complex (GUEST_BUS_OTHER));
}

static void
test_ids (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  guest_bus *root = add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  guest_bus *pxb = add_bus (dom, 7, GUEST_BUS_PXB_PCIE, 0);
  g_assert_cmpstr (root->id, ==, "pcie.0");
  g_assert_cmpstr (pxb->id, ==, "pci.7");
  g_assert_cmpstr (pxb->model, ==, "pcie-expander-bus");
  g_assert_cmpint (pxb->bus_nr, ==, -1);
  g_assert_cmpint (pxb->hotplug, ==, TRI_UNKNOWN);
  g_assert_true (guest_find_bus (dom, 7) == pxb);
  g_assert_null (guest_find_bus (dom, 3));
}

static void
test_resolve (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  add_bus (dom, 1, GUEST_BUS_PXB_PCIE, 0);
  add_bus (dom, 2, GUEST_BUS_ROOT_PORT, 1);
  add_bus (dom, 3, GUEST_BUS_SWITCH_UPSTREAM, 2);
  add_bus (dom, 4, GUEST_BUS_SWITCH_DOWNSTREAM, 3);
  add_bus (dom, 5, GUEST_BUS_ROOT_PORT, 0);
  add_bus (dom, 6, GUEST_BUS_ROOT_PORT, 9);  /* parent missing */
  add_bus (dom, 7, GUEST_BUS_PCI_BRIDGE, 8); /* 7 → 8 → 7: a loop */
  add_bus (dom, 8, GUEST_BUS_PCI_BRIDGE, 7);
  guest_domain_resolve (dom);
  g_assert_cmpint (guest_root_complex_of_bus (dom, 4), ==, 1);
  g_assert_cmpint (guest_find_bus (dom, 4)->root_complex, ==, 1);
  g_assert_cmpint (guest_find_bus (dom, 1)->root_complex, ==, 1); /* a pxb is its own root complex */
  g_assert_cmpint (guest_find_bus (dom, 5)->root_complex, ==, 0);
  g_assert_cmpint (guest_find_bus (dom, 6)->root_complex, ==, -1);
  g_assert_cmpint (guest_find_bus (dom, 7)->root_complex, ==, -1);
  g_assert_cmpint (guest_root_complex_of_bus (dom, 42), ==, -1);
  /* Idempotent. */
  guest_domain_resolve (dom);
  g_assert_cmpint (guest_find_bus (dom, 4)->root_complex, ==, 1);
}

static void
test_bus_range (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  add_bus (dom, 1, GUEST_BUS_ROOT_PORT, 0);
  add_bus (dom, 2, GUEST_BUS_ROOT_PORT, 0);
  guest_bus *pxb = add_bus (dom, 3, GUEST_BUS_PXB_PCIE, 0);
  pxb->bus_nr = 252;
  add_bus (dom, 4, GUEST_BUS_ROOT_PORT, 3);
  add_bus (dom, 5, GUEST_BUS_SWITCH_UPSTREAM, 4);
  add_bus (dom, 6, GUEST_BUS_SWITCH_DOWNSTREAM, 5);
  int first = -1, last = -1;
  /* Works before resolve (walks) and after (reads root_complex). */
  guest_root_complex_bus_range (dom, 0, &first, &last);
  g_assert_cmpint (first, ==, 0);
  g_assert_cmpint (last, ==, 2);
  guest_domain_resolve (dom);
  guest_root_complex_bus_range (dom, 3, &first, &last);
  g_assert_cmpint (first, ==, 252);
  g_assert_cmpint (last, ==, 255);
}

static void
test_iommu_lookup (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  add_bus (dom, 1, GUEST_BUS_PXB_PCIE, 0);
  add_bus (dom, 2, GUEST_BUS_PXB_PCIE, 0);
  guest_iommu *machine_wide = guest_iommu_new ();
  machine_wide->model = g_strdup ("smmuv3");
  g_ptr_array_add (dom->iommus, machine_wide);
  guest_iommu *per_bus = guest_iommu_new ();
  per_bus->model = g_strdup ("smmuv3");
  per_bus->pci_bus = 1;
  per_bus->props[VSMMU_PROP_ACCEL] = (vsmmu_prop) { PROP_VALUE, 1, NULL, 0 };
  g_ptr_array_add (dom->iommus, per_bus);
  g_assert_true (guest_iommu_for_root_complex (dom, 1) == per_bus);
  /* A machine-wide SMMU translates pcie.0 only: QEMU's IORT maps pxbs around it. */
  g_assert_true (guest_iommu_for_root_complex (dom, 0) == machine_wide);
  g_assert_null (guest_iommu_for_root_complex (dom, 2));
  g_assert_true (guest_iommu_is_accel (per_bus));
  g_assert_false (guest_iommu_is_accel (machine_wide));
  per_bus->props[VSMMU_PROP_ACCEL].value = 0;
  g_assert_false (guest_iommu_is_accel (per_bus));
}

static void
test_numa (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  guest_numa_cell cell = { .id = 3, .memory_kib = 1024, .cpus = g_strdup ("0-1") };
  g_array_append_val (dom->numa_cells, cell);
  g_assert_true (guest_has_numa_cell (dom, 3));
  g_assert_false (guest_has_numa_cell (dom, 0));
}

static void
test_placement (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  add_bus (dom, 1, GUEST_BUS_ROOT_PORT, 0);
  guest_bus *pxb = add_bus (dom, 2, GUEST_BUS_PXB_PCIE, -1); /* no address: on pcie.0 */
  add_bus (dom, 3, GUEST_BUS_ROOT_PORT, 2);
  add_bus (dom, 4, GUEST_BUS_ROOT_PORT, 2);
  guest_endpoint *gpu = add_endpoint (dom, GUEST_EP_HOSTDEV, "hostdev", 1); /* takes port 1 */
  /* Document order: disk first, but libvirt assigns interfaces before disks. */
  guest_endpoint *disk = add_endpoint (dom, GUEST_EP_EMULATED, "disk", -1);
  guest_endpoint *nic = add_endpoint (dom, GUEST_EP_EMULATED, "interface", -1);
  guest_endpoint *balloon = add_endpoint (dom, GUEST_EP_EMULATED, "memballoon", -1);
  balloon->comment = g_strdup ("implicit: libvirt adds it");
  guest_domain_place_unaddressed (dom);
  guest_domain_resolve (dom);

  g_assert_cmpint (pxb->parent, ==, 0);
  g_assert_false (pxb->address_explicit);
  g_assert_cmpint (gpu->bus, ==, 1);
  g_assert_cmpint (nic->bus, ==, 3);  /* first free port by index: below the pxb */
  g_assert_cmpint (disk->bus, ==, 4);
  g_assert_false (nic->address_explicit);
  g_assert_nonnull (strstr (nic->comment, "pci.3"));
  /* No port left: libvirt adds a pcie-root-port on pcie.0. */
  g_assert_cmpint (balloon->bus, ==, 5);
  guest_bus *added = guest_find_bus (dom, 5);
  g_assert_nonnull (added);
  g_assert_cmpint (added->kind, ==, GUEST_BUS_ROOT_PORT);
  g_assert_cmpint (added->root_complex, ==, 0);
  g_assert_cmpint (added->line, ==, 0);
  g_assert_true (g_str_has_prefix (balloon->comment, "implicit: libvirt adds it; "));
}

static void
test_placement_switch (void)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  add_bus (dom, 0, GUEST_BUS_PCIE_ROOT, -1);
  guest_bus *rp = add_bus (dom, 1, GUEST_BUS_ROOT_PORT, -1);
  guest_bus *up = add_bus (dom, 2, GUEST_BUS_SWITCH_UPSTREAM, -1);
  guest_bus *down = add_bus (dom, 3, GUEST_BUS_SWITCH_DOWNSTREAM, -1);
  guest_endpoint *ep = add_endpoint (dom, GUEST_EP_HOSTDEV, "hostdev", -1);
  guest_domain_place_unaddressed (dom);
  guest_domain_resolve (dom);
  g_assert_cmpint (rp->parent, ==, 0);
  g_assert_cmpint (up->parent, ==, 1);
  g_assert_cmpint (down->parent, ==, 2);
  g_assert_cmpint (ep->bus, ==, 3);
  g_assert_cmpint (guest_root_complex_of_bus (dom, ep->bus), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/topology/kind-table", test_kind_table);
  g_test_add_func ("/topology/ids", test_ids);
  g_test_add_func ("/topology/resolve", test_resolve);
  g_test_add_func ("/topology/bus-range", test_bus_range);
  g_test_add_func ("/topology/iommu-lookup", test_iommu_lookup);
  g_test_add_func ("/topology/numa", test_numa);
  g_test_add_func ("/topology/placement", test_placement);
  g_test_add_func ("/topology/placement-switch", test_placement_switch);
  return g_test_run ();
}
