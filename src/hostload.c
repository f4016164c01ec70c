#include "hostload.h"

#include "errors.h"
#include "hostjson.h"
#include "hostprobe.h"
#include "hwinfo.h"
#include "sysroot.h"
#include "tools.h"

host_model *
host_load (const host_load_options *opts, GError **error)
{
  g_autoptr (host_model) host = NULL;
  if (opts->host_file != NULL && opts->root != NULL)
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                           "--host and --root both name a host; give one");
      return NULL;
    }
  if (opts->host_file != NULL)
    {
      host = hostjson_read_file (opts->host_file, error);
      if (host == NULL)
        return NULL;
    }
  else
    {
      g_autoptr (sysroot) root = sysroot_open (opts->root, error);
      if (root == NULL)
        return NULL;
      host = hostprobe_read (root, opts->iort_file, error);
      if (host == NULL)
        return NULL;
      if (opts->hwinfo_live)
        {
          if (sysroot_is_live (root))
            hwinfo_read_live (host);
          else
            host_model_note (host, "--hwinfo reads the running kernel only; ignored with --root "
                                   "(use --hwinfo-json with a recording)");
        }
    }
  if (opts->hwinfo_json != NULL && !hwinfo_load_json (host, opts->hwinfo_json, error))
    return NULL;
  if (opts->probe_tools)
    tools_probe (&host->tools, opts->qemu_path);
  return g_steal_pointer (&host);
}
