/* The verify rules (see verify.h): planned topology + guest model → findings. */
#include "verify.h"

#include <string.h>

/* Deeper than any PCIe tree QEMU builds (root port, switch, bridges): a
 * longer chain of parents is a loop in a damaged tree. */
#define MAX_PCI_DEPTH 32

static void
verify_device_free (verify_device *d)
{
  g_free (d->planned_at);
  if (d->group_endpoints != NULL)
    g_ptr_array_unref (d->group_endpoints);
  g_ptr_array_unref (d->codes);
  g_free (d);
}

void
verify_result_free (verify_result *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->vsmmus);
  g_ptr_array_unref (result->devices);
  finding_list_free (result->findings);
  g_free (result);
}

/* Host bridges (pcie.0's and each pxb-pcie's, class 06:00) and PCI bridges
 * are the tree, not devices anyone plans. */
static gboolean
is_infrastructure (const host_pci_device *dev)
{
  return dev->is_bridge || (dev->class_code >> 8) == 0x0600;
}

char *
verify_guest_path (const host_model *guest, const host_pci_device *dev)
{
  g_autoptr (GString) tail = g_string_new (NULL);
  const host_pci_device *top = dev;
  for (int depth = 0; top->parent_bdf != NULL; depth++)
    {
      const host_pci_device *parent = host_find_device (guest, top->parent_bdf);
      if (parent == NULL || depth == MAX_PCI_DEPTH)
        return NULL;
      char level[8];
      g_snprintf (level, sizeof level, "/%02x.%x", top->slot, top->function);
      g_string_prepend (tail, level);
      top = parent;
    }
  return g_strdup_printf ("%04x:%02x:%02x.%x%s", top->segment, top->bus, top->slot, top->function, tail->str);
}

/* "slot 00.0 below pci.3 of pci.1 (bus_nr 252)": the plan's words for a place. */
static char *
describe_place (const guest_domain *dom, const guest_endpoint *ep, const guest_bus *rc)
{
  const guest_bus *port = guest_find_bus (dom, ep->bus);
  g_autofree char *where = port != NULL && port != rc ? g_strdup_printf (" below %s", port->id) : g_strdup ("");
  if (rc->kind == GUEST_BUS_PXB_PCIE)
    return g_strdup_printf ("slot %02x.%x%s of %s (pxb-pcie, bus_nr %d)", ep->slot, ep->function, where, rc->id,
                            rc->bus_nr);
  return g_strdup_printf ("slot %02x.%x%s of %s", ep->slot, ep->function, where, rc->id);
}

static const char *
ep_name (const guest_endpoint *ep)
{
  return ep->id != NULL ? ep->id : ep->model != NULL ? ep->model : "endpoint";
}

/* Everything one run needs at hand. */
typedef struct {
  const plan_document *plan;
  const host_model *guest;
  verify_result *result;
  GHashTable *by_path;     /* guest path → host_pci_device* */
  GHashTable *planned_at;  /* planned path → guest_endpoint* (every placed endpoint) */
} verify_run;

static void
add (verify_run *run, verify_device *device, const char *code, finding_severity severity, const char *path,
     const char *hint, const char *format, ...) G_GNUC_PRINTF (7, 8);

static void
add (verify_run *run, verify_device *device, const char *code, finding_severity severity, const char *path,
     const char *hint, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *message = g_strdup_vprintf (format, args);
  va_end (args);
  finding_add (run->result->findings, code, severity, 0, path, hint, "%s", message);
  if (device != NULL)
    g_ptr_array_add (device->codes, (gpointer) finding_code_lookup (code)->code);
}

/* ---- vSMMUs ---- */

