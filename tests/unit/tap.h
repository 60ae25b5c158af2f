/* A small TAP harness for the C unit tests.
 *
 * Each test is a function run in a forked child, so that a crash or a hang
 * in one test fails that test only.  The child is watched through a pidfd
 * with poll() and a timeout (TAP_TIMEOUT_MS, default 30 s) and collected with
 * waitid(P_PIDFD) on that one child; the harness never waits for "any child".
 *
 *   static void test_x (void) { tap_check (1 + 1 == 2, "sum"); }
 *   int main (void) { TAP_RUN (test_x); return tap_done (); }
 *
 * Inside a test: tap_check() records a failure (and goes on), tap_require()
 * stops the test at the first failure, tap_skip() ends it as skipped with a
 * reason (only for a thing the machine really lacks). */
#ifndef TESTS_UNIT_TAP_H
#define TESTS_UNIT_TAP_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef TAP_TIMEOUT_MS
#define TAP_TIMEOUT_MS 30000
#endif
#define TAP_EXIT_SKIP 77

static int tap_count, tap_failed, tap_child_failures;

static inline void
tap_check_impl (int ok, const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  if (ok)
    return;
  tap_child_failures++;
  printf ("#   check failed at %s:%d: ", file, line);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

#define tap_check(cond, ...) tap_check_impl (!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define tap_require(cond, ...)                                                                     \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          tap_check_impl (0, __FILE__, __LINE__, __VA_ARGS__);                                     \
          _exit (1);                                                                               \
        }                                                                                          \
    }                                                                                              \
  while (0)
#define tap_skip(...)                                                                              \
  do                                                                                               \
    {                                                                                              \
      printf ("#   SKIP reason: ");                                                                \
      printf (__VA_ARGS__);                                                                        \
      printf ("\n");                                                                               \
      fflush (stdout);                                                                             \
      _exit (TAP_EXIT_SKIP);                                                                       \
    }                                                                                              \
  while (0)

static inline void
tap_run_one (void (*fn) (void), const char *name)
{
  int pidfd = -1, status = -1;
  pid_t pid;
  struct pollfd pfd;
  siginfo_t si;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    {
      printf ("Bail out! fork: %s\n", strerror (errno));
      exit (1);
    }
  if (pid == 0)
    {
      fn ();
      fflush (stdout);
      _exit (tap_child_failures ? 1 : 0);
    }
  tap_count++;
  pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    {
      printf ("Bail out! pidfd_open: %s\n", strerror (errno));
      exit (1);
    }
  pfd.fd = pidfd;
  pfd.events = POLLIN;
  if (poll (&pfd, 1, TAP_TIMEOUT_MS) == 0)
    {
      kill (pid, SIGKILL);
      printf ("#   timed out after %d ms\n", TAP_TIMEOUT_MS);
    }
  memset (&si, 0, sizeof (si));
  if (waitid ((idtype_t)3 /* P_PIDFD */, (id_t)pidfd, &si, WEXITED) == 0)
    status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
  close (pidfd);

  if (status == 0)
    printf ("ok %d - %s\n", tap_count, name);
  else if (status == TAP_EXIT_SKIP)
    printf ("ok %d - %s # SKIP\n", tap_count, name);
  else
    {
      tap_failed++;
      printf ("not ok %d - %s (status %d)\n", tap_count, name, status);
    }
  fflush (stdout);
}

#define TAP_RUN(fn) tap_run_one (fn, #fn)

static inline int
tap_done (void)
{
  printf ("1..%d\n", tap_count);
  return tap_failed ? 1 : 0;
}

#endif
