/* host model <-> `probe --json` document, and the typed JSON reader that
 * every JSON input of smmuctl shares. */
#include "hostjson.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "hwinfo.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)

/* ---- text style ---------------------------------------------------------- */

static void
indent (GString *out, guint depth)
{
  static const char spaces[] = "                                                                ";
  gsize want = 2 * (gsize) depth;
  while (want > 0)
    {
      gsize n = MIN (want, sizeof spaces - 1);
      g_string_append_len (out, spaces, (gssize) n);
      want -= n;
    }
}

/* JSON string escaping as json-c does it (quote, backslash and control
 * characters; "/" and UTF-8 kept), without a printbuf per value: documents
 * of thousands of devices spend most of their time here. */
static void
append_string (GString *out, const char *text, gsize len)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      /* Copy a run of characters that need no escaping in one go. */
      gsize run = i;
      while (run < len && (guchar) text[run] >= 0x20 && text[run] != '"' && text[run] != '\\')
        run++;
      if (run > i)
        {
          g_string_append_len (out, text + i, (gssize) (run - i));
          i = run - 1;
          continue;
        }
      guchar c = (guchar) text[i];
      switch (c)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_scalar (GString *out, json_object *value)
{
  switch (json_object_get_type (value))
    {
    case json_type_null:
      g_string_append (out, "null");
      break;
    case json_type_boolean:
      g_string_append (out, json_object_get_boolean (value) ? "true" : "false");
      break;
    case json_type_int:
      /* json-c keeps values above INT64_MAX as unsigned; print them so. */
      if (json_object_get_int64 (value) == G_MAXINT64)
        g_string_append_printf (out, "%" G_GUINT64_FORMAT, json_object_get_uint64 (value));
      else
        g_string_append_printf (out, "%" G_GINT64_FORMAT, json_object_get_int64 (value));
      break;
    case json_type_string:
      append_string (out, json_object_get_string (value), (gsize) json_object_get_string_len (value));
      break;
    default:
      g_string_append (out, json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN
                                                                     | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
}

static void
append_pretty (GString *out, json_object *value, guint depth)
{
  json_type type = json_object_get_type (value);
  if (type == json_type_object && json_object_object_length (value) > 0)
    {
      int left = json_object_object_length (value);
      g_string_append (out, "{\n");
      json_object_object_foreach (value, key, member)
        {
          indent (out, depth + 1);
          append_string (out, key, strlen (key));
          g_string_append (out, ": ");
          append_pretty (out, member, depth + 1);
          g_string_append (out, --left > 0 ? ",\n" : "\n");
        }
      indent (out, depth);
      g_string_append_c (out, '}');
    }
  else if (type == json_type_array && json_object_array_length (value) > 0)
    {
      size_t n = json_object_array_length (value);
      g_string_append (out, "[\n");
      for (size_t i = 0; i < n; i++)
        {
          indent (out, depth + 1);
          append_pretty (out, json_object_array_get_idx (value, i), depth + 1);
          g_string_append (out, i + 1 < n ? ",\n" : "\n");
        }
      indent (out, depth);
      g_string_append_c (out, ']');
    }
  else if (type == json_type_object)
    g_string_append (out, "{}");
  else if (type == json_type_array)
    g_string_append (out, "[]");
  else
    append_scalar (out, value); /* json-c prints null for a NULL value */
}

char *
json_pretty_string (json_object *doc)
{
  GString *out = g_string_new (NULL);
  append_pretty (out, doc, 0);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

char *
json_read_input (const char *path, gsize max_size, gsize *len, GError **error)
{
  gboolean from_stdin = g_strcmp0 (path, "-") == 0;
  const char *display = from_stdin ? "<stdin>" : path;
  FILE *file = from_stdin ? stdin : fopen (path, "rb");
  if (file == NULL)
    {
      int saved = errno;
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: cannot open: %s", display,
                   g_strerror (saved));
      return NULL;
    }
  g_autoptr (GString) data = g_string_new (NULL);
  char chunk[65536];
  gboolean too_big = FALSE;
  size_t got;
  while (!too_big && (got = fread (chunk, 1, sizeof chunk, file)) > 0)
    {
      g_string_append_len (data, chunk, (gssize) got);
      too_big = data->len > max_size;
    }
  int saved = errno;
  gboolean failed = !too_big && ferror (file);
  if (!from_stdin)
    fclose (file);
  if (too_big)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                   "%s: larger than %" G_GSIZE_FORMAT " MiB, refusing to read it", display,
                   max_size / (1024 * 1024));
      return NULL;
    }
  if (failed)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: cannot read: %s", display,
                   g_strerror (saved));
      return NULL;
    }
  *len = data->len;
  return g_string_free (g_steal_pointer (&data), FALSE);
}

/* ---- typed reader ------------------------------------------------------- */

void
json_reader_init (json_reader *r, const char *source)
{
  r->source = source;
  r->path = g_string_new ("$");
  r->error = NULL;
}

void
json_reader_clear (json_reader *r)
{
  g_string_free (r->path, TRUE);
  g_clear_error (&r->error);
}

