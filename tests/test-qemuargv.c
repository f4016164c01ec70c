/* Reading QEMU command lines: QEMU's option syntax on its corner cases
 * (',,', keys without '=', short booleans, JSON with nested objects), QEMU's
 * sizes and booleans, the forms a command line comes in (libvirt's one line,
 * continuations, launch scripts, logs, bare options) and what cannot be one,
 * and the guest model QEMU would build — the same model the XML reader
 * builds from the XML libvirt converted. */
#include <string.h>

#include "domainxml.h"
#include "errors.h"
#include "qemuargv.h"

/* ---- option syntax ---- */

/* One for the whole test program: properties live as long as it does. */
static qemu_syntax *syntax;

static GArray *
parse_ok (const char *text, const char *implied, gboolean *json)
{
  g_autoptr (GError) error = NULL;
  GArray *props = NULL;
  gboolean is_json = FALSE;
  g_assert_true (qemu_opts_parse (syntax, text, implied, &props, &is_json, &error));
  g_assert_no_error (error);
  if (json != NULL)
    *json = is_json;
  return props;
}

static void
parse_fails (const char *text, const char *expect_in_message)
{
  g_autoptr (GError) error = NULL;
  GArray *props = NULL;
  gboolean json = FALSE;
  g_assert_false (qemu_opts_parse (syntax, text, "driver", &props, &json, &error));
  g_assert_null (props);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  if (strstr (error->message, expect_in_message) == NULL)
    g_error ("'%s' not in '%s'", expect_in_message, error->message);
}

static void
test_opts_escaped_comma (void)
{
  GArray *props = parse_ok ("file=/images/a,,b.qcow2,if=none,id=d0", NULL, NULL);
  g_assert_cmpuint (props->len, ==, 3);
  g_assert_cmpstr (qemu_props_get (props, "file"), ==, "/images/a,b.qcow2");
  g_assert_cmpstr (qemu_props_get (props, "if"), ==, "none");
  g_array_unref (props);
  /* In the implied first value too, and at the very end. */
  props = parse_ok ("odd,,name,id=x,,", "driver", NULL);
  g_assert_cmpstr (qemu_props_get (props, "driver"), ==, "odd,name");
  g_assert_cmpstr (qemu_props_get (props, "id"), ==, "x,");
  g_array_unref (props);
  /* ",,," is a comma, then the separator. */
  props = parse_ok ("a=1,,,b=2", NULL, NULL);
  g_assert_cmpstr (qemu_props_get (props, "a"), ==, "1,");
  g_assert_cmpstr (qemu_props_get (props, "b"), ==, "2");
  g_array_unref (props);
}

static void
test_opts_keys_without_value (void)
{
  /* The implied key takes the first element; later bare keys are QemuOpts'
   * short booleans: KEY=on, noKEY=off. */
  GArray *props = parse_ok ("pcie-root-port,hotplug,nomultifunction,id=rp1", "driver", NULL);
  g_assert_cmpstr (qemu_props_get (props, "driver"), ==, "pcie-root-port");
  g_assert_cmpstr (qemu_props_get (props, "hotplug"), ==, "on");
  g_assert_cmpstr (qemu_props_get (props, "multifunction"), ==, "off");
  g_array_unref (props);
  /* Without an implied key the first bare key is a boolean too. */
  props = parse_ok ("accel,ats=on", NULL, NULL);
  g_assert_cmpstr (qemu_props_get (props, "accel"), ==, "on");
  g_array_unref (props);
  /* The first element with '=' is no implied value; "no" alone is a key. */
  props = parse_ok ("type=virt,no", "type", NULL);
  g_assert_cmpstr (qemu_props_get (props, "type"), ==, "virt");
  g_assert_cmpstr (qemu_props_get (props, "no"), ==, "on");
  g_array_unref (props);
  /* Empty elements are skipped; an empty text is no property. */
  props = parse_ok ("virt,,", "type", NULL);
  g_assert_cmpstr (qemu_props_get (props, "type"), ==, "virt,");
  g_array_unref (props);
  props = parse_ok ("", "type", NULL);
  g_assert_cmpuint (props->len, ==, 0);
  g_array_unref (props);
  parse_fails ("virt,=x", "a value without a parameter name");
}

static void
test_opts_last_wins (void)
{
  GArray *props = parse_ok ("a=1,b=2,a=3", NULL, NULL);
  g_assert_cmpstr (qemu_props_get (props, "a"), ==, "3");
  g_assert_null (qemu_props_get (props, "c"));
  g_assert_null (qemu_props_get (NULL, "a"));
  g_array_unref (props);
}

