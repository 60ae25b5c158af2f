/* Unit tests of the spawner (libcrun/spawn.c) on the running kernel: exit
 * codes, signals, timeouts and kills, stdin handling, leaks over many
 * spawns, and every rung of the reaping ladder forced through the test-only
 * switch libcrun_spawn_test_limit_rung.
 *
 * Each test runs in its own forked child (tap.h), so the spawner's cached
 * probe result and the test switch start fresh in every test. */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"
#include "spawn.h"
#include "syscalls.h"
#include "utils.h"

/* Rung 3: the rung used when clone3 itself is refused (legacy clone with
 * CLONE_PIDFD and exit signal 0). */
#define RUNG_NO_CLONE3 LIBCRUN_RUNG_CLONE

/* ------------------------------------------------------------ helpers */

static long long
mono_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
opts_init (struct libcrun_spawn_options *o)
{
  memset (o, 0, sizeof (*o));
  o->stdout_fd = -1;
  o->stderr_fd = -1;
}

/* Spawn `sh -c script`; require success. */
static void
spawn_sh (struct libcrun_process *p, const char *script, bool autoreap, bool new_pgroup)
{
  char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };
  struct libcrun_spawn_options o;
  libcrun_error_t err = NULL;
  opts_init (&o);
  o.path = "/bin/sh";
  o.argv = argv;
  o.autoreap = autoreap;
  o.new_pgroup = new_pgroup;
  tap_require (libcrun_spawn (&o, p, &err) == 0, "spawn sh -c '%s': %s", script,
               err ? err->msg : "?");
}

static void
wait_ok (struct libcrun_process *p, int timeout_ms, struct libcrun_wait_result *r)
{
  libcrun_error_t err = NULL;
  tap_require (libcrun_process_wait (p, timeout_ms, r, &err) == 0, "wait: %s",
               err ? err->msg : "?");
}

static bool
pid_alive (pid_t pid)
{
  char path[64], buf[512];
  int fd;
  ssize_t n;
  char *s;
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  s = strrchr (buf, ')');
  /* a zombie is not alive (and is checked for separately) */
  return s && s[1] == ' ' && s[2] != 'Z' && s[2] != 'X';
}

/* Number of processes whose parent is us (zombies included). */
static int
count_children (void)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  int n = 0;
  pid_t self = getpid ();
  tap_require (d != NULL, "opendir /proc");
  while ((de = readdir (d)))
    {
      char path[300], buf[512], *s;
      int fd, ppid;
      ssize_t r;
      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      snprintf (path, sizeof (path), "/proc/%s/stat", de->d_name);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      r = read (fd, buf, sizeof (buf) - 1);
      close (fd);
      if (r <= 0)
        continue;
      buf[r] = '\0';
      s = strrchr (buf, ')');
      if (s && sscanf (s + 2, "%*c %d", &ppid) == 1 && ppid == self)
        n++;
    }
  closedir (d);
  return n;
}

/* The fds open in this process, as a string "0 1 2 5 ...". */
static void
fd_list (char *out, size_t len)
{
  DIR *d = opendir ("/proc/self/fd");
  struct dirent *de;
  int dfd;
  size_t used = 0;
  tap_require (d != NULL, "opendir /proc/self/fd");
  dfd = dirfd (d);
  out[0] = '\0';
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || atoi (de->d_name) == dfd)
        continue;
      used += (size_t)snprintf (out + used, len - used, "%s ", de->d_name);
      tap_require (used < len, "fd list too long");
    }
  closedir (d);
}

static char *
make_tmpfile (int *fd)
{
  char *path = xstrdup ("/tmp/test_spawn.XXXXXX");
  *fd = mkostemp (path, O_CLOEXEC);
  tap_require (*fd >= 0, "mkostemp: %s", strerror (errno));
  return path;
}

static char *
slurp (const char *path, size_t *len)
{
  char *buf = NULL;
  size_t l = 0;
  libcrun_error_t err = NULL;
  tap_require (read_all_file (path, &buf, &l, &err) == 0, "read %s: %s", path,
               err ? err->msg : "?");
  if (len)
    *len = l;
  return buf;
}

/* Does this kernel accept CLONE_AUTOREAP?  Asked directly, not through the
 * spawner, so that a spawner bug cannot turn the skip into a pass. */
static bool
kernel_has_autoreap (int *err_out)
{
  struct libcrun_clone_args args;
  long r;
  memset (&args, 0, sizeof (args));
  args.flags = CLONE_AUTOREAP;
  args.exit_signal = 0;
  r = sys_clone3 (&args, sizeof (args));
  if (r == 0)
    _exit (0);
  *err_out = r < 0 ? errno : 0;
  /* with CLONE_AUTOREAP the child reaps itself: nothing to wait for */
  return r > 0;
}

static int
cb_sleep_exit2 (void *arg)
{
  struct timespec t = { 0, 200 * 1000 * 1000 };
  (void)arg;
  while (nanosleep (&t, &t) < 0 && errno == EINTR)
    ;
  return 2;
}

static int
cb_exit_code (void *arg)
{
  return *(int *)arg;
}

/* ------------------------------------------------- the common battery */

/* exit code, signal, timeout + kill, stdin round trip, exec failure: what
 * must hold on every rung.  `want` is the rung the spawn must report. */
