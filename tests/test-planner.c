/* The planner: selection and its refusals, layouts, ports, bus numbers,
 * vSMMU properties from host capabilities, NUMA, the MMIO window, merging
 * into a base domain.  Fixture hosts come from tests/data/hosts; the corner
 * cases from hosts built here with the hostmodel.h constructors. */
#include <string.h>

#include "emit.h"
#include "errors.h"
#include "hostload.h"
#include "plan_check.h"
#include "mmio64.h"
#include "planner.h"

/* ---- hosts ---- */

static host_model *
load_fixture (const char *name)
{
  const char *srcdir = g_getenv ("SRCDIR");
  g_autofree char *root = g_build_filename (srcdir ? srcdir : ".", "tests", "data", "hosts", name, NULL);
  g_autofree char *hwinfo = g_build_filename (root, "hwinfo.json", NULL);
  host_load_options opts = { .root = root };
  if (g_file_test (hwinfo, G_FILE_TEST_EXISTS))
    opts.hwinfo_json = hwinfo;
  g_autoptr (GError) error = NULL;
  host_model *host = host_load (&opts, &error);
  g_assert_no_error (error);
  return host;
}

#define IDR0_S2P (1u << 0)
#define IDR0_S1P (1u << 1)
#define IDR0_ATS (1u << 10)
#define IDR1_SSID(n) ((guint32) (n) << 6)
#define IDR3_FWB (1u << 8)
#define IDR3_RIL (1u << 10)
#define IDR5_OAS(f) ((guint32) (f))

static host_smmu *
add_smmu (host_model *host, guint64 base, int node)
{
  host_smmu *smmu = host_smmu_new ();
  smmu->name = g_strdup_printf ("smmu3.0x%016" G_GINT64_MODIFIER "x", base);
  smmu->base = base;
  smmu->numa_node = node;
  g_ptr_array_add (host->smmus, smmu);
  return smmu;
}

static void
set_idrs (host_smmu *smmu, guint32 idr0, guint32 idr1, guint32 idr3, guint32 idr5)
{
  smmu->hwinfo.known = TRUE;
  smmu->hwinfo.idr[0] = idr0;
  smmu->hwinfo.idr[1] = idr1;
  smmu->hwinfo.idr[3] = idr3;
  smmu->hwinfo.idr[5] = idr5;
}

static host_iommu_group *
group_of (host_model *host, int id)
{
  host_iommu_group *group = host_find_group (host, id);
  if (group == NULL)
    {
      group = host_iommu_group_new (id);
      g_ptr_array_add (host->groups, group);
    }
  return group;
}

static host_pci_device *
add_device (host_model *host, const char *bdf, const char *driver, const host_smmu *smmu, int group)
{
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = pci_bdf_normalize (bdf);
  g_assert_true (pci_bdf_parse (bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function));
  dev->vendor = 0x10de;
  dev->device = 0x2941;
  dev->class_code = 0x030200;
  dev->driver = g_strdup (driver);
  dev->smmu = smmu ? g_strdup (smmu->name) : NULL;
  dev->iommu_group = group;
  dev->numa_node = smmu ? smmu->numa_node : -1;
  dev->ats = TRI_YES;
  dev->pasid = TRI_YES;
  dev->pasid_width = 20;
  dev->vfio_cdev = g_strdup ("vfio0");
  if (group >= 0)
    g_ptr_array_add (group_of (host, group)->devices, g_strdup (dev->bdf));
  g_ptr_array_add (host->devices, dev);
  return dev;
}

/* One SMMU with full capabilities, n single-function GPUs behind it. */
static host_model *
synthetic_host (guint n)
{
  host_model *host = host_model_new ();
  host->dev_iommu.present = TRUE;
  host_smmu *smmu = add_smmu (host, 0x16000000, 0);
  set_idrs (smmu, IDR0_S1P | IDR0_S2P | IDR0_ATS, IDR1_SSID (20), IDR3_FWB | IDR3_RIL, IDR5_OAS (5));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *bdf = g_strdup_printf ("0008:%02x:00.0", i + 1);
      add_device (host, bdf, "vfio-pci", smmu, (int) i + 1);
    }
  host_numa_node node0 = { 0, TRUE, TRUE };
  g_array_append_val (host->numa_nodes, node0);
  host_model_finish (host);
  return host;
}

static guest_plan *
plan_all_vfio (const host_model *host, plan_layout layout, GError **error)
{
  plan_request req;
  plan_request_init (&req);
  req.all_vfio = TRUE;
  req.layout = layout;
  req.check_libvirt = TRUE;
  return planner_plan (host, &req, NULL, error);
}

static const guest_bus *
bus_at (const guest_plan *plan, int index)
{
  const guest_bus *bus = guest_find_bus (plan->domain, index);
  g_assert_nonnull (bus);
  return bus;
}

/* The plan's own check, as plan runs it: its libvirt XML through validate's
 * document check with the host. */
static finding_list *
check_plan (const guest_plan *plan, const host_model *host)
{
  emit_options emit;
  emit_options_init (&emit);
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = emit_xml (plan, &emit, &error);
  g_assert_no_error (error);
  return plan_check_result (plan, host, "plan.xml", xml, TRUE);
}

/* "SMU304 SMU307": the error codes of a list in order (owned by the test's
 * string chunk, freed at exit). */
