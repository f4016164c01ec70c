/* QEMU's option syntax (see qemuargv.h): the option table of
 * qemu-system-aarch64, QemuOpts/keyval arguments with their ',,' escape and
 * short booleans, the JSON arguments libvirt writes (read with json-c), and
 * QEMU's size and boolean words.  The shell words come from
 * qemuargv_shell.c; what they mean for the guest is qemuargv_model.c's job. */
#include "qemuargv.h"

#include <errno.h>
#include <locale.h>
#include <string.h>

#include <json-c/json.h>

#include "errors.h"

typedef enum {
  ROLE_MODEL,     /* read into the guest model */
  ROLE_IGNORED,   /* known, and nothing in it bears on a rule */
  ROLE_UNCHECKED, /* it may change what the rules see, and smmuctl cannot follow it */
} option_role;

typedef struct {
  const char *name;
  const char *canonical;   /* NULL: the name itself */
  gboolean has_arg;
  gboolean parse;          /* the argument is key=value (or JSON) */
  const char *implied_key; /* the key of a first element without '=' */
  option_role role;
  const char *unchecked;   /* ROLE_UNCHECKED: what is not checked, for the note */
} option_info;

/* qemu-system-aarch64 11.1's options (`-help`).  Flags first, then options
 * with an argument; within each, the ones the model reads first. */
