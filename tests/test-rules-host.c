/* Host-aware rules (SMU3xx, SMU402 with real BARs) against the fixture hosts:
 * each code has a domain that triggers it and a near miss that must not. */
#include "domainxml.h"
#include "hostload.h"
#include "hwinfo.h"
#include "rules.h"

typedef struct {
  const char *bdf;
  int pxb;            /* index into the pxb list of the case */
  gboolean managed;
} hostdev_spec;

typedef struct {
  int node;           /* guest NUMA node of the pxb, -1 none */
  const char *driver; /* attributes of the vSMMU's <driver>, after pciBus */
} pxb_spec;

/* A domain with one pxb-pcie (index 10+i, busNr 250-4i) + accelerated vSMMU
 * per pxb and one root port (index 20+j) per hostdev below its pxb. */
static char *
make_domain (const pxb_spec *pxbs, guint n_pxbs, const hostdev_spec *devs, guint n_devs, const char *extra)
{
  GString *x = g_string_new ("<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
                             "<name>t</name><memory unit='GiB'>8</memory><vcpu>4</vcpu>\n"
                             "<os firmware='efi'><type arch='aarch64' machine='virt'>hvm</type></os>\n"
                             "<features><acpi/><gic version='3'/></features>\n"
                             "<cpu mode='host-passthrough'><numa><cell id='0' cpus='0-1' memory='4' unit='GiB'/>"
                             "<cell id='1' cpus='2-3' memory='4' unit='GiB'/></numa></cpu>\n<devices>\n"
                             "<controller type='pci' index='0' model='pcie-root'/>\n");
  for (guint i = 0; i < n_pxbs; i++)
    {
      g_string_append_printf (x, "<controller type='pci' index='%u' model='pcie-expander-bus'><model name='pxb-pcie'/>"
                                 "<target busNr='%u'>", 10 + i, 250 - 4 * i);
      if (pxbs[i].node >= 0)
        g_string_append_printf (x, "<node>%d</node>", pxbs[i].node);
      g_string_append_printf (x, "</target><address type='pci' bus='0x00' slot='0x%02x' function='0x0'/></controller>\n",
                              1 + i);
    }
  for (guint j = 0; j < n_devs; j++)
    g_string_append_printf (x, "<controller type='pci' index='%u' model='pcie-root-port'><target chassis='%u' port='0x0' "
                               "hotplug='off'/><address type='pci' bus='%u' slot='0x%02x' function='0x0'/></controller>\n",
                            20 + j, 20 + j, 10 + devs[j].pxb, j);
  for (guint j = 0; j < n_devs; j++)
    {
      guint32 seg;
      guint8 bus, slot, fn;
      g_assert_true (pci_bdf_parse (devs[j].bdf, &seg, &bus, &slot, &fn));
      g_string_append_printf (x, "<hostdev mode='subsystem' type='pci' managed='%s'><driver iommufd='yes'/><source>"
                                 "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/></source>"
                                 "<address type='pci' bus='%u' slot='0x00' function='0x0'/></hostdev>\n",
                              devs[j].managed ? "yes" : "no", seg, bus, slot, fn, 20 + j);
    }
  g_string_append (x, "<memballoon model='none'/>\n");
  for (guint i = 0; i < n_pxbs; i++)
    g_string_append_printf (x, "<iommu model='smmuv3'><driver pciBus='%u' accel='on' %s/></iommu>\n", 10 + i,
                            pxbs[i].driver ? pxbs[i].driver : "");
  g_string_append (x, "</devices>\n");
  if (extra)
    g_string_append (x, extra);
  g_string_append (x, "</domain>\n");
  return g_string_free (x, FALSE);
}

static host_model *
load_host (const char *name)
{
  g_autofree char *root = g_build_filename (g_getenv ("SRCDIR"), "tests/data/hosts", name, NULL);
  g_autofree char *hwinfo = g_build_filename (root, "hwinfo.json", NULL);
  host_load_options opts = { .root = root,
                             .hwinfo_json = g_file_test (hwinfo, G_FILE_TEST_EXISTS) ? hwinfo : NULL };
  g_autoptr (GError) error = NULL;
  host_model *host = host_load (&opts, &error);
  g_assert_no_error (error);
  return host;
}

/* Findings of the host rules only, as "CODE:severity" words; the messages
 * of those with code `keep` go to `messages`. */
