/* The plan as libvirt domain XML.  Without --base a minimal aarch64 virt KVM
 * domain is written; with it, the base document is re-parsed and only
 * added to: every existing node, address and index stays as it was.  Both
 * go through one path (a new domain starts from a skeleton document), so a
 * merged and a new domain spell the planned elements the same way. */
#include "emit.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <string.h>

#include "errors.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlBuffer, xmlBufferFree)

typedef struct {
  xmlDocPtr doc;
  const char *unit;     /* one level of indentation, as the document uses it */
  gboolean explain;
  const emit_index *idx;
} xml_out;

/* ---- building ---- */

static xmlNodePtr
element (xmlNodePtr parent, const char *name)
{
  return xmlNewChild (parent, NULL, BAD_CAST name, NULL);
}

static void G_GNUC_PRINTF (3, 4)
attr (xmlNodePtr node, const char *name, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  g_autofree char *value = g_strdup_vprintf (format, args);
  va_end (args);
  xmlSetProp (node, BAD_CAST name, BAD_CAST value);
}

static xmlNodePtr
pci_address (xmlNodePtr parent, int bus, int slot, int function, gboolean multifunction)
{
  xmlNodePtr a = element (parent, "address");
  attr (a, "type", "pci");
  attr (a, "domain", "0x0000");
  attr (a, "bus", "0x%02x", (guint) bus);
  attr (a, "slot", "0x%02x", (guint) slot);
  attr (a, "function", "0x%x", (guint) function);
  if (multifunction)
    attr (a, "multifunction", "on");
  return a;
}

/* ---- whitespace: new nodes are indented like their neighbours ---- */

static char *
indent_before (xmlNodePtr node)
{
  xmlNodePtr prev = node->prev;
  if (prev == NULL || prev->type != XML_TEXT_NODE || prev->content == NULL)
    return g_strdup ("");
  const char *text = (const char *) prev->content;
  const char *nl = strrchr (text, '\n');
  const char *start = nl ? nl + 1 : text;
  for (const char *p = start; *p; p++)
    if (*p != ' ' && *p != '\t')
      return g_strdup ("");
  return g_strdup (start);
}

static gboolean
is_markup (xmlNodePtr node)
{
  return node->type == XML_ELEMENT_NODE || node->type == XML_COMMENT_NODE;
}

static void
add_text_before (xmlNodePtr node, const char *text)
{
  xmlAddPrevSibling (node, xmlNewDocText (node->doc, BAD_CAST text));
}

/* Indent a freshly built subtree whose first line starts at indent. */
static void
pretty (xmlNodePtr node, const char *indent, const char *unit)
{
  gboolean has_markup = FALSE;
  for (xmlNodePtr c = node->children; c; c = c->next)
    has_markup |= is_markup (c);
  if (!has_markup)
    return;
  g_autofree char *inner = g_strconcat (indent, unit, NULL);
  g_autofree char *nl_inner = g_strconcat ("\n", inner, NULL);
  for (xmlNodePtr c = node->children; c; c = c->next)
    if (is_markup (c))
      {
        add_text_before (c, nl_inner);
        pretty (c, inner, unit);
      }
  g_autofree char *nl_indent = g_strconcat ("\n", indent, NULL);
  xmlAddChild (node, xmlNewDocText (node->doc, BAD_CAST nl_indent));
}

/* Append child to parent after its last element or comment. */
static void
append (xml_out *out, xmlNodePtr parent, xmlNodePtr child)
{
  /* from the end: appending thousands of devices must not rescan the list */
  xmlNodePtr last = parent->last;
  while (last != NULL && !is_markup (last))
    last = last->prev;
  g_autofree char *parent_indent = indent_before (parent);
  g_autofree char *indent = last ? indent_before (last) : g_strconcat (parent_indent, out->unit, NULL);
  pretty (child, indent, out->unit);
  g_autofree char *nl_indent = g_strconcat ("\n", indent, NULL);
  if (last != NULL)
    {
      xmlAddNextSibling (last, child);
      add_text_before (child, nl_indent);
    }
  else if (parent->children != NULL)
    {
      xmlAddPrevSibling (parent->children, child);
      add_text_before (child, nl_indent);
    }
  else
    {
      g_autofree char *closing = g_strconcat ("\n", parent_indent, NULL);
      xmlAddChild (parent, xmlNewDocText (out->doc, BAD_CAST nl_indent));
      xmlAddChild (parent, child);
      xmlAddChild (parent, xmlNewDocText (out->doc, BAD_CAST closing));
    }
}

