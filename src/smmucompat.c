/* QEMU's host-compatibility check for accelerated vSMMUs (see smmucompat.h).
 * Messages and order as in QEMU 11.1's hw/arm/smmuv3-accel.c (and the
 * strings of the 11.1.3 binary); the vSMMU's fixed values as its
 * smmuv3_init_id_regs sets them. */
#include "smmucompat.h"

#include <string.h>

typedef enum {
  HOST_EQUAL,       /* QEMU: host != vSMMU fails */
  HOST_NOT_GREATER, /* host > vSMMU fails */
  HOST_NOT_LESS,    /* host < vSMMU fails */
} compat_rule;

typedef enum {
  ARGS_NONE,        /* the message has no values */
  ARGS_VALUES,      /* "(host=%u, QEMU=%u)": the two field values */
  ARGS_IPA_BITS,    /* "%d-bit IPA … %d-bit IPA": the two OAS fields in bits */
} compat_args;

/* QEMU's vSMMU: stage 1, AArch64 tables only, little endian, 2-level stream
 * table, 16-bit StreamIDs, all three granules.  A property sets ssidsize,
 * ril, oas and ats; `fixed` is then QEMU 11.0's default (before `auto`):
 * ssidsize 0, ril on, oas 44 bits, ats off. */
static const struct {
  idr_field field;
  compat_rule rule;
  int prop;            /* vsmmu_prop_id, -1 when QEMU's value is fixed */
  const char *prop_name;
  guint32 fixed;
  compat_args args;
  const char *qemu_message; /* QEMU's format string, verbatim */
} checks[] = {
  { IDR_ST_LEVEL, HOST_EQUAL, -1, NULL, 1, ARGS_VALUES,
    "Host SMMUv3 Stream Table format mismatch (host STLEVEL=%u, QEMU STLEVEL=%u)" },
  { IDR_TTENDIAN, HOST_NOT_GREATER, -1, NULL, 2, ARGS_NONE,
    "Host SMMUv3 doesn't support Little-endian translation table" },
  { IDR_TTF, HOST_NOT_LESS, -1, NULL, 2, ARGS_NONE, "Host SMMUv3 doesn't support AArch64 translation table format" },
  { IDR_SIDSIZE, HOST_NOT_LESS, -1, NULL, 16, ARGS_VALUES, "Host SMMUv3 SIDSIZE not compatible (host=%u, QEMU=%u)" },
  { IDR_SSIDSIZE, HOST_NOT_LESS, VSMMU_PROP_SSIDSIZE, "ssidsize", 0, ARGS_VALUES,
    "Host SMMUv3 SSIDSIZE not compatible (host=%u, QEMU=%u)" },
  { IDR_RIL, HOST_NOT_LESS, VSMMU_PROP_RIL, "ril", 1, ARGS_NONE, "Host SMMUv3 doesn't support Range Invalidation" },
  { IDR_OAS, HOST_NOT_LESS, VSMMU_PROP_OAS, "oas", 4, ARGS_IPA_BITS,
    "Host SMMUv3 supports only %d-bit IPA, but the vSMMU OAS implies %d-bit IPA" },
  { IDR_ATS, HOST_NOT_LESS, VSMMU_PROP_ATS, "ats", 0, ARGS_NONE,
    "Host SMMUv3 doesn't support Address Translation Services" },
  { IDR_GRAN4K, HOST_EQUAL, -1, NULL, 1, ARGS_NONE, "Host SMMUv3 doesn't support 4K translation granule" },
  { IDR_GRAN16K, HOST_EQUAL, -1, NULL, 1, ARGS_NONE, "Host SMMUv3 doesn't support 16K translation granule" },
  { IDR_GRAN64K, HOST_EQUAL, -1, NULL, 1, ARGS_NONE, "Host SMMUv3 doesn't support 64K translation granule" },
};

void
smmu_incompat_free (smmu_incompat *incompat)
{
  if (incompat == NULL)
    return;
  g_free (incompat->message);
  g_free (incompat->vsmmu_reason);
  g_free (incompat);
}

