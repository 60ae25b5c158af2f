/* Process security set-up of the container's init (and later of `exec`'d
 * processes): rlimits, user and groups, capabilities (libcap),
 * no_new_privileges, oom_score_adj.  Called in the child, in this order:
 *
 *   libcrun_apply_rlimits      (still privileged: raising needs CAP_SYS_RESOURCE)
 *   libcrun_apply_oom_score_adj (not in the child: by the runtime for the
 *                              init, by the exec helper before setns)
 *   libcrun_set_user           (keeps capabilities across the uid change)
 *   libcrun_apply_capabilities (bounding, then the other four sets)
 *   libcrun_apply_no_new_privs
 *
 * Errors name the field (`process.rlimits[1]` RLIMIT_NOFILE...) and reason. */
#ifndef LIBCRUN_SECURITY_H
#define LIBCRUN_SECURITY_H

#include "config.h"
#include "error.h"

int libcrun_apply_rlimits (const struct oci_process *p, libcrun_error_t *err);
/* pid 0: the calling process. */
int libcrun_apply_oom_score_adj (pid_t pid, const struct oci_process *p, libcrun_error_t *err);
int libcrun_set_user (const struct oci_process *p, libcrun_error_t *err);
int libcrun_apply_capabilities (const struct oci_process *p, libcrun_error_t *err);
int libcrun_apply_no_new_privs (const struct oci_process *p, libcrun_error_t *err);

/* Check capability names before the container is created, so that a typo is
 * reported by `create` with the field path and not by the child. */
int libcrun_validate_capabilities (const struct oci_capabilities *caps, libcrun_error_t *err);

/* LSM labels: neither AppArmor profiles nor SELinux labels are applied by
 * this runtime, so asking for one is refused, saying whether the kernel
 * has that LSM at all (rather than running the process unconfined).
 * apparmor_what/label_what name the field or option in the message. */
int libcrun_refuse_lsm_labels (const char *apparmor, const char *apparmor_what, const char *label,
                               const char *label_what, libcrun_error_t *err);

/* Map "RLIMIT_NOFILE" to RLIMIT_NOFILE; -1 if unknown. */
int libcrun_rlimit_from_name (const char *name);

/* env (copied) with HOME=<uid's home in the container's /etc/passwd, or
 * "/"> added when it has no HOME, as crun does for run and exec.  Call in
 * the container's root. */
char **libcrun_env_with_home (char *const *env, uid_t uid);

#endif
