/* Installed QEMU and libvirt: versions and arm-smmuv3 abilities. */
#include "tools.h"

#include <gio/gio.h>
#include <string.h>

#include "virtlib.h"

#define DEFAULT_QEMU "qemu-system-aarch64"
#define SMMUV3_DEVICE "arm-smmuv3"

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
tools_libvirt_version (void)
{
  const virtlib *virt = virtlib_get (NULL);
  unsigned long version = 0;
  if (virt == NULL || virt->GetVersion (&version, NULL, NULL) != 0)
    return NULL;
  return g_strdup_printf ("%lu.%lu.%lu", version / 1000000, version / 1000 % 1000, version % 1000);
}

void
tools_probe (host_tools *tools, const char *qemu_path)
{
  g_clear_pointer (&tools->qemu_path, g_free);
  g_clear_pointer (&tools->qemu_version, g_free);
  g_clear_pointer (&tools->libvirt_version, g_free);
  if (tools->smmuv3_props == NULL)
    tools->smmuv3_props = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (tools->smmuv3_props, 0);
  tools->smmuv3_user_creatable = TRI_UNKNOWN;
  tools->probed = TRUE;
  tools->libvirt_version = tools_libvirt_version ();

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
}
