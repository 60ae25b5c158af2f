/* How the container's init leaves the runtime's process image: right
 * after clone3 it execs the init helper (helper_main.c), a sealed memfd
 * copy of the program set with libcrun_set_helper, which reads its
 * options (init_wire.h) and does the set-up in a fresh image.  Between
 * clone3 and that execve the init makes system calls only: no malloc and
 * no lock, which another thread of the embedding process may have held at
 * the clone (the copy would wait for it forever).  The sealed copy is what
 * the init runs while it is in the container's namespaces: a container
 * process that reaches its /proc/PID/exe (CVE-2019-5736) finds a file
 * nobody can write. */
#ifndef LIBCRUN_INIT_EXEC_H
#define LIBCRUN_INIT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include "error.h"
#include "init_wire.h"

struct libcrun_init_exec
{
  int image;   /* the helper's sealed copy */
  int options; /* the init_wire memfd */
  int sync;
  int state_lock_fd; /* closed first thing; -1: none */
  bool new_userns;   /* become root of it before the execve */
  int *keep;         /* FD_CLOEXEC cleared on these before the execve */
  size_t n_keep;
  char options_arg[16], sync_arg[16];
  char *argv[5];
};

/* In the runtime, before clone3: the helper's image, w into its memfd,
 * the fds to pass (w's own, and the preserved range). */
int libcrun_init_exec_prepare (struct libcrun_init_exec *x, const struct libcrun_init_wire *w,
                               int state_lock_fd, libcrun_error_t *err);
void libcrun_init_exec_release (struct libcrun_init_exec *x);

/* In the init, right after clone3: wait until the runtime has written the
 * id mappings (one SYNC_MAPPED byte on sync), then execveat the helper.
 * Async-signal-safe; a failure is reported on sync with `error_tag`. */
void libcrun_init_exec_child (const struct libcrun_init_exec *x, char mapped_tag, char error_tag)
    __attribute__ ((noreturn));

#endif
