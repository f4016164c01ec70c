#include "units.h"

char *
units_format_size (guint64 bytes)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  guint u = 0;
  guint64 whole = bytes;
  while (whole >= 1024 && u + 1 < G_N_ELEMENTS (units))
    {
      whole /= 1024;
      u++;
    }
  guint64 unit = G_GUINT64_CONSTANT (1) << (10 * u);
  if (bytes % unit == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", whole, units[u]);
  /* one decimal, rounded, without floating point; 1023.96 MiB is 1.0 GiB */
  guint64 tenths = whole * 10 + (bytes % unit * 10 + unit / 2) / unit;
  if (tenths >= 10240 && u + 1 < G_N_ELEMENTS (units))
    {
      tenths = 10;
      u++;
    }
  return g_strdup_printf ("%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT " %s", tenths / 10, tenths % 10, units[u]);
}
