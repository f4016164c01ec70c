/* The host-independent rules on small documents: which code fires, where
 * (line, element path), with which severity, and what the message and hint
 * say; plus the finding-code table itself. */
#include <string.h>

#include "domainxml.h"
#include "findings.h"
#include "rules.h"

/* A correct accelerated layout; the cases below edit it. */
static const char base_xml[] =
  "<domain type='kvm'>\n"                                                                  /* 1 */
  "<name>vm</name>\n"
  "<os firmware='efi'><type arch='aarch64' machine='virt'>hvm</type></os>\n"
  "<features><acpi/></features>\n"                                                         /* 4 */
  "<cpu><numa><cell id='0' cpus='0-3' memory='8' unit='GiB'/></numa></cpu>\n"
  "<devices>\n"                                                                            /* 6 */
  "<controller type='pci' index='0' model='pcie-root'/>\n"
  "<controller type='pci' index='1' model='pcie-root-port'><target chassis='1' port='0x1' hotplug='off'/>"
  "<address type='pci' bus='0x00' slot='0x01' function='0x0'/></controller>\n"            /* 8 */
  "<controller type='pci' index='3' model='pcie-expander-bus'><model name='pxb-pcie'/><target busNr='252'>"
  "<node>0</node></target><address type='pci' bus='0x00' slot='0x03' function='0x0'/></controller>\n" /* 9 */
  "<controller type='pci' index='4' model='pcie-root-port'><target chassis='4' port='0x0' hotplug='off'/>"
  "<address type='pci' bus='0x03' slot='0x00' function='0x0'/></controller>\n"            /* 10 */
  "<interface type='network'><source network='default'/><model type='virtio'/>"
  "<address type='pci' bus='0x01' slot='0x00' function='0x0'/></interface>\n"             /* 11 */
  "<hostdev mode='subsystem' type='pci' managed='yes'><driver iommufd='yes'/>"
  "<source><address domain='0x0008' bus='0x01' slot='0x00' function='0x0'/></source>"
  "<address type='pci' bus='0x04' slot='0x00' function='0x0'/></hostdev>\n"               /* 12 */
  "<memballoon model='none'/>\n"
  "<iommu model='smmuv3'><driver pciBus='3' accel='on' ats='on' ril='on' ssidsize='20' oas='48'/></iommu>\n" /* 14 */
  "</devices>\n"
  "</domain>\n";

/* base_xml with `from` replaced by `to` (which must occur). */
static char *
edit (const char *xml, const char *from, const char *to)
{
  const char *at = strstr (xml, from);
  if (at == NULL)
    g_error ("'%s' not in the document", from);
  return g_strdup_printf ("%.*s%s%s", (int) (at - xml), xml, to, at + strlen (from));
}

static finding_list *
check_with (const char *xml, const rule_options *opts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory (xml, strlen (xml), "t.xml", &error);
  g_assert_no_error (error);
  finding_list *list = finding_list_new ("t.xml");
  rules_check_domain (dom, opts, list);
  /* Every finding is complete, whatever the rule. */
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      g_assert_nonnull (f->info);
      g_assert_cmpstr (f->file, ==, "t.xml");
      g_assert_cmpint (f->line, >, 0);
      g_assert_nonnull (f->path);
      g_assert_true (g_str_has_prefix (f->path, "/domain"));
      g_assert_cmpuint (strlen (f->message), >, 20);
      g_assert_null (strchr (f->message, '\n'));
    }
  return list;
}

static finding_list *
check (const char *xml)
{
  return check_with (xml, NULL);
}

static guint
count (const finding_list *list, const char *code)
{
  guint n = 0;
  for (guint i = 0; i < finding_list_len (list); i++)
    n += strcmp (finding_list_get (list, i)->info->code, code) == 0;
  return n;
}

static const finding *
get (const finding_list *list, const char *code)
{
  for (guint i = 0; i < finding_list_len (list); i++)
    if (strcmp (finding_list_get (list, i)->info->code, code) == 0)
      return finding_list_get (list, i);
  g_error ("no %s finding", code);
}

