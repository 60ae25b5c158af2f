/* process.scheduler, process.ioPriority and linux.memoryPolicy, applied to
 * the calling process (the init or an exec'd process before execve). */
#ifndef LIBCRUN_PROCESS_ATTRS_H
#define LIBCRUN_PROCESS_ATTRS_H

#include "config.h"
#include "error.h"

int libcrun_apply_scheduler (const struct oci_process *proc, libcrun_error_t *err);
int libcrun_apply_io_priority (const struct oci_process *proc, libcrun_error_t *err);
int libcrun_apply_memory_policy (const struct oci_linux *l, libcrun_error_t *err);

#endif
