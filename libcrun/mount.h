/* Root filesystem set-up, run by the container's init process inside its new
 * mount namespace (and user namespace, when it has one), before it drops
 * privileges.  Split in three steps because the terminal has to be created
 * from the container's own devpts between mounting and pivoting.
 *
 * Every path taken from config.json is resolved inside the rootfs (openat2
 * RESOLVE_IN_ROOT): a symlink in the rootfs can never send a mount outside
 * it.  Errors name the mount destination and the reason. */
#ifndef LIBCRUN_MOUNT_H
#define LIBCRUN_MOUNT_H

#include <stdbool.h>
#include <stdint.h>
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

/* Parse a mount's options into mount flags, propagation flags, and the
 * remaining data string ("mode=755,size=65536k").  Exposed for unit tests.
 * Unknown options are passed on as data. */
struct libcrun_mount_flags
{
  unsigned long flags;       /* MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC... */
  unsigned long clear_flags; /* flags explicitly turned off ("rw", "suid") */
  unsigned long propagation; /* MS_PRIVATE|MS_REC, MS_SHARED... or 0 */
  char *data;                /* owned; NULL when empty */
  /* r$FLAG options: MOUNT_ATTR_* set and cleared on the mount and every
   * mount below it (mount_setattr AT_RECURSIVE). */
  uint64_t rec_attr_set, rec_attr_clr;
  bool has_idmap;       /* idmap or ridmap */
  bool idmap_recursive; /* ridmap: submounts of an rbind are idmapped too */
  char *idmap;          /* owned: "uids=...;gids=..." of idmap=, or NULL */
  bool tmpcopyup, copy_symlink, src_nofollow, dest_nofollow;
};
/* Whether `m` is a bind mount (type bind or none, or a bind option). */
bool libcrun_mount_is_bind (const struct oci_mount *m, const struct libcrun_mount_flags *mf);
/* The i-th mount option the parser accepts (for `features`); NULL past
 * the last one. */
const char *libcrun_mount_option_name (size_t i);
/* The owned strings of `mf`. */
void libcrun_mount_flags_release (struct libcrun_mount_flags *mf);
int libcrun_parse_mount_options (char *const *options, struct libcrun_mount_flags *out,
                                 libcrun_error_t *err);

#endif
