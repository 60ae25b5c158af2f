/* /dev of the container: the default devices and symlinks, linux.devices
 * (step 1, unless the config bind-mounts /dev), and the console (step 2). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_internal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Step 1: devices and symlinks                                             */
/* ------------------------------------------------------------------------ */

struct default_dev
{
  const char *name;
  unsigned int major, minor;
};

static const struct default_dev default_devs[] = {
  { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

struct dev_symlink
{
  const char *name;
  const char *target;
};

static const struct dev_symlink default_links[] = {
  { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
};

/* Remove the entry `name` of `dirfd` so that a device can take its place.
 * In a user namespace it may be a host device bound on a file (EBUSY): the
 * bind is detached first; the O_PATH descriptor names the mount itself. */
static int
remove_device (const struct mount_ctx *ctx, int dirfd, const char *name, const char *path)
{
  cleanup_close int fd = -1;
  struct fd_target t;

  if (unlinkat (dirfd, name, 0) == 0)
    return 0;
  if (errno != EBUSY)
    return -1;
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (umount2 (libcrun_mount_target (ctx, fd, path, &t), MNT_DETACH) < 0)
    return -1;
  return unlinkat (dirfd, name, 0);
}

/* Create a device node `name` in `dirfd`.  In a user namespace mknod is
 * refused (EPERM): an empty file is created and the host's device at
 * `host_path` is bind-mounted on it.  `replace` removes whatever is there
 * first (linux.devices); otherwise an existing entry is left alone. */
static int
make_device (const struct mount_ctx *ctx, int dirfd, const char *name, const char *path,
             const char *host_path, mode_t type, dev_t rdev, mode_t mode, bool set_owner, uid_t uid,
             gid_t gid, bool replace, libcrun_error_t *err)
{
  struct stat st;

  if (replace && fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return libcrun_make_error (err, EISDIR, "create device `%s`", path);
      if (remove_device (ctx, dirfd, name, path) < 0)
        return libcrun_make_error (err, errno, "replace device `%s`", path);
    }

  if (mknodat (dirfd, name, type | (mode & 07777), rdev) < 0)
    {
      cleanup_close int fd = -1;

      if (errno == EEXIST && !replace)
        return 0;
      if (errno != EPERM)
        return libcrun_make_error (err, errno, "mknod `%s`", path);

      fd = openat (dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0)
        return libcrun_make_error (err, errno, "create `%s`", path);
      close (fd);
      fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return libcrun_make_error (err, errno, "open `%s`", path);
      if (libcrun_bind_mount (ctx, host_path, fd, path, false) < 0)
        return libcrun_make_error (err, errno,
                                   errno == ENOENT
                                       ? "device `%s`: mknod is not allowed in a user namespace, "
                                         "the host's node is bound instead, and the host has none"
                                       : "device `%s`: bind the host's node",
                                   path);
      return 0;
    }

  /* mknod honours the umask; the config asks for an exact mode. */
  if (fchmodat (dirfd, name, mode & 07777, 0) < 0)
    return libcrun_make_error (err, errno, "chmod `%s`", path);
  if (set_owner && fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return libcrun_make_error (err, errno, "chown `%s`", path);
  return 0;
}

static int
create_default_devices (const struct mount_ctx *ctx, libcrun_error_t *err)
{
  cleanup_close int devfd = -1;
  size_t i;

  if (libcrun_resolve_in_root (ctx->rootfd, "/dev", CREATE_DIR, 0755, &devfd, err) < 0)
    return -1;
  for (i = 0; i < sizeof (default_devs) / sizeof (default_devs[0]); i++)
    {
      const struct default_dev *d = &default_devs[i];
      cleanup_free char *path = xasprintf ("/dev/%s", d->name);
      if (make_device (ctx, devfd, d->name, path, path, S_IFCHR, makedev (d->major, d->minor), 0666,
                       false, 0, 0, false, err)
          < 0)
        return -1;
    }
  for (i = 0; i < sizeof (default_links) / sizeof (default_links[0]); i++)
    {
      const struct dev_symlink *l = &default_links[i];
      /* An image that ships its own entry keeps it. */
      if (symlinkat (l->target, devfd, l->name) < 0 && errno != EEXIST)
        return libcrun_make_error (err, errno, "symlink `/dev/%s`", l->name);
    }
  return 0;
}

static int
create_config_devices (const struct mount_ctx *ctx, libcrun_error_t *err)
{
  const struct oci_linux *l = ctx->o->config->linux_cfg;
  size_t i;

  if (l == NULL)
    return 0;
  for (i = 0; i < l->n_devices; i++)
    {
      const struct oci_device *d = &l->devices[i];
      cleanup_close int dirfd = -1;
      cleanup_free char *name = NULL;
      mode_t type;

      switch (d->type)
        {
        case 'c':
        case 'u':
          type = S_IFCHR;
          break;
        case 'b':
          type = S_IFBLK;
          break;
        case 'p':
          type = S_IFIFO;
          break;
        default:
          return libcrun_make_error (err, EINVAL, "device `%s`: unknown type `%c`", d->path,
                                     d->type);
        }
      if (libcrun_resolve_parent_in_root (ctx->rootfd, d->path, &dirfd, &name, err) < 0)
        return libcrun_error_wrap (err, "device `%s`", d->path);
      if (make_device (ctx, dirfd, name, d->path, d->path, type,
                       type == S_IFIFO ? 0
                                       : makedev ((unsigned int)d->major, (unsigned int)d->minor),
                       d->has_file_mode ? d->file_mode : 0666, d->has_uid || d->has_gid,
                       d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, true, err)
          < 0)
        return -1;
    }
  return 0;
}

/* "/dev", "/dev/", "//dev" all name /dev. */
static bool
path_is (const char *path, const char *want)
{
  while (*path == '/')
    path++;
  while (*want == '/')
    want++;
  for (; *want; path++, want++)
    if (*path != *want)
      return false;
  while (*path == '/')
    path++;
  return *path == '\0';
}

/* /dev is populated by us unless the config bind-mounts it from the host:
 * then it is the host's and must not be touched. */
static bool
dev_is_bind_mounted (const struct oci_config *c)
{
  size_t i;
  bool bind = false;

  for (i = 0; i < c->n_mounts; i++)
    {
      struct libcrun_mount_flags mf;
      if (!path_is (c->mounts[i].destination, "/dev"))
        continue;
      if (libcrun_parse_mount_options (c->mounts[i].options, &mf, NULL) < 0)
        continue;
      libcrun_mount_flags_release (&mf);
      bind = libcrun_mount_is_bind (&c->mounts[i], &mf); /* the last one wins */
    }
  return bind;
}

int
libcrun_populate_dev (const struct mount_ctx *ctx, libcrun_error_t *err)
{
  if (dev_is_bind_mounted (ctx->o->config))
    return 0;
  if (create_default_devices (ctx, err) < 0)
    return -1;
  return create_config_devices (ctx, err);
}

/* ------------------------------------------------------------------------ */
/* Step 2                                                                   */
/* ------------------------------------------------------------------------ */

int
libcrun_rootfs_bind_console (const struct libcrun_rootfs_options *o, const char *slave_path,
                             libcrun_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int devfd = -1;
  cleanup_close int fd = -1;
  struct mount_ctx ctx;
  struct fd_target t;
  struct stat st;

  rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return libcrun_make_error (err, errno, "open the rootfs `%s`", o->rootfs);
  ctx.o = o;
  ctx.rootfd = rootfd;
  ctx.use_proc_fd = true;

  if (libcrun_resolve_in_root (rootfd, "/dev", CREATE_DIR, 0755, &devfd, err) < 0)
    return libcrun_error_wrap (err, "bind console");
  /* The console is our own empty file: whatever the image has there (a
   * symlink in particular) is replaced rather than followed. */
  if (fstatat (devfd, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode)
      && !S_ISCHR (st.st_mode))
    {
      if (unlinkat (devfd, "console", S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return libcrun_make_error (err, errno, "bind console: remove `/dev/console`");
    }
  fd = openat (devfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0 && errno != EEXIST && errno != ENXIO && errno != EACCES && errno != EPERM)
    return libcrun_make_error (err, errno, "bind console: create `/dev/console`");
  if (fd >= 0)
    close (fd);
  fd = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "bind console: open `/dev/console`");
  if (mount (slave_path, libcrun_mount_target (&ctx, fd, "/dev/console", &t), NULL, MS_BIND, NULL)
      < 0)
    return libcrun_make_error (err, errno, "bind console `%s` on `/dev/console`", slave_path);
  return 0;
}
