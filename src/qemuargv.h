/* Reading a QEMU command line: the shell words of a file (qemuargv_shell.c)
 * and QEMU's own option syntax (qemuargv.c); qemuargv_model.c turns the
 * options into the guest topology model the rules read.
 *
 * The text is untrusted and never run: GLib's shell parser splits words,
 * nothing is expanded.  Accepted forms: a line as `virsh domxml-to-native
 * qemu-argv` prints it (VAR=value words, then the binary), the same split
 * over lines with backslash-newline, a libvirt log (the last command line in
 * it), a launch script that collects its arguments with `set -- "$@" …` as
 * `smmuctl plan --format qemu` writes it, or bare options.  Nothing here
 * prints; what QEMU would refuse and what cannot be checked become notes. */
#pragma once
#include <glib.h>

#include "topology.h"

#define QEMUARGV_MAX_SIZE ((gsize) 8 << 20) /* bytes: a libvirt log with many starts fits */
#define QEMUARGV_MAX_ARGS 100000

typedef enum {
  QEMU_NOTE_REFUSED,   /* QEMU refuses this at start-up (SMU004) */
  QEMU_NOTE_UNCHECKED, /* part of the command line smmuctl cannot check (SMU005, warning) */
  QEMU_NOTE_UNKNOWN,   /* an option or device smmuctl does not know (SMU005, info) */
  QEMU_NOTE_INFO,      /* how the file was read (SMU005, info) */
} qemu_note_kind;

typedef struct {
  int arg;             /* argv index it is about, 0 when none */
  qemu_note_kind kind;
  char *message;
  char *hint;          /* NULL when there is nothing to suggest */
} qemu_note;

typedef struct {
  const char *key;
  const char *value;   /* "on" for a bare key, "off" for noKEY (QemuOpts' short booleans) */
} qemu_prop;

/* What parsing many arguments shares: the strings of their properties (in
 * one GStringChunk: a command line has hundreds, freed at once) and one JSON
 * tokener.  Properties live as long as it does. */
typedef struct qemu_syntax qemu_syntax;
qemu_syntax *qemu_syntax_new (void);
void qemu_syntax_free (qemu_syntax *syntax);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (qemu_syntax, qemu_syntax_free)

/* One option of the command line, in command-line order. */
typedef struct {
  int arg;             /* argv index of the option word (of the word itself for a bare image) */
  const char *name;    /* canonical name without dashes: "device", "machine" (also for -M) */
  const char *value;   /* its argument (borrowed from argv), NULL for flags */
  GArray *props;       /* qemu_prop: the argument parsed as key=value or JSON; NULL when the
                        * option has no such syntax or the argument did not parse (a note says) */
  gboolean json;       /* the argument was JSON ({"driver":…}) */
} qemu_option;

typedef struct {
  char **argv;         /* the QEMU process's argv; argv[0] is the binary as written, "" when the
                        * file holds options only */
  guint argc;
  GArray *options;     /* qemu_option, in command-line order (qemu_cmdline_option) */
  GPtrArray *notes;    /* qemu_note*, in argument order */
  qemu_syntax *syntax; /* holds the options' properties */
} qemu_cmdline;

/* Parse a command line.  NULL and an SMMUCTL_ERROR_INPUT error when the file
 * holds no QEMU command line at all (empty, binary, shell quoting broken on
 * the QEMU line, no qemu-system-* and no options); everything else is notes. */
qemu_cmdline *qemu_cmdline_read (const char *data, gsize len, GError **error);
void qemu_cmdline_free (qemu_cmdline *cl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (qemu_cmdline, qemu_cmdline_free)

static inline const qemu_option *
qemu_cmdline_option (const qemu_cmdline *cl, guint i)
{
  return &g_array_index (cl->options, qemu_option, i);
}

/* "-device {…}" or "-enable-kvm": the option at argv index arg and its
 * argument as one text, for reports; NULL when arg is not an option. */
char *qemu_cmdline_arg_text (const qemu_cmdline *cl, int arg);

void qemu_note_add (GPtrArray *notes, int arg, qemu_note_kind kind, const char *hint, const char *fmt, ...)
  G_GNUC_PRINTF (5, 6);

/* ---- QEMU's option syntax (also for the unit tests) ---- */

/* "virtio-net-pci,id=net0,bus=pci.1" with implied_key "driver": QemuOpts and
 * keyval rules — ',,' is a literal comma, the first element without '=' is
 * the implied key's value, a later bare KEY is KEY=on and noKEY KEY=off.
 * A text starting with '{' is JSON (as libvirt writes -device and -object):
 * booleans become on/off, numbers decimal text, nested objects and arrays
 * dotted keys ("a.b", "list.0"), as QEMU flattens them.  FALSE and an error
 * naming the problem when the text does not parse. */
gboolean qemu_opts_parse (qemu_syntax *syntax, const char *text, const char *implied_key, GArray **props,
                          gboolean *json, GError **error);
/* The value of key (the last one given wins, as in QEMU), or NULL. */
const char *qemu_props_get (const GArray *props, const char *key);
/* QEMU's boolean words: on/yes/true/y and off/no/false/n. */
gboolean qemu_parse_bool (const char *text, gboolean *value);
/* QEMU's size syntax: "4G", "512M", "4194304k", "2048" (default_suffix
 * 'B' for bytes, 'M' for -m's megabytes). */
gboolean qemu_parse_size (const char *text, char default_suffix, guint64 *bytes);

/* ---- the words of a file (qemuargv_shell.c) ---- */

/* The QEMU invocation in a file: argv (argv[0] the binary or ""), plus notes
 * on how it was found.  NULL and an INPUT error when there is none. */
char **qemu_shell_find_argv (const char *text, GPtrArray *notes, GError **error);
/* The words of one statement made of plain words and single-quoted parts
 * only, exactly as g_shell_parse_argv splits them (libvirt's one-line
 * command lines are that, and GLib's character-by-character tokenizer took
 * a third of the time of validate --qemu); NULL for anything else (double
 * quotes, backslashes, comments, a quote left open), which
 * g_shell_parse_argv reads.  An empty vector for a blank statement.  The
 * unit tests and fuzz-qemuargv check that both agree. */
char **qemu_shell_split_plain (const char *statement, gsize len);

/* ---- the guest model (qemuargv_model.c, qemuargv_devices.c) ---- */

/* The guest QEMU would build from cl, as the domain XML reader builds it
 * from libvirt XML (origin GUEST_FROM_QEMU_ARGV: lines are argv indexes).
 * What QEMU would refuse on the way and what cannot be modelled are added
 * to cl->notes. */
guest_domain *qemu_cmdline_to_model (qemu_cmdline *cl);