static void
test_opts_json (void)
{
  gboolean json = FALSE;
  GArray *props = parse_ok ("{\"driver\":\"arm-smmuv3\",\"primary-bus\":\"pci.1\",\"accel\":true,\"ats\":\"on\","
                            "\"ssidsize\":\"0\",\"bus_nr\":252,\"x\":false,\"ratio\":1.5,\"gone\":null,"
                            "\"nested\":{\"a\":{\"b\":1},\"c\":\"d\"},\"list\":[1,\"two\",{\"k\":\"v\"}]}",
                            "driver", &json);
  g_assert_true (json);
  g_assert_cmpstr (qemu_props_get (props, "driver"), ==, "arm-smmuv3");
  g_assert_cmpstr (qemu_props_get (props, "primary-bus"), ==, "pci.1");
  g_assert_cmpstr (qemu_props_get (props, "accel"), ==, "on");
  g_assert_cmpstr (qemu_props_get (props, "x"), ==, "off");
  g_assert_cmpstr (qemu_props_get (props, "ssidsize"), ==, "0");
  g_assert_cmpstr (qemu_props_get (props, "bus_nr"), ==, "252");
  g_assert_cmpstr (qemu_props_get (props, "ratio"), ==, "1.5");
  g_assert_null (qemu_props_get (props, "gone"));
  g_assert_cmpstr (qemu_props_get (props, "nested.a.b"), ==, "1");
  g_assert_cmpstr (qemu_props_get (props, "nested.c"), ==, "d");
  g_assert_cmpstr (qemu_props_get (props, "list.0"), ==, "1");
  g_assert_cmpstr (qemu_props_get (props, "list.1"), ==, "two");
  g_assert_cmpstr (qemu_props_get (props, "list.2.k"), ==, "v");
  g_array_unref (props);
  /* Commas in JSON strings are plain commas; whitespace around is fine. */
  props = parse_ok ("  {\"qom-type\": \"memory-backend-file\", \"mem-path\": \"/a,b\"}\n", "qom-type", &json);
  g_assert_true (json);
  g_assert_cmpstr (qemu_props_get (props, "mem-path"), ==, "/a,b");
  g_array_unref (props);

  parse_fails ("{\"driver\":\"pcie-root-port\",chassis:1}", "not valid JSON");
  parse_fails ("{\"driver\":\"x\"} trailing", "text after the JSON value");
  parse_fails ("{\"driver\":", "the text ends inside it");
  parse_fails ("{\"driver\":\"x\"}{\"driver\":\"y\"}", "text after the JSON value");
}

static void
test_values (void)
{
  gboolean b = FALSE;
  for (const char *const *w = (const char *const[]) { "on", "yes", "true", "y", NULL }; *w != NULL; w++)
    g_assert_true (qemu_parse_bool (*w, &b) && b);
  for (const char *const *w = (const char *const[]) { "off", "no", "false", "n", NULL }; *w != NULL; w++)
    g_assert_true (qemu_parse_bool (*w, &b) && !b);
  g_assert_false (qemu_parse_bool ("ON", &b)); /* QEMU: "Parameter 'hotplug' expects 'on' or 'off'" */
  g_assert_false (qemu_parse_bool ("maybe", &b));
  g_assert_false (qemu_parse_bool (NULL, &b));

  guint64 bytes = 0;
  g_assert_true (qemu_parse_size ("4G", 'B', &bytes));
  g_assert_cmpuint (bytes, ==, G_GUINT64_CONSTANT (4) << 30);
  g_assert_true (qemu_parse_size ("4194304k", 'B', &bytes));
  g_assert_cmpuint (bytes, ==, G_GUINT64_CONSTANT (4) << 30);
  g_assert_true (qemu_parse_size ("2048", 'M', &bytes)); /* -m counts megabytes */
  g_assert_cmpuint (bytes, ==, G_GUINT64_CONSTANT (2) << 30);
  g_assert_true (qemu_parse_size ("2048", 'B', &bytes));
  g_assert_cmpuint (bytes, ==, 2048);
  g_assert_true (qemu_parse_size ("1.5T", 'B', &bytes));
  g_assert_cmpuint (bytes, ==, G_GUINT64_CONSTANT (3) << 39);
  for (const char *const *w = (const char *const[]) { "", "G", "-1", "3X", "4GB", "16E", NULL }; *w != NULL; w++)
    g_assert_false (qemu_parse_size (*w, 'B', &bytes));
  g_assert_false (qemu_parse_size (NULL, 'B', &bytes));
}

/* ---- the forms a command line comes in ---- */

static qemu_cmdline *
read_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  qemu_cmdline *cl = qemu_cmdline_read (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_nonnull (cl);
  return cl;
}

static void
read_fails (const char *text, gsize len, const char *expect_in_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (qemu_cmdline) cl = qemu_cmdline_read (text, len, &error);
  g_assert_null (cl);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT);
  if (strstr (error->message, expect_in_message) == NULL)
    g_error ("'%s' not in '%s'", expect_in_message, error->message);
}

static const qemu_note *
note_at (const qemu_cmdline *cl, guint i)
{
  g_assert_cmpuint (i, <, cl->notes->len);
  return g_ptr_array_index (cl->notes, i);
}

