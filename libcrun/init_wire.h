/* What the runtime hands to the init helper (helper_main.c) across its
 * execve: the options of libcrun_linux_spawn_init the init uses, and the
 * numbers of the fds it inherits.  The runtime writes it into a sealed
 * memfd before clone3, so that the init, between clone3 and its execve,
 * only clears FD_CLOEXEC and calls execveat; the helper reads it back in
 * a fresh process image, where malloc is safe again. */
#ifndef LIBCRUN_INIT_WIRE_H
#define LIBCRUN_INIT_WIRE_H

#include <stdbool.h>
#include "error.h"
#include "hooks.h"
#include "seccomp.h"
#include "utils.h"

struct libcrun_init_wire
{
  char *config_json;   /* the text the runtime parsed */
  char *config_origin; /* its file, for error messages */
  char *rootfs, *bundle, *console_socket;
  int sync;                       /* the init's socket to the runtime */
  int log_level;                  /* the most verbose level the runtime logs; -1: none */
  int spawn_rung, spawn_autokill; /* libcrun_spawn_facts of the runtime */
  int preserve_fds, listen_fds;
  bool no_pivot, no_new_keyring, new_mntns, new_userns;
  struct fd_holes holes;
  struct libcrun_hook_options hooks;
  bool has_seccomp;
  struct libcrun_seccomp_program seccomp;
  int exec_fifo, start_fifo, console; /* the preopened fds, -1: none */
};

/* Into a new sealed memfd (*fd, close-on-exec). */
int libcrun_init_wire_write (const struct libcrun_init_wire *w, int *fd, libcrun_error_t *err);

/* From fd (read whole, from offset 0); w's strings and arrays are the
 * caller's to release with libcrun_init_wire_release. */
int libcrun_init_wire_read (int fd, struct libcrun_init_wire *w, libcrun_error_t *err);
void libcrun_init_wire_release (struct libcrun_init_wire *w);

#endif
