/* The host-independent rules, entry point and shared helpers, plus the rules
 * about the machine (SMU002), attribute spellings (SMU003) and where IOMMUs
 * and devices hang in the PCI tree (SMU1xx).  The accelerated-vSMMU rules
 * are in rules_accel.c, bus numbers and the MMIO window in rules_window.c,
 * target versions in rules_target.c. */
#include "rules_internal.h"

#include <string.h>

/* ---- shared helpers ---- */

gboolean
rules_argv (const rule_context *ctx)
{
  return ctx->dom->origin == GUEST_FROM_QEMU_ARGV;
}

const char *
rules_at (const rule_context *ctx)
{
  return rules_argv (ctx) ? "arg" : "line";
}

guest_bus *
rules_bus (const rule_context *ctx, int index)
{
  if (index >= 0 && index <= RULES_MAX_BUS_INDEX)
    return ctx->bus_by_index[index];
  return index >= 0 ? guest_find_bus (ctx->dom, index) : NULL;
}

static const guest_bus *
context_bus (gconstpointer ctx, int index)
{
  return rules_bus (ctx, index);
}

int
rules_root_complex (const rule_context *ctx, int bus_index)
{
  return guest_root_complex_walk (ctx->dom, bus_index, context_bus, ctx);
}

gboolean
rules_is_smmuv3 (const guest_iommu *iommu)
{
  return g_strcmp0 (iommu->model, "smmuv3") == 0;
}

int
rules_iommu_root_complex (const rule_context *ctx, const guest_iommu *iommu)
{
  if (iommu->pci_bus < 0)
    return rules_bus (ctx, 0) != NULL ? 0 : -1;
  guest_bus *bus = rules_bus (ctx, iommu->pci_bus);
  return bus != NULL && guest_bus_is_root_complex (bus->kind) ? bus->index : -1;
}

/* From a command line: what QEMU calls the device, and for those QEMU
 * creates itself, the option behind it. */
static char *
describe_argv_endpoint (const guest_endpoint *ep, const char *id)
{
  if (ep->kind == GUEST_EP_HOSTDEV)
    return g_strdup_printf ("%s%s%s%s", ep->model, ep->host_bdf != NULL ? " " : "",
                            ep->host_bdf != NULL ? ep->host_bdf : "", id);
  if (g_strcmp0 (ep->element, "device") == 0)
    return g_strdup_printf ("%s%s", ep->model, id);
  if (g_strcmp0 (ep->element, "image") == 0)
    return g_strdup_printf ("the %s of a disk image", ep->model);
  if (g_strcmp0 (ep->element, "default NIC") == 0)
    return g_strdup_printf ("QEMU's default NIC (%s)", ep->model);
  return g_strdup_printf ("%s of -%s%s", ep->model, ep->element, id);
}

char *
rules_describe_endpoint (const rule_context *ctx, const guest_endpoint *ep)
{
  g_autofree char *id = ep->id != NULL ? g_strdup_printf (" '%s'", ep->id) : g_strdup ("");
  if (rules_argv (ctx))
    return describe_argv_endpoint (ep, id);
  if (ep->kind == GUEST_EP_HOSTDEV)
    return g_strdup_printf ("%s %s%s", g_strcmp0 (ep->element, "interface") == 0 ? "<interface type='hostdev'>"
                                                                                  : "hostdev",
                            ep->host_bdf != NULL ? ep->host_bdf : "(mdev)", id);
  return g_strdup_printf ("<%s>%s (%s)", ep->element, id, ep->model);
}

char *
rules_describe_root_complex (const rule_context *ctx, int rc_index)
{
  guest_bus *rc = rules_bus (ctx, rc_index);
  if (rc == NULL)
    return g_strdup_printf ("pci.%d", rc_index);
  if (rc->kind == GUEST_BUS_PXB_PCIE && rc->bus_nr >= 0)
    return g_strdup_printf (RULES_WORDS (ctx, "%s (busNr %d)", "%s (bus_nr %d)"), rc->id, rc->bus_nr);
  return g_strdup (rc->id);
}

char *
rules_describe_bus (const guest_bus *bus)
{
  return g_strdup_printf ("%s %s", bus->model, bus->id);
}

const char *
rules_placement_note (const guest_endpoint *ep, char **owned)
{
  if (ep->address_explicit || ep->comment == NULL)
    return "";
  return *owned = g_strdup_printf (" (%s)", ep->comment);
}

