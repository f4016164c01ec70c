/* plan JSON → guest topology model (see planread.h).  The reader checks what
 * verify relies on — every bus, vSMMU and endpoint names a bus that exists —
 * and reads the rest of the document no further than it needs. */
#include "planread.h"

#include <string.h>

#include "errors.h"
#include "jsonread.h"

/* The plan format this reader understands (emit_json.c writes it). */
#define PLAN_FORMAT "smmuctl-plan"
#define PLAN_FORMAT_VERSION 1
/* A plan of 4096 devices is about 10 MiB of JSON. */
#define PLAN_MAX_SIZE (256u * 1024 * 1024)

void
plan_document_free (plan_document *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->source);
  g_free (plan->layout);
  guest_domain_free (plan->domain);
  if (plan->endpoint_ids != NULL)
    g_array_unref (plan->endpoint_ids);
  g_free (plan);
}

/* Reading state: the reader, the model being built, bus ids → indexes. */
typedef struct {
  json_reader r;
  guest_domain *dom;
  GArray *endpoint_ids;  /* planned_ids, one per endpoint read */
  GHashTable *bus_index; /* id → GINT_TO_POINTER (index + 1), ids owned by the buses */
} plan_reader;

static void
read_header (json_reader *r, json_object *doc)
{
  if (json_object_get_type (doc) != json_type_object)
    {
      json_reader_fail (r, NULL, "expected an object (a smmuctl plan --format json document)");
      return;
    }
  g_autofree char *format = json_reader_string (r, doc, "format", FALSE);
  if (r->error == NULL && g_strcmp0 (format, PLAN_FORMAT) != 0)
    json_reader_fail (r, "format", "%s%s%s is not a smmuctl plan (expected \"%s\"); write one with "
                      "smmuctl plan --format json", format ? "\"" : "", format ? format : "missing: this",
                      format ? "\"" : "", PLAN_FORMAT);
  gint64 version = json_reader_int (r, doc, "format_version", 0, 0, G_MAXINT64, FALSE);
  if (r->error == NULL && version != PLAN_FORMAT_VERSION)
    json_reader_fail (r, "format_version", "version %" G_GINT64_FORMAT " is not the one this smmuctl reads (%d); "
                      "plan again with this smmuctl", version, PLAN_FORMAT_VERSION);
}

/* Bus id → controller index; fails (naming key) when the plan has no such bus. */
static int
bus_by_id (plan_reader *p, json_object *obj, const char *key, gboolean nullable)
{
  g_autofree char *id = json_reader_string (&p->r, obj, key, nullable);
  if (id == NULL)
    return -1;
  gpointer found = g_hash_table_lookup (p->bus_index, id);
  if (found == NULL)
    {
      json_reader_fail (&p->r, key, "\"%s\" is not the id of a bus in $.buses", id);
      return -1;
    }
  return GPOINTER_TO_INT (found) - 1;
}

static int
small_int (plan_reader *p, json_object *obj, const char *key, int max)
{
  return (int) json_reader_int (&p->r, obj, key, -1, 0, max, TRUE);
}

/* Iterate an array member, entering each element for messages. */
typedef void (*read_item_fn) (plan_reader *p, json_object *item, guint i);

