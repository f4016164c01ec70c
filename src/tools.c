/* Installed QEMU and libvirt: versions and arm-smmuv3 abilities. */
#include "tools.h"

#include <gio/gio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "virtlib.h"

#define DEFAULT_QEMU "qemu-system-aarch64"
#define SMMUV3_DEVICE "arm-smmuv3"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

typedef struct {
  gboolean done, timed_out;
  GBytes *output;
  GCancellable *cancellable;
  GSubprocess *process;
} tool_run;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  tool_run *run = user_data;
  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &run->output, NULL, NULL);
  run->done = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  tool_run *run = user_data;
  run->timed_out = TRUE;
  g_subprocess_force_exit (run->process);
  g_cancellable_cancel (run->cancellable); /* in case a grandchild keeps the pipe open */
  return G_SOURCE_REMOVE;
}

/* Run argv (never through a shell) with stdin from /dev/null; its stdout and
 * stderr when it exits 0 within the timeout, NULL otherwise. */
static char *
run_tool (const char *const *argv)
{
  g_autoptr (GSubprocess) process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                                               | G_SUBPROCESS_FLAGS_STDERR_MERGE,
                                                       NULL);
  if (process == NULL)
    return NULL;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  tool_run run = { .cancellable = cancellable, .process = process };
  g_main_context_push_thread_default (context);
  g_subprocess_communicate_async (process, NULL, cancellable, on_communicated, &run);
  GSource *timeout = g_timeout_source_new_seconds (TOOLS_QUERY_TIMEOUT_SECONDS);
  g_source_set_callback (timeout, on_timeout, &run, NULL);
  g_source_attach (timeout, context);
  while (!run.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  if (!run.timed_out)
    g_subprocess_wait (process, NULL, NULL);
  g_main_context_pop_thread_default (context);

  g_autoptr (GBytes) output = run.output;
  if (run.timed_out || output == NULL || !g_subprocess_get_if_exited (process)
      || g_subprocess_get_exit_status (process) != 0)
    return NULL;
  gsize len;
  const char *data = g_bytes_get_data (output, &len);
  return g_strndup (data ? data : "", len);
}

char *
tools_parse_qemu_version (const char *version_output)
{
  /* "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)" */
  const char *at = version_output ? strstr (version_output, "version ") : NULL;
  if (at == NULL)
    return NULL;
  at += strlen ("version ");
  gsize n = strspn (at, "0123456789.");
  while (n > 0 && at[n - 1] == '.')
    n--;
  if (n == 0 || !g_ascii_isdigit (at[0]))
    return NULL;
  return g_strndup (at, n);
}

tristate
tools_parse_user_creatable (const char *device_help_output, const char *device)
{
  /* Lines are 'name "pxb-pcie", bus PCI, desc "…"'; QEMU lists only
   * user-creatable devices, so absence from a real list means "no". */
  if (device_help_output == NULL || strstr (device_help_output, "name \"") == NULL)
    return TRI_UNKNOWN;
  g_autofree char *needle = g_strdup_printf ("name \"%s\"", device);
  return strstr (device_help_output, needle) != NULL ? TRI_YES : TRI_NO;
}

GPtrArray *
tools_parse_device_props (const char *device_help_output)
{
  if (device_help_output == NULL)
    return NULL;
  g_autoptr (GPtrArray) props = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) lines = g_strsplit (device_help_output, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      /* "  bus_num=<uint8>  - (default: 0)"; QEMU before 2.12 printed
       * "arm-smmuv3.bus_num=uint8". */
      const char *text = *line + strspn (*line, " \t");
      if (g_str_has_prefix (text, SMMUV3_DEVICE "."))
        text += strlen (SMMUV3_DEVICE ".");
      gsize n = strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
      if (n > 0 && text[n] == '=')
        g_ptr_array_add (props, g_strndup (text, n));
    }
  return props->len > 0 ? g_steal_pointer (&props) : NULL;
}

