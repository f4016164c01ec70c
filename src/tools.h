/* Which QEMU and libvirt are installed, and what their arm-smmuv3 can do. */
#pragma once
#include "hostmodel.h"

/* How long one QEMU query may take before it is killed. */
#define TOOLS_QUERY_TIMEOUT_SECONDS 10

/* Fill tools: the QEMU binary (qemu_path, or qemu-system-aarch64 on PATH)
 * answers --version, -device help (is arm-smmuv3 user-creatable?) and
 * -device arm-smmuv3,help (its property names), each run directly (argv,
 * no shell) with -machine none -nodefaults -display none and a timeout;
 * the libvirt library version comes from virGetVersion.  A missing or
 * failing tool leaves NULL versions and unknowns: never an error. */
void tools_probe (host_tools *tools, const char *qemu_path);

/* The parsers behind it, for tests. */
char *tools_parse_qemu_version (const char *version_output);  /* "7.2.22" or NULL */
tristate tools_parse_user_creatable (const char *device_help_output, const char *device);
GPtrArray *tools_parse_device_props (const char *device_help_output); /* char*, NULL when none listed */
char *tools_libvirt_version (void);                            /* "9.0.0" or NULL */
