#include "errors.h"

G_DEFINE_QUARK (smmuctl-error-quark, smmuctl_error)

static const struct {
  smmuctl_error_code code;
  int exit_status;
} exit_map[] = {
  { SMMUCTL_ERROR_USAGE, SMMUCTL_EXIT_USAGE },
  { SMMUCTL_ERROR_INPUT, SMMUCTL_EXIT_USAGE },
  { SMMUCTL_ERROR_HOST, SMMUCTL_EXIT_HOST },
  { SMMUCTL_ERROR_PLAN, SMMUCTL_EXIT_FINDINGS },
  { SMMUCTL_ERROR_OUTPUT, SMMUCTL_EXIT_USAGE },
};

int
smmuctl_exit_code_for_error (const GError *error)
{
  if (error == NULL)
    return SMMUCTL_EXIT_OK;
  if (error->domain != SMMUCTL_ERROR)
    return SMMUCTL_EXIT_USAGE; /* GOption and other library errors are input errors */
  for (gsize i = 0; i < G_N_ELEMENTS (exit_map); i++)
    if (exit_map[i].code == (smmuctl_error_code) error->code)
      return exit_map[i].exit_status;
  return SMMUCTL_EXIT_USAGE;
}