/* A reason as a comment before the next element, with --explain only.
 * "--" cannot appear inside an XML comment. */
static void
append_comment (xml_out *out, xmlNodePtr parent, const char *text)
{
  if (!out->explain || text == NULL)
    return;
  g_autoptr (GString) s = g_string_new (" ");
  for (const char *p = text; *p; p++)
    {
      g_string_append_c (s, *p);
      if (*p == '-' && p[1] == '-')
        g_string_append_c (s, ' ');
    }
  g_string_append (s, " ");
  append (out, parent, xmlNewDocComment (out->doc, BAD_CAST s->str));
}

static xmlNodePtr
find_child (xmlNodePtr parent, const char *name, const char *ns_href)
{
  for (xmlNodePtr c = parent->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp ((const char *) c->name, name) == 0
        && (ns_href == NULL ? c->ns == NULL : c->ns != NULL && g_strcmp0 ((const char *) c->ns->href, ns_href) == 0))
      return c;
  return NULL;
}

static xmlNodePtr
new_node (xml_out *out, const char *name)
{
  return xmlNewDocNode (out->doc, NULL, BAD_CAST name, NULL);
}

/* ---- the planned elements ---- */

static xmlNodePtr
controller_node (xml_out *out, const guest_bus *bus)
{
  xmlNodePtr c = new_node (out, "controller");
  attr (c, "type", "pci");
  attr (c, "index", "%d", bus->index);
  attr (c, "model", "%s", bus->model);
  if (bus->kind == GUEST_BUS_PCIE_ROOT)
    return c;
  xmlNodePtr model = element (c, "model");
  attr (model, "name", bus->kind == GUEST_BUS_PXB_PCIE ? "pxb-pcie" : "pcie-root-port");
  xmlNodePtr target = element (c, "target");
  if (bus->kind == GUEST_BUS_PXB_PCIE)
    {
      attr (target, "busNr", "%d", bus->bus_nr);
      if (bus->numa_node >= 0)
        {
          g_autofree char *node = g_strdup_printf ("%d", bus->numa_node);
          xmlNewTextChild (target, NULL, BAD_CAST "node", BAD_CAST node);
        }
    }
  else
    {
      attr (target, "chassis", "%d", bus->chassis);
      attr (target, "port", "0x%x", (guint) bus->port);
      if (bus->hotplug != TRI_UNKNOWN)
        attr (target, "hotplug", bus->hotplug == TRI_YES ? "on" : "off");
    }
  pci_address (c, bus->parent, bus->slot, bus->function,
               bus->function == 0 && emit_slot_is_multifunction (out->idx, bus->parent, bus->slot));
  return c;
}

static xmlNodePtr
hostdev_node (xml_out *out, const guest_endpoint *ep)
{
  xmlNodePtr h = new_node (out, "hostdev");
  attr (h, "mode", "subsystem");
  attr (h, "type", "pci");
  attr (h, "managed", ep->managed ? "yes" : "no");
  if (ep->iommufd == TRI_YES)
    attr (element (h, "driver"), "iommufd", "yes");
  guint32 segment = 0;
  guint8 bus = 0, slot = 0, function = 0;
  pci_bdf_parse (ep->host_bdf, &segment, &bus, &slot, &function);
  xmlNodePtr source = element (h, "source");
  xmlNodePtr a = element (source, "address");
  attr (a, "domain", "0x%04x", segment);
  attr (a, "bus", "0x%02x", bus);
  attr (a, "slot", "0x%02x", slot);
  attr (a, "function", "0x%x", function);
  pci_address (h, ep->bus, ep->slot, ep->function,
               ep->function == 0 && emit_slot_is_multifunction (out->idx, ep->bus, ep->slot));
  return h;
}