void
json_reader_fail (json_reader *r, const char *key, const char *format, ...)
{
  if (r->error != NULL)
    return;
  va_list args;
  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (&r->error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "%s: %s%s%s: %s", r->source,
               r->path->str, key ? "." : "", key ? key : "", what);
}

gsize
json_reader_enter (json_reader *r, const char *key)
{
  gsize mark = r->path->len;
  g_string_append_printf (r->path, ".%s", key);
  return mark;
}

gsize
json_reader_enter_index (json_reader *r, gsize index)
{
  gsize mark = r->path->len;
  g_string_append_printf (r->path, "[%" G_GSIZE_FORMAT "]", index);
  return mark;
}

void
json_reader_leave (json_reader *r, gsize mark)
{
  g_string_truncate (r->path, mark);
}

json_object *
json_reader_parse (json_reader *r, const char *data, gsize len)
{
  if (len > INT_MAX)
    {
      json_reader_fail (r, NULL, "document too large");
      return NULL;
    }
  json_tokener *tok = json_tokener_new ();
  json_tokener_set_flags (tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
  json_object *doc = json_tokener_parse_ex (tok, data, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  gsize end = json_tokener_get_parse_end (tok);
  json_tokener_free (tok);
  const char *problem = NULL;
  if (jerr == json_tokener_continue)
    problem = "unexpected end of input";
  else if (jerr != json_tokener_success)
    problem = json_tokener_error_desc (jerr);
  else
    for (gsize i = end; i < len && problem == NULL; i++)
      if (!g_ascii_isspace (data[i]))
        {
          problem = "unexpected text after the document";
          end = i;
        }
  if (problem == NULL)
    return doc;
  json_object_put (doc);
  gsize line = 1, column = 1;
  for (gsize i = 0; i < end && i < len; i++)
    {
      column++;
      if (data[i] == '\n')
        line++, column = 1;
    }
  if (r->error == NULL)
    g_set_error (&r->error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                 "%s:%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT ": not valid JSON: %s", r->source, line,
                 column, problem);
  return NULL;
}

gboolean
json_reader_has (json_object *obj, const char *key)
{
  return json_object_object_get_ex (obj, key, NULL);
}

/* The member if present with the wanted type; NULL when absent (and for
 * null when nullable).  Fails with "expected <what>" otherwise. */
static json_object *
member (json_reader *r, json_object *obj, const char *key, json_type want, gboolean nullable,
        const char *what)
{
  json_object *value = NULL;
  if (r->error != NULL || !json_object_object_get_ex (obj, key, &value))
    return NULL;
  if (value == NULL && nullable)
    return NULL;
  if (value == NULL || json_object_get_type (value) != want)
    {
      json_reader_fail (r, key, "expected %s%s", what, nullable ? " or null" : "");
      return NULL;
    }
  return value;
}

json_object *
json_reader_object (json_reader *r, json_object *obj, const char *key)
{
  return member (r, obj, key, json_type_object, TRUE, "an object");
}

json_object *
json_reader_array (json_reader *r, json_object *obj, const char *key)
{
  return member (r, obj, key, json_type_array, TRUE, "an array");
}

char *
json_reader_string (json_reader *r, json_object *obj, const char *key, gboolean nullable)
{
  json_object *value = member (r, obj, key, json_type_string, nullable, "a string");
  if (value == NULL)
    return NULL;
  if (strlen (json_object_get_string (value)) != (size_t) json_object_get_string_len (value))
    {
      json_reader_fail (r, key, "contains a NUL character");
      return NULL;
    }
  return g_strdup (json_object_get_string (value));
}

gboolean
json_reader_bool (json_reader *r, json_object *obj, const char *key, gboolean dflt)
{
  json_object *value = member (r, obj, key, json_type_boolean, FALSE, "true or false");
  return value ? json_object_get_boolean (value) : dflt;
}

gint64
json_reader_int (json_reader *r, json_object *obj, const char *key, gint64 dflt, gint64 min,
                 gint64 max, gboolean nullable)
{
  json_object *value = member (r, obj, key, json_type_int, nullable, "an integer");
  if (value == NULL)
    return dflt;
  gint64 n = json_object_get_int64 (value);
  if (n < min || n > max || (n == G_MAXINT64 && json_object_get_uint64 (value) > G_MAXINT64))
    {
      json_reader_fail (r, key, "expected an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                        min, max);
      return dflt;
    }
  return n;
}

guint64
json_reader_uint64 (json_reader *r, json_object *obj, const char *key, guint64 dflt)
{
  json_object *value = member (r, obj, key, json_type_int, FALSE, "a non-negative integer");
  if (value == NULL)
    return dflt;
  if (json_object_get_int64 (value) < 0)
    {
      json_reader_fail (r, key, "expected a non-negative integer");
      return dflt;
    }
  return json_object_get_uint64 (value);
}

guint64
json_reader_hex_value (json_reader *r, json_object *value, guint64 max)
{
  const char *text = json_object_get_type (value) == json_type_string
                       ? json_object_get_string (value) : NULL;
  gsize digits = text ? strspn (text + MIN (strlen (text), 2), "0123456789abcdefABCDEF") : 0;
  if (text == NULL || (strncmp (text, "0x", 2) != 0 && strncmp (text, "0X", 2) != 0)
      || digits == 0 || digits > 16 || text[2 + digits] != '\0')
    {
      json_reader_fail (r, NULL, "expected a hexadecimal string such as \"0x1f\"");
      return 0;
    }
  guint64 n = g_ascii_strtoull (text + 2, NULL, 16);
  if (n > max)
    {
      json_reader_fail (r, NULL, "%s is out of range (at most 0x%" G_GINT64_MODIFIER "x)", text,
                        max);
      return 0;
    }
  return n;
}

guint64
json_reader_hex (json_reader *r, json_object *obj, const char *key, guint64 dflt, guint64 max)
{
  json_object *value = NULL;
  if (r->error != NULL || !json_object_object_get_ex (obj, key, &value))
    return dflt;
  gsize mark = json_reader_enter (r, key);
  guint64 n = json_reader_hex_value (r, value, max);
  json_reader_leave (r, mark);
  return r->error ? dflt : n;
}

tristate
json_reader_tristate (json_reader *r, json_object *obj, const char *key)
{
  json_object *value = member (r, obj, key, json_type_string, TRUE, "\"yes\", \"no\", \"unknown\"");
  if (value == NULL)
    return TRI_UNKNOWN;
  for (tristate t = TRI_UNKNOWN; t <= TRI_YES; t++)
    if (strcmp (json_object_get_string (value), tristate_name (t)) == 0)
      return t;
  json_reader_fail (r, key, "expected \"yes\", \"no\", \"unknown\" or null");
  return TRI_UNKNOWN;
}

json_object *
json_hex_new (guint64 value, guint digits)
{
  char text[24];
  g_snprintf (text, sizeof text, "0x%0*" G_GINT64_MODIFIER "x", (int) digits, value);
  return json_object_new_string (text);
}

/* ---- model -> document --------------------------------------------------- */

static void
add (json_object *obj, const char *key, json_object *value)
{
  json_object_object_add (obj, key, value);
}

static json_object *
string_or_null (const char *s)
{
  return s ? json_object_new_string (s) : NULL;
}

static json_object *
int_or_null (gint64 value, gboolean known)
{
  return known ? json_object_new_int64 (value) : NULL;
}

static json_object *
strings_to_json (const GPtrArray *strings)
{
  json_object *array = json_object_new_array ();
  for (guint i = 0; strings && i < strings->len; i++)
    json_object_array_add (array, json_object_new_string (strings->pdata[i]));
  return array;
}

static json_object *
node_access_to_json (const char *path, const host_node_access *access)
{
  json_object *obj = json_object_new_object ();
  g_autofree char *mode = g_strdup_printf ("0%03o", access->mode);
  add (obj, "path", json_object_new_string (path));
  add (obj, "present", json_object_new_boolean (access->present));
  add (obj, "is_char_device", json_object_new_boolean (access->is_char_device));
  add (obj, "mode", json_object_new_string (mode));
  add (obj, "uid", json_object_new_int64 (access->uid));
  add (obj, "gid", json_object_new_int64 (access->gid));
  return obj;
}

static json_object *
smmu_to_json (const host_smmu *smmu)
{
  json_object *obj = json_object_new_object ();
  const char *reason = NULL;
  tristate nesting = host_smmu_nesting (smmu, &reason);
  json_object *nest = json_object_new_object ();
  add (nest, "possible", json_object_new_string (tristate_name (nesting)));
  add (nest, "reason", string_or_null (reason));

  add (obj, "name", json_object_new_string (smmu->name ? smmu->name : ""));
  add (obj, "base", json_hex_new (smmu->base, 16));
  add (obj, "platform_device", string_or_null (smmu->platform_device));
  add (obj, "numa_node", int_or_null (smmu->numa_node, smmu->numa_node >= 0));
  add (obj, "numa_source", string_or_null (smmu->numa_source));
  add (obj, "in_iort", json_object_new_boolean (smmu->in_iort));
  add (obj, "iort_offset", json_object_new_int64 (smmu->iort_offset));
  add (obj, "canwbs", json_object_new_string (tristate_name (smmu->canwbs)));
  add (obj, "hwinfo", hwinfo_registers_to_json (&smmu->hwinfo));
  add (obj, "caps", hwinfo_caps_to_json (&smmu->hwinfo));
  add (obj, "nesting", nest);
  add (obj, "devices", strings_to_json (smmu->devices));
  return obj;
}

/* pci_devices and iommu_groups are written straight to text in the one
 * style of json_pretty_string: a host with thousands of devices never holds
 * a JSON tree (hostjson_from_model parses this text back when a tree is
 * wanted, so the two can never disagree). */
typedef struct {
  GString *out;
  guint depth;
  gboolean first;
} object_writer;

static void
w_begin (object_writer *w, GString *out, guint depth)
{
  *w = (object_writer) { out, depth, TRUE };
  g_string_append_c (out, '{');
}

static void
w_key (object_writer *w, const char *key)
{
  g_string_append (w->out, w->first ? "\n" : ",\n");
  w->first = FALSE;
  indent (w->out, w->depth + 1);
  append_string (w->out, key, strlen (key));
  g_string_append (w->out, ": ");
}

static void
w_end (object_writer *w)
{
  if (!w->first)
    {
      g_string_append_c (w->out, '\n');
      indent (w->out, w->depth);
    }
  g_string_append_c (w->out, '}');
}

static void
w_string (object_writer *w, const char *key, const char *value)
{
  w_key (w, key);
  if (value == NULL)
    g_string_append (w->out, "null");
  else
    append_string (w->out, value, strlen (value));
}

static void
w_int (object_writer *w, const char *key, gint64 value, gboolean known)
{
  char text[32];
  w_key (w, key);
  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, value);
  g_string_append (w->out, known ? text : "null");
}

static void
w_uint (object_writer *w, const char *key, guint64 value)
{
  char text[32];
  w_key (w, key);
  g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, value);
  g_string_append (w->out, text);
}

static void
w_bool (object_writer *w, const char *key, gboolean value)
{
  w_key (w, key);
  g_string_append (w->out, value ? "true" : "false");
}

static void
w_hex (object_writer *w, const char *key, guint64 value, guint digits)
{
  char text[24];
  g_snprintf (text, sizeof text, "0x%0*" G_GINT64_MODIFIER "x", (int) digits, value);
  w_string (w, key, text);
}

/* An array member of n elements, each written by element(i) at depth + 2. */
static void
w_array (object_writer *w, const char *key, guint n, void (*element) (GString *, gconstpointer, guint, guint),
         gconstpointer data)
{
  w_key (w, key);
  if (n == 0)
    {
      g_string_append (w->out, "[]");
      return;
    }
  g_string_append (w->out, "[\n");
  for (guint i = 0; i < n; i++)
    {
      indent (w->out, w->depth + 2);
      element (w->out, data, i, w->depth + 2);
      g_string_append (w->out, i + 1 < n ? ",\n" : "\n");
    }
  indent (w->out, w->depth + 1);
  g_string_append_c (w->out, ']');
}

static void
write_bar (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_bar *bar = &g_array_index ((const GArray *) data, host_bar, i);
  object_writer w;
  w_begin (&w, out, depth);
  w_int (&w, "index", bar->index, TRUE);
  w_hex (&w, "start", bar->start, 0);
  w_uint (&w, "size", bar->size);
  w_bool (&w, "is64", bar->is64);
  w_bool (&w, "prefetchable", bar->prefetchable);
  w_end (&w);
}

static void
write_string_element (GString *out, gconstpointer data, guint i, guint depth)
{
  (void) depth;
  const char *text = g_ptr_array_index ((const GPtrArray *) data, i);
  append_string (out, text, strlen (text));
}

static void
write_region (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_reserved_region *region = &g_array_index ((const GArray *) data, host_reserved_region, i);
  object_writer w;
  w_begin (&w, out, depth);
  w_hex (&w, "start", region->start, 0);
  w_hex (&w, "end", region->end, 0);
  w_string (&w, "type", region->type);
  w_end (&w);
}

static void
write_device (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_pci_device *dev = g_ptr_array_index ((const GPtrArray *) data, i);
  object_writer w;
  w_begin (&w, out, depth);
  w_string (&w, "bdf", dev->bdf ? dev->bdf : "");
  w_hex (&w, "vendor", dev->vendor, 4);
  w_hex (&w, "device", dev->device, 4);
  w_hex (&w, "class", dev->class_code, 6);
  w_string (&w, "class_name", pci_class_name (dev->class_code));
  w_bool (&w, "is_bridge", dev->is_bridge);
  w_string (&w, "driver", dev->driver);
  w_int (&w, "iommu_group", dev->iommu_group, dev->iommu_group >= 0);
  w_string (&w, "smmu", dev->smmu);
  w_string (&w, "smmu_source", dev->smmu_source);
  w_int (&w, "numa_node", dev->numa_node, dev->numa_node >= 0);
  w_string (&w, "vfio_cdev", dev->vfio_cdev);
  w_array (&w, "bars", dev->bars->len, write_bar, dev->bars);
  w_uint (&w, "bar_total", dev->bar_total);
  w_uint (&w, "bar64_total", dev->bar64_total);
  w_string (&w, "link_speed", dev->link_speed);
  w_int (&w, "link_width", dev->link_width, dev->link_width > 0);
  w_string (&w, "ats", tristate_name (dev->ats));
  w_string (&w, "pri", tristate_name (dev->pri));
  w_string (&w, "pasid", tristate_name (dev->pasid));
  w_int (&w, "pasid_width", dev->pasid_width, dev->pasid_width >= 0);
  w_string (&w, "canwbs", tristate_name (dev->canwbs));
  w_string (&w, "sysfs_path", dev->sysfs_path);
  w_end (&w);
}

static void
write_group (GString *out, gconstpointer data, guint i, guint depth)
{
  const host_iommu_group *group = g_ptr_array_index ((const GPtrArray *) data, i);
  object_writer w;
  w_begin (&w, out, depth);
  w_int (&w, "id", group->id, TRUE);
  w_string (&w, "type", group->type);
  w_array (&w, "devices", group->devices->len, write_string_element, group->devices);
  w_array (&w, "reserved_regions", group->reserved_regions->len, write_region, group->reserved_regions);
  w_end (&w);
}

static json_object *
tools_to_json (const host_tools *tools)
{
  json_object *obj = json_object_new_object ();
  add (obj, "probed", json_object_new_boolean (tools->probed));
  add (obj, "qemu_path", string_or_null (tools->qemu_path));
  add (obj, "qemu_version", string_or_null (tools->qemu_version));
  add (obj, "smmuv3_user_creatable",
       json_object_new_string (tristate_name (tools->smmuv3_user_creatable)));
  add (obj, "smmuv3_props", strings_to_json (tools->smmuv3_props));
  add (obj, "libvirt_version", string_or_null (tools->libvirt_version));
  return obj;
}

/* Everything but pci_devices and iommu_groups, which stay empty here and
 * are written straight to text by hostjson_to_string. */
static json_object *
build_document (const host_model *host, json_object *checks)
{
  json_object *doc = json_object_new_object ();
  json_object *kernel = json_object_new_object ();
  json_object *iort = json_object_new_object ();
  json_object *numa = json_object_new_array ();
  json_object *smmus = json_object_new_array ();
  json_object *devices = json_object_new_array ();
  json_object *groups = json_object_new_array ();
  add (kernel, "release", string_or_null (host->kernel_release));
  add (iort, "present", json_object_new_boolean (host->iort_present));
  add (iort, "source", string_or_null (host->iort_source));
  for (guint i = 0; i < host->numa_nodes->len; i++)
    {
      const host_numa_node *node = &g_array_index (host->numa_nodes, host_numa_node, i);
      json_object *n = json_object_new_object ();
      add (n, "id", json_object_new_int64 (node->id));
      add (n, "has_cpu", json_object_new_boolean (node->has_cpu));
      add (n, "has_memory", json_object_new_boolean (node->has_memory));
      json_object_array_add (numa, n);
    }
  for (guint i = 0; i < host->smmus->len; i++)
    json_object_array_add (smmus, smmu_to_json (host->smmus->pdata[i]));

  add (doc, "format", json_object_new_string (HOSTJSON_FORMAT));
  add (doc, "format_version", json_object_new_int (HOSTJSON_FORMAT_VERSION));
  add (doc, "root", string_or_null (host->root));
  add (doc, "kernel", kernel);
  add (doc, "iommufd", node_access_to_json ("/dev/iommu", &host->dev_iommu));
  add (doc, "vfio_cdev", node_access_to_json ("/dev/vfio/devices", &host->vfio_devices_dir));
  add (doc, "vfio_legacy", node_access_to_json ("/dev/vfio/vfio", &host->vfio_legacy));
  add (doc, "iort", iort);
  add (doc, "numa_nodes", numa);
  add (doc, "smmus", smmus);
  add (doc, "pci_devices", devices);
  add (doc, "iommu_groups", groups);
  add (doc, "tools", tools_to_json (&host->tools));
  add (doc, "notes", strings_to_json (host->notes));
  if (checks != NULL)
    add (doc, "checks", checks);
  return doc;
}

char *
hostjson_to_string (const host_model *host, json_object *checks)
{
  g_autoptr (json_object) doc = build_document (host, checks);
  GString *out = g_string_new (NULL);
  object_writer w;
  w_begin (&w, out, 0);
  json_object_object_foreach (doc, key, member)
    {
      if (strcmp (key, "pci_devices") == 0)
        w_array (&w, key, host->devices->len, write_device, host->devices);
      else if (strcmp (key, "iommu_groups") == 0)
        w_array (&w, key, host->groups->len, write_group, host->groups);
      else
        {
          w_key (&w, key);
          append_pretty (out, member, 1);
        }
    }
  w_end (&w);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

json_object *
hostjson_from_model (const host_model *host, json_object *checks)
{
  g_autofree char *text = hostjson_to_string (host, checks);
  return json_tokener_parse (text);
}

/* ---- document -> model --------------------------------------------------- */

/* Where a fact came from: static strings, so documents map onto this table. */
static const char *const fact_sources[] = { "sysfs", "iort" };

static const char *
read_fact_source (json_reader *r, json_object *obj, const char *key)
{
  g_autofree char *text = json_reader_string (r, obj, key, TRUE);
  if (text == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (fact_sources); i++)
    if (strcmp (text, fact_sources[i]) == 0)
      return fact_sources[i];
  json_reader_fail (r, key, "expected \"sysfs\", \"iort\" or null");
  return NULL;
}

/* A member that must be there (identity keys: name, bdf, id). */
static gboolean
require (json_reader *r, json_object *obj, const char *key)
{
  if (r->error == NULL && !json_reader_has (obj, key))
    json_reader_fail (r, key, "missing");
  return r->error == NULL;
}

/* A canonical BDF from a string member or array element at the current path. */
static char *
read_bdf (json_reader *r, json_object *value, const char *key)
{
  const char *text = json_object_get_type (value) == json_type_string
                       ? json_object_get_string (value) : NULL;
  char *bdf = text ? pci_bdf_normalize (text) : NULL;
  if (bdf == NULL)
    json_reader_fail (r, key, "expected a PCI address such as \"0000:01:00.0\"");
  return bdf;
}

static GPtrArray *
read_strings (json_reader *r, json_object *obj, const char *key, gboolean bdfs)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  json_object *array = json_reader_array (r, obj, key);
  gsize outer = json_reader_enter (r, key);
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *value = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (bdfs)
        g_ptr_array_add (out, read_bdf (r, value, NULL));
      else if (json_object_get_type (value) == json_type_string
               && strlen (json_object_get_string (value)) == (size_t) json_object_get_string_len (value))
        g_ptr_array_add (out, g_strdup (json_object_get_string (value)));
      else
        json_reader_fail (r, NULL, "expected a string without NUL characters");
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
  return out;
}

static void
read_node_access (json_reader *r, json_object *doc, const char *key, host_node_access *access)
{
  json_object *obj = json_reader_object (r, doc, key);
  if (obj == NULL)
    return;
  gsize mark = json_reader_enter (r, key);
  access->present = json_reader_bool (r, obj, "present", FALSE);
  access->is_char_device = json_reader_bool (r, obj, "is_char_device", FALSE);
  access->uid = (guint32) json_reader_int (r, obj, "uid", 0, 0, G_MAXUINT32, FALSE);
  access->gid = (guint32) json_reader_int (r, obj, "gid", 0, 0, G_MAXUINT32, FALSE);
  g_autofree char *mode = json_reader_string (r, obj, "mode", FALSE);
  if (mode != NULL)
    {
      char *end = NULL;
      guint64 n = g_ascii_strtoull (mode, &end, 8);
      if (mode[0] != '0' || strlen (mode) > 12 || *end != '\0' || n > G_MAXUINT32
          || strspn (mode, "01234567") != strlen (mode))
        json_reader_fail (r, "mode", "expected octal permissions such as \"0660\"");
      else
        access->mode = (guint32) n;
    }
  json_reader_leave (r, mark);
}

static void
read_smmu (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "name"))
    return;
  host_smmu *smmu = host_smmu_new ();
  g_ptr_array_add (host->smmus, smmu);
  smmu->name = json_reader_string (r, obj, "name", FALSE);
  smmu->base = json_reader_hex (r, obj, "base", 0, G_MAXUINT64);
  smmu->platform_device = json_reader_string (r, obj, "platform_device", TRUE);
  smmu->numa_node = (int) json_reader_int (r, obj, "numa_node", -1, -1, G_MAXINT, TRUE);
  smmu->numa_source = read_fact_source (r, obj, "numa_source");
  smmu->in_iort = json_reader_bool (r, obj, "in_iort", FALSE);
  smmu->iort_offset = (guint32) json_reader_int (r, obj, "iort_offset", 0, 0, G_MAXUINT32, FALSE);
  smmu->canwbs = json_reader_tristate (r, obj, "canwbs");
  json_object *hw = json_reader_object (r, obj, "hwinfo");
  if (hw != NULL)
    {
      gsize mark = json_reader_enter (r, "hwinfo");
      hwinfo_registers_from_json (r, hw, &smmu->hwinfo);
      json_reader_leave (r, mark);
    }
}

