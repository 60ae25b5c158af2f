/* Unit tests of the helpers with logic in libcrun/utils.c and of the error
 * convention of libcrun/error.c. */
#include "tap.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "error.h"
#include "utils.h"

/* A scratch directory under /tmp; the tests remove it themselves. */
static char *
make_tmpdir (void)
{
  char *dir = xstrdup ("/tmp/test_utils.XXXXXX");
  tap_require (mkdtemp (dir) != NULL, "mkdtemp: %s", strerror (errno));
  return dir;
}

static bool
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static bool
exists (const char *path)
{
  struct stat st;
  return lstat (path, &st) == 0;
}

static void
touch (const char *path, const char *content)
{
  libcrun_error_t err = NULL;
  tap_require (write_file (path, content, strlen (content), 0644, &err) == 0, "write %s: %s", path,
               err ? err->msg : "?");
}

/* ------------------------------------------------------------------------ */

static void
test_parse_long (void)
{
  long v = 0;

  tap_check (parse_long ("42", &v) == 0 && v == 42, "42");
  tap_check (parse_long ("-7", &v) == 0 && v == -7, "-7");
  tap_check (parse_long ("0", &v) == 0 && v == 0, "0");
  v = 5;
  tap_check (parse_long ("", &v) < 0 && v == 5, "empty string rejected, out untouched");
  tap_check (parse_long (NULL, &v) < 0, "NULL rejected");
  tap_check (parse_long ("12a", &v) < 0, "trailing garbage rejected");
  tap_check (parse_long ("1.5", &v) < 0, "fraction rejected");
  tap_check (parse_long ("abc", &v) < 0, "letters rejected");
  tap_check (parse_long ("99999999999999999999999", &v) < 0, "overflow rejected");
  tap_check (parse_long ("9223372036854775807", &v) == 0 && v == LONG_MAX, "LONG_MAX");
}

static void
test_parse_bool_word (void)
{
  tap_check (parse_bool_word ("1") == 1, "1");
  tap_check (parse_bool_word ("true") == 1, "true");
  tap_check (parse_bool_word ("0") == 0, "0");
  tap_check (parse_bool_word ("false") == 0, "false");
  tap_check (parse_bool_word ("yes") == -1, "yes is not a bool word");
  tap_check (parse_bool_word ("") == -1, "empty");
  tap_check (parse_bool_word ("truex") == -1, "prefix only");
  tap_check (parse_bool_word (NULL) == -1, "NULL");
}

static void
test_strv (void)
{
  char *src[] = { "a", "bb", "", NULL };
  char **copy;

  tap_check (strv_len (NULL) == 0, "len NULL");
  tap_check (strv_len (src) == 3, "len 3");
  tap_check (strv_dup (NULL) == NULL, "dup NULL");
  copy = strv_dup (src);
  tap_require (copy != NULL, "dup");
  tap_check (strv_len (copy) == 3 && copy[3] == NULL, "copy terminated");
  tap_check (copy[0] != src[0] && strcmp (copy[0], "a") == 0 && strcmp (copy[1], "bb") == 0
                 && strcmp (copy[2], "") == 0,
             "deep copy");
  strv_free (copy);
  strv_free (NULL);

  {
    cleanup_strv char **scoped = strv_dup (src);
    tap_check (strv_len (scoped) == 3, "cleanup_strv holds a vector");
  }
  {
    char *empty[] = { NULL };
    cleanup_strv char **e = strv_dup (empty);
    tap_check (e != NULL && e[0] == NULL, "empty vector copied as empty, not NULL");
  }
}

static void
test_alloc_helpers (void)
{
  cleanup_free char *s = xasprintf ("%s-%d", "x", 42);
  cleanup_free char *z = xmalloc0 (16);
  char *p;
  int fd = 7;
  size_t i;

  tap_check (strcmp (s, "x-42") == 0, "xasprintf");
  tap_check (xstrdup (NULL) == NULL, "xstrdup NULL");
  for (i = 0; i < 16; i++)
    tap_check (z[i] == 0, "xmalloc0 zeroes byte %zu", i);
  p = steal_pointer (&s);
  tap_check (s == NULL && strcmp (p, "x-42") == 0, "steal_pointer");
  free (p);
  tap_check (steal_fd (&fd) == 7 && fd == -1, "steal_fd");
}

