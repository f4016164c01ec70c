#include "jsonread.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "errors.h"

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
