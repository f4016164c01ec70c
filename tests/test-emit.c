/* The emitters and the atomic writer: the XML reads back into the same
 * model (one model for plan and validate), a merge keeps every base node,
 * the QEMU script survives any character in a value, JSON is stable, and a
 * failed write leaves the previous file alone. */
#include <glib/gstdio.h>
#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "domainxml.h"
#include "emit.h"
#include "errors.h"
#include "hostload.h"
#include "planner.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

static host_model *
load_fixture (const char *name)
{
  const char *srcdir = g_getenv ("SRCDIR");
  g_autofree char *root = g_build_filename (srcdir ? srcdir : ".", "tests", "data", "hosts", name, NULL);
  g_autofree char *hwinfo = g_build_filename (root, "hwinfo.json", NULL);
  host_load_options opts = { .root = root };
  if (g_file_test (hwinfo, G_FILE_TEST_EXISTS))
    opts.hwinfo_json = hwinfo;
  g_autoptr (GError) error = NULL;
  host_model *host = host_load (&opts, &error);
  g_assert_no_error (error);
  return host;
}

static guest_plan *
plan_host_for (const host_model *host, const char *name, guest_domain *base, const char *libvirt)
{
  plan_request req;
  plan_request_init (&req);
  if (libvirt != NULL)
    g_assert_true (sw_version_parse (libvirt, &req.target_libvirt.version));
  req.all_vfio = TRUE;
  req.check_libvirt = TRUE;
  req.base_name = "base.xml";
  if (name != NULL)
    req.name = name;
  g_autoptr (GError) error = NULL;
  guest_plan *plan = planner_plan (host, &req, base, &error);
  g_assert_no_error (error);
  return plan;
}

static guest_plan *
plan_host (const host_model *host, const char *name, guest_domain *base)
{
  return plan_host_for (host, name, base, NULL);
}

static emit_options
options (gboolean explain)
{
  emit_options opts;
  emit_options_init (&opts);
  opts.explain = explain;
  opts.generator = "smmuctl test";
  return opts;
}

/* ---- XML ---- */

/* The planned XML read by the domain reader gives the planner's model. */
static void
assert_same_model (const guest_domain *planned, const guest_domain *read, guint from_bus, guint from_ep,
                   guint from_iommu)
{
  for (guint i = from_bus; i < planned->buses->len; i++)
    {
      const guest_bus *p = g_ptr_array_index (planned->buses, i);
      const guest_bus *r = guest_find_bus (read, p->index);
      g_assert_nonnull (r);
      g_assert_cmpint (r->kind, ==, p->kind);
      g_assert_cmpint (r->parent, ==, p->parent);
      g_assert_cmpint (r->slot, ==, p->slot);
      g_assert_cmpint (r->function, ==, p->function);
      g_assert_cmpint (r->bus_nr, ==, p->bus_nr);
      g_assert_cmpint (r->numa_node, ==, p->numa_node);
      g_assert_cmpint (r->chassis, ==, p->chassis);
      g_assert_cmpint (r->port, ==, p->port);
      g_assert_cmpint (r->hotplug, ==, p->hotplug);
      g_assert_cmpstr (r->id, ==, p->id);
    }
  guint hostdevs = 0;
  for (guint i = 0; i < read->endpoints->len; i++)
    hostdevs += ((const guest_endpoint *) g_ptr_array_index (read->endpoints, i))->kind == GUEST_EP_HOSTDEV;
  g_assert_cmpuint (hostdevs, >=, planned->endpoints->len - from_ep);
  for (guint i = from_ep; i < planned->endpoints->len; i++)
    {
      const guest_endpoint *p = g_ptr_array_index (planned->endpoints, i);
      const guest_endpoint *r = NULL;
      for (guint j = 0; j < read->endpoints->len && r == NULL; j++)
        {
          const guest_endpoint *e = g_ptr_array_index (read->endpoints, j);
          if (g_strcmp0 (e->host_bdf, p->host_bdf) == 0)
            r = e;
        }
      g_assert_nonnull (r);
      g_assert_cmpint (r->bus, ==, p->bus);
      g_assert_cmpint (r->slot, ==, p->slot);
      g_assert_cmpint (r->function, ==, p->function);
      g_assert_cmpint (r->iommufd, ==, TRI_YES);
      g_assert_true (r->address_explicit);
    }
  g_assert_cmpuint (read->iommus->len, ==, planned->iommus->len);
  for (guint i = from_iommu; i < planned->iommus->len; i++)
    {
      const guest_iommu *p = g_ptr_array_index (planned->iommus, i);
      const guest_iommu *r = g_ptr_array_index (read->iommus, i);
      g_assert_cmpint (r->pci_bus, ==, p->pci_bus);
      for (int k = 0; k < VSMMU_PROP_CMDQV; k++)
        {
          /* libvirt XML has no 'auto': a planned auto is left out, QEMU's default. */
          g_assert_cmpint (r->props[k].state, ==, p->props[k].state == PROP_AUTO ? PROP_ABSENT : p->props[k].state);
          g_assert_cmpuint (r->props[k].value, ==, p->props[k].value);
        }
    }
  g_assert_cmpuint (read->mmio64_size, ==, planned->mmio64_size);
  g_assert_cmpint (read->mmio64_source, ==, planned->mmio64_source);
  g_assert_cmpuint (read->numa_cells->len, ==, planned->numa_cells->len);
}