/* ---- SMU002 ---- */

static void
check_machine (const rule_context *ctx)
{
  const guest_domain *dom = ctx->dom;
  const guest_iommu *smmu = NULL;
  for (guint i = 0; i < dom->iommus->len && smmu == NULL; i++)
    if (rules_is_smmuv3 (g_ptr_array_index (dom->iommus, i)))
      smmu = g_ptr_array_index (dom->iommus, i);
  if (smmu == NULL)
    return;
  g_autofree char *what = !rules_argv (ctx) ? g_strdup ("<iommu model='smmuv3'>")
                          : smmu->pci_bus < 0 ? g_strdup ("-machine iommu=smmuv3")
                                              : g_strdup_printf ("arm-smmuv3 %s", smmu->id);
  /* An absent arch or machine means the host's default: not known to be wrong. */
  if (dom->arch != NULL && strcmp (dom->arch, "aarch64") != 0)
    finding_add (ctx->out, "SMU002", SEVERITY_ERROR, smmu->line, smmu->path,
                 RULES_WORDS (ctx, "use <os><type arch='aarch64' machine='virt'>, or remove this <iommu> "
                                   "(x86 guests use model='intel' or 'virtio')",
                              "run qemu-system-aarch64 -machine virt, or remove the SMMUv3 (x86 guests use "
                              "intel-iommu or virtio-iommu-pci)"),
                 RULES_WORDS (ctx, "%s on an %s domain: the SMMUv3 exists only on aarch64 'virt' machines",
                              "%s on qemu-system-%s: the SMMUv3 exists only on aarch64 'virt' machines"),
                 what, dom->arch);
  else if (dom->machine != NULL && !g_str_has_prefix (dom->machine, "virt"))
    finding_add (ctx->out, "SMU002", SEVERITY_ERROR, smmu->line, smmu->path,
                 RULES_WORDS (ctx, "use machine='virt' in <os><type>", "use -machine virt"),
                 "%s on machine '%s': the SMMUv3 exists only on the 'virt' machine", what, dom->machine);
}

/* ---- SMU003 ---- */

/* libvirt's smmuv3 <driver> attributes and the property each one sets. */
static const struct {
  const char *name;
  int prop; /* vsmmu_prop_id, -1 for pciBus */
} upstream_driver_attrs[] = {
  { "pciBus", -1 }, { "accel", VSMMU_PROP_ACCEL }, { "ats", VSMMU_PROP_ATS }, { "ril", VSMMU_PROP_RIL },
  { "ssidsize", VSMMU_PROP_SSIDSIZE }, { "oas", VSMMU_PROP_OAS }, { "cmdqv", VSMMU_PROP_CMDQV },
};

/* The upstream attribute a misspelling most likely meant: the same letters
 * in another case, or one letter added, dropped or changed ("ssidsze",
 * "acel"); -1 when none. */
static int
nearest_driver_attr (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (upstream_driver_attrs); i++)
    if (g_ascii_strcasecmp (name, upstream_driver_attrs[i].name) == 0)
      return (int) i;
  for (gsize i = 0; i < G_N_ELEMENTS (upstream_driver_attrs); i++)
    {
      const char *u = upstream_driver_attrs[i].name;
      gsize ln = strlen (name), lu = strlen (u), p = 0;
      while (p < ln && p < lu && g_ascii_tolower (name[p]) == g_ascii_tolower (u[p]))
        p++;
      gsize sn = ln, su = lu;
      while (sn > p && su > p && g_ascii_tolower (name[sn - 1]) == g_ascii_tolower (u[su - 1]))
        sn--, su--;
      if (sn - p <= 1 && su - p <= 1)
        return (int) i;
    }
  return -1;
}

/* On a command line QEMU itself refuses a property arm-smmuv3 does not
 * have, fork spellings included: an error, where libvirt only drops it. */