static void
read_bars (json_reader *r, json_object *obj, host_pci_device *dev)
{
  json_object *array = json_reader_array (r, obj, "bars");
  gsize outer = json_reader_enter (r, "bars");
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        {
          host_bar bar = { 0 };
          bar.index = (guint) json_reader_int (r, item, "index", 0, 0, 255, FALSE);
          bar.start = json_reader_hex (r, item, "start", 0, G_MAXUINT64);
          bar.size = json_reader_uint64 (r, item, "size", 0);
          bar.is64 = json_reader_bool (r, item, "is64", FALSE);
          bar.prefetchable = json_reader_bool (r, item, "prefetchable", FALSE);
          g_array_append_val (dev->bars, bar);
        }
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static void
read_device (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "bdf"))
    return;
  host_pci_device *dev = host_pci_device_new ();
  g_ptr_array_add (host->devices, dev);
  json_object *bdf = NULL;
  json_object_object_get_ex (obj, "bdf", &bdf);
  dev->bdf = read_bdf (r, bdf, "bdf");
  if (dev->bdf != NULL)
    pci_bdf_parse (dev->bdf, &dev->segment, &dev->bus, &dev->slot, &dev->function);
  dev->vendor = (guint16) json_reader_hex (r, obj, "vendor", 0, 0xffff);
  dev->device = (guint16) json_reader_hex (r, obj, "device", 0, 0xffff);
  dev->class_code = (guint32) json_reader_hex (r, obj, "class", 0, 0xffffff);
  dev->is_bridge = json_reader_bool (r, obj, "is_bridge", FALSE);
  dev->driver = json_reader_string (r, obj, "driver", TRUE);
  dev->iommu_group = (int) json_reader_int (r, obj, "iommu_group", -1, -1, G_MAXINT, TRUE);
  dev->smmu = json_reader_string (r, obj, "smmu", TRUE);
  dev->smmu_source = read_fact_source (r, obj, "smmu_source");
  dev->numa_node = (int) json_reader_int (r, obj, "numa_node", -1, -1, G_MAXINT, TRUE);
  dev->vfio_cdev = json_reader_string (r, obj, "vfio_cdev", TRUE);
  read_bars (r, obj, dev);
  guint64 total = 0, total64 = 0;
  for (guint i = 0; i < dev->bars->len; i++)
    {
      const host_bar *bar = &g_array_index (dev->bars, host_bar, i);
      total += bar->size;
      total64 += bar->is64 ? bar->size : 0;
    }
  /* Hand-written documents may leave the totals out. */
  dev->bar_total = json_reader_uint64 (r, obj, "bar_total", total);
  dev->bar64_total = json_reader_uint64 (r, obj, "bar64_total", total64);
  dev->link_speed = json_reader_string (r, obj, "link_speed", TRUE);
  dev->link_width = (int) json_reader_int (r, obj, "link_width", 0, 0, G_MAXINT, TRUE);
  dev->ats = json_reader_tristate (r, obj, "ats");
  dev->pri = json_reader_tristate (r, obj, "pri");
  dev->pasid = json_reader_tristate (r, obj, "pasid");
  dev->pasid_width = (int) json_reader_int (r, obj, "pasid_width", -1, -1, 32, TRUE);
  dev->canwbs = json_reader_tristate (r, obj, "canwbs");
  dev->sysfs_path = json_reader_string (r, obj, "sysfs_path", TRUE);
}