static void
test_xml_reads_back (void)
{
  static const char *const hosts[] = { "gb200", "altra", "kunpeng", "no-iommufd" };
  for (gsize h = 0; h < G_N_ELEMENTS (hosts); h++)
    {
      g_autoptr (host_model) host = load_fixture (hosts[h]);
      g_autoptr (guest_plan) plan = plan_host (host, NULL, NULL);
      emit_options opts = options (FALSE);
      g_autoptr (GError) error = NULL;
      g_autofree char *xml = emit_xml (plan, &opts, &error);
      g_assert_no_error (error);
      g_assert_null (strstr (xml, "<!--"));
      g_autoptr (guest_domain) read = domainxml_read_memory (xml, strlen (xml), "plan.xml", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (read->arch, ==, "aarch64");
      g_assert_cmpstr (read->domain_type, ==, "kvm");
      g_assert_cmpint (read->acpi, ==, TRI_YES);
      assert_same_model (plan->domain, read, 0, 0, 0);
      /* no emulated PCI device anywhere: no USB controller, no balloon */
      for (guint i = 0; i < read->endpoints->len; i++)
        g_assert_cmpint (((const guest_endpoint *) g_ptr_array_index (read->endpoints, i))->kind, ==,
                         GUEST_EP_HOSTDEV);

      /* --explain only adds comments, each a valid XML comment */
      opts.explain = TRUE;
      g_autofree char *explained = emit_xml (plan, &opts, &error);
      g_assert_no_error (error);
      g_assert_nonnull (strstr (explained, "<!-- smmuctl: targets: QEMU"));
      g_autoptr (xmlDoc) doc = xmlReadMemory (explained, (int) strlen (explained), "x.xml", NULL, XML_PARSE_NONET);
      g_assert_nonnull (doc);
    }
}

/* Two functions of one host slot share one guest slot: function 0 carries
 * multifunction='on' in the XML and multifunction=on in the QEMU script
 * (QEMU refuses "PCI: 00.0 indicates single function, but 00.1 is already
 * populated" otherwise); the other function carries none. */
static void
test_multifunction (void)
{
  g_autoptr (host_model) host = load_fixture ("gb200");
  plan_request req;
  plan_request_init (&req);
  const char *nic[] = { "0000:01:00.0", "0000:01:00.1", NULL };
  req.devices = nic;
  req.managed = TRUE;
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_plan) plan = planner_plan (host, &req, NULL, &error);
  g_assert_no_error (error);
  emit_options opts = options (FALSE);
  g_autofree char *xml = emit_xml (plan, &opts, &error);
  g_assert_no_error (error);
  g_autoptr (xmlDoc) doc = xmlReadMemory (xml, (int) strlen (xml), "x.xml", NULL, XML_PARSE_NONET);
  g_assert_nonnull (doc);
  xmlXPathContextPtr ctx = xmlXPathNewContext (doc);
  static const struct {
    const char *xpath;
    int count;
  } want[] = {
    { "//hostdev[source/address/@function='0x0']/address[@function='0x0'][@multifunction='on']", 1 },
    { "//hostdev[source/address/@function='0x1']/address[@function='0x1'][not(@multifunction)]", 1 },
    { "//address[@multifunction]", 1 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      xmlXPathObjectPtr hits = xmlXPathEvalExpression (BAD_CAST want[i].xpath, ctx);
      g_assert_nonnull (hits);
      int n = hits->nodesetval != NULL ? hits->nodesetval->nodeNr : 0;
      if (n != want[i].count)
        g_error ("%s: %d nodes, wanted %d in\n%s", want[i].xpath, n, want[i].count, xml);
      xmlXPathFreeObject (hits);
    }
  xmlXPathFreeContext (ctx);
  /* a QEMU script takes no managed devices: the same slot as if they were bound */
  for (guint i = 0; i < plan->domain->endpoints->len; i++)
    ((guest_endpoint *) g_ptr_array_index (plan->domain->endpoints, i))->managed = FALSE;
  g_autofree char *script = emit_qemu (plan, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (script, "vfio-pci,host=0000:01:00.0,iommufd=iommufd0,id=hostdev0,bus=pci.2,addr=0x0.0x0,"
                                    "multifunction=on"));
  g_assert_nonnull (strstr (script, "vfio-pci,host=0000:01:00.1,iommufd=iommufd0,id=hostdev1,bus=pci.2,addr=0x0.0x1\n"));
}

static const char base_xml[] =
  "<!-- keep this comment -->\n"
  "<domain type='kvm' xmlns:q='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
  "    <name>base &amp; co</name>\n"
  "    <memory unit='GiB'>8</memory>\n"
  "    <vcpu>4</vcpu>\n"
  "    <os>\n"
  "        <type arch='aarch64' machine='virt'>hvm</type>\n"
  "    </os>\n"
  "    <cpu mode='host-passthrough'/>\n"
  "    <devices>\n"
  "        <controller type='pci' index='0' model='pcie-root'/>\n"
  "        <controller type='pci' index='1' model='pcie-root-port'>\n"
  "            <target chassis='1' port='0x8'/>\n"
  "            <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x0'/>\n"
  "        </controller>\n"
  "        <!-- the NIC stays where I put it -->\n"
  "        <interface type='network'>\n"
  "            <source network='default'/>\n"
  "            <model type='virtio'/>\n"
  "            <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
  "        </interface>\n"
  "        <memballoon model='none'/>\n"
  "    </devices>\n"
  "    <q:commandline>\n"
  "        <q:arg value='-msg'/>\n"
  "        <q:arg value='timestamp=on'/>\n"
  "    </q:commandline>\n"
  "</domain>\n";

static void
collect_elements (xmlNode *node, GPtrArray *out)
{
  for (xmlNode *n = node; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE || n->type == XML_COMMENT_NODE)
      {
        g_autoptr (GString) s = g_string_new ((const char *) n->name);
        if (n->type == XML_COMMENT_NODE)
          g_string_append_printf (s, "[%s]", (const char *) n->content);
        for (xmlAttr *a = n->properties; a; a = a->next)
          {
            g_autofree char *v = (char *) xmlNodeGetContent ((xmlNode *) a);
            g_string_append_printf (s, " %s=%s", (const char *) a->name, v);
          }
        g_ptr_array_add (out, g_string_free (g_steal_pointer (&s), FALSE));
        collect_elements (n->children, out);
      }
}

static void
test_xml_merge_keeps_base (void)
{
  g_autoptr (host_model) host = load_fixture ("gb200");
  g_autoptr (GError) error = NULL;
  guest_domain *base = domainxml_read_memory (base_xml, strlen (base_xml), "base.xml", &error);
  g_assert_no_error (error);
  g_autoptr (guest_plan) plan = plan_host (host, NULL, base);
  emit_options opts = options (FALSE);
  opts.base_xml = base_xml;
  opts.base_len = strlen (base_xml);
  opts.base_name = "base.xml";
  g_autofree char *xml = emit_xml (plan, &opts, &error);
  g_assert_no_error (error);

  /* every base element and comment, with its attributes, is still there in order */
  g_autoptr (xmlDoc) before = xmlReadMemory (base_xml, (int) strlen (base_xml), "b", NULL, XML_PARSE_NONET);
  g_autoptr (xmlDoc) after = xmlReadMemory (xml, (int) strlen (xml), "a", NULL, XML_PARSE_NONET);
  g_assert_nonnull (after);
  g_autoptr (GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) now = g_ptr_array_new_with_free_func (g_free);
  collect_elements (before->children, old);
  collect_elements (after->children, now);
  guint j = 0;
  for (guint i = 0; i < old->len; i++)
    {
      while (j < now->len && g_strcmp0 (g_ptr_array_index (now, j), g_ptr_array_index (old, i)) != 0)
        j++;
      if (j == now->len)
        g_error ("base element '%s' lost or moved", (const char *) g_ptr_array_index (old, i));
    }
  /* the planned elements are indented like the base's (4 spaces) */
  g_assert_nonnull (strstr (xml, "\n        <controller type=\"pci\" index=\"2\" model=\"pcie-expander-bus\">\n"
                                 "            <model name=\"pxb-pcie\"/>\n"));
  /* ACPI was missing: added; the window (libvirt 12.9) goes on the base's own pcie-root */
  g_assert_true (plan->add_acpi);
  g_assert_nonnull (strstr (xml, "<features>\n        <acpi/>\n    </features>"));
  g_assert_nonnull (strstr (xml, "<controller type=\"pci\" index=\"0\" model=\"pcie-root\">\n"
                                 "            <pcihole64 unit=\"KiB\">4294967296</pcihole64>\n"
                                 "        </controller>"));
  g_assert_null (strstr (xml, "<q:arg value=\"-machine\"/>"));
  g_assert_null (strstr (xml, "auto"));

  /* A base that sets the window on the QEMU command line keeps doing so (a
   * later -machine wins over libvirt's <pcihole64>), reusing its prefix for
   * the qemu namespace. */
  g_autofree char *cl_base_xml = g_strdup (base_xml);
  char *msg = strstr (cl_base_xml, "<q:arg value='-msg'/>");
  g_assert_nonnull (msg);
  g_autofree char *with_window = g_strdup_printf ("%.*s<q:arg value='-machine'/><q:arg value='highmem-mmio-size=1T'/>%s",
                                                  (int) (msg - cl_base_xml), cl_base_xml, msg);
  guest_domain *cl_base = domainxml_read_memory (with_window, strlen (with_window), "base.xml", &error);
  g_assert_no_error (error);
  g_autoptr (guest_plan) cl_plan = plan_host (host, NULL, cl_base);
  emit_options cl_opts = opts;
  cl_opts.base_xml = with_window;
  cl_opts.base_len = strlen (with_window);
  g_autofree char *cl_xml = emit_xml (cl_plan, &cl_opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (cl_xml, "<q:arg value=\"highmem-mmio-size=4T\"/>"));
  g_assert_null (strstr (cl_xml, "xmlns:qemu"));
  g_assert_null (strstr (cl_xml, "pcihole64"));

  /* and the merged document reads back: base placement unchanged, plan as planned */
  g_autoptr (guest_domain) read = domainxml_read_memory (xml, strlen (xml), "merged.xml", &error);
  g_assert_no_error (error);
  assert_same_model (plan->domain, read, plan->n_base_buses, plan->n_base_endpoints, plan->n_base_iommus);
  const guest_endpoint *nic = g_ptr_array_index (read->endpoints, 0);
  g_assert_cmpstr (nic->model, ==, "virtio-net-pci");
  g_assert_cmpint (nic->bus, ==, 1);

  /* the QEMU script cannot merge */
  g_autofree char *script = emit_qemu (plan, &opts, &error);
  g_assert_null (script);
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE);
}

