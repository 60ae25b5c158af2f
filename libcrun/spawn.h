/* The spawner: every process the runtime starts for its own purposes goes
 * through here, with one handle type and one result type whatever the
 * kernel offers.
 *
 * Every child is created with exit signal 0, so the runtime is never sent
 * SIGCHLD for it and an embedding program's waitpid(-1) (without __WALL)
 * cannot see it.  Rungs, best first; what the kernel refuses is learnt on
 * the way down and cached for the process (a spawn in normal mode, which
 * starts at the second rung, never concludes that the first is missing):
 *   LIBCRUN_RUNG_AUTOREAP  clone3(CLONE_AUTOREAP|CLONE_PIDFD): the kernel
 *                          reaps; poll the pidfd, exit status by
 *                          PIDFD_GET_INFO; nothing ever waits.  POLLIN
 *                          means exited, not released: when the status is
 *                          not there yet (no EXIT bit, or ESRCH from a
 *                          kernel racing with the release on another CPU)
 *                          the wait goes on until POLLHUP and asks again
 *                          Where the kernel takes CLONE_PIDFD_AUTOKILL
 *                          (our patched 6.1, Linux 7.1) it is added: the
 *                          child dies with our pidfd, so a runtime that is
 *                          SIGKILLed leaves no hook running (the hook's own
 *                          children, e.g. a daemon it started, live on)
 *   LIBCRUN_RUNG_CLONE3    the kernel refuses the flag (EINVAL):
 *                          clone3(CLONE_PIDFD), waitid(P_PIDFD, __WALL)
 *   LIBCRUN_RUNG_CLONE     clone3 hidden (ENOSYS/EPERM: an outer seccomp
 *                          filter): legacy clone(CLONE_PIDFD), same waitid
 *   LIBCRUN_RUNG_PID       no pidfd (< 5.2): legacy clone, waitpid(pid,
 *                          __WALL) on that one pid
 * Autoreap mode starts at the first rung, normal mode at the second.
 *
 * execve() resets a process' exit signal to SIGCHLD (seen on 6.18).  So on
 * every rung but the first, a program is not started directly: the spawner
 * starts a small waiter (exit signal 0, never execs) which forks the program
 * as its own child, holds it unreaped (waitid WNOWAIT) so its pid stays
 * valid for kill(), and reports its wait status over a socket.  The SIGCHLD
 * of the program goes to the waiter, never to the runtime.  Callbacks do not
 * exec and run directly.
 *
 * In no mode does the spawner install a signal handler, change a signal
 * mask or disposition of the calling process, or wait for "any child".
 * (Children reset their own mask and dispositions.)  A child's stdin
 * (stdin_data: a hook's state) is a sealed memfd holding the whole text:
 * /dev/stdin can be opened on it, as on the pipe crun and runc give (not on
 * a socket), any size fits at once, and since nothing is written once the
 * child runs, a child that never reads, closes its stdin or exits at once
 * can neither block the runtime nor raise SIGPIPE in it.  Where memfds are
 * missing (before 3.17, or refused by a container's seccomp filter for a
 * startContainer hook) it falls back to a socket written with MSG_NOSIGNAL
 * while the child runs.
 *
 * Callers and their mode:
 *   hooks.c     OCI hooks, all six stages      autoreap when run.oci.autoreap
 *   linux.c     newuidmap/newgidmap helpers    autoreap when run.oci.autoreap
 *   exec.c      the setns helper of `exec`     always normal: it clones with
 *                                              CLONE_PARENT, which an
 *                                              autoreap process may not
 *   never       the container's init and `exec` processes: their exit status
 *               belongs to whoever waits for them (crun run, conmon).
 */
#ifndef LIBCRUN_SPAWN_H
#define LIBCRUN_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

enum libcrun_spawn_rung
{
  LIBCRUN_RUNG_AUTOREAP = 1,
  LIBCRUN_RUNG_CLONE3 = 2,
  LIBCRUN_RUNG_CLONE = 3,
  LIBCRUN_RUNG_PID = 4,
};

/* Value of stdout_fd/stderr_fd meaning "/dev/null". */
#define LIBCRUN_SPAWN_DEVNULL (-2)