static void
battery (bool autoreap, enum libcrun_spawn_rung want)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;

  spawn_sh (&p, "exit 7", autoreap, false);
  tap_check (p.rung == want, "rung %d (%s), want %d (%s)", p.rung, libcrun_spawn_rung_name (p.rung),
             want, libcrun_spawn_rung_name (want));
  tap_check (want == LIBCRUN_RUNG_PID ? p.pidfd < 0 : p.pidfd >= 0, "pidfd %d on rung %s", p.pidfd,
             libcrun_spawn_rung_name (p.rung));
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 7, "exit 7: kind %d code %d", r.kind,
             r.code);
  tap_check (p.done, "done after wait");
  libcrun_process_release (&p);

  spawn_sh (&p, "kill -USR1 $$", autoreap, false);
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGUSR1, "signal: kind %d code %d",
             r.kind, r.code);
  libcrun_process_release (&p);

  spawn_sh (&p, "exec sleep 30", autoreap, false);
  {
    long long t0 = mono_ms ();
    wait_ok (&p, 100, &r);
    tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "sleep 30 with a 100 ms timeout: kind %d", r.kind);
    tap_check (mono_ms () - t0 < 10000, "a 100 ms timeout returned after %lld ms", mono_ms () - t0);
  }
  tap_check (pid_alive (p.pid), "TIMEOUT leaves the child running");
  tap_require (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill: %s", err ? err->msg : "?");
  wait_ok (&p, 10000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGKILL, "killed: kind %d code %d",
             r.kind, r.code);
  libcrun_process_release (&p);

  /* fds 0, 1 and 2 only: an fd the caller left open without close-on-exec
   * does not reach the program (issue 9) */
  {
    int stray = dup2 (2, 57), fd, e;
    char *path = make_tmpfile (&fd), *got;
    char *argv[] = { (char *)"sh", (char *)"-c",
                     (char *)"for f in 3 4 5 6 57; do [ -e /proc/$$/fd/$f ] && echo $f; done; "
                             "echo end",
                     NULL };
    struct libcrun_spawn_options o;
    tap_require (stray == 57, "dup2: %s", strerror (errno));
    opts_init (&o);
    o.path = "/bin/sh";
    o.argv = argv;
    o.autoreap = autoreap;
    o.stdout_fd = fd;
    o.stdin_data = "x";
    o.stdin_len = 1;
    e = libcrun_spawn (&o, &p, &err);
    tap_require (e == 0, "spawn: %s", err ? err->msg : "?");
    wait_ok (&p, 10000, &r);
    libcrun_process_release (&p);
    close (stray);
    got = slurp (path, NULL);
    tap_check (strcmp (got, "end\n") == 0, "fds beyond 2 open in the program (rung %s): `%s`",
               libcrun_spawn_rung_name (want), got);
    free (got);
    unlink (path);
    close (fd);
    free (path);
  }

  /* stdin round trip through cat into a file */
  {
    char *argv[] = { (char *)"sh", (char *)"-c", (char *)"cat", NULL };
    struct libcrun_spawn_options o;
    static const char data[] = "{\"ociVersion\":\"1.2.0\",\"id\":\"x\"}";
    int fd;
    char *path = make_tmpfile (&fd), *got;
    opts_init (&o);
    o.path = "/bin/sh";
    o.argv = argv;
    o.autoreap = autoreap;
    o.stdin_data = data;
    o.stdin_len = strlen (data);
    o.stdout_fd = fd;
    tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn cat: %s", err ? err->msg : "?");
    wait_ok (&p, 10000, &r);
    tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 0, "cat: kind %d code %d", r.kind,
               r.code);
    libcrun_process_release (&p);
    got = slurp (path, NULL);
    tap_check (strcmp (got, data) == 0, "cat copied `%s`", got);
    unlink (path);
    close (fd);
    free (got);
    free (path);
  }

  /* a program that does not exist: an error naming it, nothing left */
  {
    struct libcrun_spawn_options o;
    int before = count_children ();
    opts_init (&o);
    o.path = "/nonexistent/hook";
    o.autoreap = autoreap;
    tap_check (libcrun_spawn (&o, &p, &err) < 0, "spawning a missing program fails");
    if (err)
      {
        tap_check (err->status == ENOENT, "errno %d, want ENOENT", err->status);
        tap_check (strstr (err->msg, "/nonexistent/hook") != NULL, "message names the path: %s",
                   err->msg);
        libcrun_error_release (&err);
      }
    tap_check (count_children () == before, "no child left after a failed exec (%d -> %d)", before,
               count_children ());
  }
}

/* ------------------------------------------------------------- tests */

static void
test_exit_code (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  int codes[] = { 0, 1, 42, 255 };
  size_t i;
  for (i = 0; i < sizeof (codes) / sizeof (codes[0]); i++)
    {
      char script[32];
      snprintf (script, sizeof (script), "exit %d", codes[i]);
      spawn_sh (&p, script, false, false);
      wait_ok (&p, -1, &r);
      tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == codes[i], "%s: kind %d code %d", script,
                 r.kind, r.code);
      libcrun_process_release (&p);
    }
}

