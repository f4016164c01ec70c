/* Reading libvirt domain XML into the guest topology model.
 *
 * The document is untrusted: libxml2 runs without network access, without
 * entity substitution or DTD loading (entity declarations are refused
 * outright), with bounded size and depth, and its errors are captured, never
 * printed.  What libvirt itself would add or decide at `virsh define` time
 * that matters to the rules is modelled too: the implicit pcie-root, the
 * implicit virtio memballoon, and where devices without an <address> land. */
#pragma once
#include <glib.h>
#include "topology.h"

#define DOMAINXML_MAX_SIZE ((gsize) 32 << 20) /* bytes */
#define DOMAINXML_MAX_DEPTH 256               /* libxml2's limit without XML_PARSE_HUGE */

/* Once, before reading documents from several threads at a time (libxml2
 * must be initialised from one thread); harmless when called again. */
void domainxml_init (void);
/* A libxml2 generic error handler that drops the message: smmuctl reports
 * errors itself, once (the XML reader, and libvirt's libxml2 use in validate). */
void domainxml_ignore_generic_error (void *context, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* On failure: NULL and an SMMUCTL_ERROR_INPUT error whose message starts with
 * "LINE: " when the line is known (the validate verb turns it into SMU001). */
guest_domain *domainxml_read_memory (const char *data, gsize len, const char *filename, GError **error);
/* path "-" reads stdin.  An unreadable file is an INPUT error naming it
 * (without a "LINE: " prefix). */
guest_domain *domainxml_read_file (const char *path, GError **error);

/* The bytes of a file ("-" = stdin), at most DOMAINXML_MAX_SIZE + 1 of them so
 * that domainxml_read_memory can report an oversized document. */
GBytes *domainxml_load (const char *path, GError **error);

/* Split a read error into its line (0 when unknown) and the message after
 * the "LINE: " prefix (borrowed from error). */
int domainxml_error_line (const GError *error, const char **message);
/* What to do about a read error, for the SMU001 finding's hint. */
const char *domainxml_error_hint (const GError *error);
