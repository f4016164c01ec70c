/* A QEMU command line → the guest topology model (see qemuargv.h): the
 * machine (merged over every -machine, as QEMU merges them), the
 * accelerator, memory and NUMA, objects, -global defaults, the NICs QEMU
 * creates on pcie.0 and the drives it plugs in last.  -device is read in
 * qemuargv_devices.c.  Where QEMU would exit, a note says so in QEMU's
 * words; nothing here judges the topology (the rules do). */
#include "qemuargv_model.h"

#include <string.h>

/* ---- lookups the device half shares ---- */

const char *
model_device_prop (const model_builder *mb, const qemu_option *option, const char *driver, const char *key,
                   int *arg)
{
  const char *value = qemu_props_get (option->props, key);
  *arg = option->arg;
  if (value != NULL)
    return value;
  /* Globals apply in command-line order, so the last one wins. */
  for (guint i = mb->globals->len; i > 0; i--)
    {
      const qemu_global *g = g_ptr_array_index (mb->globals, i - 1);
      if (strcmp (g->driver, driver) == 0 && strcmp (g->property, key) == 0)
        {
          *arg = g->arg;
          return g->value;
        }
    }
  return NULL;
}

int
model_resolve_bus (model_builder *mb, const char *name, char **ref, char **comment)
{
  *ref = NULL;
  if (name == NULL)
    {
      /* qdev takes the first PCI bus of a depth-first walk from the newest
       * device: the newest pxb-pcie's own bus when there is one. */
      guest_bus *bus = mb->newest_pxb != NULL ? mb->newest_pxb : guest_find_bus (mb->dom, 0);
      *comment = g_strdup_printf ("no bus=: QEMU plugs it into %s%s", bus->id,
                                  bus == mb->newest_pxb ? ", the bus of the newest pxb-pcie" : "");
      return bus->index;
    }
  guest_bus *bus = g_hash_table_lookup (mb->buses, name);
  if (bus != NULL)
    return bus->index;
  *ref = g_strdup (name);
  return mb->next_unresolved++;
}

/* ---- the machine and the accelerator ---- */

/* -machine given several times is one set of options, later keys winning. */
static const char *
machine_prop (const model_builder *mb, const char *key, int *arg)
{
  const char *value = NULL;
  for (guint i = 0; i < mb->cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (mb->cl, i);
      const char *v = strcmp (option->name, "machine") == 0 ? qemu_props_get (option->props, key) : NULL;
      if (v != NULL)
        {
          value = v;
          *arg = option->arg;
        }
    }
  return value;
}

static const qemu_option *
first_option (const model_builder *mb, const char *name)
{
  for (guint i = 0; i < mb->cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (mb->cl, i);
      if (strcmp (option->name, name) == 0)
        return option;
    }
  return NULL;
}

/* "qemu-system-aarch64" → "aarch64"; NULL when the binary does not say. */
static char *
arch_of_binary (const char *binary)
{
  const char *dflt = strstr (binary, ":-");
  g_autofree char *word = g_str_has_prefix (binary, "${") && dflt != NULL ? g_strndup (dflt + 2, strcspn (dflt + 2, "}"))
                                                                          : g_strdup (binary);
  g_autofree char *base = g_path_get_basename (word);
  return g_str_has_prefix (base, "qemu-system-") ? g_strdup (base + strlen ("qemu-system-")) : NULL;
}

static void
read_machine (model_builder *mb)
{
  guest_domain *dom = mb->dom;
  int arg = 0;
  dom->arch = arch_of_binary (mb->cl->argv[0]);
  dom->machine = g_strdup (machine_prop (mb, "type", &arg));
  const qemu_option *machine = first_option (mb, "machine");
  dom->line = machine != NULL ? machine->arg : 0;

  /* ACPI: on unless acpi=off (auto means on for virt). */
  const char *acpi = machine_prop (mb, "acpi", &arg);
  gboolean on = TRUE;
  dom->acpi = acpi == NULL || strcmp (acpi, "auto") == 0 || (qemu_parse_bool (acpi, &on) && on) ? TRI_YES : TRI_NO;

  const char *mmio = machine_prop (mb, "highmem-mmio-size", &arg);
  if (mmio != NULL)
    {
      dom->mmio64_line = arg;
      dom->mmio64_source = GUEST_MMIO64_QEMU_COMMANDLINE;
      /* declared but not a size: SMU403 says so */
      dom->mmio64_unparsed = !qemu_parse_size (mmio, 'B', &dom->mmio64_size);
      if (dom->mmio64_unparsed)
        dom->mmio64_size = 0;
    }

  const char *iommu = machine_prop (mb, "iommu", &arg);
  if (iommu != NULL && strcmp (iommu, "smmuv3") == 0)
    {
      guest_iommu *smmu = guest_iommu_new ();
      smmu->model = g_strdup ("smmuv3");
      smmu->id = g_strdup ("iommu=smmuv3");
      smmu->line = arg;
      g_ptr_array_add (dom->iommus, smmu);
      dom->iommu_machine_wide_line = arg;
    }
}

