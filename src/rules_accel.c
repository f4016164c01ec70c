/* SMU2xx: what an accelerated vSMMU (arm-smmuv3,accel=on) demands of the
 * domain and of everything below its root complex.  QEMU's own words are
 * quoted where it has them (hw/arm/smmuv3.c, smmuv3-accel.c, virt.c). */
#include "rules_internal.h"

#include <string.h>

/* The properties libvirt ties to accel='on' and QEMU only takes with it. */
static const vsmmu_prop_id accel_only_props[] = { VSMMU_PROP_ATS, VSMMU_PROP_RIL, VSMMU_PROP_SSIDSIZE,
                                                  VSMMU_PROP_OAS, VSMMU_PROP_CMDQV };

static const char *
prop_name (vsmmu_prop_id id)
{
  static const char *const names[VSMMU_N_PROPS] = {
    [VSMMU_PROP_ACCEL] = "accel", [VSMMU_PROP_ATS] = "ats", [VSMMU_PROP_RIL] = "ril",
    [VSMMU_PROP_SSIDSIZE] = "ssidsize", [VSMMU_PROP_OAS] = "oas", [VSMMU_PROP_CMDQV] = "cmdqv",
  };
  return names[id];
}

/* Written with the upstream name: libvirt drops fork spellings (pasid,
 * ssidSize) before it looks at the values (SMU003 says so). */
static gboolean
upstream_spelling (const vsmmu_prop *prop, vsmmu_prop_id id)
{
  return g_strcmp0 (prop->spelling, prop_name (id)) == 0;
}

/* A root port on pcie.0 for hints, preferring one nothing is plugged into. */
static const guest_bus *
pcie0_root_port (const rule_context *ctx)
{
  const guest_bus *any = NULL;
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (bus->kind != GUEST_BUS_ROOT_PORT || bus->line == 0 || rules_root_complex (ctx, bus->index) != 0)
        continue;
      gboolean used = FALSE;
      for (guint j = 0; j < ctx->dom->endpoints->len && !used; j++)
        used = ((const guest_endpoint *) g_ptr_array_index (ctx->dom->endpoints, j))->bus == bus->index;
      if (!used)
        return bus;
      if (any == NULL)
        any = bus;
    }
  return any;
}

static char *
emulated_hint_argv (const rule_context *ctx, const guest_endpoint *ep, int rc)
{
  const guest_bus *port = pcie0_root_port (ctx);
  g_autofree char *target = rc == 0 ? g_strdup ("a root port below a pxb-pcie whose vSMMU is not accelerated")
                            : port != NULL ? g_strdup_printf ("a root port of pcie.0, e.g. bus=%s (arg %d)", port->id,
                                                              port->line)
                                           : g_strdup ("a pcie-root-port you add on pcie.0 (-device "
                                                       "pcie-root-port,id=…,chassis=…,bus=pcie.0)");
  if (g_strcmp0 (ep->element, "default NIC") == 0)
    return g_strdup ("add -nodefaults (or -nic none) to drop QEMU's default NIC");
  if (g_strcmp0 (ep->element, "device") != 0)
    return g_strdup_printf ("give the device its own -device with bus= naming %s", target);
  if (!ep->address_explicit)
    return g_strdup_printf ("give it bus= naming %s", target);
  return g_strdup_printf ("move it to %s", target);
}

static char *
emulated_hint (const rule_context *ctx, const guest_endpoint *ep, int rc)
{
  if (rules_argv (ctx))
    return emulated_hint_argv (ctx, ep, rc);
  const guest_bus *port = pcie0_root_port (ctx);
  g_autofree char *target = port != NULL
    ? g_strdup_printf ("a root port of pcie.0, e.g. <address type='pci' bus='0x%02x' slot='0x00' function='0x0'/> "
                       "(%s, line %d)", port->index, port->id, port->line)
    : g_strdup ("a pcie-root-port you add on pcie.0");
  if (!ep->address_explicit)
    return g_strdup_printf ("give it an address on %s, and leave no free port below the accelerated vSMMU",
                            target);
  return g_strdup_printf ("move it to %s", target);
}