static void
read_group (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "id"))
    return;
  host_iommu_group *group
    = host_iommu_group_new ((int) json_reader_int (r, obj, "id", 0, 0, G_MAXINT, FALSE));
  g_ptr_array_add (host->groups, group);
  group->type = json_reader_string (r, obj, "type", TRUE);
  g_ptr_array_unref (group->devices);
  group->devices = read_strings (r, obj, "devices", TRUE);
  json_object *array = json_reader_array (r, obj, "reserved_regions");
  gsize outer = json_reader_enter (r, "reserved_regions");
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        {
          host_reserved_region region = { 0 };
          region.start = json_reader_hex (r, item, "start", 0, G_MAXUINT64);
          region.end = json_reader_hex (r, item, "end", 0, G_MAXUINT64);
          region.type = json_reader_string (r, item, "type", TRUE);
          g_array_append_val (group->reserved_regions, region);
        }
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static void
read_numa_node (json_reader *r, json_object *obj, host_model *host)
{
  if (!require (r, obj, "id"))
    return;
  host_numa_node node = { 0 };
  node.id = (int) json_reader_int (r, obj, "id", 0, 0, G_MAXINT, FALSE);
  node.has_cpu = json_reader_bool (r, obj, "has_cpu", FALSE);
  node.has_memory = json_reader_bool (r, obj, "has_memory", FALSE);
  g_array_append_val (host->numa_nodes, node);
}

