/* smmuctl validate: domain XML (files, stdin, or libvirt domains through the
 * libvirt API) or QEMU command lines (--qemu) → guest model → rules →
 * findings as text or one JSON document.  smmuctl explain: the long
 * description of a finding code. */
#include <stdio.h>
#include <string.h>

#include <libxml/xmlerror.h>

#include "cli.h"
#include "domaincheck.h"
#include "domainxml.h"
#include "errors.h"
#include "findings.h"
#include "hostload.h"
#include "hostmodel.h"
#include "qemuargv.h"
#include "report.h"
#include "rules.h"
#include "targets.h"
#include "tools.h"
#include "versions.h"
#include "virtlib.h"


typedef struct {
  gboolean json, strict, quiet, live, qemu;
  char *connect_uri, *target_qemu, *target_libvirt;
  char *host_file, *root, *iort, *hwinfo_json;
  char **inputs;
} validate_args;

static void
validate_args_clear (validate_args *a)
{
  g_free (a->host_file);
  g_free (a->root);
  g_free (a->iort);
  g_free (a->hwinfo_json);
  g_free (a->connect_uri);
  g_free (a->target_qemu);
  g_free (a->target_libvirt);
  g_strfreev (a->inputs);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (validate_args, validate_args_clear)

/* A read-only connection (--connect) and the library it came from. */
typedef struct {
  const virtlib *virt;
  virConnectPtr conn;
} libvirt_session;

static void
libvirt_session_clear (libvirt_session *s)
{
  if (s->conn != NULL)
    s->virt->ConnectClose (s->conn);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (libvirt_session, libvirt_session_clear)

/* libvirt prints its errors to stderr by default, and the libxml2 inside it
 * its I/O warnings; we report the error ourselves, once. */
static void
quiet_libvirt_errors (void *data, virErrorPtr err)
{
  (void) data;
  (void) err;
}

/* --target-*: a version, or "installed" (this machine's QEMU; the libvirt
 * we are connected to, else this machine's). */
static gboolean
resolve_targets (const validate_args *a, const libvirt_session *libvirt, rule_options *opts, GError **error)
{
  g_autoptr (host_model) local = host_model_new ();
  if (g_strcmp0 (a->target_qemu, "installed") == 0)
    tools_probe_qemu (&local->tools, NULL);
  if (g_strcmp0 (a->target_libvirt, "installed") == 0)
    {
      if (libvirt->conn != NULL)
        tools_libvirt_from_connection (&local->tools, libvirt->conn, a->connect_uri);
      else
        tools_probe_libvirt (&local->tools);
    }
  target_context ctx = { "validate", &local->tools, NULL, NULL };
  const char *source = NULL;
  opts->have_target_qemu = a->target_qemu != NULL;
  opts->have_target_libvirt = a->target_libvirt != NULL;
  return (a->target_qemu == NULL || target_resolve (&ctx, SW_QEMU, a->target_qemu, &opts->target_qemu, &source, error))
         && (a->target_libvirt == NULL
             || target_resolve (&ctx, SW_LIBVIRT, a->target_libvirt, &opts->target_libvirt, &source, error));
}

/* A full disk behind `>` is an error, never a silent exit 0. */
static gboolean
stdout_written (GError **error)
{
  if (fflush (stdout) == 0 && !ferror (stdout))
    return TRUE;
  g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "cannot write to standard output");
  return FALSE;
}

/* SMU004 and SMU005 from what reading a QEMU command line noted. */
static const struct {
  const char *code;
  finding_severity severity;
} note_findings[] = {
  [QEMU_NOTE_REFUSED] = { "SMU004", SEVERITY_ERROR },
  [QEMU_NOTE_UNCHECKED] = { "SMU005", SEVERITY_WARNING },
  [QEMU_NOTE_UNKNOWN] = { "SMU005", SEVERITY_INFO },
  [QEMU_NOTE_INFO] = { "SMU005", SEVERITY_INFO },
};

static char *
argument_text (int arg, gconstpointer cl)
{
  return qemu_cmdline_arg_text (cl, arg);
}

/* One QEMU command line → its findings: what QEMU would refuse and what
 * cannot be checked, then every rule on the same model XML builds. */
static finding_list *
check_qemu_cmdline (const char *source, const char *data, gsize len, const rule_options *opts)
{
  finding_list *list = finding_list_new (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (qemu_cmdline) cl = qemu_cmdline_read (data, len, &error);
  if (cl == NULL)
    {
      finding_add (list, "SMU004", SEVERITY_ERROR, 0, NULL,
                   "give one QEMU command line: as `virsh domxml-to-native qemu-argv` prints it, a launch script "
                   "(smmuctl plan --format qemu) or a libvirt log", "%s", error->message);
      finding_list_locate_arguments (list, argument_text, NULL);
      return list;
    }
  g_autoptr (guest_domain) dom = qemu_cmdline_to_model (cl);
  for (guint i = 0; i < cl->notes->len; i++)
    {
      const qemu_note *note = g_ptr_array_index (cl->notes, i);
      finding_add (list, note_findings[note->kind].code, note_findings[note->kind].severity, note->arg, NULL,
                   note->hint, "%s", note->message);
    }
  finding_list_set_domain (list, dom->name);
  rules_check_domain (dom, opts, list);
  if (opts->host != NULL)
    rules_check_host (dom, opts->host, opts, list);
  finding_list_sort (list);
  finding_list_locate_arguments (list, argument_text, cl);
  return list;
}

static report_input *
check_file (const char *path, const rule_options *opts, gboolean qemu)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = domainxml_load (path, &error);
  if (bytes == NULL)
    return report_input_new (path, NULL, error->message);
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);
  data = data != NULL ? data : "";
  return report_input_new (path, qemu ? check_qemu_cmdline (path, data, len, opts)
                                      : domaincheck_document (path, data, len, opts), NULL);
}

