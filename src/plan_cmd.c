/* smmuctl plan: host + device selection → guest topology → libvirt XML, a
 * QEMU script or JSON on stdout or in -o FILE (written atomically), with a
 * human summary on stderr. */
#include <stdio.h>
#include <string.h>

#include "atomicfile.h"
#include "cli.h"
#include "domainxml.h"
#include "emit.h"
#include "errors.h"
#include "hostload.h"
#include "plan_check.h"
#include "planner.h"
#include "report.h"
#include "targets.h"
#include "tools.h"
#include "version.h"

typedef enum { FORMAT_XML, FORMAT_QEMU, FORMAT_JSON } plan_format;

static const struct {
  const char *name;
  plan_format format;
} formats[] = { { "xml", FORMAT_XML }, { "qemu", FORMAT_QEMU }, { "json", FORMAT_JSON } };

#define NOT_GIVEN G_MININT

typedef struct {
  char *root, *host_file, *iort, *hwinfo_json, *base, *output, *format, *layout, *vendor;
  char *name, *memory, *target_qemu, *target_libvirt, *firmware, *firmware_vars, *nvram;
  char **devices;
  gboolean all_vfio, managed, managed_peers, explain, quiet, quiet_warnings, json, hwinfo, no_numa;
  int vcpus, bus_headroom;    /* NOT_GIVEN when absent */
} plan_args;

static void
plan_args_clear (plan_args *a)
{
  char **strings[] = { &a->root, &a->host_file, &a->iort, &a->hwinfo_json, &a->base, &a->output, &a->format,
                       &a->layout, &a->vendor, &a->name, &a->memory, &a->target_qemu, &a->target_libvirt,
                       &a->firmware, &a->firmware_vars, &a->nvram };
  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  g_clear_pointer (&a->devices, g_strfreev);
}

static gboolean
usage (GError **error, const char *format, const char *value)
{
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE, format, value);
  return FALSE;
}

/* "64G", "4096M", "1T", "512K"; a bare number is MiB, like QEMU's -m. */
static gboolean
parse_memory (const char *text, guint64 *kib)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  if (end == text || n == 0)
    return FALSE;
  guint shift;
  switch (g_ascii_toupper (*end))
    {
    case 'K': shift = 0; break;
    case '\0':
    case 'M': shift = 10; break;
    case 'G': shift = 20; break;
    case 'T': shift = 30; break;
    default: return FALSE;
    }
  if (*end != '\0' && end[1] != '\0' && g_ascii_strcasecmp (end + 1, "iB") != 0 && g_ascii_strcasecmp (end + 1, "B") != 0)
    return FALSE;
  if (n > (G_MAXUINT64 >> (shift + 1)))
    return FALSE;
  *kib = n << shift;
  return TRUE;
}

static gboolean
parse_hex16 (const char *text, guint16 *out)
{
  if (text == NULL || *text == '\0' || strlen (text) > 4)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  *out = (guint16) g_ascii_strtoull (text, NULL, 16);
  return TRUE;
}

static char *
trim_slashes (const char *path)
{
  char *s = g_strdup (path);
  gsize len = strlen (s);
  while (len > 1 && s[len - 1] == '/')
    s[--len] = '\0';
  return s;
}

