/* The plan's three written forms: libvirt domain XML (emit_xml.c), a QEMU
 * launch script (emit_qemu.c) and JSON (emit_json.c).  Emitters never
 * decide: every choice, and its reason, is already in the plan.  Each
 * returns the whole document (byte-stable for the same plan) or NULL with
 * an error; nothing is written anywhere. */
#pragma once
#include "hostmodel.h"
#include "planner.h"

/* Debian/Ubuntu's AArch64 UEFI images (package qemu-efi-aarch64). */
#define EMIT_DEFAULT_FIRMWARE_CODE "/usr/share/AAVMF/AAVMF_CODE.fd"
#define EMIT_DEFAULT_FIRMWARE_VARS "/usr/share/AAVMF/AAVMF_VARS.fd"

#define EMIT_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
/* The one iommufd object of a plan; libvirt names its own the same way. */
#define EMIT_IOMMUFD_ID "iommufd0"

typedef struct {
  gboolean explain;           /* reasons as XML comments or `#` lines */
  /* --base: the document the plan's domain model was read from (XML only) */
  const char *base_xml;
  gsize base_len;
  const char *base_name;
  /* QEMU script: UEFI code image, its variable-store template, and the
   * VM's own variable store (created from the template on first run) */
  const char *firmware_code;
  const char *firmware_vars;
  const char *nvram;
  const char *generator;      /* "smmuctl 0.1.0", for the header comment */
} emit_options;

void emit_options_init (emit_options *opts);

char *emit_xml (const guest_plan *plan, const emit_options *opts, GError **error);
char *emit_qemu (const guest_plan *plan, const emit_options *opts, GError **error);
char *emit_json (const guest_plan *plan, const host_model *host, const emit_options *opts, GError **error);

/* Shared by the emitters. */
/* QEMU size syntax in the largest exact binary unit: "2T", "768G", "4096M". */
char *emit_qemu_size (guint64 bytes);
/* Lookups the emitters make for every element, built once per document so
 * that thousands of devices stay linear. */
typedef struct {
  GPtrArray *buses;           /* [controller index] → const guest_bus*, NULL for unused indexes */
  GHashTable *multifunction;  /* (parent, slot) of slots holding a function > 0 */
} emit_index;

void emit_index_init (emit_index *idx, const guest_domain *dom);
void emit_index_clear (emit_index *idx);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (emit_index, emit_index_clear)
const guest_bus *emit_find_bus (const emit_index *idx, int index);
/* Root complex index above a bus, -1 when unresolved (guest_root_complex_walk). */
int emit_root_complex_of (const guest_domain *dom, const emit_index *idx, int bus_index);
/* Whether the slot that bus/endpoint (parent, slot) sits in holds other
 * functions: function 0 then needs multifunction=on. */
gboolean emit_slot_is_multifunction (const emit_index *idx, int parent, int slot);
/* Spelling of a vSMMU property value: "on", "off", "auto", "20"; NULL when absent. */
char *emit_prop_value (const guest_iommu *iommu, vsmmu_prop_id id);
/* "ats, ril and ssidsize": the properties planned as auto, NULL when none.
 * Neither emitter writes them: libvirt XML has no 'auto', and QEMU 11.1's
 * default is auto, so a script without them is what libvirt runs. */
char *emit_auto_props_text (const guest_iommu *iommu);
