/* smmuctl's one error domain and the one map from error kinds to exit codes. */
#pragma once
#include <glib.h>

#define SMMUCTL_ERROR (smmuctl_error_quark ())
GQuark smmuctl_error_quark (void);

typedef enum {
  SMMUCTL_ERROR_USAGE,           /* bad command line */
  SMMUCTL_ERROR_INPUT,           /* an input file or document cannot be read or parsed */
  SMMUCTL_ERROR_HOST,            /* the host (root tree, live system) or libvirt cannot be reached */
  SMMUCTL_ERROR_PLAN,            /* the request is well-formed but cannot be satisfied */
  SMMUCTL_ERROR_OUTPUT,          /* the output file cannot be written */
} smmuctl_error_code;

/* Exit statuses (SPEC §6); scripts rely on them, never renumber. */
enum {
  SMMUCTL_EXIT_OK = 0,
  SMMUCTL_EXIT_FINDINGS = 1, /* validate: errors found; plan: request cannot be satisfied */
  SMMUCTL_EXIT_USAGE = 2,    /* usage error or unreadable input */
  SMMUCTL_EXIT_HOST = 3,     /* host or libvirt could not be reached */
};

int smmuctl_exit_code_for_error (const GError *error);