static const option_info options[] = {
  { "enable-kvm", NULL, FALSE, FALSE, NULL, ROLE_MODEL, NULL },
  { "nodefaults", NULL, FALSE, FALSE, NULL, ROLE_MODEL, NULL },
  { "S", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "no-user-config", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "snapshot", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "nographic", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "no-reboot", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "no-shutdown", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "daemonize", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "usb", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "full-screen", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "only-migratable", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "semihosting", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "mem-prealloc", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "s", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "xen-attach", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "xen-domid-restrict", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "enable-sync-profile", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "perfmap", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "jitdump", NULL, FALSE, FALSE, NULL, ROLE_IGNORED, NULL },

  { "machine", NULL, TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "M", "machine", TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "accel", NULL, TRUE, TRUE, "accel", ROLE_MODEL, NULL },
  { "cpu", NULL, TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "smp", NULL, TRUE, TRUE, "cpus", ROLE_MODEL, NULL },
  { "m", NULL, TRUE, TRUE, "size", ROLE_MODEL, NULL },
  { "numa", NULL, TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "object", NULL, TRUE, TRUE, "qom-type", ROLE_MODEL, NULL },
  { "device", NULL, TRUE, TRUE, "driver", ROLE_MODEL, NULL },
  { "global", NULL, TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "name", NULL, TRUE, TRUE, "guest", ROLE_MODEL, NULL },
  { "nic", NULL, TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "net", NULL, TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "netdev", NULL, TRUE, TRUE, "type", ROLE_MODEL, NULL },
  { "drive", NULL, TRUE, TRUE, NULL, ROLE_MODEL, NULL },
  { "hda", "image", TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "hdb", "image", TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "hdc", "image", TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "hdd", "image", TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "cdrom", "image", TRUE, FALSE, NULL, ROLE_MODEL, NULL },
  { "virtfs", NULL, TRUE, TRUE, "fsdriver", ROLE_MODEL, NULL },
  { "readconfig", NULL, TRUE, FALSE, NULL, ROLE_UNCHECKED,
    "the options in that file (devices, machine, objects) are not read, so the rules do not see them" },
  { "set", NULL, TRUE, FALSE, NULL, ROLE_UNCHECKED,
    "smmuctl checks options as written and does not apply -set to them" },
  { "vga", NULL, TRUE, FALSE, NULL, ROLE_UNCHECKED,
    "the display device it adds to pcie.0 is not in the model; prefer -device with bus=" },
  { "usbdevice", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "blockdev", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "fsdev", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "chardev", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "audiodev", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "audio", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "uuid", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "display", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "vnc", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "spice", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "serial", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "parallel", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "monitor", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "qmp", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "qmp-pretty", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "mon", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "debugcon", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "rtc", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "boot", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "bios", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "pflash", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "kernel", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "shim", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "append", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "initrd", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "dtb", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "L", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "fw_cfg", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "smbios", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "option-rom", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "sandbox", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "msg", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "overcommit", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "mem-path", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "k", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "add-fd", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "tpmdev", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "iscsi", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "fda", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "fdb", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "mtdblock", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "sd", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "pidfile", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "gdb", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "d", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "D", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "dfilter", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "seed", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "trace", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "plugin", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "run-with", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "action", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "watchdog-action", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "loadvm", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "incoming", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "icount", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "echr", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "compat", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "semihosting-config", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "dump-vmstate", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
  { "xen-domid", NULL, TRUE, FALSE, NULL, ROLE_IGNORED, NULL },
};

/* A command line has a hundred options or more, each looked up once: by
 * hash (built once, for every thread), not by walking the table. */
static const option_info *
find_option (const char *name)
{
  static GHashTable *by_name;
  if (g_once_init_enter (&by_name))
    {
      GHashTable *table = g_hash_table_new (g_str_hash, g_str_equal);
      for (gsize i = 0; i < G_N_ELEMENTS (options); i++)
        g_hash_table_insert (table, (gpointer) options[i].name, (gpointer) &options[i]);
      g_once_init_leave (&by_name, table);
    }
  return g_hash_table_lookup (by_name, name);
}

void
qemu_note_add (GPtrArray *notes, int arg, qemu_note_kind kind, const char *hint, const char *fmt, ...)
{
  qemu_note *note = g_new0 (qemu_note, 1);
  va_list args;
  va_start (args, fmt);
  note->message = g_strdup_vprintf (fmt, args);
  va_end (args);
  note->arg = arg;
  note->kind = kind;
  note->hint = g_strdup (hint);
  g_ptr_array_add (notes, note);
}

static void
qemu_note_free (qemu_note *note)
{
  g_free (note->message);
  g_free (note->hint);
  g_free (note);
}

/* ---- values ---- */

gboolean
qemu_parse_bool (const char *text, gboolean *value)
{
  static const char *const yes[] = { "on", "yes", "true", "y" }, *const no[] = { "off", "no", "false", "n" };
  for (gsize i = 0; i < G_N_ELEMENTS (yes); i++)
    if (g_strcmp0 (text, yes[i]) == 0 || g_strcmp0 (text, no[i]) == 0)
      {
        *value = g_strcmp0 (text, yes[i]) == 0;
        return TRUE;
      }
  return FALSE;
}

gboolean
qemu_parse_size (const char *text, char default_suffix, guint64 *bytes)
{
  static const char suffixes[] = "BKMGTPE";
  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  char *end = NULL;
  /* Only ERANGE means anything: GLib's first call in a thread may leave
   * another errno behind (from creating its C locale). */
  errno = 0;
  double value = g_ascii_strtod (text, &end);
  char suffix = *end != '\0' ? *end : default_suffix;
  const char *at = strchr (suffixes, g_ascii_toupper (suffix));
  if (errno == ERANGE || at == NULL || (*end != '\0' && end[1] != '\0'))
    return FALSE;
  double result = value * (double) ((guint64) 1 << ((at - suffixes) * 10));
  if (!(result >= 0) || result >= 18446744073709551616.0)
    return FALSE;
  *bytes = (guint64) result;
  return TRUE;
}

/* ---- key=value and JSON arguments ---- */

struct qemu_syntax {
  GStringChunk *strings; /* every key and value, freed at once */
  json_tokener *tokener; /* reset for each JSON argument */
  GString *scratch;      /* one element, or a dotted JSON key, being built */
};

qemu_syntax *
qemu_syntax_new (void)
{
  qemu_syntax *syntax = g_new0 (qemu_syntax, 1);
  syntax->strings = g_string_chunk_new (4096);
  syntax->tokener = json_tokener_new ();
  syntax->scratch = g_string_sized_new (256);
  return syntax;
}

void
qemu_syntax_free (qemu_syntax *syntax)
{
  if (syntax == NULL)
    return;
  g_string_chunk_free (syntax->strings);
  json_tokener_free (syntax->tokener);
  g_string_free (syntax->scratch, TRUE);
  g_free (syntax);
}

static void
props_add (qemu_syntax *syntax, GArray *props, const char *key, gsize key_len, const char *value, gssize value_len)
{
  qemu_prop p = { g_string_chunk_insert_len (syntax->strings, key, (gssize) key_len),
                  g_string_chunk_insert_len (syntax->strings, value, value_len) };
  g_array_append_val (props, p);
}

const char *
qemu_props_get (const GArray *props, const char *key)
{
  for (guint i = props != NULL ? props->len : 0; i > 0; i--)
    {
      const qemu_prop *p = &g_array_index (props, qemu_prop, i - 1);
      if (p->key[0] == key[0] && strcmp (p->key, key) == 0)
        return p->value;
    }
  return NULL;
}

/* QEMU flattens nested JSON into dotted keys (qdict_flatten); the key so
 * far is in syntax->scratch.  Each tree is freed once read: reading the next
 * one reuses its memory while it is warm. */
static void
flatten_json (qemu_syntax *syntax, GArray *props, json_object *value)
{
  GString *key = syntax->scratch;
  gsize at = key->len;
  char number[32];
  switch (json_object_get_type (value))
    {
    case json_type_object:
      {
        json_object_object_foreach (value, member_key, member)
          {
            if (at > 0)
              g_string_append_c (key, '.');
            g_string_append (key, member_key);
            flatten_json (syntax, props, member);
            g_string_truncate (key, at);
          }
      }
      return;
    case json_type_array:
      for (size_t i = 0; i < json_object_array_length (value); i++)
        {
          g_string_append_printf (key, ".%zu", i);
          flatten_json (syntax, props, json_object_array_get_idx (value, i));
          g_string_truncate (key, at);
        }
      return;
    case json_type_boolean:
      props_add (syntax, props, key->str, key->len, json_object_get_boolean (value) ? "on" : "off", -1);
      return;
    case json_type_int:
      g_snprintf (number, sizeof number, "%" G_GINT64_FORMAT, (gint64) json_object_get_int64 (value));
      props_add (syntax, props, key->str, key->len, number, -1);
      return;
    case json_type_double:
      props_add (syntax, props, key->str, key->len, json_object_get_string (value), -1);
      return;
    case json_type_string:
      props_add (syntax, props, key->str, key->len, json_object_get_string (value),
                 json_object_get_string_len (value));
      return;
    case json_type_null:
      return;
    }
}

static gboolean
parse_json (qemu_syntax *syntax, const char *text, GArray *props, GError **error)
{
  json_tokener *tok = syntax->tokener;
  json_tokener_reset (tok);
  gsize len = strlen (text);
  /* json-c switches to the C locale for every parse (duplocale, newlocale):
   * from any other locale that takes glibc's process-wide locale lock, which
   * threads checking files side by side then queue on; already in the C
   * locale, it is free. */
  static locale_t c_locale;
  if (g_once_init_enter (&c_locale))
    g_once_init_leave (&c_locale, newlocale (LC_ALL_MASK, "C", (locale_t) 0));
  locale_t previous = uselocale (c_locale);
  json_object *root = json_tokener_parse_ex (tok, text, (int) MIN (len, (gsize) G_MAXINT));
  uselocale (previous);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  size_t consumed = json_tokener_get_parse_end (tok);
  gboolean trailing = root != NULL && text[consumed + strspn (text + consumed, " \t\n")] != '\0';
  if (root == NULL || jerr != json_tokener_success || trailing)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "not valid JSON: %s",
                   root == NULL || jerr != json_tokener_success
                     ? (jerr == json_tokener_continue ? "the text ends inside it" : json_tokener_error_desc (jerr))
                     : "text after the JSON value");
      json_object_put (root);
      return FALSE;
    }
  if (!json_object_is_type (root, json_type_object))
    {
      json_object_put (root);
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "JSON arguments are objects ({\"key\": …})");
      return FALSE;
    }
  g_string_truncate (syntax->scratch, 0);
  flatten_json (syntax, props, root);
  json_object_put (root);
  return TRUE;
}

