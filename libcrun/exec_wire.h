/* What the runtime hands to the helper of libcrun_container_exec across
 * its execve (helper_exec.h): the texts and options the process is built
 * from (the helper builds it again with the same code, from the same
 * input), the compiled seccomp filter, and the numbers of the fds it
 * inherits. */
#ifndef LIBCRUN_EXEC_WIRE_H
#define LIBCRUN_EXEC_WIRE_H

#include <stdbool.h>
#include "error.h"
#include "seccomp.h"
#include "utils.h"

struct libcrun_exec_wire
{
  char *config_json, *config_origin;   /* the state's config.json */
  char *process_json, *process_origin; /* --process, NULL: none */
  /* the options of libcrun_exec_options that shape the process */
  char **args, **env, **caps;
  int tty;
  char *cwd, *user, *apparmor, *process_label;
  bool no_new_privs;
  int preserve_fds;
  struct fd_holes holes;
  int sock, console, init_pidfd, root_fd;
  int ns_flags; /* the namespaces the helper joins itself */
  bool has_seccomp;
  struct libcrun_seccomp_program seccomp;
};

int libcrun_exec_wire_write (const struct libcrun_exec_wire *w, int *fd, libcrun_error_t *err);
int libcrun_exec_wire_read (int fd, struct libcrun_exec_wire *w, libcrun_error_t *err);

#endif