/* ---- QEMU script ---- */

static char **
run_script (const char *script, const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "run.sh", NULL);
  g_autofree char *fake = g_build_filename (dir, "fake-qemu", NULL);
  g_autofree char *args = g_build_filename (dir, "args", NULL);
  g_assert_true (g_file_set_contents (path, script, -1, NULL));
  g_autofree char *fake_text = g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$@\" > '%s'\n", args);
  g_assert_true (g_file_set_contents (fake, fake_text, -1, NULL));
  g_assert_cmpint (g_chmod (fake, 0755), ==, 0);
  const char *argv[] = { "/bin/sh", path, NULL };
  g_auto (GStrv) env = g_get_environ ();
  env = g_environ_setenv (env, "QEMU", fake, TRUE);
  int status = 0;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  g_assert_true (g_spawn_sync (dir, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("script failed: %s", err);
  g_autofree char *out = NULL;
  g_assert_true (g_file_get_contents (args, &out, NULL, NULL));
  return g_strsplit (out, "\n", -1);
}

static gboolean
has_arg (char **argv, const char *option, const char *value)
{
  for (char **a = argv; a[0] && a[1]; a++)
    if (strcmp (a[0], option) == 0 && strcmp (a[1], value) == 0)
      return TRUE;
  return FALSE;
}

static void
test_qemu_script_quoting (void)
{
  g_autoptr (host_model) host = load_fixture ("kunpeng");
  const char *name = "it's a \"vm\", $HOME `id` \\ ok";
  g_autoptr (guest_plan) plan = plan_host (host, name, NULL);
  g_autofree char *dir = g_dir_make_tmp ("emit-XXXXXX", NULL);
  g_autofree char *nvram = g_build_filename (dir, "odd dir, it's $x.fd", NULL);
  g_autofree char *vars = g_build_filename (dir, "vars template.fd", NULL);
  g_assert_true (g_file_set_contents (vars, "VARS", -1, NULL));
  emit_options opts = options (TRUE);
  opts.nvram = nvram;
  opts.firmware_vars = vars;
  g_autoptr (GError) error = NULL;
  g_autofree char *script = emit_qemu (plan, &opts, &error);
  g_assert_no_error (error);
  g_auto (GStrv) argv = run_script (script, dir);

  /* QEMU's own escaping survives the shell: commas doubled, the rest verbatim */
  g_assert_true (has_arg (argv, "-name", "guest=it's a \"vm\",, $HOME `id` \\ ok"));
  g_autofree char *drive = g_strdup_printf ("if=pflash,format=raw,unit=1,file=%s/odd dir,, it's $x.fd", dir);
  g_assert_true (has_arg (argv, "-drive", drive));
  /* the script copied the variable-store template to the odd path */
  g_autofree char *copied = NULL;
  g_assert_true (g_file_get_contents (nvram, &copied, NULL, NULL));
  g_assert_cmpstr (copied, ==, "VARS");
  /* libvirt's ids, vSMMUs before the devices below them */
  g_assert_true (has_arg (argv, "-object", "iommufd,id=iommufd0"));
  g_assert_true (has_arg (argv, "-device", "pxb-pcie,bus_nr=252,id=pci.1,numa_node=0,bus=pcie.0,addr=0x1"));
  g_assert_true (has_arg (argv, "-device", "pcie-root-port,port=0,chassis=3,id=pci.3,bus=pci.1,addr=0x0,hotplug=off"));
  g_assert_true (has_arg (argv, "-device",
                          "arm-smmuv3,primary-bus=pci.1,id=iommu0,accel=on,ats=off,ril=on,ssidsize=0,oas=48"));
  g_assert_true (has_arg (argv, "-device",
                          "vfio-pci,host=0000:7d:00.2,iommufd=iommufd0,id=hostdev0,bus=pci.3,addr=0x0.0x0"));
  int smmu_at = -1, vfio_at = -1;
  for (int i = 0; argv[i]; i++)
    {
      if (g_str_has_prefix (argv[i], "arm-smmuv3,") && smmu_at < 0)
        smmu_at = i;
      if (g_str_has_prefix (argv[i], "vfio-pci,") && vfio_at < 0)
        vfio_at = i;
    }
  g_assert_cmpint (smmu_at, <, vfio_at);
  g_assert_true (has_arg (argv, "-numa", "node,nodeid=2,cpus=2,memdev=ram-node2"));
  /* one socket per vCPU as libvirt writes it: a bare -smp 4 with NUMA cells
   * makes QEMU 11.1 warn that a socket's CPUs sit on two nodes */
  g_assert_true (has_arg (argv, "-smp", "4,sockets=4,cores=1,threads=1"));
  g_assert_true (has_arg (argv, "-m", "4G"));
  /* comments (--explain) never break the command */
  g_assert_nonnull (strstr (script, "\n# root complex for host SMMU smmu3.0x0000000140000000"));

  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (rm), ==, 0);
}