/* Files are independent of each other: check them on every CPU (each
 * thread with its own parser, model and findings), report them in the
 * order given. */
#define MAX_WORKERS 16

typedef struct {
  char **paths;
  guint n;
  const rule_options *opts;
  gboolean qemu;
  report_input **results;
  gint next; /* atomic: the next path to take */
} file_batch;

static gpointer
check_files_worker (gpointer data)
{
  file_batch *batch = data;
  for (guint i; (i = (guint) g_atomic_int_add (&batch->next, 1)) < batch->n;)
    batch->results[i] = check_file (batch->paths[i], batch->opts, batch->qemu);
  return NULL;
}

static void
check_files (char **paths, const rule_options *opts, gboolean qemu, GPtrArray *inputs)
{
  file_batch batch = { paths, g_strv_length (paths), opts, qemu, NULL, 0 };
  batch.results = g_new0 (report_input *, batch.n);
  guint workers = MIN (MIN (g_get_num_processors (), MAX_WORKERS), batch.n);
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();
  /* What is created lazily is created here, before the threads: libxml2's
   * parser globals, and the error quark (G_DEFINE_QUARK's cache is racy). */
  domainxml_init ();
  (void) SMMUCTL_ERROR;
  for (guint t = 1; t < workers; t++)
    g_ptr_array_add (threads, g_thread_new ("smmuctl-validate", check_files_worker, &batch));
  check_files_worker (&batch);
  for (guint t = 0; t < threads->len; t++)
    g_thread_join (g_ptr_array_index (threads, t));
  for (guint i = 0; i < batch.n; i++)
    g_ptr_array_add (inputs, batch.results[i]);
  g_free (batch.results);
}

static report_input *
check_libvirt_domain (const libvirt_session *libvirt, const char *uri, const char *name, const rule_options *opts)
{
  /* Findings read "NAME:LINE: …", as virsh names domains; the URI is one per run. */
  const char *source = name;
  const virtlib *virt = libvirt->virt;
  virDomainPtr dom = virt->DomainLookupByName (libvirt->conn, name);
  if (dom == NULL)
    {
      g_autofree char *why = g_strdup_printf ("libvirt domain '%s' not found at %s (%s)", name, uri,
                                              virt->GetLastErrorMessage ());
      return report_input_new (source, NULL, why);
    }
  /* The inactive XML: what the domain will be on its next start. */
  g_autofree char *xml = virt->DomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  virt->DomainFree (dom);
  if (xml == NULL)
    {
      g_autofree char *why = g_strdup_printf ("libvirt domain '%s' at %s: cannot get its XML (%s)", name, uri,
                                              virt->GetLastErrorMessage ());
      return report_input_new (source, NULL, why);
    }
  return report_input_new (source, domaincheck_document (source, xml, strlen (xml), opts), NULL);
}

