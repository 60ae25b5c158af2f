#include "spawn.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Best rung the kernel gave so far (0: not probed yet), and the test limit.
 * Read and written atomically: an embedding program may spawn from several
 * threads. */
static int best_rung_cache;
static int test_rung_limit;

const char *
libcrun_spawn_rung_name (enum libcrun_spawn_rung rung)
{
  switch (rung)
    {
    case LIBCRUN_RUNG_AUTOREAP:
      return "clone3-autoreap";
    case LIBCRUN_RUNG_CLONE3:
      return "clone3-pidfd";
    case LIBCRUN_RUNG_FORK:
      return "fork-pidfd_open";
    case LIBCRUN_RUNG_PID:
      return "fork-waitpid";
    }
  return "unknown";
}

void
libcrun_spawn_test_limit_rung (enum libcrun_spawn_rung rung)
{
  __atomic_store_n (&test_rung_limit, (int)rung, __ATOMIC_SEQ_CST);
}

static int
known_best_rung (void)
{
  return __atomic_load_n (&best_rung_cache, __ATOMIC_ACQUIRE);
}

/* Record that the kernel refused `rung`: the next one down is the best. */
static void
demote (int rung)
{
  int cur = known_best_rung ();
  while (cur <= rung)
    if (__atomic_compare_exchange_n (&best_rung_cache, &cur, rung + 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      break;
}

/* What the child does: only async-signal-safe calls, then execve or _exit.
 * Failures before execve go back to the parent as an errno on errpipe. */
struct child_setup
{
  const struct libcrun_spawn_options *o;
  int stdin_fd, stdout_fd, stderr_fd;
  int errpipe;
  char *const *argv;
  char *const *envp;
};

static void __attribute__ ((noreturn)) child_fail_errno (int errpipe, int e)
{
  (void)!write (errpipe, &e, sizeof (e));
  _exit (127);
}

static void __attribute__ ((noreturn)) run_child (const struct child_setup *c)
{
  sigset_t none;

  /* The child's mask is its own: start the program with nothing blocked
   * (the runtime may have blocked signals for its own loop). */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  if (c->o->new_pgroup && setpgid (0, 0) < 0)
    child_fail_errno (c->errpipe, errno);
  if (c->stdin_fd >= 0 && dup2 (c->stdin_fd, 0) < 0)
    child_fail_errno (c->errpipe, errno);
  if (c->stdout_fd >= 0 && dup2 (c->stdout_fd, 1) < 0)
    child_fail_errno (c->errpipe, errno);
  if (c->stderr_fd >= 0 && dup2 (c->stderr_fd, 2) < 0)
    child_fail_errno (c->errpipe, errno);
  if (c->o->cwd && chdir (c->o->cwd) < 0)
    child_fail_errno (c->errpipe, errno);
  if (c->o->callback)
    {
      int r;
      /* Nothing will exec: close the error pipe so that the parent stops
       * waiting for it now and not when the callback returns. */
      close (c->errpipe);
      r = c->o->callback (c->o->callback_arg);
      _exit (r);
    }
  execve (c->o->path, c->argv, c->envp);
  child_fail_errno (c->errpipe, errno);
}

static long
try_clone3 (uint64_t flags, int *pidfd)
{
  struct libcrun_clone_args args;
  memset (&args, 0, sizeof (args));
  args.flags = flags;
  args.pidfd = (uint64_t)(uintptr_t)pidfd;
  args.exit_signal = 0;
  return sys_clone3 (&args, sizeof (args));
}

/* Create the child on the best rung allowed, walking down the ladder when
 * the kernel refuses one.  Returns the pid (0 in the child), or -errno. */
static pid_t
clone_on_ladder (int first_rung, struct libcrun_process *p)
{
  int rung = first_rung, limit = __atomic_load_n (&test_rung_limit, __ATOMIC_SEQ_CST);
  int known = known_best_rung ();

  if (known > rung)
    rung = known;
  if (limit > rung)
    rung = limit;

  for (; rung <= LIBCRUN_RUNG_PID; rung++)
    {
      int pidfd = -1;
      long r;

      if (rung == LIBCRUN_RUNG_AUTOREAP || rung == LIBCRUN_RUNG_CLONE3)
        {
          uint64_t flags = CLONE_PIDFD | (rung == LIBCRUN_RUNG_AUTOREAP ? CLONE_AUTOREAP : 0);
          r = try_clone3 (flags, &pidfd);
          if (r < 0)
            {
              /* EINVAL: this kernel does not know CLONE_AUTOREAP.
               * ENOSYS/EPERM: clone3 hidden by a seccomp filter (or a
               * kernel < 5.3).  Any of them: try the next rung. */
              if (errno == EINVAL || errno == ENOSYS || errno == EPERM)
                {
                  if (rung == LIBCRUN_RUNG_AUTOREAP && errno != EINVAL)
                    demote (LIBCRUN_RUNG_CLONE3);
                  demote (rung);
                  continue;
                }
              return -errno;
            }
          if (r == 0)
            return 0;
          p->pid = (pid_t)r;
          p->pidfd = pidfd;
          p->rung = (enum libcrun_spawn_rung)rung;
          return p->pid;
        }

      r = fork ();
      if (r < 0)
        return -errno;
      if (r == 0)
        return 0;
      p->pid = (pid_t)r;
      p->pidfd = -1;
      p->rung = LIBCRUN_RUNG_PID;
      if (rung == LIBCRUN_RUNG_FORK)
        {
          /* The child cannot exit unnoticed before this: it is not reaped
           * until we wait for it, so the pid cannot be recycled. */
          p->pidfd = sys_pidfd_open (p->pid, 0);
          if (p->pidfd >= 0)
            p->rung = LIBCRUN_RUNG_FORK;
          else
            demote (LIBCRUN_RUNG_FORK);
        }
      return p->pid;
    }
  return -ENOSYS;
}

int
libcrun_spawn (const struct libcrun_spawn_options *o, struct libcrun_process *p,
               libcrun_error_t *err)
{
  cleanup_close int in_parent = -1, in_child = -1, devnull = -1;
  cleanup_close int err_read = -1, err_write = -1;
  char *default_argv[2] = { (char *)o->path, NULL };
  struct child_setup c;
  int sv[2], pipefd[2];
  pid_t pid;
  ssize_t n;
  int child_errno;
  const char *what = o->path ? o->path : "callback";

  memset (p, 0, sizeof (*p));
  p->pidfd = -1;
  p->stdin_fd = -1;

  if (o->path == NULL && o->callback == NULL)
    return libcrun_make_error (err, EINVAL, "spawn: neither a program nor a callback");

  /* Everything the child needs is prepared here, before the clone, so that
   * the child itself only calls async-signal-safe functions. */
  if (o->stdin_data == NULL || o->stdout_fd == LIBCRUN_SPAWN_DEVNULL
      || o->stderr_fd == LIBCRUN_SPAWN_DEVNULL)
    {
      devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull < 0)
        return libcrun_make_error (err, errno, "open `/dev/null`");
    }
  if (o->stdin_data)
    {
      /* A socket, not a pipe: send(MSG_NOSIGNAL) reports a reader that went
       * away as EPIPE without raising SIGPIPE in the runtime. */
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return libcrun_make_error (err, errno, "spawn `%s`: socketpair", what);
      in_parent = sv[0];
      in_child = sv[1];
      shutdown (in_child, SHUT_WR);
    }
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return libcrun_make_error (err, errno, "spawn `%s`: pipe", what);
  err_read = pipefd[0];
  err_write = pipefd[1];

  memset (&c, 0, sizeof (c));
  c.o = o;
  c.stdin_fd = o->stdin_data ? in_child : devnull;
  c.stdout_fd = o->stdout_fd == LIBCRUN_SPAWN_DEVNULL ? devnull : o->stdout_fd;
  c.stderr_fd = o->stderr_fd == LIBCRUN_SPAWN_DEVNULL ? devnull : o->stderr_fd;
  c.errpipe = err_write;
  c.argv = o->argv ? o->argv : default_argv;
  c.envp = o->envp ? o->envp : environ;

  pid = clone_on_ladder (o->autoreap ? LIBCRUN_RUNG_AUTOREAP : LIBCRUN_RUNG_CLONE3, p);
  if (pid == 0)
    run_child (&c);
  if (pid < 0)
    return libcrun_make_error (err, -pid, "spawn `%s`", what);

  p->new_pgroup = o->new_pgroup;
  close (steal_fd (&err_write));
  if (in_child >= 0)
    close (steal_fd (&in_child));

  /* execve closes the CLOEXEC pipe: EOF means the program runs; an errno
   * means it never started. */
  do
    n = read (err_read, &child_errno, sizeof (child_errno));
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)sizeof (child_errno))
    {
      struct libcrun_wait_result r;
      libcrun_error_t ignored = NULL;
      libcrun_process_wait (p, -1, &r, &ignored);
      libcrun_error_release (&ignored);
      libcrun_process_release (p);
      return libcrun_make_error (err, child_errno, "exec `%s`", what);
    }

  if (o->stdin_data && o->stdin_len > 0)
    {
      p->stdin_fd = steal_fd (&in_parent);
      p->stdin_data = o->stdin_data;
      p->stdin_left = o->stdin_len;
      fcntl (p->stdin_fd, F_SETFL, O_NONBLOCK);
    }
  return 0;
}

