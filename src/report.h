/* Writing findings: the compiler-style text form and the one JSON document
 * of `smmuctl validate` (schema: data/schemas/validate.schema.json).  The
 * report decides nothing; it prints what the rules found. */
#pragma once
#include <stdio.h>
#include <json-c/json.h>
#include "findings.h"
#include "versions.h"

typedef struct {
  finding_severity min_severity; /* text: findings below it are left out */
  gboolean counts;  /* text: "FILE: 1 error, 2 warnings" after each input, and the total */
  gboolean color;   /* text: colour severities */
} report_options;

/* validate's text form: everything with counts, or with -q errors only. */
report_options report_options_for_quiet (gboolean quiet, gboolean color);

/* One checked input: its findings, or why it could not be read. */
typedef struct {
  char *source;           /* "vm.xml", "-", or the libvirt domain name with --connect */
  finding_list *findings; /* NULL when unreadable */
  char *unreadable;       /* why it could not be read (or reached), else NULL */
} report_input;

report_input *report_input_new (const char *source, finding_list *findings, const char *unreadable);
void report_input_free (report_input *input);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (report_input, report_input_free)

/* What a run found, summed over its inputs. */
typedef struct {
  guint inputs, unreadable;
  guint counts[SEVERITY_ERROR + 1]; /* by finding_severity */
} report_totals;

void report_totals_add (report_totals *totals, const report_input *input);

/* FILE:LINE: severity: CODE name: message, an indented hint, then
 * "FILE: 1 error, 2 warnings" (or "FILE: no findings"). */
void report_text_input (FILE *out, const report_input *input, const report_options *opts);
/* "3 inputs: 2 errors, 1 warning, 1 unreadable" after several inputs. */
void report_text_total (FILE *out, const report_totals *totals, const report_options *opts);

typedef struct {
  gboolean have_qemu, have_libvirt;
  sw_version qemu, libvirt;
} report_targets;

/* One finding as the JSON object every --json document uses (validate's,
 * plan's and verify's). */
json_object *report_finding_json (const finding *f);

/* What plan adds to the document of its own result's findings: its own
 * warnings (not findings of a rule) and what to change so that it can
 * write a VM that starts.  Members "plan_warnings" and "changes". */
typedef struct {
  const GPtrArray *warnings; /* char* */
  const GPtrArray *changes;  /* char* */
} report_plan_notes;

/* The one JSON document of a run (schema: validate.schema.json), in
 * smmuctl's JSON text style (jsontext.h), written as it goes. */
void report_json_write (FILE *out, const report_targets *targets, const GPtrArray *inputs,
                        const report_totals *totals, gboolean strict, int exit_status,
                        const report_plan_notes *plan);