static void
test_signal (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  spawn_sh (&p, "kill -TERM $$; sleep 5", false, false);
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGTERM, "kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);

  spawn_sh (&p, "kill -KILL $$", true, false);
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGKILL, "kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);
}

static void
test_timeout_and_kill (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  long long t0;
  pid_t pid;

  spawn_sh (&p, "exec sleep 30", true, true);
  pid = p.pid;
  t0 = mono_ms ();
  wait_ok (&p, 200, &r);
  tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "kind %d", r.kind);
  tap_check (mono_ms () - t0 < 10000, "200 ms timeout took %lld ms", mono_ms () - t0);
  tap_check (!p.done, "not done at the timeout");
  /* a second wait with a zero timeout answers at once, still TIMEOUT */
  wait_ok (&p, 0, &r);
  tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "zero timeout: kind %d", r.kind);
  tap_require (libcrun_process_kill (&p, SIGTERM, &err) == 0, "kill: %s", err ? err->msg : "?");
  wait_ok (&p, 10000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGTERM, "kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);
  tap_check (!pid_alive (pid), "process %d gone", pid);
  /* killing a collected process is a no-op, not an error on a stale pid */
  tap_check (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill after release");
}

static void
test_ignores_sigterm (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  pid_t pid;
  int fd;
  char *path = make_tmpfile (&fd), *ready;
  char script[256];

  /* the shell says it is ready once the trap is set */
  snprintf (script, sizeof (script), "trap '' TERM; echo ready > %s; while :; do sleep 1; done",
            path);
  spawn_sh (&p, script, true, true);
  pid = p.pid;
  for (int i = 0; i < 1000; i++)
    {
      size_t l;
      ready = slurp (path, &l);
      if (l > 0)
        break;
      free (ready);
      ready = NULL;
      usleep (10000);
    }
  tap_require (ready != NULL, "the child never set its trap");
  free (ready);
  tap_require (libcrun_process_kill (&p, SIGTERM, &err) == 0, "kill TERM: %s",
               err ? err->msg : "?");
  wait_ok (&p, 300, &r);
  tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "SIGTERM ignored: still running, kind %d code %d",
             r.kind, r.code);
  tap_check (pid_alive (pid), "alive after SIGTERM");
  tap_require (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill KILL: %s",
               err ? err->msg : "?");
  wait_ok (&p, 10000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGKILL, "kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);
  unlink (path);
  close (fd);
  free (path);
}

/* release() of a running child kills and collects it: nothing leaks, even
 * one that ignores SIGTERM. */
static void
test_release_running (void)
{
  struct libcrun_process p;
  pid_t pid;
  int before = count_children ();
  spawn_sh (&p, "trap '' TERM; exec sleep 30", false, true);
  pid = p.pid;
  libcrun_process_release (&p);
  tap_check (!pid_alive (pid), "released child %d is gone", pid);
  tap_check (count_children () == before, "children %d -> %d (zombie?)", before, count_children ());
}

/* A process-group leader: a kill reaches the children it left behind. */
static void
test_kill_reaches_group (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int fd;
  char *path = make_tmpfile (&fd), *s = NULL;
  char script[256];
  pid_t bg = 0;

  snprintf (script, sizeof (script), "sleep 30 & echo $! > %s; wait", path);
  spawn_sh (&p, script, true, true);
  for (int i = 0; i < 1000 && bg <= 0; i++)
    {
      s = slurp (path, NULL);
      bg = atoi (s);
      free (s);
      if (bg <= 0)
        usleep (10000);
    }
  tap_require (bg > 0, "no background pid");
  tap_require (pid_alive (bg), "background child alive");
  wait_ok (&p, 50, &r);
  tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "kind %d", r.kind);
  tap_require (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill: %s", err ? err->msg : "?");
  wait_ok (&p, 10000, &r);
  libcrun_process_release (&p);
  /* the background sleep is reparented to init/subreaper, which reaps it */
  for (int i = 0; i < 500 && pid_alive (bg); i++)
    usleep (10000);
  tap_check (!pid_alive (bg), "background child %d of the group was killed too", bg);
  unlink (path);
  close (fd);
  free (path);
}

/* A process with exactly the pid `want` (clone3 set_tid, root only), made
 * the leader of its own process group, sleeping until killed.  0 when the
 * kernel or our privileges refuse to pick a pid. */
static pid_t
decoy_with_pid (pid_t want)
{
  struct libcrun_clone_args args;
  pid_t tid[1] = { want };
  long r = -1;
  for (int i = 0; i < 200; i++)
    {
      memset (&args, 0, sizeof (args));
      args.exit_signal = SIGCHLD;
      args.set_tid = (uint64_t)(uintptr_t)tid;
      args.set_tid_size = 1;
      r = sys_clone3 (&args, sizeof (args));
      if (r == 0)
        {
          setpgid (0, 0);
          for (;;)
            pause ();
        }
      if (r > 0 || errno != EEXIST)
        break;
      usleep (10000); /* the number is not free yet */
    }
  if (r <= 0)
    return 0;
  setpgid ((pid_t)r, (pid_t)r);
  return (pid_t)r;
}

/* The group is never signalled by a number that has been recycled: on the
 * autoreap rung the leader's pid is free once it is released, and a new
 * process may own it and lead a group of that number.  A kill of the old
 * hook must not reach it (a bare kill(-pid) once did). */
static void
test_kill_group_spares_recycled_pid (void)
{
  struct libcrun_process p;
  struct pollfd pfd;
  libcrun_error_t err = NULL;
  pid_t decoy;
  int e = 0, status;

  if (!kernel_has_autoreap (&e))
    tap_skip ("this kernel does not support CLONE_AUTOREAP (%s): no autoreap rung to check",
              strerror (e));
  spawn_sh (&p, "exit 0", true, true);
  tap_require (p.rung == LIBCRUN_RUNG_AUTOREAP, "rung %s", libcrun_spawn_rung_name (p.rung));
  pfd.fd = p.pidfd;
  pfd.events = POLLHUP;
  pfd.revents = 0;
  for (int i = 0; i < 500 && !(pfd.revents & POLLHUP); i++)
    if (poll (&pfd, 1, 10) < 0)
      break;
  tap_require (pfd.revents & POLLHUP, "the program was not released");
  decoy = decoy_with_pid (p.pid);
  if (decoy == 0)
    tap_skip ("clone3 with set_tid refused (%s): cannot recreate pid %d", strerror (errno), p.pid);
  tap_require (decoy == p.pid, "decoy pid %d, want %d", decoy, p.pid);
  tap_check (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill: %s", err ? err->msg : "?");
  usleep (50000);
  tap_check (waitpid (decoy, &status, WNOHANG) == 0,
             "the new process %d that leads group %d was killed by the old hook's kill", decoy,
             decoy);
  kill (decoy, SIGKILL);
  waitpid (decoy, &status, 0);
  libcrun_process_release (&p);
}

/* On the autoreap rung the group is named through the pidfd where the
 * kernel can (PIDFD_SIGNAL_PROCESS_GROUP, 6.9+): a kill still reaches what
 * the leader left in its group after it exited. */
static void
test_kill_group_after_leader_exit (void)
{
  struct libcrun_process p;
  struct pollfd pfd;
  libcrun_error_t err = NULL;
  int fd, e = 0;
  char *path = make_tmpfile (&fd), *s = NULL;
  char script[256];
  pid_t bg = 0;

  if (!kernel_has_autoreap (&e))
    tap_skip ("this kernel does not support CLONE_AUTOREAP (%s): no autoreap rung to check",
              strerror (e));
  snprintf (script, sizeof (script), "sleep 30 & echo $! > %s", path);
  spawn_sh (&p, script, true, true);
  if (sys_pidfd_send_signal (p.pidfd, 0, NULL, 1U << 2) < 0 && errno == EINVAL)
    tap_skip ("this kernel has no PIDFD_SIGNAL_PROCESS_GROUP (before 6.9)");
  pfd.fd = p.pidfd;
  pfd.events = POLLIN;
  tap_require (poll (&pfd, 1, 10000) == 1, "the leader did not exit");
  s = slurp (path, NULL);
  bg = atoi (s);
  free (s);
  tap_require (bg > 0 && pid_alive (bg), "background child %d alive", bg);
  tap_check (libcrun_process_kill (&p, SIGKILL, &err) == 0, "kill: %s", err ? err->msg : "?");
  for (int i = 0; i < 500 && pid_alive (bg); i++)
    usleep (10000);
  tap_check (!pid_alive (bg), "background child %d outlived a kill of its group", bg);
  if (pid_alive (bg))
    kill (bg, SIGKILL);
  libcrun_process_release (&p);
  unlink (path);
  close (fd);
  free (path);
}

/* CLONE_PIDFD_AUTOKILL: a "runtime" (a child of the test) spawns a hook in
 * autoreap mode and is SIGKILLed while the hook sleeps; the hook must be
 * gone within a second, and nothing is left to reap.  Where the kernel
 * lacks the flag the spawn still works and says so (p.autokill false). */
static void
test_autokill_when_spawner_dies (void)
{
  int pfd[2], e = 0, status;
  pid_t runtime;
  struct
  {
    pid_t pid;
    int autokill;
    int refusal;
  } rep = { 0, 0, 0 };

  if (!kernel_has_autoreap (&e))
    tap_skip ("this kernel does not support CLONE_AUTOREAP (%s): no autoreap rung to check",
              strerror (e));
  tap_require (pipe2 (pfd, O_CLOEXEC) == 0, "pipe");
  runtime = fork ();
  tap_require (runtime >= 0, "fork");
  if (runtime == 0)
    {
      struct libcrun_process p;
      spawn_sh (&p, "exec sleep 30", true, false);
      rep.pid = p.pid;
      rep.autokill = p.autokill;
      rep.refusal = libcrun_spawn_autokill_refusal ();
      (void)!write (pfd[1], &rep, sizeof (rep));
      for (;;)
        pause ();
    }
  close (pfd[1]);
  tap_require (read (pfd[0], &rep, sizeof (rep)) == (ssize_t)sizeof (rep), "report");
  close (pfd[0]);
  if (!rep.autokill)
    {
      kill (runtime, SIGKILL);
      waitpid (runtime, &status, 0);
      kill (rep.pid, SIGKILL);
      tap_check (rep.refusal == EINVAL || rep.refusal == EPERM, "refusal %d", rep.refusal);
      tap_skip ("CLONE_PIDFD_AUTOKILL refused here (%s)", strerror (rep.refusal));
    }
  tap_require (pid_alive (rep.pid), "the hook runs");
  kill (runtime, SIGKILL);
  waitpid (runtime, &status, 0);
  for (int i = 0; i < 100 && pid_alive (rep.pid); i++)
    usleep (10000);
  tap_check (!pid_alive (rep.pid), "the hook %d outlived its killed spawner by 1 s", rep.pid);
  tap_check (count_children () == 0, "nothing left to reap (%d children)", count_children ());
}

/* 1 MiB on stdin (far beyond a pipe or socket buffer) arrives whole. */
static void
test_stdin_large (void)
{
  size_t len = 1 << 20, got_len = 0;
  char *data = xmalloc (len), *got, *path;
  char *argv[] = { (char *)"cat", NULL };
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int fd;
  bool modes[] = { false, true };

  for (size_t i = 0; i < len; i++)
    data[i] = (char)('a' + (i * 7 + i / 4096) % 26);
  for (size_t m = 0; m < 2; m++)
    {
      path = make_tmpfile (&fd);
      opts_init (&o);
      o.path = "/bin/cat";
      o.argv = argv;
      o.stdin_data = data;
      o.stdin_len = len;
      o.stdout_fd = fd;
      o.autoreap = modes[m];
      tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn cat: %s", err ? err->msg : "?");
      wait_ok (&p, 20000, &r);
      tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 0, "cat: kind %d code %d", r.kind,
                 r.code);
      libcrun_process_release (&p);
      got = slurp (path, &got_len);
      tap_check (got_len == len, "cat wrote %zu bytes, want %zu", got_len, len);
      tap_check (got_len == len && memcmp (got, data, len) == 0, "content identical");
      free (got);
      unlink (path);
      close (fd);
      free (path);
    }
  free (data);
}

/* A child that never reads its stdin: the runtime neither dies of SIGPIPE
 * nor blocks, whether the child exits at once, later, or never. */
static void
test_stdin_never_read (void)
{
  size_t len = 4 << 20;
  char *data = xmalloc (len);
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  char *argv_exit[] = { (char *)"sh", (char *)"-c", (char *)"exec 0<&-; exit 3", NULL };
  char *argv_late[] = { (char *)"sh", (char *)"-c", (char *)"sleep 0.3; exit 4", NULL };
  char *argv_never[] = { (char *)"sleep", (char *)"30", NULL };
  long long t0;

  memset (data, 'x', len);
  /* SIGPIPE at its default action: a write to a closed pipe kills us */
  signal (SIGPIPE, SIG_DFL);

  opts_init (&o);
  o.stdin_data = data;
  o.stdin_len = len;
  o.path = "/bin/true";
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, 20000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 0, "/bin/true: kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);

  o.path = "/bin/sh";
  o.argv = argv_exit;
  o.autoreap = true;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, 20000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 3, "closes stdin: kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);

  o.argv = argv_late;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, 20000, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 4, "exits later: kind %d code %d", r.kind,
             r.code);
  libcrun_process_release (&p);

  o.path = "/bin/sleep";
  o.argv = argv_never;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  t0 = mono_ms ();
  wait_ok (&p, 300, &r);
  tap_check (r.kind == LIBCRUN_WAIT_TIMEOUT, "never reads, never exits: kind %d", r.kind);
  tap_check (mono_ms () - t0 < 10000, "the timeout held although stdin is full (%lld ms)",
             mono_ms () - t0);
  libcrun_process_release (&p);
  free (data);
}

