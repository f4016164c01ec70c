/* Text and JSON output of findings (see report.h). */
#include "report.h"

#include <string.h>

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

void
report_text_input (FILE *out, const report_input *input, const report_options *opts)
{
  if (input->findings == NULL)
    return; /* unreadable: the command says so on stderr */
  const finding_list *list = input->findings;
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      if (opts->quiet && f->severity != SEVERITY_ERROR)
        continue;
      g_autofree char *where = f->line > 0 ? g_strdup_printf ("%s:%d", input->source, f->line)
                                           : g_strdup (input->source);
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
  if (opts->quiet)
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
  if (opts->quiet || totals->inputs < 2)
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

static json_object *
version_or_null (gboolean have, sw_version v)
{
  if (!have)
    return NULL;
  g_autofree char *text = sw_version_to_string (v);
  return json_object_new_string (text);
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
  return o;
}

static json_object *
counts_json (guint errors, guint warnings, guint info)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "error", json_object_new_int ((int) errors));
  json_object_object_add (o, "warning", json_object_new_int ((int) warnings));
  json_object_object_add (o, "info", json_object_new_int ((int) info));
  return o;
}

static json_object *
input_json (const report_input *input)
{
  json_object *o = json_object_new_object ();
  json_object *findings = json_object_new_array ();
  guint counts[SEVERITY_ERROR + 1] = { 0, 0, 0 };
  json_object_object_add (o, "source", json_object_new_string (input->source));
  json_object_object_add (o, "readable", json_object_new_boolean (input->findings != NULL));
  json_object_object_add (o, "error", string_or_null (input->unreadable));
  json_object_object_add (o, "domain",
                          string_or_null (input->findings != NULL ? finding_list_domain (input->findings) : NULL));
  for (guint i = 0; input->findings != NULL && i < finding_list_len (input->findings); i++)
    {
      const finding *f = finding_list_get (input->findings, i);
      counts[f->severity]++;
      json_object_array_add (findings, report_finding_json (f));
    }
  json_object_object_add (o, "counts", counts_json (counts[SEVERITY_ERROR], counts[SEVERITY_WARNING],
                                                    counts[SEVERITY_INFO]));
  json_object_object_add (o, "findings", findings);
  return o;
}

/* Pieces are printed by json-c, pretty, and indented to where they sit in
 * the hand-written frame (JSON strings hold no raw newline to trip over). */
static void
print_json (FILE *out, json_object *value, const char *indent)
{
  int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE;
  const char *text = json_object_to_json_string_ext (value, flags);
  for (const char *newline; (newline = strchr (text, '\n')) != NULL; text = newline + 1)
    {
      fwrite (text, 1, (size_t) (newline - text + 1), out);
      fputs (indent, out);
    }
  fputs (text, out);
  json_object_put (value);
}

void
report_json_begin (FILE *out, const report_targets *targets)
{
  json_object *targets_json = json_object_new_object ();
  json_object_object_add (targets_json, "qemu", version_or_null (targets->have_qemu, targets->qemu));
  json_object_object_add (targets_json, "libvirt", version_or_null (targets->have_libvirt, targets->libvirt));
  fputs ("{\n  \"smmuctl_version\": ", out);
  print_json (out, json_object_new_string (SMMUCTL_VERSION), "  ");
  fputs (",\n  \"targets\": ", out);
  print_json (out, targets_json, "  ");
  fputs (",\n  \"inputs\": [", out);
}

void
report_json_input (FILE *out, const report_input *input, gboolean first)
{
  fputs (first ? "\n    " : ",\n    ", out);
  print_json (out, input_json (input), "    ");
}

void
report_json_end (FILE *out, const report_totals *totals, gboolean strict, int exit_status)
{
  json_object *summary = json_object_new_object ();
  json_object_object_add (summary, "inputs", json_object_new_int ((int) totals->inputs));
  json_object_object_add (summary, "unreadable", json_object_new_int ((int) totals->unreadable));
  json_object_object_add (summary, "counts", counts_json (totals->counts[SEVERITY_ERROR],
                                                         totals->counts[SEVERITY_WARNING],
                                                         totals->counts[SEVERITY_INFO]));
  json_object_object_add (summary, "strict", json_object_new_boolean (strict));
  json_object_object_add (summary, "exit_status", json_object_new_int (exit_status));
  fputs (totals->inputs > 0 ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", out);
  print_json (out, summary, "  ");
  fputs ("\n}\n", out);
}