static void
test_forms (void)
{
  /* virsh domxml-to-native: environment words, the binary, JSON in single quotes. */
  g_autoptr (qemu_cmdline) libvirt = read_ok (
    "LC_ALL=C PATH=/usr/bin HOME=/var/lib/libvirt/qemu/domain--1-vm /usr/bin/qemu-system-aarch64 -name "
    "guest=vm,debug-threads=on -machine virt-11.1,acpi=on -device "
    "'{\"driver\":\"pxb-pcie\",\"bus_nr\":252,\"id\":\"pci.1\",\"bus\":\"pcie.0\",\"addr\":\"0x1\"}'\n");
  g_assert_cmpuint (libvirt->argc, ==, 7);
  g_assert_cmpstr (libvirt->argv[0], ==, "/usr/bin/qemu-system-aarch64");
  g_assert_cmpstr (libvirt->argv[6], ==, "{\"driver\":\"pxb-pcie\",\"bus_nr\":252,\"id\":\"pci.1\",\"bus\":\"pcie.0\","
                                         "\"addr\":\"0x1\"}");
  g_assert_cmpuint (libvirt->notes->len, ==, 0);

  /* Backslash-newline continuations, CRLF line ends, a quote spanning lines. */
  g_autoptr (qemu_cmdline) lines = read_ok ("qemu-system-aarch64 \\\r\n  -machine virt \\\r\n  -device '{\"driver\":\r\n"
                                            "\"pcie-root-port\",\"id\":\"rp1\"}' \\\r\n  -nodefaults\r\n");
  g_assert_cmpuint (lines->argc, ==, 6);
  g_assert_cmpstr (lines->argv[4], ==, "{\"driver\":\n\"pcie-root-port\",\"id\":\"rp1\"}");
  g_assert_cmpstr (lines->argv[5], ==, "-nodefaults");

  /* A launch script: set -- "$@" collects, exec passes "$@" on; comments
   * with quotes and other statements do not disturb it. */
  g_autoptr (qemu_cmdline) script = read_ok ("#!/bin/sh\n# it's a script\nset -eu\n"
                                             "[ -e vars.fd ] || cp -- /usr/share/AAVMF/AAVMF_VARS.fd vars.fd\n"
                                             "set -- -name stale\nset --\n"
                                             "set -- \"$@\" -machine virt,acpi=on # ACPI: the vSMMU's IORT\n"
                                             "set -- \"$@\" -device 'vfio-pci,host=0008:01:00.0'\n"
                                             "exec \"${QEMU:-qemu-system-aarch64}\" \"$@\"\n");
  g_assert_cmpuint (script->argc, ==, 5);
  g_assert_cmpstr (script->argv[0], ==, "${QEMU:-qemu-system-aarch64}");
  g_assert_cmpstr (script->argv[1], ==, "-machine");
  g_assert_cmpstr (script->argv[4], ==, "vfio-pci,host=0008:01:00.0");

  /* A libvirt log: the last start is checked, and a note says so; QEMU's
   * own messages ("qemu-system-aarch64: …", a stray apostrophe) are prose. */
  g_autoptr (qemu_cmdline) log = read_ok ("2026-01-01 starting up libvirt version: 12.9.0\n"
                                          "LC_ALL=C \\\n/usr/bin/qemu-system-aarch64 \\\n-machine virt \\\n-S\n"
                                          "qemu-system-aarch64: terminating on signal 15\n"
                                          "2026-01-02 starting up libvirt version: 12.9.0\n"
                                          "LC_ALL=C \\\n/usr/bin/qemu-system-aarch64 \\\n-machine virt-11.1\n"
                                          "qemu-system-aarch64: warning: host doesn't support it\n");
  g_assert_cmpuint (log->argc, ==, 3);
  g_assert_cmpstr (log->argv[2], ==, "virt-11.1");
  g_assert_cmpint (note_at (log, 0)->kind, ==, QEMU_NOTE_INFO);
  g_assert_nonnull (strstr (note_at (log, 0)->message, "2 QEMU command lines"));
  g_assert_nonnull (strstr (note_at (log, 0)->message, "at line 8"));

  /* Options only: argv[0] is empty and options count from 1. */
  g_autoptr (qemu_cmdline) bare = read_ok ("-machine virt \\\n -accel kvm\n");
  g_assert_cmpstr (bare->argv[0], ==, "");
  g_assert_cmpuint (bare->argc, ==, 5);

#define READ_FAILS(text, why) read_fails (text, sizeof text - 1, why)
  READ_FAILS ("", "no QEMU command line");
  READ_FAILS ("# only a comment\n\n", "no QEMU command line");
  READ_FAILS ("start it with virsh start vm\n", "no QEMU command line");
  READ_FAILS ("qemu-system-aarch64 -device '{\"driver\":\"x\"}\n",
              "line 1: the QEMU command line is not valid shell quoting: a quote is not closed");
  READ_FAILS ("a\nqemu-system-aarch64 -machine \"virt\\\"\n", "line 2:");
  READ_FAILS ("qemu-system-aarch64 -machine virt\0-S", "not a text file");
  READ_FAILS ("qemu-system-aarch64 -name \xff\xfe", "not a text file");
  g_autofree char *huge = g_malloc0 (QEMUARGV_MAX_SIZE + 2);
  memset (huge, ' ', QEMUARGV_MAX_SIZE + 1);
  read_fails (huge, QEMUARGV_MAX_SIZE + 1, "larger than 8 MiB");
}

/* The fast path splits plain and single-quoted words exactly as GLib does,
 * and leaves everything else to g_shell_parse_argv. */
