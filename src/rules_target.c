/* SMU501: what the XML uses that the target libvirt or QEMU does not have.
 * Which element needs which feature is feature_use.c's table; every version
 * and what an older release does comes from versions.c. */
#include "rules_internal.h"

#include "feature_use.h"

static void
check_feature (const rule_context *ctx, const feature_info *f, const sw_target *target, const feature_use *u)
{
  if (u->count == 0 || sw_target_has (target, f->id))
    return;
  const char *product = f->kind == SW_QEMU ? "QEMU" : "libvirt";
  g_autofree char *target_text = sw_version_to_string (target->version);
  g_autofree char *since = sw_version_to_string (f->since);
  g_autofree char *more = u->count > 1 ? g_strdup_printf (" (used %u times; the first is here)", u->count)
                                       : g_strdup ("");
  /* A reported "no" (the installed program's own properties) outranks the table. */
  g_autofree char *lacks = sw_target_reported (target, f->id)
                               ? g_strdup_printf ("the installed %s %s reports it does not have it", product,
                                                  target_text)
                               : g_strdup_printf ("it needs %s %s or newer and the target %s is %s", product,
                                                  since, product, target_text);
  g_autofree char *older = f->older != NULL ? g_strdup_printf ("; %s", f->older) : g_strdup ("");
  g_autofree char *hint = rules_argv (ctx)
    ? g_strdup_printf ("upgrade the target to %s %s, or plan the command line for QEMU %s (smmuctl plan --format qemu "
                       "--target-qemu %s)", product, since, target_text, target_text)
    : g_strdup_printf ("upgrade the target to %s %s, or write the XML for %s %s (smmuctl plan --target-%s %s)",
                       product, since, product, target_text, f->kind == SW_QEMU ? "qemu" : "libvirt", target_text);
  finding_add (ctx->out, "SMU501", SEVERITY_ERROR, u->line, u->path, hint, "%s: %s%s%s", f->what, lacks, older,
               more);
}

void
rules_check_target (const rule_context *ctx)
{
  if (!ctx->opts->have_target_qemu && !ctx->opts->have_target_libvirt)
    return;
  feature_use uses[FEAT_N];
  guest_feature_uses (ctx->dom, uses);
  gsize n = 0;
  const feature_info *features = feature_table (&n);
  for (gsize i = 0; i < n; i++)
    {
      const feature_info *f = &features[i];
      if (f->kind == SW_QEMU && ctx->opts->have_target_qemu)
        check_feature (ctx, f, &ctx->opts->target_qemu, &uses[f->id]);
      /* A command line is past libvirt: only QEMU's releases apply to it. */
      else if (f->kind == SW_LIBVIRT && ctx->opts->have_target_libvirt && !rules_argv (ctx))
        check_feature (ctx, f, &ctx->opts->target_libvirt, &uses[f->id]);
    }
}
