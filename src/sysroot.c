#include "sysroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"

/* Linux's own limit on symlinks followed in one lookup. */
#define MAX_LINK_HOPS 40

/* Closing a file costs a system call, as much as reading it; a probe of
 * 4,096 devices closes 30,000 descriptors.  They are closed in batches of
 * this many, with one close_range (Linux 5.9) per run of adjacent numbers. */
#define DEFERRED_CLOSE_MAX 256

struct sysroot {
  char *prefix;      /* as given */
  char *base;        /* prefix without trailing '/', "" for "/" */
  gboolean live;
  GHashTable *resolved; /* in-root path → canonical in-root path */
  int root_fd;          /* O_PATH of the prefix, for openat2 */
  gboolean openat2;     /* the kernel resolves in-root for us (5.6+) */
  char *dir_path;       /* last directory opened for link reads … */
  gsize dir_len;        /* … the length of that path … */
  int dir_fd;           /* … and its O_PATH descriptor, -1 when none */
  int deferred[DEFERRED_CLOSE_MAX]; /* descriptors done with, not yet closed */
  guint n_deferred, max_deferred; /* max_deferred leaves room under RLIMIT_NOFILE */
  gboolean close_range;  /* the kernel has close_range */
};

static gint
compare_fds (gconstpointer a, gconstpointer b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Close every deferred descriptor: sorted, each run of consecutive numbers
 * in one call (descriptors are handed out lowest first, so runs are long). */
static void
flush_closes (sysroot *r)
{
  qsort (r->deferred, r->n_deferred, sizeof r->deferred[0], compare_fds);
  for (guint i = 0; i < r->n_deferred;)
    {
      guint j = i + 1;
      while (j < r->n_deferred && r->deferred[j] == r->deferred[j - 1] + 1)
        j++;
      if (!r->close_range || close_range ((unsigned) r->deferred[i], (unsigned) r->deferred[j - 1], 0) != 0)
        {
          r->close_range = FALSE; /* old kernel or a seccomp filter */
          for (guint k = i; k < j; k++)
            close (r->deferred[k]);
        }
      i = j;
    }
  r->n_deferred = 0;
}

/* Done with fd: it is closed with the next batch. */
static void
release_fd (sysroot *r, int fd)
{
  if (r->n_deferred >= r->max_deferred)
    flush_closes (r);
  r->deferred[r->n_deferred++] = fd;
}

sysroot *
sysroot_open (const char *root, GError **error)
{
  const char *prefix = root != NULL && *root != '\0' ? root : "/";
  struct stat st;
  int failed = stat (prefix, &st) != 0 ? errno : 0;
  if (failed != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, SMMUCTL_ERROR, SMMUCTL_ERROR_HOST,
                   "%s: %s (--root must name a directory holding a host's sys/ tree)",
                   prefix, failed != 0 ? g_strerror (failed) : "not a directory");
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
  r->root_fd = open (prefix, O_PATH | O_DIRECTORY | O_CLOEXEC);
  r->openat2 = r->root_fd >= 0 && g_getenv ("SMMUCTL_NO_OPENAT2") == NULL;
  r->dir_fd = -1;
  r->close_range = TRUE;
  /* A quarter of the descriptor limit at most: the caller may run low. */
  struct rlimit limit;
  rlim_t quarter = getrlimit (RLIMIT_NOFILE, &limit) == 0 ? limit.rlim_cur / 4 : 16;
  r->max_deferred = (guint) CLAMP (quarter, 1, DEFERRED_CLOSE_MAX);
  return r;
}

void
sysroot_free (sysroot *r)
{
  if (r == NULL)
    return;
  g_hash_table_unref (r->resolved);
  flush_closes (r);
  if (r->root_fd >= 0)
    close (r->root_fd);
  if (r->dir_fd >= 0)
    close (r->dir_fd);
  g_free (r->dir_path);
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

static void
set_errno_error (GError **error, int saved, const char *shown)
{
  if (saved == ELOOP)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                 "%s: too many levels of symbolic links (a link loop?)", shown);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", shown, g_strerror (saved));
}

/* Open path inside the root with flags.  The kernel does it in one call
 * where it can (openat2 RESOLVE_IN_ROOT: the same clamping of ".." and of
 * absolute links as our own resolver); otherwise we resolve every link
 * ourselves and open the result without following links. */
static int
open_resolved (sysroot *r, const char *path, int flags, GError **error)
{
  /* Below the directory opened last (the attributes of one sysfs object,
   * the groups under iommu_groups): a short lookup from its descriptor
   * that refuses every symlink.  Only a path through a symlink (ELOOP) or
   * one climbing out (EXDEV) takes the full in-root way below. */
  if (r->dir_fd >= 0 && !(flags & O_PATH) && strncmp (r->dir_path, path, r->dir_len) == 0
      && path[r->dir_len] == '/' && path[r->dir_len + 1] != '\0')
    {
      const char *rest = path + r->dir_len + 1;
      int fd = -1;
      errno = ELOOP;
      if (strchr (rest, '/') == NULL)
        {
          if (strcmp (rest, "..") != 0 && strcmp (rest, ".") != 0)
            fd = openat (r->dir_fd, rest, flags | O_NOFOLLOW | O_CLOEXEC);
        }
      else if (r->openat2)
        {
          struct open_how how = { .flags = (guint64) (flags | O_CLOEXEC),
                                  .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS };
          fd = (int) syscall (SYS_openat2, r->dir_fd, rest, &how, sizeof how);
        }
      if (fd >= 0)
        return fd;
      if (errno != ELOOP && errno != ENOTDIR && errno != EXDEV && errno != ENOSYS && errno != EPERM
          && errno != E2BIG)
        {
          int saved = errno;
          g_autofree char *shown = sysroot_display (r, path);
          set_errno_error (error, saved, shown);
          return -1;
        }
    }
  if (r->openat2)
    {
      struct open_how how = { .flags = (guint64) (flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
      const char *relative = path[0] == '/' ? path + 1 : path;
      int fd = (int) syscall (SYS_openat2, r->root_fd, *relative ? relative : ".", &how, sizeof how);
      if (fd >= 0)
        return fd;
      if (errno != ENOSYS && errno != EPERM && errno != E2BIG)
        {
          int saved = errno;
          g_autofree char *shown = sysroot_display (r, path);
          set_errno_error (error, saved, shown);
          return -1;
        }
      r->openat2 = FALSE; /* old kernel or a seccomp filter: resolve ourselves */
    }
  g_autofree char *resolved = sysroot_resolve (r, path, error);
  if (resolved == NULL)
    return -1;
  g_autofree char *real = host_path (r, resolved);
  int fd = open (real[0] != '\0' ? real : "/", flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *shown = sysroot_display (r, path);
      set_errno_error (error, saved, shown);
    }
  return fd;
}

/* Read path, at most max_size bytes, into stack (stack_size bytes) when it
 * fits there and into *heap (the caller frees it) when not; NUL-terminated.
 * A sysfs attribute is at most a page and config space exactly one, so with
 * a page-sized stack buffer the common case costs open and one read, with
 * no allocation: a short read is the end of a regular file.  Only an empty
 * or failed read asks what the file is, so that a FIFO or a directory is
 * named as such.  O_NONBLOCK: a FIFO planted in a tree cannot hang us. */
static char *
read_file (sysroot *r, const char *path, gsize max_size, char *stack, gsize stack_size, char **heap, gsize *len,
           GError **error)
{
  *heap = NULL;
  int fd = open_resolved (r, path, O_RDONLY | O_NONBLOCK, error);
  if (fd < 0)
    return NULL;
  char *buf = stack;
  gsize cap = stack_size - 1, have = 0; /* room kept for the NUL */
  ssize_t n;
  for (;;)
    {
      n = read (fd, buf + have, cap - have);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      have += (gsize) n;
      if (have > max_size || have < cap)
        break;
      /* Full: grow, up to one byte past max_size to see a file too large. */
      cap = MIN (cap * 2, max_size + 1);
      *heap = buf == stack ? memcpy (g_malloc (cap + 1), stack, have) : g_realloc (*heap, cap + 1);
      buf = *heap;
    }
  int saved = errno;
  struct stat st;
  gboolean not_regular = n <= 0 && have == 0 && (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode));
  release_fd (r, fd);
  if (not_regular || n < 0 || have > max_size)
    {
      g_autofree char *shown = sysroot_display (r, path);
      if (not_regular)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE, "%s: not a regular file", shown);
      else if (n < 0)
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", shown, g_strerror (saved));
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE, "%s: larger than %" G_GSIZE_FORMAT " bytes",
                     shown, max_size);
      g_clear_pointer (heap, g_free);
      return NULL;
    }
  buf[have] = '\0';
  *len = have;
  return buf;
}

