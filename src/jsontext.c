#include "jsontext.h"

#include <string.h>

/* Text is appended in small pieces (a key, two spaces, a digit string),
 * millions of them for a large host: copy straight into the GString's
 * room when it has some, and let GLib grow it otherwise. */
static inline void
put (GString *out, const char *text, gsize len)
{
  if (out->len + len < out->allocated_len)
    {
      memcpy (out->str + out->len, text, len);
      out->len += len;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, text, (gssize) len);
}

#define PUT_LITERAL(out, literal) put ((out), "" literal, sizeof (literal) - 1)

static void
indent (GString *out, guint depth)
{
  static const char spaces[] = "                                                                ";
  gsize want = 2 * (gsize) depth;
  while (want > 0)
    {
      gsize n = MIN (want, sizeof spaces - 1);
      put (out, spaces, n);
      want -= n;
    }
}

/* Decimal digits of v, written backwards from the end of a 24-byte buffer. */
static const char *
decimal (char buf[24], guint64 v, gboolean negative, gsize *len)
{
  char *p = buf + 24;
  do
    *--p = (char) ('0' + v % 10);
  while ((v /= 10) != 0);
  if (negative)
    *--p = '-';
  *len = (gsize) (buf + 24 - p);
  return p;
}

static void
put_int (GString *out, gint64 value)
{
  char buf[24];
  gsize len;
  /* The magnitude in unsigned arithmetic: -INT64_MIN overflows gint64. */
  guint64 magnitude = value < 0 ? 0 - (guint64) value : (guint64) value;
  const char *text = decimal (buf, magnitude, value < 0, &len);
  put (out, text, len);
}

static void
put_uint (GString *out, guint64 value)
{
  char buf[24];
  gsize len;
  const char *text = decimal (buf, value, FALSE, &len);
  put (out, text, len);
}

/* JSON string escaping as json-c does it (quote, backslash and control
 * characters; "/" and UTF-8 kept), without a printbuf per value. */
static void
put_string (GString *out, const char *text, gsize len)
{
  static const char hex[] = "0123456789abcdef";
  PUT_LITERAL (out, "\"");
  gsize i = 0;
  while (i < len)
    {
      /* Copy a run of characters that need no escaping in one go. */
      gsize run = i;
      while (run < len && (guchar) text[run] >= 0x20 && text[run] != '"' && text[run] != '\\')
        run++;
      put (out, text + i, run - i);
      if (run == len)
        break;
      guchar c = (guchar) text[run];
      switch (c)
        {
        case '"': PUT_LITERAL (out, "\\\""); break;
        case '\\': PUT_LITERAL (out, "\\\\"); break;
        case '\b': PUT_LITERAL (out, "\\b"); break;
        case '\f': PUT_LITERAL (out, "\\f"); break;
        case '\n': PUT_LITERAL (out, "\\n"); break;
        case '\r': PUT_LITERAL (out, "\\r"); break;
        case '\t': PUT_LITERAL (out, "\\t"); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            put (out, u, sizeof u);
          }
        }
      i = run + 1;
    }
  PUT_LITERAL (out, "\"");
}

void
json_text_string (GString *out, const char *text)
{
  put_string (out, text, strlen (text));
}

