#include "spawn.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* What the kernel is known to refuse: every rung above best_rung_cache
 * (0: nothing known yet).  The cache holds facts only: a refusal seen on the
 * ladder, or a spawn that got the first rung.  A spawn in normal mode starts
 * at the second rung and learns nothing about the first, so it records
 * nothing; otherwise a program whose first spawn is in normal mode would
 * never try CLONE_AUTOREAP again.  The same cache serves both modes because
 * the ladder is monotone: a kernel that refuses a rung refuses every rung
 * above it.  Atomic: an embedding program may spawn from several threads. */
static int best_rung_cache;
static int test_rung_limit;
/* CLONE_PIDFD_AUTOKILL on the autoreap rung: 0 nothing known yet, 1 the
 * kernel takes it, else the errno it was refused with while CLONE_AUTOREAP
 * alone was accepted (EINVAL: a kernel without it; EPERM: neither
 * CAP_SYS_ADMIN nor CLONE_NNP, which we do not add: it would take setuid
 * helpers such as newuidmap away from the child). */
static int autokill_cache;
/* Test-only fault injection: PIDFD_GET_INFO calls still to fail with ESRCH. */
static int test_pidfd_info_esrch;

const char *
libcrun_spawn_rung_name (enum libcrun_spawn_rung rung)
{
  switch (rung)
    {
    case LIBCRUN_RUNG_AUTOREAP:
      return "clone3-autoreap";
    case LIBCRUN_RUNG_CLONE3:
      return "clone3-pidfd";
    case LIBCRUN_RUNG_CLONE:
      return "clone-pidfd";
    case LIBCRUN_RUNG_PID:
      return "clone-waitpid";
    }
  return "unknown";
}

void
libcrun_spawn_test_limit_rung (enum libcrun_spawn_rung rung)
{
  __atomic_store_n (&test_rung_limit, (int)rung, __ATOMIC_SEQ_CST);
}

void
libcrun_spawn_test_fail_pidfd_info (int times)
{
  __atomic_store_n (&test_pidfd_info_esrch, times, __ATOMIC_SEQ_CST);
}

static int
known_best_rung (void)
{
  return __atomic_load_n (&best_rung_cache, __ATOMIC_ACQUIRE);
}