/* The finding of code whose message contains text. */
static const finding *
get_with (const finding_list *list, const char *code, const char *text)
{
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      if (strcmp (f->info->code, code) == 0 && strstr (f->message, text) != NULL)
        return f;
    }
  g_error ("no %s finding that says '%s'", code, text);
}

static void
assert_contains (const char *haystack, const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("'%s' not in '%s'", needle, haystack ? haystack : "(null)");
}

static void
test_base_is_clean (void)
{
  g_autoptr (finding_list) list = check (base_xml);
  g_assert_cmpuint (finding_list_count (list, SEVERITY_ERROR), ==, 0);
  g_assert_cmpuint (finding_list_count (list, SEVERITY_WARNING), ==, 0);
  g_assert_cmpuint (finding_list_len (list), ==, 2);
  const finding *migration = get (list, "SMU207");
  g_assert_cmpint (migration->severity, ==, SEVERITY_INFO);
  g_assert_cmpint (migration->line, ==, 14);
  const finding *window = get (list, "SMU402");
  /* No host: the window check is information, not a warning. */
  g_assert_cmpint (window->severity, ==, SEVERITY_INFO);
  g_assert_cmpint (window->info->severity, ==, SEVERITY_WARNING);
  assert_contains (window->message, "QEMU's default 512 GiB");
  /* Sorted by line. */
  g_assert_cmpint (finding_list_get (list, 0)->line, <=, finding_list_get (list, 1)->line);
}

static void
test_pci_bus (void)
{
  g_autofree char *busnr = edit (base_xml, "pciBus='3'", "pciBus='252'");
  g_autoptr (finding_list) a = check (busnr);
  g_assert_cmpuint (count (a, "SMU103"), ==, 1);
  g_assert_cmpuint (count (a, "SMU101"), ==, 0); /* the more specific code only */
  g_assert_cmpint (get (a, "SMU103")->line, ==, 14);
  g_assert_cmpstr (get (a, "SMU103")->path, ==, "/domain/devices/iommu[1]");
  assert_contains (get (a, "SMU103")->hint, "pciBus='3'");
  g_assert_cmpuint (count (a, "SMU203"), ==, 0); /* no guessing below a vSMMU we cannot place */
  g_assert_cmpuint (count (a, "SMU106"), ==, 0);

  g_autofree char *nothing = edit (base_xml, "pciBus='3'", "pciBus='9'");
  g_autoptr (finding_list) b = check (nothing);
  g_assert_cmpuint (count (b, "SMU101"), ==, 1);
  assert_contains (get (b, "SMU101")->hint, "0 (pcie.0), 3 (pci.3)");

  g_autofree char *port = edit (base_xml, "pciBus='3'", "pciBus='4'");
  g_autoptr (finding_list) c = check (port);
  g_assert_cmpuint (count (c, "SMU102"), ==, 1);
  assert_contains (get (c, "SMU102")->message, "pcie-root-port pci.4 (line 10)");
  assert_contains (get (c, "SMU102")->hint, "pciBus='3'");

  /* Near miss: pciBus='3' is a valid pxb index and equals another pxb's busNr. */
  g_autofree char *other = edit (base_xml, "<interface",
                                 "<controller type='pci' index='6' model='pcie-expander-bus'><target busNr='3'/>"
                                 "<address type='pci' bus='0x00' slot='0x05' function='0x0'/></controller>\n<interface");
  g_autoptr (finding_list) d = check (other);
  g_assert_cmpuint (count (d, "SMU103") + count (d, "SMU101") + count (d, "SMU102"), ==, 0);
}

