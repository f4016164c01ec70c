/* Writing verify's result: a table of planned vSMMUs and devices with the
 * findings in validate's text form, or one JSON document
 * (data/schemas/verify.schema.json). */
#pragma once
#include <stdio.h>
#include "report.h"
#include "verify.h"

void verify_report_text (FILE *out, const verify_result *result, const plan_document *plan, const host_model *guest,
                         const report_options *opts);
void verify_report_json (FILE *out, const verify_result *result, const plan_document *plan, const host_model *guest,
                         gboolean strict, int exit_status);
