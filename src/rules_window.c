/* SMU401-403: the bus-number ranges of the root complexes and the 64-bit
 * MMIO window the passthrough BARs must fit in. */
#include "rules_internal.h"
#include "units.h"

typedef struct {
  const guest_bus *rc;
  int first, last;
} bus_range;

/* Where the pxb could start instead (guest_bus_nr_alloc), with the planner's
 * headroom when it fits; -1 when nothing does. */
static int
free_bus_nr (const GArray *ranges, const guest_bus *pxb, int span)
{
  g_autoptr (GArray) others = g_array_new (FALSE, FALSE, sizeof (guest_bus_range));
  for (guint i = 0; i < ranges->len; i++)
    {
      const bus_range *r = &g_array_index (ranges, bus_range, i);
      guest_bus_range other = { r->first, r->last };
      if (r->rc != pxb)
        g_array_append_val (others, other);
    }
  int start = guest_bus_nr_alloc (others, span + 1 + GUEST_DEFAULT_BUS_HEADROOM, GUEST_BUS_LAST);
  return start >= 0 ? start : guest_bus_nr_alloc (others, span + 1, GUEST_BUS_LAST);
}

static void
check_bus_ranges (const rule_context *ctx)
{
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (bus_range));
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      /* A pxb without busNr gets one from libvirt: nothing to check. */
      if (!guest_bus_is_root_complex (bus->kind) || (bus->kind == GUEST_BUS_PXB_PCIE && bus->bus_nr < 0))
        continue;
      bus_range r = { bus, 0, 0 };
      guest_root_complex_bus_range (ctx->dom, bus->index, &r.first, &r.last);
      g_array_append_val (ranges, r);
    }
  for (guint i = 0; i < ranges->len; i++)
    {
      const bus_range *a = &g_array_index (ranges, bus_range, i);
      int span = a->last - a->first;
      if (a->rc->kind == GUEST_BUS_PXB_PCIE && a->first >= GUEST_BUS_LAST && a->last == a->first)
        finding_add (ctx->out, "SMU401", SEVERITY_ERROR, a->rc->line, a->rc->path, "use busNr 254 or below",
                     "pcie-expander-bus %s has busNr %d: libvirt refuses it (\"PCI controller busNr '%d' out of "
                     "range - must be 1-%d\")", a->rc->id, a->first, a->first, GUEST_BUS_LAST - 1);
      if (a->rc->kind == GUEST_BUS_PXB_PCIE && a->last > GUEST_BUS_LAST)
        {
          int better = free_bus_nr (ranges, a->rc, span);
          g_autofree char *hint = better >= 0 ? g_strdup_printf (RULES_WORDS (ctx, "lower busNr to %d or below",
                                                                              "lower bus_nr to %d or below"), better)
                                              : g_strdup ("remove ports below it");
          finding_add (ctx->out, "SMU401", SEVERITY_ERROR, a->rc->line, a->rc->path, hint,
                       RULES_WORDS (ctx, "pcie-expander-bus %s needs buses %d-%d (busNr %d plus %d port%s below "
                                         "it), past bus 255",
                                    "pxb-pcie %s needs buses %d-%d (bus_nr %d plus %d port%s below it), past bus 255"),
                       a->rc->id, a->first, a->last, a->first, span, span == 1 ? "" : "s");
        }
      for (guint j = 0; j < i; j++)
        {
          const bus_range *b = &g_array_index (ranges, bus_range, j);
          if (a->first > b->last || b->first > a->last)
            continue;
          /* Blame the pxb whose busNr can move; pcie.0 always starts at 0. */
          const bus_range *moved = a->rc->kind == GUEST_BUS_PXB_PCIE ? a : b;
          const bus_range *other = moved == a ? b : a;
          int better = free_bus_nr (ranges, moved->rc, moved->last - moved->first);
          g_autofree char *hint = better >= 0 ? g_strdup_printf (RULES_WORDS (ctx, "set busNr='%d' on %s (line %d), "
                                                                                   "clear of every other range",
                                                                              "set bus_nr=%d on %s (arg %d), clear "
                                                                              "of every other range"),
                                                                 better, moved->rc->id, moved->rc->line)
                                              : g_strdup ("fewer ports per root complex, or fewer root complexes");
          finding_add (ctx->out, "SMU401", SEVERITY_ERROR, moved->rc->line, moved->rc->path, hint,
                       "bus numbers overlap: %s takes buses %d-%d and %s takes %d-%d (each port, switch port "
                       "or bridge below a root complex takes one bus)", moved->rc->id, moved->first,
                       moved->last, other->rc->id, other->first, other->last);
        }
    }
}

