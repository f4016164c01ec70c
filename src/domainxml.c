/* Reading libvirt domain XML into the guest topology model (see domainxml.h):
 * the document itself, the typed attribute readers and the domain-level
 * elements.  <devices> is read in domainxml_devices.c.  This code knows
 * libxml2 and libvirt's XML; it never prints and never judges the topology. */
#include "domainxml.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "domainxml_internal.h"
#include "errors.h"
#include "qemuargv.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlParserCtxt, xmlFreeParserCtxt)

#define QEMU_NAMESPACE "http://libvirt.org/schemas/domain/qemu/1.0"
/* Messages domainxml_error_hint tells apart. */
#define ENTITY_REFUSED "entity declarations are not accepted in domain XML (refused to avoid entity expansion)"
#define NOT_A_DOMAIN "the root element is <%s>, not <domain>"

/* ---- small typed readers, in the manner of libvirt's virxml.c ---- */

int
xml_line (const xmlNode *n)
{
  long line = xmlGetLineNo (n);
  return line > 0 && line < G_MAXINT ? (int) line : 0;
}

gboolean
reader_fail (reader *r, const xmlNode *n, const char *fmt, ...)
{
  if (r->failed)
    return FALSE;
  va_list args;
  va_start (args, fmt);
  g_autofree char *message = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_set_error (r->error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%d: %s", xml_line (n), message);
  r->failed = TRUE;
  return FALSE;
}

gboolean
xml_is_element (const xmlNode *n, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns == NULL && strcmp ((const char *) n->name, name) == 0;
}

const xmlNode *
xml_child (const xmlNode *parent, const char *name)
{
  if (parent == NULL)
    return NULL;
  for (const xmlNode *n = parent->children; n != NULL; n = n->next)
    if (xml_is_element (n, name))
      return n;
  return NULL;
}

const char *
xml_attr (reader *r, const xmlNode *n, const char *name)
{
  if (n == NULL)
    return NULL;
  for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
    {
      if (a->ns != NULL || strcmp ((const char *) a->name, name) != 0)
        continue;
      const xmlNode *value = a->children;
      if (value == NULL)
        return "";
      if (value->type == XML_TEXT_NODE && value->next == NULL && value->content != NULL)
        return (const char *) value->content;
      /* A value in several nodes (entity references): let libxml2 join it. */
      xmlChar *joined = xmlNodeListGetString (n->doc, value, 1);
      g_ptr_array_add (r->scratch, g_strdup (joined != NULL ? (const char *) joined : ""));
      xmlFree (joined);
      return g_ptr_array_index (r->scratch, r->scratch->len - 1);
    }
  return NULL;
}

gboolean
xml_attr_is (reader *r, const xmlNode *n, const char *name, const char *expected)
{
  return g_strcmp0 (xml_attr (r, n, name), expected) == 0;
}

char *
xml_text (const xmlNode *n)
{
  xmlChar *content = xmlNodeGetContent (n);
  if (content == NULL)
    return NULL;
  char *copy = g_strstrip (g_strdup ((const char *) content));
  xmlFree (content);
  return copy;
}

/* libvirt reads PCI address fields with base 0 ("0x02", "2"), indexes and
 * busNr in decimal. */
gboolean
parse_unsigned (const char *s, guint base, guint64 max, guint64 *out)
{
  if (s == NULL || !g_ascii_isdigit (*s))
    return FALSE;
  char *end = NULL;
  errno = 0;
  guint64 v = g_ascii_strtoull (s, &end, base);
  /* Only ERANGE: GLib's first call in a thread may leave another errno (its C locale). */
  if (errno == ERANGE || *end != '\0' || v > max)
    return FALSE;
  *out = v;
  return TRUE;
}

/* An optional number: absent leaves *value alone; present but not a number
 * in [0, max] fails the read (libvirt refuses it as well). */
gboolean
reader_number (reader *r, const xmlNode *n, const char *name, guint base, guint64 max, int *value)
{
  const char *s = xml_attr (r, n, name);
  guint64 v;
  if (s == NULL)
    return TRUE;
  if (!parse_unsigned (s, base, max, &v))
    return reader_fail (r, n, "<%s %s='%s'>: not a number from 0 to %" G_GUINT64_FORMAT
                 " (libvirt refuses it too)", (const char *) n->name, name, s, max);
  *value = (int) v;
  return TRUE;
}

gboolean
reader_yes_no (reader *r, const xmlNode *n, const char *name, tristate *value)
{
  const char *s = xml_attr (r, n, name);
  if (s == NULL)
    return TRUE;
  if (strcmp (s, "yes") == 0 || strcmp (s, "on") == 0)
    *value = TRI_YES;
  else if (strcmp (s, "no") == 0 || strcmp (s, "off") == 0)
    *value = TRI_NO;
  else
    return reader_fail (r, n, "<%s %s='%s'>: expected yes or no", (const char *) n->name, name, s);
  return TRUE;
}

/* ---- domain-level elements ---- */

static void
read_qemu_commandline (reader *r, const xmlNode *root)
{
  for (const xmlNode *cl = root->children; cl != NULL; cl = cl->next)
    {
      if (cl->type != XML_ELEMENT_NODE || cl->ns == NULL || cl->ns->href == NULL
          || strcmp ((const char *) cl->ns->href, QEMU_NAMESPACE) != 0
          || strcmp ((const char *) cl->name, "commandline") != 0)
        continue;
      gboolean after_machine = FALSE;
      for (const xmlNode *arg = cl->children; arg != NULL; arg = arg->next)
        {
          if (arg->type != XML_ELEMENT_NODE || strcmp ((const char *) arg->name, "arg") != 0)
            continue;
          const char *value = xml_attr (r, arg, "value");
          if (value == NULL)
            continue;
          if (!after_machine)
            {
              after_machine = strcmp (value, "-machine") == 0 || strcmp (value, "-M") == 0;
              continue;
            }
          after_machine = FALSE;
          g_auto (GStrv) options = g_strsplit (value, ",", -1);
          for (char **o = options; *o != NULL; o++)
            if (g_str_has_prefix (*o, "highmem-mmio-size="))
              {
                /* Appended after libvirt's own -machine: it wins over <pcihole64>. */
                r->dom->mmio64_line = xml_line (arg);
                r->dom->mmio64_source = GUEST_MMIO64_QEMU_COMMANDLINE;
                g_free (r->dom->mmio64_path);
                r->dom->mmio64_path = g_strdup ("/domain/qemu:commandline");
                r->dom->mmio64_unparsed = !qemu_parse_size (*o + strlen ("highmem-mmio-size="), 'B', &r->dom->mmio64_size);
                if (r->dom->mmio64_unparsed)
                  r->dom->mmio64_size = 0;
              }
        }
    }
}

/* libvirt's memory units: k/M/G/T/P/E (and KiB…) are powers of 1024, KB/MB…
 * powers of 1000, b/bytes single bytes; the default is KiB. */
gboolean
parse_memory_kib (const char *value, const char *unit, guint64 *kib)
{
  guint64 v;
  if (!parse_unsigned (value, 10, G_MAXUINT64, &v))
    return FALSE;
  guint64 scale = 1024;
  if (unit != NULL && g_ascii_strcasecmp (unit, "b") != 0 && g_ascii_strcasecmp (unit, "bytes") != 0)
    {
      const char *at = strchr ("kmgtpe", g_ascii_tolower (unit[0]));
      if (at == NULL || unit[0] == '\0')
        return FALSE;
      const char *rest = unit + 1;
      guint64 base = g_ascii_strcasecmp (rest, "b") == 0 ? 1000 : 1024;
      if (*rest != '\0' && g_ascii_strcasecmp (rest, "b") != 0 && g_ascii_strcasecmp (rest, "ib") != 0)
        return FALSE;
      scale = 1;
      for (long i = 0; i <= at - "kmgtpe"; i++)
        scale *= base;
    }
  else if (unit != NULL)
    scale = 1;
  if (scale != 0 && v > G_MAXUINT64 / scale)
    return FALSE;
  *kib = v * scale / 1024;
  return TRUE;
}

static gboolean
read_domain (reader *r, const xmlNode *root)
{
  guest_domain *dom = r->dom;
  dom->line = xml_line (root);
  dom->domain_type = g_strdup (xml_attr (r, root, "type"));
  const xmlNode *name = xml_child (root, "name");
  if (name != NULL)
    dom->name = xml_text (name);
  const xmlNode *type = xml_child (xml_child (root, "os"), "type");
  dom->arch = g_strdup (xml_attr (r, type, "arch"));
  dom->machine = g_strdup (xml_attr (r, type, "machine"));
  dom->acpi = xml_child (xml_child (root, "features"), "acpi") != NULL ? TRI_YES : TRI_NO;

  const xmlNode *memory = xml_child (root, "memory");
  if (memory != NULL)
    {
      g_autofree char *value = xml_text (memory);
      const char *unit = xml_attr (r, memory, "unit");
      if (!parse_memory_kib (value, unit, &dom->memory_kib))
        return reader_fail (r, memory, "<memory unit='%s'>%s</memory>: not a memory size", unit ? unit : "KiB", value);
    }
  const xmlNode *vcpu = xml_child (root, "vcpu");
  if (vcpu != NULL)
    {
      g_autofree char *value = xml_text (vcpu);
      guint64 v;
      if (!parse_unsigned (value, 10, G_MAXUINT16, &v))
        return reader_fail (r, vcpu, "<vcpu>%s</vcpu>: not a vCPU count", value);
      dom->vcpus = (guint) v;
    }

  guint cell_ordinal = 0;
  for (const xmlNode *c = xml_child (xml_child (xml_child (root, "cpu"), "numa"), "cell"); c != NULL; c = c->next)
    {
      if (!xml_is_element (c, "cell"))
        continue;
      guest_numa_cell cell = { .id = (int) cell_ordinal++ };
      const char *memory_value = xml_attr (r, c, "memory");
      const char *unit = xml_attr (r, c, "unit");
      if (!reader_number (r, c, "id", 10, G_MAXINT16, &cell.id))
        return FALSE;
      if (memory_value != NULL && !parse_memory_kib (memory_value, unit, &cell.memory_kib))
        return reader_fail (r, c, "<cell memory='%s'>: not a memory size", memory_value);
      cell.cpus = g_strdup (xml_attr (r, c, "cpus"));
      g_array_append_val (dom->numa_cells, cell);
    }

  const xmlNode *devices = xml_child (root, "devices");
  /* Domain-level iommufd default, before the hostdevs that inherit it.  Only
   * a child of <domain>: libvirt 12.9 ignores one inside <devices>. */
  const xmlNode *iommufd = xml_child (root, "iommufd");
  if (iommufd != NULL)
    {
      dom->domain_iommufd_line = xml_line (iommufd);
      dom->domain_iommufd = TRI_YES;
      if (!reader_yes_no (r, iommufd, "enabled", &dom->domain_iommufd))
        return FALSE;
    }
  if (!reader_devices (r, devices, root))
    return FALSE;
  read_qemu_commandline (r, root);
  guest_domain_place_unaddressed (dom);
  guest_domain_resolve (dom);
  return TRUE;
}

/* ---- parsing ---- */

typedef struct {
  gboolean entity_declared;
  int line;
  int first_error_line;
  char *first_error;  /* libxml2 goes on after the first error; that one is the cause */
} parse_guard;

static void
keep_first_error (void *ctx, xmlError *error)
{
  xmlParserCtxt *ctxt = ctx;
  parse_guard *guard = ctxt->_private;
  if (guard->first_error != NULL || error == NULL || error->level < XML_ERR_ERROR)
    return;
  guard->first_error = g_strstrip (g_strdup (error->message != NULL ? error->message : "not well-formed XML"));
  guard->first_error_line = MAX (error->line, 0);
}

void
domainxml_ignore_generic_error (void *context, const char *format, ...)
{
  (void) context;
  (void) format;
}

/* Stop at the first entity declaration: domain XML never needs one, and
 * refusing it outright closes the door on entity-expansion attacks. */
static void
refuse_entity_declaration (void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content)
{
  xmlParserCtxt *ctxt = ctx;
  parse_guard *guard = ctxt->_private;
  (void) name; (void) type; (void) public_id; (void) system_id; (void) content;
  guard->entity_declared = TRUE;
  guard->line = ctxt->input != NULL ? ctxt->input->line : 0;
  xmlStopParser (ctxt);
}

void
domainxml_init (void)
{
  xmlInitParser ();
}

guest_domain *
domainxml_read_memory (const char *data, gsize len, const char *filename, GError **error)
{
  if (len > DOMAINXML_MAX_SIZE)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                   "1: the document is larger than %" G_GSIZE_FORMAT " MiB; domain XML is never that big",
                   DOMAINXML_MAX_SIZE >> 20);
      return NULL;
    }
  g_autoptr (xmlParserCtxt) ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    g_error ("out of memory creating an XML parser");
  parse_guard guard = { FALSE, 0, 0, NULL };
  ctxt->_private = &guard;
  ctxt->sax->entityDecl = refuse_entity_declaration;
  ctxt->sax->serror = keep_first_error;
  /* No XML_PARSE_NOENT, DTDLOAD or HUGE: entities stay unexpanded, no DTD is
   * fetched, and libxml2 keeps its depth limit (DOMAINXML_MAX_DEPTH).  The
   * tree is only read, so small text may live inside the nodes (COMPACT). */
  int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES
                | XML_PARSE_NOBLANKS | XML_PARSE_COMPACT;
  /* Some errors (encoding conversion) bypass the context and go to libxml2's
   * generic handler, which prints: silence it for this parse (the handler
   * is per thread), the SMU001 message says what went wrong. */
  xmlGenericErrorFunc generic_handler = xmlGenericError;
  void *generic_context = xmlGenericErrorContext;
  xmlSetGenericErrorFunc (NULL, domainxml_ignore_generic_error);
  g_autoptr (xmlDoc) doc = xmlCtxtReadMemory (ctxt, data, (int) len, filename, NULL, options);
  xmlSetGenericErrorFunc (generic_context, generic_handler);
  g_autofree char *first_error = guard.first_error;
  if (guard.entity_declared)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%d: " ENTITY_REFUSED, guard.line);
      return NULL;
    }
  if (doc == NULL || !ctxt->wellFormed)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%d: %s", guard.first_error_line,
                   first_error != NULL ? first_error : "not well-formed XML");
      return NULL;
    }
  const xmlNode *root = xmlDocGetRootElement (doc);
  if (root == NULL || !xml_is_element (root, "domain"))
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%d: " NOT_A_DOMAIN,
                   root != NULL ? xml_line (root) : 1, root != NULL ? (const char *) root->name : "");
      return NULL;
    }
  g_autoptr (guest_domain) dom = guest_domain_new ();
  g_autoptr (GPtrArray) scratch = g_ptr_array_new_with_free_func (g_free);
  reader r = { dom, error, FALSE, scratch };
  if (!read_domain (&r, root))
    return NULL;
  return g_steal_pointer (&dom);
}