/* 1,000 spawns: the fds and the children of the process are the same
 * before and after. */
static void
loop_no_leak (bool autoreap, enum libcrun_spawn_rung limit)
{
  char before[4096], after[4096];
  int kids_before, kids_after, i, failures = 0;
  static const char json[] = "{\"ociVersion\":\"1.2.0\"}";
  char *argv[] = { (char *)"true", NULL };

  libcrun_spawn_test_limit_rung (limit);
  /* the first spawn may probe; leave it out of the comparison */
  {
    struct libcrun_process p;
    struct libcrun_wait_result r;
    spawn_sh (&p, "exit 0", autoreap, true);
    wait_ok (&p, -1, &r);
    libcrun_process_release (&p);
  }
  fd_list (before, sizeof (before));
  kids_before = count_children ();
  for (i = 0; i < 1000; i++)
    {
      struct libcrun_spawn_options o;
      struct libcrun_process p;
      struct libcrun_wait_result r;
      libcrun_error_t err = NULL;
      opts_init (&o);
      o.path = "/bin/true";
      o.argv = argv;
      o.autoreap = autoreap;
      o.new_pgroup = true;
      o.stdin_data = json;
      o.stdin_len = sizeof (json) - 1;
      o.stdout_fd = LIBCRUN_SPAWN_DEVNULL;
      if (libcrun_spawn (&o, &p, &err) < 0)
        {
          if (failures++ == 0)
            tap_check (0, "spawn #%d: %s", i, err->msg);
          libcrun_error_release (&err);
          continue;
        }
      if (libcrun_process_wait (&p, 10000, &r, &err) < 0 || r.kind != LIBCRUN_WAIT_EXITED
          || r.code != 0)
        {
          if (failures++ == 0)
            tap_check (0, "wait #%d: %s (kind %d code %d)", i, err ? err->msg : "", r.kind, r.code);
          libcrun_error_release (&err);
        }
      libcrun_process_release (&p);
    }
  fd_list (after, sizeof (after));
  kids_after = count_children ();
  tap_check (failures == 0, "%d of 1000 spawns failed", failures);
  tap_check (strcmp (before, after) == 0, "fds before `%s`, after `%s`", before, after);
  tap_check (kids_before == kids_after, "children before %d, after %d", kids_before, kids_after);
}

