/* plan's check of its own result (SPEC §5 rule 9): the planned domain, as
 * libvirt XML, goes through the same document check `validate` runs
 * (domaincheck.h: every rule, with the host), so that plan never writes
 * what validate rejects; and when that check finds errors, what to change
 * (which devices to leave out, which option) so that the plan can be
 * written. */
#pragma once
#include "findings.h"
#include "planner.h"

/* The findings validate would report for xml (the plan as libvirt XML) on
 * this host, named source; the target QEMU is the plan's, the target
 * libvirt too when check_libvirt (the plan is written as XML). */
finding_list *plan_check_result (const guest_plan *plan, const host_model *host, const char *source, const char *xml,
                                 gboolean check_libvirt);

/* What to change, one sentence each, for the errors in findings: devices
 * behind a host SMMU that cannot back an accelerated vSMMU (it cannot nest,
 * QEMU's compatibility check refuses it, or they have no vfio cdev) and
 * the --device options that plan the others; what the host lacks that no
 * selection avoids; and, for an error the planner should never have made,
 * that it is a bug to report. */
GPtrArray *plan_changes (const guest_plan *plan, const host_model *host, const finding_list *findings);
