/* The rules: they read the guest topology model (and, for SMU3xx, the host
 * model) and add findings; they never read files or print. */
#pragma once
#include "findings.h"
#include "hostmodel.h"
#include "topology.h"
#include "versions.h"

typedef struct {
  gboolean have_target_qemu, have_target_libvirt;
  sw_target target_qemu, target_libvirt;
  const host_model *host; /* the host the domain will run on, NULL when not given */
} rule_options;

/* Every host-independent code: SMU0xx, SMU1xx, SMU2xx, SMU4xx, SMU501. */
void rules_check_domain (const guest_domain *dom, const rule_options *opts, finding_list *out);

/* SMU3xx: the domain against a host model (rules_host.c). */
void rules_check_host (const guest_domain *dom, const host_model *host, const rule_options *opts,
                       finding_list *out);