static const char *
error_codes (const finding_list *list)
{
  static GString *out;
  if (out == NULL)
    out = g_string_new (NULL);
  g_string_truncate (out, 0);
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      if (f->severity == SEVERITY_ERROR)
        g_string_append_printf (out, "%s%s", out->len ? " " : "", f->info->code);
    }
  return out->str;
}

/* ---- layouts, ports, bus numbers ---- */

static void
test_gb200_per_smmu (void)
{
  g_autoptr (host_model) host = load_fixture ("gb200");
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) plan = plan_all_vfio (host, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  /* 6 vfio-pci endpoints behind 6 SMMUs: 6 pxbs (1-6), 6 ports (7-12) */
  g_assert_cmpuint (plan->root_complexes->len, ==, 6);
  g_assert_cmpuint (plan->domain->iommus->len, ==, 6);
  g_assert_cmpuint (plan->domain->endpoints->len, ==, 6);
  static const int bus_nr[] = { 252, 248, 244, 240, 236, 232 };
  for (guint i = 0; i < 6; i++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      const guest_bus *pxb = bus_at (plan, rc->rc_index);
      g_assert_cmpint (pxb->index, ==, (int) i + 1);
      g_assert_cmpint (pxb->kind, ==, GUEST_BUS_PXB_PCIE);
      g_assert_cmpint (pxb->bus_nr, ==, bus_nr[i]);
      g_assert_cmpint (pxb->parent, ==, 0);
      g_assert_cmpint (pxb->slot, ==, (int) i + 1);
      g_assert_cmpint (rc->bus_last, ==, bus_nr[i] + 3);
      /* the vSMMU stands for the SMMU of the devices below it */
      const guest_iommu *iommu = g_ptr_array_index (plan->domain->iommus, rc->iommu);
      g_assert_cmpint (iommu->pci_bus, ==, pxb->index);
      g_assert_true (guest_iommu_is_accel (iommu));
      const host_pci_device *dev = g_ptr_array_index (rc->devices, 0);
      g_assert_cmpstr (iommu->host_smmu, ==, dev->smmu);
      g_autofree char *id = g_strdup_printf ("iommu%u", i);
      g_assert_cmpstr (iommu->id, ==, id);
      /* NUMA: the guest mirrors nodes 0-1, the pxb sits on its devices' node */
      g_assert_cmpint (pxb->numa_node, ==, dev->numa_node);
      g_assert_cmpint (pxb->numa_node, >=, 0);
    }
  for (guint i = 0; i < 6; i++)
    {
      const guest_bus *port = bus_at (plan, (int) i + 7);
      g_assert_cmpint (port->kind, ==, GUEST_BUS_ROOT_PORT);
      g_assert_cmpint (port->parent, ==, (int) i + 1);
      g_assert_cmpint (port->hotplug, ==, TRI_NO);
      g_assert_cmpint (port->chassis, ==, port->index);
      const guest_endpoint *ep = g_ptr_array_index (plan->domain->endpoints, i);
      g_assert_cmpint (ep->bus, ==, port->index);
      g_assert_cmpint (ep->slot, ==, 0);
      g_assert_cmpint (ep->iommufd, ==, TRI_YES);
      g_assert_false (ep->managed);
      g_autofree char *id = g_strdup_printf ("hostdev%u", i);
      g_assert_cmpstr (ep->id, ==, id);
    }
  g_assert_cmpuint (plan->domain->numa_cells->len, ==, 2);
  /* 4 x 512 GiB GPU BARs and small ones: 4 TiB window */
  g_assert_true (plan->mmio64_raised);
  g_assert_cmpuint (plan->domain->mmio64_size, ==, G_GUINT64_CONSTANT (4) << 40);
  /* the NIC SMMUs have no CANWBS and no FWB: not a warning of the planner
   * but an error of the plan's own check (SMU307), with what to change */
  g_assert_cmpuint (plan->warnings->len, ==, 0);
  g_autoptr (finding_list) findings = check_plan (plan, host);
  g_assert_cmpstr (error_codes (findings), ==, "SMU307 SMU307");
  g_autoptr (GPtrArray) changes = plan_changes (plan, host, findings);
  g_assert_cmpuint (changes->len, ==, 3);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (changes, 0), "leave out 0000:01:00.0: behind host SMMU "
                                                                   "smmu3.0x0000000011000000"));
  g_assert_cmpstr (g_ptr_array_index (changes, 2), ==, "to plan the others, select them: --device 0008:01:00.0 "
                                                       "--device 0009:01:00.0 --device 0018:01:00.0 --device "
                                                       "0019:01:00.0");
}

static void
test_layouts (void)
{
  g_autoptr (host_model) host = synthetic_host (3);
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) smmu = plan_all_vfio (host, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (smmu->root_complexes->len, ==, 1);
  const plan_root_complex *rc = g_ptr_array_index (smmu->root_complexes, 0);
  g_assert_cmpuint (rc->n_ports, ==, 3);
  g_assert_cmpint (rc->bus_first, ==, 250); /* 1 + 3 ports + 2 headroom = 6 buses: 250-255 */
  g_assert_cmpint (rc->bus_last, ==, 255);
  for (int i = 0; i < 3; i++)
    {
      const guest_bus *port = bus_at (smmu, 2 + i);
      g_assert_cmpint (port->parent, ==, 1);
      g_assert_cmpint (port->slot, ==, i);
      g_assert_cmpint (port->port, ==, i << 3);
    }

  g_autoptr (guest_plan) dev = plan_all_vfio (host, PLAN_LAYOUT_PER_DEVICE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dev->root_complexes->len, ==, 3);
  g_assert_cmpuint (dev->domain->iommus->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const plan_root_complex *r = g_ptr_array_index (dev->root_complexes, i);
      g_assert_cmpuint (r->n_ports, ==, 1);
      g_assert_cmpint (r->bus_first, ==, 252 - 4 * (int) i);
      const guest_iommu *iommu = g_ptr_array_index (dev->domain->iommus, i);
      g_assert_cmpstr (iommu->host_smmu, ==, "smmu3.0x0000000016000000");
    }
}