static void
check_below (const rule_context *ctx, const guest_iommu *iommu, int rc)
{
  g_autofree char *where = rules_describe_root_complex (ctx, rc);
  guint hostdevs = 0;
  for (guint i = 0; i < ctx->dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (ctx->dom->endpoints, i);
      if (rules_root_complex (ctx, ep->bus) != rc)
        continue;
      if (ep->kind == GUEST_EP_HOSTDEV)
        {
          hostdevs++;
          if (ep->iommufd == TRI_YES)
            continue; /* what accelerated SMMUv3 wants: nothing to say */
        }
      g_autofree char *what = rules_describe_endpoint (ctx, ep);
      g_autofree char *note = NULL;
      const char *placement = rules_placement_note (ep, &note);
      if (ep->kind == GUEST_EP_EMULATED)
        {
          g_autofree char *hint = emulated_hint (ctx, ep, rc);
          finding_add (ctx->out, "SMU201", SEVERITY_ERROR, ep->line, ep->path, hint,
                       "%s sits below %s, whose vSMMU %s (%s %d) is accelerated; QEMU exits: \"Emulated "
                       "endpoint devices are not allowed when using arm-smmuv3,accel=on\"%s",
                       what, where, iommu->id, rules_at (ctx), iommu->line, placement);
          continue;
        }
      g_autofree char *since_hostdev = sw_version_to_string (feature_lookup (FEAT_LIBVIRT_HOSTDEV_IOMMUFD)->since);
      g_autofree char *since_domain = sw_version_to_string (feature_lookup (FEAT_LIBVIRT_DOMAIN_IOMMUFD)->since);
      g_autofree char *since_qemu = sw_version_to_string (feature_lookup (FEAT_QEMU_IOMMUFD)->since);
      g_autofree char *hint = rules_argv (ctx)
        ? g_strdup_printf ("add iommufd=iommufd0 to it, and -object iommufd,id=iommufd0 once (QEMU %s+)", since_qemu)
        : g_strdup_printf ("add <driver iommufd='yes'/> to the hostdev at line %d (libvirt %s+), "
                           "or <iommufd enabled='yes'/> for the whole domain (libvirt %s+)",
                           ep->line, since_hostdev, since_domain);
      const char *why = ep->iommufd == TRI_NO ? (ep->iommufd_from_domain ? "the domain-level <iommufd> is off"
                                                                          : "it has iommufd='no'")
                                              : RULES_WORDS (ctx, "it has no <driver iommufd='yes'/>, so it uses "
                                                                  "the legacy VFIO container",
                                                             "it has no iommufd=, so it uses the legacy VFIO "
                                                             "container");
      finding_add (ctx->out, "SMU202", SEVERITY_ERROR, ep->line, ep->path, hint,
                   "%s below the accelerated vSMMU %s on %s does not use iommufd: %s; QEMU exits: \"vfio-pci "
                   "endpoint devices without an iommufd backend not allowed when using arm-smmuv3,accel=on\"%s",
                   what, iommu->id, where, why, placement);
    }

  if (hostdevs == 0)
    {
      /* QEMU 11.1's default for each of them is auto: left out counts too.
       * (cmdqv has a check of its own, for cmdqv=on.) */
      static const vsmmu_prop_id auto_props[] = { VSMMU_PROP_ATS, VSMMU_PROP_RIL, VSMMU_PROP_SSIDSIZE,
                                                  VSMMU_PROP_OAS };
      gboolean uses_auto = FALSE;
      for (gsize p = 0; p < G_N_ELEMENTS (auto_props); p++)
        uses_auto |= iommu->props[auto_props[p]].state != PROP_VALUE;
      const char *outcome = uses_auto ? "with properties at auto (set so, or left out: auto is QEMU's default) QEMU "
                                        "exits: \"arm-smmuv3 accel=on with 'auto' properties requires at least one "
                                        "cold-plugged VFIO device\""
                            : iommu->props[VSMMU_PROP_CMDQV].value == 1
                                ? "QEMU exits: \"arm-smmuv3 cmdqv=on requires at least one cold-plugged VFIO device\""
                                : "its vIOMMU is never created and devices hotplugged later are not supported";
      finding_add (ctx->out, "SMU203", SEVERITY_ERROR, iommu->line, iommu->path,
                   RULES_WORDS (ctx, "put at least one <hostdev> (vfio-pci with iommufd) on a root port below this "
                                     "root complex, or remove the vSMMU",
                                "plug at least one -device vfio-pci,…,iommufd=… into a root port below this root "
                                "complex, or remove the vSMMU"),
                   "the accelerated vSMMU %s on %s has no cold-plugged vfio-pci device below it; %s", iommu->id,
                   where, outcome);
    }

  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if ((bus->kind != GUEST_BUS_ROOT_PORT && bus->kind != GUEST_BUS_SWITCH_DOWNSTREAM) || bus->line == 0
          || bus->hotplug == TRI_NO || rules_root_complex (ctx, bus->index) != rc)
        continue;
      gboolean empty = TRUE;
      for (guint j = 0; j < ctx->dom->endpoints->len && empty; j++)
        empty = ((const guest_endpoint *) g_ptr_array_index (ctx->dom->endpoints, j))->bus != bus->index;
      g_autofree char *what = rules_describe_bus (bus);
      g_autofree char *hint = g_strdup_printf (RULES_WORDS (ctx, "add hotplug='off' to the <target> of the "
                                                                 "controller at line %d%s",
                                                            "add hotplug=off to the -device at arg %d%s"),
                                               bus->line, empty ? ", or remove the port" : "");
      /* libvirt fills free ports with devices that have no address; QEMU does not. */
      finding_add (ctx->out, "SMU204", SEVERITY_WARNING, bus->line, bus->path, hint,
                   "%s below the accelerated vSMMU %s on %s allows hotplug; devices hotplugged there cannot "
                   "attach to the vSMMU%s", what, iommu->id, where,
                   empty && !rules_argv (ctx) ? ". It is also empty: libvirt would place the next device without "
                                                "an address there" : "");
    }
}