static void
test_iommu_layout (void)
{
  g_autofree char *twice = edit (base_xml, "</devices>", "<iommu model='smmuv3'><driver pciBus='3'/></iommu>\n</devices>");
  g_autoptr (finding_list) a = check (twice);
  g_assert_cmpuint (count (a, "SMU104"), ==, 1);
  g_assert_cmpint (get (a, "SMU104")->line, ==, 15);
  assert_contains (get (a, "SMU104")->message, "iommu0 (line 14)");

  g_autofree char *mixed = edit (base_xml, "</devices>", "<iommu model='smmuv3'/>\n</devices>");
  g_autoptr (finding_list) b = check (mixed);
  g_assert_cmpuint (count (b, "SMU105"), ==, 1);
  g_assert_cmpuint (count (b, "SMU104"), ==, 0);

  g_autofree char *pcie0 = edit (base_xml, "</devices>", "<iommu model='smmuv3'><driver pciBus='0'/></iommu>\n</devices>");
  g_autoptr (finding_list) c = check (pcie0);
  g_assert_cmpuint (count (c, "SMU104") + count (c, "SMU105"), ==, 0);
}

static void
test_hostdev_without_vsmmu (void)
{
  static const char second_gpu[] =
    "<controller type='pci' index='5' model='pcie-root-port'><target chassis='5' port='0x4' hotplug='off'/>"
    "<address type='pci' bus='0x00' slot='0x04' function='0x0'/></controller>\n"
    "<hostdev mode='subsystem' type='pci' managed='yes'><driver iommufd='yes'/>"
    "<source><address domain='0x0009' bus='0x01' slot='0x00' function='0x0'/></source>"
    "<address type='pci' bus='0x05' slot='0x00' function='0x0'/></hostdev>\n<memballoon";
  g_autofree char *accel = edit (base_xml, "<memballoon", second_gpu);
  g_autoptr (finding_list) a = check (accel);
  g_assert_cmpuint (count (a, "SMU106"), ==, 1);
  g_assert_cmpint (get (a, "SMU106")->severity, ==, SEVERITY_ERROR);
  g_assert_cmpint (get (a, "SMU106")->line, ==, 14);
  g_assert_cmpstr (get (a, "SMU106")->path, ==, "/domain/devices/hostdev[2]");
  assert_contains (get (a, "SMU106")->message, "hostdev 0009:01:00.0 is below pcie.0");

  g_autofree char *plain = edit (accel, " accel='on' ats='on' ril='on' ssidsize='20' oas='48'", "");
  g_autoptr (finding_list) b = check (plain);
  g_assert_cmpuint (count (b, "SMU106"), ==, 1);
  g_assert_cmpint (get (b, "SMU106")->severity, ==, SEVERITY_WARNING);

  /* No guest IOMMU at all: plain passthrough, nothing to say. */
  g_autofree char *none = edit (plain, "<iommu model='smmuv3'><driver pciBus='3'/></iommu>\n", "");
  g_autoptr (finding_list) c = check (none);
  g_assert_cmpuint (count (c, "SMU106"), ==, 0);
}