static void
test_1000_spawns_no_leak (void)
{
  loop_no_leak (false, 0);
}

static void
test_1000_spawns_no_leak_autoreap_mode (void)
{
  loop_no_leak (true, 0);
}

static void
test_1000_spawns_no_leak_fork_rung (void)
{
  loop_no_leak (false, RUNG_NO_CLONE3);
}

static void
test_1000_spawns_no_leak_pid_rung (void)
{
  loop_no_leak (false, LIBCRUN_RUNG_PID);
}

static void
test_rung_autoreap (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  int e = 0;
  int status;

  if (!kernel_has_autoreap (&e))
    tap_skip ("this kernel does not support CLONE_AUTOREAP (clone3 answered %s): rung 1 "
              "(clone3-autoreap) cannot be exercised",
              strerror (e));

  libcrun_spawn_test_limit_rung (LIBCRUN_RUNG_AUTOREAP);
  tap_check (libcrun_spawn_best_rung () == LIBCRUN_RUNG_AUTOREAP, "best rung %d",
             libcrun_spawn_best_rung ());
  battery (true, LIBCRUN_RUNG_AUTOREAP);
  /* the kernel reaps: the child is never ours to wait for */
  spawn_sh (&p, "exit 9", true, false);
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 9, "kind %d code %d", r.kind, r.code);
  tap_check (waitpid (p.pid, &status, WNOHANG | __WALL) < 0 && errno == ECHILD,
             "waitpid on an autoreaped child: ECHILD");
  libcrun_process_release (&p);
}

