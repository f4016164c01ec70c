/* One resolution of --target-qemu/--target-libvirt for every verb. */
#include "targets.h"

#include <string.h>

#include "errors.h"
#include "tools.h"

static const char *
option_name (sw_kind kind)
{
  return kind == SW_QEMU ? "--target-qemu" : "--target-libvirt";
}

static gboolean
has_version (const host_tools *tools, sw_kind kind)
{
  sw_version v;
  return tools != NULL && sw_version_parse (kind == SW_QEMU ? tools->qemu_version : tools->libvirt_version, &v);
}

gboolean
target_resolve (const target_context *ctx, sw_kind kind, const char *given, sw_target *out, const char **source,
                GError **error)
{
  const char *option = option_name (kind);
  if (given != NULL && strcmp (given, "installed") != 0)
    {
      sw_version v;
      if (!sw_version_parse (given, &v))
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                       "%s: %s '%s': not a version (e.g. 11.1 or 12.9.0) or 'installed'; see smmuctl %s --help",
                       ctx->verb, option, given, ctx->verb);
          return FALSE;
        }
      *out = sw_target_from_version (v);
      *source = option;
      return TRUE;
    }
  if (given != NULL)
    {
      if (!has_version (ctx->installed, kind))
        {
          g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_USAGE,
                       "%s: %s installed: no %s is installed here (give a version instead)", ctx->verb, option,
                       kind == SW_QEMU ? "qemu-system-aarch64" : "libvirt");
          return FALSE;
        }
      *out = tools_target (ctx->installed, kind);
      *source = "installed";
      return TRUE;
    }
  if (has_version (ctx->fallback, kind))
    {
      *out = tools_target (ctx->fallback, kind);
      *source = ctx->fallback_label;
      return TRUE;
    }
  *out = sw_target_from_version (sw_newest_known (kind));
  *source = "newest known";
  return TRUE;
}