char *
tools_parse_prop_type (const char *help_output, const char *prop)
{
  /* "  ats=<OnOffAuto>        - Enable/disable ATS …" */
  if (help_output == NULL)
    return NULL;
  g_autofree char *needle = g_strdup_printf ("%s=<", prop);
  g_auto (GStrv) lines = g_strsplit (help_output, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      const char *text = *line + strspn (*line, " \t");
      if (g_str_has_prefix (text, SMMUV3_DEVICE "."))
        text += strlen (SMMUV3_DEVICE ".");
      if (!g_str_has_prefix (text, needle))
        continue;
      /* "link<PCI>" nests: the type ends at the '>' that closes the first '<'. */
      const char *type = text + strlen (needle);
      int depth = 1;
      for (const char *p = type; *p != '\0'; p++)
        {
          depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
          if (depth == 0)
            return g_strndup (type, (gsize) (p - type));
        }
      return NULL;
    }
  return NULL;
}

gboolean
tools_help_lists (const char *help_output, const char *name)
{
  /* "-object help" lines are "  iommufd"; "-machine virt,help" lines are
   * "  highmem-mmio-size=<size> - …". */
  if (help_output == NULL)
    return FALSE;
  g_auto (GStrv) lines = g_strsplit (help_output, "\n", -1);
  for (char **line = lines; *line != NULL; line++)
    {
      g_autofree char *text = g_strstrip (g_strdup (*line));
      gsize n = strlen (name);
      if (strncmp (text, name, n) == 0 && (text[n] == '\0' || text[n] == '=' || text[n] == ' '))
        return TRUE;
    }
  return FALSE;
}

static char *
version_text (unsigned long version)
{
  return g_strdup_printf ("%lu.%lu.%lu", version / 1000000, version / 1000 % 1000, version % 1000);
}

char *
tools_libvirt_version (void)
{
  const virtlib *virt = virtlib_get (NULL);
  unsigned long version = 0;
  if (virt == NULL || virt->GetVersion (&version, NULL, NULL) != 0)
    return NULL;
  return version_text (version);
}

