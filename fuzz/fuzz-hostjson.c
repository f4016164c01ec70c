/* libFuzzer harness for the host JSON reader (untrusted `--host FILE`).
 * Whatever the input: no crash, an INPUT error or a model, and a model
 * that serializes, parses back and serializes to the same bytes.
 *
 * Build and run by hand (from the source tree, after `meson setup build`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I src -I build \
 *     fuzz/fuzz-hostjson.c src/hostjson.c src/hwinfo.c src/hostmodel.c src/idr.c src/errors.c \
 *     $(pkg-config --cflags --libs glib-2.0 json-c) -o fuzz-hostjson
 *   G_DEBUG=fatal-criticals ./fuzz-hostjson -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hostjson.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (host_model) host = hostjson_parse ((const char *) data, size, "fuzz.json", &error);
  if (host == NULL)
    {
      if (error == NULL || !g_error_matches (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT))
        abort ();
      return 0;
    }
  if (error != NULL)
    abort ();
  g_autofree char *first = hostjson_to_string (host, NULL);
  g_autoptr (host_model) again = hostjson_parse (first, strlen (first), "again.json", &error);
  if (again == NULL)
    {
      fprintf (stderr, "serialized model does not parse: %s\n%s", error->message, first);
      abort ();
    }
  g_autofree char *second = hostjson_to_string (again, NULL);
  if (strcmp (first, second) != 0)
    {
      fprintf (stderr, "not byte-stable:\n%s\n---\n%s", first, second);
      abort ();
    }
  return 0;
}
