/* libFuzzer harness for the plan reader (untrusted `verify --plan FILE`).
 * Whatever the input: no crash, an INPUT error or a plan; and a plan that
 * verify can hold against a guest (an empty one, and the captured kunpeng
 * guest when SRCDIR is set) without crashing. */
#include <stdint.h>
#include <stdlib.h>

#include "errors.h"
#include "hostprobe.h"
#include "planread.h"
#include "verify.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static host_model *
captured_guest (void)
{
  static host_model *guest;
  static gboolean tried;
  if (!tried)
    {
      tried = TRUE;
      const char *srcdir = g_getenv ("SRCDIR");
      g_autofree char *dir = g_build_filename (srcdir ? srcdir : ".", "tests/data/guests/kunpeng", NULL);
      g_autoptr (sysroot) root = sysroot_open (dir, NULL);
      guest = root ? hostprobe_read (root, NULL, NULL) : NULL;
    }
  return guest;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (plan_document) plan = plan_document_parse ((const char *) data, size, "fuzz.json", &error);
  if (plan == NULL)
    {
      if (error == NULL || !g_error_matches (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT))
        abort ();
      return 0;
    }
  if (error != NULL)
    abort ();
  /* An empty guest has none of the planned devices: each one is SMU601. */
  g_autoptr (host_model) empty = host_model_new ();
  g_autoptr (verify_result) none = verify_guest (plan, empty);
  for (guint i = 0; i < none->devices->len; i++)
    {
      const verify_device *d = g_ptr_array_index (none->devices, i);
      if (d->found != NULL || d->codes->len != 1 || !g_str_equal (d->codes->pdata[0], "SMU601"))
        abort ();
    }
  /* A real guest: a device is found, or it is SMU601. */
  if (captured_guest () != NULL)
    {
      g_autoptr (verify_result) result = verify_guest (plan, captured_guest ());
      for (guint i = 0; i < result->devices->len; i++)
        {
          const verify_device *d = g_ptr_array_index (result->devices, i);
          gboolean missing = d->codes->len > 0 && g_str_equal (d->codes->pdata[0], "SMU601");
          if ((d->found == NULL) != missing)
            abort ();
        }
    }
  return 0;
}
