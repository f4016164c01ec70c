/* What the rule files share: one context per checked domain and the words
 * findings use for the model's elements.  Not for other modules. */
#pragma once
#include "rules.h"

/* Controller indexes above this cannot exist (one PCI segment has 256 buses). */
#define RULES_MAX_BUS_INDEX 255

typedef struct {
  const guest_domain *dom;
  const rule_options *opts;
  finding_list *out;
  guest_bus *bus_by_index[RULES_MAX_BUS_INDEX + 1];
} rule_context;

/* Findings speak the language of what was checked: libvirt XML (lines,
 * <elements>, pciBus) or a QEMU command line (argument positions, -device
 * options, primary-bus).  RULES_WORDS picks one of two literals, so that
 * both stay checked as printf formats. */
gboolean rules_argv (const rule_context *ctx);
#define RULES_WORDS(ctx, xml, argv) (rules_argv (ctx) ? (argv) : (xml))
/* What the model's line numbers count: "line", or "arg" for a command line. */
const char *rules_at (const rule_context *ctx);

guest_bus *rules_bus (const rule_context *ctx, int index);
/* Root complex index of a guest bus, -1 when it does not resolve. */
int rules_root_complex (const rule_context *ctx, int bus_index);
/* The root complex an IOMMU is attached to: pciBus when it names one, pcie.0
 * for a machine-wide one, -1 when pciBus is wrong (SMU101-103 say so). */
int rules_iommu_root_complex (const rule_context *ctx, const guest_iommu *iommu);
gboolean rules_is_smmuv3 (const guest_iommu *iommu);

/* "hostdev 0008:01:00.0 'hostdev0'", "<interface> 'net0' (virtio-net-pci)",
 * "<disk> (virtio-blk-pci)"; from a command line "vfio-pci 0008:01:00.0
 * 'hostdev0'", "virtio-net-pci 'net0'", "virtio-blk-pci of -drive". */
char *rules_describe_endpoint (const rule_context *ctx, const guest_endpoint *ep);
/* "pcie.0", "pci.1 (busNr 252)" ("bus_nr 252" from a command line) */
char *rules_describe_root_complex (const rule_context *ctx, int rc_index);
/* "pcie-root-port pci.3" */
char *rules_describe_bus (const guest_bus *bus);
/* " (it has no <address>: …)" or "" for endpoints libvirt places itself. */
const char *rules_placement_note (const guest_endpoint *ep, char **owned);

void rules_check_accel (const rule_context *ctx);   /* SMU2xx, rules_accel.c */
void rules_check_window (const rule_context *ctx);  /* SMU401-403, rules_window.c */
void rules_check_addresses (const rule_context *ctx); /* SMU110-112, rules_address.c */
void rules_check_target (const rule_context *ctx);  /* SMU501, rules_target.c */
