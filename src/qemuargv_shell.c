/* The shell words of a file that holds a QEMU command line (see qemuargv.h):
 * find its statements the way a shell would (quotes may span lines,
 * backslash-newline continues one, '#' starts a comment), split each with
 * g_shell_parse_argv, and pick the QEMU invocation.  No shell is run and
 * nothing is expanded, except the one idiom of launch scripts: arguments
 * collected with `set -- "$@" …` and passed on as "$@". */
#include "qemuargv.h"

#include <string.h>

#include "errors.h"

/* Where the statement starting at p ends (at its newline, or at end), under
 * shell quoting.  A quote still open at the end of the file is not one: then
 * the statement is its first physical line, and *broken says so. */
static const char *
statement_end (const char *p, const char *end, gboolean *broken)
{
  const char *start = p;
  enum { PLAIN, SINGLE, DOUBLE } state = PLAIN;
  gboolean word_start = TRUE;
  *broken = FALSE;
  while (p < end)
    {
      char c = *p;
      if (state == SINGLE)
        {
          /* Nothing is special inside single quotes: libvirt's JSON is most of a line. */
          const char *close = memchr (p, '\'', (gsize) (end - p));
          if (close == NULL)
            break;
          p = close + 1;
          state = PLAIN;
          word_start = FALSE;
          continue;
        }
      if (state == DOUBLE && c == '\\' && p + 1 < end)
        p++;
      else if (state == DOUBLE)
        state = c == '"' ? PLAIN : DOUBLE;
      else if (c == '\\' && p + 1 < end)
        p++; /* an escaped character, or backslash-newline: one statement goes on */
      else if (c == '\n')
        return p;
      else if (c == '#' && word_start)
        {
          const char *newline = memchr (p, '\n', (gsize) (end - p));
          return newline != NULL ? newline : end;
        }
      else if (c == '\'')
        state = SINGLE;
      else if (c == '"')
        state = DOUBLE;
      word_start = state == PLAIN && (c == ' ' || c == '\t' || c == ';' || c == '&' || c == '|');
      p++;
    }
  if (state == PLAIN)
    return end;
  *broken = TRUE;
  const char *newline = memchr (start, '\n', (gsize) (end - start));
  return newline != NULL ? newline : end;
}

char **
qemu_shell_split_plain (const char *statement, gsize len)
{
  const char *end = statement + len;
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) word = g_string_new (NULL);
  gboolean in_word = FALSE;
  for (const char *p = statement; p < end; p++)
    {
      char c = *p;
      if (c == ' ' || c == '\t' || c == '\n')
        {
          if (in_word)
            g_ptr_array_add (words, g_strndup (word->str, word->len));
          g_string_truncate (word, 0);
          in_word = FALSE;
        }
      else if (c == '\'')
        {
          const char *close = memchr (p + 1, '\'', (gsize) (end - p - 1));
          if (close == NULL)
            return NULL;
          g_string_append_len (word, p + 1, close - p - 1);
          in_word = TRUE;
          p = close;
        }
      else if (c == '"' || c == '\\' || (c == '#' && !in_word) || c == '\0')
        return NULL; /* GLib's rules: double quotes, escapes, comments */
      else
        {
          /* A run of ordinary characters at once (the text goes on past end,
           * NUL-terminated: the run is cut there). */
          gsize run = MIN (strcspn (p, " \t\n'\"\\#"), (gsize) (end - p));
          g_string_append_len (word, p, (gssize) MAX (run, 1));
          p += MAX (run, 1) - 1;
          in_word = TRUE;
        }
    }
  if (in_word)
    g_ptr_array_add (words, g_strndup (word->str, word->len));
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&words), FALSE);
}

/* "${QEMU:-qemu-system-aarch64}" → "qemu-system-aarch64"; other words as they are. */
static const char *
variable_default (const char *word)
{
  const char *dflt = strstr (word, ":-");
  if (g_str_has_prefix (word, "${") && dflt != NULL && g_str_has_suffix (word, "}"))
    return dflt + 2;
  return word;
}

/* The word that runs QEMU: a qemu-system-* or qemu-kvm binary (any
 * directory), or a variable named after QEMU ($QEMU, "${QEMU:-…}"); not
 * QEMU's own messages in a log ("qemu-system-aarch64: terminating …"). */
static gboolean
is_qemu_binary (const char *word)
{
  if (g_str_has_suffix (word, ":"))
    return FALSE;
  const char *path = variable_default (word);
  const char *base = strrchr (path, '/');
  base = base != NULL ? base + 1 : path;
  if (g_str_has_prefix (base, "qemu-system-") || g_str_has_prefix (base, "qemu-kvm"))
    return TRUE;
  return word[0] == '$' && strstr (word, "QEMU") != NULL && strpbrk (word, " \t") == NULL;
}

typedef struct {
  GPtrArray *set_args;   /* char*: what `set -- "$@" …` collected so far */
  GPtrArray *loose;      /* char*: statements that are only options ("-machine virt \ …") */
  char **invocation;     /* the last QEMU invocation, "$@" expanded */
  guint invocations;
  int invocation_line;
  int unparsed_line;     /* first QEMU-looking statement g_shell_parse_argv refused */
  char *unparsed_why;
} script;

