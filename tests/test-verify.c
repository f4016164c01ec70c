/* verify's parts: the PCI tree and IORT ranges the host model reads, the plan
 * reader, and the rules on a guest captured by the guest-boot tier
 * (tests/data/guests). */
#include <string.h>

#include "errors.h"
#include "hostprobe.h"
#include "planread.h"
#include "verify.h"

static host_model *
read_tree (const char *rel)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_getenv ("SRCDIR"), rel, NULL);
  g_autoptr (sysroot) root = sysroot_open (dir, &error);
  g_assert_no_error (error);
  host_model *host = hostprobe_read (root, NULL, &error);
  g_assert_no_error (error);
  return host;
}

static plan_document *
read_plan (const char *rel)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("SRCDIR"), rel, NULL);
  plan_document *plan = plan_document_read (path, &error);
  g_assert_no_error (error);
  return plan;
}

/* The guest's tree: endpoints below root ports below a pxb's root bus. */
static void
test_parent_bridges (void)
{
  g_autoptr (host_model) guest = read_tree ("tests/data/guests/kunpeng");
  const host_pci_device *ep = host_find_device (guest, "0000:fd:00.0");
  const host_pci_device *port = host_find_device (guest, "0000:fc:00.0");
  const host_pci_device *pxb = host_find_device (guest, "0000:00:01.0");
  g_assert_nonnull (ep);
  g_assert_cmpstr (ep->parent_bdf, ==, "0000:fc:00.0");
  g_assert_null (port->parent_bdf); /* on the pxb's root bus */
  g_assert_null (pxb->parent_bdf);
  g_autofree char *path = verify_guest_path (guest, ep);
  g_assert_cmpstr (path, ==, "0000:fc:00.0/00.0");
  g_autofree char *top = verify_guest_path (guest, port);
  g_assert_cmpstr (top, ==, "0000:fc:00.0");
}

static void
test_rid_ranges (void)
{
  /* The Kunpeng-like host splits segment 0 between two SMMUs by bus. */
  g_autoptr (host_model) host = read_tree ("tests/data/hosts/kunpeng");
  const host_rid_range *low = host_rid_range_find (host, 0, 0x7d10);
  const host_rid_range *high = host_rid_range_find (host, 0, 0x8108);
  g_assert_nonnull (low);
  g_assert_nonnull (high);
  g_assert_cmpstr (low->smmu, !=, high->smmu);
  g_assert_cmpuint (low->rid_last, ==, 0x7fff);
  g_assert_cmpuint (high->rid_first, ==, 0x8000);
  g_assert_null (host_rid_range_find (host, 1, 0x0100));

  /* QEMU's guest IORT: each pxb's buses to its own SMMU, pcie.0 to none. */
  g_autoptr (host_model) guest = read_tree ("tests/data/guests/kunpeng");
  const host_rid_range *pxb1 = host_rid_range_find (guest, 0, 0xfc00);
  const host_rid_range *pxb2 = host_rid_range_find (guest, 0, 0xf900);
  g_assert_nonnull (pxb1);
  g_assert_nonnull (pxb2);
  g_assert_cmpstr (pxb1->smmu, !=, pxb2->smmu);
  g_assert_nonnull (host_find_smmu (guest, pxb1->smmu));
  g_assert_null (host_rid_range_find (guest, 0, 0x0008));
}

static void
test_plan_read (void)
{
  g_autoptr (plan_document) plan = read_plan ("tests/data/guests/big-2-16/plan.json");
  g_assert_cmpstr (plan->layout, ==, "per-smmu");
  g_assert_cmpuint (plan->domain->endpoints->len, ==, 16);
  g_assert_cmpuint (plan->endpoint_ids->len, ==, 16);
  const guest_endpoint *ep = g_ptr_array_index (plan->domain->endpoints, 9);
  g_assert_cmpint (ep->function, ==, 1);
  const guest_bus *port = guest_find_bus (plan->domain, ep->bus);
  g_assert_cmpint (port->kind, ==, GUEST_BUS_ROOT_PORT);
  const guest_bus *rc = guest_find_bus (plan->domain, port->root_complex);
  g_assert_cmpint (rc->kind, ==, GUEST_BUS_PXB_PCIE);
  g_assert_nonnull (guest_iommu_for_root_complex (plan->domain, rc->index));
  const planned_ids *ids = &g_array_index (plan->endpoint_ids, planned_ids, 9);
  g_assert_true (ids->ids_known);
  g_assert_cmpuint (ids->vendor, ==, 0x1b36);
}

