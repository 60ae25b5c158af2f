/* Seccomp: the OCI linux.seccomp section compiled with libseccomp.
 *
 * The filter is compiled by the runtime before the container process is
 * created, so that a bad profile is an error of `create` naming the syscall
 * or field, and exported as a BPF program; the container's init then only
 * has to load those bytes (libcrun_seccomp_load) right before execve. */
#ifndef LIBCRUN_SECCOMP_H
#define LIBCRUN_SECCOMP_H

#include <stddef.h>
#include "config.h"
#include "error.h"

struct libcrun_seccomp_program
{
  void *bpf;          /* struct sock_filter[] */
  size_t len;         /* bytes */
  unsigned int flags; /* SECCOMP_FILTER_FLAG_* from linux.seccomp.flags */
  bool notify;        /* the profile uses SCMP_ACT_NOTIFY */
};

/* Compile.  Unknown syscall names are skipped with a warning through the log
 * handler (as crun does); unknown actions, operators, architectures or flags
 * are errors naming the field. */
int libcrun_seccomp_compile (const struct oci_seccomp *s, struct libcrun_seccomp_program *out,
                             libcrun_error_t *err);

/* Load the compiled program in the calling process (needs no_new_privs or
 * CAP_SYS_ADMIN).  With notify, *listener_fd receives the notification fd. */
int libcrun_seccomp_load (const struct libcrun_seccomp_program *prog, int *listener_fd,
                          libcrun_error_t *err);

void libcrun_seccomp_program_free (struct libcrun_seccomp_program *prog);

/* The i-th seccomp flag the parser knows (NULL past the last), and whether
 * the running kernel supports it (`features`). */
const char *libcrun_seccomp_flag_name (size_t i, bool *supported);

#endif