static void
read_array (plan_reader *p, json_object *doc, const char *key, read_item_fn read_item)
{
  if (p->r.error == NULL && !json_reader_has (doc, key))
    json_reader_fail (&p->r, key, "missing");
  json_object *array = json_reader_array (&p->r, doc, key);
  gsize outer = json_reader_enter (&p->r, key);
  for (size_t i = 0; array != NULL && i < json_object_array_length (array) && p->r.error == NULL; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (&p->r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (&p->r, NULL, "expected an object");
      else
        read_item (p, item, (guint) i);
      json_reader_leave (&p->r, mark);
    }
  json_reader_leave (&p->r, outer);
}

/* First pass over $.buses: every bus and its id, so that parents may come later. */
static void
read_bus (plan_reader *p, json_object *item, guint i)
{
  (void) i;
  for (const char *const *key = (const char *const[]) { "id", "index", NULL }; *key != NULL; key++)
    if (p->r.error == NULL && !json_reader_has (item, *key))
      json_reader_fail (&p->r, *key, "missing");
  g_autofree char *model = json_reader_string (&p->r, item, "model", FALSE);
  int index = (int) json_reader_int (&p->r, item, "index", 0, 0, G_MAXINT, FALSE);
  char *id = json_reader_string (&p->r, item, "id", FALSE);
  if (p->r.error == NULL && guest_find_bus (p->dom, index) != NULL)
    json_reader_fail (&p->r, "index", "%d appears twice in $.buses", index);
  if (p->r.error != NULL)
    {
      g_free (id);
      return;
    }
  /* The plan's spellings replace the defaults guest_bus_new gives. */
  guest_bus *bus = guest_bus_new (index, guest_bus_kind_from_model (model));
  g_free (bus->model);
  bus->model = g_steal_pointer (&model);
  g_free (bus->id);
  bus->id = id;
  g_ptr_array_add (p->dom->buses, bus);
  if (g_hash_table_contains (p->bus_index, id))
    json_reader_fail (&p->r, "id", "\"%s\" appears twice in $.buses", id);
  else
    g_hash_table_insert (p->bus_index, id, GINT_TO_POINTER (index + 1));
}

/* Second pass: where each bus sits. */
static void
place_bus (plan_reader *p, json_object *item, guint i)
{
  guest_bus *bus = g_ptr_array_index (p->dom->buses, i);
  bus->parent = bus_by_id (p, item, "parent", TRUE);
  bus->slot = small_int (p, item, "slot", 31);
  bus->function = small_int (p, item, "function", 7);
  bus->bus_nr = small_int (p, item, "bus_nr", 255);
  bus->numa_node = small_int (p, item, "numa_node", 65535);
  bus->chassis = small_int (p, item, "chassis", 65535);
  bus->port = small_int (p, item, "port", 65535);
  bus->hotplug = json_reader_tristate (&p->r, item, "hotplug");
  bus->address_explicit = bus->slot >= 0;
  if (p->r.error == NULL && bus->kind == GUEST_BUS_PXB_PCIE && bus->bus_nr < 0)
    json_reader_fail (&p->r, "bus_nr", "a pcie-expander-bus needs its first bus number");
}

static void
read_vsmmu (plan_reader *p, json_object *item, guint i)
{
  (void) i;
  guest_iommu *iommu = guest_iommu_new ();
  g_ptr_array_add (p->dom->iommus, iommu);
  iommu->id = json_reader_string (&p->r, item, "id", TRUE);
  iommu->model = json_reader_string (&p->r, item, "model", TRUE);
  iommu->pci_bus = (int) json_reader_int (&p->r, item, "pci_bus", -1, 0, G_MAXINT, TRUE);
  if (p->r.error == NULL && iommu->pci_bus >= 0 && guest_find_bus (p->dom, iommu->pci_bus) == NULL)
    json_reader_fail (&p->r, "pci_bus", "%d is not the index of a bus in $.buses", iommu->pci_bus);
}

static guint16
read_id_field (plan_reader *p, json_object *host, const char *key)
{
  g_autofree char *text = json_reader_string (&p->r, host, key, FALSE);
  char *end = NULL;
  guint64 v = text != NULL ? g_ascii_strtoull (text, &end, 16) : 0;
  if (p->r.error == NULL && (text == NULL || strlen (text) != 4 || *end != '\0'))
    json_reader_fail (&p->r, key, "expected four hexadecimal digits such as \"10de\"");
  return (guint16) v;
}

static void
read_endpoint (plan_reader *p, json_object *item, guint i)
{
  (void) i;
  g_autofree char *kind = json_reader_string (&p->r, item, "kind", FALSE);
  if (p->r.error == NULL && g_strcmp0 (kind, "hostdev") != 0 && g_strcmp0 (kind, "emulated") != 0)
    json_reader_fail (&p->r, "kind", "expected \"hostdev\" or \"emulated\"");
  guest_endpoint *ep = guest_endpoint_new (g_strcmp0 (kind, "hostdev") == 0 ? GUEST_EP_HOSTDEV : GUEST_EP_EMULATED);
  g_ptr_array_add (p->dom->endpoints, ep);
  planned_ids ids = { FALSE, 0, 0 };
  ep->id = json_reader_string (&p->r, item, "id", TRUE);
  ep->model = json_reader_string (&p->r, item, "model", TRUE);
  ep->bus = bus_by_id (p, item, "bus", TRUE);
  ep->slot = small_int (p, item, "slot", 31);
  ep->function = small_int (p, item, "function", 7);
  ep->address_explicit = ep->bus >= 0 && ep->slot >= 0;
  g_autofree char *bdf = json_reader_string (&p->r, item, "host_bdf", TRUE);
  if (bdf != NULL)
    {
      ep->host_bdf = pci_bdf_normalize (bdf);
      if (ep->host_bdf == NULL)
        json_reader_fail (&p->r, "host_bdf", "expected a PCI address such as \"0000:01:00.0\"");
    }
  json_object *host = json_reader_object (&p->r, item, "host");
  if (host != NULL)
    {
      gsize mark = json_reader_enter (&p->r, "host");
      ids.vendor = read_id_field (p, host, "vendor");
      ids.device = read_id_field (p, host, "device");
      ids.ids_known = p->r.error == NULL;
      json_reader_leave (&p->r, mark);
    }
  g_array_append_val (p->endpoint_ids, ids);
}

/* Deeper than any PCIe tree QEMU builds: a longer chain of parents loops. */
#define MAX_PCI_DEPTH 32

char *
plan_endpoint_path (const guest_domain *dom, const guest_endpoint *ep, const guest_bus **rc_out)
{
  if (ep->slot < 0 || ep->function < 0)
    return NULL;
  g_autoptr (GString) path = g_string_new (NULL);
  g_string_printf (path, "%02x.%x", ep->slot, ep->function);
  const guest_bus *bus = guest_find_bus (dom, ep->bus);
  for (int depth = 0; bus != NULL && !guest_bus_is_root_complex (bus->kind); depth++)
    {
      if (bus->slot < 0 || bus->function < 0 || depth == MAX_PCI_DEPTH)
        return NULL;
      char level[8];
      g_snprintf (level, sizeof level, "%02x.%x/", bus->slot, bus->function);
      g_string_prepend (path, level);
      bus = guest_find_bus (dom, bus->parent);
    }
  if (bus == NULL)
    return NULL;
  *rc_out = bus;
  int root_bus = bus->kind == GUEST_BUS_PXB_PCIE ? bus->bus_nr : 0;
  return g_strdup_printf ("0000:%02x:%s", root_bus, path->str);
}

/* The place of each planned passthrough device is what verify checks: one
 * without a whole address (a base domain's device libvirt would place), or
 * two at one place, is refused up front. */
static void
check_placed (plan_reader *p)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < p->dom->endpoints->len && p->r.error == NULL; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (p->dom->endpoints, i);
      if (ep->kind != GUEST_EP_HOSTDEV)
        continue;
      const guest_bus *rc = NULL;
      char *at = plan_endpoint_path (p->dom, ep, &rc);
      const char *name = ep->id ? ep->id : "this hostdev";
      gsize mark = json_reader_enter (&p->r, "endpoints");
      json_reader_enter_index (&p->r, i);
      if (at == NULL)
        json_reader_fail (&p->r, NULL, "%s has no whole guest address (a slot and function for it and for each "
                          "port up to a root complex in $.buses); verify needs one", name);
      else if (g_hash_table_contains (seen, at))
        json_reader_fail (&p->r, NULL, "%s is at %s, like $.endpoints[%u]", name, at,
                          GPOINTER_TO_UINT (g_hash_table_lookup (seen, at)));
      json_reader_leave (&p->r, mark);
      if (at != NULL && !g_hash_table_contains (seen, at))
        g_hash_table_insert (seen, at, GUINT_TO_POINTER (i));
      else
        g_free (at);
    }
}

