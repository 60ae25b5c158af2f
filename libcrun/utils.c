#include "utils.h"
#include "state.h" /* libcrun_is_rootless */
#include "helpers.h"
#include "syscalls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FILE_SIZE (64 * 1024 * 1024)

void
cleanup_freep (void *p)
{
  void **pp = p;
  free (*pp);
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
  *fd = -1; /* also called directly, to close early */
}

void
cleanup_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
cleanup_strvp (char ***v)
{
  strv_free (*v);
}

void *
xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t size)
{
  p = realloc (p, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *out;
  va_start (ap, fmt);
  if (vasprintf (&out, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return out;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

char **
strv_dup (char *const *v)
{
  size_t i, n = strv_len (v);
  char **r;
  if (v == NULL)
    return NULL;
  r = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    r[i] = xstrdup (v[i]);
  return r;
}

void
strv_append (char ***v, const char *s)
{
  size_t n = strv_len (*v);
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

void
strv_free (char **v)
{
  size_t i;
  if (v == NULL)
    return;
  for (i = 0; v[i]; i++)
    free (v[i]);
  free (v);
}

/* On a socket, send() with MSG_NOSIGNAL: a peer that went away is an EPIPE
 * error, where write() would also raise SIGPIPE in the caller. */
static int
put_all (int fd, const void *data, size_t len, bool on_socket)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t r = on_socket ? send (fd, p, len, MSG_NOSIGNAL) : write (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += r;
      len -= (size_t)r;
    }
  return 0;
}

int
write_all (int fd, const void *data, size_t len)
{
  return put_all (fd, data, len, false);
}

int
send_all (int fd, const void *data, size_t len)
{
  return put_all (fd, data, len, true);
}

int
read_exact (int fd, void *data, size_t len)
{
  char *p = data;
  while (len > 0)
    {
      ssize_t r = read (fd, p, len);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (r == 0)
        return -EPIPE; /* peer went away before sending everything */
      p += r;
      len -= (size_t)r;
    }
  return 0;
}

void
libcrun_test_crash_point (const char *point)
{
  const char *at = getenv ("LIBCRUN_TEST_CRASH_AT");
  if (at && strcmp (at, point) == 0)
    kill (getpid (), SIGKILL);
}

bool
libcrun_is_rootless (void)
{
  cleanup_free char *map = NULL;
  libcrun_error_t err = NULL;
  unsigned long inside, outside, count;

  if (geteuid () != 0)
    return true;
  if (read_all_file ("/proc/self/uid_map", &map, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return false;
    }
  /* The initial namespace maps 0 to 0 for all 4294967295 ids. */
  return sscanf (map, "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0 || outside != 0
         || count != 4294967295UL;
}

void
close_fd_array (int *fds)
{
  size_t i;
  for (i = 0; fds && fds[i] >= 0; i++)
    close (fds[i]);
  free (fds);
}

void
drain_until_eof (int fd)
{
  char buf[64];
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof (buf));
      /* A stale EINTR left in errno by an earlier call must not turn EOF
       * (n == 0) into an endless loop: errno counts only when n < 0. */
      if (n > 0 || (n < 0 && errno == EINTR))
        continue;
      return;
    }
}

int
read_all_fd (int fd, const char *what, char **out, size_t *len, libcrun_error_t *err)
{
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = xmalloc (cap);

  for (;;)
    {
      ssize_t r;
      if (used + 1 >= cap)
        {
          if (cap >= MAX_FILE_SIZE)
            return libcrun_make_error (err, EFBIG, "read `%s`", what);
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      r = read (fd, buf + used, cap - used - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return libcrun_make_error (err, errno, "read `%s`", what);
        }
      if (r == 0)
        break;
      used += (size_t)r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
read_all_file (const char *path, char **out, size_t *len, libcrun_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", path);
  return read_all_fd (fd, path, out, len, err);
}

int
write_file (const char *path, const void *data, size_t len, mode_t mode, libcrun_error_t *err)
{
  int r;
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", path);
  r = write_all (fd, data, len);
  if (r < 0)
    return libcrun_make_error (err, -r, "write `%s`", path);
  return 0;
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len,
                      libcrun_error_t *err)
{
  cleanup_free char *tmp = xasprintf (".%s.tmp", name);
  cleanup_close int fd = -1;
  int r;

  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", tmp);
  r = write_all (fd, data, len);
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      return libcrun_make_error (err, -r, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return libcrun_make_error (err, saved, "rename `%s`", name);
    }
  return 0;
}

int
mkdir_p (const char *path, mode_t mode, libcrun_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (copy, mode) < 0 && errno != EEXIST)
        return libcrun_make_error (err, errno, "mkdir `%s`", copy);
      *p = '/';
    }
  if (mkdir (copy, mode) < 0 && errno != EEXIST)
    return libcrun_make_error (err, errno, "mkdir `%s`", copy);
  return 0;
}

static int
remove_tree_at (int parent_fd, const char *name, const char *shown, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  DIR *d;
  struct dirent *de;
  int ret = 0;

  if (unlinkat (parent_fd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return libcrun_make_error (err, errno, "remove `%s`", shown);

  fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", shown);
  d = fdopendir (fd);
  if (d == NULL)
    return libcrun_make_error (err, errno, "opendir `%s`", shown);
  fd = -1; /* owned by d now */
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = remove_tree_at (dirfd (d), de->d_name, shown, err);
      if (ret < 0)
        break;
    }
  closedir (d);
  if (ret < 0)
    return ret;
  if (unlinkat (parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return libcrun_make_error (err, errno, "rmdir `%s`", shown);
  return 0;
}

int
remove_tree (const char *path, libcrun_error_t *err)
{
  return remove_tree_at (AT_FDCWD, path, path, err);
}

int
parse_long (const char *s, long *out)
{
  char *end;
  long v;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtol (s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

const char *
env_lookup (char *const *env, const char *name)
{
  size_t i, len = strlen (name);
  for (i = 0; env && env[i]; i++)
    if (strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

int
parse_bool_word (const char *s)
{
  if (s == NULL)
    return -1;
  if (strcmp (s, "1") == 0 || strcmp (s, "true") == 0)
    return 1;
  if (strcmp (s, "0") == 0 || strcmp (s, "false") == 0)
    return 0;
  return -1;
}

/* Close fd; where a seccomp profile refuses close (the init closes its fds
 * after the container's filter is loaded), mark it close-on-exec so that
 * the container's execve closes it. */
static void
close_or_cloexec (int fd)
{
  if (close (fd) < 0 && errno != EBADF && errno != EINTR)
    fcntl (fd, F_SETFD, FD_CLOEXEC);
}

static bool
fd_is_kept (int fd, const int *keep, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

int
close_fds_from (int from, const int *keep, size_t n, libcrun_error_t *err)
{
  cleanup_close int dfd = open ("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d;
  struct dirent *de;
  int self;

  if (dfd < 0)
    {
      /* No /proc: fall back to close_range over the gaps between kept fds. */
      int fd;
      for (fd = from; fd < 65536; fd++)
        if (!fd_is_kept (fd, keep, n))
          close_or_cloexec (fd);
      return 0;
    }
  self = dfd;
  d = fdopendir (dfd);
  if (d == NULL)
    return libcrun_make_error (err, errno, "opendir `/proc/self/fd`");
  dfd = -1;
  while ((de = readdir (d)))
    {
      long fd;
      if (parse_long (de->d_name, &fd) < 0 || fd < from || fd == self)
        continue;
      if (!fd_is_kept ((int)fd, keep, n))
        close_or_cloexec ((int)fd);
    }
  closedir (d);
  return 0;
}

int
fd_holes_fill (struct fd_holes *h, int from, int n, libcrun_error_t *err)
{
  cleanup_close int null = -1;
  int i;

  h->from = from;
  h->n = 0;
  h->hole = NULL;
  if (n <= 0)
    return 0;
  h->hole = xmalloc0 ((size_t)n);
  h->n = n;
  for (i = 0; i < n; i++)
    {
      if (fcntl (from + i, F_GETFD) >= 0 || errno != EBADF)
        continue; /* the caller's fd: passed on */
      if (null < 0)
        {
          /* above the range: it would itself fill the first hole */
          int low = open ("/dev/null", O_RDONLY | O_CLOEXEC);
          null = low < 0 ? -1 : fcntl (low, F_DUPFD_CLOEXEC, from + n);
          if (low >= 0)
            close (low);
          if (null < 0)
            {
              fd_holes_release (h);
              return libcrun_make_error (err, errno, "open `/dev/null`");
            }
        }
      if (dup3 (null, from + i, O_CLOEXEC) < 0)
        {
          int e = errno;
          fd_holes_release (h);
          return libcrun_make_error (
              err, e, "reserve fd %d of the preserved range (%d fds from %d)", from + i, n, from);
        }
      h->hole[i] = 1;
    }
  return 0;
}

bool
fd_holes_is_hole (const struct fd_holes *h, int fd)
{
  return h && fd >= h->from && fd < h->from + h->n && h->hole[fd - h->from];
}

void
fd_holes_release (struct fd_holes *h)
{
  int i;
  for (i = 0; i < h->n; i++)
    if (h->hole[i])
      close (h->from + i);
  free (h->hole);
  h->hole = NULL;
  h->n = 0;
}

/* The public names of the helpers above (helpers.h): aliases, so that the
 * library's short names stay unexported. */
#define PUBLIC_ALIAS(pub, name) __typeof__ (name) pub __attribute__ ((alias (#name)))
PUBLIC_ALIAS (libcrun_xmalloc, xmalloc);
PUBLIC_ALIAS (libcrun_xmalloc0, xmalloc0);
PUBLIC_ALIAS (libcrun_xrealloc, xrealloc);
PUBLIC_ALIAS (libcrun_xstrdup, xstrdup);
PUBLIC_ALIAS (libcrun_xasprintf, xasprintf);
PUBLIC_ALIAS (libcrun_strv_len, strv_len);
PUBLIC_ALIAS (libcrun_strv_dup, strv_dup);
PUBLIC_ALIAS (libcrun_strv_free, strv_free);
PUBLIC_ALIAS (libcrun_strv_append, strv_append);
PUBLIC_ALIAS (libcrun_read_all_file, read_all_file);
PUBLIC_ALIAS (libcrun_read_all_fd, read_all_fd);
PUBLIC_ALIAS (libcrun_write_all, write_all);
PUBLIC_ALIAS (libcrun_parse_long, parse_long);
PUBLIC_ALIAS (libcrun_cleanup_freep, cleanup_freep);
PUBLIC_ALIAS (libcrun_cleanup_closep, cleanup_closep);
PUBLIC_ALIAS (libcrun_cleanup_fclosep, cleanup_fclosep);
PUBLIC_ALIAS (libcrun_cleanup_strvp, cleanup_strvp);

bool
libcrun_list_has (const char *list, const char *item, const char *seps)
{
  size_t n = strlen (item);
  const char *p = list;
  if (list == NULL)
    return false;
  while (*p)
    {
      size_t len = strcspn (p, seps);
      if (len == n && strncmp (p, item, n) == 0)
        return true;
      p += len;
      if (*p)
        p++;
    }
  return false;
}

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* Before Linux 6.3 MFD_EXEC is unknown (and every memfd executable); from
 * 6.3 a memfd without it or MFD_NOEXEC_SEAL draws a kernel warning. */
static int
memfd_new (const char *name, bool exec)
{
  unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = (int)syscall (SYS_memfd_create, name, flags | (exec ? MFD_EXEC : 0));
  if (fd < 0 && exec && errno == EINVAL)
    fd = (int)syscall (SYS_memfd_create, name, flags);
  return fd;
}

static int
memfd_seal (int fd)
{
  int e;
  if (lseek (fd, 0, SEEK_SET) == 0
      && fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0)
    return fd;
  e = errno;
  close (fd);
  errno = e;
  return -1;
}

int
sealed_memfd (const char *name, const void *data, size_t len)
{
  int fd = memfd_new (name, false);
  int r;
  if (fd < 0)
    return -1;
  r = write_all (fd, data, len);
  if (r < 0)
    {
      close (fd);
      errno = -r;
      return -1;
    }
  return memfd_seal (fd);
}

int
sealed_memfd_copy (const char *name, int src_fd)
{
  struct stat st;
  off_t off = 0;
  int fd;

  if (fstat (src_fd, &st) < 0)
    return -1;
  fd = memfd_new (name, true);
  if (fd < 0)
    return -1;
  while (off < st.st_size)
    {
      ssize_t n = sendfile (fd, src_fd, &off, (size_t)(st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = n < 0 ? errno : EIO;
          close (fd);
          errno = e;
          return -1;
        }
    }
  return memfd_seal (fd);
}

void
set_cloexec (const int *fds, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (fds[i] >= 0)
      (void)fcntl (fds[i], F_SETFD, FD_CLOEXEC);
}

void
fd_holes_set_cloexec (const struct fd_holes *h)
{
  int i;

  for (i = 0; i < h->n; i++)
    if (h->hole[i])
      (void)fcntl (h->from + i, F_SETFD, FD_CLOEXEC);
}

size_t
buf_put (char *buf, size_t n, size_t cap, const char *s)
{
  while (s && *s && n < cap)
    buf[n++] = *s++;
  return n;
}

size_t
buf_put_number (char *buf, size_t n, size_t cap, size_t v)
{
  char digits[24];
  size_t k = 0;

  do
    digits[k++] = (char)('0' + v % 10);
  while ((v /= 10) && k < sizeof (digits));
  while (k && n < cap)
    buf[n++] = digits[--k];
  return n;
}
