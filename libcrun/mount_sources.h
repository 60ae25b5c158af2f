/* Bind sources opened by the runtime and passed to the init as detached
 * mounts: for a new user namespace, idmapped mounts and per-mount slave or
 * shared propagation (see mount_sources.c). */
#ifndef LIBCRUN_MOUNT_SOURCES_H
#define LIBCRUN_MOUNT_SOURCES_H

#include <stdbool.h>
#include <sys/types.h>
#include "config.h"
#include "error.h"

/* Whether config.mounts[i] is passed as a detached mount (`userns`: the
 * container gets a new user namespace).  The runtime and the init decide
 * alike from the same config. */
bool libcrun_mount_source_is_preopened (const struct oci_config *c, size_t i, bool userns);

/* Runtime side: open each such source (relative ones from `bundle`) with
 * its propagation and idmapping (the container's user namespace is that of
 * `init_pid`), and send them in order over `sock`.  Errors name the mount. */
int libcrun_send_mount_sources (int sock, const struct oci_config *c, const char *bundle,
                                pid_t init_pid, bool userns, libcrun_error_t *err);

/* Init side: receive them into *fds_out (config.n_mounts entries, -1 where
 * none); libcrun_close_mount_sources releases the array. */
int libcrun_recv_mount_sources (int sock, const struct oci_config *c, bool userns, int **fds_out,
                                libcrun_error_t *err);
void libcrun_close_mount_sources (int *fds, size_t n);

#endif