static void
test_mkdir_p_remove_tree (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *deep = xasprintf ("%s/a/b/c", dir);
  cleanup_free char *trailing = xasprintf ("%s/x/y/", dir);
  cleanup_free char *file = xasprintf ("%s/a/file", dir);
  cleanup_free char *under_file = xasprintf ("%s/a/file/sub", dir);
  cleanup_free char *outside = make_tmpdir ();
  cleanup_free char *outside_file = xasprintf ("%s/keep", outside);
  cleanup_free char *link = xasprintf ("%s/a/b/link", dir);
  cleanup_free char *missing = xasprintf ("%s/does-not-exist", dir);
  cleanup_free char *f1 = xasprintf ("%s/a/b/c/f1", dir);
  cleanup_free char *f2 = xasprintf ("%s/a/f2", dir);
  libcrun_error_t err = NULL;

  tap_check (mkdir_p (deep, 0755, &err) == 0, "mkdir_p deep: %s", err ? err->msg : "");
  tap_check (is_dir (deep), "deep directory exists");
  tap_check (mkdir_p (deep, 0755, &err) == 0, "mkdir_p again is fine");
  tap_check (mkdir_p (trailing, 0755, &err) == 0 && is_dir (trailing), "trailing slash");

  touch (file, "x");
  tap_check (mkdir_p (under_file, 0755, &err) < 0, "mkdir_p under a regular file fails");
  tap_check (err && err->status == ENOTDIR, "ENOTDIR: %s", err ? err->msg : "");
  libcrun_error_release (&err);

  /* A symlink inside the tree pointing outside: removed, never followed. */
  touch (outside_file, "keep me");
  tap_require (symlink (outside, link) == 0, "symlink");
  touch (f1, "1");
  touch (f2, "2");

  tap_check (remove_tree (dir, &err) == 0, "remove_tree: %s", err ? err->msg : "");
  tap_check (!exists (dir), "tree gone");
  tap_check (exists (outside_file), "symlink target untouched");
  tap_check (remove_tree (missing, &err) == 0, "removing a missing path is fine");
  tap_check (remove_tree (outside, &err) == 0, "remove second tree");
  tap_check (!exists (outside), "second tree gone");
}

static void
test_read_write_files (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *small = xasprintf ("%s/small", dir);
  cleanup_free char *big = xasprintf ("%s/big", dir);
  cleanup_free char *empty = xasprintf ("%s/empty", dir);
  cleanup_free char *missing = xasprintf ("%s/missing", dir);
  cleanup_free char *content = NULL;
  cleanup_free char *data = xmalloc (100000);
  char *got = NULL;
  size_t len = 0, i;
  libcrun_error_t err = NULL;

  touch (small, "hello\n");
  tap_check (read_all_file (small, &got, &len, &err) == 0, "read small");
  tap_check (got && len == 6 && strcmp (got, "hello\n") == 0, "small content, NUL-terminated");
  free (got);
  got = NULL;

  /* Larger than the initial buffer: exercises the growth path. */
  for (i = 0; i < 100000; i++)
    data[i] = (char)('a' + i % 26);
  tap_require (write_file (big, data, 100000, 0600, &err) == 0, "write big");
  tap_check (read_all_file (big, &got, &len, &err) == 0, "read big");
  tap_check (got && len == 100000 && memcmp (got, data, len) == 0 && got[len] == '\0',
             "big content");
  free (got);
  got = NULL;

  touch (empty, "");
  tap_check (read_all_file (empty, &got, NULL, &err) == 0 && got && got[0] == '\0',
             "empty file, NULL len allowed");
  free (got);
  got = NULL;

  tap_check (read_all_file (missing, &got, &len, &err) < 0, "missing file fails");
  tap_check (err && err->status == ENOENT && strstr (err->msg, missing)
                 && strstr (err->msg, strerror (ENOENT)),
             "ENOENT naming the path: %s", err ? err->msg : "");
  libcrun_error_release (&err);

  tap_check (remove_tree (dir, &err) == 0, "cleanup");
}

