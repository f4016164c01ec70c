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
 * "." and ".." without ever climbing above "/". */
static char *
join_in_root (const char *dir, const char *target)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) dir_parts = g_strsplit (target[0] == '/' ? "" : dir, "/", -1);
  g_auto (GStrv) target_parts = g_strsplit (target, "/", -1);
  GStrv lists[2] = { dir_parts, target_parts };
  for (int l = 0; l < 2; l++)
    for (char **p = lists[l]; *p != NULL; p++)
      {
        if (**p == '\0' || strcmp (*p, ".") == 0)
          continue;
        if (strcmp (*p, "..") == 0)
          {
            if (parts->len > 0)
              g_ptr_array_remove_index (parts, parts->len - 1);
            continue;
          }
        g_ptr_array_add (parts, g_strdup (*p));
      }
  if (parts->len == 0)
    return g_strdup ("/");
  GString *out = g_string_new (NULL);
  for (guint i = 0; i < parts->len; i++)
    {
      g_string_append_c (out, '/');
      g_string_append (out, parts->pdata[i]);
    }
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
  struct stat st;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file", real);
      return NULL;
    }
  GByteArray *buf = g_byte_array_new ();
  guint8 chunk[4096];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_byte_array_unref (buf);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", real, g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      if (buf->len + (gsize) n > max_size)
        {
          close (fd);
          g_byte_array_unref (buf);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "%s: larger than %" G_GSIZE_FORMAT " bytes", real, max_size);
          return NULL;
        }
      g_byte_array_append (buf, chunk, (guint) n);
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