/* Documents that are not plans: INPUT errors naming where. */
static void
test_plan_errors (void)
{
  static const struct {
    const char *json, *message;
  } cases[] = {
    { "[]", "t.json: $: expected an object" },
    { "{\"format\": \"smmuctl-host\", \"format_version\": 1}", "t.json: $.format: \"smmuctl-host\" is not a smmuctl plan" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 2}", "t.json: $.format_version: version 2 is not the one" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": []}", "t.json: $.vsmmus: missing" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0, "
      "\"model\": \"pcie-root\"}, {\"id\": \"pci.1\", \"index\": 1, \"model\": \"pcie-root-port\", \"parent\": "
      "\"pci.9\"}], \"vsmmus\": [], \"endpoints\": []}",
      "t.json: $.buses[1].parent: \"pci.9\" is not the id of a bus in $.buses" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0, "
      "\"model\": \"pcie-root\"}, {\"id\": \"pcie.0\", \"index\": 1, \"model\": \"pcie-root-port\"}], "
      "\"vsmmus\": [], \"endpoints\": []}", "t.json: $.buses[1].id: \"pcie.0\" appears twice" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pci.1\", \"index\": 1, "
      "\"model\": \"pcie-expander-bus\"}], \"vsmmus\": [], \"endpoints\": []}",
      "t.json: $.buses[0].bus_nr: a pcie-expander-bus needs its first bus number" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [], \"vsmmus\": [{\"id\": \"iommu0\", "
      "\"pci_bus\": 3}], \"endpoints\": []}", "t.json: $.vsmmus[0].pci_bus: 3 is not the index of a bus" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0, "
      "\"model\": \"pcie-root\"}], \"vsmmus\": [], \"endpoints\": [{\"id\": \"hostdev0\", \"kind\": \"hostdev\", "
      "\"bus\": \"pcie.0\", \"slot\": null, \"function\": 0}]}",
      "t.json: $.endpoints[0]: hostdev0 has no whole guest address" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0, "
      "\"model\": \"pcie-root\"}, {\"id\": \"pci.1\", \"index\": 1, \"model\": \"pcie-root-port\", \"parent\": "
      "\"pcie.0\"}], \"vsmmus\": [], \"endpoints\": [{\"id\": \"hostdev0\", \"kind\": \"hostdev\", \"bus\": "
      "\"pci.1\", \"slot\": 0, \"function\": 0}]}",
      "t.json: $.endpoints[0]: hostdev0 has no whole guest address" }, /* its port has no slot */
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0, "
      "\"model\": \"pcie-root\"}], \"vsmmus\": [], \"endpoints\": [{\"id\": \"hostdev0\", \"kind\": \"hostdev\", "
      "\"bus\": \"pcie.0\", \"slot\": 3, \"function\": 0}, {\"id\": \"hostdev1\", \"kind\": \"hostdev\", "
      "\"bus\": \"pcie.0\", \"slot\": 3, \"function\": 0}]}",
      "t.json: $.endpoints[1]: hostdev1 is at 0000:00:03.0, like $.endpoints[0]" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [], \"vsmmus\": [], \"endpoints\": "
      "[{\"kind\": \"hostdev\", \"host\": {\"vendor\": \"10dex\", \"device\": \"2941\"}}]}",
      "t.json: $.endpoints[0].host.vendor: expected four hexadecimal digits" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"index\": 0}], \"vsmmus\": [], "
      "\"endpoints\": []}", "t.json: $.buses[0].id: missing" },
    { "{\"format\": \"smmuctl-plan\", \"format_version\": 1, \"buses\": [{\"id\": \"pcie.0\", \"index\": 0}, "
      "{\"id\": \"pci.1\", \"index\": 0}], \"vsmmus\": [], \"endpoints\": []}",
      "t.json: $.buses[1].index: 0 appears twice" },
    { "{\"format\": \"smmuctl-plan\",", "t.json:1:" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (plan_document) plan = plan_document_parse (cases[i].json, strlen (cases[i].json), "t.json", &error);
      g_assert_null (plan);
      g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
      if (!g_str_has_prefix (error->message, cases[i].message))
        g_error ("case %" G_GSIZE_FORMAT ": '%s' does not start with '%s'", i, error->message, cases[i].message);
    }
}

static void
test_verify_match (void)
{
  g_autoptr (plan_document) plan = read_plan ("tests/data/guests/big-2-16/plan.json");
  g_autoptr (host_model) guest = read_tree ("tests/data/guests/big-2-16");
  g_autoptr (verify_result) result = verify_guest (plan, guest);
  g_assert_cmpuint (finding_list_len (result->findings), ==, 0);
  g_assert_cmpuint (result->devices->len, ==, 16);
  g_assert_cmpuint (result->vsmmus->len, ==, 2);
  for (guint i = 0; i < result->devices->len; i++)
    {
      const verify_device *d = g_ptr_array_index (result->devices, i);
      g_assert_nonnull (d->found);
      g_assert_cmpstr (d->found->smmu, ==, d->vsmmu->guest_smmu);
      /* All eight functions of a device in one group: its planned functions. */
      g_assert_cmpuint (d->group_endpoints->len, ==, 8);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostprobe/parent-bridges", test_parent_bridges);
  g_test_add_func ("/hostiort/rid-ranges", test_rid_ranges);
  g_test_add_func ("/planread/plan", test_plan_read);
  g_test_add_func ("/planread/errors", test_plan_errors);
  g_test_add_func ("/verify/match", test_verify_match);
  return g_test_run ();
}
