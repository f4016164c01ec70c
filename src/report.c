/* Text and JSON output of findings (see report.h). */
#include "report.h"

#include <string.h>

#include "jsontext.h"
#include "version.h"

report_input *
report_input_new (const char *source, finding_list *findings, const char *unreadable)
{
  report_input *input = g_new0 (report_input, 1);
  input->source = g_strdup (source);
  input->findings = findings;
  input->unreadable = g_strdup (unreadable);
  return input;
}

void
report_input_free (report_input *input)
{
  if (input == NULL)
    return;
  g_free (input->source);
  finding_list_free (input->findings);
  g_free (input->unreadable);
  g_free (input);
}

report_options
report_options_for_quiet (gboolean quiet, gboolean color)
{
  return (report_options) { quiet ? SEVERITY_ERROR : SEVERITY_INFO, !quiet, color };
}

/* ---- text ---- */

static const char *const severity_colors[] = {
  [SEVERITY_INFO] = "\033[36m",
  [SEVERITY_WARNING] = "\033[33m",
  [SEVERITY_ERROR] = "\033[1;31m",
};

static void
append_count (GString *s, guint n, const char *one, const char *many)
{
  if (n == 0)
    return;
  g_string_append_printf (s, "%s%u %s", s->len ? ", " : "", n, n == 1 ? one : many);
}

/* Messages quote the document, which may hold &#10; and the like: the text
 * form stays one finding per line (and one hint line) whatever it says. */
static char *
one_line (const char *text)
{
  char *copy = g_strdup (text);
  for (char *p = copy; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return copy;
}

/* Where a finding is: "vm.xml:41", or for a QEMU command line the argument
 * and what is written there, shortened ("vm.sh:arg 37: -device {…}"). */
#define ARGUMENT_SHOWN 72 /* characters */

static char *
finding_location (const report_input *input, const finding *f)
{
  if (f->line <= 0)
    return g_strdup (input->source);
  if (!finding_list_by_argument (input->findings))
    return g_strdup_printf ("%s:%d", input->source, f->line);
  if (f->argument == NULL)
    return g_strdup_printf ("%s:arg %d", input->source, f->line);
  g_autofree char *text = one_line (f->argument);
  if (g_utf8_strlen (text, -1) > ARGUMENT_SHOWN)
    {
      g_autofree char *head = g_utf8_substring (text, 0, ARGUMENT_SHOWN - 1);
      g_free (text);
      text = g_strconcat (head, "…", NULL);
    }
  return g_strdup_printf ("%s:arg %d: %s", input->source, f->line, text);
}

void
report_text_input (FILE *out, const report_input *input, const report_options *opts)
{
  if (input->findings == NULL)
    return; /* unreadable: the command says so on stderr */
  const finding_list *list = input->findings;
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      if (f->severity < opts->min_severity)
        continue;
      g_autofree char *where = finding_location (input, f);
      const char *severity = finding_severity_name (f->severity);
      g_autofree char *message = one_line (f->message);
      if (opts->color)
        fprintf (out, "\033[1m%s:\033[0m %s%s:\033[0m \033[1m%s\033[0m %s: %s\n", where,
                 severity_colors[f->severity], severity, f->info->code, f->info->name, message);
      else
        fprintf (out, "%s: %s: %s %s: %s\n", where, severity, f->info->code, f->info->name, message);
      if (f->hint != NULL)
        {
          g_autofree char *hint = one_line (f->hint);
          fprintf (out, "  hint: %s\n", hint);
        }
    }
  if (!opts->counts)
    return;
  g_autoptr (GString) counts = g_string_new (NULL);
  append_count (counts, finding_list_count (list, SEVERITY_ERROR), "error", "errors");
  append_count (counts, finding_list_count (list, SEVERITY_WARNING), "warning", "warnings");
  append_count (counts, finding_list_count (list, SEVERITY_INFO), "info", "info");
  fprintf (out, "%s: %s\n", input->source, counts->len ? counts->str : "no findings");
}

void
report_totals_add (report_totals *totals, const report_input *input)
{
  totals->inputs++;
  if (input->findings == NULL)
    {
      totals->unreadable++;
      return;
    }
  for (int s = SEVERITY_INFO; s <= SEVERITY_ERROR; s++)
    totals->counts[s] += finding_list_count (input->findings, (finding_severity) s);
}

void
report_text_total (FILE *out, const report_totals *totals, const report_options *opts)
{
  if (!opts->counts || totals->inputs < 2)
    return;
  g_autoptr (GString) counts = g_string_new (NULL);
  append_count (counts, totals->counts[SEVERITY_ERROR], "error", "errors");
  append_count (counts, totals->counts[SEVERITY_WARNING], "warning", "warnings");
  append_count (counts, totals->counts[SEVERITY_INFO], "info", "info");
  append_count (counts, totals->unreadable, "unreadable", "unreadable");
  fprintf (out, "%u inputs: %s\n", totals->inputs, counts->len ? counts->str : "no findings");
}