/* One page and the byte that shows a read ended, plus the NUL. */
#define PAGE_BUFFER 4098

GBytes *
sysroot_read_bytes (sysroot *r, const char *path, gsize max_size, GError **error)
{
  char stack[PAGE_BUFFER], *heap;
  gsize len;
  char *data = read_file (r, path, max_size, stack, sizeof stack, &heap, &len, error);
  if (data == NULL)
    return NULL;
  return heap != NULL ? g_bytes_new_take (heap, len) : g_bytes_new (data, len);
}

gboolean
sysroot_read_into (sysroot *r, const char *path, void *buf, gsize size, gsize *len, GError **error)
{
  char stack[PAGE_BUFFER], *heap;
  char *data = read_file (r, path, size, stack, sizeof stack, &heap, len, error);
  if (data == NULL)
    return FALSE;
  memcpy (buf, data, *len);
  g_free (heap);
  return TRUE;
}

/* sysfs attributes are one short line; 64 KiB covers the longest we read. */
#define MAX_TEXT_ATTRIBUTE 65536

/* An attribute's text in stack or *heap, as read_file: valid UTF-8 without
 * NULs, trailing whitespace removed. */
static char *
read_text (sysroot *r, const char *path, char *stack, gsize stack_size, char **heap, GError **error)
{
  gsize len;
  char *data = read_file (r, path, MAX_TEXT_ATTRIBUTE, stack, stack_size, heap, &len, error);
  if (data == NULL)
    return NULL;
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate_len (data, len, NULL))
    {
      g_autofree char *shown = sysroot_display (r, path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a text attribute", shown);
      g_clear_pointer (heap, g_free);
      return NULL;
    }
  return g_strchomp (data);
}

