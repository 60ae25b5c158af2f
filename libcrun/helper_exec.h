/* How a container's init, and the process of libcrun_container_exec,
 * leave the runtime's process image: right after their clone they exec
 * the helper (init_helper.h), a sealed memfd copy of the program set with
 * libcrun_set_helper, which reads its options from a memfd (wire.h) and
 * does the set-up in a fresh image.  Between the clone and that execve
 * they make system calls only: no malloc and no lock, which another
 * thread of the embedding process may have held at the clone (the copy
 * would wait for it forever).  The sealed copy is what runs while the
 * process is in the container's namespaces: a container process that
 * reaches its /proc/PID/exe (CVE-2019-5736) finds a file nobody can
 * write. */
#ifndef LIBCRUN_HELPER_EXEC_H
#define LIBCRUN_HELPER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"

struct libcrun_helper_exec
{
  int image;             /* the helper's sealed copy */
  int options;           /* the wire memfd */
  int sync;              /* the socket to the runtime */
  int close_first;       /* the state lock: closed before anything; -1: none */
  bool die_with_runtime; /* PR_SET_PDEATHSIG SIGKILL first (the init) */
  /* v1 `tasks` files the child joins by writing "0", first thing (see
   * libcrun_cgroup_open_join); -1 terminated, the caller's; NULL: none */
  const int *join_tasks;
  bool become_root; /* of the user namespace the process is in */
  int *keep;        /* FD_CLOEXEC cleared on these before the execve */
  size_t n_keep;
  char options_arg[16], sync_arg[16];
  char *argv[6];
};

#define LIBCRUN_HELPER_EXEC_INIT                                                                   \
  {                                                                                                \
    .image = -1, .options = -1, .sync = -1, .close_first = -1                                      \
  }

/* In the runtime, before the clone: the helper's image for `mode` ("init"
 * or "exec"), which gets options (a wire memfd, now x's), sync, the n fds
 * of `pass` (-1 ones skipped) and the whole preserved range 3 ..
 * 3+preserve_fds-1. */
int libcrun_helper_exec_prepare (struct libcrun_helper_exec *x, const char *mode, int options,
                                 int sync, const int *pass, size_t n, int preserve_fds,
                                 libcrun_error_t *err);
void libcrun_helper_exec_release (struct libcrun_helper_exec *x);

/* In the child, right after the clone: into the v1 cgroups; with
 * wait_tag, wait for that one-byte message on sync (the init: its id
 * mappings written); then execveat the helper.  Async-signal-safe; a failure is reported on
 * sync after error_tag. */
void libcrun_helper_exec_child (const struct libcrun_helper_exec *x, char wait_tag, char error_tag)
    __attribute__ ((noreturn));

/* Report `what: <errno's description>` on sync after tag and _exit(1),
 * async-signal-safe. */
void libcrun_child_fail (int sync, char tag, const char *what, int e) __attribute__ ((noreturn));

#endif
