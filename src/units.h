/* Sizes for people: "512 GiB", "1.5 TiB" — one formatter for every output.
 * ASCII only (g_format_size puts a no-break space in, which greps and
 * scripts trip over); one decimal, rounded without floating point. */
#pragma once
#include <glib.h>

char *units_format_size (guint64 bytes);