/* A name from a host document cannot turn a comment into a command. */
static void
test_qemu_script_injection (void)
{
  g_autoptr (host_model) host = host_model_new ();
  host_smmu *smmu = host_smmu_new ();
  smmu->name = g_strdup ("smmu3.0x0000000016000000\ntouch PWNED; #");
  smmu->hwinfo.known = TRUE; /* no S1P/S2P: the plan warns that it cannot nest, naming it */
  g_ptr_array_add (host->smmus, smmu);
  host_pci_device *dev = host_pci_device_new ();
  dev->bdf = g_strdup ("0000:01:00.0");
  dev->bus = 1;
  dev->driver = g_strdup ("vfio-pci");
  dev->smmu = g_strdup (smmu->name);
  dev->iommu_group = 1;
  g_ptr_array_add (host->devices, dev);
  host_iommu_group *group = host_iommu_group_new (1);
  g_ptr_array_add (group->devices, g_strdup (dev->bdf));
  g_ptr_array_add (host->groups, group);
  host_model_finish (host);
  g_autoptr (guest_plan) plan = plan_host (host, "$(touch PWNED)", NULL);
  g_assert_cmpuint (plan->warnings->len, >, 0);
  g_autofree char *dir = g_dir_make_tmp ("emit-XXXXXX", NULL);
  g_autofree char *vars = g_build_filename (dir, "vars.fd", NULL);
  g_assert_true (g_file_set_contents (vars, "VARS", -1, NULL));
  emit_options opts = options (FALSE);
  opts.firmware_vars = vars;
  g_autoptr (GError) error = NULL;
  g_autofree char *script = emit_qemu (plan, &opts, &error);
  g_assert_no_error (error);
  g_auto (GStrv) argv = run_script (script, dir);
  g_assert_true (has_arg (argv, "-name", "guest=$(touch PWNED)"));
  g_autofree char *pwned = g_build_filename (dir, "PWNED", NULL);
  g_assert_false (g_file_test (pwned, G_FILE_TEST_EXISTS));
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (rm), ==, 0);
}