static void
put_scalar (GString *out, json_object *value)
{
  switch (json_object_get_type (value))
    {
    case json_type_null:
      PUT_LITERAL (out, "null");
      break;
    case json_type_boolean:
      if (json_object_get_boolean (value))
        PUT_LITERAL (out, "true");
      else
        PUT_LITERAL (out, "false");
      break;
    case json_type_int:
      /* json-c keeps values above INT64_MAX as unsigned; print them so. */
      if (json_object_get_int64 (value) == G_MAXINT64)
        put_uint (out, json_object_get_uint64 (value));
      else
        put_int (out, json_object_get_int64 (value));
      break;
    case json_type_string:
      put_string (out, json_object_get_string (value), (gsize) json_object_get_string_len (value));
      break;
    default:
      g_string_append (out, json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN
                                                                     | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
}

static void
put_pretty (GString *out, json_object *value, guint depth)
{
  json_type type = json_object_get_type (value);
  if (type == json_type_object && json_object_object_length (value) > 0)
    {
      int left = json_object_object_length (value);
      PUT_LITERAL (out, "{\n");
      json_object_object_foreach (value, key, member)
        {
          indent (out, depth + 1);
          put_string (out, key, strlen (key));
          PUT_LITERAL (out, ": ");
          put_pretty (out, member, depth + 1);
          if (--left > 0)
            PUT_LITERAL (out, ",\n");
          else
            PUT_LITERAL (out, "\n");
        }
      indent (out, depth);
      PUT_LITERAL (out, "}");
    }
  else if (type == json_type_array && json_object_array_length (value) > 0)
    {
      size_t n = json_object_array_length (value);
      PUT_LITERAL (out, "[\n");
      for (size_t i = 0; i < n; i++)
        {
          indent (out, depth + 1);
          put_pretty (out, json_object_array_get_idx (value, i), depth + 1);
          if (i + 1 < n)
            PUT_LITERAL (out, ",\n");
          else
            PUT_LITERAL (out, "\n");
        }
      indent (out, depth);
      PUT_LITERAL (out, "]");
    }
  else if (type == json_type_object)
    PUT_LITERAL (out, "{}");
  else if (type == json_type_array)
    PUT_LITERAL (out, "[]");
  else
    put_scalar (out, value); /* json-c prints null for a NULL value */
}

char *
json_pretty_string (json_object *doc)
{
  GString *out = g_string_new (NULL);
  put_pretty (out, doc, 0);
  PUT_LITERAL (out, "\n");
  return g_string_free (out, FALSE);
}

/* "0x" and at least digits (at most 16) hex digits, as "0x%0*llx" prints. */
static gsize
hex_text (char text[24], guint64 value, guint digits)
{
  static const char hex[] = "0123456789abcdef";
  char *p = text + 24;
  guint n = 0;
  do
    *--p = hex[value & 15], n++;
  while ((value >>= 4) != 0);
  while (n < MIN (digits, 16u))
    *--p = '0', n++;
  *--p = 'x';
  *--p = '0';
  memmove (text, p, n + 2);
  return n + 2;
}

json_object *
json_hex_new (guint64 value, guint digits)
{
  char text[24];
  gsize len = hex_text (text, value, digits);
  return json_object_new_string_len (text, (int) len);
}

/* ---- straight to text ---------------------------------------------------- */

/* Text held before it moves to the sink: large enough that writes are few,
 * small enough that a document of any size costs no more memory. */
#define SINK_CHUNK 65536

void
json_writer_begin (json_writer *w, GString *out, guint depth)
{
  *w = (json_writer) { out, depth, TRUE, NULL };
  PUT_LITERAL (out, "{");
}

/* Keys are the writer's own names: plain ASCII, no escaping needed. */
static void
key (json_writer *w, const char *name)
{
  if (w->first)
    PUT_LITERAL (w->out, "\n");
  else
    PUT_LITERAL (w->out, ",\n");
  w->first = FALSE;
  indent (w->out, w->depth + 1);
  PUT_LITERAL (w->out, "\"");
  put (w->out, name, strlen (name));
  PUT_LITERAL (w->out, "\": ");
}

void
json_writer_end (json_writer *w)
{
  if (!w->first)
    {
      PUT_LITERAL (w->out, "\n");
      indent (w->out, w->depth);
    }
  PUT_LITERAL (w->out, "}");
}

void
json_writer_string (json_writer *w, const char *name, const char *value)
{
  key (w, name);
  if (value == NULL)
    PUT_LITERAL (w->out, "null");
  else
    put_string (w->out, value, strlen (value));
}

void
json_writer_int (json_writer *w, const char *name, gint64 value, gboolean known)
{
  key (w, name);
  if (known)
    put_int (w->out, value);
  else
    PUT_LITERAL (w->out, "null");
}

void
json_writer_uint (json_writer *w, const char *name, guint64 value)
{
  key (w, name);
  put_uint (w->out, value);
}

void
json_writer_bool (json_writer *w, const char *name, gboolean value)
{
  key (w, name);
  if (value)
    PUT_LITERAL (w->out, "true");
  else
    PUT_LITERAL (w->out, "false");
}

void
json_writer_hex (json_writer *w, const char *name, guint64 value, guint digits)
{
  char text[24];
  gsize len = hex_text (text, value, digits);
  key (w, name);
  PUT_LITERAL (w->out, "\"");
  put (w->out, text, len);
  PUT_LITERAL (w->out, "\"");
}

void
json_writer_object (json_writer *w, const char *name, json_writer *child)
{
  key (w, name);
  json_writer_begin (child, w->out, w->depth + 1);
}

void
json_writer_tree (json_writer *w, const char *name, json_object *value)
{
  key (w, name);
  put_pretty (w->out, value, w->depth + 1);
}

static void
move_to_sink (json_writer *w)
{
  fwrite (w->out->str, 1, w->out->len, w->sink); /* errors: the caller checks ferror() */
  g_string_truncate (w->out, 0);
}

void
json_writer_array (json_writer *w, const char *name, guint n, json_element_fn element, gconstpointer data)
{
  key (w, name);
  if (n == 0)
    {
      PUT_LITERAL (w->out, "[]");
      return;
    }
  PUT_LITERAL (w->out, "[\n");
  for (guint i = 0; i < n; i++)
    {
      indent (w->out, w->depth + 2);
      element (w->out, data, i, w->depth + 2);
      if (i + 1 < n)
        PUT_LITERAL (w->out, ",\n");
      else
        PUT_LITERAL (w->out, "\n");
      if (w->sink != NULL && w->out->len >= SINK_CHUNK)
        move_to_sink (w);
    }
  indent (w->out, w->depth + 1);
  PUT_LITERAL (w->out, "]");
}
