/* The plan as JSON: the guest topology, the bus ranges, the host SMMU behind
 * each vSMMU, the host facts of each passthrough device, and the reason for
 * every decision.  Schema: data/schemas/plan.schema.json. */
#include "emit.h"

#include <json-c/json.h>
#include <string.h>

#include "jsontext.h"

#define PLAN_JSON_FORMAT "smmuctl-plan"
#define PLAN_JSON_FORMAT_VERSION 1

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

static json_object *
int_or_null (int value)
{
  return value < 0 ? NULL : json_object_new_int (value);
}

static json_object *
string_or_null (const char *value)
{
  return value ? json_object_new_string (value) : NULL;
}

static json_object *
strings (GPtrArray *lines)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < lines->len; i++)
    json_object_array_add (array, json_object_new_string (g_ptr_array_index (lines, i)));
  return array;
}

static json_object *
version (sw_version v, const char *source)
{
  g_autofree char *text = sw_version_to_string (v);
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "version", json_object_new_string (text));
  json_object_object_add (o, "source", json_object_new_string (source));
  return o;
}

static const char *
bus_id (const emit_index *idx, int index)
{
  const guest_bus *bus = emit_find_bus (idx, index);
  return bus ? bus->id : NULL;
}

static json_object *
domain_json (const guest_plan *plan, const emit_options *opts)
{
  const guest_domain *dom = plan->domain;
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "name", string_or_null (dom->name));
  json_object_object_add (o, "type", string_or_null (dom->domain_type));
  json_object_object_add (o, "arch", string_or_null (dom->arch));
  json_object_object_add (o, "machine", string_or_null (dom->machine));
  json_object_object_add (o, "memory_kib", json_object_new_int64 ((gint64) dom->memory_kib));
  json_object_object_add (o, "vcpus", json_object_new_int ((int) dom->vcpus));
  json_object_object_add (o, "base", plan->merged ? string_or_null (opts->base_name ? opts->base_name : "-") : NULL);
  json_object_object_add (o, "acpi_added", json_object_new_boolean (plan->add_acpi));
  return o;
}

static json_object *
mmio_json (const guest_plan *plan)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "bar64_total", json_object_new_int64 ((gint64) plan->bar64_total));
  json_object_object_add (o, "need", json_object_new_int64 ((gint64) plan->mmio64_need));
  json_object_object_add (o, "window", json_object_new_int64 ((gint64) MAX (plan->domain->mmio64_size,
                                                                             GUEST_DEFAULT_MMIO64_SIZE)));
  g_autofree char *size = plan->mmio64_raised ? emit_qemu_size (plan->domain->mmio64_size) : NULL;
  json_object_object_add (o, "highmem_mmio_size", string_or_null (size));
  return o;
}

static json_object *
bus_ranges_json (const guest_plan *plan)
{
  const guest_domain *dom = plan->domain;
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (!guest_bus_is_root_complex (bus->kind))
        continue;
      gboolean planned = i >= plan->n_base_buses && bus->kind != GUEST_BUS_PCIE_ROOT;
      int first = 0, last = plan->pcie0_last;
      if (bus->kind == GUEST_BUS_PXB_PCIE && !planned)
        guest_root_complex_bus_range (dom, bus->index, &first, &last);
      for (guint r = 0; planned && r < plan->root_complexes->len; r++)
        {
          const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, r);
          if (rc->rc_index == bus->index)
            {
              first = rc->bus_first;
              last = rc->bus_last;
            }
        }
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "root_complex", json_object_new_string (bus->id));
      json_object_object_add (o, "first", json_object_new_int (first));
      json_object_object_add (o, "last", json_object_new_int (last));
      json_object_object_add (o, "planned", json_object_new_boolean (planned));
      json_object_array_add (array, o);
    }
  return array;
}

/* What the array writers below need besides the element index. */
typedef struct {
  const guest_plan *plan;
  const host_model *host;
  const emit_index *idx;
} emit_context;

/* buses and endpoints are written straight to text (jsontext.h): a plan of
 * thousands of devices never holds them as a tree. */
