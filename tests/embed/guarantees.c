/* The process-wide guarantees of libcrun.h, checked through the public API
 * (built by tests/integration/test_library_guarantees.py against the
 * installed library): N containers with hooks are created, started, waited
 * for and deleted in this process, and afterwards its open fds, cwd, umask,
 * rlimits, namespaces, signal dispositions and signal mask are what they
 * were.  SIGPIPE keeps its default action, so a SIGPIPE raised in this
 * process by the library would kill it (the test sees that).
 *   guarantees STATE_ROOT BUNDLE N
 * Prints "ok ..." and exits 0, or names what changed and exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libcrun/libcrun.h>

static const char *const ns_names[]
    = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children",
        "user",   "uts", NULL };

struct snapshot
{
  char fds[4096];
  char cwd[4096];
  mode_t umask;
  struct rlimit rl[RLIM_NLIMITS];
  char ns[16][128];
  struct sigaction sa[NSIG];
  sigset_t mask;
};

static void
list_fds (char *out, size_t len)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *e;
  size_t n = 0;

  out[0] = '\0';
  while (d && (e = readdir (d)) != NULL)
    if (e->d_name[0] != '.' && atoi (e->d_name) != dirfd (d) && n + 12 < len)
      n += (size_t)snprintf (out + n, len - n, "%s ", e->d_name);
  if (d)
    closedir (d);
}

static void
take (struct snapshot *s)
{
  int i;

  memset (s, 0, sizeof (*s));
  list_fds (s->fds, sizeof (s->fds));
  if (getcwd (s->cwd, sizeof (s->cwd)) == NULL)
    s->cwd[0] = '\0';
  s->umask = umask (022);
  umask (s->umask);
  for (i = 0; i < RLIM_NLIMITS; i++)
    getrlimit (i, &s->rl[i]);
  for (i = 0; ns_names[i]; i++)
    {
      char p[64];
      ssize_t n;
      snprintf (p, sizeof (p), "/proc/self/ns/%s", ns_names[i]);
      n = readlink (p, s->ns[i], sizeof (s->ns[i]) - 1);
      s->ns[i][n > 0 ? n : 0] = '\0';
    }
  for (i = 1; i < NSIG; i++)
    sigaction (i, NULL, &s->sa[i]);
  sigprocmask (SIG_BLOCK, NULL, &s->mask);
}

static int
compare (const struct snapshot *a, const struct snapshot *b)
{
  int i, bad = 0;

  if (strcmp (a->fds, b->fds))
    printf ("open fds changed: before [%s] after [%s]\n", a->fds, b->fds), bad = 1;
  if (strcmp (a->cwd, b->cwd))
    printf ("cwd changed: %s -> %s\n", a->cwd, b->cwd), bad = 1;
  if (a->umask != b->umask)
    printf ("umask changed: %o -> %o\n", a->umask, b->umask), bad = 1;
  for (i = 0; i < RLIM_NLIMITS; i++)
    if (memcmp (&a->rl[i], &b->rl[i], sizeof (a->rl[i])))
      printf ("rlimit %d changed\n", i), bad = 1;
  for (i = 0; ns_names[i]; i++)
    if (strcmp (a->ns[i], b->ns[i]))
      printf ("namespace %s changed: %s -> %s\n", ns_names[i], a->ns[i], b->ns[i]), bad = 1;
  for (i = 1; i < NSIG; i++)
    if (a->sa[i].sa_handler != b->sa[i].sa_handler || a->sa[i].sa_flags != b->sa[i].sa_flags)
      printf ("disposition of signal %d changed\n", i), bad = 1;
  if (memcmp (&a->mask, &b->mask, sizeof (a->mask)))
    printf ("signal mask changed\n"), bad = 1;
  return bad;
}

static int
one_run (const char *root, const char *bundle, int k)
{
  struct libcrun_create_options o;
  struct libcrun_container_handle h;
  libcrun_error_t err = NULL;
  char id[32];
  int status;

  snprintf (id, sizeof (id), "g-%d", k);
  memset (&o, 0, sizeof (o));
  o.state_root = root;
  o.id = id;
  o.bundle = bundle;
  o.start_in_handle = true;
  if (libcrun_container_create (&o, &h, &err) < 0
      || libcrun_container_start_handle (root, id, &h, &err) < 0)
    {
      printf ("run %d: %s\n", k, err->msg);
      libcrun_error_release (&err);
      return 1;
    }
  waitpid (h.pid, &status, 0); /* the init is our child; nothing else is */
  if (h.pidfd >= 0)
    close (h.pidfd);
  if (h.terminal_master >= 0)
    close (h.terminal_master);
  if (libcrun_container_delete (root, id, true, &err) < 0)
    {
      printf ("delete %d: %s\n", k, err->msg);
      libcrun_error_release (&err);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  struct snapshot before, after;
  int n, k;

  if (argc != 4)
    return 2;
  /* The runtime's helper, where the library is not installed at its
   * prefix (the tests install it into a scratch DESTDIR); NULL: the
   * default. */
  libcrun_set_helper (getenv ("CRUN_TEST_HELPER"));
  n = atoi (argv[3]);
  signal (SIGPIPE, SIG_DFL);
  take (&before);
  for (k = 0; k < n; k++)
    if (one_run (argv[1], argv[2], k))
      return 1;
  take (&after);
  if (compare (&before, &after))
    return 1;
  printf ("ok runs=%d fds=[%s]\n", n, after.fds);
  return 0;
}