static void
test_write_file_atomic_at (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *path = xasprintf ("%s/state.json", dir);
  cleanup_free char *tmp = xasprintf ("%s/.state.json.tmp", dir);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  char *got = NULL;
  size_t len = 0;
  struct stat st;
  libcrun_error_t err = NULL;

  tap_require (dfd >= 0, "open dir");
  tap_check (write_file_atomic_at (dfd, "state.json", "first", 5, &err) == 0, "first write");
  tap_check (read_all_file (path, &got, &len, &err) == 0 && len == 5 && strcmp (got, "first") == 0,
             "first content");
  free (got);
  got = NULL;

  tap_check (write_file_atomic_at (dfd, "state.json", "second!", 7, &err) == 0, "replace");
  tap_check (read_all_file (path, &got, &len, &err) == 0 && len == 7
                 && strcmp (got, "second!") == 0,
             "replaced content, not appended");
  free (got);
  tap_check (!exists (tmp), "no temporary file left behind");
  tap_check (stat (path, &st) == 0 && (st.st_mode & 077) == 0, "private mode");

  tap_check (write_file_atomic_at (-1, "x", "y", 1, &err) < 0, "bad dirfd fails");
  tap_check (err && err->status == EBADF, "EBADF: %s", err ? err->msg : "");
  libcrun_error_release (&err);

  tap_check (remove_tree (dir, &err) == 0, "cleanup");
}

static void
test_write_all_read_exact (void)
{
  int fds[2];
  char buf[8];

  tap_require (pipe (fds) == 0, "pipe");
  tap_check (write_all (fds[1], "abcdef", 6) == 0, "write_all");
  tap_check (read_exact (fds[0], buf, 6) == 0 && memcmp (buf, "abcdef", 6) == 0, "read_exact");
  tap_check (write_all (fds[1], "xy", 2) == 0, "short write");
  close (fds[1]);
  tap_check (read_exact (fds[0], buf, 4) == -EPIPE, "EOF before all bytes is -EPIPE");
  close (fds[0]);
  tap_check (write_all (-1, "x", 1) == -EBADF, "write_all returns -errno");
}

static bool
fd_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

static void
test_close_fds_from (void)
{
  libcrun_error_t err = NULL;
  int a = open ("/dev/null", O_RDONLY);
  int b = open ("/dev/null", O_RDONLY);
  int c = open ("/dev/null", O_RDONLY);
  int d = fcntl (a, F_DUPFD, 200); /* a high, sparse fd */
  int keep[1];

  tap_require (a >= 0 && b > a && c > b && d >= 200, "open fds");
  keep[0] = b;
  tap_check (close_fds_from (a, keep, 1, &err) == 0, "close_fds_from: %s", err ? err->msg : "");
  tap_check (!fd_open (a), "a closed");
  tap_check (fd_open (b), "kept fd still open");
  tap_check (!fd_open (c), "c closed");
  tap_check (!fd_open (d), "high fd closed");
  tap_check (fd_open (0) && fd_open (1) && fd_open (2), "fds below `from` untouched");
  tap_check (close_fds_from (b + 1, NULL, 0, &err) == 0, "nothing to keep");
  tap_check (fd_open (b), "fd below from untouched");
}

/* ------------------------------------------------------------------------ */
/* error.c                                                                  */