static void
write_bus (GString *out, gconstpointer data, guint i, guint depth)
{
  const emit_context *ctx = data;
  const guest_bus *bus = g_ptr_array_index (ctx->plan->domain->buses, i);
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_string (&w, "id", bus->id);
  json_writer_int (&w, "index", bus->index, TRUE);
  json_writer_string (&w, "model", bus->model);
  json_writer_string (&w, "parent", bus_id (ctx->idx, bus->parent));
  json_writer_int (&w, "slot", bus->slot, bus->slot >= 0);
  json_writer_int (&w, "function", bus->function, bus->function >= 0);
  json_writer_string (&w, "root_complex", bus_id (ctx->idx, bus->root_complex));
  json_writer_int (&w, "bus_nr", bus->bus_nr, bus->bus_nr >= 0);
  json_writer_int (&w, "numa_node", bus->numa_node, bus->numa_node >= 0);
  json_writer_int (&w, "chassis", bus->chassis, bus->chassis >= 0);
  json_writer_int (&w, "port", bus->port, bus->port >= 0);
  json_writer_string (&w, "hotplug", tristate_name (bus->hotplug));
  json_writer_bool (&w, "planned", i >= ctx->plan->n_base_buses);
  json_writer_string (&w, "why", bus->comment);
  json_writer_end (&w);
}

static json_object *
host_smmu_json (const host_model *host, const char *name)
{
  const host_smmu *smmu = name ? host_find_smmu (host, name) : NULL;
  if (smmu == NULL)
    return NULL;
  const char *reason = NULL;
  tristate nesting = host_smmu_nesting (smmu, &reason);
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "name", json_object_new_string (smmu->name));
  json_object_object_add (o, "base", json_hex_new (smmu->base, 16));
  json_object_object_add (o, "numa_node", int_or_null (smmu->numa_node));
  json_object_object_add (o, "nesting", json_object_new_string (tristate_name (nesting)));
  json_object_object_add (o, "nesting_reason", string_or_null (reason));
  return o;
}

static json_object *
vsmmus_json (const guest_plan *plan, const host_model *host, const emit_index *idx)
{
  const guest_domain *dom = plan->domain;
  json_object *array = json_object_new_array ();
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      json_object *props = json_object_new_object ();
      for (int p = 0; p < VSMMU_N_PROPS; p++)
        {
          const vsmmu_prop *prop = &iommu->props[p];
          if (prop->state == PROP_ABSENT)
            continue;
          g_autofree char *value = emit_prop_value (iommu, (vsmmu_prop_id) p);
          json_object *v = prop->state == PROP_VALUE && (p == VSMMU_PROP_SSIDSIZE || p == VSMMU_PROP_OAS)
                               ? json_object_new_int ((int) prop->value)
                               : json_object_new_string (value);
          json_object_object_add (props, prop->spelling ? prop->spelling : "unknown", v);
        }
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "id", string_or_null (iommu->id));
      json_object_object_add (o, "model", string_or_null (iommu->model));
      json_object_object_add (o, "pci_bus", int_or_null (iommu->pci_bus));
      json_object_object_add (o, "root_complex", string_or_null (bus_id (idx, iommu->pci_bus)));
      json_object_object_add (o, "props", props);
      json_object_object_add (o, "host_smmu", host_smmu_json (host, iommu->host_smmu));
      json_object_object_add (o, "planned", json_object_new_boolean (i >= plan->n_base_iommus));
      json_object_object_add (o, "why", string_or_null (iommu->comment));
      json_object_array_add (array, o);
    }
  return array;
}

static void
write_host_device (json_writer *w, const host_pci_device *dev)
{
  if (dev == NULL)
    {
      json_writer_string (w, "host", NULL);
      return;
    }
  char vendor[8], device[8];
  g_snprintf (vendor, sizeof vendor, "%04x", dev->vendor);
  g_snprintf (device, sizeof device, "%04x", dev->device);
  json_writer h;
  json_writer_object (w, "host", &h);
  json_writer_string (&h, "vendor", vendor);
  json_writer_string (&h, "device", device);
  json_writer_string (&h, "class", pci_class_name (dev->class_code));
  json_writer_string (&h, "driver", dev->driver);
  json_writer_int (&h, "iommu_group", dev->iommu_group, dev->iommu_group >= 0);
  json_writer_string (&h, "smmu", dev->smmu);
  json_writer_int (&h, "numa_node", dev->numa_node, dev->numa_node >= 0);
  json_writer_int (&h, "bar64_total", (gint64) dev->bar64_total, TRUE);
  json_writer_string (&h, "vfio_cdev", dev->vfio_cdev);
  json_writer_end (&h);
}

