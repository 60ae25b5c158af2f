/* Container lifecycle, the library's entry points for the crun commands.
 * Every function follows the error convention of error.h. */
#ifndef LIBCRUN_CONTAINER_H
#define LIBCRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>
#include "error.h"
#include "state.h"

struct libcrun_create_options
{
  const char *state_root; /* --root */
  const char *id;
  const char *bundle;      /* NULL: the current directory */
  const char *config_file; /* NULL: <bundle>/config.json */
  const char *console_socket;
  const char *pid_file;
  int preserve_fds; /* --preserve-fds */
  int listen_fds;   /* LISTEN_FDS of the caller: also preserved */
  bool no_pivot;
  bool no_new_keyring;
  bool detach;           /* remembered in the state (run --detach / create) */
  bool cgroups_disabled; /* --cgroup-manager=disabled: stay in the caller's cgroup */
  bool systemd_cgroup;   /* --cgroup-manager=systemd: a transient scope unit */
  /* `run`: the caller starts the container itself, at once, with
   * libcrun_container_start_handle.  The start channel is then a pair of
   * pipes held in the handle instead of two fifos in the state directory
   * (which `start` from another process needs): two fewer files, and a
   * runtime that dies before starting takes the init with it. */
  bool start_in_handle;
};

/* The init of a container created by this process, for a foreground run. */
struct libcrun_container_handle
{
  pid_t pid;
  int pidfd;           /* -1 when the kernel has none */
  int terminal_master; /* -1 unless a terminal without console socket */
  int start_fd;        /* start_in_handle: releases the init; else -1 */
  int report_fd;       /* start_in_handle: its startContainer report; else -1 */
};

#define LIBCRUN_CONTAINER_HANDLE_INIT                                                              \
  {                                                                                                \
    0, -1, -1, -1, -1                                                                              \
  }

/* `create`: set the container up and leave its init waiting for `start`.
 * On any failure nothing is left behind: no state directory, no process.
 * With h != NULL the caller takes the init's handle (run in the
 * foreground); otherwise it is closed. */
LIBCRUN_PUBLIC int libcrun_container_create (const struct libcrun_create_options *o,
                                             struct libcrun_container_handle *h,
                                             libcrun_error_t *err);

/* Write pid to path (--pid-file), atomically: a reader never sees a
 * partial number. */
LIBCRUN_PUBLIC int libcrun_write_pid_file (const char *path, pid_t pid, libcrun_error_t *err);

/* `start`: release the init of a created container into its program. */
LIBCRUN_PUBLIC int libcrun_container_start (const char *root, const char *id, libcrun_error_t *err);
/* The same for a container this process created with start_in_handle;
 * closes h->start_fd and h->report_fd. */
LIBCRUN_PUBLIC int libcrun_container_start_handle (const char *root, const char *id,
                                                   struct libcrun_container_handle *h,
                                                   libcrun_error_t *err);

/* `kill`: send sig to the init (all: to every process of the container). */
LIBCRUN_PUBLIC int libcrun_container_kill (const char *root, const char *id, int sig, bool all,
                                           libcrun_error_t *err);

/* `delete`: remove a stopped (or created) container; force kills a running
 * one first and waits for it. */
LIBCRUN_PUBLIC int libcrun_container_delete (const char *root, const char *id, bool force,
                                             libcrun_error_t *err);

/* Read a container's state and status ("created", "running", ...). */
LIBCRUN_PUBLIC int libcrun_container_read_state (const char *root, const char *id,
                                                 struct libcrun_state *st, const char **status,
                                                 libcrun_error_t *err);

/* `state`: the OCI state JSON document. */
LIBCRUN_PUBLIC int libcrun_container_state_json (const char *root, const char *id, char **json,
                                                 libcrun_error_t *err);

/* `ps`: pids of every process of the container (its cgroup). */
LIBCRUN_PUBLIC int libcrun_container_pids (const char *root, const char *id, pid_t **pids,
                                           size_t *n, libcrun_error_t *err);

/* `pause` (freeze true) / `resume` (false), through the freezer. */
LIBCRUN_PUBLIC int libcrun_container_pause (const char *root, const char *id, bool freeze,
                                            libcrun_error_t *err);

/* `update`: apply a linux.resources JSON object to the container's cgroup. */
LIBCRUN_PUBLIC int libcrun_container_update (const char *root, const char *id,
                                             const char *resources_json, libcrun_error_t *err);

/* "TERM", "SIGTERM", "15" -> SIGTERM. */
LIBCRUN_PUBLIC int libcrun_parse_signal (const char *s, int *sig, libcrun_error_t *err);

/* Put a terminal (a foreground run's or exec's master) in raw mode,
 * saving the previous settings in *saved. */
LIBCRUN_PUBLIC int libcrun_terminal_make_raw (int fd, struct termios *saved, libcrun_error_t *err);

#endif
