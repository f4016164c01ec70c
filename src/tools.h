/* Which QEMU and libvirt are installed, and what their arm-smmuv3 can do. */
#pragma once
#include "hostmodel.h"
#include "virtlib.h"

/* How long one QEMU query may take before it is killed. */
#define TOOLS_QUERY_TIMEOUT_SECONDS 10

/* The libvirt daemon asked when LIBVIRT_DEFAULT_URI is not set: the system
 * one, which defines VMs with passthrough devices. */
#define TOOLS_LIBVIRT_URI "qemu:///system"

/* Fill tools: the QEMU binary (qemu_path, or qemu-system-aarch64 on PATH)
 * answers --version, -device help (is arm-smmuv3 user-creatable?),
 * -device arm-smmuv3,help (its properties and their types), -machine
 * virt,help and -object help, each run directly (argv, no shell) with
 * -nodefaults -display none and a timeout; tools->features says what they
 * show.  libvirt: the daemon (LIBVIRT_DEFAULT_URI or TOOLS_LIBVIRT_URI;
 * read-write when allowed, as libvirt answers domcapabilities only then,
 * else read-only) gives its version and domain capabilities, else the
 * client library its version.  A missing or failing tool leaves NULL
 * versions and unknowns: never an error. */
void tools_probe (host_tools *tools, const char *qemu_path);
/* Its two halves; sets tools->probed. */
void tools_probe_qemu (host_tools *tools, const char *qemu_path);
void tools_probe_libvirt (host_tools *tools);
/* The libvirt half from a connection the caller has open (validate --connect). */
void tools_libvirt_from_connection (host_tools *tools, virConnectPtr conn, const char *uri);

/* The parsers behind it, for tests. */
char *tools_parse_qemu_version (const char *version_output);  /* "7.2.22" or NULL */
tristate tools_parse_user_creatable (const char *device_help_output, const char *device);
GPtrArray *tools_parse_device_props (const char *device_help_output); /* char*, NULL when none listed */
char *tools_libvirt_version (void);                            /* the library's, "9.0.0" or NULL */
char *tools_parse_prop_type (const char *device_help_output, const char *prop); /* "OnOffAuto" or NULL */
gboolean tools_help_lists (const char *help_output, const char *name); /* a line names it */
/* YES when domcapabilities lists <hostdev><enum name='iommufd'>, NO when the
 * hostdev element has none, UNKNOWN when there is no such document. */
tristate tools_parse_domcaps_hostdev_iommufd (const char *domcaps_xml);
/* The target a probed program stands for: its version and what it reported. */
sw_target tools_target (const host_tools *tools, sw_kind kind);