typedef void (*read_item_fn) (json_reader *r, json_object *obj, host_model *host);

/* Each element of doc[key] must be an object; the item's identity (from
 * key_of) must be unique, since lookups by name, BDF or id return the first. */
static void
read_list (json_reader *r, json_object *doc, const char *key, read_item_fn read_item,
           host_model *host, char *(*key_of) (const host_model *host))
{
  json_object *array = json_reader_array (r, doc, key);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize outer = json_reader_enter (r, key);
  for (size_t i = 0; array && i < json_object_array_length (array) && !r->error; i++)
    {
      json_object *item = json_object_array_get_idx (array, i);
      gsize mark = json_reader_enter_index (r, i);
      if (json_object_get_type (item) != json_type_object)
        json_reader_fail (r, NULL, "expected an object");
      else
        read_item (r, item, host);
      char *identity = r->error ? NULL : key_of (host);
      if (identity != NULL && g_hash_table_contains (seen, identity))
        json_reader_fail (r, NULL, "%s appears twice in $.%s (at [%u] too)", identity, key,
                          GPOINTER_TO_UINT (g_hash_table_lookup (seen, identity)));
      if (identity != NULL)
        g_hash_table_insert (seen, identity, GUINT_TO_POINTER ((guint) i));
      json_reader_leave (r, mark);
    }
  json_reader_leave (r, outer);
}

