/* An example embedder of libcrun: a small supervisor that does its own child
 * handling (a SIGCHLD handler reaping with waitpid(-1)) and, in the same
 * process, runs containers with OCI hooks through libcrun, several at once.
 *
 *   supervisor STATE_ROOT GOOD_BUNDLE BAD_BUNDLE HOOK_LOG CONTAINERS THREADS
 *
 * GOOD_BUNDLE's hooks succeed; BAD_BUNDLE's createRuntime hook exits 3.  Each
 * thread creates, starts and deletes its share of containers (every other
 * one from BAD_BUNDLE, whose create must fail and say "status 3") while it
 * forks children of its own.  The hooks append "PID PPID" to HOOK_LOG.
 * At the end the supervisor checks what it must have seen and what it must
 * not: every child it forked and every container init reached its handler,
 * and no hook, nor a process between a hook and libcrun, ever did.  It
 * prints "ok ..." and exits 0, or prints what went wrong and exits 1.
 *
 * Its threads create containers while the others allocate, fork and
 * create: libcrun's children (hooks, helpers, a container's init and an
 * exec'd process) make only system calls between their clone and their
 * execve, so no lock of libc held by another thread at the clone can make
 * them wait (libcrun.h).
 *
 * Build it against an installed libcrun:
 *   cc -o supervisor supervisor.c $(pkg-config --cflags --libs libcrun) -lpthread */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libcrun/libcrun.h>

#define MAX_REAPED 4096

/* What the handler reaped, in order.  The handler may run in several
 * threads at once (each can take a SIGCHLD), so a slot is claimed with an
 * atomic add, which is async-signal-safe. */
static int n_reaped;
static pid_t reaped[MAX_REAPED];
static int sigchld_count;

static void
on_sigchld (int sig)
{
  int saved = errno, status;
  pid_t pid;

  (void)sig;
  __atomic_add_fetch (&sigchld_count, 1, __ATOMIC_SEQ_CST);
  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    {
      int slot = __atomic_fetch_add (&n_reaped, 1, __ATOMIC_SEQ_CST);
      if (slot < MAX_REAPED)
        __atomic_store_n (&reaped[slot], pid, __ATOMIC_SEQ_CST);
    }
  errno = saved;
}

static bool
was_reaped (pid_t pid)
{
  int i, n = __atomic_load_n (&n_reaped, __ATOMIC_SEQ_CST);
  for (i = 0; i < n && i < MAX_REAPED; i++)
    if (__atomic_load_n (&reaped[i], __ATOMIC_SEQ_CST) == pid)
      return true;
  return false;
}

static void
wait_reaped (pid_t pid)
{
  int i;
  for (i = 0; i < 30000 && !was_reaped (pid); i++)
    usleep (1000);
}

struct job
{
  const char *root, *good, *bad;
  int first, count;
  /* results */
  pid_t inits[256], forked[256];
  int n_inits, n_forked, n_refused, failures;
  char problem[512];
};

static void
fail (struct job *j, const char *fmt, const char *a, const char *b)
{
  j->failures++;
  if (j->problem[0] == '\0')
    snprintf (j->problem, sizeof (j->problem), fmt, a, b);
}

static void
one_container (struct job *j, int k)
{
  struct libcrun_create_options o;
  struct libcrun_container_handle h;
  libcrun_error_t err = NULL;
  char id[64];
  bool bad = k % 2 == 1;
  pid_t own;
  int ret;

  snprintf (id, sizeof (id), "sup-%d", k);
  memset (&o, 0, sizeof (o));
  o.state_root = j->root;
  o.id = id;
  o.bundle = bad ? j->bad : j->good;
  o.start_in_handle = true;

  /* a child of our own, reaped by our handler, while libcrun works */
  own = fork ();
  if (own == 0)
    _exit (0);
  if (own > 0 && j->n_forked < 256)
    j->forked[j->n_forked++] = own;

  ret = libcrun_container_create (&o, &h, &err);
  if (ret < 0)
    {
      /* the failing hook's status comes back through libcrun */
      if (!bad || strstr (err->msg, "status 3") == NULL)
        fail (j, "create %s: %s", id, err->msg);
      j->n_refused++;
      libcrun_error_release (&err);
      return;
    }
  if (bad)
    fail (j, "create %s succeeded with a failing hook%s", id, "");
  if (j->n_inits < 256)
    j->inits[j->n_inits++] = h.pid;
  ret = libcrun_container_start_handle (j->root, id, &h, &err);
  if (ret < 0)
    {
      fail (j, "start %s: %s", id, err->msg);
      libcrun_error_release (&err);
    }
  wait_reaped (h.pid); /* the container's init is ours to reap */
  ret = libcrun_container_delete (j->root, id, true, &err);
  if (ret < 0)
    {
      fail (j, "delete %s: %s", id, err->msg);
      libcrun_error_release (&err);
    }
}