static void
check_argv_properties (const rule_context *ctx, const guest_iommu *iommu)
{
  for (guint i = 0; i < iommu->unknown_attrs->len; i++)
    {
      const char *name = g_ptr_array_index (iommu->unknown_attrs, i);
      int near = nearest_driver_attr (name);
      const char *meant = near < 0 ? NULL : upstream_driver_attrs[near].prop < 0 ? "primary-bus"
                                                                                 : upstream_driver_attrs[near].name;
      g_autofree char *hint = meant != NULL ? g_strdup_printf ("did you mean '%s'?", meant)
                                            : g_strdup ("arm-smmuv3's vSMMU properties are primary-bus, accel, ats, "
                                                        "ril, ssidsize, oas and cmdqv");
      finding_add (ctx->out, "SMU003", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                   "arm-smmuv3 %s has no property '%s'; QEMU exits: \"Property 'arm-smmuv3.%s' not found\"",
                   iommu->id, name, name);
    }
}

static void
check_spellings (const rule_context *ctx, const guest_iommu *iommu)
{
  if (rules_argv (ctx))
    {
      check_argv_properties (ctx, iommu);
      return;
    }
  const vsmmu_prop *ssid = &iommu->props[VSMMU_PROP_SSIDSIZE];
  const feature_info *auto_feature = feature_lookup (FEAT_QEMU_SMMUV3_AUTO);
  g_autofree char *auto_since = sw_version_to_string (auto_feature->since);
  if (ssid->spelling != NULL && strcmp (ssid->spelling, "ssidSize") == 0)
    {
      g_autofree char *hint = g_strdup_printf ("rename it: ssidsize='%u'", ssid->value);
      finding_add (ctx->out, "SMU003", SEVERITY_WARNING, ssid->line, iommu->path, hint,
                   "'ssidSize' is a fork's spelling; libvirt spells it 'ssidsize' and drops 'ssidSize' "
                   "at define time, leaving the vSMMU without SubstreamIDs (PASID)");
    }
  else if (ssid->spelling != NULL && strcmp (ssid->spelling, "pasid") == 0)
    {
      /* libvirt has no 'auto': leaving ssidsize out lets QEMU's default, auto, take the host's width. */
      g_autofree char *hint = g_strdup_printf ("replace it with ssidsize='%u', or leave ssidsize out: QEMU %s and "
                                               "newer then take the host SMMU's width",
                                               ssid->state == PROP_VALUE ? ssid->value : 20, auto_since);
      g_autofree char *read_as = ssid->state == PROP_AUTO ? g_strdup ("auto") : g_strdup_printf ("%u", ssid->value);
      finding_add (ctx->out, "SMU003", SEVERITY_WARNING, ssid->line, iommu->path, hint,
                   "'pasid' is a vendor fork's switch; upstream libvirt and QEMU express PASID support as "
                   "'ssidsize', the SubstreamID width in bits (smmuctl read it as ssidsize='%s')", read_as);
    }

  int line = iommu->line;
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    if (iommu->props[p].state != PROP_ABSENT)
      line = iommu->props[p].line;
  for (guint i = 0; i < iommu->unknown_attrs->len; i++)
    {
      const char *name = g_ptr_array_index (iommu->unknown_attrs, i);
      int near = nearest_driver_attr (name);
      int prop = near >= 0 ? upstream_driver_attrs[near].prop : -1;
      /* The reader keeps a second spelling of a property it already has here. */
      if (prop >= 0 && iommu->props[prop].state != PROP_ABSENT)
        finding_add (ctx->out, "SMU003", SEVERITY_WARNING, line, iommu->path,
                     "keep one of them, spelled the upstream way",
                     "'%s' repeats '%s' on this <driver>; libvirt keeps only its own spelling", name,
                     iommu->props[prop].spelling);
      else
        {
          g_autofree char *hint = near >= 0 ? g_strdup_printf ("did you mean '%s'?", upstream_driver_attrs[near].name)
                                            : g_strdup ("libvirt's smmuv3 <driver> attributes are pciBus, "
                                                        "accel, ats, ril, ssidsize, oas and cmdqv");
          finding_add (ctx->out, "SMU003", SEVERITY_WARNING, line, iommu->path, hint,
                       "<driver> attribute '%s' is unknown to libvirt for smmuv3: it is dropped at define time",
                       name);
        }
    }
}

/* ---- SMU101-105: which root complex each IOMMU serves ---- */

static const guest_bus *
pxb_with_bus_nr (const rule_context *ctx, int bus_nr)
{
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (bus->kind == GUEST_BUS_PXB_PCIE && bus->bus_nr == bus_nr)
        return bus;
    }
  return NULL;
}