static int
exit_status_of (const report_totals *totals, gboolean strict, gboolean via_libvirt)
{
  /* What could not be checked outranks what was found. */
  if (totals->unreadable > 0)
    return via_libvirt ? SMMUCTL_EXIT_HOST : SMMUCTL_EXIT_USAGE;
  if (totals->counts[SEVERITY_ERROR] > 0 || (strict && totals->counts[SEVERITY_WARNING] > 0))
    return SMMUCTL_EXIT_FINDINGS;
  return SMMUCTL_EXIT_OK;
}

int
cmd_validate (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  g_auto (validate_args) a = { 0 };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Print one JSON document (schema: validate.schema.json)", NULL },
    { "strict", 0, 0, G_OPTION_ARG_NONE, &a.strict, "Warnings fail too (exit status 1)", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet, "Text output: print errors only, no summaries", NULL },
    { "qemu", 0, 0, G_OPTION_ARG_NONE, &a.qemu,
      "Each FILE is a QEMU command line (virsh domxml-to-native, a launch script, a libvirt log)", NULL },
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &a.connect_uri,
      "Check the inactive XML of libvirt domains DOMAIN... at URI (like virsh -c)", "URI" },
    { "target-qemu", 0, 0, G_OPTION_ARG_STRING, &a.target_qemu,
      "Check against this QEMU release (SMU501), or 'installed'", "VERSION" },
    { "target-libvirt", 0, 0, G_OPTION_ARG_STRING, &a.target_libvirt,
      "Check against this libvirt release (SMU501), or 'installed'", "VERSION" },
    { "host", 0, 0, G_OPTION_ARG_FILENAME, &a.host_file,
      "Also check against the host recorded in FILE (probe --json; SMU3xx)", "FILE" },
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &a.root, "Also check against the host tree under DIR (SMU3xx)", "DIR" },
    { "live", 0, 0, G_OPTION_ARG_NONE, &a.live, "Also check against this machine (SMU3xx)", NULL },
    { "iort", 0, 0, G_OPTION_ARG_FILENAME, &a.iort, "With --root/--live: read the IORT from FILE", "FILE" },
    { "hwinfo-json", 0, 0, G_OPTION_ARG_FILENAME, &a.hwinfo_json,
      "With a host: recorded SMMU ID registers from FILE", "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a.inputs, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("FILE… | --qemu FILE… | --connect URI DOMAIN…");
  g_option_context_set_summary (context,
                                "Check libvirt domain XML, or QEMU command lines with --qemu, for accelerated SMMUv3 "
                                "passthrough (\"-\" reads standard input).\nFindings: FILE:LINE: severity: CODE "
                                "name: message (FILE:arg N: OPTION: … for a QEMU command line); `smmuctl explain "
                                "CODE` describes each code.");
  g_option_context_set_description (context,
                                    "Exit status: 0 no errors (warnings allowed unless --strict), 1 errors found, "
                                    "2 usage error or an unreadable FILE,\n3 libvirt or the host not reachable, or a DOMAIN not "
                                    "found. Every input is checked even when one fails.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!cli_parse_options (context, entries, "validate", &argc, &argv, error))
    return SMMUCTL_EXIT_USAGE;
  const char *root = NULL;
  if (!cli_root ("validate", globals, a.root, &root, error))
    return SMMUCTL_EXIT_USAGE;
  if (a.qemu && a.connect_uri != NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "validate: --qemu reads command lines from files, --connect domains from libvirt; give one");
      return SMMUCTL_EXIT_USAGE;
    }
  if ((a.host_file != NULL) + (root != NULL) + a.live > 1)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "validate: --host, --root and --live each name the host; give one");
      return SMMUCTL_EXIT_USAGE;
    }
  if ((a.iort != NULL || a.hwinfo_json != NULL) && a.host_file == NULL && root == NULL && !a.live)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "validate: --iort and --hwinfo-json need a host (--host, --root or --live)");
      return SMMUCTL_EXIT_USAGE;
    }
  if (a.inputs == NULL || a.inputs[0] == NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           a.connect_uri != NULL ? "validate: no DOMAIN given after --connect URI; "
                                                   "see smmuctl validate --help"
                                                 : "validate: no FILE given (\"-\" reads standard input); "
                                                   "see smmuctl validate --help");
      return SMMUCTL_EXIT_USAGE;
    }

  /* --host -, --hwinfo-json - and each FILE - read standard input: once only
   * (with --connect the arguments are domain names) */
  g_autoptr (GPtrArray) stdin_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) stdin_values = g_ptr_array_new ();
  g_ptr_array_add (stdin_names, "--host");
  g_ptr_array_add (stdin_values, a.host_file);
  g_ptr_array_add (stdin_names, "--hwinfo-json");
  g_ptr_array_add (stdin_values, a.hwinfo_json);
  for (char **in = a.inputs; a.connect_uri == NULL && *in != NULL; in++)
    {
      g_ptr_array_add (stdin_names, "FILE");
      g_ptr_array_add (stdin_values, *in);
    }
  if (!cli_one_stdin ("validate", (const char *const *) stdin_names->pdata,
                      (const char *const *) stdin_values->pdata, stdin_names->len, error))
    return SMMUCTL_EXIT_USAGE;
  g_auto (libvirt_session) libvirt = { 0 };
  if (a.connect_uri != NULL)
    {
      g_autoptr (GError) local = NULL;
      libvirt.virt = virtlib_get (&local);
      if (libvirt.virt == NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST, "validate: --connect %s: %s", a.connect_uri,
                       local->message);
          return SMMUCTL_EXIT_HOST;
        }
      libvirt.virt->SetErrorFunc (NULL, quiet_libvirt_errors);
      xmlSetGenericErrorFunc (NULL, domainxml_ignore_generic_error);
      libvirt.conn = libvirt.virt->ConnectOpenReadOnly (a.connect_uri);
      if (libvirt.conn == NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST, "validate: cannot connect to libvirt at %s: %s",
                       a.connect_uri, libvirt.virt->GetLastErrorMessage ());
          return SMMUCTL_EXIT_HOST;
        }
    }
  g_autoptr (host_model) host = NULL;
  if (a.host_file != NULL || root != NULL || a.live)
    {
      host_load_options load = { .root = root, .host_file = a.host_file, .iort_file = a.iort,
                                 .hwinfo_json = a.hwinfo_json };
      host = host_load (&load, error);
      if (host == NULL)
        return SMMUCTL_EXIT_HOST;
    }
  rule_options opts = { .host = host };
  if (!resolve_targets (&a, &libvirt, &opts, error))
    return SMMUCTL_EXIT_USAGE;

  report_options text = report_options_for_quiet (a.quiet, globals->color);
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) report_input_free);
  if (libvirt.conn != NULL)
    for (char **in = a.inputs; *in != NULL; in++)
      g_ptr_array_add (inputs, check_libvirt_domain (&libvirt, a.connect_uri, *in, &opts));
  else
    check_files (a.inputs, &opts, a.qemu, inputs);
  report_totals totals = { 0 };
  for (guint i = 0; i < inputs->len; i++)
    report_totals_add (&totals, g_ptr_array_index (inputs, i));
  int status = exit_status_of (&totals, a.strict, libvirt.conn != NULL);
  report_targets targets = { opts.have_target_qemu, opts.have_target_libvirt, opts.target_qemu.version,
                             opts.target_libvirt.version };
  for (guint i = 0; i < inputs->len; i++)
    {
      const report_input *input = g_ptr_array_index (inputs, i);
      if (input->unreadable != NULL)
        fprintf (stderr, "smmuctl: %s\n", input->unreadable);
      if (!a.json)
        report_text_input (stdout, input, &text);
    }
  if (a.json)
    report_json_write (stdout, &targets, inputs, &totals, a.strict, status, NULL);
  else
    report_text_total (stdout, &totals, &text);
  if (!stdout_written (error))
    return SMMUCTL_EXIT_USAGE;
  return status;
}

