#include "cli.h"
#include "errors.h"

gboolean
cli_parse_options (GOptionContext *context, const char *verb, int *argc, char ***argv, GError **error)
{
  g_autoptr (GError) local = NULL;
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
