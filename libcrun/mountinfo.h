/* /proc/self/mountinfo of the calling process, parsed: the mounts it sees,
 * in the kernel's order. */
#ifndef LIBCRUN_MOUNTINFO_H
#define LIBCRUN_MOUNTINFO_H

#include <stddef.h>
#include "error.h"

struct mountinfo_entry
{
  char *root;       /* unescaped: the path of the mount's root in its filesystem */
  char *mountpoint; /* unescaped */
  char *fstype;
  char *super_opts;
};

/* All entries, owned by the caller (libcrun_mountinfo_free). */
int libcrun_read_mountinfo (struct mountinfo_entry **out, size_t *n_out, libcrun_error_t *err);
void libcrun_mountinfo_free (struct mountinfo_entry *v, size_t n);

#endif