static void
test_bus_headroom_and_exhaustion (void)
{
  g_autoptr (host_model) host = synthetic_host (60);
  g_autoptr (GError) error = NULL;
  plan_request req;
  plan_request_init (&req);
  req.all_vfio = TRUE;
  req.layout = PLAN_LAYOUT_PER_DEVICE;
  req.bus_headroom = 0;
  /* 60 pxbs x 2 buses = 120 fit, but pcie.0 has 31 slots */
  g_autoptr (guest_plan) none = planner_plan (host, &req, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "pcie.0 has no free slot"));
  g_clear_error (&error);

  /* per-smmu: 1 pxb + 60 ports, headroom 3 each = 64 buses: fits; 200 headroom does not */
  req.layout = PLAN_LAYOUT_PER_SMMU;
  req.bus_headroom = 3;
  g_autoptr (guest_plan) fits = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  const plan_root_complex *rc = g_ptr_array_index (fits->root_complexes, 0);
  g_assert_cmpint (rc->bus_first, ==, 256 - 64);
  g_assert_cmpint (fits->pcie0_last, ==, 3);
  /* more than 32 ports: eight functions per slot */
  const guest_bus *port40 = bus_at (fits, 2 + 40);
  g_assert_cmpint (port40->slot, ==, 5);
  g_assert_cmpint (port40->function, ==, 0);
  const guest_bus *port41 = bus_at (fits, 2 + 41);
  g_assert_cmpint (port41->slot, ==, 5);
  g_assert_cmpint (port41->function, ==, 1);

  req.bus_headroom = 200;
  g_autoptr (guest_plan) too_many = planner_plan (host, &req, NULL, &error);
  g_assert_null (too_many);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "bus numbers exhausted"));
}

static void
test_multifunction (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host->dev_iommu.present = TRUE;
  host_smmu *smmu = add_smmu (host, 0x30000000, 0);
  set_idrs (smmu, IDR0_S1P | IDR0_S2P, 0, IDR3_FWB, IDR5_OAS (5));
  add_device (host, "0000:05:00.1", "vfio-pci", smmu, 7);
  add_device (host, "0000:05:00.2", "vfio-pci", smmu, 8);
  add_device (host, "0000:06:00.0", "vfio-pci", smmu, 9);
  host_model_finish (host);
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) plan = plan_all_vfio (host, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, 0);
  g_assert_cmpuint (rc->n_ports, ==, 2); /* 05:00.x share one port */
  const guest_endpoint *a = g_ptr_array_index (plan->domain->endpoints, 0);
  const guest_endpoint *b = g_ptr_array_index (plan->domain->endpoints, 1);
  const guest_endpoint *c = g_ptr_array_index (plan->domain->endpoints, 2);
  g_assert_cmpint (a->bus, ==, b->bus);
  g_assert_cmpint (a->bus, !=, c->bus);
  /* renumbered from function 0: a slot without function 0 is never scanned */
  g_assert_cmpint (a->function, ==, 0);
  g_assert_cmpint (b->function, ==, 1);
  g_assert_cmpstr (a->host_bdf, ==, "0000:05:00.1");
}

/* ---- selection and its refusals ---- */

static void
test_group_peers (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host->dev_iommu.present = TRUE;
  host_smmu *smmu = add_smmu (host, 0x30000000, 0);
  add_device (host, "0000:01:00.0", "vfio-pci", smmu, 5);
  add_device (host, "0000:01:00.1", "vfio-pci", smmu, 5);
  add_device (host, "0000:02:00.0", "vfio-pci", smmu, 6);
  add_device (host, "0000:02:00.1", "igb", smmu, 6);
  host_model_finish (host);
  g_autoptr (GError) error = NULL;

  /* a vfio-pci peer comes along, with the reason */
  plan_request req;
  plan_request_init (&req);
  const char *one[] = { "0000:01:00.0", NULL };
  req.devices = one;
  g_autoptr (guest_plan) plan = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->devices->len, ==, 2);
  const guest_endpoint *peer = g_ptr_array_index (plan->domain->endpoints, 1);
  g_assert_cmpstr (peer->host_bdf, ==, "0000:01:00.1");
  g_assert_nonnull (strstr (peer->comment, "shares IOMMU group 5 with 0000:01:00.0"));

  /* a peer on another driver splits the group */
  const char *split[] = { "0000:02:00.0", NULL };
  req.devices = split;
  g_autoptr (guest_plan) refused = planner_plan (host, &req, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "IOMMU group 6 is split"));
  g_assert_nonnull (strstr (error->message, "0000:02:00.1 in the same group is bound to igb"));
  g_clear_error (&error);

  /* --managed alone does not take a peer the host uses (libvirt would
   * unbind it from igb): refused, naming it and its driver */
  req.managed = TRUE;
  g_assert_null (planner_plan (host, &req, NULL, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "--managed would take 0000:02:00.1 (bound to igb, IOMMU group 6 with "
                                            "0000:02:00.0) from the host"));
  g_clear_error (&error);
  /* named, or with --managed-peers: libvirt binds the peer too */
  const char *both[] = { "0000:02:00.0", "0000:02:00.1", NULL };
  req.devices = both;
  g_autoptr (guest_plan) named = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (named->devices->len, ==, 2);
  req.devices = split;
  req.managed_peers = TRUE;
  g_autoptr (guest_plan) managed = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (managed->devices->len, ==, 2);
  g_assert_true (((const guest_endpoint *) g_ptr_array_index (managed->domain->endpoints, 0))->managed);
}