static void
test_emulated_below_accel (void)
{
  /* The NIC loses its address; the only free port is a spare one below the
   * pxb (index 2: were it 5, libvirt would fill the unused index 2 with a
   * root port on pcie.0 and put the NIC there, as below). */
  g_autofree char *spare = edit (base_xml, "<interface",
                                 "<controller type='pci' index='2' model='pcie-root-port'>"
                                 "<address type='pci' bus='0x03' slot='0x01' function='0x0'/></controller>\n<interface");
  g_autofree char *unaddressed = edit (spare, "<address type='pci' bus='0x01' slot='0x00' function='0x0'/></interface>",
                                       "</interface>");
  g_autofree char *with_port1_taken = edit (unaddressed, "<memballoon model='none'/>",
                                            "<memballoon model='virtio'><address type='pci' bus='0x01' slot='0x00' "
                                            "function='0x0'/></memballoon>");
  g_autoptr (finding_list) a = check (with_port1_taken);
  g_assert_cmpuint (count (a, "SMU201"), ==, 1);
  const finding *f = get (a, "SMU201");
  g_assert_cmpint (f->line, ==, 12);
  g_assert_cmpstr (f->path, ==, "/domain/devices/interface[1]");
  assert_contains (f->message, "<interface> (virtio-net-pci) sits below pci.3 (busNr 252)");
  assert_contains (f->message, "Emulated endpoint devices are not allowed when using arm-smmuv3,accel=on");
  assert_contains (f->message, "no <address>: libvirt would place it on the first free port, pci.2 (line 11)");
  g_assert_cmpuint (count (a, "SMU204"), ==, 1); /* the spare port allows hotplug */

  /* The spare port at index 5 leaves index 2 unused: libvirt adds a root
   * port 2 on pcie.0 (measured, libvirt 12.9) and the NIC lands there. */
  g_autofree char *gap = edit (with_port1_taken, "index='2' model='pcie-root-port'", "index='5' model='pcie-root-port'");
  g_autoptr (finding_list) g = check (gap);
  g_assert_cmpuint (count (g, "SMU201"), ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory (gap, strlen (gap), "t.xml", &error);
  g_assert_no_error (error);
  const guest_bus *filler = guest_find_bus (dom, 2);
  g_assert_nonnull (filler);
  g_assert_true (filler->index_gap);
  g_assert_cmpint (filler->parent, ==, 0);
  const guest_endpoint *nic = NULL;
  for (guint i = 0; i < dom->endpoints->len && nic == NULL; i++)
    if (g_strcmp0 (((const guest_endpoint *) g_ptr_array_index (dom->endpoints, i))->element, "interface") == 0)
      nic = g_ptr_array_index (dom->endpoints, i);
  g_assert_cmpint (nic->bus, ==, 2);
  assert_contains (nic->comment, "the root port it adds on pcie.0 for the unused index 2 (pci.2)");

  /* Near miss: the same below a vSMMU that is not accelerated. */
  g_autofree char *plain = edit (with_port1_taken, " accel='on' ats='on' ril='on' ssidsize='20' oas='48'", "");
  g_autoptr (finding_list) b = check (plain);
  g_assert_cmpuint (count (b, "SMU201") + count (b, "SMU204"), ==, 0);

  /* No <memballoon> on aarch64: libvirt adds none, nothing lands below the pxb. */
  g_autofree char *no_balloon = edit (gap, "<memballoon model='virtio'><address type='pci' bus='0x01' "
                                                "slot='0x00' function='0x0'/></memballoon>", "");
  g_autoptr (guest_domain) bare = domainxml_read_memory (no_balloon, strlen (no_balloon), "t.xml", NULL);
  for (guint i = 0; i < bare->endpoints->len; i++)
    g_assert_cmpstr (((const guest_endpoint *) bare->endpoints->pdata[i])->element, !=, "memballoon");
}

static void
test_iommufd_and_coldplug (void)
{
  g_autofree char *legacy = edit (base_xml, "<driver iommufd='yes'/>", "");
  g_autoptr (finding_list) a = check (legacy);
  g_assert_cmpuint (count (a, "SMU202"), ==, 1);
  const feature_info *hostdev = feature_lookup (FEAT_LIBVIRT_HOSTDEV_IOMMUFD);
  g_autofree char *since = sw_version_to_string (hostdev->since);
  assert_contains (get (a, "SMU202")->hint, since); /* versions come from the table */

  g_autofree char *domain_wide = edit (legacy, "<devices>", "<iommufd enabled='yes'/>\n<devices>");
  g_autoptr (finding_list) b = check (domain_wide);
  g_assert_cmpuint (count (b, "SMU202"), ==, 0);

  g_autofree char *empty = edit (base_xml, "<address type='pci' bus='0x04' slot='0x00' function='0x0'/></hostdev>",
                                 "<address type='pci' bus='0x01' slot='0x00' function='0x1'/></hostdev>");
  g_autoptr (finding_list) c = check (empty);
  g_assert_cmpuint (count (c, "SMU203"), ==, 1);
  g_assert_cmpuint (count (c, "SMU106"), ==, 1); /* and the GPU is now below pcie.0 */
  g_assert_null (strstr (get (c, "SMU203")->message, "'auto'"));
  g_autofree char *with_auto = edit (empty, "ats='on'", "ats='auto'");
  g_autoptr (finding_list) d = check (with_auto);
  assert_contains (get (d, "SMU203")->message, "requires at least one cold-plugged VFIO device");
}

static void
test_unresolved (void)
{
  g_autofree char *port = edit (base_xml, "<address type='pci' bus='0x03' slot='0x00' function='0x0'/></controller>",
                                "<address type='pci' bus='0x07' slot='0x00' function='0x0'/></controller>");
  g_autoptr (finding_list) a = check (port);
  g_assert_cmpuint (count (a, "SMU107"), ==, 1);
  g_assert_cmpint (get (a, "SMU107")->line, ==, 10);
  assert_contains (get (a, "SMU107")->message, "pcie-root-port pci.4 is plugged into bus 7");
  g_autofree char *pxb = edit (base_xml, "<address type='pci' bus='0x00' slot='0x03' function='0x0'/>",
                               "<address type='pci' bus='0x08' slot='0x03' function='0x0'/>");
  g_autoptr (finding_list) b = check (pxb);
  g_assert_cmpuint (count (b, "SMU107"), ==, 1);
  assert_contains (get (b, "SMU107")->message, "pcie-expander-bus pci.3 is plugged into bus 8");
}

static void
test_machine_requirements (void)
{
  g_autofree char *tcg = edit (base_xml, "type='kvm'", "type='qemu'");
  g_autoptr (finding_list) a = check (tcg);
  g_assert_cmpint (get (a, "SMU205")->line, ==, 1);
  g_autofree char *dt = edit (base_xml, "<features><acpi/></features>", "<features/>");
  g_autoptr (finding_list) b = check (dt);
  assert_contains (get (b, "SMU206")->message, "SMMUv3 with accel=on not supported for DT");
  g_autofree char *x86 = edit (base_xml, "arch='aarch64' machine='virt'", "arch='x86_64' machine='q35'");
  g_autoptr (finding_list) c = check (x86);
  g_assert_cmpuint (count (c, "SMU002"), ==, 1);
  g_autofree char *no_arch = edit (base_xml, "arch='aarch64' machine='virt'", "");
  g_autoptr (finding_list) d = check (no_arch);
  g_assert_cmpuint (count (d, "SMU002"), ==, 0); /* the host's default: not known to be wrong */
  g_autofree char *on_pcie0 = edit (base_xml, "pciBus='3'", "pciBus='0'");
  g_autoptr (finding_list) e = check (on_pcie0);
  g_assert_cmpuint (count (e, "SMU208"), ==, 1);
  g_assert_cmpuint (count (e, "SMU201"), ==, 1); /* the virtio NIC on pcie.0 is now below it */
}

static void
test_spellings (void)
{
  g_autofree char *misspelt = edit (base_xml, "accel='on'", "acel='on'");
  g_autoptr (finding_list) a = check (misspelt);
  assert_contains (get (a, "SMU003")->hint, "did you mean 'accel'?");
  g_assert_cmpuint (count (a, "SMU209"), >=, 1); /* ats='on' without accel */
  g_autofree char *cased = edit (base_xml, "oas='48'", "oas='48' OAS='48'");
  g_autoptr (finding_list) b = check (cased);
  assert_contains (get (b, "SMU003")->message, "'OAS' repeats 'oas'");
  g_autofree char *pasid = edit (base_xml, "ssidsize='20'", "pasid='off'");
  g_autoptr (finding_list) c = check (pasid);
  assert_contains (get (c, "SMU003")->message, "read it as ssidsize='0'");
  /* cmdqv is upstream (QEMU 11.1, libvirt 12.9): no spelling to correct, and
   * whether the target has it is SMU501's business. */
  g_autofree char *cmdqv = edit (base_xml, "oas='48'", "oas='48' cmdqv='on'");
  g_autoptr (finding_list) d = check (cmdqv);
  g_assert_cmpuint (count (d, "SMU003"), ==, 0);
  rule_options opts = { .have_target_libvirt = TRUE,
                        .target_libvirt = sw_target_from_version (sw_newest_known (SW_LIBVIRT)) };
  g_autoptr (finding_list) e = check_with (cmdqv, &opts);
  g_assert_cmpuint (count (e, "SMU003") + count (e, "SMU501"), ==, 0);
  g_assert_true (sw_version_parse ("11.3", &opts.target_libvirt.version));
  g_autoptr (finding_list) f = check_with (cmdqv, &opts);
  get_with (f, "SMU501", "<iommu><driver cmdqv=/>: it needs libvirt 12.9.0 or newer");
}

static void
test_props (void)
{
  g_autofree char *wide = edit (base_xml, "oas='48'", "oas='52'");
  g_autoptr (finding_list) a = check (wide);
  g_assert_cmpuint (count (a, "SMU209"), ==, 1);
  assert_contains (get (a, "SMU209")->message, "QEMU SMMUv3 model only implements auto, 44 bit, or 48 bit OAS");
  g_autofree char *plain = edit (base_xml, "accel='on' ", "");
  g_autoptr (finding_list) b = check (plain);
  /* libvirt XML: libvirt refuses any of them without accel, once for the domain. */
  g_assert_cmpuint (count (b, "SMU209"), ==, 1);
  assert_contains (get (b, "SMU209")->message, "\"XML error: accel must be enabled for iommu model 'smmuv3' when "
                                                "setting ats, ril, ssidsize, oas, or cmdqv\"");
  g_assert_cmpuint (count (b, "SMU207"), ==, 0);
  /* The same model from a QEMU command line: QEMU's own words, one per property:
   * ats on, oas 48 and ssidsize 20 without accel; ril on is its default. */
  g_autoptr (guest_domain) argv = domainxml_read_memory (plain, strlen (plain), "t.xml", NULL);
  argv->origin = GUEST_FROM_QEMU_ARGV;
  g_autoptr (finding_list) c = finding_list_new ("t.xml");
  rules_check_domain (argv, NULL, c);
  g_assert_cmpuint (count (c, "SMU209"), ==, 3);
  get_with (c, "SMU209", "\"ats can only be enabled if accel=on\"");
  get_with (c, "SMU209", "\"oas must be 44 bits when accel=off\"");
  get_with (c, "SMU209", "\"ssidsize can only be greater than 0 bits if accel=on\"");

  /* 'auto' is QEMU's: libvirt 12.9 refuses it in XML; a command line may say it. */
  g_autofree char *with_auto = edit (base_xml, "ats='on' ril='on' ssidsize='20' oas='48'",
                                     "ats='auto' ril='on' ssidsize='auto' oas='auto' cmdqv='auto'");
  g_autoptr (finding_list) d = check (with_auto);
  g_assert_cmpuint (count (d, "SMU209"), ==, 4);
  get_with (d, "SMU209", "\"XML error: Invalid value for attribute 'ats' in element 'driver': 'auto'.\"");
  get_with (d, "SMU209", "\"XML error: Invalid value for attribute 'oas' in element 'driver': 'auto'. Expected "
                         "integer value\"");
  g_autoptr (guest_domain) auto_argv = domainxml_read_memory (with_auto, strlen (with_auto), "t.xml", NULL);
  auto_argv->origin = GUEST_FROM_QEMU_ARGV;
  g_autoptr (finding_list) e = finding_list_new ("t.xml");
  rules_check_domain (auto_argv, NULL, e);
  g_assert_cmpuint (count (e, "SMU209"), ==, 0);
}

static void
test_bus_ranges (void)
{
  g_autofree char *low = edit (base_xml, "busNr='252'", "busNr='1'");
  g_autoptr (finding_list) a = check (low);
  g_assert_cmpuint (count (a, "SMU401"), ==, 1);
  /* pcie.0: its root port 1 and the one libvirt adds for the unused index 2 */
  assert_contains (get (a, "SMU401")->message, "pci.3 takes buses 1-2 and pcie.0 takes 0-2");
  assert_contains (get (a, "SMU401")->hint, "set busNr='252' on pci.3");
  g_assert_cmpint (get (a, "SMU401")->line, ==, 9);
  /* busNr 254 is the highest libvirt takes (255: SMU001); two ports then need bus 256. */
  g_autofree char *two_ports = edit (base_xml, "<interface",
                                     "<controller type='pci' index='5' model='pcie-root-port'>"
                                     "<address type='pci' bus='0x03' slot='0x01' function='0x0'/></controller>\n"
                                     "<interface");
  g_autofree char *high = edit (two_ports, "busNr='252'", "busNr='254'");
  g_autoptr (finding_list) b = check (high);
  assert_contains (get (b, "SMU401")->message, "past bus 255");
  assert_contains (get (b, "SMU401")->hint, "lower busNr to 251"); /* 253 plus the planner's headroom */
  g_autofree char *edge = edit (base_xml, "busNr='252'", "busNr='254'");
  g_autoptr (finding_list) c = check (edge);
  g_assert_cmpuint (count (c, "SMU401"), ==, 0);
}

static void
test_window (void)
{
  static const struct {
    const char *size;
    const char *code;
  } cases[] = {
    { "2T", "SMU402" }, { "512G", "SMU402" }, { "3T", "SMU403" }, { "256G", "SMU403" }, { "big", "SMU403" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *cl = g_strdup_printf ("</devices>\n<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/"
                                             "domain/qemu/1.0'><qemu:arg value='-machine'/><qemu:arg "
                                             "value='highmem-mmio-size=%s'/></qemu:commandline>", cases[i].size);
      g_autofree char *xml = edit (base_xml, "</devices>", cl);
      g_autoptr (finding_list) list = check (xml);
      g_assert_cmpuint (count (list, "SMU402") + count (list, "SMU403"), ==, 1);
      g_assert_cmpuint (count (list, cases[i].code), ==, 1);
      g_assert_cmpint (get (list, cases[i].code)->line, ==, 16);
    }
}

static void
test_targets (void)
{
  rule_options old = { .have_target_qemu = TRUE, .have_target_libvirt = TRUE };
  g_assert_true (sw_version_parse ("10.0", &old.target_qemu.version));
  g_assert_true (sw_version_parse ("11.3", &old.target_libvirt.version));
  g_autoptr (finding_list) a = check_with (base_xml, &old);
  /* QEMU: per-bus SMMU, accel, iommufd is fine (8.2); libvirt: pciBus, accel attributes, hostdev iommufd. */
  g_assert_cmpuint (count (a, "SMU501"), ==, 5);
  gboolean saw_pcibus = FALSE;
  for (guint i = 0; i < finding_list_len (a); i++)
    {
      const finding *f = finding_list_get (a, i);
      if (strstr (f->message, "pciBus") != NULL)
        {
          saw_pcibus = TRUE;
          g_assert_cmpint (f->line, ==, 14);
          assert_contains (f->message, "it needs libvirt 11.10.0 or newer and the target libvirt is 11.3.0; "
                                       "libvirt 11.3 drops pciBus at define");
        }
    }
  g_assert_true (saw_pcibus);
  rule_options newest = { TRUE, TRUE, sw_target_from_version (sw_newest_known (SW_QEMU)),
                          sw_target_from_version (sw_newest_known (SW_LIBVIRT)), NULL };
  g_autoptr (finding_list) b = check_with (base_xml, &newest);
  g_assert_cmpuint (count (b, "SMU501"), ==, 0);
  g_autoptr (finding_list) c = check (base_xml); /* no target: not checked */
  g_assert_cmpuint (count (c, "SMU501"), ==, 0);

  /* What an installed program reports about itself outranks its number: a
   * vendor QEMU 10.2 whose arm-smmuv3 has accel is accepted for it, an 11.1
   * built without it is not. */
  rule_options vendor = { .have_target_qemu = TRUE };
  g_assert_true (sw_version_parse ("10.2.0", &vendor.target_qemu.version));
  g_autoptr (finding_list) d = check_with (base_xml, &vendor);
  g_assert_cmpuint (count (d, "SMU501"), ==, 1);
  assert_contains (get (d, "SMU501")->message, "it needs QEMU 11.0.0 or newer");
  sw_target_report (&vendor.target_qemu, FEAT_QEMU_SMMUV3_ACCEL, TRUE);
  g_autoptr (finding_list) e = check_with (base_xml, &vendor);
  g_assert_cmpuint (count (e, "SMU501"), ==, 0);
  vendor.target_qemu = sw_target_from_version (sw_newest_known (SW_QEMU));
  sw_target_report (&vendor.target_qemu, FEAT_QEMU_SMMUV3_ACCEL, FALSE);
  g_autoptr (finding_list) g = check_with (base_xml, &vendor);
  g_assert_cmpuint (count (g, "SMU501"), ==, 1);
  assert_contains (get (g, "SMU501")->message, "the installed QEMU 11.1.0 reports it does not have it");
}

static void
test_code_table (void)
{
  gsize n = 0;
  const finding_code_info *table = finding_code_table (&n);
  /* Every code of SPEC §6, plus the ones smmuctl added in free numbers. */
  static const char *const spec[] = {
    "SMU001", "SMU002", "SMU003", "SMU101", "SMU102", "SMU103", "SMU104", "SMU105", "SMU106", "SMU107",
    "SMU201", "SMU202", "SMU203", "SMU204", "SMU205", "SMU206", "SMU207", "SMU208", "SMU301", "SMU302",
    "SMU303", "SMU304", "SMU305", "SMU306", "SMU307", "SMU308", "SMU401", "SMU402", "SMU501",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (spec); i++)
    g_assert_nonnull (finding_code_lookup (spec[i]));
  g_assert_true (finding_code_lookup ("smu201") == finding_code_lookup ("SMU201"));
  g_assert_null (finding_code_lookup ("SMU999"));
  g_assert_cmpstr (finding_code_lookup ("SMU106")->name, ==, "hostdev-without-accel-vsmmu");
  g_assert_cmpint (finding_code_lookup ("SMU204")->severity, ==, SEVERITY_WARNING);
  g_assert_cmpint (finding_code_lookup ("SMU207")->severity, ==, SEVERITY_INFO);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_true (g_regex_match_simple ("^SMU[0-9]{3}$", table[i].code, 0, 0));
      if (i > 0)
        g_assert_cmpint (strcmp (table[i - 1].code, table[i].code), <, 0);
      for (gsize j = 0; j < i; j++)
        g_assert_cmpstr (table[i].name, !=, table[j].name);
      g_autofree char *text = finding_code_explanation (&table[i]);
      g_assert_null (strstr (text, "{{"));
      assert_contains (text, "At run time");
      assert_contains (text, "Why");
      assert_contains (text, "Fix");
      assert_contains (text, "Before");
    }
  g_autofree char *smu501 = finding_code_explanation (finding_code_lookup ("SMU501"));
  g_autofree char *pcibus = sw_version_to_string (feature_lookup (FEAT_LIBVIRT_IOMMU_PCIBUS)->since);
  pcibus[strlen (pcibus) - 2] = '\0'; /* "11.10.0" → "11.10" */
  assert_contains (smu501, pcibus);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rules/base-is-clean", test_base_is_clean);
  g_test_add_func ("/rules/pci-bus", test_pci_bus);
  g_test_add_func ("/rules/iommu-layout", test_iommu_layout);
  g_test_add_func ("/rules/hostdev-without-vsmmu", test_hostdev_without_vsmmu);
  g_test_add_func ("/rules/emulated-below-accel", test_emulated_below_accel);
  g_test_add_func ("/rules/iommufd-and-coldplug", test_iommufd_and_coldplug);
  g_test_add_func ("/rules/unresolved", test_unresolved);
  g_test_add_func ("/rules/machine-requirements", test_machine_requirements);
  g_test_add_func ("/rules/spellings", test_spellings);
  g_test_add_func ("/rules/props", test_props);
  g_test_add_func ("/rules/bus-ranges", test_bus_ranges);
  g_test_add_func ("/rules/window", test_window);
  g_test_add_func ("/rules/targets", test_targets);
  g_test_add_func ("/findings/code-table", test_code_table);
  return g_test_run ();
}