char *
sysroot_read_text (sysroot *r, const char *path, GError **error)
{
  char stack[PAGE_BUFFER], *heap;
  char *text = read_text (r, path, stack, sizeof stack, &heap, error);
  if (text == NULL)
    return NULL;
  return heap != NULL ? heap : g_strdup (text);
}

gboolean
sysroot_read_int64 (sysroot *r, const char *path, gint64 *value, GError **error)
{
  char stack[PAGE_BUFFER], *heap;
  char *text = read_text (r, path, stack, sizeof stack, &heap, error);
  if (text == NULL)
    return FALSE;
  g_autofree char *owned = heap;
  (void) owned; /* frees the heap copy, if any, at every return */
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

/* The directory of path as an O_PATH descriptor, kept for the next call:
 * the links of one sysfs object (driver, iommu, iommu_group) share it. */
static int
link_dir (sysroot *r, const char *dir, GError **error)
{
  if (r->dir_fd >= 0 && g_strcmp0 (r->dir_path, dir) == 0)
    return r->dir_fd;
  int fd = open_resolved (r, dir, O_PATH | O_DIRECTORY, error);
  if (fd < 0)
    return -1;
  if (r->dir_fd >= 0)
    release_fd (r, r->dir_fd);
  g_free (r->dir_path);
  r->dir_path = g_strdup (dir);
  r->dir_len = strlen (dir);
  r->dir_fd = fd;
  return fd;
}

gboolean
sysroot_check_dir (sysroot *r, const char *path, GError **error)
{
  return link_dir (r, path, error) >= 0;
}

char *
sysroot_link_target (sysroot *r, const char *dir, const char *name, GError **error)
{
  int dirfd = link_dir (r, dir, error);
  if (dirfd < 0)
    return NULL;
  char target[PATH_MAX];
  ssize_t n = readlinkat (dirfd, name, target, sizeof target - 1);
  if (n < 0)
    {
      int saved = errno;
      g_autofree char *shown = g_strconcat (r->base, dir, "/", name, NULL);
      if (saved == EINVAL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SYMBOLIC_LINK, "%s: not a symbolic link", shown);
      else
        set_errno_error (error, saved, shown);
      return NULL;
    }
  return g_strndup (target, (gsize) n);
}

char *
sysroot_link_basename (sysroot *r, const char *dir, const char *name, GError **error)
{
  g_autofree char *target = sysroot_link_target (r, dir, name, error);
  return target != NULL ? g_path_get_basename (target) : NULL;
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
sysroot_list_dir (sysroot *r, const char *path, GError **error)
{
  int fd = open_resolved (r, path, O_RDONLY | O_DIRECTORY, error);
  if (fd < 0)
    return NULL;
  /* getdents64 itself: opendir would add a stat and two fcntl calls per
   * directory, and one probe lists thousands of vfio-dev directories. */
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  char buf[16384];
  ssize_t n;
  while ((n = getdents64 (fd, buf, sizeof buf)) > 0)
    for (ssize_t at = 0; at < n;)
      {
        const struct dirent64 *entry = (const struct dirent64 *) (buf + at);
        at += entry->d_reclen;
        if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
          g_ptr_array_add (names, g_strdup (entry->d_name));
      }
  int saved = errno;
  release_fd (r, fd);
  if (n < 0)
    {
      g_ptr_array_unref (names);
      g_autofree char *shown = sysroot_display (r, path);
      set_errno_error (error, saved, shown);
      return NULL;
    }
  g_ptr_array_sort (names, compare_names);
  return names;
}

gboolean
sysroot_stat (sysroot *r, const char *path, struct stat *st)
{
  int fd = open_resolved (r, path, O_PATH, NULL);
  if (fd < 0)
    return FALSE;
  gboolean ok = fstat (fd, st) == 0;
  close (fd);
  return ok;
}
