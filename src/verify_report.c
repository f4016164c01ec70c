/* What verify found, as a table plus the findings (text) or one JSON
 * document (data/schemas/verify.schema.json).  Decides nothing. */
#include "verify_report.h"

#include "jsontext.h"

#include <string.h>

#include "report.h"
#include "version.h"

static const char *
or_dash (const char *text)
{
  return text != NULL ? text : "-";
}

static char *
int_or_dash (int value)
{
  return value >= 0 ? g_strdup_printf ("%d", value) : g_strdup ("-");
}

/* One row per planned device: what the plan says, what the guest has. */
typedef struct {
  const char *cells[8];
  char *owned[3];
} table_row;

#define N_COLUMNS 8

static void
print_table (FILE *out, GPtrArray *rows)
{
  gsize width[N_COLUMNS] = { 0 };
  for (guint r = 0; r < rows->len; r++)
    for (int c = 0; c < N_COLUMNS; c++)
      width[c] = MAX (width[c], (gsize) g_utf8_strlen (((table_row *) rows->pdata[r])->cells[c], -1));
  for (guint r = 0; r < rows->len; r++)
    {
      const table_row *row = rows->pdata[r];
      g_autoptr (GString) line = g_string_new (NULL);
      for (int c = 0; c < N_COLUMNS; c++)
        {
          g_string_append (line, row->cells[c]);
          if (c + 1 < N_COLUMNS)
            for (gsize pad = (gsize) g_utf8_strlen (row->cells[c], -1); pad < width[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      fprintf (out, "%s\n", g_strchomp (line->str));
    }
}

static void
free_row (table_row *row)
{
  for (gsize i = 0; i < G_N_ELEMENTS (row->owned); i++)
    g_free (row->owned[i]);
  g_free (row);
}

static char *
codes_text (const verify_device *d)
{
  if (d->codes->len == 0)
    return g_strdup ("ok");
  g_autoptr (GString) out = g_string_new (NULL);
  for (guint i = 0; i < d->codes->len; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "", (const char *) d->codes->pdata[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
verify_report_text (FILE *out, const verify_result *result, const plan_document *plan, const host_model *guest,
                    const report_options *opts)
{
  if (opts->counts)
    {
      fprintf (out, "Guest: kernel %s · %u SMMUv3 · %u PCI functions · IORT %s\n", or_dash (guest->kernel_release),
               guest->smmus->len, guest->devices->len, guest->iort_present ? "read" : "not read");
      fprintf (out, "Plan: %s (%s) · %u vSMMU%s · %u passthrough function%s\n\n", plan->source,
               or_dash (plan->layout), result->vsmmus->len, result->vsmmus->len == 1 ? "" : "s", result->devices->len,
               result->devices->len == 1 ? "" : "s");
      g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) free_row);
      table_row *head = g_new0 (table_row, 1);
      const char *vsmmu_head[N_COLUMNS] = { "vSMMU", "root complex", "first bus", "guest SMMU", "", "", "", "" };
      memcpy (head->cells, vsmmu_head, sizeof vsmmu_head);
      g_ptr_array_add (rows, head);
      for (guint i = 0; i < result->vsmmus->len; i++)
        {
          const verify_vsmmu *v = result->vsmmus->pdata[i];
          table_row *row = g_new0 (table_row, 1);
          row->cells[0] = or_dash (v->planned->id);
          row->cells[1] = v->root_complex != NULL ? v->root_complex->id : "pcie.0";
          row->cells[2] = row->owned[0] = g_strdup_printf ("%d", v->root_bus);
          row->cells[3] = or_dash (v->guest_smmu);
          for (int c = 4; c < N_COLUMNS; c++)
            row->cells[c] = "";
          g_ptr_array_add (rows, row);
        }
      if (result->vsmmus->len > 0)
        {
          print_table (out, rows);
          fputc ('\n', out);
        }
      g_ptr_array_set_size (rows, 0);
      head = g_new0 (table_row, 1);
      const char *device_head[N_COLUMNS] = { "device", "host", "planned at", "guest", "SMMU", "group", "node",
                                             "result" };
      memcpy (head->cells, device_head, sizeof device_head);
      g_ptr_array_add (rows, head);
      for (guint i = 0; i < result->devices->len; i++)
        {
          const verify_device *d = result->devices->pdata[i];
          const host_pci_device *dev = d->found;
          table_row *row = g_new0 (table_row, 1);
          row->cells[0] = or_dash (d->planned->id);
          row->cells[1] = or_dash (d->planned->host_bdf);
          row->cells[2] = d->planned_at;
          row->cells[3] = dev != NULL ? dev->bdf : "-";
          row->cells[4] = dev != NULL ? or_dash (dev->smmu) : "-";
          row->cells[5] = row->owned[0] = int_or_dash (dev != NULL ? dev->iommu_group : -1);
          row->cells[6] = row->owned[1] = int_or_dash (dev != NULL ? dev->numa_node : -1);
          row->cells[7] = row->owned[2] = codes_text (d);
          g_ptr_array_add (rows, row);
        }
      print_table (out, rows);
      fputc ('\n', out);
    }
  report_input input = { plan->source, result->findings, NULL };
  report_text_input (out, &input, opts);
  if (opts->counts && guest->notes->len > 0)
    {
      fprintf (out, "\nNot read in the guest\n");
      for (guint i = 0; i < guest->notes->len; i++)
        fprintf (out, "  %s\n", (const char *) guest->notes->pdata[i]);
    }
}

/* ---- JSON ---- */

static json_object *
string_or_null (const char *s)
{
  return s != NULL ? json_object_new_string (s) : NULL;
}

static json_object *
int_or_null (int value)
{
  return value >= 0 ? json_object_new_int (value) : NULL;
}

static json_object *
guest_device_json (const verify_device *d)
{
  const host_pci_device *dev = d->found;
  if (dev == NULL)
    return NULL;
  char ids[2][8];
  g_snprintf (ids[0], sizeof ids[0], "%04x", dev->vendor);
  g_snprintf (ids[1], sizeof ids[1], "%04x", dev->device);
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "bdf", json_object_new_string (dev->bdf));
  json_object_object_add (o, "vendor", json_object_new_string (ids[0]));
  json_object_object_add (o, "device", json_object_new_string (ids[1]));
  json_object_object_add (o, "smmu", string_or_null (dev->smmu));
  json_object_object_add (o, "smmu_source", string_or_null (dev->smmu_source));
  json_object_object_add (o, "iommu_group", int_or_null (dev->iommu_group));
  json_object *members = NULL;
  if (d->group_endpoints != NULL)
    {
      members = json_object_new_array ();
      for (guint i = 0; i < d->group_endpoints->len; i++)
        json_object_array_add (members, json_object_new_string (d->group_endpoints->pdata[i]));
    }
  json_object_object_add (o, "group_endpoints", members);
  json_object_object_add (o, "numa_node", int_or_null (dev->numa_node));
  return o;
}

static json_object *
device_json (const verify_device *d)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "id", string_or_null (d->planned->id));
  json_object_object_add (o, "host_bdf", string_or_null (d->planned->host_bdf));
  json_object_object_add (o, "root_complex", json_object_new_string (d->root_complex->id));
  json_object_object_add (o, "vsmmu", d->vsmmu != NULL ? string_or_null (d->vsmmu->planned->id) : NULL);
  json_object_object_add (o, "planned_at", json_object_new_string (d->planned_at));
  json_object_object_add (o, "planned_numa_node", int_or_null (d->planned_numa_node));
  json_object_object_add (o, "guest", guest_device_json (d));
  json_object *codes = json_object_new_array ();
  for (guint i = 0; i < d->codes->len; i++)
    json_object_array_add (codes, json_object_new_string (d->codes->pdata[i]));
  json_object_object_add (o, "codes", codes);
  return o;
}

static json_object *
vsmmu_json (const verify_vsmmu *v)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "id", string_or_null (v->planned->id));
  json_object_object_add (o, "root_complex", json_object_new_string (v->root_complex ? v->root_complex->id : "pcie.0"));
  json_object_object_add (o, "root_bus", json_object_new_int (v->root_bus));
  json_object_object_add (o, "guest_smmu", string_or_null (v->guest_smmu));
  return o;
}

