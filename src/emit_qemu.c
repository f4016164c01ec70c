/* The plan as a QEMU launch script: POSIX sh, one option per line, every
 * value quoted for the shell (and commas doubled for QEMU's option parser),
 * with the ids libvirt would give (pcie.0, pci.N, iommuN, hostdevN) so that
 * a script and a domain XML of one plan describe the same machine. */
#include "emit.h"

#include <string.h>

#include "errors.h"
#include "feature_use.h"

void
emit_options_init (emit_options *opts)
{
  memset (opts, 0, sizeof *opts);
  opts->firmware_code = EMIT_DEFAULT_FIRMWARE_CODE;
  opts->firmware_vars = EMIT_DEFAULT_FIRMWARE_VARS;
  opts->generator = "smmuctl";
}

/* ---- helpers shared by the emitters ---- */

char *
emit_qemu_size (guint64 bytes)
{
  static const struct {
    char suffix;
    guint shift;
  } units[] = { { 'T', 40 }, { 'G', 30 }, { 'M', 20 }, { 'K', 10 } };
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      guint64 unit = G_GUINT64_CONSTANT (1) << units[i].shift;
      if (bytes >= unit && bytes % unit == 0)
        return g_strdup_printf ("%" G_GUINT64_FORMAT "%c", bytes / unit, units[i].suffix);
    }
  return g_strdup_printf ("%" G_GUINT64_FORMAT, bytes);
}

static gpointer
slot_key (int parent, int slot)
{
  return GINT_TO_POINTER (parent * PLAN_SLOTS_PER_BUS + slot + 1);
}

void
emit_index_init (emit_index *idx, const guest_domain *dom)
{
  idx->buses = g_ptr_array_new ();
  idx->multifunction = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->index < 0)
        continue;
      if ((guint) bus->index >= idx->buses->len)
        g_ptr_array_set_size (idx->buses, bus->index + 1);
      idx->buses->pdata[bus->index] = (gpointer) bus;
      if (bus->function > 0)
        g_hash_table_add (idx->multifunction, slot_key (bus->parent, bus->slot));
    }
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      if (ep->function > 0)
        g_hash_table_add (idx->multifunction, slot_key (ep->bus, ep->slot));
    }
}

void
emit_index_clear (emit_index *idx)
{
  g_clear_pointer (&idx->buses, g_ptr_array_unref);
  g_clear_pointer (&idx->multifunction, g_hash_table_unref);
}

const guest_bus *
emit_find_bus (const emit_index *idx, int index)
{
  return index >= 0 && (guint) index < idx->buses->len ? g_ptr_array_index (idx->buses, index) : NULL;
}

static const guest_bus *
index_bus (gconstpointer idx, int index)
{
  return emit_find_bus (idx, index);
}

int
emit_root_complex_of (const guest_domain *dom, const emit_index *idx, int bus_index)
{
  return guest_root_complex_walk (dom, bus_index, index_bus, idx);
}

gboolean
emit_slot_is_multifunction (const emit_index *idx, int parent, int slot)
{
  return g_hash_table_contains (idx->multifunction, slot_key (parent, slot));
}

char *
emit_prop_value (const guest_iommu *iommu, vsmmu_prop_id id)
{
  const vsmmu_prop *prop = &iommu->props[id];
  if (prop->state == PROP_ABSENT)
    return NULL;
  if (prop->state == PROP_AUTO)
    return g_strdup ("auto");
  if (id == VSMMU_PROP_SSIDSIZE || id == VSMMU_PROP_OAS)
    return g_strdup_printf ("%u", prop->value);
  return g_strdup (prop->value ? "on" : "off");
}

/* "ats, ril and ssidsize": the properties planned as auto, NULL when none. */
char *
emit_auto_props_text (const guest_iommu *iommu)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    if (iommu->props[p].state == PROP_AUTO)
      g_ptr_array_add (names, iommu->props[p].spelling);
  if (names->len == 0)
    return NULL;
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == names->len ? " and " : ", ",
                            (const char *) names->pdata[i]);
  return g_string_free (s, FALSE);
}

