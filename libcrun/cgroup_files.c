/* cgroupfs files (see cgroup_internal.h): one value per write(), reads,
 * and the clock of the loops that wait for the kernel. */
#include "cgroup_internal.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
cg_write_raw (const char *dir, const char *file, const char *value)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (p, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  ssize_t w;

  if (fd < 0)
    return -errno;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return -errno;
  if ((size_t)w != len)
    return -EIO;
  return 0;
}

int
cg_write (const char *dir, const char *file, const char *value, const char *what,
          libcrun_error_t *err)
{
  int ret = cg_write_raw (dir, file, value);
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s: write `%s` to `%s/%s`", what, value, dir, file);
  return 0;
}

int
cg_write_i64 (const char *dir, const char *file, int64_t value, const char *what,
              libcrun_error_t *err)
{
  char buf[24];
  snprintf (buf, sizeof (buf), "%" PRId64, value);
  return cg_write (dir, file, buf, what, err);
}

int
cg_read (const char *dir, const char *file, char **out, libcrun_error_t *err)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  return read_all_file (p, out, NULL, err);
}

bool
cg_has_file (const char *dir, const char *file)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  return access (p, F_OK) == 0;
}

void
cg_strip_trailing (char *s)
{
  size_t n = strlen (s);
  while (n && isspace ((unsigned char)s[n - 1]))
    s[--n] = '\0';
}

void
cg_sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

int64_t
cg_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