static char *
last_smmu_key (const host_model *host)
{
  return g_strdup (((host_smmu *) host->smmus->pdata[host->smmus->len - 1])->name);
}

static char *
last_device_key (const host_model *host)
{
  return g_strdup (((host_pci_device *) host->devices->pdata[host->devices->len - 1])->bdf);
}

static char *
last_group_key (const host_model *host)
{
  return g_strdup_printf ("group %d", ((host_iommu_group *) host->groups->pdata[host->groups->len - 1])->id);
}

static char *
last_numa_key (const host_model *host)
{
  return g_strdup_printf ("node %d", g_array_index (host->numa_nodes, host_numa_node, host->numa_nodes->len - 1).id);
}

static void
read_tools (json_reader *r, json_object *doc, host_tools *tools)
{
  json_object *obj = json_reader_object (r, doc, "tools");
  if (obj == NULL)
    return;
  gsize mark = json_reader_enter (r, "tools");
  tools->probed = json_reader_bool (r, obj, "probed", FALSE);
  tools->qemu_path = json_reader_string (r, obj, "qemu_path", TRUE);
  tools->qemu_version = json_reader_string (r, obj, "qemu_version", TRUE);
  tools->smmuv3_user_creatable = json_reader_tristate (r, obj, "smmuv3_user_creatable");
  g_ptr_array_unref (tools->smmuv3_props);
  tools->smmuv3_props = read_strings (r, obj, "smmuv3_props", FALSE);
  tools->libvirt_version = json_reader_string (r, obj, "libvirt_version", TRUE);
  json_reader_leave (r, mark);
}

