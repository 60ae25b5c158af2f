/* Containers created, exec'd into and deleted while four threads of this
 * program allocate and free in a loop (built against libcrun.a by
 * tests/integration/test_library_guarantees.py):
 *   threads-create STATE_ROOT BUNDLE RUNS [MOUNTS_FILE]
 * The bundle's process must keep running (sleep).  With MOUNTS_FILE each
 * run also adds its mounts to the running container and removes them
 * (libcrun_container_change_mounts, whose child joins the container).  With one malloc arena
 * for all threads (M_ARENA_MAX 1) the arena's lock is held at almost any
 * instant; an init or exec'd process that called malloc between its clone
 * and its execve could inherit it held and hang.  Such a hang is rare, so
 * every call of the allocator made in a process other than this one is
 * also counted (malloc and friends are interposed below; after the execve
 * of the runtime's helper, a process no longer runs them): the count must
 * be 0.  Prints "ok runs=N foreign=0" and exits 0, or says what failed.
 * CRUN_TEST_HELPER names the helper (libcrun_set_helper). */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcrun/libcrun.h>

#include "tests/unit/foreign_alloc.h"

static volatile int stop;

static void *
allocate_forever (void *arg)
{
  (void)arg;
  while (!stop)
    {
      void *p[16];
      int i;
      for (i = 0; i < 16; i++)
        p[i] = malloc (64 + 512 * (size_t)i);
      for (i = 0; i < 16; i++)
        free (p[i]);
    }
  return NULL;
}

/* `true` in the container, waited for through its pidfd. */
static int
exec_true (const char *root, const char *id, libcrun_error_t *err)
{
  char *args[] = { (char *)"true", NULL };
  struct libcrun_exec_options eo;
  struct libcrun_container_handle h = LIBCRUN_CONTAINER_HANDLE_INIT;
  siginfo_t si;

  memset (&eo, 0, sizeof (eo));
  eo.state_root = root;
  eo.id = id;
  eo.args = args;
  eo.tty = -1;
  if (libcrun_container_exec (&eo, &h, err) < 0)
    return -1;
  memset (&si, 0, sizeof (si));
  waitid (P_PIDFD, (id_t)h.pidfd, &si, WEXITED | __WALL);
  close (h.pidfd);
  return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -2;
}

static const char *mounts_file;

/* The live mounts' child, added and removed. */
static int
change_mounts (const char *root, const char *id, libcrun_error_t *err)
{
  if (mounts_file == NULL)
    return 0;
  if (libcrun_container_change_mounts (root, id, mounts_file, true, err) < 0)
    return -1;
  return libcrun_container_change_mounts (root, id, mounts_file, false, err);
}

static int
one_run (const char *root, const char *bundle, int i)
{
  struct libcrun_create_options o;
  libcrun_error_t err = NULL;
  char id[64];
  int r;

  snprintf (id, sizeof (id), "threads-create-%d-%d", (int)main_pid, i);
  memset (&o, 0, sizeof (o));
  o.state_root = root;
  o.bundle = bundle;
  o.id = id;
  r = libcrun_container_create (&o, NULL, &err);
  if (r == 0)
    r = libcrun_container_start (root, id, &err);
  if (r == 0)
    r = exec_true (root, id, &err);
  if (r == 0)
    r = change_mounts (root, id, &err);
  if (r == -1)
    printf ("run %d: %s\n", i, err->msg);
  else if (r == -2)
    printf ("run %d: the exec'd `true` failed\n", i);
  libcrun_error_release (&err);
  if (libcrun_container_delete (root, id, true, &err) < 0)
    {
      printf ("run %d: delete: %s\n", i, err->msg);
      return -1;
    }
  return r;
}

int
main (int argc, char **argv)
{
  pthread_t t[4];
  int i, runs, failed = 0;

  if (argc != 4 && argc != 5)
    return 2;
  runs = atoi (argv[3]);
  mounts_file = argc == 5 ? argv[4] : NULL;
  libcrun_set_helper (getenv ("CRUN_TEST_HELPER"));
  mallopt (M_ARENA_MAX, 1);
  main_pid = syscall (SYS_getpid);
  foreign_calls
      = mmap (NULL, sizeof (long), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (foreign_calls == MAP_FAILED)
    return 2;
  for (i = 0; i < 4; i++)
    pthread_create (&t[i], NULL, allocate_forever, NULL);
  for (i = 0; i < runs && !failed; i++)
    failed = one_run (argv[1], argv[2], i) != 0;
  stop = 1;
  for (i = 0; i < 4; i++)
    pthread_join (t[i], NULL);
  if (failed)
    return 1;
  printf ("ok runs=%d foreign=%ld\n", runs, *foreign_calls);
  return *foreign_calls == 0 ? 0 : 1;
}