static void
test_qemu_sizes (void)
{
  static const struct {
    guint64 bytes;
    const char *text;
  } cases[] = {
    { G_GUINT64_CONSTANT (2) << 40, "2T" },
    { G_GUINT64_CONSTANT (768) << 30, "768G" },
    { G_GUINT64_CONSTANT (4096) << 20, "4G" },
    { G_GUINT64_CONSTANT (1536) << 20, "1536M" },
    { 1024, "1K" },
    { 1000, "1000" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = emit_qemu_size (cases[i].bytes);
      g_assert_cmpstr (s, ==, cases[i].text);
    }
}

/* ---- JSON ---- */

static void
test_json (void)
{
  g_autoptr (host_model) host = load_fixture ("gb200");
  g_autoptr (guest_plan) plan = plan_host (host, "gpu-vm", NULL);
  emit_options opts = options (FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *a = emit_json (plan, host, &opts, &error);
  g_autofree char *b = emit_json (plan, host, &opts, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, b);
  json_object *doc = json_tokener_parse (a);
  g_assert_nonnull (doc);
  json_object *v = NULL;
  g_assert_true (json_object_object_get_ex (doc, "format", &v));
  g_assert_cmpstr (json_object_get_string (v), ==, "smmuctl-plan");
  json_object *vsmmus = json_object_object_get (doc, "vsmmus");
  g_assert_cmpuint (json_object_array_length (vsmmus), ==, 6);
  json_object *second = json_object_array_get_idx (vsmmus, 1);
  json_object *smmu = json_object_object_get (second, "host_smmu");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (smmu, "name")), ==, "smmu3.0x0000000016000000");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (smmu, "nesting")), ==, "yes");
  json_object *props = json_object_object_get (second, "props");
  g_assert_cmpint (json_object_get_int (json_object_object_get (props, "ssidsize")), ==, 20);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (props, "ats")), ==, "on");
  g_assert_nonnull (strstr (json_object_get_string (json_object_object_get (second, "why")), "ssidsize=20"));
  json_object *ranges = json_object_object_get (doc, "bus_ranges");
  json_object *pcie0 = json_object_array_get_idx (ranges, 0);
  g_assert_cmpint (json_object_get_int (json_object_object_get (pcie0, "last")), ==, 2);
  json_object *mmio = json_object_object_get (doc, "mmio64");
  g_assert_cmpstr (json_object_get_string (json_object_object_get (mmio, "highmem_mmio_size")), ==, "4T");
  json_object_put (doc);
}