static void
read_header (json_reader *r, json_object *doc)
{
  if (json_object_get_type (doc) != json_type_object)
    {
      json_reader_fail (r, NULL, "expected an object (a smmuctl probe --json document)");
      return;
    }
  g_autofree char *format = json_reader_string (r, doc, "format", FALSE);
  if (r->error == NULL && g_strcmp0 (format, HOSTJSON_FORMAT) != 0)
    json_reader_fail (r, "format", "%s%s%s is not a smmuctl host document (expected \"%s\"); "
                      "write one with smmuctl probe --json",
                      format ? "\"" : "", format ? format : "missing: this", format ? "\"" : "",
                      HOSTJSON_FORMAT);
  if (!require (r, doc, "format_version"))
    return;
  gint64 version = json_reader_int (r, doc, "format_version", 0, 1, G_MAXINT64, FALSE);
  if (version > HOSTJSON_FORMAT_VERSION)
    json_reader_fail (r, "format_version",
                      "version %" G_GINT64_FORMAT " is newer than this smmuctl reads (%d); "
                      "upgrade smmuctl or write the document with this version's probe --json",
                      version, HOSTJSON_FORMAT_VERSION);
}

static host_model *parse_document (const char *data, gsize len, const char *source_name, char **owned_data,
                                   GError **error);

