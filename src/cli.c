#include "cli.h"

#include <string.h>

#include "errors.h"

/* An option that takes one value, given twice ("--root A --root B"): GOption
 * keeps the last silently, which hides a mistake.  Repeatable options are
 * the array kinds (--device). */
static gboolean
refuse_repeats (const GOptionEntry *entries, const char *verb, int argc, char **argv, GError **error)
{
  for (const GOptionEntry *e = entries; e != NULL && e->long_name != NULL; e++)
    {
      if (e->arg != G_OPTION_ARG_STRING && e->arg != G_OPTION_ARG_FILENAME && e->arg != G_OPTION_ARG_INT)
        continue;
      g_autofree char *long_opt = g_strconcat ("--", e->long_name, NULL);
      g_autofree char *long_eq = g_strconcat (long_opt, "=", NULL);
      char short_opt[3] = { '-', e->short_name, '\0' };
      guint seen = 0;
      for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
        {
          gboolean hit = strcmp (argv[i], long_opt) == 0 || g_str_has_prefix (argv[i], long_eq)
                         || (e->short_name != '\0' && strcmp (argv[i], short_opt) == 0);
          if (!hit)
            continue;
          if (++seen > 1)
            {
              g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "%s: %s is given more than once; it takes one value; see smmuctl %s --help", verb,
                           long_opt, verb);
              return FALSE;
            }
          if (strchr (argv[i], '=') == NULL)
            i++; /* its value */
        }
    }
  return TRUE;
}

gboolean
cli_parse_options (GOptionContext *context, const GOptionEntry *entries, const char *verb, int *argc, char ***argv,
                   GError **error)
{
  g_autoptr (GError) local = NULL;
  if (!refuse_repeats (entries, verb, *argc, *argv, error))
    return FALSE;
  /* GOption names the program after argv[0], which is the verb here. */
  g_autofree char *prgname = g_strdup_printf ("smmuctl %s", verb);
  g_set_prgname (prgname);
  g_option_context_set_help_enabled (context, TRUE);
  if (g_option_context_parse (context, argc, argv, &local))
    return TRUE;
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE, "%s: %s; see smmuctl %s --help",
               verb, local->message, verb);
  return FALSE;
}

gboolean
cli_one_stdin (const char *verb, const char *const *names, const char *const *values, gsize n, GError **error)
{
  const char *first = NULL;
  for (gsize i = 0; i < n; i++)
    {
      if (g_strcmp0 (values[i], "-") != 0)
        continue;
      if (first == NULL)
        {
          first = names[i];
          continue;
        }
      if (g_strcmp0 (first, names[i]) == 0)
        g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                     "%s: %s - is given twice, but standard input can be read once; give one as a file; see "
                     "smmuctl %s --help", verb, first, verb);
      else
        g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                     "%s: %s - and %s - cannot both read standard input; give one as a file; see smmuctl %s --help",
                     verb, first, names[i], verb);
      return FALSE;
    }
  return TRUE;
}

gboolean
cli_root (const char *verb, const smmuctl_globals *globals, const char *verb_root, const char **root, GError **error)
{
  if (verb_root != NULL && globals->root != NULL)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                   "%s: --root is given before the verb (%s) and after it (%s); give it once; see smmuctl %s --help",
                   verb, globals->root, verb_root, verb);
      return FALSE;
    }
  *root = verb_root != NULL ? verb_root : globals->root;
  return TRUE;
}

gboolean
cli_exclusive (const char *verb, const char *a, gboolean a_set, const char *b, gboolean b_set, GError **error)
{
  if (!a_set || !b_set)
    return TRUE;
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE, "%s: %s and %s contradict each other; give one; see "
                                                         "smmuctl %s --help", verb, a, b, verb);
  return FALSE;
}