static xmlNodePtr
iommu_node (xml_out *out, const guest_iommu *iommu)
{
  xmlNodePtr i = new_node (out, "iommu");
  attr (i, "model", "%s", iommu->model);
  xmlNodePtr driver = element (i, "driver");
  attr (driver, "pciBus", "%d", iommu->pci_bus);
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    {
      /* libvirt has no 'auto' (12.9 refuses it at define): left out, QEMU's default is auto. */
      g_autofree char *value = iommu->props[p].state == PROP_AUTO ? NULL : emit_prop_value (iommu, (vsmmu_prop_id) p);
      if (value != NULL)
        attr (driver, iommu->props[p].spelling, "%s", value);
    }
  return i;
}

static gboolean
is_controller_zero (xmlNodePtr node)
{
  if (node->type != XML_ELEMENT_NODE || node->ns != NULL || strcmp ((const char *) node->name, "controller") != 0)
    return FALSE;
  xmlChar *type = xmlGetProp (node, BAD_CAST "type");
  xmlChar *index = xmlGetProp (node, BAD_CAST "index");
  gboolean zero = type != NULL && index != NULL && strcmp ((const char *) type, "pci") == 0
                  && strcmp ((const char *) index, "0") == 0;
  xmlFree (type);
  xmlFree (index);
  return zero;
}

/* libvirt 12.9 turns <pcihole64> on pcie-root into -machine
 * highmem-mmio-size=NK on aarch64 virt: set it on controller 0 (added when
 * the document has none), replacing a smaller one. */
static void
add_pcihole64 (xml_out *out, xmlNodePtr devices, const guest_plan *plan)
{
  xmlNodePtr root_bus = NULL;
  for (xmlNodePtr c = devices->children; c != NULL && root_bus == NULL; c = c->next)
    if (is_controller_zero (c))
      root_bus = c;
  if (root_bus == NULL)
    {
      root_bus = new_node (out, "controller");
      attr (root_bus, "type", "pci");
      attr (root_bus, "index", "0");
      attr (root_bus, "model", "pcie-root");
      append (out, devices, root_bus);
    }
  xmlNodePtr old = find_child (root_bus, "pcihole64", NULL);
  if (old != NULL)
    {
      xmlNodePtr space = old->prev;
      xmlUnlinkNode (old);
      xmlFreeNode (old);
      if (space != NULL && space->type == XML_TEXT_NODE)
        {
          xmlUnlinkNode (space);
          xmlFreeNode (space);
        }
    }
  append_comment (out, root_bus, "64-bit MMIO window for the passthrough BARs: libvirt passes <pcihole64> on "
                                 "pcie-root to QEMU virt as highmem-mmio-size");
  g_autofree char *kib = g_strdup_printf ("%" G_GUINT64_FORMAT, plan->domain->mmio64_size >> 10);
  xmlNodePtr hole = xmlNewDocNode (out->doc, NULL, BAD_CAST "pcihole64", BAD_CAST kib);
  attr (hole, "unit", "KiB");
  append (out, root_bus, hole);
}

/* Older libvirt has no element for highmem-mmio-size on virt: pass it to
 * QEMU, which merges a repeated -machine option into the machine libvirt
 * configures (and libvirt marks the domain tainted). */