static void
write_endpoint (GString *out, gconstpointer data, guint i, guint depth)
{
  const emit_context *ctx = data;
  const guest_plan *plan = ctx->plan;
  const guest_domain *dom = plan->domain;
  const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
  int rc = emit_root_complex_of (dom, ctx->idx, ep->bus);
  const guest_iommu *iommu = rc >= 0 ? guest_iommu_for_root_complex (dom, rc) : NULL;
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_string (&w, "id", ep->id);
  json_writer_string (&w, "kind", ep->kind == GUEST_EP_HOSTDEV ? "hostdev" : "emulated");
  json_writer_string (&w, "model", ep->model);
  json_writer_string (&w, "bus", bus_id (ctx->idx, ep->bus));
  json_writer_int (&w, "slot", ep->slot, ep->slot >= 0);
  json_writer_int (&w, "function", ep->function, ep->function >= 0);
  json_writer_string (&w, "root_complex", bus_id (ctx->idx, rc));
  json_writer_string (&w, "vsmmu", iommu ? iommu->id : NULL);
  json_writer_string (&w, "host_bdf", ep->host_bdf);
  json_writer_bool (&w, "managed", ep->managed);
  json_writer_string (&w, "iommufd", tristate_name (ep->iommufd));
  /* planned hostdevs are plan->devices in the same order; the base's are looked up */
  const host_pci_device *dev = NULL;
  if (i >= plan->n_base_endpoints && i - plan->n_base_endpoints < plan->devices->len)
    dev = g_ptr_array_index (plan->devices, i - plan->n_base_endpoints);
  else if (ep->host_bdf != NULL)
    dev = host_find_device (ctx->host, ep->host_bdf);
  if (ep->kind == GUEST_EP_HOSTDEV)
    write_host_device (&w, dev);
  else
    json_writer_string (&w, "host", NULL);
  json_writer_bool (&w, "planned", i >= plan->n_base_endpoints);
  json_writer_string (&w, "why", ep->comment);
  json_writer_end (&w);
}

char *
emit_json (const guest_plan *plan, const host_model *host, const emit_options *opts, GError **error)
{
  (void) error;
  g_autoptr (json_object) doc = json_object_new_object ();
  json_object_object_add (doc, "format", json_object_new_string (PLAN_JSON_FORMAT));
  json_object_object_add (doc, "format_version", json_object_new_int (PLAN_JSON_FORMAT_VERSION));
  json_object_object_add (doc, "generator", json_object_new_string (opts->generator));
  json_object_object_add (doc, "layout", json_object_new_string (plan_layout_name (plan->layout)));
  json_object_object_add (doc, "bus_headroom", json_object_new_int ((int) plan->bus_headroom));
  json_object *targets = json_object_new_object ();
  json_object_object_add (targets, "qemu", version (plan->target_qemu.version, plan->target_qemu_source));
  json_object_object_add (targets, "libvirt", version (plan->target_libvirt.version, plan->target_libvirt_source));
  json_object_object_add (doc, "targets", targets);
  json_object_object_add (doc, "domain", domain_json (plan, opts));
  json_object_object_add (doc, "mmio64", mmio_json (plan));
  json_object *iommufd = json_object_new_object ();
  json_object_object_add (iommufd, "id", json_object_new_string (EMIT_IOMMUFD_ID));
  json_object_object_add (doc, "iommufd", iommufd);
  json_object_object_add (doc, "bus_ranges", bus_ranges_json (plan));
  g_auto (emit_index) idx = { 0 };
  emit_index_init (&idx, plan->domain);
  json_object_object_add (doc, "buses", json_object_new_array ()); /* written below */
  json_object_object_add (doc, "vsmmus", vsmmus_json (plan, host, &idx));
  json_object_object_add (doc, "endpoints", json_object_new_array ()); /* written below */
  json_object_object_add (doc, "why", strings (plan->why));
  json_object_object_add (doc, "warnings", strings (plan->warnings));

  const emit_context ctx = { plan, host, &idx };
  GString *out = g_string_new (NULL);
  json_writer w;
  json_writer_begin (&w, out, 0);
  json_object_object_foreach (doc, key, member)
    {
      if (strcmp (key, "buses") == 0)
        json_writer_array (&w, key, plan->domain->buses->len, write_bus, &ctx);
      else if (strcmp (key, "endpoints") == 0)
        json_writer_array (&w, key, plan->domain->endpoints->len, write_endpoint, &ctx);
      else
        json_writer_tree (&w, key, member);
    }
  json_writer_end (&w);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}
