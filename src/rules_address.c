/* SMU110-112: guest PCI addresses and chassis numbers that libvirt or QEMU
 * refuse: two devices at one address, a function > 0 in a slot whose
 * function 0 is not multi-function, two ports with one chassis. */
#include "rules_internal.h"

/* One occupant of a guest PCI address: a controller or an endpoint. */
typedef struct {
  int bus, slot, function;
  tristate multifunction;
  int line;
  const char *path;
  char *what;
} occupant;

static void
occupant_clear (occupant *o)
{
  g_free (o->what);
}

static gint
by_address (gconstpointer a, gconstpointer b)
{
  const occupant *x = a, *y = b;
  if (x->bus != y->bus)
    return x->bus < y->bus ? -1 : 1;
  if (x->slot != y->slot)
    return x->slot < y->slot ? -1 : 1;
  if (x->function != y->function)
    return x->function < y->function ? -1 : 1;
  return x->line < y->line ? -1 : x->line > y->line ? 1 : 0;
}

/* Every explicit guest address in the document (what libvirt places itself
 * never collides). */
static GArray *
occupants (const rule_context *ctx)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (occupant));
  g_array_set_clear_func (all, (GDestroyNotify) occupant_clear);
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (!bus->address_explicit || bus->index_gap || bus->slot < 0)
        continue;
      occupant o = { bus->parent, bus->slot, MAX (bus->function, 0), bus->multifunction, bus->line, bus->path,
                     rules_describe_bus (bus) };
      g_array_append_val (all, o);
    }
  for (guint i = 0; i < ctx->dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (ctx->dom->endpoints, i);
      if (!ep->address_explicit || ep->slot < 0)
        continue;
      occupant o = { ep->bus, ep->slot, MAX (ep->function, 0), ep->multifunction, ep->line, ep->path,
                     rules_describe_endpoint (ctx, ep) };
      g_array_append_val (all, o);
    }
  g_array_sort (all, by_address);
  return all;
}

/* SMU110 */
static void
check_duplicates (const rule_context *ctx, const GArray *all)
{
  gboolean xml = ctx->dom->origin == GUEST_FROM_LIBVIRT_XML;
  for (guint i = 1; i < all->len; i++)
    {
      const occupant *a = &g_array_index (all, occupant, i - 1), *b = &g_array_index (all, occupant, i);
      if (a->bus != b->bus || a->slot != b->slot || a->function != b->function)
        continue;
      g_autofree char *refusal = xml
        ? g_strdup_printf ("libvirt refuses the domain at define: \"XML error: Attempted double use of PCI Address "
                           "0000:%02x:%02x.%x\"", (guint) b->bus, (guint) b->slot, (guint) b->function)
        : g_strdup_printf ("QEMU exits: \"PCI: slot %d function %d not available for …, in use by …\"", b->slot,
                           b->function);
      g_autofree char *hint = g_strdup_printf ("give one of them another slot or function (bus 0x%02x has slots "
                                               "0x00-0x1f)%s", (guint) b->bus,
                                               xml ? ", or drop the address and let libvirt place it" : "");
      finding_add (ctx->out, "SMU110", SEVERITY_ERROR, b->line, b->path, hint,
                   "%s and %s (%s %d) are both at bus 0x%02x slot 0x%02x function %d; %s", b->what, a->what,
                   rules_at (ctx), a->line, (guint) b->bus, (guint) b->slot, b->function, refusal);
    }
}

/* SMU111: QEMU populates function N > 0 of a slot only when function 0 is
 * multi-function.  libvirt 12.9 adds multifunction='on' to function 0 when
 * it is not written, and passes an explicit 'off' on ("multifunction":false). */
static void
check_multifunction (const rule_context *ctx, const GArray *all)
{
  if (ctx->dom->origin == GUEST_FROM_PLAN)
    return; /* the emitters write multifunction=on themselves */
  gboolean xml = ctx->dom->origin == GUEST_FROM_LIBVIRT_XML;
  for (guint i = 0; i < all->len; i++)
    {
      const occupant *zero = &g_array_index (all, occupant, i);
      if (zero->function != 0 || zero->multifunction == TRI_YES || (xml && zero->multifunction != TRI_NO))
        continue;
      for (guint j = i + 1; j < all->len; j++)
        {
          const occupant *other = &g_array_index (all, occupant, j);
          if (other->bus != zero->bus || other->slot != zero->slot)
            break;
          if (other->function == 0)
            continue;
          g_autofree char *hint = xml
            ? g_strdup_printf ("write multifunction='on' on the address of %s (line %d), or leave the attribute "
                               "out: libvirt then sets it", zero->what, zero->line)
            : g_strdup_printf ("add multifunction=on to %s (arg %d)", zero->what, zero->line);
          finding_add (ctx->out, "SMU111", SEVERITY_ERROR, other->line, other->path, hint,
                       "%s is function %d of bus 0x%02x slot 0x%02x, but function 0 there, %s (%s %d), has "
                       "multifunction%s; QEMU exits: \"PCI: single function device can't be populated in function "
                       "%x.%x\"", other->what, other->function, (guint) other->bus, (guint) other->slot, zero->what,
                       rules_at (ctx), zero->line, xml ? "='off'" : " off", (guint) other->slot, (guint) other->function);
          break;
        }
    }
}

/* SMU112: each root or downstream port registers its chassis number (and
 * slot 0: libvirt writes none) with QEMU; a second port with that chassis is
 * refused when QEMU starts, though libvirt 12.9 defines the domain. */
static void
check_chassis (const rule_context *ctx)
{
  g_autoptr (GHashTable) first = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < ctx->dom->buses->len; i++)
    {
      const guest_bus *bus = g_ptr_array_index (ctx->dom->buses, i);
      if (bus->kind != GUEST_BUS_ROOT_PORT && bus->kind != GUEST_BUS_SWITCH_DOWNSTREAM)
        continue;
      /* Without <target chassis>, libvirt gives the controller index. */
      int chassis = bus->chassis >= 0 ? bus->chassis : bus->index;
      const guest_bus *other = g_hash_table_lookup (first, GINT_TO_POINTER (chassis));
      if (other == NULL)
        {
          g_hash_table_insert (first, GINT_TO_POINTER (chassis), (gpointer) bus);
          continue;
        }
      /* Report on the one written in the document, the later one if both are. */
      const guest_bus *at = bus->line >= other->line ? bus : other;
      const guest_bus *prior = at == bus ? other : bus;
      g_autofree char *what = rules_describe_bus (at);
      g_autofree char *prior_what = rules_describe_bus (prior);
      g_autofree char *prior_where = prior->line > 0 ? g_strdup_printf (" (%s %d)", rules_at (ctx), prior->line)
                                                     : g_strdup (" (libvirt adds it, and gives it its index)");
      g_autofree char *hint = rules_argv (ctx)
        ? g_strdup ("give it a chassis= no other port has")
        : g_strdup_printf ("give it a chassis no other port has, e.g. its index: <target chassis='%d' …/>",
                           at->index);
      finding_add (ctx->out, "SMU112", SEVERITY_ERROR, at->line, at->path, hint,
                   "%s has chassis %d, like %s%s; %sQEMU exits when it starts: \"Can't add chassis slot, error -16\"",
                   what, chassis, prior_what, prior_where,
                   RULES_WORDS (ctx, "libvirt defines the domain, but ", ""));
    }
}

void
rules_check_addresses (const rule_context *ctx)
{
  g_autoptr (GArray) all = occupants (ctx);
  check_duplicates (ctx, all);
  check_multifunction (ctx, all);
  check_chassis (ctx);
}
