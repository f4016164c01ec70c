/* A main() for the libFuzzer harnesses when built with the normal compiler:
 * feed every file named on the command line (or found directly inside a
 * directory named there) to LLVMFuzzerTestOneInput, once, in sorted order.
 * The meson tests of suite 'fuzz' use it to replay the seed corpora and
 * the saved crash inputs on every build, so that the ASan+UBSan build
 * replays them under the sanitizers without clang or libFuzzer.
 *
 *   replay-iort fuzz/corpus/iort --optional tests/data/fuzz-regressions/iort
 *
 * Each input is copied into a buffer of exactly its size, so a read past
 * the end is a heap overflow ASan sees (as under libFuzzer).  A missing
 * path, an unreadable file, or no input at all fails: a replay that
 * silently replays nothing would be a test that cannot fail.  Only a path
 * after --optional may be absent (no crash saved yet is the good case). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
/* Optional in a harness, as with libFuzzer. */
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static gboolean
replay_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return FALSE;
    }
  /* malloc(0) may return NULL; libFuzzer passes a valid pointer. */
  g_autofree uint8_t *exact = g_malloc (MAX (len, 1));
  memcpy (exact, contents, len);
  fprintf (stderr, "replay: %s (%" G_GSIZE_FORMAT " bytes)\n", path, len);
  LLVMFuzzerTestOneInput (exact, len);
  return TRUE;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Regular files directly inside dir, sorted; NULL (and a message) when dir
 * cannot be listed. */
static GPtrArray *
list_inputs (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = g_dir_open (dir, 0, &error);
  if (d == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return NULL;
    }
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (paths, path);
      else
        g_free (path);
    }
  g_ptr_array_sort (paths, compare_names);
  return paths;
}

int
main (int argc, char **argv)
{
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s [--optional] FILE|DIR…  (replays each input through the fuzz harness)\n", argv[0]);
      return 2;
    }
  guint replayed = 0;
  gboolean ok = TRUE;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--optional") == 0)
        {
          if (++i == argc)
            break;
          if (!g_file_test (argv[i], G_FILE_TEST_EXISTS))
            {
              fprintf (stderr, "replay: %s: none saved\n", argv[i]);
              continue;
            }
        }
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr (GPtrArray) paths = list_inputs (argv[i]);
          if (paths == NULL)
            {
              ok = FALSE;
              continue;
            }
          for (guint j = 0; j < paths->len; j++)
            if (replay_file (paths->pdata[j]))
              replayed++;
            else
              ok = FALSE;
        }
      else if (replay_file (argv[i]))
        replayed++;
      else
        ok = FALSE;
    }
  printf ("replayed %u inputs\n", replayed);
  if (replayed == 0)
    {
      fprintf (stderr, "replay: no input found in the paths given\n");
      return 1;
    }
  return ok ? 0 : 1;
}
