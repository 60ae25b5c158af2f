/* `exec`: run a new process in a running container.
 *
 * The runtime spawns a short-lived helper that joins the container's
 * namespaces with setns() on the init's pidfd and enters its root; joining a
 * pid namespace only affects children, so the helper creates the process
 * with clone3(CLONE_PARENT | CLONE_PIDFD): the process becomes the runtime's
 * own child, inside the container's pid namespace, and the helper hands its
 * pidfd back and exits.  The helper goes through the spawner in normal mode,
 * never autoreap: an autoreap process may not clone with CLONE_PARENT.  The
 * exec'd process itself is never autoreaped: its exit status is `exec`'s. */
#ifndef LIBCRUN_EXEC_H
#define LIBCRUN_EXEC_H

#include <stdbool.h>
#include "config.h"
#include "container.h"
#include "error.h"

struct libcrun_exec_options
{
  const char *state_root;
  const char *id;
  const char *process_file; /* --process: a JSON process object */
  char **args;              /* COMMAND [ARG...] when no --process */
  int tty;                  /* -1: as the process says (default false); 0/1: -t */
  const char *console_socket;
  const char *cwd;
  const char *user; /* "UID[:GID]" */
  char **env;       /* extra KEY=VALUE, overriding */
  char **caps;      /* extra capabilities, added to every set */
  bool no_new_privs;
  int preserve_fds;
  const char *pid_file;
  const char *cgroup; /* sub-cgroup of the container to join (v2) */
  const char *apparmor;
  const char *process_label;
};

/* Start the process; h receives its pid, pidfd and terminal master (when a
 * tty without console socket).  The caller waits for it through h->pidfd
 * (waitid with __WALL: it may have exit signal 0). */
LIBCRUN_PUBLIC int libcrun_container_exec (const struct libcrun_exec_options *o,
                                           struct libcrun_container_handle *h,
                                           libcrun_error_t *err);

#endif
