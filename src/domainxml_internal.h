/* Shared between the two halves of the domain XML reader (domainxml.c: the
 * document and domain-level elements; domainxml_devices.c: <devices>).
 * Not for other modules: they use domainxml.h. */
#pragma once
#include <libxml/tree.h>
#include "topology.h"

typedef struct {
  guest_domain *dom;
  GError **error;
  gboolean failed;    /* the first error wins */
  GPtrArray *scratch; /* attribute values xml_attr had to assemble; freed with the reader */
} reader;

/* Typed readers in the manner of libvirt's virxml.c.  The reader_* ones set
 * an INPUT error "LINE: what" and return FALSE on a bad value. */
int xml_line (const xmlNode *n);
gboolean xml_is_element (const xmlNode *n, const char *name); /* element without namespace */
const xmlNode *xml_child (const xmlNode *parent, const char *name); /* NULL-safe */
/* An attribute without namespace, borrowed (valid while the document and the
 * reader live); NULL when absent or n is NULL.  No copy in the common case:
 * this runs for every attribute of every device of every file. */
const char *xml_attr (reader *r, const xmlNode *n, const char *name);
gboolean xml_attr_is (reader *r, const xmlNode *n, const char *name, const char *expected);
char *xml_text (const xmlNode *n);                                 /* stripped content */
gboolean parse_unsigned (const char *s, guint base, guint64 max, guint64 *out);
gboolean reader_fail (reader *r, const xmlNode *n, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
gboolean reader_number (reader *r, const xmlNode *n, const char *name, guint base, guint64 max, int *value);
gboolean reader_yes_no (reader *r, const xmlNode *n, const char *name, tristate *value);
/* libvirt's <memory unit=…> syntax (KiB by default) → KiB; FALSE when not a size. */
gboolean parse_memory_kib (const char *value, const char *unit, guint64 *kib);

/* <devices>: controllers, IOMMUs, endpoints, what libvirt adds implicitly,
 * controller indexes; devices may be NULL (then root is used for lines). */
gboolean reader_devices (reader *r, const xmlNode *devices, const xmlNode *root);
