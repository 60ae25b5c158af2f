/* Creation of the container's init process: namespaces, id mappings, and
 * the child side that prepares the container and waits for `start`.
 *
 * Parent and child talk over a SOCK_SEQPACKET socketpair:
 *   parent -> child  SYNC_MAPPED   id maps written, go on
 *   child  -> parent SYNC_PTY      (followed by the pty master, SCM_RIGHTS)
 *   child  -> parent SYNC_HOOKS    mounts done, before pivot_root: the parent
 *                                  runs prestart and createRuntime hooks
 *   parent -> child  SYNC_CONTINUE followed by the state JSON for the
 *                                  createContainer and startContainer hooks
 *   child  -> parent SYNC_READY    set up; now blocked on exec.fifo
 *   child  -> parent SYNC_ERROR    followed by the message; child exits 1
 * so that every failure inside the child comes back as one error message of
 * `create`.  Until SYNC_READY the child dies with its parent (PDEATHSIG). */
#ifndef LIBCRUN_LINUX_H
#define LIBCRUN_LINUX_H

#include <stdbool.h>
#include <sys/types.h>
#include "config.h"
#include "error.h"
#include "cgroup.h"
#include "hooks.h"
#include "seccomp.h"
#include "utils.h"

struct libcrun_init_options
{
  const struct oci_config *config;
  const char *config_json;   /* the text config was parsed from: the init parses it again */
  const char *config_origin; /* its file */
  const char *rootfs;        /* absolute */
  const char *bundle;        /* absolute */
  const char *id;
  const char *exec_fifo;  /* absolute path: the init blocks reading it */
  const char *start_fifo; /* absolute path: the init reports startContainer there */
  int exec_pipe;          /* instead of exec_fifo when that is NULL: its read end */
  int start_pipe;         /* instead of start_fifo when that is NULL: its write end */
  const char *console_socket;
  /* The state directory's lock fd: the init closes its copy first thing,
   * before a seccomp profile could refuse close(), so that no container
   * process can hold the lock once the runtime is gone (-1: none). */
  int state_lock_fd;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;                              /* fds 3 .. 3+preserve_fds-1 are passed on */
  int listen_fds;                                /* of those, how many came through LISTEN_FDS */
  const struct fd_holes *preserve_holes;         /* of those, the ones the caller had closed */
  const struct libcrun_seccomp_program *seccomp; /* NULL: none */
  const struct libcrun_hook_options *hooks;
  /* The container's cgroup (NULL: no cgroup manager): the init is moved
   * there, with linux.resources applied, before it does anything else. */
  const struct libcrun_cgroup *cgroup;
  /* With the systemd manager: the scope unit to create for the init; the
   * scope's cgroup is returned in *systemd_cgroup (owned by the caller). */
  const char *systemd_slice;
  const char *systemd_unit;
  struct libcrun_cgroup **systemd_cgroup;
  /* Called in the runtime when the init's mounts are done and it waits
   * before pivot_root: runs prestart and createRuntime hooks. */
  int (*before_pivot) (void *arg, pid_t pid, libcrun_error_t *err);
  void *before_pivot_arg;
};

struct libcrun_init_handle
{
  pid_t pid;
  int pidfd;           /* -1 when the kernel has no CLONE_PIDFD */
  int terminal_master; /* -1 unless process.terminal without console socket */
  int sync;            /* the init's socket until libcrun_linux_commit_init */
};

/* Create the init process and wait until it is ready (blocked on the fifo)
 * or failed.  On failure the child is killed and collected.  A ready init
 * still dies with its creator: it waits for libcrun_linux_commit_init,
 * and the end of its socket (the creator gone) makes it exit. */
int libcrun_linux_spawn_init (const struct libcrun_init_options *o, struct libcrun_init_handle *h,
                              libcrun_error_t *err);

/* The init helper's work (libcrun_helper_main): the options written by
 * the runtime into options_fd, then the set-up up to the container's
 * program.  Does not return. */
void libcrun_linux_init_helper (int options_fd, int sync) __attribute__ ((noreturn));
/* The same for the process of libcrun_container_exec (exec.c). */
void libcrun_exec_helper (int options_fd, int sock) __attribute__ ((noreturn));

/* The last steps of a container process before execve, shared by the init
 * and `exec`, in the calling process: oom_score_adj, rlimits, cwd, lookup of
 * args[0] in the process' PATH (*exe_out), seccomp (before dropping
 * capabilities unless no_new_privileges), user, capabilities,
 * no_new_privs.  A filter with SCMP_ACT_NOTIFY rules gets a listener: its
 * fd goes to *listener_fd when that is not NULL (else it is closed, and the
 * notifying syscalls fail with ENOSYS). */
int libcrun_linux_prepare_process (const struct oci_process *proc,
                                   const struct libcrun_seccomp_program *seccomp, char **exe_out,
                                   int *listener_fd, libcrun_error_t *err);

/* In a child of the runtime: send `tag` followed by the error message on
 * fd (a sync socket or fifo) and _exit(1). */
void libcrun_report_error_and_exit (int fd, char tag, libcrun_error_t *err)
    __attribute__ ((noreturn));

/* Join the pid and time namespaces the config names by path, for the
 * children of the calling thread only; saved[] (both -1 on entry) gets
 * what they were, for restore, which must follow whatever happened. */
int libcrun_linux_enter_parent_namespaces (const struct oci_config *config, int saved[2],
                                           libcrun_error_t *err);
void libcrun_linux_restore_parent_namespaces (int saved[2]);

/* linux.personality, when the config has one: kept across execve, and
 * inherited, so the init sets it for the container's program and the
 * process of `exec` for its own. */
int libcrun_apply_personality (const struct oci_linux *l, libcrun_error_t *err);

/* Tell a ready init that its container is on disk: from now on it outlives
 * the runtime (podman's `create` exits here).  Closes h->sync. */
int libcrun_linux_commit_init (struct libcrun_init_handle *h, libcrun_error_t *err);

/* Kill (SIGKILL) and collect a init that is still our child. */
void libcrun_linux_kill_init (struct libcrun_init_handle *h);

/* Write the id mappings m into /proc/PID/FILE (uid_map or gid_map) as
 * "containerID hostID size" lines, directly (no setuid helper). */
int libcrun_write_id_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                          libcrun_error_t *err);

#endif
