/* The list of findings one checked document produced. */
#include "findings.h"

#include <string.h>

struct finding_list {
  char *file;
  char *domain;
  gboolean by_argument;
  GPtrArray *items; /* finding*, owned */
};

static const char *const severity_names[] = {
  [SEVERITY_INFO] = "info",
  [SEVERITY_WARNING] = "warning",
  [SEVERITY_ERROR] = "error",
};

const char *
finding_severity_name (finding_severity severity)
{
  g_return_val_if_fail (severity <= SEVERITY_ERROR, "unknown");
  return severity_names[severity];
}

static void
finding_free (finding *f)
{
  g_free (f->file);
  g_free (f->path);
  g_free (f->message);
  g_free (f->hint);
  g_free (f->argument);
  g_free (f);
}

finding_list *
finding_list_new (const char *file)
{
  finding_list *list = g_new0 (finding_list, 1);
  list->file = g_strdup (file);
  list->items = g_ptr_array_new_with_free_func ((GDestroyNotify) finding_free);
  return list;
}

void
finding_list_free (finding_list *list)
{
  if (list == NULL)
    return;
  g_free (list->file);
  g_free (list->domain);
  g_ptr_array_unref (list->items);
  g_free (list);
}

void
finding_add (finding_list *list, const char *code, finding_severity severity, int line,
             const char *path, const char *hint, const char *fmt, ...)
{
  const finding_code_info *info = finding_code_lookup (code);
  g_return_if_fail (list != NULL);
  g_return_if_fail (info != NULL);

  finding *f = g_new0 (finding, 1);
  f->info = info;
  f->severity = severity;
  f->file = g_strdup (list->file);
  f->line = MAX (line, 0);
  f->path = g_strdup (path);
  f->hint = g_strdup (hint);
  va_list args;
  va_start (args, fmt);
  f->message = g_strdup_vprintf (fmt, args);
  va_end (args);
  g_ptr_array_add (list->items, f);
}

const char *
finding_list_file (const finding_list *list)
{
  return list->file;
}

void
finding_list_set_domain (finding_list *list, const char *name)
{
  g_free (list->domain);
  list->domain = g_strdup (name);
}

const char *
finding_list_domain (const finding_list *list)
{
  return list->domain;
}

void
finding_list_locate_arguments (finding_list *list, char *(*text_of) (int arg, gconstpointer data),
                               gconstpointer data)
{
  list->by_argument = TRUE;
  for (guint i = 0; i < list->items->len; i++)
    {
      finding *f = g_ptr_array_index (list->items, i);
      g_clear_pointer (&f->path, g_free);
      f->by_argument = TRUE;
      g_free (f->argument);
      f->argument = f->line > 0 ? text_of (f->line, data) : NULL;
    }
}

gboolean
finding_list_by_argument (const finding_list *list)
{
  return list->by_argument;
}

guint
finding_list_len (const finding_list *list)
{
  return list->items->len;
}

const finding *
finding_list_get (const finding_list *list, guint i)
{
  g_return_val_if_fail (i < list->items->len, NULL);
  return g_ptr_array_index (list->items, i);
}

guint
finding_list_count (const finding_list *list, finding_severity severity)
{
  guint n = 0;
  for (guint i = 0; i < list->items->len; i++)
    if (((const finding *) g_ptr_array_index (list->items, i))->severity == severity)
      n++;
  return n;
}

gboolean
finding_list_has (const finding_list *list, const char *code)
{
  for (guint i = 0; i < list->items->len; i++)
    if (g_ascii_strcasecmp (((const finding *) g_ptr_array_index (list->items, i))->info->code,
                            code) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_findings (gconstpointer a, gconstpointer b)
{
  const finding *fa = *(const finding *const *) a;
  const finding *fb = *(const finding *const *) b;
  if (fa->line != fb->line)
    return fa->line < fb->line ? -1 : 1;
  return strcmp (fa->info->code, fb->info->code);
}

void
finding_list_sort (finding_list *list)
{
  /* g_ptr_array_sort is stable (GLib ≥ 2.32), so equal keys keep rule order. */
  g_ptr_array_sort (list->items, compare_findings);
}