/* What was planned: devices, root complexes, the MMIO window. */
static void
print_summary (const guest_plan *plan)
{
  guint smmus = 0;
  for (guint i = 0; i < plan->root_complexes->len; i++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      gboolean seen = FALSE;
      for (guint j = 0; j < i; j++)
        seen |= ((const plan_root_complex *) g_ptr_array_index (plan->root_complexes, j))->smmu == rc->smmu;
      smmus += !seen;
    }
  fprintf (stderr, "Planned %u device%s behind %u host SMMU%s → %u pxb-pcie + %u accelerated vSMMU%s (%s)\n",
           plan->devices->len, plan->devices->len == 1 ? "" : "s", smmus, smmus == 1 ? "" : "s",
           plan->root_complexes->len, plan->root_complexes->len, plan->root_complexes->len == 1 ? "" : "s",
           plan_layout_name (plan->layout));
  const guest_domain *dom = plan->domain;
  for (guint i = 0; i < plan->root_complexes->len; i++)
    {
      const plan_root_complex *rc = g_ptr_array_index (plan->root_complexes, i);
      const guest_bus *pxb = guest_find_bus (dom, rc->rc_index);
      const guest_iommu *iommu = g_ptr_array_index (dom->iommus, rc->iommu);
      g_autofree char *node = pxb->numa_node >= 0 ? g_strdup_printf ("%d", pxb->numa_node) : g_strdup ("-");
      fprintf (stderr, "  %-6s busNr %-3d node %-2s vSMMU %s ← %s ", pxb->id, pxb->bus_nr, node, iommu->id,
               rc->smmu->name);
      for (guint d = 0; d < rc->devices->len; d++)
        {
          if (d == 4 && rc->devices->len > 5)
            {
              fprintf (stderr, " … (+%u)", rc->devices->len - 4);
              break;
            }
          fprintf (stderr, " %s", ((const host_pci_device *) g_ptr_array_index (rc->devices, d))->bdf);
        }
      fputc ('\n', stderr);
    }
  g_autofree char *need = units_format_size (plan->mmio64_need);
  g_autofree char *window = units_format_size (MAX (dom->mmio64_size, GUEST_DEFAULT_MMIO64_SIZE));
  fprintf (stderr, "64-bit MMIO window: %s%s (BARs need %s)\n", window, plan->mmio64_raised ? "" : ", the default",
           need);
}

static void
print_written (const guest_plan *plan, plan_format format, const char *output)
{
  g_autofree char *libvirt = sw_version_to_string (plan->target_libvirt.version);
  g_autofree char *qemu = sw_version_to_string (plan->target_qemu.version);
  const char *where = output ? output : "standard output";
  switch (format)
    {
    case FORMAT_XML:
      fprintf (stderr, "Wrote %s (libvirt %s spelling).%s%s\n", where, libvirt, output ? " Next: virsh define " : "",
               output ? output : "");
      break;
    case FORMAT_QEMU:
      fprintf (stderr, "Wrote %s (QEMU %s).%s%s\n", where, qemu, output ? " Next: sh " : "", output ? output : "");
      break;
    case FORMAT_JSON:
      fprintf (stderr, "Wrote %s.\n", where);
      break;
    }
}

/* The plan's own check on stderr, as validate prints findings: all of them
 * when it refuses (errors, with -q also warnings unless --quiet-warnings),
 * its warnings when it writes; then what to change.  With --json one
 * document of validate's schema plus "plan_warnings" and "changes", and
 * nothing else on stderr. */
static void
report_check (const plan_args *a, const guest_plan *plan, finding_list *findings, const GPtrArray *changes,
              int status)
{
  guint errors = finding_list_count (findings, SEVERITY_ERROR);
  guint warnings = finding_list_count (findings, SEVERITY_WARNING);
  gboolean show_warnings = !a->quiet_warnings;
  g_autoptr (GPtrArray) inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) report_input_free);
  g_ptr_array_add (inputs, report_input_new (finding_list_file (findings), findings, NULL));
  if (a->json)
    {
      if (errors == 0 && !(show_warnings && (warnings > 0 || plan->warnings->len > 0)))
        return;
      report_totals totals = { 0 };
      report_totals_add (&totals, g_ptr_array_index (inputs, 0));
      report_targets targets = { TRUE, a->format == NULL || strcmp (a->format, "xml") == 0,
                                 plan->target_qemu.version, plan->target_libvirt.version };
      report_plan_notes notes = { show_warnings ? plan->warnings : NULL, changes };
      report_json_write (stderr, &targets, inputs, &totals, FALSE, status, &notes);
      return;
    }
  report_options text = { SEVERITY_WARNING, FALSE, FALSE };
  if (errors > 0)
    text = (report_options) { a->quiet ? (show_warnings ? SEVERITY_WARNING : SEVERITY_ERROR) : SEVERITY_INFO,
                              !a->quiet, FALSE };
  if (errors > 0 || (show_warnings && warnings > 0))
    report_text_input (stderr, g_ptr_array_index (inputs, 0), &text);
  if (errors == 0)
    return;
  fprintf (stderr, "smmuctl: nothing written: the plan fails the checks `smmuctl validate` makes with this host;%s\n",
           changes->len > 0 ? " to plan a VM that starts:" : "");
  for (guint i = 0; i < changes->len; i++)
    fprintf (stderr, "  - %s\n", (const char *) g_ptr_array_index (changes, i));
}