static void
close_stdin (struct libcrun_process *p)
{
  if (p->stdin_fd >= 0)
    close (p->stdin_fd);
  p->stdin_fd = -1;
  p->stdin_left = 0;
}

/* Write what the child's stdin can take now; a child that exited or closed
 * its stdin is not an error (hooks need not read the state). */
static void
feed_stdin (struct libcrun_process *p)
{
  while (p->stdin_left > 0)
    {
      ssize_t w = send (p->stdin_fd, p->stdin_data, p->stdin_left, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno != EAGAIN)
            close_stdin (p);
          return;
        }
      p->stdin_data += w;
      p->stdin_left -= (size_t)w;
    }
  close_stdin (p);
}

static void
fill_result (int status, struct libcrun_wait_result *r)
{
  if (WIFSIGNALED (status))
    {
      r->kind = LIBCRUN_WAIT_SIGNALED;
      r->code = WTERMSIG (status);
    }
  else
    {
      r->kind = LIBCRUN_WAIT_EXITED;
      r->code = WEXITSTATUS (status);
    }
}

static int
siginfo_to_status (const siginfo_t *si)
{
  if (si->si_code == CLD_EXITED)
    return (si->si_status & 0xff) << 8;
  return si->si_status & 0x7f;
}

/* Collect the exit status of a child whose pidfd reported it exited. */
static int
collect (struct libcrun_process *p, libcrun_error_t *err)
{
  siginfo_t si;

  if (p->rung == LIBCRUN_RUNG_AUTOREAP)
    {
      struct libcrun_pidfd_info info;
      int tries;
      /* The exit status exists once the kernel has released the task; the
       * pidfd reports POLLHUP from then on.  Between POLLIN and that point
       * the reply lacks PIDFD_INFO_EXIT: wait for the hang-up and ask again. */
      for (tries = 0; tries < 2; tries++)
        {
          memset (&info, 0, sizeof (info));
          info.mask = PIDFD_INFO_EXIT;
          if (ioctl (p->pidfd, PIDFD_GET_INFO, &info) < 0)
            return libcrun_make_error (err, errno, "PIDFD_GET_INFO on process %d", p->pid);
          if (info.mask & PIDFD_INFO_EXIT)
            {
              p->status = info.exit_code;
              p->done = true;
              return 0;
            }
          {
            struct pollfd pfd = { .fd = p->pidfd, .events = POLLHUP };
            while (poll (&pfd, 1, -1) < 0 && errno == EINTR)
              ;
          }
        }
      return libcrun_make_error (err, EPROTO, "process %d: the kernel gave no exit status", p->pid);
    }

  memset (&si, 0, sizeof (si));
  if (p->rung == LIBCRUN_RUNG_PID)
    {
      int status;
      pid_t r = waitpid (p->pid, &status, WNOHANG | __WALL);
      if (r < 0)
        return libcrun_make_error (err, errno, "waitpid %d", p->pid);
      if (r == 0)
        return 0; /* still running */
      p->status = status;
      p->done = true;
      return 0;
    }
  while (waitid (P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG | __WALL) < 0)
    if (errno != EINTR)
      return libcrun_make_error (err, errno, "waitid on the pidfd of process %d", p->pid);
  if (si.si_pid == 0)
    return 0; /* not yet */
  p->status = siginfo_to_status (&si);
  p->done = true;
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
libcrun_process_wait (struct libcrun_process *p, int timeout_ms, struct libcrun_wait_result *r,
                      libcrun_error_t *err)
{
  long long deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;

  while (!p->done)
    {
      struct pollfd pfd[2];
      nfds_t n = 0;
      int wait_ms = -1, rc;

      if (deadline >= 0)
        {
          long long left = deadline - now_ms ();
          wait_ms = left > 0 ? (int)left : 0;
        }
      if (p->pidfd >= 0)
        pfd[n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
      else
        {
          /* No pidfd: check, then sleep a little; never a signal. */
          if (collect (p, err) < 0)
            return -1;
          if (p->done)
            break;
          if (wait_ms == 0)
            {
              r->kind = LIBCRUN_WAIT_TIMEOUT;
              r->code = 0;
              return 0;
            }
          wait_ms = (wait_ms < 0 || wait_ms > 5) ? 5 : wait_ms;
        }
      if (p->stdin_fd >= 0)
        pfd[n++] = (struct pollfd){ .fd = p->stdin_fd, .events = POLLOUT };

      rc = poll (pfd, n, wait_ms);
      if (rc < 0 && errno != EINTR)
        return libcrun_make_error (err, errno, "poll on process %d", p->pid);
      if (rc <= 0)
        {
          if (rc == 0 && p->pidfd >= 0 && wait_ms == 0)
            {
              r->kind = LIBCRUN_WAIT_TIMEOUT;
              r->code = 0;
              return 0;
            }
          continue;
        }
      if (p->stdin_fd >= 0 && (pfd[n - 1].revents & (POLLOUT | POLLERR | POLLHUP)))
        feed_stdin (p);
      if (p->pidfd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)))
        {
          if (collect (p, err) < 0)
            return -1;
        }
    }
  close_stdin (p);
  fill_result (p->status, r);
  return 0;
}

