/* smmuctl probe: the host model as a report (text) or a document (--json). */
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "cli.h"
#include "errors.h"
#include "hostjson.h"
#include "hostload.h"
#include "hwinfo.h"
#include "idr.h"
#include "units.h"

typedef struct {
  gboolean color;
  FILE *out;
} text_sink;

static const char *
status_color (check_status status)
{
  static const char *const colors[] = { "\033[32m", "\033[36m", "\033[33m", "\033[31m" };
  return colors[status];
}

static char *
format_size (guint64 bytes)
{
  return bytes == 0 ? g_strdup ("-") : units_format_size (bytes);
}

/* "nesting yes (S1+S2, CANWBS)  ATS yes  SSID 20  OAS 48  RIL yes" */
static char *
smmu_caps_line (const host_smmu *smmu)
{
  const char *reason;
  tristate nesting = host_smmu_nesting (smmu, &reason);
  if (!smmu->hwinfo.known)
    return g_strdup_printf ("nesting ?  (%s)", reason);
  const guint32 *idr = smmu->hwinfo.idr;
  g_autofree char *nest = nesting == TRI_YES ? g_strdup_printf ("yes (%s)", reason) : g_strdup (tristate_name (nesting));
  return g_strdup_printf ("nesting %-20s  ATS %s  SSID %u  OAS %u  RIL %s", nest,
                          idr_get (idr, IDR_ATS) ? "yes" : "no", idr_get (idr, IDR_SSIDSIZE),
                          idr_oas_bits (idr_get (idr, IDR_OAS)), idr_get (idr, IDR_RIL) ? "yes" : "no");
}

static void
print_device (const text_sink *sink, const host_pci_device *dev)
{
  g_autofree char *bars = format_size (dev->bar_total);
  g_autofree char *group = dev->iommu_group >= 0 ? g_strdup_printf ("%d", dev->iommu_group) : g_strdup ("-");
  g_autofree char *node = dev->numa_node >= 0 ? g_strdup_printf ("%d", dev->numa_node) : g_strdup ("?");
  fprintf (sink->out, "  %s  %04x:%04x  %-20s %-10s group %-4s node %-2s BARs %s%s\n", dev->bdf, dev->vendor,
           dev->device, pci_class_name (dev->class_code), dev->driver ? dev->driver : "-", group, node, bars,
           g_strcmp0 (dev->smmu_source, "iort") == 0 ? "  (SMMU from IORT)" : "");
}

static void
print_smmu_devices (const text_sink *sink, const host_model *host, const char *smmu_name)
{
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (!dev->is_bridge && g_strcmp0 (dev->smmu, smmu_name) == 0)
        print_device (sink, dev);
    }
}

static void
print_header (const text_sink *sink, const host_model *host)
{
  FILE *out = sink->out;
  fprintf (out, "Host: %u NUMA node%s · %u SMMUv3 · kernel %s · iommufd %s · vfio cdev %s\n",
           host->numa_nodes->len, host->numa_nodes->len == 1 ? "" : "s", host->smmus->len,
           host->kernel_release ? host->kernel_release : "?", host->dev_iommu.present ? "yes" : "no",
           host->vfio_devices_dir.present ? "yes" : "no");
  const host_tools *t = &host->tools;
  if (!t->probed)
    fprintf (out, "QEMU/libvirt: not probed for a --root tree (add --tools to ask this machine's)\n");
  else
    {
      /* "pluggable, accel, ats, ril": what this QEMU's arm-smmuv3 offers. */
      static const char *const interesting[] = { "accel", "ats", "ril", "ssidsize", "oas", "cmdqv" };
      g_autoptr (GString) caps = g_string_new (t->smmuv3_user_creatable == TRI_YES ? "pluggable" : "not pluggable");
      for (gsize i = 0; i < G_N_ELEMENTS (interesting); i++)
        for (guint p = 0; p < t->smmuv3_props->len; p++)
          if (g_strcmp0 (t->smmuv3_props->pdata[p], interesting[i]) == 0)
            g_string_append_printf (caps, ", %s", interesting[i]);
      fprintf (out, "QEMU %s (arm-smmuv3: %s) · libvirt %s\n", t->qemu_version ? t->qemu_version : "not installed",
               t->qemu_version ? caps->str : "-", t->libvirt_version ? t->libvirt_version : "not installed");
    }
  fputc ('\n', out);
}