void
verify_report_json (FILE *out, const verify_result *result, const plan_document *plan, const host_model *guest,
                    gboolean strict, int exit_status)
{
  json_object *doc = json_object_new_object ();
  json_object_object_add (doc, "smmuctl_version", json_object_new_string (SMMUCTL_VERSION));
  json_object_object_add (doc, "plan", json_object_new_string (plan->source));
  json_object_object_add (doc, "layout", string_or_null (plan->layout));
  json_object *g = json_object_new_object ();
  json_object_object_add (g, "root", string_or_null (guest->root));
  json_object_object_add (g, "kernel", string_or_null (guest->kernel_release));
  json_object_object_add (g, "iort", guest->iort_present ? string_or_null (guest->iort_source) : NULL);
  json_object *smmus = json_object_new_array ();
  for (guint i = 0; i < guest->smmus->len; i++)
    json_object_array_add (smmus, json_object_new_string (((const host_smmu *) guest->smmus->pdata[i])->name));
  json_object_object_add (g, "smmus", smmus);
  json_object *notes = json_object_new_array ();
  for (guint i = 0; i < guest->notes->len; i++)
    json_object_array_add (notes, json_object_new_string (guest->notes->pdata[i]));
  json_object_object_add (g, "not_read", notes);
  json_object_object_add (doc, "guest", g);
  json_object *vsmmus = json_object_new_array ();
  for (guint i = 0; i < result->vsmmus->len; i++)
    json_object_array_add (vsmmus, vsmmu_json (result->vsmmus->pdata[i]));
  json_object_object_add (doc, "vsmmus", vsmmus);
  json_object *devices = json_object_new_array ();
  for (guint i = 0; i < result->devices->len; i++)
    json_object_array_add (devices, device_json (result->devices->pdata[i]));
  json_object_object_add (doc, "devices", devices);
  json_object *findings = json_object_new_array ();
  for (guint i = 0; i < finding_list_len (result->findings); i++)
    json_object_array_add (findings, report_finding_json (finding_list_get (result->findings, i)));
  json_object_object_add (doc, "findings", findings);
  json_object *counts = json_object_new_object ();
  json_object_object_add (counts, "error", json_object_new_int ((int) finding_list_count (result->findings, SEVERITY_ERROR)));
  json_object_object_add (counts, "warning",
                          json_object_new_int ((int) finding_list_count (result->findings, SEVERITY_WARNING)));
  json_object_object_add (counts, "info", json_object_new_int ((int) finding_list_count (result->findings, SEVERITY_INFO)));
  json_object *summary = json_object_new_object ();
  json_object_object_add (summary, "counts", counts);
  json_object_object_add (summary, "strict", json_object_new_boolean (strict));
  json_object_object_add (summary, "exit_status", json_object_new_int (exit_status));
  json_object_object_add (doc, "summary", summary);
  g_autofree char *text = json_pretty_string (doc); /* smmuctl's one JSON text style */
  fputs (text, out);
  json_object_put (doc);
}