gboolean
qemu_opts_parse (qemu_syntax *syntax, const char *text, const char *implied_key, GArray **out, gboolean *json,
                 GError **error)
{
  g_autoptr (GArray) props = g_array_sized_new (FALSE, FALSE, sizeof (qemu_prop), 8);
  *json = text[strspn (text, " \t\n")] == '{';
  if (*json)
    {
      if (!parse_json (syntax, text, props, error))
        return FALSE;
      *out = g_steal_pointer (&props);
      return TRUE;
    }
  GString *e = syntax->scratch;
  gboolean first = TRUE;
  for (const char *p = text; *p != '\0';)
    {
      /* One element up to an unescaped ',': ",," is a literal comma. */
      g_string_truncate (e, 0);
      for (; *p != '\0'; p++)
        {
          if (*p == ',' && p[1] == ',')
            p++;
          else if (*p == ',')
            break;
          g_string_append_c (e, *p);
        }
      if (*p == ',')
        p++;
      const char *equals = memchr (e->str, '=', e->len);
      if (equals != NULL)
        {
          if (equals == e->str)
            {
              g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT, "'%s': a value without a parameter name", e->str);
              return FALSE;
            }
          props_add (syntax, props, e->str, (gsize) (equals - e->str), equals + 1, -1);
        }
      else if (first && implied_key != NULL)
        props_add (syntax, props, implied_key, strlen (implied_key), e->str, (gssize) e->len);
      else if (e->len > 0)
        {
          /* QemuOpts' deprecated short booleans: "hotplug" and "nohotplug". */
          gboolean off = g_str_has_prefix (e->str, "no") && e->len > 2;
          props_add (syntax, props, e->str + (off ? 2 : 0), e->len - (off ? 2 : 0), off ? "off" : "on", -1);
        }
      first = FALSE;
    }
  *out = g_steal_pointer (&props);
  return TRUE;
}