/* libvirt XML: 'auto' is QEMU's word, libvirt's schema has on/off and
 * integers; libvirt 12.9 refuses the domain at define. */
static void
check_xml_auto (const rule_context *ctx, const guest_iommu *iommu)
{
  for (gsize i = 0; i < G_N_ELEMENTS (accel_only_props); i++)
    {
      vsmmu_prop_id id = accel_only_props[i];
      const vsmmu_prop *prop = &iommu->props[id];
      if (prop->state != PROP_AUTO || !upstream_spelling (prop, id))
        continue;
      gboolean integer = id == VSMMU_PROP_SSIDSIZE || id == VSMMU_PROP_OAS;
      g_autofree char *since = sw_version_to_string (feature_lookup (FEAT_QEMU_SMMUV3_AUTO)->since);
      g_autofree char *hint = g_strdup_printf ("leave %s out: libvirt then passes nothing and QEMU's default, auto, "
                                               "takes the host's value (QEMU %s+); or give %s", prop_name (id), since,
                                               integer ? (id == VSMMU_PROP_OAS ? "oas='44' or oas='48'"
                                                                               : "ssidsize from 0 to 20")
                                                       : "'on' or 'off'");
      finding_add (ctx->out, "SMU209", SEVERITY_ERROR, prop->line, iommu->path, hint,
                   "%s='auto' is QEMU's command-line value, not libvirt's: libvirt refuses the domain at define: "
                   "\"XML error: Invalid value for attribute '%s' in element 'driver': 'auto'.%s\"",
                   prop_name (id), prop_name (id), integer ? " Expected integer value" : "");
    }
}

/* SMU209: values libvirt or QEMU refuses for arm-smmuv3 (QEMU 11.1's and
 * libvirt 12.9's words). */