/* ---- atomic writes ---- */

static void
test_atomic_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("atomic-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "out.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, "old", -1, NULL));
  g_assert_true (atomic_file_write (path, "new", 3, 0666, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "new");
  struct stat st;
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  mode_t mask = umask (0);
  umask (mask);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0666 & ~mask);

  /* the target is a non-empty directory: rename fails, it stays, no temp file is left */
  g_autofree char *busy = g_build_filename (dir, "busy", NULL);
  g_autofree char *inside = g_build_filename (busy, "x", NULL);
  g_assert_cmpint (g_mkdir (busy, 0755), ==, 0);
  g_assert_true (g_file_set_contents (inside, "keep", -1, NULL));
  g_assert_false (atomic_file_write (busy, "data", 4, 0666, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT);
  g_assert_nonnull (strstr (error->message, "nothing was written"));
  g_clear_error (&error);
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint entries = 0;
  for (const char *n = g_dir_read_name (d); n; n = g_dir_read_name (d))
    {
      g_assert_false (g_str_has_prefix (n, "."));
      entries++;
    }
  g_assert_cmpuint (entries, ==, 2); /* out.xml and busy/ */

  /* an existing file keeps its permissions; a symlink stays a link */
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  g_autofree char *link = g_build_filename (dir, "link.xml", NULL);
  g_assert_cmpint (symlink ("out.xml", link), ==, 0);
  g_assert_true (atomic_file_write (link, "via link", 8, 0666, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_clear_pointer (&text, g_free);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "via link");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);

  /* a device is a stream: -o /dev/null must never replace /dev/null */
  g_assert_true (atomic_file_write ("/dev/null", "data", 4, 0666, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat ("/dev/null", &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));

  /* a directory that does not exist */
  g_autofree char *missing = g_build_filename (dir, "no", "such", "out.xml", NULL);
  g_assert_false (atomic_file_write (missing, "data", 4, 0666, &error));
  g_assert_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT);
  g_clear_error (&error);

  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (rm), ==, 0);
}

