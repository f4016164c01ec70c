/* Verbs this build does not have yet answer clearly instead of pretending. */
#include "cli.h"
#include "errors.h"

static int
not_implemented (const char *verb, GError **error)
{
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_NOT_IMPLEMENTED,
               "'%s' is not implemented yet in this build; see smmuctl --help", verb);
  return 2;
}

int
cmd_plan (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  (void) globals; (void) argc; (void) argv;
  return not_implemented ("plan", error);
}

int
cmd_validate (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  (void) globals; (void) argc; (void) argv;
  return not_implemented ("validate", error);
}

int
cmd_explain (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  (void) globals; (void) argc; (void) argv;
  return not_implemented ("explain", error);
}