tristate
tools_parse_domcaps_hostdev_iommufd (const char *domcaps_xml)
{
  /* <domainCapabilities>…<devices><hostdev supported='yes'>…<enum
   * name='iommufd'> (libvirt 12.9; 11.3 has no such enum). */
  if (domcaps_xml == NULL)
    return TRI_UNKNOWN;
  g_autoptr (xmlDoc) doc = xmlReadMemory (domcaps_xml, (int) MIN (strlen (domcaps_xml), (gsize) G_MAXINT),
                                          "domcapabilities.xml", NULL,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  xmlNode *root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  if (root == NULL || strcmp ((const char *) root->name, "domainCapabilities") != 0)
    return TRI_UNKNOWN;
  for (xmlNode *devices = root->children; devices != NULL; devices = devices->next)
    {
      if (devices->type != XML_ELEMENT_NODE || strcmp ((const char *) devices->name, "devices") != 0)
        continue;
      for (xmlNode *hostdev = devices->children; hostdev != NULL; hostdev = hostdev->next)
        {
          if (hostdev->type != XML_ELEMENT_NODE || strcmp ((const char *) hostdev->name, "hostdev") != 0)
            continue;
          for (xmlNode *e = hostdev->children; e != NULL; e = e->next)
            {
              if (e->type != XML_ELEMENT_NODE || strcmp ((const char *) e->name, "enum") != 0)
                continue;
              xmlChar *name = xmlGetProp (e, BAD_CAST "name");
              gboolean iommufd = name != NULL && strcmp ((const char *) name, "iommufd") == 0;
              xmlFree (name);
              if (iommufd)
                return TRI_YES;
            }
          return TRI_NO;
        }
    }
  return TRI_UNKNOWN;
}

static void
quiet_libvirt_errors (void *data, virErrorPtr err)
{
  (void) data;
  (void) err;
}

void
tools_libvirt_from_connection (host_tools *tools, virConnectPtr conn, const char *uri)
{
  const virtlib *virt = virtlib_get (NULL);
  unsigned long version = 0;
  if (virt == NULL || conn == NULL || virt->ConnectGetLibVersion (conn, &version) != 0)
    return;
  g_free (tools->libvirt_version);
  tools->libvirt_version = version_text (version);
  g_free (tools->libvirt_uri);
  tools->libvirt_uri = g_strdup (uri);
  /* KVM first (what the VM will use); a host without KVM still answers for TCG. */
  char *caps = virt->ConnectGetDomainCapabilities (conn, NULL, "aarch64", NULL, "kvm", 0);
  if (caps == NULL)
    caps = virt->ConnectGetDomainCapabilities (conn, NULL, "aarch64", NULL, "qemu", 0);
  tools->features[FEAT_LIBVIRT_HOSTDEV_IOMMUFD] = tools_parse_domcaps_hostdev_iommufd (caps);
  free (caps);
}

/* The libvirt that will define the VM is the daemon (virsh talks to it too),
 * not the client library this process loads: ask it for its version and for
 * its domain capabilities.  libvirt answers domcapabilities on a read-write
 * connection only (root, or what polkit allows); read-only gives the version
 * and leaves the capabilities unknown.  Without a daemon, the library's
 * version stands. */
void
tools_probe_libvirt (host_tools *tools)
{
  g_clear_pointer (&tools->libvirt_version, g_free);
  g_clear_pointer (&tools->libvirt_uri, g_free);
  for (int f = 0; f < FEAT_N; f++)
    if (feature_lookup ((feature_id) f)->kind == SW_LIBVIRT)
      tools->features[f] = TRI_UNKNOWN;
  tools->probed = TRUE;
  const virtlib *virt = virtlib_get (NULL);
  if (virt == NULL)
    return;
  tools->libvirt_version = tools_libvirt_version ();
  virt->SetErrorFunc (NULL, quiet_libvirt_errors);
  const char *uri = g_getenv ("LIBVIRT_DEFAULT_URI");
  if (uri == NULL || *uri == '\0')
    uri = TOOLS_LIBVIRT_URI;
  virConnectPtr conn = virt->ConnectOpen (uri);
  if (conn == NULL)
    conn = virt->ConnectOpenReadOnly (uri);
  if (conn == NULL)
    return;
  tools_libvirt_from_connection (tools, conn, uri);
  virt->ConnectClose (conn);
}

/* What QEMU's own help says it has: arm-smmuv3's properties and their types,
 * the virt machine's properties, the object types.  UNKNOWN where QEMU did
 * not answer. */
static void
qemu_features (host_tools *tools, const char *props_output, const char *machine_output, const char *object_output)
{
  tristate *f = tools->features;
  /* Only what reads as QEMU's help counts ("arm-smmuv3 options:" and its
   * properties, "virt-11.1-machine options:", "List of user creatable
   * objects:"); anything else leaves the version table to decide. */
  if (tools->smmuv3_props->len == 0)
    props_output = NULL;
  if (machine_output != NULL && strstr (machine_output, "options:") == NULL)
    machine_output = NULL;
  if (object_output != NULL && strstr (object_output, "List of user creatable objects") == NULL)
    object_output = NULL;
  if (props_output != NULL)
    {
      gboolean primary_bus = FALSE, accel = FALSE, cmdqv = FALSE;
      for (guint i = 0; i < tools->smmuv3_props->len; i++)
        {
          const char *name = tools->smmuv3_props->pdata[i];
          primary_bus |= strcmp (name, "primary-bus") == 0;
          accel |= strcmp (name, "accel") == 0;
          cmdqv |= strcmp (name, "cmdqv") == 0;
        }
      if (tools->smmuv3_user_creatable != TRI_UNKNOWN)
        f[FEAT_QEMU_SMMUV3_PLUGGABLE] = primary_bus && tools->smmuv3_user_creatable == TRI_YES ? TRI_YES : TRI_NO;
      f[FEAT_QEMU_SMMUV3_ACCEL] = accel ? TRI_YES : TRI_NO;
      f[FEAT_QEMU_SMMUV3_CMDQV] = cmdqv ? TRI_YES : TRI_NO;
      g_autofree char *ats = tools_parse_prop_type (props_output, "ats");
      f[FEAT_QEMU_SMMUV3_AUTO] = g_strcmp0 (ats, "OnOffAuto") == 0 ? TRI_YES : TRI_NO;
    }
  if (machine_output != NULL)
    f[FEAT_QEMU_HIGHMEM_MMIO_SIZE] = tools_help_lists (machine_output, "highmem-mmio-size") ? TRI_YES : TRI_NO;
  if (object_output != NULL)
    f[FEAT_QEMU_IOMMUFD] = tools_help_lists (object_output, "iommufd") ? TRI_YES : TRI_NO;
}

void
tools_probe_qemu (host_tools *tools, const char *qemu_path)
{
  g_clear_pointer (&tools->qemu_path, g_free);
  g_clear_pointer (&tools->qemu_version, g_free);
  for (int f = 0; f < FEAT_N; f++)
    if (feature_lookup ((feature_id) f)->kind == SW_QEMU)
      tools->features[f] = TRI_UNKNOWN;
  if (tools->smmuv3_props == NULL)
    tools->smmuv3_props = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (tools->smmuv3_props, 0);
  tools->smmuv3_user_creatable = TRI_UNKNOWN;
  tools->probed = TRUE;

  tools->qemu_path = qemu_path ? g_strdup (qemu_path) : g_find_program_in_path (DEFAULT_QEMU);
  if (tools->qemu_path == NULL)
    return;
  const char *qemu = tools->qemu_path;
  const char *const version_argv[] = { qemu, "--version", NULL };
  /* No machine, no default devices, no display: QEMU only answers. */
  const char *const list_argv[] = { qemu, "-machine", "none", "-nodefaults", "-display", "none",
                                    "-device", "help", NULL };
  const char *const props_argv[] = { qemu, "-machine", "none", "-nodefaults", "-display", "none",
                                     "-device", SMMUV3_DEVICE ",help", NULL };
  const char *const machine_argv[] = { qemu, "-machine", "virt,help", "-nodefaults", "-display", "none", NULL };
  const char *const object_argv[] = { qemu, "-machine", "none", "-nodefaults", "-display", "none",
                                      "-object", "help", NULL };
  g_autofree char *version_output = run_tool (version_argv);
  tools->qemu_version = tools_parse_qemu_version (version_output);
  if (tools->qemu_version == NULL)
    return; /* not a QEMU we can talk to */
  g_autofree char *list_output = run_tool (list_argv);
  tools->smmuv3_user_creatable = tools_parse_user_creatable (list_output, SMMUV3_DEVICE);
  g_autofree char *props_output = run_tool (props_argv);
  g_autoptr (GPtrArray) props = tools_parse_device_props (props_output);
  for (guint i = 0; props && i < props->len; i++)
    g_ptr_array_add (tools->smmuv3_props, g_strdup (props->pdata[i]));
  g_autofree char *machine_output = run_tool (machine_argv);
  g_autofree char *object_output = run_tool (object_argv);
  qemu_features (tools, props_output, machine_output, object_output);
}

void
tools_probe (host_tools *tools, const char *qemu_path)
{
  tools_probe_libvirt (tools);
  tools_probe_qemu (tools, qemu_path);
}

sw_target
tools_target (const host_tools *tools, sw_kind kind)
{
  sw_version version = { 0, 0, 0 };
  sw_version_parse (kind == SW_QEMU ? tools->qemu_version : tools->libvirt_version, &version);
  sw_target target = sw_target_from_version (version);
  for (int f = 0; f < FEAT_N; f++)
    if (feature_lookup ((feature_id) f)->kind == kind && tools->features[f] != TRI_UNKNOWN)
      sw_target_report (&target, (feature_id) f, tools->features[f] == TRI_YES);
  return target;
}