static void
test_rung_autoreap_falls_back (void)
{
  int e = 0;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  if (kernel_has_autoreap (&e))
    tap_skip ("this kernel supports CLONE_AUTOREAP: no fallback to check");
  tap_check (e == EINVAL, "clone3(CLONE_AUTOREAP) gave %s, DESIGN.md says EINVAL", strerror (e));
  /* autoreap mode on a kernel without the flag: the second rung, silently */
  tap_check (libcrun_spawn_best_rung () == LIBCRUN_RUNG_CLONE3, "best rung %d (%s)",
             libcrun_spawn_best_rung (), libcrun_spawn_rung_name (libcrun_spawn_best_rung ()));
  spawn_sh (&p, "exit 5", true, false);
  tap_check (p.rung == LIBCRUN_RUNG_CLONE3, "rung %s", libcrun_spawn_rung_name (p.rung));
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 5, "kind %d code %d", r.kind, r.code);
  libcrun_process_release (&p);
}

/* exit_signal 0: the parent gets no SIGCHLD, and waitpid(-1) without
 * __WALL does not see the child (spawn.h: "a SIGCHLD handler of the
 * embedding program is never signalled and its waitpid(-1) cannot steal
 * it").  `program`: the child execs a program (as hooks do) instead of
 * running a callback. */
static void
check_no_sigchld (bool autoreap, bool program)
{
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  char *argv[] = { (char *)"sleep", (char *)"0.2", NULL };
  sigset_t set, pending;
  int status;
  pid_t w;

  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigprocmask (SIG_BLOCK, &set, NULL);
  opts_init (&o);
  o.autoreap = autoreap;
  if (program)
    {
      o.path = "/bin/sleep";
      o.argv = argv;
    }
  else
    o.callback = cb_sleep_exit2;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  w = waitpid (-1, &status, 0);
  tap_check (w < 0 && errno == ECHILD,
             "waitpid(-1) of the embedding program took the spawned child %d (rung %s%s): "
             "returned %d",
             p.pid, libcrun_spawn_rung_name (p.rung), program ? ", after execve" : "", w);
  if (w == p.pid)
    {
      /* stolen: the spawner can no longer tell the exit status */
      tap_check (libcrun_process_wait (&p, -1, &r, &err) < 0, "wait after the theft");
      tap_check (0, "spawner wait after waitpid(-1) stole the child: %s", err ? err->msg : "ok");
      libcrun_error_release (&err);
      p.done = true;
    }
  else
    {
      wait_ok (&p, -1, &r);
      tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == (program ? 0 : 2), "kind %d code %d",
                 r.kind, r.code);
    }
  libcrun_process_release (&p);
  sigpending (&pending);
  tap_check (!sigismember (&pending, SIGCHLD), "SIGCHLD pending after the child exited (rung %s%s)",
             libcrun_spawn_rung_name (p.rung), program ? ", after execve" : "");
}

static void
test_clone_child_invisible (void)
{
  check_no_sigchld (false, false);
  check_no_sigchld (true, false);
}

static void
test_clone_child_invisible_after_exec (void)
{
  check_no_sigchld (false, true);
  check_no_sigchld (true, true);
}

