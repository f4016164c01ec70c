/* smmuctl: main — the verb table, global options and the exit-status map. */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "errors.h"
#include "version.h"

typedef struct {
  const char *name;
  smmuctl_verb_fn run;
  const char *summary;
} smmuctl_verb;

static const smmuctl_verb verbs[] = {
  { "probe", cmd_probe, "inspect the host: SMMUv3 instances, devices, groups, readiness" },
  { "plan", cmd_plan, "compute a guest topology and write libvirt XML, a QEMU command line or JSON" },
  { "validate", cmd_validate, "check libvirt domain XML or QEMU command lines against every rule" },
  { "verify", cmd_verify, "check a booted guest against the plan it was started from" },
  { "explain", cmd_explain, "print the long description of a finding code" },
};

static void
print_help (void)
{
  printf ("Usage: smmuctl [--root DIR] VERB [OPTION…] [ARG…]\n\n"
          "Plan and check accelerated SMMUv3 (arm-smmuv3,accel=on) passthrough with iommufd.\n\n"
          "Verbs:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    printf ("  %-10s %s\n", verbs[i].name, verbs[i].summary);
  printf ("\nGlobal options:\n"
          "  -h, --help       show this help; `smmuctl VERB --help` shows a verb's options\n"
          "  --version        print the version\n"
          "  --root DIR       read the host's sysfs, IORT and /dev under DIR instead of /\n"
          "\nExit status: 0 success, 1 findings/plan not possible, 2 usage, unreadable input or\n"
          "unwritable output, 3 host or libvirt not reachable.  See smmuctl(1).\n");
}

static const smmuctl_verb *
find_verb (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (strcmp (verbs[i].name, name) == 0)
      return &verbs[i];
  return NULL;
}

/* Levenshtein distance, for "did you mean" on a mistyped verb. */
static guint
edit_distance (const char *a, const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);
  for (gsize j = 0; j <= lb; j++)
    row[j] = (guint) j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diag = row[0];
      row[0] = (guint) i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint up = row[j];
          guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diag + cost);
          diag = up;
        }
    }
  return row[lb];
}

static const char *
nearest_verb (const char *name)
{
  const char *best = NULL;
  guint best_distance = 3; /* further than this is no suggestion */
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      guint d = edit_distance (name, verbs[i].name);
      if (d < best_distance)
        {
          best_distance = d;
          best = verbs[i].name;
        }
    }
  return best;
}

static int
fail (const GError *error)
{
  fprintf (stderr, "smmuctl: %s\n", error->message);
  return smmuctl_exit_code_for_error (error);
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  smmuctl_globals globals = { .prog = "smmuctl" };
  /* no-color.org: any non-empty NO_COLOR turns colour off. */
  const char *no_color = g_getenv ("NO_COLOR");
  globals.color = isatty (STDOUT_FILENO) && (no_color == NULL || *no_color == '\0');
  g_autoptr (GError) error = NULL;

  /* Global options come before the verb; everything after it is the verb's. */
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++)
    {
      if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0)
        {
          print_help ();
          return SMMUCTL_EXIT_OK;
        }
      else if (strcmp (argv[i], "--version") == 0)
        {
          printf ("smmuctl %s\n", SMMUCTL_VERSION);
          return SMMUCTL_EXIT_OK;
        }
      else if (strcmp (argv[i], "--root") == 0 || g_str_has_prefix (argv[i], "--root="))
        {
          const char *value = argv[i][6] == '=' ? argv[i] + 7 : i + 1 < argc ? argv[++i] : NULL;
          if (value == NULL || *value == '\0')
            {
              g_set_error_literal (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                                   "--root needs a directory: smmuctl --root DIR VERB …; see smmuctl --help");
              return fail (error);
            }
          if (globals.root != NULL)
            {
              g_set_error (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "--root is given twice (%s, %s); give it once; see smmuctl --help", globals.root, value);
              return fail (error);
            }
          globals.root = value;
        }
      else
        {
          g_set_error (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                       "unknown global option '%s'; see smmuctl --help", argv[i]);
          return fail (error);
        }
    }
  if (i >= argc)
    {
      g_set_error_literal (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "no verb given (probe, plan, validate, verify, explain); see smmuctl --help");
      return fail (error);
    }

  const smmuctl_verb *verb = find_verb (argv[i]);
  if (verb == NULL)
    {
      const char *near = nearest_verb (argv[i]);
      if (near != NULL)
        g_set_error (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                     "unknown verb '%s' (did you mean '%s'?); see smmuctl --help", argv[i], near);
      else
        g_set_error (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                     "unknown verb '%s'; see smmuctl --help", argv[i]);
      return fail (error);
    }

  int status = verb->run (&globals, argc - i, argv + i, &error);
  if (error != NULL)
    return fail (error);
  /* A full disk or a closed pipe must not pass for success in a script. */
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_set_error (&error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "cannot write to standard output: %s",
                   g_strerror (errno));
      return fail (error);
    }
  return status;
}
