/* Writing an output file so that it is never seen half-written: a temporary
 * file in the same directory, fsync, rename over the target, fsync of the
 * directory.  On any error the previous file (if any) is untouched and the
 * temporary file is gone.  A symbolic link stays a link (its target is
 * replaced); a device, FIFO or socket (-o /dev/null, -o /dev/stdout) is
 * written to as a stream, never replaced. */
#pragma once
#include <glib.h>

/* mode: permission bits before the umask (0666 for documents, 0777 for
 * scripts) of a new file; a file that exists keeps its own.  OUTPUT error
 * naming the path and the system error. */
gboolean atomic_file_write (const char *path, const char *contents, gsize len, guint mode, GError **error);