static void
print_text (const text_sink *sink, const host_model *host, const GPtrArray *checks)
{
  FILE *out = sink->out;
  print_header (sink, host);
  for (guint i = 0; i < host->smmus->len; i++)
    {
      const host_smmu *smmu = host->smmus->pdata[i];
      g_autofree char *caps = smmu_caps_line (smmu);
      g_autofree char *node = smmu->numa_node >= 0 ? g_strdup_printf ("%d", smmu->numa_node) : g_strdup ("?");
      fprintf (out, "%s  node %-2s %s\n", smmu->name, node, caps);
      print_smmu_devices (sink, host, smmu->name);
    }
  gboolean header = FALSE;
  for (guint i = 0; i < host->devices->len; i++)
    {
      const host_pci_device *dev = host->devices->pdata[i];
      if (dev->is_bridge || dev->smmu != NULL)
        continue;
      if (!header)
        fprintf (out, "No SMMU (not translated, cannot sit below a vSMMU)\n");
      header = TRUE;
      print_device (sink, dev);
    }

  fprintf (out, "\nChecks\n");
  for (guint i = 0; i < checks->len; i++)
    {
      const host_check *c = checks->pdata[i];
      const char *name = check_status_name (c->status);
      if (sink->color)
        fprintf (out, "  %s%s\033[0m  %s\n", status_color (c->status), name, c->message);
      else
        fprintf (out, "  %s  %s\n", name, c->message);
      if (c->hint != NULL)
        fprintf (out, "        hint: %s\n", c->hint);
    }
  if (host->notes->len > 0)
    {
      fprintf (out, "\nNot read\n");
      for (guint i = 0; i < host->notes->len; i++)
        fprintf (out, "  %s\n", (const char *) host->notes->pdata[i]);
    }
}

int
cmd_probe (const smmuctl_globals *globals, int argc, char **argv, GError **error)
{
  g_autofree char *root = NULL, *iort = NULL, *hwinfo_json = NULL, *qemu = NULL;
  gboolean json = FALSE, hwinfo = FALSE, tools = FALSE, no_tools = FALSE, check = FALSE;
  const GOptionEntry entries[] = {
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &root, "Read sysfs, /dev and the IORT under DIR instead of /", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON document (the host model; plan/validate --host read it)", NULL },
    { "iort", 0, 0, G_OPTION_ARG_FILENAME, &iort, "Read the ACPI IORT from FILE (raw, e.g. from acpidump -b)", "FILE" },
    { "hwinfo", 0, 0, G_OPTION_ARG_NONE, &hwinfo, "Read SMMU ID registers through iommufd (root, vfio cdev)", NULL },
    { "hwinfo-json", 0, 0, G_OPTION_ARG_FILENAME, &hwinfo_json, "Use recorded ID registers from FILE", "FILE" },
    { "tools", 0, 0, G_OPTION_ARG_NONE, &tools, "Report this machine's QEMU and libvirt even with --root", NULL },
    { "no-tools", 0, 0, G_OPTION_ARG_NONE, &no_tools, "Do not run QEMU or ask libvirt", NULL },
    { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &qemu, "QEMU binary to ask (default: qemu-system-aarch64 on PATH)", "PATH" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "Exit with status 1 when a check FAILs (as virt-host-validate does)", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- inspect the host's SMMUv3s, devices and readiness");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context, "Exit status: 0 the host was read (whatever the checks say; with --check: "
                                             "and no check FAILs), 1 with --check: a check FAILs, 2 usage error or "
                                             "an output that cannot be written, 3 host unreadable.");
  if (!cli_parse_options (context, entries, "probe", &argc, &argv, error))
    return SMMUCTL_EXIT_USAGE;
  if (argc > 1)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE, "probe: unexpected argument '%s'; see smmuctl probe --help",
                   argv[1]);
      return SMMUCTL_EXIT_USAGE;
    }

  const char *root_dir = NULL;
  if (!cli_root ("probe", globals, root, &root_dir, error)
      || !cli_exclusive ("probe", "--tools", tools, "--no-tools", no_tools, error)
      || !cli_exclusive ("probe", "--hwinfo", hwinfo, "--hwinfo-json", hwinfo_json != NULL, error))
    return SMMUCTL_EXIT_USAGE;
  host_load_options opts = {
    .root = root_dir,
    .iort_file = iort,
    .hwinfo_json = hwinfo_json,
    .hwinfo_live = hwinfo,
    .probe_tools = !no_tools && (tools || root_dir == NULL),
    .qemu_path = qemu,
  };
  g_autoptr (host_model) host = host_load (&opts, error);
  if (host == NULL)
    return SMMUCTL_EXIT_HOST;
  g_autoptr (GPtrArray) checks = host_checks_run (host);

  if (json)
    hostjson_write (stdout, host, host_checks_to_json (checks));
  else
    {
      text_sink sink = { globals->color, stdout };
      print_text (&sink, host, checks);
    }
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "cannot write to standard output");
      return SMMUCTL_EXIT_USAGE;
    }
  return check && host_checks_failed (checks) ? SMMUCTL_EXIT_FINDINGS : SMMUCTL_EXIT_OK;
}