/* Properties planned as auto (no ID registers recorded) are written by
 * neither emitter: libvirt 12.9 refuses 'auto' at define, and QEMU 11.1's
 * default is auto, so the script is what libvirt would run. */
static void
test_auto_left_out (void)
{
  g_autoptr (host_model) host = load_fixture ("no-iommufd");
  g_autoptr (guest_plan) plan = plan_host (host, NULL, NULL);
  const guest_iommu *iommu = g_ptr_array_index (plan->domain->iommus, 0);
  g_assert_cmpint (iommu->props[VSMMU_PROP_ATS].state, ==, PROP_AUTO);
  g_assert_cmpint (iommu->props[VSMMU_PROP_OAS].state, ==, PROP_AUTO);
  emit_options opts = options (TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = emit_xml (plan, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<driver pciBus=\"1\" accel=\"on\"/>"));
  g_assert_nonnull (strstr (xml, "ats, ril, ssidsize and oas left to QEMU's default, auto"));
  g_autofree char *script = emit_qemu (plan, &opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (script, "-device arm-smmuv3,primary-bus=pci.1,id=iommu0,accel=on\n"));
  g_assert_null (strstr (script, ",ats=auto"));
  g_assert_null (strstr (script, ",oas=auto"));
  /* it relies on QEMU's auto, so it needs the QEMU that has it */
  g_assert_nonnull (strstr (script, "# Needs QEMU 11.1.0 or newer"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/emit/xml/reads-back", test_xml_reads_back);
  g_test_add_func ("/emit/xml/merge-keeps-base", test_xml_merge_keeps_base);
  g_test_add_func ("/emit/xml/multifunction", test_multifunction);
  g_test_add_func ("/emit/qemu/quoting", test_qemu_script_quoting);
  g_test_add_func ("/emit/qemu/injection", test_qemu_script_injection);
  g_test_add_func ("/emit/qemu/sizes", test_qemu_sizes);
  g_test_add_func ("/emit/auto-left-out", test_auto_left_out);
  g_test_add_func ("/emit/json", test_json);
  g_test_add_func ("/emit/atomic-file", test_atomic_file);
  return g_test_run ();
}
