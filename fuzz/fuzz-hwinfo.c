/* libFuzzer harness for hw_info recordings (untrusted `--hwinfo-json FILE`).
 * Whatever the input: no crash; either an INPUT error and an unchanged
 * host, or registers on the named SMMUs that decode and serialize.
 *
 * Build and run by hand (from the source tree, after `meson setup build`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I src -I build \
 *     fuzz/fuzz-hwinfo.c src/hostjson.c src/hwinfo.c src/hostmodel.c src/idr.c src/errors.c \
 *     $(pkg-config --cflags --libs glib-2.0 json-c) -o fuzz-hwinfo
 *   G_DEBUG=fatal-criticals ./fuzz-hwinfo -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "hostjson.h"
#include "hwinfo.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static host_model *
fuzz_host (void)
{
  host_model *host = host_model_new ();
  const char *names[] = { "smmu3.0x0000000016000000", "smmu3.0x0000000016800000" };
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      host_smmu *smmu = host_smmu_new ();
      smmu->name = g_strdup (names[i]);
      smmu->base = 0x16000000 + i * 0x800000;
      g_ptr_array_add (host->smmus, smmu);
    }
  host_model_finish (host);
  return host;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (host_model) host = fuzz_host ();
  if (!hwinfo_load_json_data (host, (const char *) data, size, "fuzz.json", &error))
    {
      if (error == NULL || !g_error_matches (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT))
        abort ();
      for (guint i = 0; i < host->smmus->len; i++)
        if (((host_smmu *) host->smmus->pdata[i])->hwinfo.known)
          abort (); /* a failed load must change nothing */
      if (host->notes->len != 0)
        abort ();
      return 0;
    }
  for (guint i = 0; i < host->smmus->len; i++)
    {
      host_smmu *smmu = host->smmus->pdata[i];
      json_object *caps = hwinfo_caps_to_json (&smmu->hwinfo);
      if (smmu->hwinfo.known != (caps != NULL))
        abort ();
      json_object_put (caps);
      if (smmu->hwinfo.known && g_strcmp0 (smmu->hwinfo.source, "fuzz.json") != 0)
        abort ();
    }
  /* The registers must survive the host document too. */
  g_autofree char *text = hostjson_to_string (host, NULL);
  g_autoptr (host_model) back = hostjson_parse (text, strlen (text), "back.json", &error);
  if (back == NULL)
    abort ();
  for (guint i = 0; i < host->smmus->len; i++)
    {
      const host_hwinfo *a = &((host_smmu *) host->smmus->pdata[i])->hwinfo;
      const host_hwinfo *b = &((host_smmu *) back->smmus->pdata[i])->hwinfo;
      if (a->known != b->known || memcmp (a->idr, b->idr, sizeof a->idr) != 0 || a->iidr != b->iidr
          || a->aidr != b->aidr || a->flags != b->flags || a->out_capabilities != b->out_capabilities
          || a->out_max_pasid_log2 != b->out_max_pasid_log2)
        abort ();
    }
  return 0;
}