/* ---- quoting ---- */

/* A QEMU option value: a comma inside a value is written as two. */
static char *
qemu_escape (const char *value)
{
  g_autoptr (GString) s = g_string_new (NULL);
  for (const char *p = value; *p; p++)
    {
      if (*p == ',')
        g_string_append_c (s, ',');
      g_string_append_c (s, *p);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A shell word: bare when it holds only characters no shell treats
 * specially, otherwise single-quoted with ' written as '\''. */
static void
append_shell_word (GString *out, const char *word)
{
  gboolean bare = *word != '\0';
  for (const char *p = word; *p && bare; p++)
    bare = g_ascii_isalnum (*p) || strchr ("_./,=:+@%-", *p) != NULL;
  if (bare)
    {
      g_string_append (out, word);
      return;
    }
  g_string_append_c (out, '\'');
  for (const char *p = word; *p; p++)
    {
      if (*p == '\'')
        g_string_append (out, "'\\''");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '\'');
}

typedef struct {
  GString *out;
  gboolean explain;
  const emit_index *idx;
} script;

/* `# text` lines, wrapped; a newline in text (a name from a host document)
 * can never end the comment and start a command. */
static void
comment_always (script *s, const char *text)
{
  if (text == NULL)
    return;
  g_auto (GStrv) words = g_strsplit_set (text, " \n\r", -1);
  gsize col = 0;
  for (char **w = words; *w; w++)
    {
      if (**w == '\0')
        continue;
      gsize len = strlen (*w);
      if (col == 0)
        {
          g_string_append (s->out, "# ");
          col = 2;
        }
      else if (col + 1 + len > 78)
        {
          g_string_append (s->out, "\n# ");
          col = 2;
        }
      else
        {
          g_string_append_c (s->out, ' ');
          col++;
        }
      g_string_append (s->out, *w);
      col += len;
    }
  if (col > 0)
    g_string_append_c (s->out, '\n');
}

static void
comment (script *s, const char *text)
{
  if (s->explain)
    comment_always (s, text);
}

static void
option (script *s, const char *name, const char *value)
{
  g_string_append (s->out, "set -- \"$@\" ");
  append_shell_word (s->out, name);
  if (value != NULL)
    {
      g_string_append_c (s->out, ' ');
      append_shell_word (s->out, value);
    }
  g_string_append_c (s->out, '\n');
}

/* ---- the machine ---- */

/* The VM's UEFI variable store: --nvram, else NAME_VARS.fd where it runs. */
static char *
nvram_path (const guest_plan *plan, const emit_options *opts)
{
  if (opts->nvram != NULL)
    return g_strdup (opts->nvram);
  return g_strdup_printf ("%s_VARS.fd", plan->domain->name ? plan->domain->name : "guest");
}

static void
machine_options (script *s, const guest_plan *plan, const emit_options *opts)
{
  const guest_domain *dom = plan->domain;
  g_autofree char *name = qemu_escape (dom->name ? dom->name : "guest");
  g_autofree char *guest = g_strconcat ("guest=", name, NULL);
  option (s, "-name", guest);

  g_autoptr (GString) machine = g_string_new ("virt,gic-version=host,acpi=on");
  if (plan->mmio64_raised)
    {
      g_autofree char *size = emit_qemu_size (dom->mmio64_size);
      g_string_append_printf (machine, ",highmem-mmio-size=%s", size);
    }
  comment (s, "accel=on needs KVM with the in-kernel irqchip and ACPI (the vSMMUs are described in the IORT)");
  option (s, "-machine", machine->str);
  option (s, "-accel", "kvm");
  option (s, "-cpu", "host");
  g_autofree char *memory = emit_qemu_size (dom->memory_kib * 1024);
  option (s, "-m", memory);
  /* One socket per vCPU, as libvirt writes it without <topology>: every
   * NUMA cell then holds whole sockets.  A bare "-smp N" puts all vCPUs in
   * socket 0 and QEMU 11.1 warns "CPU-0 and CPU-2 in socket-0-cluster-0 have
   * been associated with node-0 and node-1 respectively. It can cause OSes
   * like Linux to misbehave". */
  g_autofree char *smp = g_strdup_printf ("%u,sockets=%u,cores=1,threads=1", dom->vcpus, dom->vcpus);
  comment (s, "one socket per vCPU, so that each NUMA cell holds whole sockets (as libvirt writes it)");
  option (s, "-smp", smp);
  for (guint i = 0; i < dom->numa_cells->len; i++)
    {
      const guest_numa_cell *cell = &g_array_index (dom->numa_cells, guest_numa_cell, i);
      g_autofree char *size = emit_qemu_size (cell->memory_kib * 1024);
      g_autofree char *backend = g_strdup_printf ("memory-backend-ram,id=ram-node%d,size=%s", cell->id, size);
      g_autofree char *node = g_strdup_printf ("node,nodeid=%d,cpus=%s,memdev=ram-node%d", cell->id, cell->cpus,
                                               cell->id);
      option (s, "-object", backend);
      option (s, "-numa", node);
    }
  option (s, "-nodefaults", NULL);
  option (s, "-display", "none");
  option (s, "-serial", "mon:stdio");

  g_autofree char *code = qemu_escape (opts->firmware_code);
  g_autofree char *nvram = nvram_path (plan, opts);
  g_autofree char *vars = qemu_escape (nvram);
  g_autofree char *drive0 = g_strconcat ("if=pflash,format=raw,unit=0,readonly=on,file=", code, NULL);
  g_autofree char *drive1 = g_strconcat ("if=pflash,format=raw,unit=1,file=", vars, NULL);
  comment (s, "UEFI: the code image read-only, the VM's own variable store writable");
  option (s, "-drive", drive0);
  option (s, "-drive", drive1);
}

static void
bus_device (script *s, const guest_bus *bus)
{
  const guest_bus *parent = emit_find_bus (s->idx, bus->parent);
  g_autoptr (GString) dev = g_string_new (NULL);
  if (bus->kind == GUEST_BUS_PXB_PCIE)
    {
      g_string_append_printf (dev, "pxb-pcie,bus_nr=%d,id=%s", bus->bus_nr, bus->id);
      if (bus->numa_node >= 0)
        g_string_append_printf (dev, ",numa_node=%d", bus->numa_node);
    }
  else
    g_string_append_printf (dev, "pcie-root-port,port=%d,chassis=%d,id=%s", bus->port, bus->chassis, bus->id);
  g_string_append_printf (dev, ",bus=%s,addr=0x%x", parent ? parent->id : "pcie.0", (guint) bus->slot);
  if (bus->function > 0)
    g_string_append_printf (dev, ".0x%x", (guint) bus->function);
  else if (emit_slot_is_multifunction (s->idx, bus->parent, bus->slot))
    g_string_append (dev, ",multifunction=on");
  if (bus->kind == GUEST_BUS_ROOT_PORT && bus->hotplug == TRI_NO)
    g_string_append (dev, ",hotplug=off");
  comment (s, bus->comment);
  option (s, "-device", dev->str);
}

static void
iommu_device (script *s, const guest_iommu *iommu)
{
  const guest_bus *rc = emit_find_bus (s->idx, iommu->pci_bus);
  g_autoptr (GString) dev = g_string_new (NULL);
  g_string_append_printf (dev, "arm-smmuv3,primary-bus=%s,id=%s", rc ? rc->id : "pcie.0", iommu->id);
  for (int p = 0; p < VSMMU_N_PROPS; p++)
    {
      g_autofree char *value = iommu->props[p].state == PROP_AUTO ? NULL : emit_prop_value (iommu, (vsmmu_prop_id) p);
      if (value != NULL)
        g_string_append_printf (dev, ",%s=%s", iommu->props[p].spelling, value);
    }
  comment (s, iommu->comment);
  g_autofree char *left_out = emit_auto_props_text (iommu);
  if (left_out != NULL)
    {
      g_autofree char *note = g_strdup_printf ("%s left to QEMU's default, auto (as libvirt passes them)", left_out);
      comment (s, note);
    }
  option (s, "-device", dev->str);
}

static void
hostdev_device (script *s, const guest_endpoint *ep)
{
  const guest_bus *port = emit_find_bus (s->idx, ep->bus);
  g_autoptr (GString) dev = g_string_new (NULL);
  g_string_append_printf (dev, "vfio-pci,host=%s,iommufd=%s,id=%s,bus=%s,addr=0x%x.0x%x", ep->host_bdf,
                          EMIT_IOMMUFD_ID, ep->id, port ? port->id : "pcie.0", (guint) ep->slot, (guint) ep->function);
  if (ep->function == 0 && emit_slot_is_multifunction (s->idx, ep->bus, ep->slot))
    g_string_append (dev, ",multifunction=on");
  comment (s, ep->comment);
  option (s, "-device", dev->str);
}

char *
emit_qemu (const guest_plan *plan, const emit_options *opts, GError **error)
{
  if (plan->merged)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "--format qemu writes a whole VM and cannot merge into --base; use --format xml (libvirt "
                           "turns it into a command line: virsh domxml-to-native qemu-argv)");
      return NULL;
    }
  for (guint i = 0; i < plan->domain->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (plan->domain->endpoints, i);
      if (ep->managed)
        {
          g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                               "--managed is a libvirt feature (it binds devices to vfio-pci); a QEMU script needs "
                               "them bound already: leave out --managed or use --format xml");
          return NULL;
        }
    }
  const guest_domain *dom = plan->domain;
  g_autoptr (GString) out = g_string_new ("#!/bin/sh\n");
  g_auto (emit_index) idx = { 0 };
  emit_index_init (&idx, dom);
  script s = { out, opts->explain, &idx };
  g_autofree char *target = sw_version_to_string (plan->target_qemu.version);
  g_string_append_printf (out, "# Generated by %s plan: %u device(s) below %u accelerated vSMMU(s).\n",
                          opts->generator, plan->devices->len, plan->root_complexes->len);
  g_autofree char *needed = sw_version_to_string (guest_features_required (dom, SW_QEMU));
  g_string_append_printf (out, "# Needs QEMU %s or newer (planned for QEMU %s, %s). Set QEMU to run another "
                               "binary.\n",
                          needed, target, plan->target_qemu_source);
  for (guint i = 0; opts->explain && i < plan->why->len; i++)
    comment (&s, g_ptr_array_index (plan->why, i));
  for (guint i = 0; i < plan->warnings->len; i++)
    {
      g_autofree char *line = g_strdup_printf ("warning: %s", (const char *) g_ptr_array_index (plan->warnings, i));
      comment_always (&s, line);
    }
  g_string_append (out, "set -eu\n");

  g_autofree char *nvram = nvram_path (plan, opts);
  g_string_append (out, "[ -e ");
  append_shell_word (out, nvram);
  g_string_append (out, " ] || cp -- ");
  append_shell_word (out, opts->firmware_vars);
  g_string_append_c (out, ' ');
  append_shell_word (out, nvram);
  g_string_append (out, "\nset --\n");

  machine_options (&s, plan, opts);
  comment (&s, "one iommufd object serves every vSMMU and every vfio-pci device");
  option (&s, "-object", "iommufd,id=" EMIT_IOMMUFD_ID);
  for (guint i = 0; i < dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (dom->buses, i);
      if (bus->kind != GUEST_BUS_PCIE_ROOT)
        bus_device (&s, bus);
    }
  /* each vSMMU before the devices below it: vfio-pci looks up its IOMMU when it is realized */
  for (guint i = 0; i < dom->iommus->len; i++)
    iommu_device (&s, g_ptr_array_index (dom->iommus, i));
  for (guint i = 0; i < dom->endpoints->len; i++)
    hostdev_device (&s, g_ptr_array_index (dom->endpoints, i));
  g_string_append (out, "exec \"${QEMU:-qemu-system-aarch64}\" \"$@\"\n");
  return g_string_free (g_steal_pointer (&out), FALSE);
}
