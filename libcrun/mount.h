/* Root filesystem set-up, run by the container's init process inside its new
 * mount namespace (and user namespace, when it has one), before it drops
 * privileges.  Split in three steps because the terminal has to be created
 * from the container's own devpts between mounting and pivoting.
 *
 * Every path taken from config.json is resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT): a symlink in the rootfs can never send a mount outside
 * it.  Errors name the mount destination and the reason.
 *
 * Step 1 is mount.c (config.mounts: mount_options.c parses their options,
 * mount_cgroup.c makes the cgroup view, mount_dev.c populates /dev), step 2
 * is mount_dev.c, step 3 mount_pivot.c; what they share is in
 * mount_internal.h. */
#ifndef LIBCRUN_MOUNT_H
#define LIBCRUN_MOUNT_H

#include <stdbool.h>
#include "config.h"
#include "error.h"

struct libcrun_rootfs_options
{
  const struct oci_config *config;
  const char *rootfs; /* absolute host path of root.path */
  const char *bundle; /* absolute bundle path: relative bind sources start here */
  bool no_pivot;      /* --no-pivot: chroot instead of pivot_root */
  bool userns;        /* the container has its own user namespace */
  /* config.mounts[i] as a detached mount from the runtime, or -1 (NULL:
   * none; see mount_sources.h) */
  const int *mount_fds;
};

/* Step 1: make the mount tree private (or as rootfsPropagation says), bind the
 * rootfs onto itself, perform config.mounts in order, populate /dev (default
 * devices, linux.devices, /dev/fd, /dev/stdin|stdout|stderr, /dev/ptmx
 * symlink) when /dev is not bind-mounted from the host. */
int libcrun_rootfs_mount (const struct libcrun_rootfs_options *o, libcrun_error_t *err);

/* Step 2 (only with a terminal): bind the pty slave `slave_path` (a host path
 * such as /proc/self/fd/N) onto <rootfs>/dev/console. */
int libcrun_rootfs_bind_console (const struct libcrun_rootfs_options *o, const char *slave_path,
                                 libcrun_error_t *err);

/* Step 3: pivot_root (or chroot), detach the old root, apply maskedPaths and
 * readonlyPaths, remount / read-only when root.readonly, and set the final
 * rootfsPropagation.  Afterwards the process sees only the container. */
int libcrun_rootfs_pivot (const struct libcrun_rootfs_options *o, libcrun_error_t *err);

#endif