static void
print_plan_warnings (const plan_args *a, const guest_plan *plan)
{
  for (guint i = 0; !a->quiet_warnings && !a->json && i < plan->warnings->len; i++)
    fprintf (stderr, "warning: %s\n", (const char *) g_ptr_array_index (plan->warnings, i));
}

/* Everything between parsed options and a written document; *status is
 * the exit status when it returns TRUE (1: the plan fails its own check). */
static gboolean
run_plan (const smmuctl_globals *globals, plan_args *a, int *status, GError **error)
{
  plan_format format = FORMAT_XML;
  gboolean format_ok = a->format == NULL;
  for (gsize i = 0; !format_ok && i < G_N_ELEMENTS (formats); i++)
    if (strcmp (formats[i].name, a->format) == 0)
      {
        format = formats[i].format;
        format_ok = TRUE;
      }
  if (!format_ok)
    return usage (error, "--format '%s': use xml, qemu or json; see smmuctl plan --help", a->format);

  plan_request req;
  plan_request_init (&req);
  req.devices = (const char *const *) a->devices;
  req.all_vfio = a->all_vfio;
  req.managed = a->managed;
  req.managed_peers = a->managed_peers;
  req.no_numa = a->no_numa;
  req.check_libvirt = format == FORMAT_XML;
  req.base_name = a->base;
  if (a->layout != NULL && !plan_layout_parse (a->layout, &req.layout))
    return usage (error, "--layout '%s': use per-smmu or per-device; see smmuctl plan --help", a->layout);
  if (a->bus_headroom != NOT_GIVEN && (a->bus_headroom < 0 || a->bus_headroom > PLAN_BUS_MAX))
    return usage (error, "--bus-headroom: %s; see smmuctl plan --help", "give 0 to 255 free buses per root complex");
  if (a->bus_headroom != NOT_GIVEN)
    req.bus_headroom = (guint) a->bus_headroom;
  if (a->vendor != NULL)
    {
      g_auto (GStrv) parts = g_strsplit (a->vendor, ":", 2);
      req.have_vendor = parse_hex16 (parts[0], &req.vendor);
      req.have_device_id = parts[1] != NULL;
      if (!req.have_vendor || (parts[1] != NULL && !parse_hex16 (parts[1], &req.device_id)))
        return usage (error, "--vendor '%s': use VVVV or VVVV:DDDD in hex (e.g. 10de or 10de:2941)", a->vendor);
    }
  if (a->base != NULL && (a->name != NULL || a->memory != NULL || a->vcpus != NOT_GIVEN))
    return usage (error, "%s: --name, --memory and --vcpus describe a new domain; the base domain keeps its own",
                  a->base);
  if (a->name != NULL)
    req.name = a->name;
  if (a->memory != NULL && !parse_memory (a->memory, &req.memory_kib))
    return usage (error, "--memory '%s': use a size such as 64G, 4096M or 1T", a->memory);
  if (a->vcpus != NOT_GIVEN && (a->vcpus < 1 || a->vcpus > 4096))
    return usage (error, "--vcpus: %s", "give 1 to 4096");
  if (a->vcpus != NOT_GIVEN)
    req.vcpus = (guint) a->vcpus;
  const char *const stdin_names[] = { "--host", "--base", "--hwinfo-json" };
  const char *const stdin_values[] = { a->host_file, a->base, a->hwinfo_json };
  if (!cli_one_stdin ("plan", stdin_names, stdin_values, G_N_ELEMENTS (stdin_names), error))
    return FALSE;
  if (a->managed_peers && !a->managed)
    return usage (error, "%s", "--managed-peers takes group peers along with --managed; give --managed too");
  if (format == FORMAT_QEMU && a->managed)
    return usage (error, "%s", "--managed is a libvirt feature (it binds devices to vfio-pci); a QEMU script needs "
                               "them bound already: leave out --managed or use --format xml");
  if (format == FORMAT_QEMU && a->base != NULL)
    return usage (error, "%s", "--format qemu writes a whole VM and cannot merge into --base; use --format xml "
                               "(virsh domxml-to-native qemu-argv turns it into a command line)");

  /* the host */
  const char *root = NULL;
  if (!cli_root ("plan", globals, a->root, &root, error)
      || !cli_exclusive ("plan", "--hwinfo", a->hwinfo, "--hwinfo-json", a->hwinfo_json != NULL, error))
    return FALSE;
  host_load_options load = {
    .root = root,
    .host_file = a->host_file,
    .iort_file = a->iort,
    .hwinfo_json = a->hwinfo_json,
    .hwinfo_live = a->hwinfo,
    .probe_tools = root == NULL && a->host_file == NULL,
  };
  g_autoptr (host_model) host = host_load (&load, error);
  if (host == NULL)
    return FALSE;
  g_autofree char *shown_root = root ? trim_slashes (root) : NULL;
  g_autofree char *where = a->host_file ? g_strdup_printf ("in host document %s", a->host_file)
                           : g_strdup_printf ("under %s/sys/bus/pci/devices", shown_root ? shown_root : "");
  g_autofree char *hint = a->host_file ? g_strdup ("smmuctl probe --json on that host")
                          : root ? g_strdup_printf ("smmuctl probe --root %s", shown_root)
                                 : g_strdup ("smmuctl probe");
  req.host_where = where;
  req.probe_hint = hint;
  /* Default targets: the tools of the host planned for (live, or recorded in
   * its probe document); "installed" always asks this machine's. */
  g_autoptr (host_model) local = host_model_new ();
  if (g_strcmp0 (a->target_qemu, "installed") == 0)
    tools_probe_qemu (&local->tools, NULL);
  if (g_strcmp0 (a->target_libvirt, "installed") == 0)
    tools_probe_libvirt (&local->tools);
  /* a probe document's tools are the probed host's, not this machine's */
  target_context targets = { "plan", &local->tools, host->tools.probed ? &host->tools : NULL,
                             a->host_file != NULL ? "installed on the probed host" : "installed" };
  if (!target_resolve (&targets, SW_QEMU, a->target_qemu, &req.target_qemu, &req.target_qemu_source, error)
      || !target_resolve (&targets, SW_LIBVIRT, a->target_libvirt, &req.target_libvirt, &req.target_libvirt_source,
                          error))
    return FALSE;

  /* the base domain: read once, for the model and for the merge */
  g_autoptr (GBytes) base_bytes = NULL;
  guest_domain *base = NULL;
  if (a->base != NULL)
    {
      base_bytes = domainxml_load (a->base, error);
      if (base_bytes == NULL)
        return FALSE;
      gsize len = 0;
      const char *data = g_bytes_get_data (base_bytes, &len);
      g_autoptr (GError) local = NULL;
      base = domainxml_read_memory (data, len, a->base, &local);
      if (base == NULL)
        {
          const char *message = NULL;
          int line = domainxml_error_line (local, &message);
          g_autofree char *where = line > 0 ? g_strdup_printf ("%s:%d", a->base, line) : g_strdup (a->base);
          g_set_error (error, local->domain, local->code, "%s: %s (the --base domain)", where, message);
          return FALSE;
        }
    }

  g_autoptr (guest_plan) plan = planner_plan (host, &req, base, error);
  if (plan == NULL)
    return FALSE;

  emit_options emit;
  emit_options_init (&emit);
  emit.explain = a->explain;
  emit.generator = "smmuctl " SMMUCTL_VERSION;
  if (a->firmware != NULL)
    emit.firmware_code = a->firmware;
  if (a->firmware_vars != NULL)
    emit.firmware_vars = a->firmware_vars;
  emit.nvram = a->nvram;
  if (base_bytes != NULL)
    {
      emit.base_xml = g_bytes_get_data (base_bytes, &emit.base_len);
      emit.base_name = a->base;
    }
  g_autofree char *doc = format == FORMAT_XML    ? emit_xml (plan, &emit, error)
                         : format == FORMAT_QEMU ? emit_qemu (plan, &emit, error)
                                                 : emit_json (plan, host, &emit, error);
  if (doc == NULL)
    return FALSE;

  /* validate(plan(x)) has no errors: the same check, on the plan as libvirt
   * XML, before anything is written. */
  gboolean to_file = a->output != NULL && strcmp (a->output, "-") != 0;
  g_autofree char *xml = format == FORMAT_XML ? NULL : emit_xml (plan, &emit, error);
  if (format != FORMAT_XML && xml == NULL)
    return FALSE;
  const char *checked_name = format != FORMAT_XML ? "(the plan as libvirt XML)" : to_file ? a->output : "-";
  finding_list *findings = plan_check_result (plan, host, checked_name, format == FORMAT_XML ? doc : xml,
                                              format == FORMAT_XML);
  g_autoptr (GPtrArray) changes = plan_changes (plan, host, findings);
  *status = finding_list_count (findings, SEVERITY_ERROR) > 0 ? SMMUCTL_EXIT_FINDINGS : SMMUCTL_EXIT_OK;
  report_check (a, plan, findings, changes, *status);
  if (*status != SMMUCTL_EXIT_OK)
    return TRUE;

  if (to_file)
    {
      if (!atomic_file_write (a->output, doc, strlen (doc), format == FORMAT_QEMU ? 0777 : 0666, error))
        return FALSE;
    }
  else if (fputs (doc, stdout) == EOF || fflush (stdout) != 0)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "cannot write to standard output");
      return FALSE;
    }
  gboolean summary = !a->quiet && !a->json;
  if (summary)
    print_summary (plan);
  print_plan_warnings (a, plan);
  if (summary)
    print_written (plan, format, to_file ? a->output : NULL);
  return TRUE;
}