static char *
check_target (const char *host_name, const char *xml, const rule_options *opts, const char *keep, GString *messages)
{
  g_autoptr (host_model) host = load_host (host_name);
  g_autoptr (GError) error = NULL;
  g_autoptr (guest_domain) dom = domainxml_read_memory (xml, strlen (xml), "t.xml", &error);
  g_assert_no_error (error);
  g_autoptr (finding_list) list = finding_list_new ("t.xml");
  rules_check_host (dom, host, opts, list);
  for (guint i = 0; keep != NULL && i < finding_list_len (list); i++)
    if (g_strcmp0 (finding_list_get (list, i)->info->code, keep) == 0)
      g_string_append_printf (messages, "%s\n", finding_list_get (list, i)->message);
  finding_list_sort (list);
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < finding_list_len (list); i++)
    {
      const finding *f = finding_list_get (list, i);
      g_string_append_printf (out, "%s%s:%s", out->len ? " " : "", f->info->code, finding_severity_name (f->severity));
      if (g_test_verbose ())
        g_printerr ("  %s %s\n", f->info->code, f->message);
    }
  return g_string_free (out, FALSE);
}

static char *
check (const char *host_name, const char *xml)
{
  rule_options opts = { 0 };
  return check_target (host_name, xml, &opts, NULL, NULL);
}

#define CHECK(host, expected, pxbs, devs, extra)                                                        \
  do                                                                                                    \
    {                                                                                                   \
      g_autofree char *xml = make_domain (pxbs, G_N_ELEMENTS (pxbs), devs, G_N_ELEMENTS (devs), extra); \
      g_autofree char *got = check (host, xml);                                                         \
      g_assert_cmpstr (got, ==, expected);                                                              \
    }                                                                                                   \
  while (0)

/* gb200 GPUs have 512 GiB BARs: give their domains room (SMU402 has its own test). */
#define WINDOW_4T "<qemu:commandline><qemu:arg value='-machine'/><qemu:arg value='highmem-mmio-size=4T'/></qemu:commandline>\n"

static const pxb_spec gb_pxbs[] = { { 0, "ats='on' ril='on' ssidsize='20' oas='48'" },
                                    { 0, "ats='on' ril='on' ssidsize='20' oas='48'" } };
static const hostdev_spec gb_devs[] = { { "0008:01:00.0", 0, FALSE }, { "0009:01:00.0", 1, FALSE } };

static void
test_good (void)
{
  CHECK ("gb200", "", gb_pxbs, gb_devs, WINDOW_4T);
}

static void
test_smu301_mixed (void)
{
  static const hostdev_spec mixed[] = { { "0008:01:00.0", 0, FALSE }, { "0009:01:00.0", 0, FALSE } };
  static const pxb_spec one[] = { { 0, "ats='on' ril='on' ssidsize='20' oas='48'" } };
  CHECK ("gb200", "SMU301:error", one, mixed, WINDOW_4T);
}

static void
test_smu302_missing (void)
{
  static const hostdev_spec devs[] = { { "0008:01:00.0", 0, FALSE }, { "0007:01:00.0", 1, FALSE } };
  CHECK ("gb200", "SMU302:error", gb_pxbs, devs, WINDOW_4T);
}

static void
test_smu303_not_vfio (void)
{
  static const pxb_spec nic[] = { { 0, NULL } };
  static const hostdev_spec unmanaged[] = { { "0000:01:00.1", 0, FALSE } };
  static const hostdev_spec managed[] = { { "0000:01:00.1", 0, TRUE } };
  /* The NIC SMMU of the gb200 fixture has no CANWBS, so SMU307 comes too. */
  CHECK ("gb200", "SMU303:error SMU307:error", nic, unmanaged, WINDOW_4T);
  CHECK ("gb200", "SMU303:info SMU307:error", nic, managed, WINDOW_4T);
}

static void
test_smu304_no_iommufd (void)
{
  static const pxb_spec one[] = { { -1, NULL } };
  static const hostdev_spec gpu[] = { { "0000:01:00.0", 0, FALSE } };
  CHECK ("no-iommufd", "SMU304:error SMU304:error", one, gpu, NULL);
}

static void
test_smu305_split (void)
{
  static const pxb_spec one[] = { { -1, NULL } };
  static const hostdev_spec half[] = { { "0000:01:00.0", 0, FALSE } };
  static const hostdev_spec whole[] = { { "0000:01:00.0", 0, FALSE }, { "0000:01:00.1", 0, TRUE } };
  CHECK ("split-group", "SMU305:error", one, half, NULL);
  CHECK ("split-group", "SMU303:info", one, whole, NULL);
}

