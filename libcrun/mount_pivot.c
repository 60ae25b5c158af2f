/* Step 3 of the rootfs set-up (mount.h): into the new root (pivot_root,
 * or chroot with --no-pivot), maskedPaths, readonlyPaths, a read-only root
 * and the final rootfsPropagation. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_internal.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Whether /proc of the (new) root is a real procfs, so that
 * /proc/self/fd/N cannot be a trap laid by the image. */
static bool
proc_is_usable (void)
{
  struct libcrun_open_how how;
  struct statfs sfs;
  cleanup_close int fd = -1;

  memset (&how, 0, sizeof (how));
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  fd = sys_openat2 (AT_FDCWD, "/proc", &how);
  if (fd < 0)
    return false;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int
do_pivot (const struct libcrun_rootfs_options *o, unsigned long prop, libcrun_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return libcrun_make_error (err, errno, "open `/`");
  newroot = open (o->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return libcrun_make_error (err, errno, "open the rootfs `%s`", o->rootfs);
  if (fchdir (newroot) < 0)
    return libcrun_make_error (err, errno, "chdir to the rootfs `%s`", o->rootfs);

  if (prop & MS_SHARED)
    {
      /* pivot_root refuses a shared new root or a shared current root.
       * Slave keeps receiving from the host; the configured shared
       * propagation is put back after the pivot. */
      if (mount (NULL, ".", NULL, MS_SLAVE, NULL) < 0)
        return libcrun_make_error (err, errno, "make the rootfs slave");
      if (mount (NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
        return libcrun_make_error (err, errno, "make `/` private");
    }

  /* pivot_root(".", ".") stacks the old root on top of the new one at the
   * same place, which saves a put_old directory in the image. */
  if (sys_pivot_root (".", ".") < 0)
    return libcrun_make_error (err, errno, "pivot_root to `%s`", o->rootfs);
  if (fchdir (oldroot) < 0)
    return libcrun_make_error (err, errno, "chdir to the old root");
  /* Slave first, so the unmount below does not propagate to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "make the old root slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return libcrun_make_error (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return libcrun_make_error (err, errno, "chdir to the new root");
  return 0;
}

static int
do_chroot (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  if (chdir (o->rootfs) < 0)
    return libcrun_make_error (err, errno, "chdir to the rootfs `%s`", o->rootfs);
  if (mount (o->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return libcrun_make_error (err, errno, "move the rootfs `%s` to `/`", o->rootfs);
  if (chroot (".") < 0)
    return libcrun_make_error (err, errno, "chroot to the rootfs `%s`", o->rootfs);
  if (chdir ("/") < 0)
    return libcrun_make_error (err, errno, "chdir to the new root");
  return 0;
}

static int
mask_path (const struct mount_ctx *ctx, const char *path, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int nullfd = -1;
  struct fd_target t, tn;
  struct stat st;

  fd = libcrun_open_in_root (ctx->rootfd, path, O_PATH);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0; /* nothing to hide */
      return libcrun_make_error (err, errno, "mask `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return libcrun_make_error (err, errno, "mask `%s`", path);

  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", libcrun_mount_target (ctx, fd, path, &t), "tmpfs",
                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k,mode=555")
          < 0)
        return libcrun_make_error (err, errno, "mask `%s`", path);
      return 0;
    }

  /* Files are covered with the container's /dev/null, after checking it
   * is the null device: the image (or a racing container sharing /dev)
   * could have put something else there (CVE-2025-31133). */
  nullfd = libcrun_open_in_root (ctx->rootfd, "/dev/null", O_PATH);
  if (nullfd < 0)
    return libcrun_make_error (err, errno, "mask `%s`: open `/dev/null`", path);
  if (fstat (nullfd, &st) < 0)
    return libcrun_make_error (err, errno, "mask `%s`: stat `/dev/null`", path);
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return libcrun_make_error (err, EPERM, "mask `%s`: `/dev/null` is not the null device", path);
  if (mount (libcrun_mount_target (ctx, nullfd, "/dev/null", &tn),
             libcrun_mount_target (ctx, fd, path, &t), NULL, MS_BIND, NULL)
      < 0)
    return libcrun_make_error (err, errno, "mask `%s`", path);
  return 0;
}

static int
readonly_path (const struct mount_ctx *ctx, const char *path, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  struct fd_target t;
  const char *target;

  fd = libcrun_open_in_root (ctx->rootfd, path, O_PATH);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return libcrun_make_error (err, errno, "make `%s` read-only", path);
    }
  target = libcrun_mount_target (ctx, fd, path, &t);
  /* A bind on itself makes it a mount point with its own flags. */
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "make `%s` read-only: bind", path);
  if (libcrun_reopen_dest (ctx, path, false, &fd, err) < 0)
    return libcrun_error_wrap (err, "make `%s` read-only", path);
  if (libcrun_remount_bind (ctx, fd, path, MS_RDONLY, 0) < 0)
    return libcrun_make_error (err, errno, "make `%s` read-only: remount", path);
  return 0;
}

int
libcrun_rootfs_pivot (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  const struct oci_config *c = o->config;
  const struct oci_linux *l = c->linux_cfg;
  cleanup_close int rootfd = -1;
  struct mount_ctx ctx;
  unsigned long prop;
  size_t i;
  int ret;

  prop = libcrun_rootfs_propagation (c, err, &ret);
  if (ret < 0)
    return -1;

  if (o->no_pivot)
    ret = do_chroot (o, err);
  else
    ret = do_pivot (o, prop, err);
  if (ret < 0)
    return -1;

  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return libcrun_make_error (err, errno, "open `/`");
  ctx.o = o;
  ctx.rootfd = rootfd;
  ctx.use_proc_fd = proc_is_usable ();

  for (i = 0; l && l->masked_paths && l->masked_paths[i]; i++)
    if (mask_path (&ctx, l->masked_paths[i], err) < 0)
      return -1;
  for (i = 0; l && l->readonly_paths && l->readonly_paths[i]; i++)
    if (readonly_path (&ctx, l->readonly_paths[i], err) < 0)
      return -1;

  if (c->root_readonly)
    {
      cleanup_close int fd = -1;
      /* A missing process.cwd is created (later, at chdir); on a root that
       * is about to become read-only that has to happen now, as crun does. */
      if (c->process && c->process->cwd && access (c->process->cwd, F_OK) < 0 && errno == ENOENT
          && mkdir_p (c->process->cwd, 0755, err) < 0)
        return libcrun_error_wrap (err, "create `%s` (process.cwd)", c->process->cwd);
      fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 || libcrun_remount_bind (&ctx, fd, "/", MS_RDONLY, 0) < 0)
        return libcrun_make_error (err, errno, "remount `/` read-only");
    }

  if (l && l->rootfs_propagation && mount (NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "set rootfsPropagation `%s` on `/`",
                               l->rootfs_propagation);
  return 0;
}