static void
test_rung_clone3 (void)
{
  libcrun_spawn_test_limit_rung (LIBCRUN_RUNG_CLONE3);
  battery (false, LIBCRUN_RUNG_CLONE3);
  battery (true, LIBCRUN_RUNG_CLONE3);
  check_no_sigchld (false, false);
  check_no_sigchld (false, true);
}

static void
test_rung_fork (void)
{
  libcrun_spawn_test_limit_rung (RUNG_NO_CLONE3);
  tap_check (libcrun_spawn_best_rung () == RUNG_NO_CLONE3, "best rung %d",
             libcrun_spawn_best_rung ());
  battery (false, RUNG_NO_CLONE3);
  battery (true, RUNG_NO_CLONE3);
  /* every rung: the runtime never gets SIGCHLD, waitpid(-1) never sees it */
  check_no_sigchld (false, false);
  check_no_sigchld (false, true);
}

static void
test_rung_pid (void)
{
  libcrun_spawn_test_limit_rung (LIBCRUN_RUNG_PID);
  tap_check (libcrun_spawn_best_rung () == LIBCRUN_RUNG_PID, "best rung %d",
             libcrun_spawn_best_rung ());
  battery (false, LIBCRUN_RUNG_PID);
  battery (true, LIBCRUN_RUNG_PID);
  /* every rung: the runtime never gets SIGCHLD, waitpid(-1) never sees it */
  check_no_sigchld (false, false);
  check_no_sigchld (false, true);
}

/* The test switch is a pretence that ends: turning it off (0) gives the
 * kernel's real best rung back, even when the first probe ran under it. */
static void
test_limit_switch_reversible (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  enum libcrun_spawn_rung real;

  libcrun_spawn_test_limit_rung (RUNG_NO_CLONE3);
  tap_check (libcrun_spawn_best_rung () == RUNG_NO_CLONE3, "limited: %d",
             libcrun_spawn_best_rung ());
  libcrun_spawn_test_limit_rung (0);
  real = libcrun_spawn_best_rung ();
  tap_check (real <= LIBCRUN_RUNG_CLONE3, "after the switch is off the best rung is %d (%s)", real,
             libcrun_spawn_rung_name (real));
  spawn_sh (&p, "exit 0", true, false);
  tap_check (p.rung <= LIBCRUN_RUNG_CLONE3, "autoreap-mode spawn uses rung %s",
             libcrun_spawn_rung_name (p.rung));
  wait_ok (&p, -1, &r);
  libcrun_process_release (&p);
}

static void
test_callback (void)
{
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int code = 13;
  opts_init (&o);
  o.callback = cb_exit_code;
  o.callback_arg = &code;
  o.autoreap = true;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 13, "kind %d code %d", r.kind, r.code);
  libcrun_process_release (&p);

  opts_init (&o);
  tap_check (libcrun_spawn (&o, &p, &err) < 0, "neither path nor callback is an error");
  libcrun_error_release (&err);
}

/* args and env reach the program; env NULL means the caller's environ */
static void
test_args_env (void)
{
  char *argv[] = { (char *)"sh",  (char *)"-c", (char *)"echo \"$0|$1|$FOO|$BAR\"",
                   (char *)"a b", (char *)"c",  NULL };
  char *envp[] = { (char *)"FOO=foo", NULL };
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int fd;
  char *path = make_tmpfile (&fd), *got;

  opts_init (&o);
  o.path = "/bin/sh";
  o.argv = argv;
  o.envp = envp;
  o.stdout_fd = fd;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, -1, &r);
  libcrun_process_release (&p);
  setenv ("FOO", "inherited", 1);
  setenv ("BAR", "bar", 1);
  o.envp = NULL;
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  wait_ok (&p, -1, &r);
  libcrun_process_release (&p);
  got = slurp (path, NULL);
  tap_check (strcmp (got, "a b|c|foo|\na b|c|inherited|bar\n") == 0, "got `%s`", got);
  free (got);
  unlink (path);
  close (fd);
  free (path);
}

/* The rung cache must not be poisoned by normal mode (issue 17): a process
 * whose first spawn is in normal mode (second rung) must still get the
 * first rung in autoreap mode where the kernel has CLONE_AUTOREAP, and the
 * second rung, silently, where it does not. */
static void
test_rung_cache_normal_then_autoreap (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  int e = 0;
  enum libcrun_spawn_rung want
      = kernel_has_autoreap (&e) ? LIBCRUN_RUNG_AUTOREAP : LIBCRUN_RUNG_CLONE3;

  spawn_sh (&p, "exit 3", false, false);
  tap_check (p.rung == LIBCRUN_RUNG_CLONE3, "normal-mode spawn: rung %s",
             libcrun_spawn_rung_name (p.rung));
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 3, "kind %d code %d", r.kind, r.code);
  libcrun_process_release (&p);

  spawn_sh (&p, "exit 4", true, false);
  tap_check (p.rung == want, "autoreap-mode spawn after a normal one: rung %d (%s), want %d (%s)",
             p.rung, libcrun_spawn_rung_name (p.rung), want, libcrun_spawn_rung_name (want));
  wait_ok (&p, -1, &r);
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 4, "kind %d code %d", r.kind, r.code);
  libcrun_process_release (&p);
  tap_check (libcrun_spawn_best_rung () == want, "best rung %d (%s), want %d",
             libcrun_spawn_best_rung (), libcrun_spawn_rung_name (libcrun_spawn_best_rung ()),
             want);
  /* and normal mode after autoreap mode still gets the second rung */
  spawn_sh (&p, "exit 0", false, false);
  tap_check (p.rung == LIBCRUN_RUNG_CLONE3, "normal-mode spawn after autoreap: rung %s",
             libcrun_spawn_rung_name (p.rung));
  wait_ok (&p, -1, &r);
  libcrun_process_release (&p);
}