static void
test_split_plain (void)
{
  static const char *const same[] = {
    "a b\tc\n d", "x'a b'y 'c'", "''", "a '' b", "a#b", "a;b &&c|d <e >f", "a`b c`d", "a$b ${X:-y} $@",
    "-device '{\"driver\":\"vfio-pci\",\"host\":\"0008:01:00.0\"}'", "'a\nb' c", "  ", "a\rb",
    "LC_ALL=C /usr/bin/qemu-system-aarch64 -name guest=vm,debug-threads=on",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (same); i++)
    {
      g_auto (GStrv) fast = qemu_shell_split_plain (same[i], strlen (same[i]));
      g_auto (GStrv) glib = NULL;
      g_autoptr (GError) error = NULL;
      g_assert_nonnull (fast);
      if (!g_shell_parse_argv (same[i], NULL, &glib, &error))
        {
          g_assert_error (error, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING);
          g_assert_null (fast[0]);
          continue;
        }
      if (!g_strv_equal ((const char *const *) fast, (const char *const *) glib))
        g_error ("'%s' splits differently from g_shell_parse_argv", same[i]);
    }
  static const char *const glib_only[] = { "a \"b c\"", "a\\ b", "a\\\nb", "a #comment", "#c", "a 'open" };
  for (gsize i = 0; i < G_N_ELEMENTS (glib_only); i++)
    g_assert_null (qemu_shell_split_plain (glib_only[i], strlen (glib_only[i])));
  /* Only the first len bytes count. */
  g_auto (GStrv) part = qemu_shell_split_plain ("a b\nc d", 3);
  g_assert_cmpuint (g_strv_length (part), ==, 2);
}