static void
script_clear (script *s)
{
  g_ptr_array_unref (s->set_args);
  g_ptr_array_unref (s->loose);
  g_strfreev (s->invocation);
  g_free (s->unparsed_why);
}

/* Moves the words (not the vector) into to. */
static void
take_words (GPtrArray *to, char **words)
{
  for (char **w = words; *w != NULL; w++)
    g_ptr_array_add (to, g_steal_pointer (w));
}

static void
take_statement (script *s, char **words, int line)
{
  guint n = g_strv_length (words);
  for (guint i = 0; i < n; i++)
    {
      if (!is_qemu_binary (words[i]))
        continue;
      /* Words before it are VAR=value, exec, env, sudo, taskset …: not QEMU's. */
      GPtrArray *argv = g_ptr_array_sized_new (n - i + s->set_args->len + 1);
      for (guint j = i; j < n; j++)
        {
          /* Words are moved, not copied: the caller's g_strfreev stops at the first taken. */
          gboolean all = strcmp (words[j], "$@") == 0 || strcmp (words[j], "$*") == 0;
          if (all && j > i)
            {
              for (guint k = 0; k < s->set_args->len; k++)
                g_ptr_array_add (argv, g_strdup (g_ptr_array_index (s->set_args, k)));
              g_free (g_steal_pointer (&words[j]));
            }
          else
            g_ptr_array_add (argv, g_steal_pointer (&words[j]));
        }
      g_ptr_array_add (argv, NULL);
      g_strfreev (s->invocation);
      s->invocation = (char **) g_ptr_array_free (argv, FALSE);
      s->invocations++;
      s->invocation_line = line;
      return;
    }
  if (n >= 2 && strcmp (words[0], "set") == 0 && strcmp (words[1], "--") == 0)
    {
      gboolean append = n >= 3 && strcmp (words[2], "$@") == 0;
      if (!append)
        g_ptr_array_set_size (s->set_args, 0);
      take_words (s->set_args, words + (append ? 3 : 2));
    }
  else if (words[0][0] == '-' && words[0][1] != '\0')
    take_words (s->loose, words);
}

static int
newlines (const char *p, const char *end)
{
  int n = 0;
  for (; (p = memchr (p, '\n', (gsize) (end - p))) != NULL; p++)
    n++;
  return n;
}

char **
qemu_shell_find_argv (const char *text, GPtrArray *notes, GError **error)
{
  script s = { g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free), NULL, 0, 0, 0,
               NULL };
  const char *end = text + strlen (text);
  int line = 1;
  for (const char *p = text; p < end;)
    {
      gboolean broken = FALSE;
      const char *stop = statement_end (p, end, &broken);
      g_auto (GStrv) words = qemu_shell_split_plain (p, (gsize) (stop - p));
      g_autofree char *statement = words == NULL ? g_strndup (p, (gsize) (stop - p)) : NULL;
      g_autoptr (GError) local = NULL;
      if (words != NULL && words[0] == NULL)
        ; /* blank */
      else if (words == NULL && !g_shell_parse_argv (statement, NULL, &words, &local))
        {
          /* Only a broken QEMU line matters: a log's prose may hold a stray
           * quote, and blank lines and comments are "empty" to GLib. */
          if (s.unparsed_line == 0 && !g_error_matches (local, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING)
              && (strstr (statement, "qemu-system-") != NULL || strstr (statement, "qemu-kvm")))
            {
              s.unparsed_line = line;
              s.unparsed_why = g_strdup (broken ? "a quote is not closed" : local->message);
            }
        }
      else
        take_statement (&s, words, line);
      line += newlines (p, stop) + (stop < end);
      p = stop < end ? stop + 1 : end;
    }

  char **argv = NULL;
  if (s.invocation != NULL)
    {
      argv = g_steal_pointer (&s.invocation);
      if (s.invocations > 1)
        qemu_note_add (notes, 0, QEMU_NOTE_INFO, "give one command line per file to check the others",
                       "the file holds %u QEMU command lines (a libvirt log of several starts?); the last one, "
                       "at line %d, is checked", s.invocations, s.invocation_line);
    }
  else if (s.unparsed_line != 0)
    g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                 "line %d: the QEMU command line is not valid shell quoting: %s", s.unparsed_line, s.unparsed_why);
  else if (s.set_args->len > 0 || s.loose->len > 0)
    {
      /* Options without the binary: argv[0] stays empty. */
      GPtrArray *words = s.set_args->len > 0 ? s.set_args : s.loose;
      GPtrArray *out = g_ptr_array_new ();
      g_ptr_array_add (out, g_strdup (""));
      for (guint i = 0; i < words->len; i++)
        g_ptr_array_add (out, g_strdup (g_ptr_array_index (words, i)));
      g_ptr_array_add (out, NULL);
      argv = (char **) g_ptr_array_free (out, FALSE);
    }
  else
    g_set_error_literal (error, SMMUCTL_ERROR, SMMUCTL_ERROR_INPUT,
                         "no QEMU command line: no qemu-system-* command and no options (-machine …) in the file");
  script_clear (&s);
  return argv;
}