static void
add_mmio_window (xml_out *out, xmlNodePtr root, const guest_plan *plan)
{
  xmlNsPtr ns = xmlSearchNsByHref (out->doc, root, BAD_CAST EMIT_QEMU_NS);
  if (ns == NULL)
    ns = xmlNewNs (root, BAD_CAST EMIT_QEMU_NS, BAD_CAST "qemu");
  if (ns == NULL) /* the prefix "qemu" names something else in this document */
    ns = xmlNewNs (root, BAD_CAST EMIT_QEMU_NS, BAD_CAST "smmuctl-qemu");
  xmlNodePtr cl = find_child (root, "commandline", EMIT_QEMU_NS);
  if (cl == NULL)
    {
      cl = xmlNewDocNode (out->doc, ns, BAD_CAST "commandline", NULL);
      append (out, root, cl);
    }
  g_autofree char *size = emit_qemu_size (plan->domain->mmio64_size);
  g_autofree char *value = g_strdup_printf ("highmem-mmio-size=%s", size);
  append_comment (out, cl, "64-bit MMIO window for the passthrough BARs: the target libvirt cannot pass "
                           "<pcihole64> on the virt machine, and QEMU merges this -machine option into libvirt's");
  xmlNodePtr arg = xmlNewDocNode (out->doc, ns, BAD_CAST "arg", NULL);
  attr (arg, "value", "-machine");
  append (out, cl, arg);
  arg = xmlNewDocNode (out->doc, ns, BAD_CAST "arg", NULL);
  attr (arg, "value", "%s", value);
  append (out, cl, arg);
}

static void
add_acpi (xml_out *out, xmlNodePtr root)
{
  xmlNodePtr features = find_child (root, "features", NULL);
  if (features == NULL)
    {
      features = new_node (out, "features");
      xmlNodePtr os = find_child (root, "os", NULL);
      if (os != NULL)
        {
          g_autofree char *indent = indent_before (os);
          g_autofree char *nl = g_strconcat ("\n", indent, NULL);
          pretty (features, indent, out->unit);
          xmlAddNextSibling (os, features);
          add_text_before (features, nl);
        }
      else
        append (out, root, features);
    }
  append (out, features, new_node (out, "acpi"));
}

/* ---- documents ---- */

static char *
skeleton (const guest_domain *dom)
{
  g_autofree char *name = g_markup_escape_text (dom->name ? dom->name : "guest", -1);
  g_autoptr (GString) cpu = g_string_new (NULL);
  if (dom->numa_cells->len == 0)
    g_string_append (cpu, "  <cpu mode='host-passthrough'/>\n");
  else
    {
      g_string_append (cpu, "  <cpu mode='host-passthrough'>\n    <numa>\n");
      for (guint i = 0; i < dom->numa_cells->len; i++)
        {
          const guest_numa_cell *cell = &g_array_index (dom->numa_cells, guest_numa_cell, i);
          g_string_append_printf (cpu, "      <cell id='%d' cpus='%s' memory='%" G_GUINT64_FORMAT "' unit='KiB'/>\n",
                                  cell->id, cell->cpus, cell->memory_kib);
        }
      g_string_append (cpu, "    </numa>\n  </cpu>\n");
    }
  return g_strdup_printf ("<domain type='kvm'>\n"
                          "  <name>%s</name>\n"
                          "  <memory unit='KiB'>%" G_GUINT64_FORMAT "</memory>\n"
                          "  <vcpu placement='static'>%u</vcpu>\n"
                          "  <os firmware='efi'>\n"
                          "    <type arch='aarch64' machine='virt'>hvm</type>\n"
                          "  </os>\n"
                          "  <features>\n"
                          "    <acpi/>\n"
                          "    <gic version='host'/>\n"
                          "  </features>\n"
                          "%s"
                          "  <devices>\n"
                          "  </devices>\n"
                          "</domain>\n",
                          name, dom->memory_kib, dom->vcpus, cpu->str);
}

/* Devices a new domain has besides the plan: no USB controller and no
 * balloon (libvirt would add both as emulated PCI devices), a serial console. */
static void
add_skeleton_tail (xml_out *out, xmlNodePtr devices)
{
  append_comment (out, devices, "no USB controller or balloon: libvirt would add them as emulated PCI devices");
  xmlNodePtr usb = new_node (out, "controller");
  attr (usb, "type", "usb");
  attr (usb, "model", "none");
  append (out, devices, usb);
  xmlNodePtr serial = new_node (out, "serial");
  attr (serial, "type", "pty");
  append (out, devices, serial);
  xmlNodePtr balloon = new_node (out, "memballoon");
  attr (balloon, "model", "none");
  append (out, devices, balloon);
}