/* How the window is declared, for messages: "<pcihole64> (3 TiB, which
 * libvirt passes as highmem-mmio-size=3221225472K)" or "highmem-mmio-size". */
static char *
declared_window (const guest_domain *dom)
{
  g_autofree char *size = units_format_size (dom->mmio64_size);
  if (dom->mmio64_source == GUEST_MMIO64_PCIHOLE64)
    return g_strdup_printf ("<pcihole64> of %s, which libvirt passes as highmem-mmio-size=%" G_GUINT64_FORMAT "K",
                            size, dom->mmio64_size >> 10);
  return g_strdup_printf ("highmem-mmio-size of %s", size);
}

static void
check_mmio_window (const rule_context *ctx)
{
  const guest_domain *dom = ctx->dom;
  guint64 size = dom->mmio64_size;
  g_autofree char *default_text = units_format_size (GUEST_DEFAULT_MMIO64_SIZE);
  const char *path = dom->mmio64_path;
  if (dom->mmio64_source != GUEST_MMIO64_DEFAULT)
    {
      g_autofree char *hint = dom->mmio64_source == GUEST_MMIO64_PCIHOLE64
        ? g_strdup_printf ("use a power of two of at least %s, e.g. <pcihole64 unit='KiB'>2147483648</pcihole64> "
                           "(2 TiB)", default_text)
        : g_strdup_printf ("use a power of two of at least %s, e.g. highmem-mmio-size=2T", default_text);
      /* QEMU 11.1's words, checked in this order. */
      if (dom->mmio64_unparsed)
        {
          finding_add (ctx->out, "SMU403", SEVERITY_ERROR, dom->mmio64_line, path, hint,
                       "highmem-mmio-size is not a size QEMU reads (a number with K, M, G, T, P or E); QEMU exits: "
                       "\"Parameter 'highmem-mmio-size' expects size\"");
          return;
        }
      g_autofree char *declared = declared_window (dom);
      if ((size & (size - 1)) != 0 || size == 0)
        {
          finding_add (ctx->out, "SMU403", SEVERITY_ERROR, dom->mmio64_line, path, hint,
                       "the declared window (%s) is not a power of two; QEMU exits: \"highmem-mmio-size is not a "
                       "power of 2\"", declared);
          return;
        }
      if (size < GUEST_DEFAULT_MMIO64_SIZE)
        {
          finding_add (ctx->out, "SMU403", SEVERITY_ERROR, dom->mmio64_line, path, hint,
                       "the declared window (%s) is below QEMU's default of %s; QEMU exits: \"highmem-mmio-size "
                       "cannot be set to a lower value than the default (512 GiB)\"", declared, default_text);
          return;
        }
    }
  guint hostdevs = 0;
  for (guint i = 0; i < dom->endpoints->len; i++)
    hostdevs += ((const guest_endpoint *) g_ptr_array_index (dom->endpoints, i))->kind == GUEST_EP_HOSTDEV;
  /* With a host the real BAR sizes are checked (rules_host.c). */
  if (hostdevs == 0 || ctx->opts->host != NULL)
    return;
  g_autofree char *declared = declared_window (dom);
  g_autofree char *window = dom->mmio64_line != 0 ? g_strdup_printf ("%s (declared at %s %d)", declared,
                                                                     rules_at (ctx), dom->mmio64_line)
                                                  : g_strdup_printf ("QEMU's default %s", default_text);
  /* Without a host the BAR sizes are unknown: say what is declared, decide nothing. */
  finding_add (ctx->out, "SMU402", SEVERITY_INFO, dom->mmio64_line != 0 ? dom->mmio64_line : dom->line,
               dom->mmio64_line != 0 ? path : "/domain",
               "smmuctl probe shows each device's BAR sizes; the window must hold their 64-bit prefetchable BARs, "
               "each bridge window aligned to its largest BAR",
               "the 64-bit MMIO window is %s; the BAR sizes of the %u passthrough device%s are unknown without a "
               "host, so whether they fit is not checked", window, hostdevs, hostdevs == 1 ? "" : "s");
}

void
rules_check_window (const rule_context *ctx)
{
  check_bus_ranges (ctx);
  check_mmio_window (ctx);
}