/* ---- the command line ---- */

static void
option_clear (gpointer data)
{
  qemu_option *option = data;
  if (option->props != NULL)
    g_array_unref (option->props);
}

void
qemu_cmdline_free (qemu_cmdline *cl)
{
  if (cl == NULL)
    return;
  g_strfreev (cl->argv);
  if (cl->options != NULL)
    g_array_unref (cl->options);
  g_ptr_array_unref (cl->notes);
  qemu_syntax_free (cl->syntax);
  g_free (cl);
}

static int
compare_notes (gconstpointer a, gconstpointer b)
{
  int x = (*(const qemu_note *const *) a)->arg, y = (*(const qemu_note *const *) b)->arg;
  return x < y ? -1 : x > y;
}

/* Walk argv as QEMU's option loop does: "-opt" or "--opt", an argument when
 * the option takes one, and words that are no option are disk images. */
static void
read_options (qemu_cmdline *cl)
{
  for (guint i = 1; i < cl->argc; i++)
    {
      const char *word = cl->argv[i];
      /* Sized for every word up front: this pointer stays valid. */
      g_array_set_size (cl->options, cl->options->len + 1);
      qemu_option *option = &g_array_index (cl->options, qemu_option, cl->options->len - 1);
      option->arg = (int) i;
      if (word[0] != '-' || word[1] == '\0')
        {
          option->name = "image";
          option->value = word;
          continue;
        }
      const char *name = word + (word[1] == '-' ? 2 : 1);
      const option_info *info = find_option (name);
      if (info == NULL)
        {
          /* Whether it takes an argument is unknown: a next word that is no option is taken as one. */
          gboolean takes = i + 1 < cl->argc && cl->argv[i + 1][0] != '-';
          option->name = name;
          option->value = takes ? cl->argv[++i] : NULL;
          qemu_note_add (cl->notes, option->arg, QEMU_NOTE_UNKNOWN,
                         "check it against `qemu-system-aarch64 -help`; smmuctl reads every option that "
                         "shapes the PCI tree, the vSMMUs and the accelerator",
                         "%s is not an option smmuctl knows, so it is not checked (QEMU 11.1 exits on options it "
                         "does not know: \"invalid option\")", word);
          continue;
        }
      option->name = info->canonical != NULL ? info->canonical : info->name;
      if (info->has_arg && i + 1 >= cl->argc)
        {
          qemu_note_add (cl->notes, option->arg, QEMU_NOTE_REFUSED, "give it its argument, or remove it",
                         "%s is the last word but needs an argument; QEMU exits: \"%s: requires an argument\"",
                         word, word);
          /* Not an option then: every option that takes an argument has one. */
          g_array_set_size (cl->options, cl->options->len - 1);
          break;
        }
      if (info->has_arg)
        option->value = cl->argv[++i];
      g_autoptr (GError) error = NULL;
      if (info->parse
          && !qemu_opts_parse (cl->syntax, option->value, info->implied_key, &option->props, &option->json, &error))
        qemu_note_add (cl->notes, option->arg, QEMU_NOTE_REFUSED,
                       "QEMU's syntax is key=value,… (a ',' in a value is written ',,') or one JSON object",
                       "%s %s: %s; QEMU refuses the option", word, option->value, error->message);
      if (info->role == ROLE_UNCHECKED)
        qemu_note_add (cl->notes, option->arg, QEMU_NOTE_UNCHECKED,
                       "write those options on the command line itself to have them checked", "%s %s: %s", word,
                       option->value, info->unchecked);
    }
}

