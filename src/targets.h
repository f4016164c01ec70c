/* --target-qemu and --target-libvirt, for plan and validate alike: a
 * release number, or 'installed' (what this machine's QEMU and libvirt
 * report about themselves), or a default. */
#pragma once
#include "hostmodel.h"
#include "versions.h"

typedef struct {
  const char *verb;             /* "plan", "validate": for messages */
  const host_tools *installed;  /* this machine's programs, probed by the caller when 'installed' is given */
  const host_tools *fallback;   /* the default when nothing is given (plan: the host's tools); may be NULL */
  const char *fallback_label;   /* "installed", "installed on the probed host" */
} target_context;

/* given: "11.1", "installed" or NULL.  A version is taken as is (the table
 * says what it has); 'installed' takes the program's version and every
 * feature it reported (so a vendor build that has the properties is
 * accepted); NULL takes the fallback tools when they have a version, else
 * the newest release the table knows.  source: "--target-qemu",
 * "installed", the fallback label or "newest known".  USAGE error for a
 * bad version or a missing program. */
gboolean target_resolve (const target_context *ctx, sw_kind kind, const char *given, sw_target *out,
                         const char **source, GError **error);
