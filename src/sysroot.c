#include "sysroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"

/* Linux's own limit on symlinks followed in one lookup. */
#define MAX_LINK_HOPS 40

struct sysroot {
  char *prefix;      /* as given */
  char *base;        /* prefix without trailing '/', "" for "/" */
  gboolean live;
  GHashTable *resolved; /* in-root path → canonical in-root path */
};

sysroot *
sysroot_open (const char *root, GError **error)
{
  const char *prefix = root != NULL && *root != '\0' ? root : "/";
  struct stat st;
  if (stat (prefix, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST,
                   "%s: %s (--root must name a directory holding a host's sys/ tree)",
                   prefix, errno != 0 && !S_ISREG (st.st_mode) ? g_strerror (errno) : "not a directory");
      return NULL;
    }
  sysroot *r = g_new0 (sysroot, 1);
  r->prefix = g_strdup (prefix);
  r->base = g_strdup (prefix);
  gsize n = strlen (r->base);
  while (n > 0 && r->base[n - 1] == '/')
    r->base[--n] = '\0';
  r->live = n == 0;
  r->resolved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return r;
}

void
sysroot_free (sysroot *r)
{
  if (r == NULL)
    return;
  g_hash_table_unref (r->resolved);
  g_free (r->prefix);
  g_free (r->base);
  g_free (r);
}

const char *
sysroot_prefix (const sysroot *r)
{
  return r->prefix;
}

gboolean
sysroot_is_live (const sysroot *r)
{
  return r->live;
}

char *
sysroot_display (const sysroot *r, const char *path)
{
  return g_strconcat (r->base, path, NULL);
}

static char *
host_path (const sysroot *r, const char *path)
{
  return g_strconcat (r->base, path, NULL);
}

/* Join dir (canonical, in-root) and a relative or absolute target, folding
 * "." and ".." without ever climbing above "/".  Hot: every attribute read
 * passes here, so it works in one buffer without splitting. */
static char *
join_in_root (const char *dir, const char *target)
{
  GString *out = g_string_sized_new (strlen (dir) + strlen (target) + 2);
  if (target[0] != '/')
    g_string_append (out, dir);
  if (out->len == 1 && out->str[0] == '/')
    g_string_truncate (out, 0); /* "/" + "name" must not give "//name" */
  const char *p = target;
  while (*p != '\0')
    {
      while (*p == '/')
        p++;
      const char *end = strchrnul (p, '/');
      gsize n = (gsize) (end - p);
      if (n == 0 || (n == 1 && p[0] == '.'))
        ;
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          const char *slash = strrchr (out->str, '/');
          g_string_truncate (out, slash != NULL ? (gsize) (slash - out->str) : 0);
        }
      else
        {
          g_string_append_c (out, '/');
          g_string_append_len (out, p, (gssize) n);
        }
      p = end;
    }
  if (out->len == 0)
    g_string_append_c (out, '/');
  return g_string_free (out, FALSE);
}

static char *resolve_hops (sysroot *r, const char *path, int *hops, GError **error);

/* Resolve the final component of "<canonical parent>/<name>". */
static char *
resolve_child (sysroot *r, const char *parent, const char *name, int *hops, GError **error)
{
  g_autofree char *candidate = join_in_root (parent, name);
  g_autofree char *real = host_path (r, candidate);
  struct stat st;
  if (lstat (real, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
      return NULL;
    }
  if (!S_ISLNK (st.st_mode))
    return g_steal_pointer (&candidate);
  if (++*hops > MAX_LINK_HOPS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                   "%s: too many levels of symbolic links (a link loop?)", real);
      return NULL;
    }
  char target[PATH_MAX];
  ssize_t n = readlink (real, target, sizeof target - 1);
  if (n < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
      return NULL;
    }
  target[n] = '\0';
  g_autofree char *next = join_in_root (parent, target);
  return resolve_hops (r, next, hops, error);
}

static char *
resolve_hops (sysroot *r, const char *path, int *hops, GError **error)
{
  const char *cached = g_hash_table_lookup (r->resolved, path);
  if (cached != NULL)
    return g_strdup (cached);
  g_autofree char *normal = join_in_root ("/", path);
  if (strcmp (normal, "/") == 0)
    return g_steal_pointer (&normal);
  g_autofree char *parent_path = g_path_get_dirname (normal);
  g_autofree char *name = g_path_get_basename (normal);
  g_autofree char *parent = resolve_hops (r, parent_path, hops, error);
  if (parent == NULL)
    return NULL;
  char *result = resolve_child (r, parent, name, hops, error);
  if (result != NULL)
    g_hash_table_insert (r->resolved, g_strdup (path), g_strdup (result));
  return result;
}

char *
sysroot_resolve (sysroot *r, const char *path, GError **error)
{
  int hops = 0;
  return resolve_hops (r, path, &hops, error);
}

/* Open the file at path for reading without following a symlink outside
 * the root: the parent is resolved (cached), the last component opened with
 * O_NOFOLLOW, and only a symlink there takes the slow, fully resolved way. */