/* Valid UTF-8: command lines are nearly always ASCII, which a plain OR of
 * every byte tells at a fraction of g_utf8_validate's cost. */
static gboolean
is_text (const char *data, gsize len)
{
  guchar any = 0;
  for (gsize i = 0; i < len; i++)
    any |= (guchar) data[i];
  return any < 0x80 || g_utf8_validate (data, (gssize) len, NULL);
}

qemu_cmdline *
qemu_cmdline_read (const char *data, gsize len, GError **error)
{
  if (len > QEMUARGV_MAX_SIZE)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                   "the file is larger than %" G_GSIZE_FORMAT " MiB; a QEMU command line is never that big",
                   QEMUARGV_MAX_SIZE >> 20);
      return NULL;
    }
  if (memchr (data, '\0', len) != NULL || !is_text (data, len))
    {
      g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                           "not a text file (NUL bytes or invalid UTF-8); give the command line as text");
      return NULL;
    }
  /* CRLF line ends: a carriage return would end up inside the last word. */
  g_autofree char *text = g_strndup (data, len);
  char *to = memchr (text, '\r', len);
  for (const char *from = to; from != NULL && *from != '\0'; from++)
    if (!(from[0] == '\r' && from[1] == '\n'))
      *to++ = *from;
  if (to != NULL)
    *to = '\0';

  g_autoptr (qemu_cmdline) cl = g_new0 (qemu_cmdline, 1);
  cl->notes = g_ptr_array_new_with_free_func ((GDestroyNotify) qemu_note_free);
  cl->syntax = qemu_syntax_new ();
  cl->argv = qemu_shell_find_argv (text, cl->notes, error);
  if (cl->argv == NULL)
    return NULL;
  cl->argc = g_strv_length (cl->argv);
  if (cl->argc > QEMUARGV_MAX_ARGS)
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                   "more than %d arguments: no QEMU command line is that long", QEMUARGV_MAX_ARGS);
      return NULL;
    }
  cl->options = g_array_sized_new (FALSE, TRUE, sizeof (qemu_option), cl->argc);
  g_array_set_clear_func (cl->options, option_clear);
  read_options (cl);
  g_ptr_array_sort (cl->notes, compare_notes);
  return g_steal_pointer (&cl);
}

char *
qemu_cmdline_arg_text (const qemu_cmdline *cl, int arg)
{
  /* Options are in argv order: bisect. */
  guint lo = 0, hi = cl->options->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const qemu_option *option = qemu_cmdline_option (cl, mid);
      if (option->arg == arg)
        return option->value == NULL || strcmp (option->name, "image") == 0
                 ? g_strdup (cl->argv[arg])
                 : g_strconcat (cl->argv[arg], " ", option->value, NULL);
      if (option->arg < arg)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}