static void
check_vsmmus (verify_run *run)
{
  const guest_domain *dom = run->plan->domain;
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      if (iommu->model != NULL && strcmp (iommu->model, "smmuv3") != 0)
        continue; /* virtio-iommu, intel: not an SMMU to find in the IORT */
      verify_vsmmu *v = g_new0 (verify_vsmmu, 1);
      v->planned = iommu;
      v->plan_index = i;
      /* A machine-wide vSMMU (no pciBus) sits on pcie.0. */
      v->root_complex = guest_find_bus (dom, iommu->pci_bus >= 0 ? iommu->pci_bus : 0);
      v->root_bus = v->root_complex != NULL && v->root_complex->kind == GUEST_BUS_PXB_PCIE
                        ? v->root_complex->bus_nr : 0;
      g_ptr_array_add (run->result->vsmmus, v);
      if (!run->guest->iort_present)
        continue;
      const host_rid_range *range = host_rid_range_find (run->guest, 0, (guint32) v->root_bus << 8);
      if (range != NULL)
        {
          v->guest_smmu = range->smmu;
          continue;
        }
      g_autofree char *path = g_strdup_printf ("$.vsmmus[%u]", i);
      const char *rc = v->root_complex != NULL ? v->root_complex->id : "pcie.0";
      add (run, NULL, "SMU605", SEVERITY_ERROR, path,
           "QEMU builds an SMMU for a root complex only from -device arm-smmuv3,primary-bus=ID "
           "(libvirt: <iommu model='smmuv3'><driver pciBus='INDEX'/>): check that the VM was started "
           "from the plan as written",
           "%s: the guest's IORT maps the buses of %s (from bus %d) to no SMMU: the planned vSMMU is "
           "not in the VM", iommu->id ? iommu->id : "vSMMU", rc, v->root_bus);
    }
  /* Two planned vSMMUs behind one guest SMMU: their root complexes share it. */
  GPtrArray *vsmmus = run->result->vsmmus;
  for (guint i = 0; i < vsmmus->len; i++)
    {
      const verify_vsmmu *a = g_ptr_array_index (vsmmus, i);
      if (a->guest_smmu == NULL)
        continue;
      g_autoptr (GString) sharers = g_string_new (NULL);
      gboolean first_of_its_smmu = TRUE;
      for (guint j = 0; j < vsmmus->len; j++)
        {
          const verify_vsmmu *b = g_ptr_array_index (vsmmus, j);
          if (j == i || g_strcmp0 (a->guest_smmu, b->guest_smmu) != 0)
            continue;
          first_of_its_smmu = first_of_its_smmu && j > i;
          g_string_append_printf (sharers, "%s%s (%s)", sharers->len ? ", " : "", b->planned->id,
                                  b->root_complex ? b->root_complex->id : "pcie.0");
        }
      if (sharers->len == 0 || !first_of_its_smmu)
        continue;
      g_autofree char *path = g_strdup_printf ("$.vsmmus[%u]", a->plan_index);
      add (run, NULL, "SMU606", SEVERITY_ERROR, path,
           "give each root complex its own -device arm-smmuv3,primary-bus=ID (libvirt: one <iommu> per "
           "pciBus); a machine-wide -machine virt,iommu=smmuv3 translates every root complex with one SMMU",
           "%s (%s) and %s are planned as separate vSMMUs, but the guest's IORT maps their root complexes "
           "to one SMMU, %s", a->planned->id, a->root_complex ? a->root_complex->id : "pcie.0", sharers->str,
           a->guest_smmu);
    }
  if (!run->guest->iort_present)
    return;
  for (guint s = 0; s < run->guest->smmus->len; s++)
    {
      const host_smmu *smmu = g_ptr_array_index (run->guest->smmus, s);
      gboolean planned = FALSE;
      for (guint i = 0; i < vsmmus->len && !planned; i++)
        planned = g_strcmp0 (((const verify_vsmmu *) g_ptr_array_index (vsmmus, i))->guest_smmu, smmu->name) == 0;
      if (planned)
        continue;
      g_autoptr (GString) buses = g_string_new (NULL);
      for (guint r = 0; r < run->guest->rid_ranges->len; r++)
        {
          const host_rid_range *range = &g_array_index (run->guest->rid_ranges, host_rid_range, r);
          if (g_strcmp0 (range->smmu, smmu->name) == 0)
            g_string_append_printf (buses, "%s%04x:%02x-%02x", buses->len ? ", " : "", range->segment,
                                    range->rid_first >> 8, range->rid_last >> 8);
        }
      add (run, NULL, "SMU607", SEVERITY_ERROR, NULL,
           "remove the SMMU the plan did not ask for (a machine-wide iommu=smmuv3, or an extra "
           "arm-smmuv3/<iommu>), or plan again with the devices it serves",
           "the guest has %s (translating buses %s), which no planned vSMMU accounts for", smmu->name,
           buses->len ? buses->str : "none");
    }
}

/* ---- devices ---- */

