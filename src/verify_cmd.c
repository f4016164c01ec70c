/* smmuctl verify: read the guest (live, or a copy of its /sys and IORT with
 * --root) with the host-model code probe uses, read the plan it was started
 * from, and report where they differ. */
#include <stdio.h>

#include "cli.h"
#include "errors.h"
#include "hostload.h"
#include "planread.h"
#include "verify.h"
#include "verify_report.h"

int
cmd_verify (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  g_autofree char *plan_file = NULL, *root = NULL, *iort = NULL;
  gboolean json = FALSE, strict = FALSE, quiet = FALSE;
  const GOptionEntry entries[] = {
    { "plan", 0, 0, G_OPTION_ARG_FILENAME, &plan_file,
      "The plan the VM was started from (smmuctl plan --format json; - = stdin)", "FILE" },
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &root,
      "Read the guest's sysfs and IORT under DIR (a copy) instead of this machine's", "DIR" },
    { "iort", 0, 0, G_OPTION_ARG_FILENAME, &iort, "Read the guest's ACPI IORT from FILE (raw, acpidump -b)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document (schema: verify.schema.json)", NULL },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &strict, "Warnings fail too (exit status 1)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Text output: print errors only, no tables", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("--plan FILE");
  g_option_context_set_summary (context,
                                "Check a booted guest against its plan: run it in the guest (as root, for the IORT), "
                                "or on a copy of a guest's /sys and IORT with --root.\nPer planned device: at its "
                                "planned address? behind an SMMU, the one of its planned root complex? alone in its "
                                "IOMMU group? on its planned NUMA node?");
  g_option_context_set_description (context,
                                    "Exit status: 0 the guest matches the plan (warnings allowed unless --strict), "
                                    "1 it does not, 2 usage error or an unreadable plan or guest tree.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!cli_parse_options (context, entries, "verify", &argc, &argv, error))
    return SMMUCTL_EXIT_USAGE;
  if (argc > 1)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                   "verify: unexpected argument '%s' (the plan goes with --plan FILE); see smmuctl verify --help",
                   argv[1]);
      return SMMUCTL_EXIT_USAGE;
    }
  if (plan_file == NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "verify: no --plan FILE given (the JSON of smmuctl plan --format json); "
                           "see smmuctl verify --help");
      return SMMUCTL_EXIT_USAGE;
    }
  g_autoptr (plan_document) plan = plan_document_read (plan_file, error);
  if (plan == NULL)
    return SMMUCTL_EXIT_USAGE;
  const char *root_dir = NULL;
  if (!cli_root ("verify", globals, root, &root_dir, error))
    return SMMUCTL_EXIT_USAGE;
  host_load_options load = { .root = root_dir, .iort_file = iort };
  g_autoptr (GError) local = NULL;
  g_autoptr (host_model) guest = host_load (&load, &local);
  if (guest == NULL)
    {
      /* The guest is an input here: an unreadable tree is status 2, like the plan. */
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "verify: guest: %s", local->message);
      return SMMUCTL_EXIT_USAGE;
    }

  g_autoptr (verify_result) result = verify_guest (plan, guest);
  guint errors = finding_list_count (result->findings, SEVERITY_ERROR);
  guint warnings = finding_list_count (result->findings, SEVERITY_WARNING);
  int status = errors > 0 || (strict && warnings > 0) ? SMMUCTL_EXIT_FINDINGS : SMMUCTL_EXIT_OK;
  if (json)
    verify_report_json (stdout, result, plan, guest, strict, status);
  else
    {
      report_options text = report_options_for_quiet (quiet, globals->color);
      verify_report_text (stdout, result, plan, guest, &text);
    }
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "cannot write to standard output");
      return SMMUCTL_EXIT_USAGE;
    }
  return status;
}