static char *
root_complex_indexes (const rule_context *ctx)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (guest_bus_is_root_complex (bus->kind) && rules_argv (ctx))
        g_string_append_printf (s, "%s%s", s->len ? ", " : "", bus->id);
      else if (guest_bus_is_root_complex (bus->kind))
        g_string_append_printf (s, "%s%d (%s)", s->len ? ", " : "", bus->index, bus->id);
    }
  return g_string_free (s, FALSE);
}

static void
check_pci_bus (const rule_context *ctx, const guest_iommu *iommu)
{
  if (iommu->pci_bus < 0)
    return;
  const guest_bus *bus = rules_bus (ctx, iommu->pci_bus);
  if (bus != NULL && guest_bus_is_root_complex (bus->kind))
    return; /* a valid index, even if it equals another pxb's busNr */
  const guest_bus *pxb = pxb_with_bus_nr (ctx, iommu->pci_bus);
  g_autofree char *indexes = root_complex_indexes (ctx);
  if (pxb != NULL)
    {
      g_autofree char *hint = g_strdup_printf ("use the controller index: pciBus='%d'", pxb->index);
      finding_add (ctx->out, "SMU103", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                   "pciBus='%d' is the busNr of the pcie-expander-bus %s (line %d), not a controller index%s",
                   iommu->pci_bus, pxb->id, pxb->line,
                   bus == NULL ? "; no controller has that index" : "");
    }
  else if (bus == NULL && rules_argv (ctx))
    {
      g_autofree char *hint = g_strdup_printf ("create the root complex before the arm-smmuv3 (QEMU creates devices "
                                               "in command-line order) and name it in primary-bus: %s", indexes);
      if (iommu->pci_bus_ref == NULL)
        finding_add (ctx->out, "SMU101", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                     "arm-smmuv3 %s has no primary-bus; QEMU exits: \"SMMU is not attached to any PCI bus!\"",
                     iommu->id);
      else
        finding_add (ctx->out, "SMU101", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                     "primary-bus=%s names no PCI bus created before the arm-smmuv3 %s; QEMU exits: \"Device '%s' "
                     "not found\"", iommu->pci_bus_ref, iommu->id, iommu->pci_bus_ref);
    }
  else if (bus == NULL)
    {
      g_autofree char *hint = g_strdup_printf ("point pciBus at a root complex's controller index: %s", indexes);
      finding_add (ctx->out, "SMU101", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                   "pciBus='%d' names no controller: no <controller type='pci'> has index %d",
                   iommu->pci_bus, iommu->pci_bus);
    }
  else if (rules_argv (ctx))
    {
      int rc = rules_root_complex (ctx, bus->index);
      g_autofree char *what = rules_describe_bus (bus);
      g_autofree char *hint = rc >= 0 ? g_strdup_printf ("use the root complex above it: primary-bus=%s",
                                                         rules_bus (ctx, rc)->id)
                                      : g_strdup_printf ("name a root complex in primary-bus: %s", indexes);
      finding_add (ctx->out, "SMU102", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                   "primary-bus=%s names the %s (arg %d), which is not a root complex; QEMU exits: \"SMMU should "
                   "be attached to a default PCIe root complex(pcie.0) or a pxb-pcie based root complex\"",
                   iommu->pci_bus_ref, what, bus->line);
    }
  else
    {
      int rc = rules_root_complex (ctx, bus->index);
      g_autofree char *what = rules_describe_bus (bus);
      g_autofree char *hint = rc >= 0 ? g_strdup_printf ("use the root complex above it: pciBus='%d'", rc)
                                      : g_strdup_printf ("use a root complex's index: %s", indexes);
      finding_add (ctx->out, "SMU102", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                   "pciBus='%d' names the %s (line %d), which is not a root complex (pcie-root or "
                   "pcie-expander-bus)", iommu->pci_bus, what, bus->line);
    }
}