/* The accelerator QEMU tries first: -accel (in order), -enable-kvm, or
 * -machine accel=A:B; none given is TCG. */
static void
read_accel (model_builder *mb)
{
  int machine_arg = 0;
  const char *machine_accel = machine_prop (mb, "accel", &machine_arg);
  const qemu_option *first = NULL;
  for (guint i = 0; i < mb->cl->options->len && first == NULL; i++)
    {
      const qemu_option *option = qemu_cmdline_option (mb->cl, i);
      if (strcmp (option->name, "enable-kvm") == 0 || (strcmp (option->name, "accel") == 0 && option->props != NULL))
        first = option;
    }
  if (first != NULL && machine_accel != NULL)
    qemu_note_add (mb->cl->notes, first->arg, QEMU_NOTE_REFUSED, "give the accelerator one way: -accel kvm",
                   "-accel (or -enable-kvm) together with -machine accel= (arg %d); QEMU exits: \"The -accel and "
                   "\\\"-machine accel=\\\" options are incompatible\"", machine_arg);
  if (first != NULL)
    {
      const char *name = strcmp (first->name, "enable-kvm") == 0 ? "kvm" : qemu_props_get (first->props, "accel");
      mb->dom->domain_type = g_strdup (name);
      mb->dom->accel_line = first->arg;
    }
  else if (machine_accel != NULL)
    {
      mb->dom->domain_type = g_strndup (machine_accel, strcspn (machine_accel, ":"));
      mb->dom->accel_line = machine_arg;
    }
}

/* ---- memory, vCPUs, NUMA, objects, globals ---- */

static guint64
object_size (const model_builder *mb, const char *id)
{
  const qemu_option *object = id != NULL ? g_hash_table_lookup (mb->objects, id) : NULL;
  guint64 bytes = 0;
  if (object == NULL || !qemu_parse_size (qemu_props_get (object->props, "size"), 'B', &bytes))
    return 0;
  return bytes;
}

static void
read_numa_node (model_builder *mb, const qemu_option *option)
{
  guest_domain *dom = mb->dom;
  guest_numa_cell cell = { .id = (int) dom->numa_cells->len };
  const char *nodeid = qemu_props_get (option->props, "nodeid");
  guint64 v = 0, bytes = 0;
  if (nodeid != NULL)
    {
      if (!g_ascii_string_to_unsigned (nodeid, 10, 0, G_MAXINT16, &v, NULL))
        {
          qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED, "nodeid is a number from 0",
                         "-numa nodeid=%s: not a node number; QEMU refuses it", nodeid);
          return;
        }
      cell.id = (int) v;
    }
  if (qemu_parse_size (qemu_props_get (option->props, "mem"), 'M', &bytes))
    cell.memory_kib = bytes / 1024;
  else
    cell.memory_kib = object_size (mb, qemu_props_get (option->props, "memdev")) / 1024;
  cell.cpus = g_strdup (qemu_props_get (option->props, "cpus"));
  g_array_append_val (dom->numa_cells, cell);
}

static void
read_global (model_builder *mb, const qemu_option *option)
{
  /* driver.property=value, or driver=,property=,value= (QemuOpts). */
  g_autoptr (GArray) props = NULL;
  gboolean json = FALSE;
  qemu_global g = { NULL, NULL, NULL, option->arg };
  const char *equals = strchr (option->value, '=');
  const char *dot = strchr (option->value, '.');
  if (dot != NULL && equals != NULL && dot < equals && dot > option->value)
    {
      g.driver = g_strndup (option->value, (gsize) (dot - option->value));
      g.property = g_strndup (dot + 1, (gsize) (equals - dot - 1));
      g.value = g_strdup (equals + 1);
    }
  else if (qemu_opts_parse (mb->cl->syntax, option->value, NULL, &props, &json, NULL) && qemu_props_get (props, "driver") != NULL
           && qemu_props_get (props, "property") != NULL && qemu_props_get (props, "value") != NULL)
    {
      g.driver = g_strdup (qemu_props_get (props, "driver"));
      g.property = g_strdup (qemu_props_get (props, "property"));
      g.value = g_strdup (qemu_props_get (props, "value"));
    }
  else
    {
      qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED,
                     "write -global DRIVER.PROPERTY=VALUE, e.g. -global pcie-root-port.hotplug=off",
                     "-global %s: neither DRIVER.PROPERTY=VALUE nor driver=,property=,value=; QEMU refuses it",
                     option->value);
      return;
    }
  g_ptr_array_add (mb->globals, g_memdup2 (&g, sizeof g));
}

