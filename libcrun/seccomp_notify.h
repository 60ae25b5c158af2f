/* Handing the seccomp notify fd to the agent at listenerPath. */
#ifndef LIBCRUN_SECCOMP_NOTIFY_H
#define LIBCRUN_SECCOMP_NOTIFY_H

#include <sys/types.h>
#include "config.h"
#include "error.h"

/* linux.seccomp.listenerPath, else crun's run.oci.seccomp.receiver
 * annotation, else NULL. */
const char *libcrun_seccomp_listener_path (const struct oci_config *c);

/* Connect to the listener path and send the container process state of
 * the init `pid` (status creating) with `listener_fd`.  Errors name the
 * path. */
int libcrun_seccomp_send_listener (const struct oci_config *c, const char *id, const char *bundle,
                                   pid_t pid, int listener_fd, libcrun_error_t *err);

#endif