static char *
serialize (xmlDocPtr doc)
{
  g_autoptr (xmlBuffer) buf = xmlBufferCreate ();
  g_autoptr (GString) out = g_string_new (NULL);
  for (xmlNodePtr n = doc->children; n; n = n->next)
    {
      if (n->type != XML_ELEMENT_NODE && n->type != XML_COMMENT_NODE && n->type != XML_PI_NODE)
        continue;
      xmlBufferEmpty (buf);
      xmlNodeDump (buf, doc, n, 0, 0);
      g_string_append_len (out, (const char *) xmlBufferContent (buf), xmlBufferLength (buf));
      g_string_append_c (out, '\n');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
emit_xml (const guest_plan *plan, const emit_options *opts, GError **error)
{
  const guest_domain *dom = plan->domain;
  g_autofree char *text = NULL;
  const char *data = opts->base_xml;
  gsize len = opts->base_len;
  const char *name = opts->base_name ? opts->base_name : "base.xml";
  if (!plan->merged)
    {
      text = skeleton (dom);
      data = text;
      len = strlen (text);
      name = "skeleton";
    }
  else if (data == NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "emit_xml: a merged plan needs the base document");
      return NULL;
    }
  /* The same safety as the domain reader: no network, no entity expansion. */
  g_autoptr (xmlDoc) doc = xmlReadMemory (data, (int) MIN (len, (gsize) G_MAXINT), name, NULL,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNodePtr root = doc ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL || strcmp ((const char *) root->name, "domain") != 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: not a libvirt <domain> document", name);
      return NULL;
    }
  g_auto (emit_index) idx = { 0 };
  emit_index_init (&idx, dom);
  xml_out out = { doc, "  ", opts->explain, &idx };
  for (xmlNodePtr c = root->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      {
        g_autofree char *indent = indent_before (c);
        g_autofree char *parent = indent_before (root);
        if (strlen (indent) > strlen (parent))
          out.unit = g_intern_string (indent + strlen (parent));
        break;
      }

  if (plan->add_acpi)
    add_acpi (&out, root);
  xmlNodePtr devices = find_child (root, "devices", NULL);
  if (devices == NULL)
    {
      devices = new_node (&out, "devices");
      append (&out, root, devices);
    }
  for (guint i = 0; opts->explain && i < plan->why->len; i++)
    {
      g_autofree char *line = g_strdup_printf ("smmuctl: %s", (const char *) g_ptr_array_index (plan->why, i));
      append_comment (&out, devices, line);
    }
  for (guint i = 0; opts->explain && i < plan->warnings->len; i++)
    {
      g_autofree char *line = g_strdup_printf ("smmuctl warning: %s",
                                               (const char *) g_ptr_array_index (plan->warnings, i));
      append_comment (&out, devices, line);
    }
  for (guint i = plan->n_base_buses; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      append_comment (&out, devices, bus->comment);
      append (&out, devices, controller_node (&out, bus));
    }
  for (guint i = plan->n_base_endpoints; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      append_comment (&out, devices, ep->comment);
      append (&out, devices, hostdev_node (&out, ep));
    }
  for (guint i = plan->n_base_iommus; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      append_comment (&out, devices, iommu->comment);
      g_autofree char *left_out = emit_auto_props_text (iommu);
      if (left_out != NULL)
        {
          g_autofree char *note = g_strdup_printf ("%s left to QEMU's default, auto: libvirt has no 'auto'",
                                                   left_out);
          append_comment (&out, devices, note);
        }
      append (&out, devices, iommu_node (&out, iommu));
    }
  if (!plan->merged)
    add_skeleton_tail (&out, devices);
  if (plan->mmio64_raised && dom->mmio64_source == GUEST_MMIO64_PCIHOLE64)
    add_pcihole64 (&out, devices, plan);
  else if (plan->mmio64_raised)
    add_mmio_window (&out, root, plan);
  return serialize (doc);
}