GBytes *
domainxml_load (const char *path, GError **error)
{
  gboolean is_stdin = strcmp (path, "-") == 0;
  const char *shown = is_stdin ? "standard input" : path;
  int fd = is_stdin ? STDIN_FILENO : open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: cannot open: %s", shown, g_strerror (saved));
      return NULL;
    }
  /* A regular file is read into a buffer of its size, in one go; a pipe in
   * growing steps.  Either way at most DOMAINXML_MAX_SIZE + 1 bytes. */
  struct stat st;
  gsize size = 65536, len = 0;
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    size = MIN ((gsize) st.st_size, DOMAINXML_MAX_SIZE) + 1;
  g_autofree guint8 *data = g_malloc (size);
  int saved = 0;
  for (;;)
    {
      if (len == size)
        {
          if (size > DOMAINXML_MAX_SIZE)
            break;
          size = MIN (size * 2, DOMAINXML_MAX_SIZE + 1);
          data = g_realloc (data, size);
        }
      ssize_t n = read (fd, data + len, size - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        saved = errno;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  if (!is_stdin)
    close (fd);
  if (saved != 0)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: cannot read: %s", shown, g_strerror (saved));
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

guest_domain *
domainxml_read_file (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = domainxml_load (path, error);
  if (bytes == NULL)
    return NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  return domainxml_read_memory (data != NULL ? data : "", len, path, error);
}

int
domainxml_error_line (const GError *error, const char **message)
{
  const char *m = error->message;
  guint64 line = 0;
  const char *colon = strchr (m, ':');
  if (colon != NULL && colon > m && colon[1] == ' ')
    {
      g_autofree char *digits = g_strndup (m, (gsize) (colon - m));
      if (parse_unsigned (digits, 10, G_MAXINT, &line))
        m = colon + 2;
      else
        line = 0;
    }
  *message = m;
  return (int) line;
}

/* Well-formed XML that libvirt would refuse: reader_fail's messages name an
 * element ("<address bus='0xzz'>: …") or a count. */
static gboolean
is_libvirt_refusal (const char *message)
{
  return message[0] == '<' || g_str_has_prefix (message, "two PCI controllers")
         || g_str_has_prefix (message, "more than");
}

const char *
domainxml_error_hint (const GError *error)
{
  const char *message = NULL;
  domainxml_error_line (error, &message);
  if (g_str_has_prefix (message, "entity declarations are not accepted"))
    return "remove the <!DOCTYPE …[ <!ENTITY …> ]> block: libvirt domain XML needs none";
  if (g_str_has_prefix (message, "the root element is"))
    return "give a libvirt domain document (virsh dumpxml --inactive NAME), not a network, pool or capabilities one";
  if (is_libvirt_refusal (message))
    return "correct the value at that line: `virsh define` rejects the document as it is";
  return "fix the XML at that line; `xmllint --noout FILE` shows the same position";
}