static void
test_smu306_caps (void)
{
  /* The ConnectX NIC has ATS but no PASID: ssidsize above 0 is too much. */
  static const pxb_spec nic_pxb[] = { { 1, "ats='on' ssidsize='8'" } };
  static const hostdev_spec nic[] = { { "0010:01:00.0", 0, FALSE } };
  CHECK ("gb200", "SMU306:error SMU307:error", nic_pxb, nic, WINDOW_4T);
  /* Without recorded ID registers the same domain only warns. */
  g_autofree char *xml = make_domain (gb_pxbs, 2, gb_devs, 2, WINDOW_4T);
  g_autoptr (host_model) host = load_host ("gb200");
  for (guint i = 0; i < host->smmus->len; i++)
    ((host_smmu *) host->smmus->pdata[i])->hwinfo.known = FALSE;
  g_autoptr (guest_domain) dom = domainxml_read_memory (xml, strlen (xml), "t.xml", NULL);
  g_autoptr (finding_list) list = finding_list_new ("t.xml");
  rule_options opts = { 0 };
  rules_check_host (dom, host, &opts, list);
  g_assert_cmpuint (finding_list_count (list, SEVERITY_ERROR), ==, 0);
  g_assert_cmpuint (finding_list_count (list, SEVERITY_WARNING), ==, 8);
}

static void
test_smu307_no_nesting (void)
{
  static const pxb_spec one[] = { { -1, "oas='44'" } };
  static const hostdev_spec gpu[] = { { "0000:01:00.0", 0, FALSE } };
  CHECK ("altra", "SMU307:error", one, gpu, NULL);
  static const pxb_spec oas48[] = { { -1, "oas='48'" } };
  CHECK ("altra", "SMU307:error SMU309:error", oas48, gpu, NULL);
}

/* QEMU's host-compatibility check, in QEMU's words and per QEMU release. */
static void
test_smu309_incompatible (void)
{
  static const pxb_spec plain[] = { { -1, NULL } };
  static const hostdev_spec a100[] = { { "0000:01:00.0", 0, FALSE } };
  rule_options opts = { 0 };
  g_autoptr (GString) messages = g_string_new (NULL);
  g_autofree char *xml = make_domain (plain, 1, a100, 1, NULL);
  /* no16k: an SMMU without the 16K granule can nest, but QEMU refuses it. */
  g_autofree char *got = check_target ("no16k", xml, &opts, "SMU309", messages);
  g_assert_cmpstr (got, ==, "SMU309:error");
  g_assert_nonnull (strstr (messages->str, "\"Host SMMUv3 doesn't support 16K translation granule\" (host IDR5.GRAN16K=0, "
                                           "vSMMU 1: fixed in QEMU's vSMMU)"));
  /* The same A100 behind split-group's MMU-700, which has all three granules. */
  static const hostdev_spec split_a100[] = { { "0000:02:00.0", 0, FALSE } };
  g_autofree char *near_xml = make_domain (plain, 1, split_a100, 1, NULL);
  g_autofree char *near = check_target ("split-group", near_xml, &opts, NULL, NULL);
  g_assert_cmpstr (near, ==, "");

  /* gb200 GPUs: properties above the host's registers, each with QEMU's message. */
  static const pxb_spec too_much[] = { { 0, "ats='on' ril='on' ssidsize='20' oas='52'" },
                                       { 0, "ats='on' ril='on' ssidsize='20' oas='48'" } };
  g_autofree char *gb = make_domain (too_much, 2, gb_devs, 2, WINDOW_4T);
  g_string_truncate (messages, 0);
  g_autofree char *gb_got = check_target ("gb200", gb, &opts, "SMU309", messages);
  g_assert_cmpstr (gb_got, ==, "SMU309:error");
  g_assert_nonnull (strstr (messages->str, "\"Host SMMUv3 supports only 48-bit IPA, but the vSMMU OAS implies 52-bit "
                                           "IPA\" (host IDR5.OAS=5, vSMMU 6: oas='52')"));

  /* Kunpeng's SMMU has no ATS: ats='on' is refused by QEMU; the VF behind it
   * cannot use ATS either (the kernel's hw_info says so): SMU306. */
  static const pxb_spec ats_on[] = { { -1, "ats='on'" } };
  static const hostdev_spec vf[] = { { "0000:81:00.1", 0, FALSE } };
  g_autofree char *kp = make_domain (ats_on, 1, vf, 1, NULL);
  g_string_truncate (messages, 0);
  g_autofree char *kp_got = check_target ("kunpeng", kp, &opts, "SMU309", messages);
  g_assert_cmpstr (kp_got, ==, "SMU306:error SMU309:error");
  g_assert_nonnull (strstr (messages->str, "\"Host SMMUv3 doesn't support Address Translation Services\""));

  /* Altra's MMU-600 has no range invalidation: a vSMMU without ril is fine
   * for QEMU 11.1 (auto takes the host's), refused by 11.0 (ril on). */
  opts.have_target_qemu = TRUE;
  g_assert_true (sw_version_parse ("11.1", &opts.target_qemu.version));
  g_autofree char *altra_111 = check_target ("altra", xml, &opts, "SMU309", messages);
  g_assert_cmpstr (altra_111, ==, "SMU307:error");
  g_assert_true (sw_version_parse ("11.0", &opts.target_qemu.version));
  g_string_truncate (messages, 0);
  g_autofree char *altra_110 = check_target ("altra", xml, &opts, "SMU309", messages);
  g_assert_cmpstr (altra_110, ==, "SMU307:error SMU309:error");
  g_assert_cmpstr (messages->str, ==, "QEMU 11.0.0 refuses host smmu3.0x0000100002000000 for the accelerated vSMMU on "
                                      "controller 10: \"Host SMMUv3 doesn't support Range Invalidation\" (host "
                                      "IDR3.RIL=0, vSMMU 1: ril left out: QEMU 11.0.0's default)\n");
  /* QEMU 10.2 has no accelerated vSMMU: nothing to compare. */
  g_assert_true (sw_version_parse ("10.2", &opts.target_qemu.version));
  g_autofree char *altra_102 = check_target ("altra", xml, &opts, "SMU309", messages);
  g_assert_cmpstr (altra_102, ==, "SMU307:error");
}