static void
check_iommu_layout (const rule_context *ctx)
{
  /* libvirt 12.9 passes the IOMMUs in document order, except that a
   * machine-wide smmuv3 after a per-bus one is dropped; QEMU 11.1 refuses a
   * second kind once one is set (measured in the real-stack tier). */
  const GPtrArray *iommus = ctx->dom->iommus;
  const guest_iommu *per_bus = NULL;
  guint per_bus_at = 0;
  for (guint i = 0; i < iommus->len && per_bus == NULL; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (iommus, i);
      if (rules_is_smmuv3 (iommu) && iommu->pci_bus >= 0)
        per_bus = iommu, per_bus_at = i;
    }
  const guest_iommu *machine_wide = NULL;
  for (guint i = 0; i < iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (iommus, i);
      gboolean smmuv3 = rules_is_smmuv3 (iommu);
      if (smmuv3 && iommu->pci_bus < 0)
        {
          if (machine_wide != NULL)
            finding_add (ctx->out, "SMU104", SEVERITY_ERROR, iommu->line, iommu->path,
                         "keep one; give further vSMMUs a pciBus naming a pcie-expander-bus",
                         "a second machine-wide smmuv3: %s (%s %d) already serves pcie.0",
                         machine_wide->id, rules_at (ctx), machine_wide->line);
          else if (per_bus != NULL && rules_argv (ctx))
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path,
                         "drop iommu=smmuv3 from -machine, and give pcie.0 its own -device "
                         "arm-smmuv3,primary-bus=pcie.0 if it needs one",
                         "-machine iommu=smmuv3 mixed with the per-bus arm-smmuv3 %s (arg %d); QEMU exits: \"virt "
                         "machine already has iommu=smmuv3 set. Doesn't support incompatible iommus\"",
                         per_bus->id, per_bus->line);
          else if (per_bus != NULL && per_bus_at < i)
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path,
                         "give this <iommu> a <driver pciBus='0'/> (the per-bus form for pcie.0), or remove it",
                         "machine-wide smmuv3 %s after the per-bus smmuv3 %s (line %d): libvirt drops it at define "
                         "without a word, so pcie.0 gets no vSMMU", iommu->id, per_bus->id, per_bus->line);
          else if (per_bus != NULL)
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path,
                         "give this <iommu> a <driver pciBus='0'/> (the per-bus form for pcie.0)",
                         "machine-wide smmuv3 %s before the per-bus smmuv3 %s (line %d): libvirt passes both "
                         "(-machine virt,iommu=smmuv3 and -device arm-smmuv3) and QEMU exits: \"virt machine already "
                         "has iommu=smmuv3 set. Doesn't support incompatible iommus\"",
                         iommu->id, per_bus->id, per_bus->line);
          if (machine_wide == NULL)
            machine_wide = iommu;
        }
      else if (!smmuv3 && (per_bus != NULL || machine_wide != NULL))
        {
          /* QEMU creates IOMMUs in command-line order (libvirt keeps document order). */
          const guest_iommu *other = machine_wide != NULL ? machine_wide : per_bus;
          const char *model = iommu->model != NULL ? iommu->model : "(none)";
          g_autofree char *what = rules_argv (ctx) ? g_strdup_printf ("the %s IOMMU", model)
                                                   : g_strdup_printf ("<iommu model='%s'>", model);
          const char *remove = RULES_WORDS (ctx, "remove this <iommu>", "remove that IOMMU device");
          g_autofree char *hint = g_strdup_printf ("%s: the SMMUv3 vSMMUs translate the devices below them", remove);
          g_autofree char *hint_two = g_strdup_printf ("%s unless two kinds of IOMMU are meant: the SMMUv3 vSMMUs "
                                                       "translate the devices below them", remove);
          const char *both = RULES_WORDS (ctx, "libvirt passes both and ", "");
          if (g_strcmp0 (model, "virtio") != 0)
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                         "%s mixed with the smmuv3 %s (%s %d); the virt machine takes one kind of IOMMU",
                         what, other->id, rules_at (ctx), other->line);
          else if (other == machine_wide)
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path,
                         RULES_WORDS (ctx, "remove this <iommu>, or replace the machine-wide smmuv3 with per-bus ones",
                                      "remove that IOMMU device, or replace iommu=smmuv3 with per-bus arm-smmuv3"),
                         "%s next to the machine-wide smmuv3 %s (%s %d); QEMU exits: \"virt machine does not "
                         "support multiple IOMMUs\"", what, other->id, rules_at (ctx), other->line);
          else if (i < per_bus_at)
            finding_add (ctx->out, "SMU105", SEVERITY_ERROR, iommu->line, iommu->path, hint,
                         "%s before the per-bus smmuv3 %s (%s %d): %sQEMU exits: \"virt machine already has "
                         "%s-iommu set. Doesn't support incompatible iommus\"",
                         what, other->id, rules_at (ctx), other->line, both, model);
          else
            finding_add (ctx->out, "SMU105", SEVERITY_WARNING, iommu->line, iommu->path, hint_two,
                         "%s after the per-bus smmuv3 %s (%s %d): %sQEMU 11.1 starts, so the guest gets two kinds of "
                         "IOMMU (in the other order QEMU refuses: \"virt machine already has %s-iommu set\")",
                         what, other->id, rules_at (ctx), other->line, both, model);
        }
    }
  /* Two per-bus vSMMUs on one root complex. */
  for (guint i = 0; i < iommus->len; i++)
    {
      const guest_iommu *a = g_ptr_array_index (iommus, i);
      int rc = rules_is_smmuv3 (a) && a->pci_bus >= 0 ? rules_iommu_root_complex (ctx, a) : -1;
      for (guint j = 0; j < i && rc >= 0; j++)
        {
          const guest_iommu *b = g_ptr_array_index (iommus, j);
          if (rules_is_smmuv3 (b) && b->pci_bus >= 0 && rules_iommu_root_complex (ctx, b) == rc)
            {
              g_autofree char *where = rules_describe_root_complex (ctx, rc);
              finding_add (ctx->out, "SMU104", SEVERITY_ERROR, a->line, a->path,
                           RULES_WORDS (ctx, "one vSMMU per root complex: point this one at another "
                                             "pcie-expander-bus, or remove it",
                                        "one vSMMU per root complex: point this one's primary-bus at another "
                                        "pxb-pcie, or remove it"),
                           RULES_WORDS (ctx, "a second IOMMU on %s: %s (line %d) already serves it",
                                        "a second IOMMU on %s: %s (arg %d) already serves it; QEMU exits: \"An "
                                        "iommu is already attached to this bus\""),
                           where, b->id, b->line);
              break;
            }
        }
    }
}