int
cmd_plan (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  plan_args a = { .bus_headroom = NOT_GIVEN, .vcpus = NOT_GIVEN };
  const GOptionEntry entries[] = {
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &a.root, "Plan for the host tree under DIR (sysfs, IORT) instead of this machine", "DIR" },
    { "host", 0, 0, G_OPTION_ARG_FILENAME, &a.host_file, "Plan for the host in FILE, a `smmuctl probe --json` document (- = stdin)", "FILE" },
    { "iort", 0, 0, G_OPTION_ARG_FILENAME, &a.iort, "Read the ACPI IORT from FILE (raw, e.g. from acpidump -b)", "FILE" },
    { "hwinfo", 0, 0, G_OPTION_ARG_NONE, &a.hwinfo, "Read SMMU ID registers through iommufd (root, vfio cdev)", NULL },
    { "hwinfo-json", 0, 0, G_OPTION_ARG_FILENAME, &a.hwinfo_json, "Use recorded SMMU ID registers from FILE", "FILE" },
    { "device", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &a.devices, "Pass through the host PCI device BDF (repeatable)", "BDF" },
    { "all-vfio", 0, 0, G_OPTION_ARG_NONE, &a.all_vfio, "Pass through every device bound to vfio-pci", NULL },
    { "vendor", 0, 0, G_OPTION_ARG_STRING, &a.vendor, "Pass through the devices with these PCI ids (with --all-vfio: those bound to vfio-pci)", "VVVV[:DDDD]" },
    { "managed", 0, 0, G_OPTION_ARG_NONE, &a.managed, "Let libvirt bind the devices to vfio-pci (managed='yes')", NULL },
    { "managed-peers", 0, 0, G_OPTION_ARG_NONE, &a.managed_peers, "With --managed, also take IOMMU group peers bound to host drivers (libvirt unbinds them from the host)", NULL },
    { "base", 0, 0, G_OPTION_ARG_FILENAME, &a.base, "Merge into this domain XML (- = stdin), keeping its devices and addresses", "FILE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &a.name, "Name of a new domain (default smmuctl-guest)", "NAME" },
    { "memory", 0, 0, G_OPTION_ARG_STRING, &a.memory, "Memory of a new domain (default 4G)", "SIZE" },
    { "vcpus", 0, 0, G_OPTION_ARG_INT, &a.vcpus, "vCPUs of a new domain (default 4)", "N" },
    { "no-numa", 0, 0, G_OPTION_ARG_NONE, &a.no_numa, "No guest NUMA cells in a new domain (default: mirror the host's nodes)", NULL },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &a.layout, "per-smmu (default): one root complex and vSMMU per host SMMU; per-device: per device", "LAYOUT" },
    { "bus-headroom", 0, 0, G_OPTION_ARG_INT, &a.bus_headroom, "Free bus numbers to leave in every root complex (default 2)", "N" },
    { "target-qemu", 0, 0, G_OPTION_ARG_STRING, &a.target_qemu, "QEMU version that will run the VM, or 'installed' (default: installed, else the newest known)", "VERSION" },
    { "target-libvirt", 0, 0, G_OPTION_ARG_STRING, &a.target_libvirt, "libvirt version that will define the VM, or 'installed'", "VERSION" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &a.format, "xml (libvirt domain, default), qemu (a launch script) or json", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output, "Write the document to FILE atomically (default: stdout)", "FILE" },
    { "explain", 0, 0, G_OPTION_ARG_NONE, &a.explain, "Write the reason for each decision as XML or # comments", NULL },
    { "firmware", 0, 0, G_OPTION_ARG_FILENAME, &a.firmware, "QEMU script: UEFI code image (default " EMIT_DEFAULT_FIRMWARE_CODE ")", "FILE" },
    { "firmware-vars", 0, 0, G_OPTION_ARG_FILENAME, &a.firmware_vars, "QEMU script: UEFI variable-store template (default " EMIT_DEFAULT_FIRMWARE_VARS ")", "FILE" },
    { "nvram", 0, 0, G_OPTION_ARG_FILENAME, &a.nvram, "QEMU script: the VM's variable store, copied from the template on first run (default NAME_VARS.fd)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet, "No summary on stderr (warnings and errors still)", NULL },
    { "quiet-warnings", 0, 0, G_OPTION_ARG_NONE, &a.quiet_warnings, "Do not print warnings either (errors always)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Report findings on stderr as one JSON document (validate --json's schema, plus plan_warnings and changes) instead of text", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- plan a guest topology for accelerated SMMUv3 passthrough");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (
    context, "The document goes to stdout or -o FILE, a summary to stderr.  Before writing, plan checks its result "
             "as `smmuctl validate` would with this host; on an error it writes nothing and prints the findings and what "
             "to change.\nExit status: 0 planned, 1 the request cannot be satisfied or the plan fails its own check, "
             "2 usage error, unreadable input or an output that cannot be written, 3 host unreadable.");
  int status = SMMUCTL_EXIT_OK;
  gboolean ok = cli_parse_options (context, entries, "plan", &argc, &argv, error);
  if (ok && argc > 1)
    ok = usage (error, "plan: unexpected argument '%s'; see smmuctl plan --help", argv[1]);
  if (ok)
    ok = run_plan (globals, &a, &status, error);
  plan_args_clear (&a);
  return ok ? status : SMMUCTL_EXIT_USAGE;
}
