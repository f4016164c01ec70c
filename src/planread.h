/* Reading a plan back: the document `smmuctl plan --format json` writes
 * (data/schemas/plan.schema.json) becomes the guest topology model again, so
 * that `smmuctl verify` can hold a running guest against it. */
#pragma once
#include <glib.h>
#include "topology.h"

/* What the plan says a passthrough device is, beside its place in the tree. */
typedef struct {
  gboolean ids_known;      /* the plan recorded the host device's ids */
  guint16 vendor, device;
} planned_ids;

typedef struct {
  char *source;            /* the file name as given ("-" = stdin) */
  char *layout;            /* "per-smmu", "per-device" */
  guest_domain *domain;    /* buses, vSMMUs and endpoints, resolved */
  GArray *endpoint_ids;    /* planned_ids, one per domain->endpoints element */
} plan_document;

void plan_document_free (plan_document *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (plan_document, plan_document_free)

/* INPUT error naming the file and the JSON path when the document is not a
 * plan smmuctl can read (wrong format or version, a bus that names no
 * parent, …). */
plan_document *plan_document_read (const char *path, GError **error);
plan_document *plan_document_parse (const char *data, gsize len, const char *source, GError **error);

/* Where the plan puts an endpoint, in the kernel's PCI path syntax: the first
 * bus of its root complex, then the slot.function of each port down to it
 * ("0000:fc:00.0/00.0"); *rc_out is that root complex.  NULL when the plan
 * does not say (no address, a port without one, no root complex above). */
char *plan_endpoint_path (const guest_domain *dom, const guest_endpoint *ep, const guest_bus **rc_out);