static void
test_make_error (void)
{
  libcrun_error_t err = NULL;

  tap_check (libcrun_make_error (&err, ENOENT, "open `%s`", "/x/config.json") == -1, "returns -1");
  tap_require (err != NULL, "error set");
  tap_check (err->status == ENOENT, "status");
  tap_check (strcmp (err->msg, "open `/x/config.json`: No such file or directory") == 0,
             "strerror appended: %s", err->msg);

  /* A second error replaces the first (and must not leak it). */
  tap_check (libcrun_make_error (&err, 0, "plain %d", 3) == -1, "returns -1");
  tap_check (err->status == 0 && strcmp (err->msg, "plain 3") == 0, "no suffix without errno: %s",
             err->msg);

  libcrun_error_release (&err);
  tap_check (err == NULL, "release sets NULL");
  libcrun_error_release (&err);
  libcrun_error_release (NULL);
  tap_check (libcrun_make_error (NULL, EIO, "nowhere") == -1, "NULL err slot is allowed");
}

static void
test_error_wrap (void)
{
  libcrun_error_t err = NULL;
  cleanup_error libcrun_error_t scoped = NULL;

  tap_check (libcrun_error_wrap (&err, "context") == -1 && err == NULL,
             "wrapping no error leaves it NULL");
  tap_check (libcrun_error_wrap (NULL, "context") == -1, "NULL slot");

  libcrun_make_error (&err, EACCES, "mount `%s`", "/proc");
  tap_check (libcrun_error_wrap (&err, "create container `%s`", "c1") == -1, "returns -1");
  tap_check (strcmp (err->msg, "create container `c1`: mount `/proc`: Permission denied") == 0,
             "prefixed: %s", err->msg);
  tap_check (err->status == EACCES, "status kept");
  libcrun_error_wrap (&err, "outer");
  tap_check (strncmp (err->msg, "outer: create container", 23) == 0, "wraps nest: %s", err->msg);
  libcrun_error_release (&err);

  libcrun_make_error (&scoped, 0, "released by cleanup_error");
  tap_check (scoped != NULL, "scoped error");
}

/* send_all on a socket whose peer is gone: EPIPE, and no SIGPIPE (the
 * library's writes to its sync and status sockets go through it; a write()
 * there killed a caller that keeps SIGPIPE's default action). */
static void
test_send_all_no_sigpipe (void)
{
  int sv[2];
  sigset_t pending;
  tap_require (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
               strerror (errno));
  tap_check (send_all (sv[0], "ab", 2) == 0, "send to a live peer");
  close (sv[1]);
  signal (SIGPIPE, SIG_DFL);
  tap_check (send_all (sv[0], "x", 1) == -EPIPE, "send to a closed peer gives EPIPE");
  sigpending (&pending);
  tap_check (!sigismember (&pending, SIGPIPE), "SIGPIPE pending");
  close (sv[0]);
}

/* The waiter's wait for EOF: an errno of EINTR left by an earlier call
 * must not make it read EOF forever (it once tested errno after read()
 * returned 0). */
static void
test_drain_until_eof_stale_errno (void)
{
  int p[2];
  tap_require (pipe2 (p, O_CLOEXEC) == 0, "pipe: %s", strerror (errno));
  tap_require (write (p[1], "abc", 3) == 3, "write");
  close (p[1]);
  alarm (2); /* a spin ends the test as killed by SIGALRM */
  errno = EINTR;
  drain_until_eof (p[0]);
  alarm (0);
  tap_check (read (p[0], p, 1) == 0, "the pipe is at EOF");
  close (p[0]);
}

int
main (void)
{
  TAP_RUN (test_parse_long);
  TAP_RUN (test_send_all_no_sigpipe);
  TAP_RUN (test_drain_until_eof_stale_errno);
  TAP_RUN (test_parse_bool_word);
  TAP_RUN (test_strv);
  TAP_RUN (test_alloc_helpers);
  TAP_RUN (test_mkdir_p_remove_tree);
  TAP_RUN (test_read_write_files);
  TAP_RUN (test_write_file_atomic_at);
  TAP_RUN (test_write_all_read_exact);
  TAP_RUN (test_close_fds_from);
  TAP_RUN (test_make_error);
  TAP_RUN (test_error_wrap);
  return tap_done ();
}
