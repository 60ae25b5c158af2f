/* crun's run.oci.* annotations: the refused ones and the pidfd receiver. */
#ifndef LIBCRUN_ANNOTATIONS_H
#define LIBCRUN_ANNOTATIONS_H

#include <sys/types.h>
#include "config.h"
#include "error.h"

/* Refuse the annotations this runtime cannot honour (handlers, seccomp
 * plugins, ...), each with its reason; warn about ignored ones. */
int libcrun_check_annotations (const struct oci_config *c, libcrun_error_t *err);

/* run.oci.pidfd_receiver=PATH: send a pidfd of the container's process
 * `pid` (pidfd, or one opened when -1) to the unix socket PATH. */
int libcrun_send_pidfd_receiver (const struct oci_config *c, pid_t pid, int pidfd,
                                 libcrun_error_t *err);

#endif
