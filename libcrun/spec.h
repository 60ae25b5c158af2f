/* The default config.json written by `crun spec`, equivalent to crun's:
 * busybox-friendly `sh` process with a terminal, the default capability set,
 * RLIMIT_NOFILE 1024, the usual namespaces and mounts, masked and read-only
 * paths.  With rootless, a user namespace with mappings for the caller and no
 * network namespace, as crun does. */
#ifndef LIBCRUN_SPEC_H
#define LIBCRUN_SPEC_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

LIBCRUN_PUBLIC int libcrun_default_spec (bool rootless, uid_t uid, gid_t gid, char **json_out,
                                         libcrun_error_t *err);

#endif