/* Record that the kernel refused `rung`: the best is at most the next one. */
static void
demote (int rung)
{
  int cur = known_best_rung ();
  while (cur <= rung)
    if (__atomic_compare_exchange_n (&best_rung_cache, &cur, rung + 1, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      break;
}

/* Record that a spawn got the first rung, when nothing is known yet.  Any
 * other rung a spawn gets is recorded by demote() on the way down, or says
 * nothing about the rungs above it (a normal-mode spawn). */
static void
remember_first_rung (void)
{
  int zero = 0;
  __atomic_compare_exchange_n (&best_rung_cache, &zero, LIBCRUN_RUNG_AUTOREAP, false,
                               __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static long
clone3_with (uint64_t flags, int *pidfd)
{
  struct libcrun_clone_args args;
  long r;
  memset (&args, 0, sizeof (args));
  args.flags = flags;
  args.pidfd = (uint64_t)(uintptr_t)pidfd;
  args.exit_signal = 0;
  r = sys_clone3 (&args, sizeof (args));
  return r < 0 ? -errno : r;
}

/* The autoreap rung, with CLONE_PIDFD_AUTOKILL where the kernel takes it:
 * the child is then SIGKILLed when our pidfd file goes, by close() or by
 * our death, so a runtime killed while a hook runs leaves no hook behind.
 * Only that child: what it forked itself (a hook that daemonizes) lives
 * on, as with any other parent. */
static long
clone_autoreap (int *pidfd, bool *autokill)
{
  int known = __atomic_load_n (&autokill_cache, __ATOMIC_ACQUIRE);
  long r;

  *autokill = false;
  if (known == 0 || known == 1)
    {
      r = clone3_with (CLONE_PIDFD | CLONE_AUTOREAP | CLONE_PIDFD_AUTOKILL, pidfd);
      if (r > 0)
        __atomic_store_n (&autokill_cache, 1, __ATOMIC_RELEASE);
      if (r >= 0)
        {
          *autokill = true;
          return r;
        }
      if (r != -EINVAL && r != -EPERM)
        return r;
      known = (int)-r;
    }
  r = clone3_with (CLONE_PIDFD | CLONE_AUTOREAP, pidfd);
  /* The refusal was AUTOKILL's only if AUTOREAP alone is accepted. */
  if (r > 0 && known > 1)
    __atomic_store_n (&autokill_cache, known, __ATOMIC_RELEASE);
  return r;
}

int
libcrun_spawn_autokill_refusal (void)
{
  int known = __atomic_load_n (&autokill_cache, __ATOMIC_ACQUIRE);
  return known == 1 ? 0 : known == 0 ? -1 : known;
}

/* Create a child with exit signal 0 on one rung.  Returns its pid (0 in the
 * child) or -errno; *pidfd is set on the pidfd rungs. */
static long
clone_on_rung (int rung, int *pidfd, bool *autokill)
{

  *pidfd = -1;
  switch (rung)
    {
    case LIBCRUN_RUNG_AUTOREAP:
      return clone_autoreap (pidfd, autokill);
    case LIBCRUN_RUNG_CLONE3:
      return clone3_with (CLONE_PIDFD, pidfd);
    case LIBCRUN_RUNG_CLONE:
      /* Legacy clone: the low byte of flags is the exit signal (0), and
       * the pidfd lands in the parent_tid argument. */
      {
        long r = syscall (SYS_clone, (unsigned long)CLONE_PIDFD, NULL, pidfd, NULL, 0);
        return r < 0 ? -errno : r;
      }
    default:
      {
        long r = syscall (SYS_clone, 0UL, NULL, NULL, NULL, 0);
        return r < 0 ? -errno : r;
      }
    }
}

/* Walk down the ladder from `first` until the kernel accepts a rung. */
static long
clone_on_ladder (int first, int *rung_out, int *pidfd, bool *autokill)
{
  int rung = first;
  int limit = __atomic_load_n (&test_rung_limit, __ATOMIC_SEQ_CST);
  int known = known_best_rung ();

  if (known > rung)
    rung = known;
  if (limit > rung)
    rung = limit;
  for (; rung <= LIBCRUN_RUNG_PID; rung++)
    {
      long r = clone_on_rung (rung, pidfd, autokill);
      if (r >= 0)
        {
          *rung_out = rung;
          return r;
        }
      /* EINVAL: an unknown flag (CLONE_AUTOREAP; CLONE_PIDFD for legacy
       * clone before 5.2).  ENOSYS/EPERM: clone3 hidden by a seccomp
       * filter, or older than 5.3.  Anything else is a real failure. */
      if (rung == LIBCRUN_RUNG_PID || (r != -EINVAL && r != -ENOSYS && r != -EPERM))
        return r;
      if (rung == LIBCRUN_RUNG_AUTOREAP && r != -EINVAL)
        demote (LIBCRUN_RUNG_CLONE3); /* clone3 itself is refused */
      demote (rung);
    }
  return -ENOSYS;
}

/* What the program's process does: only async-signal-safe calls, then
 * execve or _exit.  A failure before execve goes back as an errno on
 * errpipe. */
struct child_setup
{
  const struct libcrun_spawn_options *o;
  int stdin_fd, stdout_fd, stderr_fd;
  int errpipe;
  int max_fd; /* highest fd to mark close-on-exec without close_range */
  char *const *argv;
  char *const *envp;
};

static void __attribute__ ((noreturn)) child_fail_errno (int errpipe, int e)
{
  (void)!write (errpipe, &e, sizeof (e));
  _exit (127);
}

/* A child's mask and dispositions are its own: start clean, so that a
 * handler of the embedding program never runs in our children and the
 * program starts with nothing blocked. */
static void
reset_signals (void)
{
  sigset_t none;
  int s;
  for (s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      {
        struct sigaction sa;
        if (sigaction (s, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
          signal (s, SIG_DFL);
      }
  signal (SIGCHLD, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* The program gets fds 0, 1 and 2 and nothing else, whatever the caller left
 * open without close-on-exec (hooks must not carry the runtime's or an
 * embedder's fds into a container's namespaces).  Marking them
 * close-on-exec instead of closing them keeps errpipe working until the
 * execve.  close_range(CLOSE_RANGE_CLOEXEC) is 5.11+; below, a loop of
 * fcntl, which is async-signal-safe. */
static void
cloexec_from_3 (int max_fd)
{
  int fd;
  if (sys_close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return;
  for (fd = 3; fd <= max_fd; fd++)
    {
      int flags = fcntl (fd, F_GETFD);
      if (flags >= 0 && !(flags & FD_CLOEXEC))
        fcntl (fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

static void __attribute__ ((noreturn)) run_child (const struct child_setup *c)
{
  reset_signals ();
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
  cloexec_from_3 (c->max_fd);
  execve (c->o->path, c->argv, c->envp);
  child_fail_errno (c->errpipe, errno);
}

static int
status_from_siginfo (const siginfo_t *si)
{
  if (si->si_code == CLD_EXITED)
    return (si->si_status & 0xff) << 8;
  return si->si_status & 0x7f;
}

/* The waiter: fork the program, report its pid and then its wait status
 * on `sock`, keep it unreaped until the runtime closes `sock` (so kill()
 * on its pid cannot hit a recycled pid), then reap it and leave. */
/* Close every fd but `keep`, async-signal-safe: the waiter must not hold
 * the runtime's sockets and pipes open (their readers wait for EOF). */
static void
close_all_but (int keep)
{
  int fd;
  if (keep > 3)
    sys_close_range (3, (unsigned int)keep - 1, 0);
  if (sys_close_range ((unsigned int)keep + 1, ~0U, 0) == 0 && keep >= 3)
    return;
  /* No close_range (< 5.9): close what is plausible. */
  for (fd = 3; fd < 4096; fd++)
    if (fd != keep)
      close (fd);
}

static void __attribute__ ((noreturn)) run_waiter (const struct child_setup *c, int sock)
{
  siginfo_t si;
  pid_t pid;
  int status;

  reset_signals ();
  /* vfork: the program's process only sets up fds and execs (run_child is
   * async-signal-safe and never returns), and the waiter, suspended
   * meanwhile, has nothing to do until then; it spares copying the
   * runtime's page tables for every hook. */
  pid = vfork ();
  if (pid < 0)
    child_fail_errno (c->errpipe, errno);
  if (pid == 0)
    {
      close (sock);
      run_child (c);
    }
  /* Only the program keeps the error pipe, its stdio and the stdin socket:
   * EOF on them must mean the program exec'd, exited or closed them. */
  close_all_but (sock);
  if (send_all (sock, &pid, sizeof (pid)) < 0)
    _exit (1);
  memset (&si, 0, sizeof (si));
  while (waitid (P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0)
    if (errno != EINTR)
      _exit (1);
  status = status_from_siginfo (&si);
  (void)send_all (sock, &status, sizeof (status));
  /* Until EOF: the runtime closes the socket when it is done. */
  drain_until_eof (sock);
  waitpid (pid, &status, 0);
  _exit (0);
}

/* The child's stdin: the whole text in a memfd, sealed, at offset 0.  It is
 * a regular file, so /dev/stdin and /proc/self/fd/0 can be opened on it
 * (they cannot on a socket: `cat /dev/stdin` in a hook failed with ENXIO),
 * it holds any size at once, and nothing is written after the child
 * starts: a child that never reads, closes its stdin or exits at once can
 * neither block the runtime nor raise SIGPIPE in it.  -1 when memfds are
 * not available. */
static int
stdin_memfd (const char *data, size_t len)
{
  return sealed_memfd ("crun-stdin", data, len);
}

/* What one libcrun_spawn holds while it runs: the descriptors it opens for
 * the child and the set-up the child reads.  spawn_release closes what the
 * parent keeps no longer. */
struct spawn_run
{
  const struct libcrun_spawn_options *o;
  struct libcrun_process *p;
  const char *what;
  char *default_argv[2];
  int in_parent, in_child, devnull;
  int err_read, err_write, st_parent, st_child;
  struct child_setup c;
  int rung, pidfd;
  bool use_waiter;
};

static void
spawn_release (struct spawn_run *r)
{
  int *fds[] = { &r->in_parent, &r->in_child,  &r->devnull, &r->err_read,
                 &r->err_write, &r->st_parent, &r->st_child };
  size_t i;
  for (i = 0; i < sizeof (fds) / sizeof (fds[0]); i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
}

/* /dev/null and the stdin the program reads, opened before the clone. */
static int
spawn_open_stdio (struct spawn_run *r, libcrun_error_t *err)
{
  const struct libcrun_spawn_options *o = r->o;
  int sv[2];

  if ((o->stdin_data == NULL && !o->stdin_inherit) || o->stdout_fd == LIBCRUN_SPAWN_DEVNULL
      || o->stderr_fd == LIBCRUN_SPAWN_DEVNULL)
    {
      r->devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (r->devnull < 0)
        return libcrun_make_error (err, errno, "open `/dev/null`");
    }
  if (o->stdin_data == NULL)
    return 0;
  r->in_child = stdin_memfd (o->stdin_data, o->stdin_len);
  if (r->in_child >= 0)
    return 0;
  /* No memfd (before 3.17, or refused by the seccomp filter a
   * startContainer hook runs under): a socket, not a pipe, so that
   * send(MSG_NOSIGNAL) reports a reader that went away as EPIPE
   * without raising SIGPIPE in the runtime. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return libcrun_make_error (err, errno, "spawn `%s`: socketpair", r->what);
  r->in_parent = sv[0];
  r->in_child = sv[1];
  shutdown (r->in_child, SHUT_WR);
  return 0;
}

/* The exec error pipe and the waiter's status socket. */
static int
spawn_open_channels (struct spawn_run *r, libcrun_error_t *err)
{
  int sv[2], pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return libcrun_make_error (err, errno, "spawn `%s`: pipe", r->what);
  r->err_read = pipefd[0];
  r->err_write = pipefd[1];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return libcrun_make_error (err, errno, "spawn `%s`: socketpair", r->what);
  r->st_parent = sv[0];
  r->st_child = sv[1];
  return 0;
}

/* Everything the children need is prepared here, so that they only call
 * async-signal-safe functions. */
static void
spawn_fill_setup (struct spawn_run *r)
{
  const struct libcrun_spawn_options *o = r->o;
  struct child_setup *c = &r->c;
  struct rlimit rl;

  memset (c, 0, sizeof (*c));
  c->o = o;
  c->stdin_fd = o->stdin_data ? r->in_child : o->stdin_inherit ? -1 : r->devnull;
  c->stdout_fd = o->stdout_fd == LIBCRUN_SPAWN_DEVNULL ? r->devnull : o->stdout_fd;
  c->stderr_fd = o->stderr_fd == LIBCRUN_SPAWN_DEVNULL ? r->devnull : o->stderr_fd;
  c->errpipe = r->err_write;
  c->argv = o->argv ? o->argv : r->default_argv;
  c->envp = o->envp ? o->envp : environ;
  c->max_fd = getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
}

/* Clone on the ladder; the child never returns.  The parent records the
 * program's pid: its own child's, or the one the waiter reports. */
static int
spawn_clone (struct spawn_run *r, libcrun_error_t *err)
{
  struct libcrun_process *p = r->p;
  long pid = clone_on_ladder (r->o->autoreap ? LIBCRUN_RUNG_AUTOREAP : LIBCRUN_RUNG_CLONE3,
                              &r->rung, &r->pidfd, &p->autokill);
  /* Only an autoreaped program or a callback may be our direct child: an
   * exec'd program would get exit signal SIGCHLD back (see spawn.h). */
  r->use_waiter = r->o->callback == NULL && r->rung != LIBCRUN_RUNG_AUTOREAP;
  if (pid == 0)
    {
      if (r->use_waiter)
        run_waiter (&r->c, r->st_child);
      run_child (&r->c);
    }
  if (pid < 0)
    return libcrun_make_error (err, (int)-pid, "spawn `%s`", r->what);

  p->rung = (enum libcrun_spawn_rung)r->rung;
  p->pidfd = r->pidfd;
  p->new_pgroup = r->o->new_pgroup;
  if (!r->use_waiter)
    {
      p->pid = (pid_t)pid;
      return 0;
    }
  p->waiter = (pid_t)pid;
  p->status_fd = steal_fd (&r->st_parent);
  close (steal_fd (&r->st_child));
  if (read_exact (p->status_fd, &p->pid, sizeof (p->pid)) < 0)
    {
      libcrun_process_release (p);
      return libcrun_make_error (err, EPROTO, "spawn `%s`: the waiter process failed", r->what);
    }
  return 0;
}

/* execve closes the CLOEXEC pipe: EOF means the program runs; an errno
 * means it never started. */
static int
spawn_wait_exec (struct spawn_run *r, libcrun_error_t *err)
{
  int child_errno;
  ssize_t n;

  close (steal_fd (&r->err_write));
  if (r->in_child >= 0)
    close (steal_fd (&r->in_child));
  do
    n = read (r->err_read, &child_errno, sizeof (child_errno));
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t)sizeof (child_errno))
    {
      struct libcrun_wait_result res;
      libcrun_error_t ignored = NULL;
      libcrun_process_wait (r->p, -1, &res, &ignored);
      libcrun_error_release (&ignored);
      libcrun_process_release (r->p);
      return libcrun_make_error (err, child_errno, "exec `%s`", r->what);
    }
  return 0;
}

/* The stdin still to feed through the socket, and the rung remembered. */
static void
spawn_finish (struct spawn_run *r)
{
  struct libcrun_process *p = r->p;
  if (r->in_parent >= 0 && r->o->stdin_len > 0)
    {
      p->stdin_fd = steal_fd (&r->in_parent);
      p->stdin_data = r->o->stdin_data;
      p->stdin_left = r->o->stdin_len;
      fcntl (p->stdin_fd, F_SETFL, O_NONBLOCK);
    }
  if (r->rung == LIBCRUN_RUNG_AUTOREAP && __atomic_load_n (&test_rung_limit, __ATOMIC_SEQ_CST) == 0)
    remember_first_rung ();
}

int
libcrun_spawn (const struct libcrun_spawn_options *o, struct libcrun_process *p,
               libcrun_error_t *err)
{
  struct spawn_run r = { .o = o,
                         .p = p,
                         .what = o->path ? o->path : "callback",
                         .default_argv = { (char *)o->path, NULL },
                         .in_parent = -1,
                         .in_child = -1,
                         .devnull = -1,
                         .err_read = -1,
                         .err_write = -1,
                         .st_parent = -1,
                         .st_child = -1,
                         .pidfd = -1 };
  int ret;

  memset (p, 0, sizeof (*p));
  p->pidfd = -1;
  p->stdin_fd = -1;
  p->status_fd = -1;
  if (o->path == NULL && o->callback == NULL)
    return libcrun_make_error (err, EINVAL, "spawn: neither a program nor a callback");

  ret = spawn_open_stdio (&r, err);
  if (ret == 0)
    ret = spawn_open_channels (&r, err);
  if (ret == 0)
    {
      spawn_fill_setup (&r);
      ret = spawn_clone (&r, err);
    }
  if (ret == 0)
    ret = spawn_wait_exec (&r, err);
  if (ret == 0)
    spawn_finish (&r);
  spawn_release (&r);
  return ret;
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

/* Reap a direct child of ours (a callback child, or a waiter). */
static int
reap_direct (struct libcrun_process *p, pid_t pid, bool block, int *status, bool *gone,
             libcrun_error_t *err)
{
  siginfo_t si;
  int flags = WEXITED | __WALL | (block ? 0 : WNOHANG);

  *gone = false;
  memset (&si, 0, sizeof (si));
  if (p->pidfd >= 0)
    {
      while (waitid (P_PIDFD, (id_t)p->pidfd, &si, flags) < 0)
        if (errno != EINTR)
          return libcrun_make_error (err, errno, "waitid on the pidfd of process %d", pid);
    }
  else
    {
      while (waitid (P_PID, (id_t)pid, &si, flags) < 0)
        if (errno != EINTR)
          return libcrun_make_error (err, errno, "waitid on process %d", pid);
    }
  if (si.si_pid == 0)
    return 0;
  *gone = true;
  if (status)
    *status = status_from_siginfo (&si);
  return 0;
}

/* Ask the kernel for the exit status of an autoreaped child.  Returns 1
 * with the status, 0 when the kernel has none (yet), or -errno. */
static int
pidfd_exit_status (struct libcrun_process *p, int *status)
{
  struct libcrun_pidfd_info info;

  memset (&info, 0, sizeof (info));
  info.mask = PIDFD_INFO_EXIT;
  if (__atomic_load_n (&test_pidfd_info_esrch, __ATOMIC_SEQ_CST) > 0
      && __atomic_sub_fetch (&test_pidfd_info_esrch, 1, __ATOMIC_SEQ_CST) >= 0)
    return -ESRCH;
  if (ioctl (p->pidfd, PIDFD_GET_INFO, &info) < 0)
    return -errno;
  if (!(info.mask & PIDFD_INFO_EXIT))
    return 0;
  *status = info.exit_code;
  return 1;
}

/* The autoreap rung.  POLLIN on the pidfd means the child exited, not that
 * the kernel released it, and the exit status exists only from the release
 * on, which the pidfd reports as POLLHUP (DESIGN.md section 2).  Asked at
 * POLLIN, the kernel may answer without the EXIT bit (not released yet:
 * a ptraced child stays a zombie until its tracer waits), or ESRCH: the
 * 6.1 series before its fix, and upstream pidfd_info() still, take a pid
 * that release_task() on another CPU has just detached for "not visible".
 * So the first answer that has no status is not final: the wait goes on
 * until the pidfd hangs up (bounded by the caller's timeout) and asks once
 * more; that second answer is. */
static int
collect_autoreaped (struct libcrun_process *p, libcrun_error_t *err)
{
  int status = 0;
  int r = pidfd_exit_status (p, &status);

  if (r == 1)
    {
      p->status = status;
      p->done = true;
      return 0;
    }
  if (!p->await_hup && (r == 0 || r == -ESRCH))
    {
      p->await_hup = true;
      return 0;
    }
  if (r < 0)
    return libcrun_make_error (err, -r, "PIDFD_GET_INFO on process %d", p->pid);
  return libcrun_make_error (
      err, EPROTO, "process %d: the kernel gave no exit status after releasing it", p->pid);
}

/* Collect the exit status once the child (or its waiter) has something to
 * say; leaves p->done false if not yet. */
static int
collect (struct libcrun_process *p, libcrun_error_t *err)
{
  bool gone;

  if (p->rung == LIBCRUN_RUNG_AUTOREAP)
    return collect_autoreaped (p, err);

  if (p->waiter)
    {
      int status;
      ssize_t r;
      do
        r = read (p->status_fd, &status, sizeof (status));
      while (r < 0 && errno == EINTR);
      if (r == (ssize_t)sizeof (status))
        {
          p->status = status;
          p->done = true;
          return 0;
        }
      if (r < 0 && errno == EAGAIN)
        return 0;
      /* EOF: the waiter died without a word (killed from outside). */
      return libcrun_make_error (err, EPROTO, "process %d: its waiter %d went away", p->pid,
                                 p->waiter);
    }

  if (reap_direct (p, p->pid, false, &p->status, &gone, err) < 0)
    return -1;
  if (gone)
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
libcrun_process_wait (struct libcrun_process *p, long long timeout_ms,
                      struct libcrun_wait_result *r, libcrun_error_t *err)
{
  long long deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;

  if (p->status_fd >= 0)
    fcntl (p->status_fd, F_SETFL, O_NONBLOCK);
  while (!p->done)
    {
      struct pollfd pfd[2];
      nfds_t n = 0;
      int wait_ms = -1, rc;
      int watch = p->waiter ? p->status_fd : p->pidfd;

      if (deadline >= 0)
        {
          long long left = deadline - now_ms ();
          /* poll takes an int: wake up every ~24 days and go on */
          wait_ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
        }
      /* Awaiting the hang-up, POLLIN stays set: ask for nothing, poll
       * reports POLLHUP anyway. */
      if (watch >= 0)
        pfd[n++] = (struct pollfd){ .fd = watch, .events = p->await_hup ? 0 : POLLIN };
      else
        {
          /* A callback child without pidfd: check, then nap; no signal. */
          if (collect (p, err) < 0)
            return -1;
          if (p->done)
            break;
          if (wait_ms == 0)
            goto timeout;
          wait_ms = (wait_ms < 0 || wait_ms > 5) ? 5 : wait_ms;
        }
      if (p->stdin_fd >= 0)
        pfd[n++] = (struct pollfd){ .fd = p->stdin_fd, .events = POLLOUT };

      rc = poll (pfd, n, wait_ms);
      if (rc < 0 && errno != EINTR)
        return libcrun_make_error (err, errno, "poll on process %d", p->pid);
      if (rc == 0 && watch >= 0 && wait_ms == 0)
        goto timeout;
      if (rc <= 0)
        continue;
      if (p->stdin_fd >= 0 && (pfd[n - 1].revents & (POLLOUT | POLLERR | POLLHUP)))
        feed_stdin (p);
      if (watch >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          if (collect (p, err) < 0)
            return -1;
        }
    }
  close_stdin (p);
  fill_result (p->status, r);
  return 0;

timeout:
  r->kind = LIBCRUN_WAIT_TIMEOUT;
  r->code = 0;
  return 0;
}

/* Autoreap rung: has the program not exited yet?  (POLLIN on its pidfd
 * from exit on.) */
static bool
leader_alive (const struct libcrun_process *p)
{
  struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
  return p->pidfd >= 0 && poll (&pfd, 1, 0) == 0;
}

#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

/* Signal the program's process group without ever naming a number that
 * may have been recycled.  On the waiter rungs the leader is held
 * unreaped by its waiter, so its pid (the group's id) stays allocated and
 * kill(-pid) is exact.  On the autoreap rung nobody holds it: the group is
 * addressed through the pidfd (PIDFD_SIGNAL_PROCESS_GROUP, 6.9+), which
 * names the group's struct pid and so also reaches members the leader left
 * behind after it exited.  Older kernels refuse the flag (EINVAL): then
 * the group is signalled by number only while the pidfd says the leader
 * has not exited (it may exit between the two calls; its members still
 * hold the number then, so it cannot be a new process' group yet). */
static void
signal_group (const struct libcrun_process *p, int sig)
{
  if (p->rung != LIBCRUN_RUNG_AUTOREAP)
    {
      kill (-p->pid, sig);
      return;
    }
  if (sys_pidfd_send_signal (p->pidfd, sig, NULL, PIDFD_SIGNAL_PROCESS_GROUP) == 0
      || errno != EINVAL)
    return;
  if (leader_alive (p))
    kill (-p->pid, sig);
}

int
libcrun_process_kill (struct libcrun_process *p, int sig, libcrun_error_t *err)
{
  if (p->done || p->pid <= 0)
    return 0;
  /* The program's pid cannot be recycled here: it is unreaped (held by its
   * waiter, or by us), or autoreaped and then addressed by pidfd only. */
  if (p->new_pgroup)
    signal_group (p, sig);
  if (p->rung == LIBCRUN_RUNG_AUTOREAP || (p->waiter == 0 && p->pidfd >= 0))
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
  libcrun_error_t ignored = NULL;

  if (p->pid > 0 && !p->done)
    {
      struct libcrun_wait_result r;
      libcrun_process_kill (p, SIGKILL, &ignored);
      libcrun_error_release (&ignored);
      libcrun_process_wait (p, -1, &r, &ignored);
      libcrun_error_release (&ignored);
    }
  close_stdin (p);
  if (p->waiter)
    {
      bool gone;
      /* Closing the status socket lets the waiter reap the program and
       * exit; then the waiter is reaped, on its own pidfd or pid. */
      if (p->status_fd >= 0)
        close (p->status_fd);
      p->status_fd = -1;
      if (reap_direct (p, p->waiter, true, NULL, &gone, &ignored) < 0)
        libcrun_error_release (&ignored);
      p->waiter = 0;
    }
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
  int limit = __atomic_load_n (&test_rung_limit, __ATOMIC_SEQ_CST);
  int known = known_best_rung ();

  if (known == 0)
    {
      /* No side-effect-free probe exists: spawn a child that exits at once
       * (rungs refused on the way are recorded by the ladder). */
      struct libcrun_spawn_options o;
      struct libcrun_process p;
      struct libcrun_wait_result r;
      libcrun_error_t err = NULL;

      memset (&o, 0, sizeof (o));
      o.callback = probe_child;
      o.autoreap = true;
      o.stdout_fd = -1;
      o.stderr_fd = -1;
      libcrun_spawn_test_limit_rung (0);
      if (libcrun_spawn (&o, &p, &err) == 0)
        {
          libcrun_process_wait (&p, -1, &r, &err);
          libcrun_process_release (&p);
        }
      libcrun_spawn_test_limit_rung ((enum libcrun_spawn_rung)limit);
      libcrun_error_release (&err);
      known = known_best_rung ();
    }
  if (limit > known)
    known = limit;
  return known ? (enum libcrun_spawn_rung)known : LIBCRUN_RUNG_PID;
}

void
libcrun_spawn_facts (int *best_rung, int *autokill)
{
  *best_rung = __atomic_load_n (&best_rung_cache, __ATOMIC_SEQ_CST);
  *autokill = __atomic_load_n (&autokill_cache, __ATOMIC_SEQ_CST);
}

void
libcrun_spawn_learn (int best_rung, int autokill)
{
  __atomic_store_n (&best_rung_cache, best_rung, __ATOMIC_SEQ_CST);
  __atomic_store_n (&autokill_cache, autokill, __ATOMIC_SEQ_CST);
}
