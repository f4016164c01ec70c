/* libFuzzer harness for the QEMU command-line reader and everything
 * `smmuctl validate --qemu` runs after it: find the shell words, parse
 * QEMU's option syntax (key=value with ',,', JSON), build the guest model,
 * check its invariants, run every host-independent rule (with old targets,
 * so that SMU501 runs too), and write the text and JSON reports located by
 * argument.  Seeds: fuzz/corpus/qemuargv/ (the --qemu cases, libvirt's own
 * command lines and the planned launch scripts).
 *
 *   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -g -D_GNU_SOURCE \
 *         -Isrc -Ibuild fuzz/fuzz-qemuargv.c src/qemuargv*.c src/topology.c src/hostmodel.c \
 *         src/finding.c src/findings.c src/rules.c src/rules_accel.c src/rules_window.c \
 *         src/rules_target.c src/report.c src/versions.c src/errors.c \
 *         $(pkg-config --cflags --libs glib-2.0 json-c) -o fuzz-qemuargv
 *   mkdir -p /tmp/qa && ./fuzz-qemuargv -max_total_time=60 /tmp/qa fuzz/corpus/qemuargv
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "qemuargv.h"
#include "report.h"
#include "rules.h"

/* Not g_assert: that vanishes under G_DISABLE_ASSERT. */
#define FUZZ_CHECK(cond) do { if (!(cond)) abort (); } while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_model (const qemu_cmdline *cl, const guest_domain *dom)
{
  FUZZ_CHECK (dom->origin == GUEST_FROM_QEMU_ARGV);
  FUZZ_CHECK (guest_find_bus (dom, 0) != NULL); /* the machine's root bus */
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      FUZZ_CHECK (i == 0 || ((const guest_bus *) g_ptr_array_index (dom->buses, i - 1))->index < bus->index);
      FUZZ_CHECK (bus->id != NULL && bus->model != NULL);
      FUZZ_CHECK (bus->line >= 0 && (guint) bus->line < cl->argc);
      /* A bus= that resolves to nothing says what it named. */
      FUZZ_CHECK (bus->index == 0 || guest_find_bus (dom, bus->parent) != NULL || bus->parent_ref != NULL);
      if (bus->root_complex >= 0)
        FUZZ_CHECK (guest_bus_is_root_complex (guest_find_bus (dom, bus->root_complex)->kind));
    }
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      FUZZ_CHECK (ep->bus >= 0 && ep->model != NULL && ep->element != NULL);
      FUZZ_CHECK (guest_find_bus (dom, ep->bus) != NULL || ep->bus_ref != NULL);
      FUZZ_CHECK (ep->address_explicit || ep->comment != NULL);
      /* A passthrough device has a host address, or says why not. */
      FUZZ_CHECK (ep->kind != GUEST_EP_HOSTDEV || (ep->host_bdf != NULL) != (ep->host_unknown != NULL));
    }
  for (guint i = 0; i < dom->iommus->len; i++)
    {
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, i);
      FUZZ_CHECK (iommu->id != NULL && iommu->model != NULL);
      for (int p = 0; p < VSMMU_N_PROPS; p++)
        FUZZ_CHECK ((iommu->props[p].state == PROP_ABSENT) == (iommu->props[p].spelling == NULL));
    }
  for (guint i = 0; i < cl->notes->len; i++)
    {
      const qemu_note *note = g_ptr_array_index (cl->notes, i);
      FUZZ_CHECK (note->message != NULL && note->arg >= 0 && (guint) note->arg < cl->argc);
    }
}

/* The fast path for plain and single-quoted words splits exactly as GLib. */
static void
check_split_plain (const uint8_t *data, size_t size)
{
  if (memchr (data, '\0', size) != NULL)
    return;
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto (GStrv) fast = qemu_shell_split_plain (text, size);
  if (fast == NULL)
    return;
  g_auto (GStrv) glib = NULL;
  g_autoptr (GError) error = NULL;
  if (!g_shell_parse_argv (text, NULL, &glib, &error))
    {
      FUZZ_CHECK (g_error_matches (error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING) && fast[0] == NULL);
      return;
    }
  FUZZ_CHECK (g_strv_equal ((const char *const *) fast, (const char *const *) glib));
}

static char *
argument_text (int arg, gconstpointer cl)
{
  return qemu_cmdline_arg_text (cl, arg);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  check_split_plain (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (qemu_cmdline) cl = qemu_cmdline_read ((const char *) data, size, &error);
  finding_list *list = finding_list_new ("fuzz.sh");
  if (cl == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == SMMUCTL_ERROR && error->code == SMMUCTL_ERROR_INPUT);
      finding_add (list, "SMU004", SEVERITY_ERROR, 0, NULL, NULL, "%s", error->message);
      finding_list_locate_arguments (list, argument_text, NULL);
    }
  else
    {
      FUZZ_CHECK (error == NULL && cl->argc >= 1 && cl->argv[cl->argc] == NULL);
      g_autoptr (guest_domain) dom = qemu_cmdline_to_model (cl);
      check_model (cl, dom);
      for (guint i = 0; i < cl->notes->len; i++)
        {
          const qemu_note *note = g_ptr_array_index (cl->notes, i);
          finding_add (list, note->kind == QEMU_NOTE_REFUSED ? "SMU004" : "SMU005", SEVERITY_WARNING, note->arg,
                       NULL, note->hint, "%s", note->message);
        }
      rule_options opts = { .have_target_qemu = TRUE, .have_target_libvirt = TRUE,
                            .target_qemu = sw_target_from_version ((sw_version) { 7, 2, 0 }),
                            .target_libvirt = sw_target_from_version ((sw_version) { 9, 0, 0 }) };
      rules_check_domain (dom, &opts, list);
      rules_check_domain (dom, NULL, list);
      finding_list_locate_arguments (list, argument_text, cl);
      for (guint i = 0; i < finding_list_len (list); i++)
        {
          const finding *f = finding_list_get (list, i);
          FUZZ_CHECK (f->info != NULL && f->message != NULL && f->message[0] != '\0');
          FUZZ_CHECK (f->severity <= SEVERITY_ERROR && f->line >= 0 && (guint) f->line < cl->argc);
          FUZZ_CHECK (f->path == NULL);
          /* The input is valid UTF-8 (or refused): so is every message. */
          FUZZ_CHECK (g_utf8_validate (f->message, -1, NULL));
          FUZZ_CHECK (f->argument == NULL || g_utf8_validate (f->argument, -1, NULL));
        }
    }
  g_autoptr (report_input) input = report_input_new ("fuzz.sh", list, NULL);
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
