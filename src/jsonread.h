/* Reading JSON that smmuctl did not write (host documents, hw_info
 * recordings): whole inputs with a size cap, and typed member access whose
 * errors name the file and the JSON path. */
#pragma once
#include <glib.h>
#include <json-c/json.h>

#include "hostmodel.h"

/* Read a whole file ("-" = stdin) of at most max_size bytes; INPUT error
 * naming the file otherwise.  Works for pipes and process substitution. */
char *json_read_input (const char *path, gsize max_size, gsize *len, GError **error);

/* Typed reading of untrusted JSON with errors that name the JSON path.
 * The first error is kept and later reads return their defaults, so a
 * reader can read a whole object and check r->error once. */
typedef struct {
  const char *source;  /* file name for messages */
  GString *path;       /* "$.smmus[2]" while reading inside it */
  GError *error;       /* first failure, SMMUCTL_ERROR_INPUT */
} json_reader;

void json_reader_init (json_reader *r, const char *source);
void json_reader_clear (json_reader *r);
/* Parse text into a tree (syntax errors give line:column); NULL on error. */
json_object *json_reader_parse (json_reader *r, const char *data, gsize len);
/* Fail at the current path (plus key, when not NULL). */
void json_reader_fail (json_reader *r, const char *key, const char *format, ...) G_GNUC_PRINTF (3, 4);

/* Descend into a member or an element for messages; leave with the mark. */
gsize json_reader_enter (json_reader *r, const char *key);
gsize json_reader_enter_index (json_reader *r, gsize index);
void json_reader_leave (json_reader *r, gsize mark);

/* Members of obj.  Absent (or null where allowed) gives the default; a
 * wrong type fails.  Strings are newly allocated. */
gboolean json_reader_has (json_object *obj, const char *key);
json_object *json_reader_object (json_reader *r, json_object *obj, const char *key); /* NULL: absent or null */
json_object *json_reader_array (json_reader *r, json_object *obj, const char *key);  /* NULL: absent or null */
char *json_reader_string (json_reader *r, json_object *obj, const char *key, gboolean nullable);
gboolean json_reader_bool (json_reader *r, json_object *obj, const char *key, gboolean dflt);
gint64 json_reader_int (json_reader *r, json_object *obj, const char *key, gint64 dflt,
                        gint64 min, gint64 max, gboolean nullable);
guint64 json_reader_uint64 (json_reader *r, json_object *obj, const char *key, guint64 dflt);
/* "0x…" hexadecimal string (1..16 digits), at most max. */
guint64 json_reader_hex (json_reader *r, json_object *obj, const char *key, guint64 dflt, guint64 max);
guint64 json_reader_hex_value (json_reader *r, json_object *value, guint64 max); /* at the current path */
tristate json_reader_tristate (json_reader *r, json_object *obj, const char *key);