static void
check_props (const rule_context *ctx, const guest_iommu *iommu)
{
  gboolean xml = ctx->dom->origin == GUEST_FROM_LIBVIRT_XML;
  gboolean accel = guest_iommu_is_accel (iommu);
  const vsmmu_prop *ats = &iommu->props[VSMMU_PROP_ATS], *ril = &iommu->props[VSMMU_PROP_RIL];
  const vsmmu_prop *oas = &iommu->props[VSMMU_PROP_OAS], *ssid = &iommu->props[VSMMU_PROP_SSIDSIZE];
  const vsmmu_prop *cmdqv = &iommu->props[VSMMU_PROP_CMDQV];
  if (xml)
    check_xml_auto (ctx, iommu);
  if (oas->state == PROP_VALUE && oas->value != 44 && oas->value != 48)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, oas->line, iommu->path,
                 RULES_WORDS (ctx, "use oas='44' or oas='48'", "use oas=44 or oas=48"),
                 RULES_WORDS (ctx, "oas='%u': QEMU exits: \"QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit "
                                   "OAS. Other OasMode values are not supported.\"",
                              "oas=%u: QEMU exits: \"QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS. "
                              "Other OasMode values are not supported.\""), oas->value);
  if (ssid->state == PROP_VALUE && ssid->value > 20)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, ssid->line, iommu->path, "use ssidsize from 0 to 20",
                 RULES_WORDS (ctx, "%s='%u': QEMU accepts SubstreamID widths of 0 to 20 bits and exits: \"Parameter "
                                   "'ssidsize' does not accept value '%u'\"",
                              "%s=%u: QEMU accepts SubstreamID widths of 0 to 20 bits and exits: \"Parameter "
                              "'ssidsize' does not accept value '%u'\""),
                 ssid->spelling, ssid->value, ssid->value);
  if (accel)
    return;
  const char *accel_text = iommu->props[VSMMU_PROP_ACCEL].state == PROP_VALUE
                             ? RULES_WORDS (ctx, "accel='off'", "accel=off")
                             : RULES_WORDS (ctx, "no accel='on'", "no accel=on");
  if (xml)
    {
      /* libvirt refuses any of them without accel, whatever the value. */
      for (gsize i = 0; i < G_N_ELEMENTS (accel_only_props); i++)
        {
          const vsmmu_prop *prop = &iommu->props[accel_only_props[i]];
          if (prop->state == PROP_ABSENT || !upstream_spelling (prop, accel_only_props[i]))
            continue;
          g_autofree char *hint = g_strdup_printf ("add accel='on', or drop %s", prop_name (accel_only_props[i]));
          finding_add (ctx->out, "SMU209", SEVERITY_ERROR, prop->line, iommu->path, hint,
                       "%s with %s: libvirt refuses the domain at define: \"XML error: accel must be enabled for "
                       "iommu model 'smmuv3' when setting ats, ril, ssidsize, oas, or cmdqv\"",
                       prop_name (accel_only_props[i]), accel_text);
          return;
        }
      return;
    }
  if (ats->state == PROP_VALUE && ats->value == 1)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, ats->line, iommu->path, "add accel=on, or drop ats",
                 "ats=on with %s: QEMU exits: \"ats can only be enabled if accel=on\"", accel_text);
  if (ril->state == PROP_VALUE && ril->value == 0)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, ril->line, iommu->path, "add accel=on, or drop ril",
                 "ril=off with %s: QEMU exits: \"ril can only be disabled if accel=on\"", accel_text);
  if (oas->state == PROP_VALUE && oas->value == 48)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, oas->line, iommu->path, "add accel=on, or drop oas",
                 "oas=48 with %s: QEMU exits: \"oas must be 44 bits when accel=off\"", accel_text);
  if (ssid->state == PROP_VALUE && ssid->value > 0 && ssid->value <= 20)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, ssid->line, iommu->path, "add accel=on, or drop it",
                 "%s=%u with %s: QEMU exits: \"ssidsize can only be greater than 0 bits if accel=on\"",
                 ssid->spelling, ssid->value, accel_text);
  if (cmdqv->state == PROP_VALUE && cmdqv->value == 1)
    finding_add (ctx->out, "SMU209", SEVERITY_ERROR, cmdqv->line, iommu->path, "add accel=on, or drop cmdqv",
                 "cmdqv=on with %s: QEMU exits: \"cmdqv can only be enabled if accel=on\"", accel_text);
}

