/* Helpers of the public API: allocation that aborts on out of memory (the
 * library's policy, see libcrun.h), string vectors, whole-file and
 * exact-count I/O, number parsing and the cleanup functions for
 * __attribute__ ((cleanup)).  The library's own names without the libcrun_
 * prefix are not exported; the crun front end maps its short names onto
 * these (src/crun.h). */
#ifndef LIBCRUN_HELPERS_H
#define LIBCRUN_HELPERS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "error.h"

LIBCRUN_PUBLIC void *libcrun_xmalloc (size_t size);
LIBCRUN_PUBLIC void *libcrun_xmalloc0 (size_t size);
LIBCRUN_PUBLIC void *libcrun_xrealloc (void *p, size_t size);
LIBCRUN_PUBLIC char *libcrun_xstrdup (const char *s); /* NULL stays NULL */
LIBCRUN_PUBLIC char *libcrun_xasprintf (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

/* NULL-terminated string vectors; append copies s onto *v (which may be
 * NULL). */
LIBCRUN_PUBLIC size_t libcrun_strv_len (char *const *v);
LIBCRUN_PUBLIC char **libcrun_strv_dup (char *const *v);
LIBCRUN_PUBLIC void libcrun_strv_free (char **v);
LIBCRUN_PUBLIC void libcrun_strv_append (char ***v, const char *s);

/* A whole file (at most 64 MiB) or fd into a NUL-terminated buffer. */
LIBCRUN_PUBLIC int libcrun_read_all_file (const char *path, char **out, size_t *len,
                                          libcrun_error_t *err);
LIBCRUN_PUBLIC int libcrun_read_all_fd (int fd, const char *what, char **out, size_t *len,
                                        libcrun_error_t *err);
/* write() retried on EINTR and short counts; 0 or -errno. */
LIBCRUN_PUBLIC int libcrun_write_all (int fd, const void *data, size_t len);
/* A decimal integer, all of the string: 0, or -1. */
LIBCRUN_PUBLIC int libcrun_parse_long (const char *s, long *out);

/* For __attribute__ ((cleanup)): free, close (and set -1), fclose, strv_free. */
LIBCRUN_PUBLIC void libcrun_cleanup_freep (void *p);
LIBCRUN_PUBLIC void libcrun_cleanup_closep (int *fd);
LIBCRUN_PUBLIC void libcrun_cleanup_fclosep (FILE **f);
LIBCRUN_PUBLIC void libcrun_cleanup_strvp (char ***v);

#endif