static void
test_options (void)
{
  g_autoptr (qemu_cmdline) cl = read_ok ("qemu-system-aarch64 --machine virt -frob lvl=3 -enable-kvm disk.img "
                                         "-readconfig vm.cfg -device '{\"driver\":' -M acpi=off -nodefaults -device");
  const char *names[] = { "machine", "frob", "enable-kvm", "image", "readconfig", "device", "machine", "nodefaults" };
  g_assert_cmpuint (cl->options->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (((qemu_option *) qemu_cmdline_option (cl, i))->name, ==, names[i]);
  const qemu_option *frob = qemu_cmdline_option (cl, 1);
  g_assert_cmpstr (frob->value, ==, "lvl=3"); /* an unknown option takes a next word that is no option */
  g_assert_null (qemu_cmdline_option (cl, 2)->value);
  g_assert_nonnull (qemu_cmdline_option (cl, 0)->props);
  g_assert_null (qemu_cmdline_option (cl, 5)->props); /* JSON that did not parse */

  /* Notes in argument order: unknown -frob (3), -readconfig (7), the JSON
   * (9), -device without its argument (14). */
  g_assert_cmpuint (cl->notes->len, ==, 4);
  g_assert_cmpint (note_at (cl, 0)->arg, ==, 3);
  g_assert_cmpint (note_at (cl, 0)->kind, ==, QEMU_NOTE_UNKNOWN);
  g_assert_cmpint (note_at (cl, 1)->arg, ==, 7);
  g_assert_cmpint (note_at (cl, 1)->kind, ==, QEMU_NOTE_UNCHECKED);
  g_assert_cmpint (note_at (cl, 2)->arg, ==, 9);
  g_assert_cmpint (note_at (cl, 2)->kind, ==, QEMU_NOTE_REFUSED);
  g_assert_nonnull (strstr (note_at (cl, 2)->message, "not valid JSON"));
  g_assert_cmpint (note_at (cl, 3)->arg, ==, 14);
  g_assert_nonnull (strstr (note_at (cl, 3)->message, "\"-device: requires an argument\""));

  g_autofree char *machine = qemu_cmdline_arg_text (cl, 1);
  g_autofree char *flag = qemu_cmdline_arg_text (cl, 5);
  g_autofree char *image = qemu_cmdline_arg_text (cl, 6);
  g_assert_cmpstr (machine, ==, "--machine virt");
  g_assert_cmpstr (flag, ==, "-enable-kvm");
  g_assert_cmpstr (image, ==, "disk.img");
  g_assert_null (qemu_cmdline_arg_text (cl, 2)); /* a value, not an option */
  g_assert_null (qemu_cmdline_arg_text (cl, 99));
}

/* ---- the model ---- */

static guest_domain *
model_of (const char *text, qemu_cmdline **out)
{
  qemu_cmdline *cl = read_ok (text);
  guest_domain *dom = qemu_cmdline_to_model (cl);
  g_assert_nonnull (dom);
  g_assert_cmpint (dom->origin, ==, GUEST_FROM_QEMU_ARGV);
  *out = cl;
  return dom;
}

static gboolean
has_note (const qemu_cmdline *cl, int arg, qemu_note_kind kind, const char *text)
{
  for (guint i = 0; i < cl->notes->len; i++)
    {
      const qemu_note *note = g_ptr_array_index (cl->notes, i);
      if (note->arg == arg && note->kind == kind && strstr (note->message, text) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_model_machine (void)
{
  /* -machine given several times is one set: later keys win, every key counts. */
  g_autoptr (qemu_cmdline) cl = NULL;
  g_autoptr (guest_domain) dom = model_of ("qemu-system-aarch64 -M virt,acpi=off -machine highmem-mmio-size=2T "
                                           "-machine acpi=on,iommu=smmuv3 -accel tcg -accel kvm -name guest=vm "
                                           "-m 4096 -smp 8,sockets=1", &cl);
  g_assert_cmpstr (dom->arch, ==, "aarch64");
  g_assert_cmpstr (dom->machine, ==, "virt");
  g_assert_cmpstr (dom->name, ==, "vm");
  g_autoptr (qemu_cmdline) names_cl = NULL;
  g_autoptr (guest_domain) names = model_of ("qemu-system-aarch64 -name a -name guest=b", &names_cl);
  g_assert_cmpstr (names->name, ==, "b"); /* the last wins (and the first is freed: found by fuzz-qemuargv) */
  g_assert_cmpint (dom->line, ==, 1);
  g_assert_cmpint (dom->acpi, ==, TRI_YES);
  g_assert_cmpuint (dom->mmio64_size, ==, G_GUINT64_CONSTANT (2) << 40);
  g_assert_cmpint (dom->mmio64_line, ==, 3);
  g_assert_cmpuint (dom->iommus->len, ==, 1);
  const guest_iommu *wide = g_ptr_array_index (dom->iommus, 0);
  g_assert_cmpint (wide->pci_bus, ==, -1);
  g_assert_cmpint (wide->line, ==, 5);
  g_assert_cmpint (dom->iommu_machine_wide_line, ==, 5);
  g_assert_cmpstr (dom->domain_type, ==, "tcg"); /* QEMU tries the first -accel first */
  g_assert_cmpint (dom->accel_line, ==, 7);
  g_assert_cmpuint (dom->memory_kib, ==, 4096 * 1024);
  g_assert_cmpuint (dom->vcpus, ==, 8);

  g_autoptr (qemu_cmdline) off_cl = NULL;
  g_autoptr (guest_domain) off = model_of ("/opt/qemu/bin/qemu-system-x86_64 -machine q35 -machine acpi=off "
                                           "-enable-kvm -machine accel=tcg", &off_cl);
  g_assert_cmpstr (off->arch, ==, "x86_64");
  g_assert_cmpstr (off->machine, ==, "q35");
  g_assert_cmpint (off->acpi, ==, TRI_NO);
  g_assert_cmpstr (off->domain_type, ==, "kvm");
  g_assert_true (has_note (off_cl, 5, QEMU_NOTE_REFUSED, "options are incompatible"));

  g_autoptr (qemu_cmdline) tcg_cl = NULL;
  g_autoptr (guest_domain) tcg = model_of ("qemu-kvm -machine virt,accel=kvm:tcg", &tcg_cl);
  g_assert_null (tcg->arch);
  g_assert_cmpstr (tcg->domain_type, ==, "kvm");
  g_autoptr (qemu_cmdline) none_cl = NULL;
  g_autoptr (guest_domain) none = model_of ("qemu-system-aarch64 -machine virt", &none_cl);
  g_assert_null (none->domain_type); /* QEMU's default: TCG */
  g_assert_cmpint (none->accel_line, ==, 0);
  /* Options whose implied key is absent or invalid leave the model alone (found by fuzz-qemuargv). */
  g_autoptr (qemu_cmdline) odd_cl = NULL;
  g_autoptr (guest_domain) odd = model_of ("qemu-system-aarch64 -smp sockets=2 -smp x -m size=lots -numa node,nodeid=z",
                                           &odd_cl);
  g_assert_cmpuint (odd->vcpus, ==, 0);
  g_assert_cmpuint (odd->memory_kib, ==, 0);
  g_assert_cmpuint (odd->numa_cells->len, ==, 0);
  g_assert_true (has_note (odd_cl, 7, QEMU_NOTE_REFUSED, "-numa nodeid=z"));
  /* An option without its argument is no option (found by fuzz-qemuargv: -global last). */
  g_autoptr (qemu_cmdline) last_cl = NULL;
  g_autoptr (guest_domain) last = model_of ("qemu-system-aarch64 -machine virt -global", &last_cl);
  g_assert_cmpuint (last_cl->options->len, ==, 1);
  g_assert_true (has_note (last_cl, 3, QEMU_NOTE_REFUSED, "requires an argument"));
}

static const guest_bus *
bus_by_id (const guest_domain *dom, const char *id)
{
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (g_strcmp0 (bus->id, id) == 0)
        return bus;
    }
  g_error ("no bus %s", id);
}

static const guest_endpoint *
endpoint_at (const guest_domain *dom, guint i)
{
  g_assert_cmpuint (i, <, dom->endpoints->len);
  return g_ptr_array_index (dom->endpoints, i);
}

static void
test_model_devices (void)
{
  g_autoptr (qemu_cmdline) cl = NULL;
  g_autoptr (guest_domain) dom = model_of (
    "qemu-system-aarch64 -machine virt -nodefaults -global pcie-root-port.hotplug=off "
    "-object iommufd,id=fd0 -object '{\"qom-type\":\"memory-backend-ram\",\"id\":\"m1\",\"size\":2147483648}' "
    "-numa node,memdev=m1,cpus=0-1 -numa node,nodeid=3,mem=1G "
    "-device pxb-pcie,id=pxb1,bus_nr=0xf0,numa_node=3,bus=pcie.0 "
    "-device pcie-root-port,id=rp1,chassis=1,port=0x2,bus=pxb1 "
    "-device pcie-root-port,id=pci.7,chassis=2,bus=pxb1,hotplug=on "
    "-device x3130-upstream,id=up,bus=rp1 -device xio3130-downstream,id=down,chassis=3,bus=up "
    "-device '{\"driver\":\"arm-smmuv3\",\"primary-bus\":\"pxb1\",\"id\":\"smmu1\",\"accel\":true,\"ats\":\"auto\","
    "\"ssidsize\":\"0\",\"oas\":\"48\",\"pasid\":\"on\"}' "
    "-device vfio-pci,host=08:01.0,iommufd=fd0,id=gpu0,bus=down,addr=0x0.0x1 "
    "-device vfio-pci,sysfsdev=/sys/bus/pci/devices/0009:01:00.0,id=gpu1,bus=pci.7 "
    "-device '{\"driver\":\"vfio-pci\",\"id\":\"hostdev0\",\"iommufd\":\"nope\",\"bus\":\"rp9\"}' "
    "-device virtio-net,id=net0 -device usb-tablet,bus=usb.0 -device acme-widget -device rp-late,bus=rp1 "
    "-device pcie-root-port,id=rp1,chassis=9 -drive file=a.img,if=none -drive file=b.img",
    &cl);
  /* NUMA: the memory backend's size; nodeid defaults to the count so far. */
  g_assert_cmpuint (dom->numa_cells->len, ==, 2);
  g_assert_cmpint (g_array_index (dom->numa_cells, guest_numa_cell, 0).id, ==, 0);
  g_assert_cmpuint (g_array_index (dom->numa_cells, guest_numa_cell, 0).memory_kib, ==, 2 * 1024 * 1024);
  g_assert_cmpstr (g_array_index (dom->numa_cells, guest_numa_cell, 0).cpus, ==, "0-1");
  g_assert_cmpint (g_array_index (dom->numa_cells, guest_numa_cell, 1).id, ==, 3);
  g_assert_cmpuint (g_array_index (dom->numa_cells, guest_numa_cell, 1).memory_kib, ==, 1024 * 1024);

  /* Buses: sorted by index, libvirt's pci.N keeps N, the rest count up. */
  const guest_bus *pxb = bus_by_id (dom, "pxb1"), *rp1 = bus_by_id (dom, "rp1"), *rp7 = bus_by_id (dom, "pci.7");
  const guest_bus *down = bus_by_id (dom, "down");
  g_assert_cmpint (pxb->kind, ==, GUEST_BUS_PXB_PCIE);
  g_assert_cmpstr (pxb->model, ==, "pxb-pcie");
  g_assert_cmpint (pxb->bus_nr, ==, 0xf0);
  g_assert_cmpint (pxb->numa_node, ==, 3);
  g_assert_cmpint (pxb->parent, ==, 0);
  g_assert_cmpint (rp1->parent, ==, pxb->index);
  g_assert_cmpint (rp1->chassis, ==, 1);
  g_assert_cmpint (rp1->port, ==, 2);
  g_assert_cmpint (rp1->hotplug, ==, TRI_NO);  /* -global */
  g_assert_cmpint (rp7->index, ==, 7);
  g_assert_cmpint (rp7->hotplug, ==, TRI_YES); /* its own value beats -global */
  g_assert_cmpint (down->kind, ==, GUEST_BUS_SWITCH_DOWNSTREAM);
  g_assert_cmpint (down->root_complex, ==, pxb->index);
  for (guint i = 1; i < dom->buses->len; i++)
    g_assert_cmpint (((guest_bus *) g_ptr_array_index (dom->buses, i - 1))->index, <,
                     ((guest_bus *) g_ptr_array_index (dom->buses, i))->index);
  /* A second rp1: QEMU refuses the duplicate, the first stays. */
  g_assert_true (has_note (cl, 40, QEMU_NOTE_REFUSED, "Duplicate ID 'rp1' for device"));

  /* The vSMMU: JSON booleans and strings; pasid is no arm-smmuv3 property. */
  g_assert_cmpuint (dom->iommus->len, ==, 1);
  const guest_iommu *smmu = g_ptr_array_index (dom->iommus, 0);
  g_assert_cmpint (smmu->pci_bus, ==, pxb->index);
  g_assert_cmpstr (smmu->pci_bus_ref, ==, "pxb1");
  g_assert_true (guest_iommu_is_accel (smmu));
  g_assert_cmpint (smmu->props[VSMMU_PROP_ATS].state, ==, PROP_AUTO);
  g_assert_cmpint (smmu->props[VSMMU_PROP_SSIDSIZE].state, ==, PROP_VALUE);
  g_assert_cmpuint (smmu->props[VSMMU_PROP_SSIDSIZE].value, ==, 0);
  g_assert_cmpuint (smmu->props[VSMMU_PROP_OAS].value, ==, 48);
  g_assert_cmpint (smmu->props[VSMMU_PROP_RIL].state, ==, PROP_ABSENT);
  g_assert_cmpuint (smmu->unknown_attrs->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (smmu->unknown_attrs, 0), ==, "pasid");

  /* Endpoints: host=, sysfsdev= and none; bus= defined later or never. */
  const guest_endpoint *gpu0 = endpoint_at (dom, 0), *gpu1 = endpoint_at (dom, 1), *fd = endpoint_at (dom, 2);
  g_assert_cmpint (gpu0->kind, ==, GUEST_EP_HOSTDEV);
  g_assert_cmpstr (gpu0->host_bdf, ==, "0000:08:01.0");
  g_assert_cmpint (gpu0->iommufd, ==, TRI_YES);
  g_assert_cmpint (gpu0->bus, ==, down->index);
  g_assert_cmpint (gpu0->slot, ==, 0);
  g_assert_cmpint (gpu0->function, ==, 1);
  g_assert_cmpstr (gpu1->host_bdf, ==, "0009:01:00.0");
  g_assert_cmpint (gpu1->iommufd, ==, TRI_UNKNOWN);
  g_assert_null (fd->host_bdf);
  g_assert_nonnull (strstr (fd->host_unknown, "by file descriptor"));
  g_assert_null (guest_find_bus (dom, fd->bus));
  g_assert_cmpstr (fd->bus_ref, ==, "rp9");
  g_assert_true (has_note (cl, 30, QEMU_NOTE_REFUSED, "iommufd=nope names no -object iommufd"));

  /* virtio-net is qdev's alias of virtio-net-pci: without bus= it lands on
   * the newest pxb-pcie's own bus, which QEMU refuses. */
  const guest_endpoint *net = endpoint_at (dom, 3);
  g_assert_cmpstr (net->model, ==, "virtio-net-pci");
  g_assert_cmpint (net->bus, ==, pxb->index);
  g_assert_false (net->address_explicit);
  g_assert_nonnull (strstr (net->comment, "no bus=: QEMU plugs it into pxb1"));
  g_assert_true (has_note (cl, 32, QEMU_NOTE_REFUSED, "Only PCI/PCIe bridges can be plugged into pxb-pcie"));
  /* usb-tablet is not on PCI; acme-widget is unknown and said so; rp-late
   * is unknown too but plugged into a PCI bus, so a PCI endpoint. */
  g_assert_true (has_note (cl, 36, QEMU_NOTE_UNKNOWN, "acme-widget"));
  const guest_endpoint *late = endpoint_at (dom, 4);
  g_assert_cmpstr (late->model, ==, "rp-late");
  g_assert_cmpint (late->bus, ==, rp1->index);
  /* Drives: if=none is no device; the other is virtio-blk-pci, plugged in
   * after every -device. */
  g_assert_cmpuint (dom->endpoints->len, ==, 6);
  const guest_endpoint *drive = endpoint_at (dom, 5);
  g_assert_cmpstr (drive->model, ==, "virtio-blk-pci");
  g_assert_cmpstr (drive->element, ==, "drive");
  g_assert_cmpint (drive->line, ==, 44);
  g_assert_cmpint (drive->bus, ==, pxb->index);
}

static void
test_model_defaults (void)
{
  /* No -nodefaults and no network option: QEMU's default NIC on pcie.0. */
  g_autoptr (qemu_cmdline) cl = NULL;
  g_autoptr (guest_domain) dom = model_of ("qemu-system-aarch64 -machine virt "
                                           "-device pxb-pcie,id=p,bus_nr=200,bus=pcie.0", &cl);
  g_assert_cmpuint (dom->endpoints->len, ==, 1);
  g_assert_cmpstr (endpoint_at (dom, 0)->model, ==, "virtio-net-pci");
  g_assert_cmpstr (endpoint_at (dom, 0)->element, ==, "default NIC");
  g_assert_cmpint (endpoint_at (dom, 0)->bus, ==, 0);
  g_assert_cmpint (endpoint_at (dom, 0)->line, ==, 0);

  /* -nic on pcie.0 even after a pxb (NICs come with the machine); -netdev alone adds none. */
  g_autoptr (qemu_cmdline) nic_cl = NULL;
  g_autoptr (guest_domain) nic = model_of ("qemu-system-aarch64 -machine virt -device pxb-pcie,id=p,bus=pcie.0 "
                                           "-nic user,model=e1000e -nic none -net nic -net user", &nic_cl);
  g_assert_cmpuint (nic->endpoints->len, ==, 2);
  g_assert_cmpstr (endpoint_at (nic, 0)->model, ==, "e1000e");
  g_assert_cmpint (endpoint_at (nic, 0)->bus, ==, 0);
  g_assert_cmpint (endpoint_at (nic, 0)->line, ==, 5);
  g_assert_cmpstr (endpoint_at (nic, 1)->model, ==, "virtio-net-pci");
  g_autoptr (qemu_cmdline) netdev_cl = NULL;
  g_autoptr (guest_domain) netdev = model_of ("qemu-system-aarch64 -machine virt -netdev user,id=n0", &netdev_cl);
  g_assert_cmpuint (netdev->endpoints->len, ==, 0);
  /* The root bus: pcie.0, always there as controller 0. */
  g_assert_cmpint (((guest_bus *) g_ptr_array_index (netdev->buses, 0))->kind, ==, GUEST_BUS_PCIE_ROOT);
  g_assert_cmpstr (((guest_bus *) g_ptr_array_index (netdev->buses, 0))->id, ==, "pcie.0");
}

/* The guest libvirt 12.9 runs for valid-accel.xml, read from its own
 * domxml-to-native output, is the guest the XML reader reads from the XML. */
static void
test_model_same_as_xml (void)
{
  const char *srcdir = g_getenv ("SRCDIR");
  if (srcdir == NULL)
    {
      g_test_skip ("SRCDIR is not set (meson test sets it)");
      return;
    }
  g_autofree char *argv_path = g_build_filename (srcdir, "tests/data/qemu/libvirt/valid-accel.argv", NULL);
  g_autofree char *xml_path = g_build_filename (srcdir, "tests/data/domains/cases/valid-accel.xml", NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (argv_path, &text, &len, &error));
  g_autoptr (qemu_cmdline) cl = qemu_cmdline_read (text, len, &error);
  g_assert_no_error (error);
  g_autoptr (guest_domain) from_argv = qemu_cmdline_to_model (cl);
  g_autoptr (guest_domain) from_xml = domainxml_read_file (xml_path, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (from_argv->name, ==, from_xml->name);
  g_assert_cmpint (from_argv->acpi, ==, from_xml->acpi);
  g_assert_cmpuint (from_argv->numa_cells->len, ==, from_xml->numa_cells->len);
  g_assert_cmpuint (from_argv->buses->len, ==, from_xml->buses->len);
  for (guint i = 0; i < from_xml->buses->len; i++)
    {
      const guest_bus *a = g_ptr_array_index (from_argv->buses, i), *x = g_ptr_array_index (from_xml->buses, i);
      g_assert_cmpint (a->index, ==, x->index);
      g_assert_cmpint (a->kind, ==, x->kind);
      g_assert_cmpstr (a->id, ==, x->id);
      g_assert_cmpint (a->parent, ==, x->parent);
      g_assert_cmpint (a->root_complex, ==, x->root_complex);
      g_assert_cmpint (a->bus_nr, ==, x->bus_nr);
      g_assert_cmpint (a->numa_node, ==, x->numa_node);
      g_assert_cmpint (a->chassis, ==, x->chassis);
      g_assert_cmpint (a->port, ==, x->port);
      g_assert_cmpint (a->hotplug, ==, x->hotplug);
    }
  g_assert_cmpuint (from_argv->iommus->len, ==, from_xml->iommus->len);
  for (guint i = 0; i < from_xml->iommus->len; i++)
    {
      const guest_iommu *a = g_ptr_array_index (from_argv->iommus, i), *x = g_ptr_array_index (from_xml->iommus, i);
      g_assert_cmpstr (a->model, ==, x->model);
      g_assert_cmpstr (a->id, ==, x->id);
      g_assert_cmpint (a->pci_bus, ==, x->pci_bus);
      for (int p = 0; p < VSMMU_N_PROPS; p++)
        {
          g_assert_cmpint (a->props[p].state, ==, x->props[p].state);
          g_assert_cmpuint (a->props[p].value, ==, x->props[p].value);
        }
    }
  g_assert_cmpuint (from_argv->endpoints->len, ==, from_xml->endpoints->len);
  for (guint i = 0; i < from_xml->endpoints->len; i++)
    {
      const guest_endpoint *x = g_ptr_array_index (from_xml->endpoints, i);
      const guest_endpoint *a = NULL;
      for (guint j = 0; j < from_argv->endpoints->len && a == NULL; j++)
        if (g_strcmp0 (((guest_endpoint *) g_ptr_array_index (from_argv->endpoints, j))->id, x->id) == 0
            || (x->id == NULL && g_strcmp0 (((guest_endpoint *) g_ptr_array_index (from_argv->endpoints, j))->model,
                                            x->model) == 0))
          a = g_ptr_array_index (from_argv->endpoints, j);
      g_assert_nonnull (a);
      g_assert_cmpint (a->kind, ==, x->kind);
      g_assert_cmpstr (a->model, ==, x->model);
      g_assert_cmpint (a->bus, ==, x->bus);
      g_assert_cmpint (a->iommufd == TRI_YES, ==, x->iommufd == TRI_YES);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  syntax = qemu_syntax_new ();
  g_test_add_func ("/qemuargv/opts/escaped-comma", test_opts_escaped_comma);
  g_test_add_func ("/qemuargv/opts/keys-without-value", test_opts_keys_without_value);
  g_test_add_func ("/qemuargv/opts/last-wins", test_opts_last_wins);
  g_test_add_func ("/qemuargv/opts/json", test_opts_json);
  g_test_add_func ("/qemuargv/values", test_values);
  g_test_add_func ("/qemuargv/forms", test_forms);
  g_test_add_func ("/qemuargv/split-plain", test_split_plain);
  g_test_add_func ("/qemuargv/options", test_options);
  g_test_add_func ("/qemuargv/model/machine", test_model_machine);
  g_test_add_func ("/qemuargv/model/devices", test_model_devices);
  g_test_add_func ("/qemuargv/model/defaults", test_model_defaults);
  g_test_add_func ("/qemuargv/model/same-as-xml", test_model_same_as_xml);
  int status = g_test_run ();
  qemu_syntax_free (syntax);
  return status;
}
