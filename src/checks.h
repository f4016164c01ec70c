/* Host readiness checks (in the manner of virt-host-validate): derived from
 * the host model only, printed by probe as text or embedded in its JSON. */
#pragma once
#include <json-c/json.h>
#include "hostmodel.h"

typedef enum { CHECK_PASS, CHECK_NOTE, CHECK_WARN, CHECK_FAIL } check_status;

typedef struct {
  check_status status;
  const char *id;     /* stable identifier: "iommufd", "vfio-cdev", "nesting", … */
  char *subject;      /* BDF or SMMU name the check is about, or NULL */
  char *message;
  char *hint;         /* NULL when there is nothing to do */
} host_check;

const char *check_status_name (check_status status); /* "PASS", "NOTE", "WARN", "FAIL" */

GPtrArray *host_checks_run (const host_model *host); /* host_check*, owned */
json_object *host_checks_to_json (const GPtrArray *checks);
gboolean host_checks_failed (const GPtrArray *checks);