static void
global_free (qemu_global *g)
{
  g_free (g->driver);
  g_free (g->property);
  g_free (g->value);
  g_free (g);
}

static void
read_object (model_builder *mb, const qemu_option *option)
{
  const char *id = qemu_props_get (option->props, "id");
  if (id == NULL)
    return; /* QEMU: "Parameter 'id' is missing"; nothing refers to it */
  if (g_hash_table_contains (mb->objects, id))
    qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED, "give each object its own id",
                   "-object with id '%s' a second time; QEMU exits: \"Duplicate ID '%s' for object\"", id, id);
  else
    g_hash_table_insert (mb->objects, (gpointer) id, (gpointer) option);
}

/* ---- what QEMU creates besides -device ---- */

static guest_endpoint *
add_emulated (model_builder *mb, const char *model, const char *element, int arg, const char *why)
{
  guest_endpoint *ep = guest_endpoint_new (GUEST_EP_EMULATED);
  ep->model = g_strdup (model);
  ep->element = g_strdup (element);
  ep->line = arg;
  ep->bus = 0;
  ep->comment = g_strdup (why);
  g_ptr_array_add (mb->dom->endpoints, ep);
  return ep;
}

/* virt creates NICs on pcie.0 at machine init, before any -device. */
static void
read_nics (model_builder *mb)
{
  gboolean any_net = FALSE;
  for (guint i = 0; i < mb->cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (mb->cl, i);
      gboolean nic = strcmp (option->name, "nic") == 0, net = strcmp (option->name, "net") == 0;
      any_net |= nic || net || strcmp (option->name, "netdev") == 0;
      const char *type = qemu_props_get (option->props, "type");
      if ((nic && g_strcmp0 (type, "none") != 0) || (net && g_strcmp0 (type, "nic") == 0))
        {
          const char *model = qemu_props_get (option->props, "model");
          if (model == NULL || strcmp (model, "virtio") == 0)
            model = "virtio-net-pci";
          guest_endpoint *ep = add_emulated (mb, model, option->name, option->arg,
                                             "QEMU plugs the NICs of -nic and -net into pcie.0");
          ep->id = g_strdup (qemu_props_get (option->props, "id"));
        }
    }
  if (!any_net && first_option (mb, "nodefaults") == NULL)
    add_emulated (mb, "virtio-net-pci", "default NIC", 0,
                  "QEMU adds a virtio-net-pci NIC on pcie.0 when there is no -nodefaults, -nic, -net or -netdev");
}

/* Drives with a virtio interface (virt's default) become virtio-blk-pci
 * devices after every -device: on the newest pxb-pcie's bus, if any. */
static void
read_drives (model_builder *mb)
{
  for (guint i = 0; i < mb->cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (mb->cl, i);
      gboolean image = strcmp (option->name, "image") == 0;
      const char *interface = qemu_props_get (option->props, "if");
      if (!image && (strcmp (option->name, "drive") != 0 || option->props == NULL
                     || (interface != NULL && strcmp (interface, "virtio") != 0)))
        continue;
      g_autofree char *ref = NULL, *comment = NULL;
      int bus = model_resolve_bus (mb, NULL, &ref, &comment);
      g_autofree char *why = g_strdup_printf ("%s: a virtio drive (%s); %s",
                                              image ? "a disk image" : "-drive without if= or with if=virtio",
                                              "virt's default interface", comment);
      guest_endpoint *ep = add_emulated (mb, "virtio-blk-pci", image ? "image" : "drive", option->arg, why);
      ep->bus = bus;
      if (mb->newest_pxb != NULL && bus == mb->newest_pxb->index)
        qemu_note_add (mb->cl->notes, option->arg, QEMU_NOTE_REFUSED,
                       "give the drive if=none and attach it with -device virtio-blk-pci,drive=…,bus=<a root port>",
                       "the drive's virtio-blk-pci lands on %s; QEMU exits: \"PCI: Only PCI/PCIe bridges can be "
                       "plugged into pxb-pcie\"", mb->newest_pxb->id);
    }
}

