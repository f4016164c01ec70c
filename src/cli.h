/* What main hands to each verb, and the verbs' entry points. */
#pragma once
#include <glib.h>

typedef struct {
  const char *root;     /* --root DIR given before the verb, or NULL */
  const char *prog;     /* "smmuctl" */
  gboolean color;       /* stdout is a terminal and NO_COLOR is unset */
} smmuctl_globals;

/* A verb parses its own options from argv (argv[0] is the verb name) and
 * returns an exit status, or sets error (main prints it and maps it to the
 * exit status through smmuctl_exit_code_for_error). */
typedef int (*smmuctl_verb_fn) (const smmuctl_globals *globals, int argc, char **argv, GError **error);

int cmd_probe (const smmuctl_globals *globals, int argc, char **argv, GError **error);
int cmd_plan (const smmuctl_globals *globals, int argc, char **argv, GError **error);
int cmd_validate (const smmuctl_globals *globals, int argc, char **argv, GError **error);
int cmd_explain (const smmuctl_globals *globals, int argc, char **argv, GError **error);
int cmd_verify (const smmuctl_globals *globals, int argc, char **argv, GError **error);

/* Parse a verb's GOptionContext; on failure sets a USAGE error that names the
 * verb and points at `smmuctl VERB --help` (never prints the full help). */
gboolean cli_parse_options (GOptionContext *context, const char *verb, int *argc, char ***argv, GError **error);
