/* The 64-bit MMIO window the passthrough BARs need: a model of how guest
 * firmware lays out prefetchable bridge windows (see mmio64.h). */
#include "mmio64.h"

/* A region to place: its size and the alignment its start needs. */
typedef struct {
  guint64 size, align;
} extent;

static guint64
align_up (guint64 value, guint64 align)
{
  if (align <= 1)
    return value;
  guint64 up = (value + align - 1) & ~(align - 1);
  return up < value ? G_MAXUINT64 : up; /* saturate: "too big" stays too big */
}

static gint
by_alignment_desc (gconstpointer a, gconstpointer b)
{
  const extent *x = a, *y = b;
  if (x->align != y->align)
    return x->align > y->align ? -1 : 1;
  return x->size > y->size ? -1 : x->size < y->size ? 1 : 0;
}

/* Place the parts one after another, largest alignment first (from a start
 * aligned to the largest): the extent of the whole. */
static extent
place (GArray *parts)
{
  g_array_sort (parts, by_alignment_desc);
  extent whole = { 0, 1 };
  for (guint i = 0; i < parts->len; i++)
    {
      const extent *p = &g_array_index (parts, extent, i);
      guint64 start = align_up (whole.size, p->align);
      whole.size = start > G_MAXUINT64 - p->size ? G_MAXUINT64 : start + p->size;
      whole.align = MAX (whole.align, p->align);
    }
  return whole;
}

guint64
mmio64_need (const guest_domain *dom, const host_model *host)
{
  /* bridge index → GArray of BAR extents below it */
  g_autoptr (GHashTable) bridges = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                                          (GDestroyNotify) g_array_unref);
  for (guint i = 0; i < dom->endpoints->len; i++)
    {
      const guest_endpoint *ep = g_ptr_array_index (dom->endpoints, i);
      const host_pci_device *dev = ep->kind == GUEST_EP_HOSTDEV && ep->host_bdf != NULL
                                       ? host_find_device (host, ep->host_bdf)
                                       : NULL;
      if (dev == NULL)
        continue;
      int bridge = ep->bus; /* the port whose bridge window holds its BARs */
      GArray *bars = g_hash_table_lookup (bridges, GINT_TO_POINTER (bridge));
      if (bars == NULL)
        {
          bars = g_array_new (FALSE, FALSE, sizeof (extent));
          g_hash_table_insert (bridges, GINT_TO_POINTER (bridge), bars);
        }
      for (guint b = 0; b < dev->bars->len; b++)
        {
          const host_bar *bar = &g_array_index (dev->bars, host_bar, b);
          if (!bar->is64 || !bar->prefetchable || bar->size == 0)
            continue;
          /* BAR sizes are powers of two; a recorded odd size is rounded as a BAR would be. */
          guint64 size = 1;
          while (size < bar->size && size < (G_GUINT64_CONSTANT (1) << 63))
            size <<= 1;
          extent e = { size, size };
          g_array_append_val (bars, e);
        }
    }

  /* Each bridge window, then the root complexes that hold them. */
  g_autoptr (GHashTable) complexes = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                                            (GDestroyNotify) g_array_unref);
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, bridges);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      extent window = place (value);
      if (window.size == 0)
        continue;
      window.size = align_up (window.size, MMIO64_BRIDGE_GRANULE);
      window.align = MAX (window.align, MMIO64_BRIDGE_GRANULE);
      int rc = guest_root_complex_of_bus (dom, GPOINTER_TO_INT (key));
      GArray *ports = g_hash_table_lookup (complexes, GINT_TO_POINTER (rc));
      if (ports == NULL)
        {
          ports = g_array_new (FALSE, FALSE, sizeof (extent));
          g_hash_table_insert (complexes, GINT_TO_POINTER (rc), ports);
        }
      g_array_append_val (ports, window);
    }
  g_autoptr (GArray) apertures = g_array_new (FALSE, FALSE, sizeof (extent));
  g_hash_table_iter_init (&iter, complexes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      extent aperture = place (value);
      g_array_append_val (apertures, aperture);
    }
  return place (apertures).size;
}

guint64
mmio64_window_for (guint64 need)
{
  guint64 window = GUEST_DEFAULT_MMIO64_SIZE;
  while (window < need && window < (G_GUINT64_CONSTANT (1) << 62))
    window <<= 1;
  return window;
}