/* SMU109: without ACPI the guest boots from the device tree QEMU builds,
 * which describes an SMMUv3 on pcie.0 only.  (accel=on refuses DT outright:
 * SMU206.) */
static void
check_dt_vsmmus (const rule_context *ctx)
{
  if (ctx->dom->acpi == TRI_YES)
    return;
  for (guint i = 0; i < ctx->dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (ctx->dom->iommus, i);
      int rc = rules_is_smmuv3 (iommu) && !guest_iommu_is_accel (iommu) ? rules_iommu_root_complex (ctx, iommu) : -1;
      if (rc <= 0)
        continue; /* pcie.0 is in the device tree; a wrong pciBus is SMU101-103's */
      g_autofree char *where = rules_describe_root_complex (ctx, rc);
      finding_add (ctx->out, "SMU109", SEVERITY_WARNING, iommu->line, iommu->path,
                   "add <acpi/> to <features> (and boot with UEFI, <os firmware='efi'>), or attach this vSMMU to "
                   "pcie.0 with pciBus='0'",
                   "the vSMMU %s is on %s and ACPI is off, so the guest boots from QEMU's device tree, which has an "
                   "SMMUv3 for pcie.0 only: QEMU warns \"SMMUv3 device only supported with pcie.0 for DT\" and the "
                   "guest sees no IOMMU for the devices below %s", iommu->id, where, where);
    }
}

/* ---- SMU106-108: devices and controllers in the tree ---- */

static gboolean
domain_has_accel (const rule_context *ctx)
{
  for (guint i = 0; i < ctx->dom->iommus->len; i++)
    if (guest_iommu_is_accel (g_ptr_array_index (ctx->dom->iommus, i)))
      return TRUE;
  return FALSE;
}

static char *
accel_root_complexes (const rule_context *ctx)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < ctx->dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (ctx->dom->iommus, i);
      int rc = rules_iommu_root_complex (ctx, iommu);
      if (guest_iommu_is_accel (iommu) && rc >= 0)
        {
          g_autofree char *name = rules_describe_root_complex (ctx, rc);
          g_string_append_printf (s, "%s%s", s->len ? ", " : "", name);
        }
    }
  return g_string_free (s, FALSE);
}

