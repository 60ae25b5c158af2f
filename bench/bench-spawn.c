/* Micro-benchmark of the spawner: spawn + wait of /bin/true through
 * libcrun_spawn (normal mode and autoreap mode, i.e. whatever rung this
 * kernel gives), against a fork + execve + sigtimedwait + waitpid loop like
 * crun's run_process, and posix_spawn + waitpid as a floor.
 *
 * The methods are interleaved: each round runs BATCH spawns of every method
 * in turn, and the figure per method is the median over rounds of the mean
 * time per spawn in that round.
 *
 *   bench-spawn [ROUNDS [BATCH]]      (defaults 30 and 50) */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "spawn.h"

extern char **environ;

static char *true_argv[] = { (char *)"true", NULL };

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
die (const char *what)
{
  fprintf (stderr, "bench-spawn: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
spawn_libcrun (bool autoreap)
{
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;

  memset (&o, 0, sizeof (o));
  o.path = "/bin/true";
  o.argv = true_argv;
  o.stdout_fd = -1;
  o.stderr_fd = -1;
  o.autoreap = autoreap;
  if (libcrun_spawn (&o, &p, &err) < 0 || libcrun_process_wait (&p, -1, &r, &err) < 0)
    {
      fprintf (stderr, "bench-spawn: %s\n", err->msg);
      exit (1);
    }
  if (r.kind != LIBCRUN_WAIT_EXITED || r.code != 0)
    {
      fprintf (stderr, "bench-spawn: /bin/true failed\n");
      exit (1);
    }
  libcrun_process_release (&p);
}

static void
spawn_normal (void)
{
  spawn_libcrun (false);
}

static void
spawn_autoreap (void)
{
  spawn_libcrun (true);
}

/* crun 1.x (utils.c run_process / hooks): SIGCHLD blocked, fork, execve,
 * sigtimedwait for SIGCHLD with the timeout, then waitpid on the pid. */
static void
spawn_fork_sigtimedwait (void)
{
  sigset_t set, old;
  struct timespec ts = { 10, 0 };
  siginfo_t si;
  pid_t pid;
  int status;

  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, &old);
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      execve ("/bin/true", true_argv, environ);
      _exit (127);
    }
  for (;;)
    {
      int s = sigtimedwait (&set, &si, &ts);
      if (s == SIGCHLD)
        break;
      if (s < 0 && errno == EINTR)
        continue;
      die ("sigtimedwait");
    }
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    die ("waitpid");
  sigprocmask (SIG_SETMASK, &old, NULL);
}

static void
spawn_posix_spawn (void)
{
  pid_t pid;
  int status;
  if (posix_spawn (&pid, "/bin/true", NULL, NULL, true_argv, environ) != 0)
    die ("posix_spawn");
  if (waitpid (pid, &status, 0) != pid || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    die ("waitpid");
}

struct method
{
  const char *name;
  void (*fn) (void);
  double *per_round;
};

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, (size_t)n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 30;
  int batch = argc > 2 ? atoi (argv[2]) : 50;
  struct method m[] = {
    { "libcrun_spawn (normal mode)", spawn_normal, NULL },
    { "libcrun_spawn (autoreap mode)", spawn_autoreap, NULL },
    { "fork+sigtimedwait+waitpid (crun-like)", spawn_fork_sigtimedwait, NULL },
    { "posix_spawn+waitpid", spawn_posix_spawn, NULL },
  };
  int nm = (int)(sizeof (m) / sizeof (m[0])), i, j, k;
  double base;

  if (rounds < 1 || batch < 1)
    {
      fprintf (stderr, "usage: bench-spawn [ROUNDS [BATCH]]\n");
      return 2;
    }
  for (i = 0; i < nm; i++)
    {
      m[i].per_round = calloc ((size_t)rounds, sizeof (double));
      m[i].fn (); /* warm up (and let the spawner probe its rung) */
    }
  for (k = 0; k < rounds; k++)
    for (i = 0; i < nm; i++)
      {
        /* rotate the order each round so that no method always goes first */
        struct method *cur = &m[(i + k) % nm];
        double t0 = now_us ();
        for (j = 0; j < batch; j++)
          cur->fn ();
        cur->per_round[k] = (now_us () - t0) / batch;
      }

  printf ("spawner rung in autoreap mode on this kernel: %s\n",
          libcrun_spawn_rung_name (libcrun_spawn_best_rung ()));
  printf ("%d rounds x %d spawns of /bin/true per method, interleaved\n", rounds, batch);
  printf ("%-40s %12s %10s\n", "method", "median us", "ratio");
  base = median (m[2].per_round, rounds);
  for (i = 0; i < nm; i++)
    {
      double med = median (m[i].per_round, rounds);
      printf ("%-40s %12.1f %10.3f\n", m[i].name, med, med / base);
      free (m[i].per_round);
    }
  printf ("(ratio: against the crun-like fork+sigtimedwait+waitpid loop)\n");
  return 0;
}
