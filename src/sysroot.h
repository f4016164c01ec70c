/* Reading a host's files under a root prefix (`--root DIR`, default "/").
 * Every path given here is absolute *inside* the root ("/sys/bus/pci/…");
 * symlinks are resolved inside the root like a chroot would (".." stops at
 * the root, absolute targets restart at the root), so a copied or synthesized
 * tree can never make smmuctl read a file outside it. */
#pragma once
#include <glib.h>
#include <sys/stat.h>

typedef struct sysroot sysroot;

/* HOST error when root is not a readable directory. */
sysroot *sysroot_open (const char *root, GError **error);
void sysroot_free (sysroot *root);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sysroot, sysroot_free)

const char *sysroot_prefix (const sysroot *root); /* as given, "/" for the live host */
gboolean sysroot_is_live (const sysroot *root);

/* The path as a user would find it, for messages: "<root>/sys/…". */
char *sysroot_display (const sysroot *root, const char *path);

/* Resolve every symlink of path inside the root; returns the canonical
 * in-root path, or NULL with a G_IO_ERROR (NOT_FOUND, TOO_MANY_LINKS). */
char *sysroot_resolve (sysroot *root, const char *path, GError **error);

/* Read a regular file (sysfs attribute, table) of at most max_size bytes.
 * Refuses FIFOs, devices and directories without blocking on them. */
GBytes *sysroot_read_bytes (sysroot *root, const char *path, gsize max_size, GError **error);
/* Read a file of at most size bytes into buf (no allocation): config space. */
gboolean sysroot_read_into (sysroot *root, const char *path, void *buf, gsize size, gsize *len, GError **error);
/* Text attribute with trailing whitespace removed; NULL on error. */
char *sysroot_read_text (sysroot *root, const char *path, GError **error);
/* Parse a sysfs number attribute ("0x10de", "-1", "16"). */
gboolean sysroot_read_int64 (sysroot *root, const char *path, gint64 *value, GError **error);

/* Basename of the target of symlink dir/name, without resolving it
 * ("vfio-pci" for a device's driver link); NULL with NOT_FOUND when it is
 * missing, NOT_SYMBOLIC_LINK when it is not a symlink. */
char *sysroot_link_basename (sysroot *root, const char *dir, const char *name, GError **error);
/* The whole target text of that symlink, as readlink gives it (not resolved,
 * not checked: a caller may only read names out of it). */
char *sysroot_link_target (sysroot *root, const char *dir, const char *name, GError **error);

/* Whether path is a directory inside the root; the error says why not
 * (missing, a link loop).  Keeps it open for the link reads that follow. */
gboolean sysroot_check_dir (sysroot *root, const char *path, GError **error);

/* Sorted entry names of a directory ("." and ".." excluded). */
GPtrArray *sysroot_list_dir (sysroot *root, const char *path, GError **error);

/* lstat of the resolved path; FALSE when absent. */
gboolean sysroot_stat (sysroot *root, const char *path, struct stat *st);