static void
check_hostdev_vsmmu (const rule_context *ctx)
{
  if (ctx->dom->iommus->len == 0)
    return; /* plain passthrough without a guest IOMMU is a choice, not a slip */
  for (guint i = 0; i < ctx->dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (ctx->dom->iommus, i);
      if (iommu->pci_bus >= 0 && rules_iommu_root_complex (ctx, iommu) < 0)
        return; /* which root complex it meant is SMU101-103's finding; guessing here doubles it */
    }
  gboolean accel = domain_has_accel (ctx);
  g_autofree char *accel_rcs = accel_root_complexes (ctx);
  for (guint i = 0; i < ctx->dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (ctx->dom->endpoints, i);
      int rc = ep->kind == GUEST_EP_HOSTDEV ? rules_root_complex (ctx, ep->bus) : -1;
      if (rc < 0)
        continue;
      const guest_iommu *iommu = guest_iommu_for_root_complex (ctx->dom, rc);
      if (accel ? iommu != NULL && guest_iommu_is_accel (iommu) : iommu != NULL)
        continue;
      g_autofree char *what = rules_describe_endpoint (ctx, ep);
      g_autofree char *where = rules_describe_root_complex (ctx, rc);
      g_autofree char *note = NULL;
      const char *placement = rules_placement_note (ep, &note);
      if (accel)
        {
          g_autofree char *hint = g_strdup_printf (RULES_WORDS (ctx, "address it to a root port below %s, the root "
                                                                     "complex whose vSMMU stands for its host SMMU",
                                                                "plug it (bus=) into a root port below %s, the root "
                                                                "complex whose vSMMU stands for its host SMMU"),
                                                   accel_rcs);
          finding_add (ctx->out, "SMU106", SEVERITY_ERROR, ep->line, ep->path, hint,
                       "%s is below %s, which has %s; the domain's accelerated vSMMUs serve %s%s", what, where,
                       iommu == NULL ? "no vSMMU" : RULES_WORDS (ctx, "a vSMMU without accel='on'",
                                                                 "a vSMMU without accel=on"),
                       accel_rcs, placement);
        }
      else
        finding_add (ctx->out, "SMU106", SEVERITY_WARNING, ep->line, ep->path,
                     "move it below a root complex with a vSMMU, or give its root complex one",
                     "%s is below %s, which has no vSMMU, while other root complexes have one: the guest sees "
                     "no IOMMU for this device%s", what, where, placement);
    }
}

static void
check_unresolved (const rule_context *ctx)
{
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      /* A root complex resolves to itself, but a pxb still plugs into a bus. */
      gboolean pxb_dangling = bus->kind == GUEST_BUS_PXB_PCIE && bus->parent >= 0
                              && rules_bus (ctx, bus->parent) == NULL;
      if (!pxb_dangling && (guest_bus_is_root_complex (bus->kind) || rules_root_complex (ctx, bus->index) >= 0))
        continue;
      g_autofree char *what = rules_describe_bus (bus);
      const guest_bus *parent = rules_bus (ctx, bus->parent);
      if (parent == NULL && rules_argv (ctx))
        finding_add (ctx->out, "SMU107", SEVERITY_ERROR, bus->line, bus->path,
                     "create that bus earlier on the command line (QEMU creates devices in order), or correct bus=",
                     "%s has bus=%s, which names no PCI bus created before it; QEMU exits: \"Bus '%s' not found\"",
                     what, bus->parent_ref, bus->parent_ref);
      else if (parent == NULL && (bus->kind == GUEST_BUS_ROOT_PORT || bus->kind == GUEST_BUS_PXB_PCIE))
        finding_add (ctx->out, "SMU107", SEVERITY_ERROR, bus->line, bus->path,
                     "plug it into pcie.0 (bus='0x00') or an existing root complex",
                     "%s is plugged into bus %d, but no controller has index %d; libvirt can add only a "
                     "pcie-root-port there, which cannot hold a %s, and refuses the domain at define: \"a PCIe slot "
                     "is needed to connect a PCI controller model='%s', but none is available, and it cannot be "
                     "automatically added\"", what, bus->parent, bus->parent, bus->model, bus->model);
      else if (parent == NULL)
        finding_add (ctx->out, "SMU107", SEVERITY_ERROR, bus->line, bus->path,
                     "plug it into an existing controller, or add the controller with that index",
                     "%s is plugged into bus %d, but no controller has index %d; libvirt would add a default "
                     "one on pcie.0", what, bus->parent, bus->parent);
      else if (bus->kind != GUEST_BUS_OTHER)
        finding_add (ctx->out, "SMU107", SEVERITY_ERROR, bus->line, bus->path,
                     "follow the <address bus=...> chain up and end it at pcie.0 or a pcie-expander-bus",
                     "%s does not lead up to a root complex: its controller chain loops or ends at a "
                     "controller without an address", what);
    }
  for (guint i = 0; i < ctx->dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (ctx->dom->endpoints, i);
      const guest_bus *bus = rules_bus (ctx, ep->bus);
      /* An explicit address on a bus only libvirt's gap filling provides. */
      if (ep->bus < 0 || (bus != NULL && !(bus->index_gap && ep->address_explicit)))
        continue;
      g_autofree char *what = rules_describe_endpoint (ctx, ep);
      if (rules_argv (ctx))
        {
          finding_add (ctx->out, "SMU107", SEVERITY_ERROR, ep->line, ep->path,
                       "create that bus earlier on the command line (QEMU creates devices in order), or correct bus=",
                       "%s has bus=%s, which names no PCI bus created before it; QEMU exits: \"Bus '%s' not "
                       "found\"", what, ep->bus_ref, ep->bus_ref);
          continue;
        }
      finding_add (ctx->out, "SMU107", SEVERITY_ERROR, ep->line, ep->path,
                   "change bus= to the index of an existing root port, or add that controller",
                   "%s is addressed to bus 0x%02x, but no controller has index %d; libvirt would add a "
                   "pcie-root-port on pcie.0 for it, not below the root complex you meant", what, ep->bus, ep->bus);
    }
}