static const verify_vsmmu *
vsmmu_of_root_complex (verify_run *run, const guest_bus *rc)
{
  const guest_iommu *iommu = guest_iommu_for_root_complex (run->plan->domain, rc->index);
  for (guint i = 0; iommu != NULL && i < run->result->vsmmus->len; i++)
    {
      const verify_vsmmu *v = g_ptr_array_index (run->result->vsmmus, i);
      if (v->planned == iommu)
        return v;
    }
  return NULL;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static char *
join_bdfs (GPtrArray *bdfs)
{
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint i = 0; i < bdfs->len; i++)
    g_string_append_printf (out, "%s%s", i ? ", " : "", (const char *) bdfs->pdata[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
same_members (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (strcmp (a->pdata[i], b->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

/* "alone in its IOMMU group, or with exactly its planned functions": the
 * guest functions found at the planned places of the functions planned on
 * the same slot of the same port. */
static GPtrArray *
planned_functions (verify_run *run, const verify_device *d)
{
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < run->result->devices->len; i++)
    {
      const verify_device *o = g_ptr_array_index (run->result->devices, i);
      if (o->found != NULL && o->planned->bus == d->planned->bus && o->planned->slot == d->planned->slot)
        g_ptr_array_add (out, o->found->bdf);
    }
  g_ptr_array_sort (out, compare_strings);
  return out;
}

/* A hint for a device that is not where it was planned: functions with its
 * ids at places the plan does not name. */
static char *
missing_hint (verify_run *run, const planned_ids *ids)
{
  g_autoptr (GString) seen = g_string_new (NULL);
  for (guint i = 0; ids->ids_known && i < run->guest->devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (run->guest->devices, i);
      if (dev->vendor != ids->vendor || dev->device != ids->device)
        continue;
      g_autofree char *path = verify_guest_path (run->guest, dev);
      if (path == NULL || !g_hash_table_contains (run->planned_at, path))
        g_string_append_printf (seen, "%s%s", seen->len ? ", " : "", path ? path : dev->bdf);
    }
  if (seen->len > 0)
    return g_strdup_printf ("a %04x:%04x function is at %s instead: start the VM with the plan's addresses "
                            "(smmuctl plan --format qemu, or the libvirt XML it wrote)", ids->vendor, ids->device,
                            seen->str);
  return g_strdup ("check that the VM was started from the plan as written and that the device is assigned "
                   "to it (virsh dumpxml; QEMU -device vfio-pci,…,bus=PORT,addr=SLOT)");
}

static void
check_device (verify_run *run, verify_device *d)
{
  const guest_endpoint *ep = d->planned;
  const guest_bus *rc = d->root_complex;
  const planned_ids *ids = &g_array_index (run->plan->endpoint_ids, planned_ids, d->plan_index);
  g_autofree char *path = g_strdup_printf ("$.endpoints[%u]", d->plan_index);
  g_autofree char *place = describe_place (run->plan->domain, ep, rc);
  const char *name = ep_name (ep);
  const char *host = ep->host_bdf != NULL ? ep->host_bdf : "?";
  if (d->found == NULL)
    {
      g_autofree char *hint = missing_hint (run, ids);
      add (run, d, "SMU601", SEVERITY_ERROR, path, hint, "%s (host %s): the guest has no PCI function at %s, "
           "the planned %s", name, host, d->planned_at, place);
      return;
    }
  const host_pci_device *dev = d->found;
  if (ids->ids_known && (dev->vendor != ids->vendor || dev->device != ids->device))
    add (run, d, "SMU602", SEVERITY_ERROR, path,
         "another host device is passed through at this address: compare the hostdev's source with the plan",
         "%s (host %s): the function at %s is %04x:%04x, the plan passes through %04x:%04x", name, host,
         dev->bdf, dev->vendor, dev->device, ids->vendor, ids->device);
  if (d->vsmmu != NULL)
    {
      const char *vname = d->vsmmu->planned->id ? d->vsmmu->planned->id : "its vSMMU";
      if (dev->smmu == NULL)
        add (run, d, "SMU603", SEVERITY_ERROR, path,
             "the guest kernel needs CONFIG_ARM_SMMU_V3 and ACPI (IORT); the VM needs the planned arm-smmuv3 on "
             "the device's root complex",
             "%s (%s): no SMMU translates it in the guest, but the plan puts it below %s on %s", name, dev->bdf,
             vname, rc->id);
      else if (d->vsmmu->guest_smmu != NULL && strcmp (dev->smmu, d->vsmmu->guest_smmu) != 0)
        add (run, d, "SMU604", SEVERITY_ERROR, path,
             "the device sits below another root complex's SMMU: start the VM with the plan's buses",
             "%s (%s) is translated by %s, but %s of %s (bus %d) is %s in the guest's IORT", name, dev->bdf,
             dev->smmu, vname, rc->id, d->vsmmu->root_bus, d->vsmmu->guest_smmu);
    }
  if (dev->smmu != NULL && dev->iommu_group < 0)
    add (run, d, "SMU611", SEVERITY_WARNING, path,
         "bind a driver to it in the guest (its own, or pci-stub) and verify again",
         "%s (%s) is in no IOMMU group, so its grouping is not checked: Linux puts a device into a group "
         "when a driver binds to it", name, dev->bdf);
  else if (dev->iommu_group >= 0)
    {
      d->group_endpoints = host_group_endpoints (run->guest, dev->iommu_group);
      g_ptr_array_sort (d->group_endpoints, compare_strings);
      g_autoptr (GPtrArray) alone = g_ptr_array_new ();
      g_ptr_array_add (alone, dev->bdf);
      g_autoptr (GPtrArray) siblings = planned_functions (run, d);
      if (!same_members (d->group_endpoints, alone) && !same_members (d->group_endpoints, siblings))
        {
          g_autofree char *members = join_bdfs (d->group_endpoints);
          g_autofree char *wanted = join_bdfs (siblings);
          add (run, d, "SMU608", SEVERITY_ERROR, path,
               "an IOMMU group is assigned whole: keep a device's functions on one port and nothing else on "
               "it (pcie-root-port with ACS, one per device, as planned)",
               "%s (%s): IOMMU group %d holds %s; planned: %s alone or with its functions %s", name, dev->bdf,
               dev->iommu_group, members, dev->bdf, wanted);
        }
    }
  if (d->planned_numa_node >= 0 && dev->numa_node != d->planned_numa_node)
    {
      g_autofree char *node = dev->numa_node >= 0 ? g_strdup_printf ("%d", dev->numa_node) : g_strdup ("unknown (-1)");
      add (run, d, "SMU609", SEVERITY_ERROR, path,
           "the pxb-pcie's numa_node (libvirt <target><node>) and a guest NUMA cell with that id place it",
           "%s (%s) is on guest NUMA node %s, the plan puts %s on node %d", name, dev->bdf, node, rc->id,
           d->planned_numa_node);
    }
}

static void
check_devices (verify_run *run)
{
  const guest_domain *dom = run->plan->domain;
  /* Every place first: a device's planned functions may come after it. */
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      const guest_bus *rc = NULL;
      g_autofree char *at = plan_endpoint_path (dom, ep, &rc);
      /* The plan reader refuses two endpoints at one place; the first wins. */
      if (at != NULL && !g_hash_table_contains (run->planned_at, at))
        g_hash_table_insert (run->planned_at, g_strdup (at), (gpointer) ep);
      if (ep->kind != GUEST_EP_HOSTDEV || at == NULL)
        continue;
      verify_device *d = g_new0 (verify_device, 1);
      d->planned = ep;
      d->plan_index = i;
      d->planned_at = g_strdup (at);
      d->root_complex = rc;
      d->vsmmu = vsmmu_of_root_complex (run, rc);
      d->planned_numa_node = rc->kind == GUEST_BUS_PXB_PCIE ? rc->numa_node : -1;
      d->found = g_hash_table_lookup (run->by_path, at);
      d->codes = g_ptr_array_new ();
      g_ptr_array_add (run->result->devices, d);
    }
  for (guint i = 0; i < run->result->devices->len; i++)
    check_device (run, g_ptr_array_index (run->result->devices, i));
}

/* Endpoints the plan does not place, that no SMMU translates. */
static void
check_unplanned (verify_run *run)
{
  for (guint i = 0; i < run->guest->devices->len; i++)
    {
      const host_pci_device *dev = g_ptr_array_index (run->guest->devices, i);
      if (is_infrastructure (dev) || dev->smmu != NULL)
        continue;
      g_autofree char *path = verify_guest_path (run->guest, dev);
      if (path != NULL && g_hash_table_contains (run->planned_at, path))
        continue;
      /* Below a bridge, the path says where; on a root bus it is the BDF itself. */
      gboolean nested = path != NULL && strcmp (path, dev->bdf) != 0;
      add (run, NULL, "SMU610", SEVERITY_WARNING, NULL,
           "emulated devices on pcie.0 are expected here; a passthrough device here does DMA that the "
           "guest's IOMMU does not translate: put it below its planned vSMMU",
           "%s (%04x:%04x %s%s%s) is not in the plan and no SMMU translates it", dev->bdf, dev->vendor,
           dev->device, pci_class_name (dev->class_code), nested ? ", at " : "", nested ? path : "");
    }
}

verify_result *
verify_guest (const plan_document *plan, const host_model *guest)
{
  verify_result *result = g_new0 (verify_result, 1);
  result->vsmmus = g_ptr_array_new_with_free_func (g_free);
  result->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) verify_device_free);
  result->findings = finding_list_new (plan->source);
  verify_run run = { plan, guest, result, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
                     g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL) };
  for (guint i = 0; i < guest->devices->len; i++)
    {
      host_pci_device *dev = g_ptr_array_index (guest->devices, i);
      char *path = verify_guest_path (guest, dev);
      if (path != NULL)
        g_hash_table_replace (run.by_path, path, dev);
    }
  if (!guest->iort_present && plan->domain->iommus->len > 0)
    add (&run, NULL, "SMU612", SEVERITY_WARNING, NULL,
         "the IORT is readable by root only: run verify as root in the guest, or give --iort FILE "
         "(acpidump -b -n IORT)",
         "the guest's IORT was not read, so which SMMU serves which root complex is not checked");
  check_vsmmus (&run);
  check_devices (&run);
  check_unplanned (&run);
  g_hash_table_unref (run.by_path);
  g_hash_table_unref (run.planned_at);
  return result;
}