/* ---- explain ---- */

static const finding_code_info *
lookup_code_or_name (const char *what)
{
  const finding_code_info *info = finding_code_lookup (what);
  gsize n = 0;
  const finding_code_info *table = finding_code_table (&n);
  for (gsize i = 0; i < n && info == NULL; i++)
    if (g_ascii_strcasecmp (table[i].name, what) == 0)
      info = &table[i];
  return info;
}

static void
print_explanation (FILE *out, const finding_code_info *info)
{
  g_autofree char *text = finding_code_explanation (info);
  fprintf (out, "%s %s (%s)\n\n%c%s.\n\n%s", info->code, info->name, finding_severity_name (info->severity),
           g_ascii_toupper (info->summary[0]), info->summary + 1, text);
  if (strcmp (info->code, "SMU501") != 0)
    return;
  gsize n = 0;
  const feature_info *features = feature_table (&n);
  fprintf (out, "\nThe releases smmuctl checks against, and how each was checked:\n");
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *since = features[i].since.major != 0 ? sw_version_to_string (features[i].since)
                                                            : g_strdup ("none yet");
      fprintf (out, "  %-7s %-9s %s\n", features[i].kind == SW_QEMU ? "QEMU" : "libvirt", since, features[i].what);
      /* how it was checked, wrapped under the description */
      g_auto (GStrv) words = g_strsplit (features[i].checked, " ", -1);
      gsize column = 0;
      for (char **w = words; *w != NULL; w++)
        {
          gsize len = strlen (*w);
          if (column == 0 || column + 1 + len > 78)
            {
              fprintf (out, "%s%20s", column == 0 ? "" : "\n", "");
              column = 20;
            }
          else
            {
              fputc (' ', out);
              column++;
            }
          fputs (*w, out);
          column += len;
        }
      fputc ('\n', out);
    }
}