static int
open_in_root (sysroot *r, const char *path, char **real_out, GError **error)
{
  g_autofree char *parent_path = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *parent = sysroot_resolve (r, parent_path, error);
  if (parent == NULL)
    return -1;
  g_autofree char *candidate = join_in_root (parent, name);
  char *real = host_path (r, candidate);
  /* O_NONBLOCK so that a FIFO planted in a tree cannot hang us. */
  int fd = open (real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP)
    {
      g_free (real);
      g_autofree char *resolved = sysroot_resolve (r, path, error);
      if (resolved == NULL)
        return -1;
      real = host_path (r, resolved);
      fd = open (real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    }
  *real_out = real;
  return fd;
}

GBytes *
sysroot_read_bytes (sysroot *r, const char *path, gsize max_size, GError **error)
{
  g_autofree char *real = NULL;
  int fd = open_in_root (r, path, &real, error);
  if (fd < 0 && real == NULL)
    return NULL;
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
      return NULL;
    }
  /* One read of max_size + 1 bytes: a regular file (and every sysfs
   * attribute) that fits returns short, which is its end, so the common case
   * costs open, read, close.  Only an empty or failed read asks what the
   * file is, so that a FIFO or a directory is named as such. */
  gsize want = max_size + 1;
  GByteArray *buf = g_byte_array_sized_new ((guint) MIN (want, (gsize) 65536));
  gsize chunk = MIN (want, (gsize) 65536);
  for (;;)
    {
      g_byte_array_set_size (buf, buf->len + (guint) chunk);
      ssize_t n = read (fd, buf->data + buf->len - chunk, chunk);
      if (n < 0 && errno == EINTR)
        {
          g_byte_array_set_size (buf, buf->len - (guint) chunk);
          continue;
        }
      int saved = errno;
      g_byte_array_set_size (buf, buf->len - (guint) chunk + (guint) MAX (n, 0));
      struct stat st;
      if ((n <= 0 && buf->len == 0) && (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)))
        {
          close (fd);
          g_byte_array_unref (buf);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file", real);
          return NULL;
        }
      if (n < 0)
        {
          close (fd);
          g_byte_array_unref (buf);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
          return NULL;
        }
      if (buf->len > max_size)
        {
          close (fd);
          g_byte_array_unref (buf);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "%s: larger than %" G_GSIZE_FORMAT " bytes", real, max_size);
          return NULL;
        }
      if ((gsize) n < chunk)
        break;
    }
  close (fd);
  return g_byte_array_free_to_bytes (buf);
}

/* sysfs attributes are one short line; 64 KiB covers the longest we read. */
#define MAX_TEXT_ATTRIBUTE 65536

char *
sysroot_read_text (sysroot *r, const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = sysroot_read_bytes (r, path, MAX_TEXT_ATTRIBUTE, error);
  if (bytes == NULL)
    return NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return g_strdup ("");
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, (gssize) len, NULL))
    {
      g_autofree char *shown = sysroot_display (r, path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a text attribute", shown);
      return NULL;
    }
  char *text = g_strndup (data, len);
  return g_strchomp (text);
}

gboolean
sysroot_read_int64 (sysroot *r, const char *path, gint64 *value, GError **error)
{
  g_autofree char *text = sysroot_read_text (r, path, error);
  if (text == NULL)
    return FALSE;
  char *end = NULL;
  errno = 0;
  gint64 v = g_ascii_strtoll (text, &end, 0);
  if (errno != 0 || end == text || *end != '\0')
    {
      g_autofree char *shown = sysroot_display (r, path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: '%s' is not a number", shown, text);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

char *
sysroot_link_basename (sysroot *r, const char *path, GError **error)
{
  g_autofree char *parent_path = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *parent = sysroot_resolve (r, parent_path, error);
  if (parent == NULL)
    return NULL;
  g_autofree char *link = join_in_root (parent, name);
  g_autofree char *real = host_path (r, link);
  char target[PATH_MAX];
  ssize_t n = readlink (real, target, sizeof target - 1);
  if (n < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, saved == EINVAL ? G_IO_ERROR_NOT_SYMBOLIC_LINK : g_io_error_from_errno (saved),
                   "%s: %s", real, g_strerror (saved));
      return NULL;
    }
  target[n] = '\0';
  return g_path_get_basename (target);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
sysroot_list_dir (sysroot *r, const char *path, GError **error)
{
  g_autofree char *resolved = sysroot_resolve (r, path, error);
  if (resolved == NULL)
    return NULL;
  g_autofree char *real = host_path (r, resolved);
  DIR *dir = opendir (real[0] != '\0' ? real : "/");
  if (dir == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
      return NULL;
    }
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  struct dirent *entry;
  while ((entry = readdir (dir)) != NULL)
    if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (entry->d_name));
  closedir (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

gboolean
sysroot_stat (sysroot *r, const char *path, struct stat *st)
{
  g_autofree char *resolved = sysroot_resolve (r, path, NULL);
  if (resolved == NULL)
    return FALSE;
  g_autofree char *real = host_path (r, resolved);
  return lstat (real[0] != '\0' ? real : "/", st) == 0;
}
