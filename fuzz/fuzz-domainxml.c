/* libFuzzer harness for the domain XML reader and everything `smmuctl
 * validate` runs after it: read, check the model's invariants, run every
 * host-independent rule (with old targets, so that SMU501 runs too), and
 * write the text and JSON reports.  Seeds: fuzz/corpus/domainxml/ (the validate cases
 * and hostile XML).
 *
 *   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -D_GNU_SOURCE \
 *         -Isrc -Ibuild fuzz/fuzz-domainxml.c src/domainxml.c src/domainxml_devices.c src/qemuargv.c \
 *         src/topology.c src/finding.c src/findings.c src/rules.c src/rules_accel.c \
 *         src/rules_window.c src/rules_target.c src/report.c src/versions.c src/errors.c \
 *         $(pkg-config --cflags --libs glib-2.0 libxml-2.0 json-c) -o fuzz-domainxml
 *   mkdir -p /tmp/dx && ./fuzz-domainxml -max_total_time=60 /tmp/dx fuzz/corpus/domainxml
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domainxml.h"
#include "errors.h"
#include "report.h"
#include "rules.h"

/* Not g_assert: that vanishes under G_DISABLE_ASSERT, and these are the
 * invariants the fuzzer exists to check. */
#define FUZZ_CHECK(cond) do { if (!(cond)) abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_model (const guest_domain *dom)
{
  FUZZ_CHECK (guest_find_bus (dom, 0) != NULL); /* libvirt's controller 0 is always there */
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      FUZZ_CHECK (bus->index >= 0 && bus->index <= 511);
      FUZZ_CHECK (i == 0 || ((const guest_bus *) g_ptr_array_index (dom->buses, i - 1))->index < bus->index);
      FUZZ_CHECK (bus->id != NULL && bus->model != NULL);
      if (bus->root_complex >= 0)
        FUZZ_CHECK (guest_bus_is_root_complex (guest_find_bus (dom, bus->root_complex)->kind));
      int first = 0, last = 0;
      if (guest_bus_is_root_complex (bus->kind))
        {
          guest_root_complex_bus_range (dom, bus->index, &first, &last);
          FUZZ_CHECK (first <= last);
        }
    }
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      /* Placed by the reader: libvirt gives every PCI device an address. */
      FUZZ_CHECK (ep->bus >= 0 && ep->model != NULL && ep->element != NULL);
      FUZZ_CHECK (ep->address_explicit || ep->comment != NULL);
    }
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      FUZZ_CHECK (iommu->id != NULL);
      for (int p = 0; p < VSMMU_N_PROPS; p++)
        FUZZ_CHECK ((iommu->props[p].state == PROP_ABSENT) == (iommu->props[p].spelling == NULL));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory ((const char *) data, size, "fuzz.xml", &error);
  finding_list *list = finding_list_new ("fuzz.xml");
  if (dom == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == SMMUCTL_ERROR && error->code == SMMUCTL_ERROR_INPUT);
      const char *message = NULL;
      int line = domainxml_error_line (error, &message);
      FUZZ_CHECK (line >= 0 && message != NULL && domainxml_error_hint (error) != NULL);
      finding_add (list, "SMU001", SEVERITY_ERROR, line, NULL, domainxml_error_hint (error), "%s", message);
    }
  else
    {
      FUZZ_CHECK (error == NULL);
      check_model (dom);
      rule_options opts = { TRUE, TRUE, { { 7, 2, 0 }, 0, 0 }, { { 9, 0, 0 }, 0, 0 }, NULL };
      rules_check_domain (dom, &opts, list);
      rules_check_domain (dom, NULL, list);
      for (guint i = 0; i < finding_list_len (list); i++)
        {
          const finding *f = finding_list_get (list, i);
          FUZZ_CHECK (f->info != NULL && f->message != NULL && f->message[0] != '\0');
          FUZZ_CHECK (f->severity <= SEVERITY_ERROR && f->line >= 0);
          /* Messages quote the document: valid UTF-8 in, valid UTF-8 out. */
          FUZZ_CHECK (g_utf8_validate (f->message, -1, NULL)
                      || !g_utf8_validate ((const char *) data, (gssize) size, NULL));
        }
    }
  g_autoptr (report_input) input = report_input_new ("fuzz.xml", list, NULL);
  static FILE *sink;
  if (sink == NULL)
    sink = fopen ("/dev/null", "w");
  FUZZ_CHECK (sink != NULL);
  report_totals totals = { 0 };
  report_totals_add (&totals, input);
  report_targets targets = { FALSE, FALSE, { 0, 0, 0 }, { 0, 0, 0 } };
  report_options text = report_options_for_quiet (FALSE, FALSE);
  report_text_input (sink, input, &text);
  g_autoptr (GPtrArray) inputs = g_ptr_array_new ();
  g_ptr_array_add (inputs, input);
  report_json_write (sink, &targets, inputs, &totals, FALSE, 0, NULL);
  return 0;
}