plan_document *
plan_document_parse (const char *data, gsize len, const char *source, GError **error)
{
  g_autoptr (plan_document) plan = g_new0 (plan_document, 1);
  plan->source = g_strdup (source);
  plan->domain = guest_domain_new ();
  plan->endpoint_ids = g_array_new (FALSE, TRUE, sizeof (planned_ids));
  plan_reader p = { .dom = plan->domain, .endpoint_ids = plan->endpoint_ids };
  json_reader_init (&p.r, source);
  p.bus_index = g_hash_table_new (g_str_hash, g_str_equal);
  json_object *doc = json_reader_parse (&p.r, data, len);
  if (doc != NULL)
    read_header (&p.r, doc);
  if (p.r.error == NULL)
    {
      plan->layout = json_reader_string (&p.r, doc, "layout", TRUE);
      read_array (&p, doc, "buses", read_bus);
      read_array (&p, doc, "buses", place_bus);
      read_array (&p, doc, "vsmmus", read_vsmmu);
      read_array (&p, doc, "endpoints", read_endpoint);
      check_placed (&p);
    }
  json_object_put (doc);
  g_hash_table_unref (p.bus_index);
  if (p.r.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&p.r.error));
      json_reader_clear (&p.r);
      return NULL;
    }
  json_reader_clear (&p.r);
  guest_domain_resolve (plan->domain);
  return g_steal_pointer (&plan);
}

plan_document *
plan_document_read (const char *path, GError **error)
{
  gsize len = 0;
  g_autofree char *data = json_read_input (path, PLAN_MAX_SIZE, &len, error);
  if (data == NULL)
    return NULL;
  return plan_document_parse (data, len, g_strcmp0 (path, "-") == 0 ? "<stdin>" : path, error);
}