/* ---- the whole command line ---- */

static int
compare_bus_index (gconstpointer a, gconstpointer b)
{
  int ia = (*(const guest_bus *const *) a)->index, ib = (*(const guest_bus *const *) b)->index;
  return ia < ib ? -1 : ia > ib;
}

static int
compare_notes (gconstpointer a, gconstpointer b)
{
  int x = (*(const qemu_note *const *) a)->arg, y = (*(const qemu_note *const *) b)->arg;
  return x < y ? -1 : x > y;
}

guest_domain *
qemu_cmdline_to_model (qemu_cmdline *cl)
{
  g_autoptr (guest_domain) dom = guest_domain_new ();
  dom->origin = GUEST_FROM_QEMU_ARGV;
  model_builder mb = {
    .cl = cl,
    .dom = dom,
    .buses = g_hash_table_new (g_str_hash, g_str_equal),
    .device_ids = g_hash_table_new (g_str_hash, g_str_equal),
    .objects = g_hash_table_new (g_str_hash, g_str_equal),
    .globals = g_ptr_array_new_with_free_func ((GDestroyNotify) global_free),
    .index_used = g_array_sized_new (FALSE, TRUE, sizeof (gboolean), 64),
    .next_unresolved = 1 << 20,
  };
  read_machine (&mb);
  read_accel (&mb);

  /* The root bus: pcie.0 on every PCIe machine; pci.0 on the i440fx PC. */
  gboolean legacy_pc = g_strcmp0 (dom->machine, "pc") == 0 || g_str_has_prefix (dom->machine ? dom->machine : "",
                                                                               "pc-i440fx");
  guest_bus *root = guest_bus_new (0, legacy_pc ? GUEST_BUS_OTHER : GUEST_BUS_PCIE_ROOT);
  if (legacy_pc)
    {
      g_free (root->id);
      root->id = g_strdup ("pci.0");
    }
  root->comment = g_strdup ("the machine's root bus");
  g_ptr_array_add (dom->buses, root);
  g_hash_table_insert (mb.buses, root->id, root);
  g_array_set_size (mb.index_used, 1);
  g_array_index (mb.index_used, gboolean, 0) = TRUE;

  for (guint i = 0; i < cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (cl, i);
      if (strcmp (option->name, "global") == 0)
        read_global (&mb, option);
      else if (strcmp (option->name, "object") == 0 && option->props != NULL)
        read_object (&mb, option);
      else if (strcmp (option->name, "name") == 0 && option->props != NULL)
        {
          g_free (dom->name); /* the last -name wins */
          dom->name = g_strdup (qemu_props_get (option->props, "guest"));
        }
    }
  for (guint i = 0; i < cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (cl, i);
      guint64 bytes = 0, count = 0;
      if (option->props == NULL)
        continue;
      const char *cpus = strcmp (option->name, "smp") == 0 ? qemu_props_get (option->props, "cpus") : NULL;
      if (strcmp (option->name, "m") == 0 && qemu_parse_size (qemu_props_get (option->props, "size"), 'M', &bytes))
        dom->memory_kib = bytes / 1024;
      else if (cpus != NULL && g_ascii_string_to_unsigned (cpus, 10, 1, G_MAXUINT16, &count, NULL))
        dom->vcpus = (guint) count;
      else if (strcmp (option->name, "numa") == 0 && g_strcmp0 (qemu_props_get (option->props, "type"), "node") == 0)
        read_numa_node (&mb, option);
    }
  read_nics (&mb);
  for (guint i = 0; i < cl->options->len; i++)
    {
      const qemu_option *option = qemu_cmdline_option (cl, i);
      if (strcmp (option->name, "device") == 0 && option->props != NULL)
        model_read_device (&mb, option, qemu_props_get (option->props, "driver"));
      else if (strcmp (option->name, "virtfs") == 0 && option->props != NULL)
        model_read_device (&mb, option, "virtio-9p-pci");
    }
  read_drives (&mb);

  g_ptr_array_sort (dom->buses, compare_bus_index);
  guest_domain_resolve (dom);
  g_ptr_array_sort (cl->notes, compare_notes);
  g_hash_table_unref (mb.buses);
  g_hash_table_unref (mb.device_ids);
  g_hash_table_unref (mb.objects);
  g_ptr_array_unref (mb.globals);
  g_array_unref (mb.index_used);
  return g_steal_pointer (&dom);
}
