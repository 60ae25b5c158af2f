/* What the files of the rootfs set-up (mount.h) share, and nothing else
 * includes: the state of one step and the descriptors inside the rootfs
 * (mount_resolve.c), the cgroup mount (mount_cgroup.c) and /dev
 * (mount_dev.c); mount_sources.c takes libcrun_join_path for the bind
 * sources the runtime opens.
 *
 * Safety rule of these files: no path taken from config.json is ever handed
 * to mount(2) as a string while the host's root is still visible.  Every
 * destination is resolved with openat2(RESOLVE_IN_ROOT) relative to an
 * O_PATH descriptor of the rootfs, missing components are created one at a
 * time relative to an already resolved parent, and the mount targets the
 * resolved descriptor through its /proc/self/fd/N magic link.  A symlink in
 * the rootfs (absolute, or a chain of "..") is therefore interpreted as if
 * the rootfs were "/" and can never send a mount to the host. */
#ifndef LIBCRUN_MOUNT_INTERNAL_H
#define LIBCRUN_MOUNT_INTERNAL_H

#include <stdbool.h>
#include <sys/mount.h>
#include <sys/types.h>
#include "error.h"
#include "mount.h"
#include "mount_options.h"

#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SHARED | MS_SLAVE | MS_UNBINDABLE)

enum create_kind
{
  CREATE_NONE,
  CREATE_DIR,
  CREATE_FILE,
};

/* State shared by the helpers of one step. */
struct mount_ctx
{
  const struct libcrun_rootfs_options *o;
  int rootfd; /* O_PATH of the rootfs (before pivot) or of "/" (after) */
  /* Whether /proc/self/fd/N can name a resolved descriptor.  After the
   * pivot the container may have no procfs; plain paths are then used,
   * which is safe because the host is no longer reachable by path. */
  bool use_proc_fd;
};

struct fd_target
{
  char buf[64];
};

/* ---- mount_resolve.c: descriptors inside the rootfs -------------------- */

/* The string given to mount(2) for the resolved descriptor `fd` (its
 * /proc/self/fd link in `t`, or `path` when !use_proc_fd). */
const char *libcrun_mount_target (const struct mount_ctx *ctx, int fd, const char *path,
                                  struct fd_target *t);
/* openat2 RESOLVE_IN_ROOT, O_CLOEXEC added. */
int libcrun_open_in_root (int rootfd, const char *path, int flags);
/* "a" + "/" + "b" without doubling slashes (owned). */
char *libcrun_join_path (const char *a, const char *b);
/* An O_PATH descriptor of `path` inside `rootfd` in *out, what is missing
 * created as `kind` asks (a dangling symlink is followed inside the root). */
int libcrun_resolve_in_root (int rootfd, const char *path, enum create_kind kind, mode_t mode,
                             int *out, libcrun_error_t *err);
/* The directory holding `path` (created as needed) and its last
 * component, which must be a real name. */
int libcrun_resolve_parent_in_root (int rootfd, const char *path, int *dirfd, char **name,
                                    libcrun_error_t *err);
/* *fd replaced by a descriptor of what is mounted on `dest` now. */
int libcrun_reopen_dest (const struct mount_ctx *ctx, const char *dest, bool nofollow, int *fd,
                         libcrun_error_t *err);
/* MS_REMOUNT|MS_BIND of the mount on `fd` with `flags`, keeping the flags
 * it has unless cleared (and the locked ones in a user namespace). */
int libcrun_remount_bind (const struct mount_ctx *ctx, int fd, const char *path,
                          unsigned long flags, unsigned long clear_flags);
/* Bind `source` (a host path, or a /proc/self/fd link) on `destfd`;
 * -1 with errno set. */
int libcrun_bind_mount (const struct mount_ctx *ctx, const char *source, int destfd,
                        const char *dest, bool recursive);

/* ---- mount_cgroup.c ---------------------------------------------------- */

/* The cgroup view of a config mount on `dest`, per host layout. */
int libcrun_mount_cgroup (const struct mount_ctx *ctx, const char *dest,
                          const struct libcrun_mount_flags *mf, libcrun_error_t *err);

/* ---- mount_dev.c ------------------------------------------------------- */

/* Unless the config bind-mounts /dev: the default devices and symlinks,
 * then linux.devices. */
int libcrun_populate_dev (const struct mount_ctx *ctx, libcrun_error_t *err);

#endif