/* ---- JSON ---- */

static json_object *
string_or_null (const char *s)
{
  return s != NULL ? json_object_new_string (s) : NULL;
}

json_object *
report_finding_json (const finding *f)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "code", json_object_new_string (f->info->code));
  json_object_object_add (o, "name", json_object_new_string (f->info->name));
  json_object_object_add (o, "severity", json_object_new_string (finding_severity_name (f->severity)));
  json_object_object_add (o, "file", string_or_null (f->file));
  json_object_object_add (o, "line", f->line > 0 ? json_object_new_int (f->line) : NULL);
  json_object_object_add (o, "path", string_or_null (f->path));
  json_object_object_add (o, "message", json_object_new_string (f->message));
  json_object_object_add (o, "hint", string_or_null (f->hint));
  if (f->by_argument)
    {
      json_object *argument = NULL;
      if (f->line > 0)
        {
          argument = json_object_new_object ();
          json_object_object_add (argument, "index", json_object_new_int (f->line));
          json_object_object_add (argument, "text", string_or_null (f->argument));
        }
      json_object_object_add (o, "line", NULL);
      json_object_object_add (o, "argument", argument);
    }
  return o;
}

static void
write_version (json_writer *w, const char *key, gboolean have, sw_version v)
{
  g_autofree char *text = have ? sw_version_to_string (v) : NULL;
  json_writer_string (w, key, text);
}

static void
write_counts (json_writer *w, const char *key, guint errors, guint warnings, guint info)
{
  json_writer counts;
  json_writer_object (w, key, &counts);
  json_writer_uint (&counts, "error", errors);
  json_writer_uint (&counts, "warning", warnings);
  json_writer_uint (&counts, "info", info);
  json_writer_end (&counts);
}

static void
write_input (GString *out, gconstpointer data, guint i, guint depth)
{
  const report_input *input = g_ptr_array_index ((const GPtrArray *) data, i);
  const finding_list *list = input->findings;
  json_writer w;
  json_writer_begin (&w, out, depth);
  json_writer_string (&w, "source", input->source);
  json_writer_bool (&w, "readable", list != NULL);
  json_writer_string (&w, "error", input->unreadable);
  json_writer_string (&w, "domain", list != NULL ? finding_list_domain (list) : NULL);
  write_counts (&w, "counts", list ? finding_list_count (list, SEVERITY_ERROR) : 0,
                list ? finding_list_count (list, SEVERITY_WARNING) : 0, list ? finding_list_count (list, SEVERITY_INFO) : 0);
  json_object *findings = json_object_new_array ();
  for (guint f = 0; list != NULL && f < finding_list_len (list); f++)
    json_object_array_add (findings, report_finding_json (finding_list_get (list, f)));
  json_writer_tree (&w, "findings", findings);
  json_object_put (findings);
  json_writer_end (&w);
}

static void
write_string (GString *out, gconstpointer data, guint i, guint depth)
{
  (void) depth;
  json_text_string (out, g_ptr_array_index ((const GPtrArray *) data, i));
}

void
report_json_write (FILE *out, const report_targets *targets, const GPtrArray *inputs, const report_totals *totals,
                   gboolean strict, int exit_status, const report_plan_notes *plan)
{
  g_autoptr (GString) text = g_string_new (NULL);
  json_writer w;
  json_writer_begin (&w, text, 0);
  w.sink = out;
  json_writer_string (&w, "smmuctl_version", SMMUCTL_VERSION);
  json_writer t;
  json_writer_object (&w, "targets", &t);
  write_version (&t, "qemu", targets->have_qemu, targets->qemu);
  write_version (&t, "libvirt", targets->have_libvirt, targets->libvirt);
  json_writer_end (&t);
  json_writer_array (&w, "inputs", inputs->len, write_input, inputs);
  json_writer summary;
  json_writer_object (&w, "summary", &summary);
  json_writer_uint (&summary, "inputs", totals->inputs);
  json_writer_uint (&summary, "unreadable", totals->unreadable);
  write_counts (&summary, "counts", totals->counts[SEVERITY_ERROR], totals->counts[SEVERITY_WARNING],
                totals->counts[SEVERITY_INFO]);
  json_writer_bool (&summary, "strict", strict);
  json_writer_int (&summary, "exit_status", exit_status, TRUE);
  json_writer_end (&summary);
  if (plan != NULL)
    {
      json_writer_array (&w, "plan_warnings", plan->warnings ? plan->warnings->len : 0, write_string, plan->warnings);
      json_writer_array (&w, "changes", plan->changes ? plan->changes->len : 0, write_string, plan->changes);
    }
  json_writer_end (&w);
  g_string_append_c (text, '\n');
  fwrite (text->str, 1, text->len, out);
}
