/* Mount options: the words of a mount's `options` (and rootfsPropagation)
 * parsed into mount flags, propagation, recursive attributes and the data
 * string left for the file system.  Pure parsing, no system call: shared by
 * the rootfs set-up (mount.c), the runtime's bind sources (mount_sources.c),
 * `crun mounts` (live_mounts.c) and `features`. */
#ifndef LIBCRUN_MOUNT_OPTIONS_H
#define LIBCRUN_MOUNT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "error.h"

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

/* linux.rootfsPropagation as propagation flags (MS_PRIVATE|MS_REC when it
 * is unset); *ret is -1 (and err set) when it is not a propagation word. */
unsigned long libcrun_rootfs_propagation (const struct oci_config *c, libcrun_error_t *err,
                                          int *ret);

#endif