struct libcrun_spawn_options
{
  const char *path;       /* program to execve; NULL with callback */
  char *const *argv;      /* NULL: { path, NULL } */
  char *const *envp;      /* NULL: the caller's environ */
  const char *cwd;        /* NULL: unchanged */
  const void *stdin_data; /* written on the child's stdin, then EOF; NULL: /dev/null */
  size_t stdin_len;
  int stdout_fd; /* -1: inherit; LIBCRUN_SPAWN_DEVNULL; or an fd */
  int stderr_fd;
  bool stdin_inherit; /* without stdin_data: keep the caller's stdin, not /dev/null */
  bool new_pgroup;    /* child leads its own process group (kill reaches its children) */
  bool autoreap;      /* autoreap mode: start at the first rung */
  /* Instead of execve, run callback(arg) in the child and _exit with its
   * return value.  Only async-signal-safe work belongs there when the caller
   * may be multithreaded. */
  int (*callback) (void *arg);
  void *callback_arg;
};

struct libcrun_process
{
  pid_t pid;     /* the program (or callback child) */
  int pidfd;     /* what we wait on: the child, or its waiter; -1 on LIBCRUN_RUNG_PID */
  pid_t waiter;  /* the waiter's pid, 0 when the child is ours directly */
  int status_fd; /* waiter -> runtime: the program's wait status; -1 without waiter */
  enum libcrun_spawn_rung rung;
  bool new_pgroup;
  bool autokill;  /* CLONE_PIDFD_AUTOKILL: the kernel kills it when our pidfd goes */
  bool done;      /* exited and collected: nothing left to wait for */
  bool await_hup; /* autoreap rung: asked once at POLLIN, waiting for POLLHUP */
  int status;     /* wait status once done */
  /* stdin still to write (the child may read it slowly or never) */
  int stdin_fd;
  const char *stdin_data;
  size_t stdin_left;
};

enum libcrun_wait_kind
{
  LIBCRUN_WAIT_EXITED,
  LIBCRUN_WAIT_SIGNALED,
  LIBCRUN_WAIT_TIMEOUT,
};

struct libcrun_wait_result
{
  enum libcrun_wait_kind kind;
  int code; /* exit code, or signal number */
};

/* Start a child.  On success *p must be given to libcrun_process_release. */
int libcrun_spawn (const struct libcrun_spawn_options *o, struct libcrun_process *p,
                   libcrun_error_t *err);

/* Wait up to timeout_ms (negative: forever) for the child to exit, feeding
 * its stdin meanwhile.  TIMEOUT leaves the child running.  A long long, so
 * that a hook timeout of up to INT_MAX seconds fits in milliseconds. */
int libcrun_process_wait (struct libcrun_process *p, long long timeout_ms,
                          struct libcrun_wait_result *r, libcrun_error_t *err);

/* Send sig to the child (to its whole process group when it leads one). */
int libcrun_process_kill (struct libcrun_process *p, int sig, libcrun_error_t *err);

/* Close the handle; a child still running is killed and collected first,
 * never leaked. */
void libcrun_process_release (struct libcrun_process *p);

/* The rung that a spawn in autoreap mode uses on this kernel (probing once
 * if needed), and its name ("clone3-autoreap", ...). */
enum libcrun_spawn_rung libcrun_spawn_best_rung (void);

/* Whether autoreap-rung children get CLONE_PIDFD_AUTOKILL here: 0 yes, -1
 * not known yet (no autoreap spawn so far), else the errno the kernel
 * refused it with (EINVAL: it lacks the flag; EPERM: the caller lacks
 * CAP_SYS_ADMIN). */
int libcrun_spawn_autokill_refusal (void);
const char *libcrun_spawn_rung_name (enum libcrun_spawn_rung rung);

/* What the spawner has learnt of the kernel (the ladder's cache and the
 * autokill answer), and the same taught to a process that starts with
 * nothing known: the runtime's helper, whose startContainer hooks run
 * under the container's seccomp filter, where a probe would see what the
 * filter refuses instead of what the kernel can do. */
void libcrun_spawn_facts (int *best_rung, int *autokill);
void libcrun_spawn_learn (int best_rung, int autokill);

/* Test-only: pretend the kernel refuses every rung above `rung` (0 turns
 * the pretence off).  Not for production callers. */
void libcrun_spawn_test_limit_rung (enum libcrun_spawn_rung rung);

/* Test-only fault injection: the next `times` PIDFD_GET_INFO calls of the
 * autoreap rung answer ESRCH, as a kernel does when the child is released
 * on another CPU during the call.  Not for production callers. */
void libcrun_spawn_test_fail_pidfd_info (int times);

#endif
