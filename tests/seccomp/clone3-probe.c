/* clone3-probe: what a container's seccomp profile and kernel let a process
 * without CAP_SYS_ADMIN do with clone3, clone, unshare and pthread_create.
 * One line per probe, `name=RESULT`, RESULT being OK or the errno's name:
 *   clone3_autoreap  clone3(CLONE_AUTOREAP|CLONE_PIDFD, exit_signal 0)
 *   clone3_newuser   clone3(CLONE_NEWUSER, exit_signal SIGCHLD)
 *   clone_newuser    legacy clone(CLONE_NEWUSER|SIGCHLD)
 *   unshare_newuser  unshare(CLONE_NEWUSER), in a forked child
 *   pthread          pthread_create + pthread_join (glibc tries clone3
 *                    first and falls back to clone on ENOSYS only)
 * Every child created is reaped (an autoreaped one cannot be: waitid on its
 * pidfd then fails with ECHILD, which is expected).  Exit status 0 unless
 * the probe itself could not run.
 * Build: gcc -static -pthread -O2 -o clone3-probe clone3-probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_AUTOREAP
#define CLONE_AUTOREAP (1ULL << 34)
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const char *
errname (int e)
{
  static char buf[16];
  switch (e)
    {
    case EPERM:
      return "EPERM";
    case ENOSYS:
      return "ENOSYS";
    case EINVAL:
      return "EINVAL";
    case ENOSPC:
      return "ENOSPC";
    case EUSERS:
      return "EUSERS";
    case EACCES:
      return "EACCES";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case ECHILD:
      return "ECHILD";
    case EFAULT:
      return "EFAULT";
    case E2BIG:
      return "E2BIG";
    }
  snprintf (buf, sizeof (buf), "E%d", e);
  return buf;
}

static void
report (const char *name, long ret, int err)
{
  printf ("%s=%s\n", name, ret < 0 ? errname (err) : "OK");
  fflush (stdout);
}

static long
raw_clone3 (uint64_t flags, int *pidfd, int exit_signal)
{
  struct clone_args a;
  memset (&a, 0, sizeof (a));
  a.flags = flags;
  a.pidfd = (uint64_t)(uintptr_t)pidfd;
  a.exit_signal = (uint64_t)exit_signal;
  /* No CLONE_VM: the child runs on a copy of our stack, as after fork. */
  return syscall (__NR_clone3, &a, sizeof (a));
}

static void
probe_clone3_autoreap (void)
{
  int pidfd = -1;
  long pid = raw_clone3 (CLONE_AUTOREAP | CLONE_PIDFD, &pidfd, 0);
  int e = errno;

  if (pid == 0)
    syscall (SYS_exit_group, 0);
  if (pid > 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      siginfo_t si;
      /* autoreaped: POLLHUP once gone; waitid then says ECHILD, which is
       * what the flag promises (on a kernel without it we never get here) */
      poll (&p, 1, 5000);
      memset (&si, 0, sizeof (si));
      (void)waitid ((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL);
      close (pidfd);
    }
  report ("clone3_autoreap", pid, e);
}

static void
probe_clone3_newuser (void)
{
  long pid = raw_clone3 (CLONE_NEWUSER, NULL, SIGCHLD);
  int e = errno;

  if (pid == 0)
    syscall (SYS_exit_group, 0);
  if (pid > 0)
    waitpid ((pid_t)pid, NULL, __WALL);
  report ("clone3_newuser", pid, e);
}

static void
probe_clone_newuser (void)
{
  /* x86_64 order: flags, stack, parent_tid, child_tid, tls; a NULL stack
   * means "the parent's stack, copied", as for fork. */
  long pid = syscall (SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
  int e = errno;

  if (pid == 0)
    syscall (SYS_exit_group, 0);
  if (pid > 0)
    waitpid ((pid_t)pid, NULL, __WALL);
  report ("clone_newuser", pid, e);
}

static void
probe_unshare_newuser (void)
{
  int pipefd[2], e = 0;
  pid_t pid;
  long r;

  if (pipe (pipefd) < 0)
    {
      report ("unshare_newuser", -1, errno);
      return;
    }
  pid = fork ();
  if (pid < 0)
    {
      printf ("unshare_newuser=fork-failed-%s\n", errname (errno));
      return;
    }
  if (pid == 0)
    {
      r = unshare (CLONE_NEWUSER);
      e = r < 0 ? errno : 0;
      (void)!write (pipefd[1], &e, sizeof (e));
      _exit (0);
    }
  close (pipefd[1]);
  if (read (pipefd[0], &e, sizeof (e)) != (ssize_t)sizeof (e))
    e = -1;
  close (pipefd[0]);
  waitpid (pid, NULL, 0);
  if (e < 0)
    printf ("unshare_newuser=probe-failed\n");
  else
    report ("unshare_newuser", e ? -1 : 0, e);
}

static void *
thread_main (void *arg)
{
  return arg;
}

static void
probe_pthread (void)
{
  pthread_t t;
  void *res = NULL;
  int r = pthread_create (&t, NULL, thread_main, (void *)0x1);

  if (r == 0)
    {
      pthread_join (t, &res);
      if (res != (void *)0x1)
        {
          printf ("pthread=bad-join\n");
          return;
        }
    }
  report ("pthread", r ? -1 : 0, r);
}

int
main (void)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  probe_clone3_autoreap ();
  probe_clone3_newuser ();
  probe_clone_newuser ();
  probe_unshare_newuser ();
  probe_pthread ();
  return 0;
}
