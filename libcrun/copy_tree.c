/* The tree copy behind the `tmpcopyup` mount option: what a new tmpfs
 * covers in the rootfs is copied into it, with owners, modes and
 * symlinks, so that an image's /etc or /var keeps its contents on a
 * writable tmpfs.  Both directories are descriptors: no path of the image
 * is ever followed (every entry is opened relative to its parent with
 * O_NOFOLLOW), so a symlink in the image cannot lead the copy out of it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "copy_tree.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than any real image; a hostile one cannot exhaust the stack. */
#define MAX_COPY_DEPTH 128

static int copy_dir_contents (int src, int dst, int depth, const char *where, libcrun_error_t *err);

static int
copy_file_data (int src, int dst)
{
  for (;;)
    {
      ssize_t n = sendfile (dst, src, NULL, 1 << 20);
      if (n == 0)
        return 0;
      if (n < 0 && errno != EINTR)
        return -1;
    }
}

static int
copy_regular (int srcdir, int dstdir, const char *name, const struct stat *st)
{
  cleanup_close int in = openat (srcdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_close int out = -1;

  if (in < 0)
    return -1;
  out = openat (dstdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0 || copy_file_data (in, out) < 0)
    return -1;
  if (fchown (out, st->st_uid, st->st_gid) < 0 || fchmod (out, st->st_mode & 07777) < 0)
    return -1;
  return 0;
}

static int
copy_symlink_entry (int srcdir, int dstdir, const char *name, const struct stat *st)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (srcdir, name, target, sizeof (target) - 1);

  if (n < 0)
    return -1;
  target[n] = '\0';
  if (symlinkat (target, dstdir, name) < 0)
    return -1;
  return fchownat (dstdir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
}

static int
copy_directory (int srcdir, int dstdir, const char *name, const struct stat *st, int depth,
                const char *where, libcrun_error_t *err)
{
  cleanup_close int in = -1, out = -1;
  cleanup_free char *sub = NULL;

  if (mkdirat (dstdir, name, 0700) < 0 && errno != EEXIST)
    return libcrun_make_error (err, errno, "copy up `%s/%s`", where, name);
  in = openat (srcdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  out = openat (dstdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0 || out < 0)
    return libcrun_make_error (err, errno, "copy up `%s/%s`", where, name);
  sub = xasprintf ("%s/%s", where, name);
  if (copy_dir_contents (in, out, depth + 1, sub, err) < 0)
    return -1;
  if (fchown (out, st->st_uid, st->st_gid) < 0 || fchmod (out, st->st_mode & 07777) < 0)
    return libcrun_make_error (err, errno, "copy up `%s`", sub);
  return 0;
}

static int
copy_entry (int src, int dst, const char *name, int depth, const char *where, libcrun_error_t *err)
{
  struct stat st;
  int ret;

  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return libcrun_make_error (err, errno, "copy up `%s/%s`", where, name);
  if (S_ISDIR (st.st_mode))
    return copy_directory (src, dst, name, &st, depth, where, err);
  if (S_ISREG (st.st_mode))
    ret = copy_regular (src, dst, name, &st);
  else if (S_ISLNK (st.st_mode))
    ret = copy_symlink_entry (src, dst, name, &st);
  else
    ret = mknodat (dst, name, st.st_mode, st.st_rdev) < 0
                  || fchownat (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0
              ? -1
              : 0;
  if (ret < 0)
    return libcrun_make_error (err, errno, "copy up `%s/%s`", where, name);
  return 0;
}

static int
copy_dir_contents (int src, int dst, int depth, const char *where, libcrun_error_t *err)
{
  DIR *d;
  struct dirent *de;
  int dupfd, ret = 0;

  if (depth > MAX_COPY_DEPTH)
    return libcrun_make_error (err, ELOOP, "copy up `%s`: more than %d levels of directories",
                               where, MAX_COPY_DEPTH);
  dupfd = fcntl (src, F_DUPFD_CLOEXEC, 0);
  if (dupfd < 0 || (d = fdopendir (dupfd)) == NULL)
    {
      if (dupfd >= 0)
        close (dupfd);
      return libcrun_make_error (err, errno, "copy up `%s`: read the directory", where);
    }
  while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = copy_entry (src, dst, de->d_name, depth, where, err);
    }
  if (ret == 0 && errno != 0)
    ret = libcrun_make_error (err, errno, "copy up `%s`: read the directory", where);
  closedir (d);
  return ret;
}

int
libcrun_copy_tree (int src, int dst, const char *where, libcrun_error_t *err)
{
  return copy_dir_contents (src, dst, 0, where, err);
}