int
libcrun_process_kill (struct libcrun_process *p, int sig, libcrun_error_t *err)
{
  if (p->done)
    return 0;
  /* The group first: the leader's pid cannot be reused while we have not
   * collected it (or hold its pidfd), so -pid is still its group. */
  if (p->new_pgroup)
    kill (-p->pid, sig);
  if (p->pidfd >= 0)
    {
      if (sys_pidfd_send_signal (p->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
        return libcrun_make_error (err, errno, "signal process %d", p->pid);
    }
  else if (kill (p->pid, sig) < 0 && errno != ESRCH)
    return libcrun_make_error (err, errno, "signal process %d", p->pid);
  return 0;
}

void
libcrun_process_release (struct libcrun_process *p)
{
  if (p->pid > 0 && !p->done)
    {
      struct libcrun_wait_result r;
      libcrun_error_t ignored = NULL;
      libcrun_process_kill (p, SIGKILL, &ignored);
      libcrun_error_release (&ignored);
      libcrun_process_wait (p, -1, &r, &ignored);
      libcrun_error_release (&ignored);
    }
  close_stdin (p);
  if (p->pidfd >= 0)
    close (p->pidfd);
  p->pidfd = -1;
  p->pid = 0;
}

static int
probe_child (void *arg)
{
  (void)arg;
  return 0;
}

enum libcrun_spawn_rung
libcrun_spawn_best_rung (void)
{
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int limit = __atomic_load_n (&test_rung_limit, __ATOMIC_SEQ_CST);
  int known = known_best_rung ();

  if (known == 0)
    {
      /* No side-effect-free probe exists: spawn a child that exits at once. */
      memset (&o, 0, sizeof (o));
      o.callback = probe_child;
      o.autoreap = true;
      o.stdout_fd = -1;
      o.stderr_fd = -1;
      if (libcrun_spawn (&o, &p, &err) == 0)
        {
          known = p.rung;
          libcrun_process_wait (&p, -1, &r, &err);
          libcrun_process_release (&p);
          demote (known - 1);
        }
      libcrun_error_release (&err);
      known = known_best_rung ();
    }
  if (limit > known)
    known = limit;
  return known ? (enum libcrun_spawn_rung)known : LIBCRUN_RUNG_PID;
}
