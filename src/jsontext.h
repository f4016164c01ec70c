/* smmuctl's one JSON text style, for every --json output: 2-space indent,
 * "[]"/"{}" when empty, "/" not escaped, UTF-8 kept, trailing newline.
 * Two ways to produce it: from a json-c tree, or written straight to text
 * (json_writer) for documents of thousands of devices, which never hold a
 * tree.  Both give the same bytes for the same document. */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdio.h>

char *json_pretty_string (json_object *doc);

/* Hex strings as written in documents: "0x%llx", or zero-padded to digits. */
json_object *json_hex_new (guint64 value, guint digits);

/* One object being written at depth (its members at depth + 1). */
typedef struct {
  GString *out;
  guint depth;
  gboolean first;
  FILE *sink; /* when set, text is moved there as it grows (top level only) */
} json_writer;

void json_writer_begin (json_writer *w, GString *out, guint depth);
void json_writer_end (json_writer *w);
void json_writer_string (json_writer *w, const char *key, const char *value); /* NULL: null */
void json_writer_int (json_writer *w, const char *key, gint64 value, gboolean known); /* !known: null */
void json_writer_uint (json_writer *w, const char *key, guint64 value);
void json_writer_bool (json_writer *w, const char *key, gboolean value);
void json_writer_hex (json_writer *w, const char *key, guint64 value, guint digits);
/* A member holding an object: child is begun one level down; write its
 * members, then json_writer_end (child). */
void json_writer_object (json_writer *w, const char *key, json_writer *child);
/* A member holding a json-c tree, printed in the same style. */
void json_writer_tree (json_writer *w, const char *key, json_object *value);
/* An array of n elements; element (out, data, i, depth) writes element i. */
typedef void (*json_element_fn) (GString *out, gconstpointer data, guint i, guint depth);
void json_writer_array (json_writer *w, const char *key, guint n, json_element_fn element, gconstpointer data);
/* A JSON string (quoted, escaped) as an array element. */
void json_text_string (GString *out, const char *text);