/* The kernel's per-device answer decides what a device can use: a VF takes
 * its PF's PASID capability; hw_info's PCI_ATS_NOT_SUPPORTED wins. */
static void
test_smu306_device_facts (void)
{
  g_autoptr (host_model) host = load_host ("kunpeng");
  host_pci_device *vf = host_find_device (host, "0000:81:00.1");
  g_assert_nonnull (vf);
  g_assert_cmpstr (vf->physfn, ==, "0000:81:00.0");
  g_assert_true (vf->hw_known);
  const char *source = NULL;
  g_assert_cmpint (host_device_ats (vf, &source), ==, TRI_NO);
  g_assert_cmpstr (source, ==, "IOMMU_GET_HW_INFO");
  /* Give the PF a PASID capability: the VF (whose config space has none)
   * inherits it once the model is finished. */
  host_pci_device *pf = host_find_device (host, "0000:81:00.0");
  pf->pasid = TRI_YES;
  pf->pasid_width = 16;
  vf->hw_known = FALSE;
  host_model_finish (host);
  g_assert_cmpint (host_device_pasid_bits (vf, &source), ==, 16);
  g_assert_cmpstr (source, ==, "config space");
  /* The kernel's width, when it reports one, already counts the SMMU's. */
  vf->hw_known = TRUE;
  vf->hw_max_pasid_log2 = 10;
  g_assert_cmpint (host_device_pasid_bits (vf, &source), ==, 10);
  g_assert_cmpstr (source, ==, "IOMMU_GET_HW_INFO");
}

static void
test_smu308_numa (void)
{
  static const pxb_spec wrong[] = { { 1, "ats='on' ril='on' ssidsize='20' oas='48'" },
                                    { 0, "ats='on' ril='on' ssidsize='20' oas='48'" } };
  CHECK ("gb200", "SMU308:warning", wrong, gb_devs, WINDOW_4T);
}

static void
test_smu402_bars (void)
{
  static const pxb_spec four[] = { { 0, NULL }, { 0, NULL }, { 1, NULL }, { 1, NULL } };
  static const hostdev_spec gpus[] = { { "0008:01:00.0", 0, FALSE }, { "0009:01:00.0", 1, FALSE },
                                       { "0018:01:00.0", 2, FALSE }, { "0019:01:00.0", 3, FALSE } };
  /* 4 × 512.1 GiB of BARs against the 512 GiB default window, then 2 TiB. */
  CHECK ("gb200", "SMU402:warning", four, gpus, NULL);
  CHECK ("gb200", "SMU402:warning", four, gpus,
         "<qemu:commandline><qemu:arg value='-machine'/><qemu:arg value='highmem-mmio-size=2T'/></qemu:commandline>\n");
  CHECK ("gb200", "", four, gpus, WINDOW_4T);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rules-host/good", test_good);
  g_test_add_func ("/rules-host/smu301-mixed", test_smu301_mixed);
  g_test_add_func ("/rules-host/smu302-missing", test_smu302_missing);
  g_test_add_func ("/rules-host/smu303-not-vfio", test_smu303_not_vfio);
  g_test_add_func ("/rules-host/smu304-no-iommufd", test_smu304_no_iommufd);
  g_test_add_func ("/rules-host/smu305-split", test_smu305_split);
  g_test_add_func ("/rules-host/smu306-caps", test_smu306_caps);
  g_test_add_func ("/rules-host/smu306-device-facts", test_smu306_device_facts);
  g_test_add_func ("/rules-host/smu307-no-nesting", test_smu307_no_nesting);
  g_test_add_func ("/rules-host/smu309-incompatible", test_smu309_incompatible);
  g_test_add_func ("/rules-host/smu308-numa", test_smu308_numa);
  g_test_add_func ("/rules-host/smu402-bars", test_smu402_bars);
  return g_test_run ();
}