/* Skip unless rung 1 exists; the PIDFD_GET_INFO path is only taken there. */
static void
require_autoreap_rung (void)
{
  int e = 0;
  if (!kernel_has_autoreap (&e))
    tap_skip ("this kernel does not support CLONE_AUTOREAP (clone3 answered %s): the "
              "PIDFD_GET_INFO path of rung 1 runs in the patched guest (make check-kernel)",
              strerror (e));
}

/* A kernel that answers PIDFD_GET_INFO with ESRCH right after POLLIN (the
 * release race of issue 17) must not fail the spawn: the status comes after
 * the hang-up.  Both a program and a callback child, exit and signal. */
static void
test_autoreap_pidfd_info_esrch_once (void)
{
  struct libcrun_spawn_options o;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;
  int code = 21, i;

  require_autoreap_rung ();
  for (i = 0; i < 20; i++)
    {
      libcrun_spawn_test_fail_pidfd_info (1);
      spawn_sh (&p, i % 2 ? "exit 7" : "kill -9 $$", true, false);
      tap_check (p.rung == LIBCRUN_RUNG_AUTOREAP, "rung %s", libcrun_spawn_rung_name (p.rung));
      tap_require (libcrun_process_wait (&p, 10000, &r, &err) == 0, "wait after one ESRCH: %s",
                   err ? err->msg : "?");
      if (i % 2)
        tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 7, "kind %d code %d", r.kind, r.code);
      else
        tap_check (r.kind == LIBCRUN_WAIT_SIGNALED && r.code == SIGKILL, "kind %d code %d", r.kind,
                   r.code);
      libcrun_process_release (&p);
    }
  opts_init (&o);
  o.callback = cb_exit_code;
  o.callback_arg = &code;
  o.autoreap = true;
  libcrun_spawn_test_fail_pidfd_info (1);
  tap_require (libcrun_spawn (&o, &p, &err) == 0, "spawn: %s", err ? err->msg : "?");
  tap_require (libcrun_process_wait (&p, 10000, &r, &err) == 0, "callback wait: %s",
               err ? err->msg : "?");
  tap_check (r.kind == LIBCRUN_WAIT_EXITED && r.code == 21, "kind %d code %d", r.kind, r.code);
  libcrun_process_release (&p);
}

/* ESRCH after the hang-up is final: an error naming the call, not a hang. */
static void
test_autoreap_pidfd_info_esrch_after_hangup (void)
{
  struct libcrun_process p;
  struct libcrun_wait_result r;
  libcrun_error_t err = NULL;

  require_autoreap_rung ();
  libcrun_spawn_test_fail_pidfd_info (2);
  spawn_sh (&p, "exit 0", true, false);
  tap_check (libcrun_process_wait (&p, 10000, &r, &err) < 0, "two ESRCH answers must fail");
  tap_check (err && err->status == ESRCH && strstr (err->msg, "PIDFD_GET_INFO"),
             "error: %s (errno %d)", err ? err->msg : "none", err ? err->status : 0);
  libcrun_error_release (&err);
  p.done = true;
  libcrun_process_release (&p);
}

int
main (void)
{
  TAP_RUN (test_exit_code);
  TAP_RUN (test_signal);
  TAP_RUN (test_timeout_and_kill);
  TAP_RUN (test_ignores_sigterm);
  TAP_RUN (test_release_running);
  TAP_RUN (test_kill_reaches_group);
  TAP_RUN (test_kill_group_spares_recycled_pid);
  TAP_RUN (test_kill_group_after_leader_exit);
  TAP_RUN (test_autokill_when_spawner_dies);
  TAP_RUN (test_stdin_large);
  TAP_RUN (test_stdin_never_read);
  TAP_RUN (test_args_env);
  TAP_RUN (test_callback);
  TAP_RUN (test_1000_spawns_no_leak);
  TAP_RUN (test_1000_spawns_no_leak_autoreap_mode);
  TAP_RUN (test_1000_spawns_no_leak_fork_rung);
  TAP_RUN (test_1000_spawns_no_leak_pid_rung);
  TAP_RUN (test_rung_autoreap);
  TAP_RUN (test_rung_autoreap_falls_back);
  TAP_RUN (test_rung_clone3);
  TAP_RUN (test_rung_fork);
  TAP_RUN (test_rung_pid);
  TAP_RUN (test_clone_child_invisible);
  TAP_RUN (test_clone_child_invisible_after_exec);
  TAP_RUN (test_limit_switch_reversible);
  TAP_RUN (test_rung_cache_normal_then_autoreap);
  TAP_RUN (test_autoreap_pidfd_info_esrch_once);
  TAP_RUN (test_autoreap_pidfd_info_esrch_after_hangup);
  return tap_done ();
}
