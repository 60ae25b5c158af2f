/* Children never call malloc or take a lock between clone and exec: while
 * four threads of this program allocate and free in a loop (so that
 * malloc's locks are held at any instant), the library spawns 1,000 hooks,
 * in autoreap and in normal mode, and every one of them completes.  With
 * one malloc arena for all threads (M_ARENA_MAX 1), a child that called
 * malloc before its execve could inherit the arena's lock held by one of
 * those threads at the clone and hang; the watchdog (alarm) then kills the
 * test.  Such a hang is rare, so the test also counts every call of the
 * allocator made in a process other than this one (malloc and friends are
 * interposed below; a hook's own program, after its execve, no longer runs
 * them): it must stay 0. */
/* 1,000 hooks take about 25 s under ASan on this machine, close to tap.h's
 * 30 s per test; the watchdog below (alarm) is what catches a hang. */
#define TAP_TIMEOUT_MS 250000
#include "tap.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "hooks.h"
#include "utils.h"

static volatile int stop;

#include "foreign_alloc.h"

static void *
allocate (void *arg)
{
  unsigned int seed = (unsigned int)(uintptr_t)arg;
  void *keep[64] = { 0 };
  while (!stop)
    {
      int i = rand_r (&seed) % 64;
      free (keep[i]);
      keep[i] = malloc ((size_t)(rand_r (&seed) % 70000) + 1);
    }
  for (int i = 0; i < 64; i++)
    free (keep[i]);
  return NULL;
}

static const char *state_json = "{\"ociVersion\":\"1.2.0\",\"id\":\"threads\",\"status\":"
                                "\"creating\",\"pid\":1,\"bundle\":\"/\",\"annotations\":{}}";

static void
spawn_many (enum libcrun_autoreap_mode mode, int n)
{
  struct oci_hook h;
  struct libcrun_hook_options ho = { .autoreap = mode, .stdout_fd = -1, .stderr_fd = -1 };
  char *args[] = { (char *)"true", NULL };
  int i, failed = 0;

  memset (&h, 0, sizeof (h));
  h.path = (char *)"/bin/true";
  h.args = args;
  h.has_timeout = true;
  h.timeout = 20;
  for (i = 0; i < n; i++)
    {
      libcrun_error_t err = NULL;
      if (libcrun_run_hooks (&h, 1, OCI_HOOK_CREATE_RUNTIME, state_json, &ho, &err) < 0)
        {
          if (failed++ == 0)
            tap_check (0, "hook %d (mode %d): %s", i, mode, err->msg);
          libcrun_error_release (&err);
        }
    }
  tap_check (failed == 0, "%d of %d hooks failed in mode %d", failed, n, mode);
}

static void
test_hooks_while_threads_allocate (void)
{
  pthread_t t[4];
  int i;

  mallopt (M_ARENA_MAX, 1);
  main_pid = syscall (SYS_getpid);
  foreign_calls = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  tap_require (foreign_calls != MAP_FAILED, "mmap");
  /* the counter sees a child that allocates */
  if (COUNT_FOREIGN_CALLS)
    {
      pid_t c = fork ();
      if (c == 0)
        {
          free (malloc (32));
          _exit (0);
        }
      waitpid (c, NULL, 0);
      tap_require (*foreign_calls >= 2, "a child's malloc and free were not counted (%ld)",
                   *foreign_calls);
      *foreign_calls = 0;
    }
  alarm (240); /* a hang is a failure, not a stuck suite */
  for (i = 0; i < 4; i++)
    tap_require (pthread_create (&t[i], NULL, allocate, (void *)(uintptr_t)(i + 1)) == 0,
                 "pthread_create");
  spawn_many (LIBCRUN_AUTOREAP_ON, 500);
  spawn_many (LIBCRUN_AUTOREAP_OFF, 500);
  stop = 1;
  for (i = 0; i < 4; i++)
    pthread_join (t[i], NULL);
  alarm (0);
  tap_check (!COUNT_FOREIGN_CALLS || *foreign_calls == 0,
             "the allocator was called %ld times in spawned children", *foreign_calls);
}

int
main (void)
{
  TAP_RUN (test_hooks_while_threads_allocate);
  return tap_done ();
}