static void
test_refusals (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host_smmu *smmu = add_smmu (host, 0x30000000, 0);
  add_device (host, "0000:01:00.0", "mlx5_core", smmu, 1);
  add_device (host, "0000:02:00.0", "vfio-pci", NULL, 2);
  add_device (host, "0000:03:00.0", "vfio-pci", smmu, -1);
  host_pci_device *bridge = add_device (host, "0000:00:01.0", "pcieport", smmu, 9);
  bridge->is_bridge = TRUE;
  host_model_finish (host);
  static const struct {
    const char *bdf;
    int code;
    const char *message;
  } cases[] = {
    { "0000:09:00.0", SMMUCTL_ERROR_PLAN, "0000:09:00.0: not found under /snap/sys/bus/pci/devices (try: smmuctl probe --root /snap)" },
    { "0000:01:00.0", SMMUCTL_ERROR_PLAN, "0000:01:00.0 (mlx5_core) is not bound to vfio-pci; bind it: echo vfio-pci > /sys/bus/pci/devices/0000:01:00.0/driver_override" },
    { "0000:01:00.0", SMMUCTL_ERROR_PLAN, "or plan with --managed" },
    { "0000:02:00.0", SMMUCTL_ERROR_PLAN, "no SMMUv3 known behind it" },
    { "0000:03:00.0", SMMUCTL_ERROR_PLAN, "no IOMMU group under /snap/sys/bus/pci/devices (no IOMMU translates it)" },
    { "0000:00:01.0", SMMUCTL_ERROR_PLAN, "is a PCI bridge" },
    { "01:00", SMMUCTL_ERROR_USAGE, "not a PCI address" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      plan_request req;
      plan_request_init (&req);
      req.host_where = "under /snap/sys/bus/pci/devices";
      req.probe_hint = "smmuctl probe --root /snap";
      const char *devices[] = { cases[i].bdf, NULL };
      req.devices = devices;
      g_autoptr (GError) error = NULL;
      g_autoptr (guest_plan) plan = planner_plan (host, &req, NULL, &error);
      g_assert_null (plan);
      g_assert_error (error, SMMUCTL_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %" G_GSIZE_FORMAT ": '%s' not in '%s'", i, cases[i].message, error->message);
    }
  /* nothing selected at all, or nothing matching */
  plan_request req;
  plan_request_init (&req);
  g_autoptr (GError) error = NULL;
  g_assert_null (planner_plan (host, &req, NULL, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE);
  g_clear_error (&error);
  req.have_vendor = TRUE;
  req.vendor = 0x8086;
  g_assert_null (planner_plan (host, &req, NULL, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "no vendor 8086 device found"));
}

static void
test_fixture_refusals (void)
{
  g_autoptr (host_model) split = load_fixture ("split-group");
  g_autoptr (GError) error = NULL;
  g_assert_null (plan_all_vfio (split, PLAN_LAYOUT_PER_SMMU, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "IOMMU group 5 is split"));
  g_clear_error (&error);

  /* no /dev/iommu and no cdevs: what used to be warnings ("will fail when
   * the VM starts") are errors of the plan's own check */
  g_autoptr (host_model) old = load_fixture ("no-iommufd");
  g_autoptr (guest_plan) plan = plan_all_vfio (old, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < plan->warnings->len; i++)
    g_assert_null (strstr (g_ptr_array_index (plan->warnings, i), "/dev/iommu"));
  g_autoptr (finding_list) findings = check_plan (plan, old);
  g_assert_cmpstr (error_codes (findings), ==, "SMU304 SMU304");
  g_autoptr (GPtrArray) changes = plan_changes (plan, old, findings);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (changes, 0), "load iommufd on the host"));

  /* no16k: QEMU's check refuses its SMMU; the planner names the device and QEMU's reason */
  g_autoptr (host_model) no16k = load_fixture ("no16k");
  g_autoptr (guest_plan) refused = plan_all_vfio (no16k, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  g_autoptr (finding_list) incompatible = check_plan (refused, no16k);
  g_assert_cmpstr (error_codes (incompatible), ==, "SMU309");
  g_autoptr (GPtrArray) drop = plan_changes (refused, no16k, incompatible);
  g_assert_cmpstr (g_ptr_array_index (drop, 0), ==, "leave out 0000:01:00.0: behind host SMMU "
                                                    "smmu3.0x0000000040000000, which cannot back an accelerated "
                                                    "vSMMU: QEMU refuses it: \"Host SMMUv3 doesn't support 16K "
                                                    "translation granule\" (SMU309)");
}

static void
test_targets (void)
{
  g_autoptr (host_model) host = synthetic_host (1);
  plan_request req;
  plan_request_init (&req);
  req.all_vfio = TRUE;
  req.check_libvirt = TRUE;
  g_assert_true (sw_version_parse ("10.1.0", &req.target_qemu.version));
  req.target_qemu_source = "--target-qemu";
  g_autoptr (GError) error = NULL;
  g_assert_null (planner_plan (host, &req, NULL, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "target QEMU 10.1.0 (--target-qemu) cannot express this plan"));
  g_assert_nonnull (strstr (error->message, "from 10.2.0"));
  g_assert_nonnull (strstr (error->message, "from 11.0.0"));
  g_clear_error (&error);

  req.target_qemu = sw_target_from_version (sw_newest_known (SW_QEMU));
  g_assert_true (sw_version_parse ("9.0.0", &req.target_libvirt.version));
  req.target_libvirt_source = "installed";
  g_assert_null (planner_plan (host, &req, NULL, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "target libvirt 9.0.0 (installed)"));
  g_assert_nonnull (strstr (error->message, "pciBus"));
  g_clear_error (&error);

  /* a QEMU script or JSON does not need libvirt */
  req.check_libvirt = FALSE;
  g_autoptr (guest_plan) plan = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plan);
}

/* ---- vSMMU properties (issue 6) ---- */

static char *
props_string (const guest_iommu *iommu)
{
  static const char *const names[] = { "accel", "ats", "ril", "ssidsize", "oas", "cmdqv" };
  g_autoptr (GString) s = g_string_new (NULL);
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    {
      const vsmmu_prop *prop = &iommu->props[p];
      if (prop->state == PROP_ABSENT)
        continue;
      g_string_append_printf (s, "%s%s=", s->len ? " " : "", names[p]);
      if (prop->state == PROP_AUTO)
        g_string_append (s, "auto");
      else
        g_string_append_printf (s, "%u", prop->value);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
derive (const host_model *host, const char *smmu_name, const char *target, guint *n_warnings)
{
  const host_smmu *smmu = host_find_smmu (host, smmu_name);
  g_assert_nonnull (smmu);
  g_autoptr (GPtrArray) devices = g_ptr_array_new ();
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (host->devices, i);
      if (!dev->is_bridge && g_strcmp0 (dev->smmu, smmu_name) == 0 && g_strcmp0 (dev->driver, "vfio-pci") == 0)
        g_ptr_array_add (devices, (gpointer) dev);
    }
  sw_version v;
  g_assert_true (sw_version_parse (target, &v));
  guest_iommu *iommu = guest_iommu_new ();
  iommu->id = g_strdup ("iommu0");
  g_autoptr (GString) why = g_string_new (NULL);
  g_autoptr (GPtrArray) warnings = g_ptr_array_new_with_free_func (g_free);
  plan_derive_vsmmu_props (smmu, (const host_pci_device *const *) devices->pdata, devices->len, sw_target_from_version (v), iommu, why,
                           warnings);
  *n_warnings = warnings->len;
  char *s = props_string (iommu);
  guest_iommu_free (iommu);
  return s;
}

static void
test_vsmmu_props_fixtures (void)
{
  static const struct {
    const char *host, *smmu, *target, *props;
    guint warnings;
  } cases[] = {
    /* GPU SMMU: ATS both sides, SSID 20 = GPU PASID 20, RIL, 48-bit OAS */
    { "gb200", "smmu3.0x0000000016000000", "11.1", "accel=1 ats=1 ril=1 ssidsize=20 oas=48", 0 },
    /* NIC SMMU: ConnectX-7 has ATS but no PASID */
    { "gb200", "smmu3.0x0000000011000000", "11.1", "accel=1 ats=1 ril=1 ssidsize=0 oas=48", 0 },
    /* MMU-600: no RIL, 44-bit OAS; A100 without PASID */
    { "altra", "smmu3.0x0000100002000000", "11.1", "accel=1 ats=1 ril=0 ssidsize=0 oas=44", 0 },
    /* Kunpeng SMMU: no ATS */
    { "kunpeng", "smmu3.0x0000000140000000", "11.1", "accel=1 ats=0 ril=1 ssidsize=0 oas=48", 0 },
    /* no hw_info recorded: auto where QEMU has it (11.1: every property, oas too) */
    { "no-iommufd", "smmu3.0x0000100002000000", "11.1", "accel=1 ats=auto ril=auto ssidsize=auto oas=auto", 0 },
    /* ... and omitted on a QEMU without auto */
    { "no-iommufd", "smmu3.0x0000100002000000", "11.0", "accel=1", 1 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (host_model) host = load_fixture (cases[i].host);
      guint warnings = 0;
      g_autofree char *props = derive (host, cases[i].smmu, cases[i].target, &warnings);
      if (g_strcmp0 (props, cases[i].props) != 0)
        g_error ("%s %s: got '%s', want '%s'", cases[i].host, cases[i].smmu, props, cases[i].props);
      g_assert_cmpuint (warnings, ==, cases[i].warnings);
    }
}

static void
test_vsmmu_props_edges (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host_smmu *smmu = add_smmu (host, 0x40000000, 0);
  host_pci_device *dev = add_device (host, "0000:01:00.0", "vfio-pci", smmu, 1);
  host_model_finish (host);
  guint warnings = 0;

  /* OAS field 6 is 52 bits (not 32 + 4*6 = 56): QEMU's largest, 48 */
  set_idrs (smmu, IDR0_S1P | IDR0_S2P | IDR0_ATS, IDR1_SSID (20), IDR3_RIL, IDR5_OAS (6));
  dev->pasid_width = 16;
  g_autofree char *a = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (a, ==, "accel=1 ats=1 ril=1 ssidsize=16 oas=48");

  /* OAS field 3 is 42 bits: below QEMU's 44, omitted with a warning */
  set_idrs (smmu, IDR0_S1P | IDR0_S2P, IDR1_SSID (8), 0, IDR5_OAS (3));
  g_autofree char *b = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (b, ==, "accel=1 ats=0 ril=0 ssidsize=8");
  g_assert_cmpuint (warnings, ==, 1);

  /* a device whose ATS and PASID are unknown: auto on 11.1 */
  set_idrs (smmu, IDR0_S1P | IDR0_S2P | IDR0_ATS, IDR1_SSID (20), IDR3_RIL, IDR5_OAS (5));
  dev->ats = TRI_UNKNOWN;
  dev->pasid = TRI_UNKNOWN;
  dev->pasid_width = -1;
  g_autofree char *c = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (c, ==, "accel=1 ats=auto ril=1 ssidsize=auto oas=48");
  g_assert_cmpuint (warnings, ==, 0);
  g_autofree char *d = derive (host, smmu->name, "11.0", &warnings);
  g_assert_cmpstr (d, ==, "accel=1 ril=1 oas=48");
  g_assert_cmpuint (warnings, ==, 1);

  /* QEMU caps ssidsize at 20 */
  set_idrs (smmu, IDR0_S1P | IDR0_S2P, IDR1_SSID (31), 0, IDR5_OAS (5));
  dev->pasid = TRI_YES;
  dev->pasid_width = 31;
  g_autofree char *e = derive (host, smmu->name, "11.1", &warnings);
  g_assert_nonnull (strstr (e, "ssidsize=20"));

  /* ats and ssidsize hold for every device below the vSMMU: one without
   * ATS (its config space, or the kernel's PCI_ATS_NOT_SUPPORTED) turns ats
   * off, the kernel's PASID width narrows ssidsize */
  set_idrs (smmu, IDR0_S1P | IDR0_S2P | IDR0_ATS, IDR1_SSID (20), IDR3_RIL, IDR5_OAS (5));
  dev->ats = TRI_YES;
  dev->pasid_width = 20;
  host_pci_device *nic = add_device (host, "0000:02:00.0", "vfio-pci", smmu, 2);
  nic->ats = TRI_NO;
  nic->pasid = TRI_YES;
  nic->pasid_width = 20;
  host_model_finish (host);
  g_autofree char *f = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (f, ==, "accel=1 ats=0 ril=1 ssidsize=20 oas=48");
  nic->ats = TRI_YES;
  nic->hw_known = TRUE;
  nic->hw_capabilities = 0x8; /* IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED */
  nic->hw_max_pasid_log2 = 10;
  g_autofree char *g = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (g, ==, "accel=1 ats=0 ril=1 ssidsize=10 oas=48");
  nic->hw_capabilities = 0;
  g_autofree char *h = derive (host, smmu->name, "11.1", &warnings);
  g_assert_cmpstr (h, ==, "accel=1 ats=1 ril=1 ssidsize=10 oas=48");
}

static void
test_format_size (void)
{
  static const struct {
    guint64 bytes;
    const char *text;
  } cases[] = {
    { 0, "0 B" },
    { 512, "512 B" },
    { G_GUINT64_CONSTANT (4) << 40, "4 TiB" },
    { (G_GUINT64_CONSTANT (2) << 40) + (G_GUINT64_CONSTANT (192) << 20), "2.0 TiB" },
    { G_GUINT64_CONSTANT (2202009), "2.1 MiB" },
    { (G_GUINT64_CONSTANT (1) << 30) - 1, "1.0 GiB" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = units_format_size (cases[i].bytes);
      g_assert_cmpstr (s, ==, cases[i].text);
    }
}

static void
add_bar (host_pci_device *dev, guint64 size, gboolean is64, gboolean prefetchable)
{
  host_bar bar = { dev->bars->len, 0, size, is64, prefetchable };
  g_array_append_val (dev->bars, bar);
  dev->bar64_total += is64 ? size : 0;
}

/* A guest with one pxb and a root port per device, each hostdev on its port. */
static guest_domain *
guest_with_ports (const host_model *host)
{
  guest_domain *dom = guest_domain_new ();
  g_ptr_array_add (dom->buses, guest_bus_new (0, GUEST_BUS_PCIE_ROOT));
  guest_bus *pxb = guest_bus_new (1, GUEST_BUS_PXB_PCIE);
  pxb->parent = 0;
  g_ptr_array_add (dom->buses, pxb);
  for (guint i = 0; i < host->devices->len; i++)
    {
      guest_bus *port = guest_bus_new ((int) i + 2, GUEST_BUS_ROOT_PORT);
      port->parent = 1;
      g_ptr_array_add (dom->buses, port);
      guest_endpoint *ep = guest_endpoint_new (GUEST_EP_HOSTDEV);
      ep->host_bdf = g_strdup (((const host_pci_device *) host->devices->pdata[i])->bdf);
      ep->bus = port->index;
      g_ptr_array_add (dom->endpoints, ep);
    }
  guest_domain_resolve (dom);
  return dom;
}

/* One computation for the planner and SMU402 (mmio64.c): what lands in the
 * 64-bit prefetchable window, aligned as bridge windows are. */
static void
test_mmio_window (void)
{
  const guint64 M = G_GUINT64_CONSTANT (1) << 20, G = G_GUINT64_CONSTANT (1) << 30;
  g_assert_cmpuint (mmio64_window_for (0), ==, 512 * G);
  g_assert_cmpuint (mmio64_window_for (512 * G), ==, 512 * G);
  g_assert_cmpuint (mmio64_window_for (512 * G + 1), ==, 1024 * G);

  g_autoptr (host_model) host = synthetic_host (2);
  for (guint i = 0; i < host->devices->len; i++)
    {
      host_pci_device *dev = host->devices->pdata[i];
      add_bar (dev, 16 * M, FALSE, FALSE);  /* 32-bit: the low window */
      add_bar (dev, 512 * G, TRUE, TRUE);
      add_bar (dev, 32 * M, TRUE, TRUE);
      add_bar (dev, 1 * G, TRUE, FALSE);    /* 64-bit non-prefetchable: a bridge puts it below 4 GiB */
    }
  g_autoptr (guest_domain) dom = guest_with_ports (host);
  /* Port windows of 512 GiB + 32 MiB, each aligned to 512 GiB: the second
   * starts at 1 TiB.  A plain sum (1 TiB + 64 MiB) would miss the gap. */
  g_assert_cmpuint (mmio64_need (dom, host), ==, 1536 * G + 32 * M);
  g_assert_cmpuint (mmio64_window_for (mmio64_need (dom, host)), ==, 2048 * G);

  /* One device: 512 GiB + 32 MiB no longer fits the 512 GiB default. */
  g_ptr_array_remove_index (dom->endpoints, 1);
  g_assert_cmpuint (mmio64_window_for (mmio64_need (dom, host)), ==, 1024 * G);
  /* A BAR of 4 KiB still takes a 1 MiB bridge window. */
  g_autoptr (host_model) small = synthetic_host (1);
  add_bar (small->devices->pdata[0], 4096, TRUE, TRUE);
  g_autoptr (guest_domain) small_dom = guest_with_ports (small);
  g_assert_cmpuint (mmio64_need (small_dom, small), ==, M);
}

/* ---- merging into a base domain ---- */

static guest_domain *
base_domain (void)
{
  guest_domain *dom = guest_domain_new ();
  dom->name = g_strdup ("base");
  dom->domain_type = g_strdup ("kvm");
  dom->arch = g_strdup ("aarch64");
  dom->machine = g_strdup ("virt-10.2");
  dom->acpi = TRI_NO;
  dom->line = 1;
  g_ptr_array_add (dom->buses, guest_bus_new (0, GUEST_BUS_PCIE_ROOT));
  guest_bus *port = guest_bus_new (1, GUEST_BUS_ROOT_PORT);
  port->parent = 0;
  port->slot = 1;
  port->function = 0;
  port->chassis = 1;
  g_ptr_array_add (dom->buses, port);
  guest_bus *pxb = guest_bus_new (3, GUEST_BUS_PXB_PCIE);
  pxb->parent = 0;
  pxb->slot = 2;
  pxb->function = 0;
  pxb->bus_nr = 250;
  g_ptr_array_add (dom->buses, pxb);
  guest_bus *pxb_port = guest_bus_new (4, GUEST_BUS_ROOT_PORT);
  pxb_port->parent = 3;
  pxb_port->slot = 0;
  pxb_port->chassis = 6; /* the index of our first new root port */
  g_ptr_array_add (dom->buses, pxb_port);
  guest_endpoint *net = guest_endpoint_new (GUEST_EP_EMULATED);
  net->model = g_strdup ("virtio-net-pci");
  net->bus = 1;
  net->slot = 0;
  net->address_explicit = TRUE;
  g_ptr_array_add (dom->endpoints, net);
  guest_endpoint *gpu = guest_endpoint_new (GUEST_EP_HOSTDEV);
  gpu->element = g_strdup ("hostdev");
  gpu->host_bdf = g_strdup ("0009:01:00.0");
  gpu->bus = 4;
  gpu->slot = 0;
  gpu->address_explicit = TRUE;
  gpu->line = 40;
  g_ptr_array_add (dom->endpoints, gpu);
  guest_domain_resolve (dom);
  return dom;
}

static void
test_merge_base (void)
{
  g_autoptr (host_model) host = synthetic_host (2);
  plan_request req;
  plan_request_init (&req);
  req.all_vfio = TRUE;
  req.layout = PLAN_LAYOUT_PER_DEVICE;
  req.base_name = "base.xml";
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) plan = planner_plan (host, &req, base_domain (), &error);
  g_assert_no_error (error);
  g_assert_true (plan->merged);
  g_assert_true (plan->add_acpi);
  g_assert_cmpuint (plan->n_base_buses, ==, 4);
  g_assert_cmpuint (plan->n_base_endpoints, ==, 2);
  /* base elements unchanged, first */
  g_assert_cmpint (bus_at (plan, 3)->bus_nr, ==, 250);
  g_assert_cmpint (bus_at (plan, 1)->slot, ==, 1);
  /* new indexes: the lowest the base leaves free (2, then 5, 6, 7; never
   * past 255); pcie.0 slots 1 and 2 are taken */
  const plan_root_complex *first = g_ptr_array_index (plan->root_complexes, 0);
  const plan_root_complex *second = g_ptr_array_index (plan->root_complexes, 1);
  g_assert_cmpint (first->rc_index, ==, 2);
  g_assert_cmpint (second->rc_index, ==, 5);
  g_assert_cmpint (bus_at (plan, 2)->slot, ==, 3);
  g_assert_cmpint (bus_at (plan, 5)->slot, ==, 4);
  g_assert_cmpint (bus_at (plan, 6)->parent, ==, 2);
  g_assert_cmpint (bus_at (plan, 7)->parent, ==, 5);
  /* bus numbers: 252-255 free; 248-251 meets the base pxb (250-251): 246-249 */
  g_assert_cmpint (first->bus_first, ==, 252);
  g_assert_cmpint (second->bus_first, ==, 246);
  /* pcie.0: the base's one port + headroom 2 */
  g_assert_cmpint (plan->pcie0_last, ==, 3);
  /* chassis 6 is the base's: the first new port (index 6) takes the lowest
   * free one (2), the next keeps its index (7) */
  g_assert_cmpint (bus_at (plan, 6)->chassis, ==, 2);
  g_assert_cmpint (bus_at (plan, 7)->chassis, ==, 7);
  /* hostdev aliases continue after the base's hostdev */
  const guest_endpoint *ep = g_ptr_array_index (plan->domain->endpoints, 2);
  g_assert_cmpstr (ep->id, ==, "hostdev1");

  /* a device assigned already */
  g_autoptr (host_model) host9 = synthetic_host (0);
  host_pci_device *dup = add_device (host9, "0009:01:00.0", "vfio-pci", g_ptr_array_index (host9->smmus, 0), 3);
  (void) dup;
  host_model_finish (host9);
  g_assert_null (planner_plan (host9, &req, base_domain (), &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "base.xml:40: 0009:01:00.0 is already assigned"));
}

static void
test_merge_refusals (void)
{
  g_autoptr (host_model) host = synthetic_host (1);
  plan_request req;
  plan_request_init (&req);
  req.all_vfio = TRUE;
  req.base_name = "base.xml";
  g_autoptr (GError) error = NULL;

  guest_domain *x86 = base_domain ();
  g_free (x86->arch);
  x86->arch = g_strdup ("x86_64");
  g_assert_null (planner_plan (host, &req, x86, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "not an aarch64 virt domain"));
  g_clear_error (&error);

  guest_domain *wide = base_domain ();
  guest_iommu *iommu = guest_iommu_new ();
  iommu->model = g_strdup ("smmuv3");
  iommu->line = 33;
  g_ptr_array_add (wide->iommus, iommu);
  g_assert_null (planner_plan (host, &req, wide, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "base.xml:33: already has a machine-wide IOMMU"));
  g_clear_error (&error);

  guest_domain *tcg = base_domain ();
  g_free (tcg->domain_type);
  tcg->domain_type = g_strdup ("qemu");
  g_assert_null (planner_plan (host, &req, tcg, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_PLAN);
  g_assert_nonnull (strstr (error->message, "needs KVM"));
  g_clear_error (&error);

  /* a per-bus vSMMU on another root complex is kept */
  guest_domain *per_bus = base_domain ();
  guest_iommu *kept = guest_iommu_new ();
  kept->model = g_strdup ("smmuv3");
  kept->pci_bus = 3;
  g_ptr_array_add (per_bus->iommus, kept);
  g_autoptr (guest_plan) plan = planner_plan (host, &req, per_bus, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->domain->iommus->len, ==, 2);
  g_assert_cmpstr (((const guest_iommu *) g_ptr_array_index (plan->domain->iommus, 1))->id, ==, "iommu1");
}

static void
test_deterministic (void)
{
  g_autoptr (host_model) host = load_fixture ("kunpeng");
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) a = plan_all_vfio (host, PLAN_LAYOUT_PER_SMMU, &error);
  g_autoptr (guest_plan) b = plan_all_vfio (host, PLAN_LAYOUT_PER_SMMU, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->why->len, ==, b->why->len);
  for (guint i = 0; i < a->why->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->why, i), ==, g_ptr_array_index (b->why, i));
  /* the Kunpeng devices sit on host nodes 0 and 2; the guest mirrors 4 nodes */
  g_assert_cmpint (bus_at (a, 1)->numa_node, ==, 0);
  g_assert_cmpint (bus_at (a, 2)->numa_node, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/planner/gb200-per-smmu", test_gb200_per_smmu);
  g_test_add_func ("/planner/layouts", test_layouts);
  g_test_add_func ("/planner/bus-headroom-and-exhaustion", test_bus_headroom_and_exhaustion);
  g_test_add_func ("/planner/multifunction", test_multifunction);
  g_test_add_func ("/planner/group-peers", test_group_peers);
  g_test_add_func ("/planner/refusals", test_refusals);
  g_test_add_func ("/planner/fixture-refusals", test_fixture_refusals);
  g_test_add_func ("/planner/targets", test_targets);
  g_test_add_func ("/planner/vsmmu-props/fixtures", test_vsmmu_props_fixtures);
  g_test_add_func ("/planner/vsmmu-props/edges", test_vsmmu_props_edges);
  g_test_add_func ("/planner/mmio-window", test_mmio_window);
  g_test_add_func ("/planner/format-size", test_format_size);
  g_test_add_func ("/planner/merge-base", test_merge_base);
  g_test_add_func ("/planner/merge-refusals", test_merge_refusals);
  g_test_add_func ("/planner/deterministic", test_deterministic);
  return g_test_run ();
}
