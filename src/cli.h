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

/* Parse a verb's GOptionContext (built from entries); on failure sets a
 * USAGE error that names the verb and points at `smmuctl VERB --help`
 * (never prints the full help).  An option that takes one value and is
 * given twice is such an error too. */
gboolean cli_parse_options (GOptionContext *context, const GOptionEntry *entries, const char *verb, int *argc,
                            char ***argv, GError **error);

/* Standard input can be read once: at most one of n inputs (option names
 * and values; a NULL value is not given) may be "-".  USAGE error naming
 * the verb and both otherwise. */
gboolean cli_one_stdin (const char *verb, const char *const *names, const char *const *values, gsize n,
                        GError **error);

/* The host tree: the verb's --root DIR or the global one before the verb;
 * giving both is a USAGE error (which would win is a guess). */
gboolean cli_root (const char *verb, const smmuctl_globals *globals, const char *verb_root, const char **root,
                   GError **error);
/* Two options that contradict each other: a USAGE error when both are set. */
gboolean cli_exclusive (const char *verb, const char *a, gboolean a_set, const char *b, gboolean b_set,
                        GError **error);