host_model *
hostjson_parse (const char *data, gsize len, const char *source_name, GError **error)
{
  return parse_document (data, len, source_name, NULL, error);
}

/* owned_data: the caller's buffer of data, freed as soon as the tree is
 * built, so that a large host never holds its text and its tree and the
 * model at once. */
static host_model *
parse_document (const char *data, gsize len, const char *source_name, char **owned_data, GError **error)
{
  json_reader r;
  json_reader_init (&r, source_name ? source_name : "<host json>");
  g_autoptr (host_model) host = host_model_new ();
  g_autoptr (json_object) doc = NULL;
  if (len > HOSTJSON_MAX_SIZE)
    json_reader_fail (&r, NULL, "larger than %" G_GSIZE_FORMAT " MiB; not a host document",
                      HOSTJSON_MAX_SIZE / (1024 * 1024));
  else
    doc = json_reader_parse (&r, data, len);
  if (owned_data != NULL)
    g_clear_pointer (owned_data, g_free);
  if (doc != NULL)
    read_header (&r, doc);
  if (doc != NULL && !r.error)
    {
      host->root = json_reader_string (&r, doc, "root", TRUE);
      json_object *kernel = json_reader_object (&r, doc, "kernel");
      gsize mark = json_reader_enter (&r, "kernel");
      host->kernel_release = kernel ? json_reader_string (&r, kernel, "release", TRUE) : NULL;
      json_reader_leave (&r, mark);
      read_node_access (&r, doc, "iommufd", &host->dev_iommu);
      read_node_access (&r, doc, "vfio_cdev", &host->vfio_devices_dir);
      read_node_access (&r, doc, "vfio_legacy", &host->vfio_legacy);
      json_object *iort = json_reader_object (&r, doc, "iort");
      mark = json_reader_enter (&r, "iort");
      host->iort_present = iort ? json_reader_bool (&r, iort, "present", FALSE) : FALSE;
      host->iort_source = iort ? json_reader_string (&r, iort, "source", TRUE) : NULL;
      json_reader_leave (&r, mark);
      read_list (&r, doc, "numa_nodes", read_numa_node, host, last_numa_key);
      read_list (&r, doc, "smmus", read_smmu, host, last_smmu_key);
      read_list (&r, doc, "pci_devices", read_device, host, last_device_key);
      read_list (&r, doc, "iommu_groups", read_group, host, last_group_key);
      read_tools (&r, doc, &host->tools);
      g_ptr_array_unref (host->notes);
      host->notes = read_strings (&r, doc, "notes", FALSE);
    }
  if (r.error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&r.error));
      json_reader_clear (&r);
      return NULL;
    }
  json_reader_clear (&r);
  host_model_finish (host);
  return g_steal_pointer (&host);
}

host_model *
hostjson_read_file (const char *path, GError **error)
{
  gsize len = 0;
  g_autofree char *data = json_read_input (path, HOSTJSON_MAX_SIZE, &len, error);
  if (data == NULL)
    return NULL;
  return parse_document (data, len, g_strcmp0 (path, "-") == 0 ? "<stdin>" : path, &data, error);
}
