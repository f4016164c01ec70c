#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

static gboolean
fail (GError **error, const char *path, const char *what, int err)
{
  g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_OUTPUT, "%s: cannot %s: %s; nothing was written", path, what,
               g_strerror (err));
  return FALSE;
}

static mode_t
current_umask (void)
{
  mode_t mask = umask (0);
  umask (mask);
  return mask;
}

static gboolean
write_all (int fd, const char *data, gsize len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Make the rename itself durable; some file systems refuse fsync on a
 * directory (EINVAL), which loses nothing that was promised. */
static void
sync_directory (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void) fsync (fd);
  close (fd);
}

/* -o /dev/null, a FIFO or a terminal: a stream, not a file to replace
 * (renaming over /dev/null as root would destroy it). */
static gboolean
write_stream (const char *path, const char *contents, gsize len, GError **error)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return fail (error, path, "open", errno);
  gboolean ok = write_all (fd, contents, len);
  int err = errno;
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      err = errno;
    }
  return ok ? TRUE : fail (error, path, "write", err);
}

gboolean
atomic_file_write (const char *path, const char *contents, gsize len, guint mode, GError **error)
{
  /* a symlink stays a symlink: replace what it points to */
  g_autofree char *target = NULL;
  struct stat st;
  if (lstat (path, &st) == 0 && S_ISLNK (st.st_mode))
    {
      target = realpath (path, NULL);
      if (target == NULL)
        return fail (error, path, "follow the symbolic link", errno);
    }
  const char *dest = target != NULL ? target : path;
  gboolean exists = stat (dest, &st) == 0;
  if (exists && S_ISDIR (st.st_mode))
    return fail (error, path, "replace", EISDIR);
  if (exists && !S_ISREG (st.st_mode))
    return write_stream (dest, contents, len, error);
  /* a file that exists keeps its permissions */
  mode_t file_mode = exists ? st.st_mode & 07777 : (mode_t) mode & ~current_umask ();

  g_autofree char *dir = g_path_get_dirname (dest);
  g_autofree char *base = g_path_get_basename (dest);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  int fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int err = errno;
      g_autofree char *what = g_strdup_printf ("create a temporary file in %s", dir);
      return fail (error, path, what, err);
    }
  /* Past RLIMIT_FSIZE the kernel sends SIGXFSZ, whose default action kills
   * the process before it can remove the temporary file: take EFBIG instead. */
  struct sigaction ignore = { .sa_handler = SIG_IGN }, previous;
  sigemptyset (&ignore.sa_mask);
  sigaction (SIGXFSZ, &ignore, &previous);
  const char *step = NULL;
  if (!write_all (fd, contents, len))
    step = "write";
  else if (fchmod (fd, file_mode) != 0)
    step = "set the mode of";
  else if (fsync (fd) != 0)
    step = "flush";
  int err = errno;
  if (close (fd) != 0 && step == NULL)
    {
      err = errno;
      step = "close";
    }
  sigaction (SIGXFSZ, &previous, NULL);
  if (step == NULL && rename (tmp, dest) != 0)
    {
      err = errno;
      step = "replace";
    }
  if (step != NULL)
    {
      (void) g_unlink (tmp);
      return fail (error, path, step, err);
    }
  sync_directory (dir);
  return TRUE;
}