static void
print_code_table (FILE *out)
{
  gsize n = 0;
  const finding_code_info *table = finding_code_table (&n);
  fprintf (out, "%-7s %-8s %-28s %s\n", "CODE", "SEVERITY", "NAME", "FIRES WHEN");
  for (gsize i = 0; i < n; i++)
    fprintf (out, "%-7s %-8s %-28s %s\n", table[i].code, finding_severity_name (table[i].severity), table[i].name,
             table[i].summary);
}

int
cmd_explain (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  gboolean list = FALSE;
  g_auto (GStrv) codes = NULL;
  const GOptionEntry entries[] = {
    { "list", 'l', 0, G_OPTION_ARG_NONE, &list, "List every finding code with its severity and when it fires", NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &codes, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  (void) globals;
  g_autoptr (GOptionContext) context = g_option_context_new ("CODE… | --list");
  g_option_context_set_summary (context, "Describe finding codes (SMU201, or a name like accel-emulated-endpoint): "
                                         "what fails at run time, why, and how to fix it.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!cli_parse_options (context, entries, "explain", &argc, &argv, error))
    return SMMUCTL_EXIT_USAGE;
  if (list)
    {
      print_code_table (stdout);
      return stdout_written (error) ? SMMUCTL_EXIT_OK : SMMUCTL_EXIT_USAGE;
    }
  if (codes == NULL || codes[0] == NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "explain: no CODE given; `smmuctl explain --list` shows every code");
      return SMMUCTL_EXIT_USAGE;
    }
  /* Look every code up before printing any: a typo prints nothing. */
  g_autoptr (GPtrArray) found = g_ptr_array_new ();
  for (char **c = codes; *c != NULL; c++)
    {
      const finding_code_info *info = lookup_code_or_name (*c);
      if (info == NULL)
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                       "explain: unknown code '%s'; `smmuctl explain --list` shows every code", *c);
          return SMMUCTL_EXIT_USAGE;
        }
      g_ptr_array_add (found, (gpointer) info);
    }
  for (guint i = 0; i < found->len; i++)
    {
      if (i > 0)
        fputs ("\n", stdout);
      print_explanation (stdout, g_ptr_array_index (found, i));
    }
  return stdout_written (error) ? SMMUCTL_EXIT_OK : SMMUCTL_EXIT_USAGE;
}
