/* Small helpers shared by the whole library: cleanup attributes, allocation
 * that cannot return NULL, whole-file I/O and path helpers.  All functions
 * that can fail follow the error convention of error.h. */
#ifndef LIBCRUN_UTILS_H
#define LIBCRUN_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include "error.h"

/* Cleanup attributes: the variable is released when it goes out of scope.
 * To hand ownership on, set the variable to NULL / -1 (see steal_pointer). */
void cleanup_freep (void *p);
void cleanup_closep (int *fd); /* closes and sets -1; also to close early */
void cleanup_fclosep (FILE **f);
void cleanup_strvp (char ***v);
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_fclosep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

static inline void *
steal_pointer_impl (void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_impl (pp)

static inline int
steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

/* Allocation: abort on out of memory (the only case the library gives up). */
void *xmalloc (size_t size);
void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s); /* NULL stays NULL */
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* NULL-terminated string vectors. */
size_t strv_len (char *const *v);
char **strv_dup (char *const *v);
void strv_free (char **v);
/* Append a copy of s to *v (which may be NULL). */
void strv_append (char ***v, const char *s);

/* Read a whole file (at most 64 MiB) into a NUL-terminated buffer. */
int read_all_file (const char *path, char **out, size_t *len, libcrun_error_t *err);
int read_all_fd (int fd, const char *what, char **out, size_t *len, libcrun_error_t *err);
/* write()/read() that retry on EINTR and short counts; return 0 or -errno. */
int write_all (int fd, const void *data, size_t len);
/* Parse a decimal integer, all of the string; 0 or -1. */
int parse_long (const char *s, long *out);

/* Whether item is one of the entries of list (NULL: none), separated by
 * any of seps: "cpu,cpuacct" with ",", cgroup.controllers with " \n". */
bool libcrun_list_has (const char *list, const char *item, const char *seps);

/* Write a whole buffer to a file, creating it with mode (O_TRUNC). */
int write_file (const char *path, const void *data, size_t len, mode_t mode, libcrun_error_t *err);
/* Same, relative to dirfd; the file is replaced atomically (tmp + rename). */
int write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len,
                          libcrun_error_t *err);
/* write_all for sockets: never raises SIGPIPE (MSG_NOSIGNAL). */
int send_all (int fd, const void *data, size_t len);
int read_exact (int fd, void *data, size_t len);

/* A memfd named `name` (close-on-exec) holding data, or a copy of the
 * whole file src_fd (then executable), sealed against any change and at
 * offset 0: what a child reads from it is what we wrote.  -1 with errno. */
int sealed_memfd (const char *name, const void *data, size_t len);
int sealed_memfd_copy (const char *name, int src_fd);

/* The most verbose level the installed log handler wants, -1 without one
 * (log.c). */
int libcrun_log_level_wanted (void);

/* FD_CLOEXEC on each fd >= 0 of fds[0..n): the runtime's helper gets its
 * fds with FD_CLOEXEC cleared (helper_exec.h) and gives them back their
 * flag at once, so that the container's program does not inherit them. */
void set_cloexec (const int *fds, size_t n);

/* Append s (NULL: nothing) or the decimal v to buf[n..cap); the new
 * length.  Async-signal-safe: for messages of children between clone and
 * exec. */
size_t buf_put (char *buf, size_t n, size_t cap, const char *s);
size_t buf_put_number (char *buf, size_t n, size_t cap, size_t v);

/* Close and free a -1 terminated fd array (NULL is fine). */
void close_fd_array (int *fds);

/* Read and discard until EOF or an error other than EINTR (async-signal-
 * safe; errno is looked at only after a failed read). */
void drain_until_eof (int fd);

/* Fault injection for the crash-consistency tests: when the environment
 * variable LIBCRUN_TEST_CRASH_AT names `point`, the process SIGKILLs
 * itself there, as an OOM kill or a timeout would.  Unset (always, outside
 * the test suite) it costs a getenv. */
void libcrun_test_crash_point (const char *point);

/* mkdir -p; existing directories are fine. */
int mkdir_p (const char *path, mode_t mode, libcrun_error_t *err);
/* Recursively remove a directory tree (no mount crossing). */
int remove_tree (const char *path, libcrun_error_t *err);

/* The value of NAME in a NAME=VALUE environment array, or NULL. */
const char *env_lookup (char *const *env, const char *name);

/* true for "1", "true"; false for "0", "false"; -1 otherwise. */
int parse_bool_word (const char *s);

/* Close every fd >= from except those listed in keep (count n). */
int close_fds_from (int from, const int *keep, size_t n, libcrun_error_t *err);

/* The preserved fds (--preserve-fds, LISTEN_FDS: from .. from+n-1) are the
 * caller's.  fd_holes_fill fills the ones the caller left closed with
 * /dev/null (close-on-exec) for as long as the library works, so that no
 * fd the library opens meanwhile (the state lock, fifos, sockets) lands in
 * the range, where the container's process would get it: the init clears
 * close-on-exec there.  The init closes the holes instead
 * (fd_holes_is_hole); fd_holes_release closes them in the caller. */
struct fd_holes
{
  int from, n;
  unsigned char *hole; /* n entries: 1 where the library filled a hole */
};
int fd_holes_fill (struct fd_holes *h, int from, int n, libcrun_error_t *err);
bool fd_holes_is_hole (const struct fd_holes *h, int fd);
void fd_holes_release (struct fd_holes *h);
/* FD_CLOEXEC on the holes again (fd_holes_fill made them close-on-exec;
 * see set_cloexec). */
void fd_holes_set_cloexec (const struct fd_holes *h);

#endif