char *
smmu_compat_field_name (idr_field field)
{
  gsize n = 0;
  const idr_field_info *info = &idr_field_table (&n)[field];
  g_autofree char *upper = g_ascii_strup (info->name, -1);
  return g_strdup_printf ("IDR%u.%s", info->reg, upper);
}

/* QEMU's format with its two conversions (%u or %d) replaced by a and b. */
static char *
fill_message (const char *format, compat_args args, guint32 a, guint32 b)
{
  if (args == ARGS_NONE)
    return g_strdup (format);
  g_autoptr (GString) out = g_string_new (NULL);
  guint32 values[2] = { a, b };
  guint next = 0;
  for (const char *p = format; *p != '\0'; p++)
    {
      if (p[0] == '%' && (p[1] == 'u' || p[1] == 'd') && next < 2)
        {
          g_string_append_printf (out, "%u", values[next++]);
          p++;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The vSMMU's value of a property-set field: FALSE when it takes the
 * host's (auto). */
static gboolean
vsmmu_prop_value (const vsmmu_prop *prop, idr_field field, guint32 qemu_default, gboolean has_auto,
                  guint32 *value)
{
  switch (prop->state)
    {
    case PROP_AUTO:
      return FALSE;
    case PROP_ABSENT:
      if (has_auto)
        return FALSE; /* from QEMU 11.1 every one of them defaults to auto */
      *value = qemu_default;
      return TRUE;
    case PROP_VALUE:
      if (field == IDR_OAS)
        {
          int encoded = idr_oas_field_for_bits (prop->value);
          *value = encoded >= 0 ? (guint32) encoded : qemu_default;
        }
      else
        *value = prop->value;
      return TRUE;
    }
  return FALSE;
}

GPtrArray *
smmu_compat_check (const host_hwinfo *hw, const guest_iommu *iommu, sw_version qemu)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) smmu_incompat_free);
  if (!hw->known || !guest_iommu_is_accel (iommu) || !sw_has_feature (qemu, FEAT_QEMU_SMMUV3_ACCEL))
    return out;
  gboolean has_auto = sw_has_feature (qemu, FEAT_QEMU_SMMUV3_AUTO);
  g_autofree char *release = sw_version_to_string (qemu);
  for (gsize i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      guint32 host = idr_get (hw->idr, checks[i].field);
      guint32 vsmmu = checks[i].fixed;
      g_autofree char *reason = NULL;
      if (checks[i].prop >= 0)
        {
          const vsmmu_prop *prop = &iommu->props[checks[i].prop];
          if (!vsmmu_prop_value (prop, checks[i].field, checks[i].fixed, has_auto, &vsmmu))
            continue;
          const char *name = prop->spelling != NULL ? prop->spelling : checks[i].prop_name;
          gboolean on_off = checks[i].field == IDR_RIL || checks[i].field == IDR_ATS;
          if (prop->state != PROP_VALUE)
            reason = g_strdup_printf ("%s left out: QEMU %s's default", checks[i].prop_name, release);
          else if (on_off)
            reason = g_strdup_printf ("%s='%s'", name, prop->value ? "on" : "off");
          else
            reason = g_strdup_printf ("%s='%u'", name, prop->value);
        }
      else
        reason = g_strdup ("fixed in QEMU's vSMMU");
      gboolean fails = checks[i].rule == HOST_EQUAL       ? host != vsmmu
                       : checks[i].rule == HOST_NOT_GREATER ? host > vsmmu
                                                            : host < vsmmu;
      if (!fails)
        continue;
      smmu_incompat *incompat = g_new0 (smmu_incompat, 1);
      incompat->field = checks[i].field;
      incompat->host_value = host;
      incompat->vsmmu_value = vsmmu;
      incompat->fixed = checks[i].prop < 0;
      incompat->message = checks[i].args == ARGS_IPA_BITS
                            ? fill_message (checks[i].qemu_message, ARGS_VALUES, idr_oas_bits (host),
                                            idr_oas_bits (vsmmu))
                            : fill_message (checks[i].qemu_message, checks[i].args, host, vsmmu);
      incompat->vsmmu_reason = g_steal_pointer (&reason);
      g_ptr_array_add (out, incompat);
    }
  return out;
}