static void
check_pxb_numa (const rule_context *ctx)
{
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (bus->kind != GUEST_BUS_PXB_PCIE || bus->numa_node < 0 || guest_has_numa_cell (ctx->dom, bus->numa_node))
        continue;
      g_autofree char *hint = g_strdup_printf (RULES_WORDS (ctx, "add <cell id='%d' …/> to <cpu><numa>, or remove "
                                                                 "<node> from the controller's <target>",
                                                            "add -numa node,nodeid=%d,… (with its memory), or drop "
                                                            "numa_node"), bus->numa_node);
      if (rules_argv (ctx))
        finding_add (ctx->out, "SMU108", SEVERITY_ERROR, bus->line, bus->path, hint,
                     "pxb-pcie %s has numa_node=%d, but the guest has %s; QEMU exits: \"Illegal numa node %d\"",
                     bus->id, bus->numa_node, ctx->dom->numa_cells->len ? "no such -numa node" : "no -numa nodes",
                     bus->numa_node);
      else
        finding_add (ctx->out, "SMU108", SEVERITY_ERROR, bus->line, bus->path, hint,
                     "pcie-expander-bus %s is on guest NUMA node %d, but the guest has %s; libvirt refuses the domain "
                     "at define: \"XML error: pcie-expander-bus with index %d is configured for a NUMA node (%d) not "
                     "present in the domain's <cpu><numa> array (%u)\"", bus->id, bus->numa_node,
                     ctx->dom->numa_cells->len ? "no such <cell>" : "no NUMA cells", bus->index, bus->numa_node,
                     ctx->dom->numa_cells->len);
    }
}

void
rules_check_domain (const guest_domain *dom, const rule_options *opts, finding_list *out)
{
  static const rule_options no_targets = { 0 };
  rule_context ctx = { .dom = dom, .opts = opts != NULL ? opts : &no_targets, .out = out };
  for (guint i = 0; i < dom->buses->len; i++)
    {
      guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->index >= 0 && bus->index <= RULES_MAX_BUS_INDEX && ctx.bus_by_index[bus->index] == NULL)
        ctx.bus_by_index[bus->index] = bus;
    }
  check_machine (&ctx);
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      if (rules_is_smmuv3 (iommu))
        check_spellings (&ctx, iommu);
      check_pci_bus (&ctx, iommu);
    }
  check_iommu_layout (&ctx);
  check_dt_vsmmus (&ctx);
  check_hostdev_vsmmu (&ctx);
  check_unresolved (&ctx);
  check_pxb_numa (&ctx);
  rules_check_addresses (&ctx);
  rules_check_accel (&ctx);
  rules_check_window (&ctx);
  rules_check_target (&ctx);
  finding_list_sort (out);
}