void
rules_check_accel (const rule_context *ctx)
{
  const guest_domain *dom = ctx->dom;
  const guest_iommu *first_accel = NULL;
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      if (!rules_is_smmuv3 (iommu))
        continue;
      check_props (ctx, iommu);
      if (!guest_iommu_is_accel (iommu))
        continue;
      if (first_accel == NULL)
        first_accel = iommu;
      int rc = rules_iommu_root_complex (ctx, iommu);
      if (rc < 0)
        continue; /* SMU101-103 */
      if (rc == 0)
        finding_add (ctx->out, "SMU208", SEVERITY_WARNING, iommu->line, iommu->path,
                     RULES_WORDS (ctx, "put the passthrough devices on a pcie-expander-bus and attach the "
                                       "accelerated vSMMU there",
                                  "put the passthrough devices below a pxb-pcie and point the accelerated vSMMU's "
                                  "primary-bus at it"),
                     RULES_WORDS (ctx, "the accelerated vSMMU %s is on pcie.0, where libvirt puts the root ports it "
                                       "adds for devices without an address and for missing controller indexes, and "
                                       "the emulated devices on them (virtio-serial for channels, video, disks, NICs)",
                                  "the accelerated vSMMU %s is on pcie.0, where QEMU puts the NICs of -nic and -net, "
                                  "its default NIC, and every PCI device without bus= while there is no pxb-pcie"),
                     iommu->id);
      check_below (ctx, iommu, rc);
    }
  if (first_accel == NULL)
    return;
  if (g_strcmp0 (dom->domain_type, "kvm") != 0 && rules_argv (ctx))
    {
      g_autofree char *runs = dom->domain_type != NULL
        ? g_strdup_printf ("QEMU runs with -accel %s", dom->domain_type)
        : g_strdup ("QEMU runs with TCG, its default (no -accel kvm, -enable-kvm or -machine accel=kvm)");
      finding_add (ctx->out, "SMU205", SEVERITY_ERROR, dom->accel_line > 0 ? dom->accel_line : dom->line, NULL,
                   "use -accel kvm (on an Arm host with KVM; -cpu host needs it too)",
                   "%s, but the accelerated vSMMU %s (arg %d) needs KVM; QEMU exits: \"SMMUv3 accel=on requires "
                   "KVM with kernel-irqchip=on support\"", runs, first_accel->id, first_accel->line);
    }
  else if (g_strcmp0 (dom->domain_type, "kvm") != 0)
    finding_add (ctx->out, "SMU205", SEVERITY_ERROR, dom->line, "/domain", "use <domain type='kvm'>",
                 "the domain is type='%s' but the accelerated vSMMU %s (line %d) needs KVM; QEMU exits: "
                 "\"SMMUv3 accel=on requires KVM with kernel-irqchip=on support\"",
                 dom->domain_type != NULL ? dom->domain_type : "(none)", first_accel->id, first_accel->line);
  if (dom->acpi != TRI_YES)
    finding_add (ctx->out, "SMU206", SEVERITY_ERROR, first_accel->line, first_accel->path,
                 RULES_WORDS (ctx, "add <acpi/> to <features> (and boot with UEFI, <os firmware='efi'>)",
                              "drop acpi=off from -machine (and boot UEFI firmware, e.g. -drive if=pflash,…)"),
                 "ACPI is off (%s), so the guest boots with a device tree; QEMU exits: "
                 "\"SMMUv3 with accel=on not supported for DT\"",
                 RULES_WORDS (ctx, "no <features><acpi/>", "-machine acpi=off"));
  finding_add (ctx->out, "SMU207", SEVERITY_INFO, first_accel->line, first_accel->path, NULL,
               "accelerated vSMMUs block live migration and save/restore (\"Migration not supported with SMMUv3 "
               "accelerator mode enabled\")");
}