static void *
run_job (void *arg)
{
  struct job *j = arg;
  int k;

  for (k = j->first; k < j->first + j->count; k++)
    one_container (j, k);
  return NULL;
}

/* Hooks and their parents, from the log: none may have reached us. */
static int
check_hooks (const char *log, int *n_hooks)
{
  FILE *f = fopen (log, "r");
  long pid, ppid;
  int bad = 0;

  *n_hooks = 0;
  if (f == NULL)
    return printf ("no hook log `%s`\n", log), 1;
  while (fscanf (f, "%ld %ld", &pid, &ppid) == 2)
    {
      (*n_hooks)++;
      if (was_reaped ((pid_t)pid) || (ppid != getpid () && was_reaped ((pid_t)ppid)))
        {
          printf ("the supervisor's waitpid saw hook %ld (parent %ld)\n", pid, ppid);
          bad = 1;
        }
    }
  fclose (f);
  return bad;
}

int
main (int argc, char **argv)
{
  struct sigaction sa;
  struct job jobs[16];
  pthread_t threads[16];
  int n, t, i, k, failures = 0, n_hooks, n_own = 0, n_inits = 0, n_refused = 0;

  if (argc != 7)
    return fprintf (stderr, "usage: %s ROOT GOOD BAD HOOK_LOG CONTAINERS THREADS\n", argv[0]), 2;
  /* The runtime's helper, where the library is not installed at its
   * prefix (the tests install it into a scratch DESTDIR); NULL: the
   * default. */
  libcrun_set_helper (getenv ("CRUN_TEST_HELPER"));
  n = atoi (argv[5]);
  t = atoi (argv[6]);
  if (t < 1 || t > 16 || n < t)
    return 2;

  memset (&sa, 0, sizeof (sa));
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction (SIGCHLD, &sa, NULL);

  for (i = 0, k = 0; i < t; i++)
    {
      memset (&jobs[i], 0, sizeof (jobs[i]));
      jobs[i].root = argv[1];
      jobs[i].good = argv[2];
      jobs[i].bad = argv[3];
      jobs[i].first = k;
      jobs[i].count = n / t + (i < n % t);
      k += jobs[i].count;
      pthread_create (&threads[i], NULL, run_job, &jobs[i]);
    }
  for (i = 0; i < t; i++)
    pthread_join (threads[i], NULL);

  for (i = 0; i < t; i++)
    {
      failures += jobs[i].failures;
      n_refused += jobs[i].n_refused;
      if (jobs[i].problem[0])
        printf ("%s\n", jobs[i].problem);
      for (k = 0; k < jobs[i].n_forked; k++, n_own++)
        {
          wait_reaped (jobs[i].forked[k]);
          if (!was_reaped (jobs[i].forked[k]))
            printf ("own child %d never reached the handler\n", jobs[i].forked[k]), failures++;
        }
      for (k = 0; k < jobs[i].n_inits; k++, n_inits++)
        if (!was_reaped (jobs[i].inits[k]))
          printf ("container init %d never reached the handler\n", jobs[i].inits[k]), failures++;
    }
  failures += check_hooks (argv[4], &n_hooks);
  if (n_hooks == 0)
    printf ("no hook ran\n"), failures++;
  /* The init of a refused create is the caller's child too: libcrun kills
   * it and waits for it, unless our handler got there first. */
  if (n_reaped < n_own + n_inits || n_reaped > n_own + n_inits + n_refused)
    printf ("waitpid returned %d pids, expected %d own children + %d inits (+ up to %d inits "
            "of refused creates)\n",
            (int)n_reaped, n_own, n_inits, n_refused),
        failures++;
  if (failures)
    return 1;
  printf ("ok containers=%d threads=%d own-children=%d inits=%d refused=%d hooks=%d sigchld=%d\n",
          n, t, n_own, n_inits, n_refused, n_hooks, (int)sigchld_count);
  return 0;
}
