/* A program that embeds libcrun and does its own child handling: it
 * installs a SIGCHLD handler that counts signals and reaps with the classic
 * waitpid(-1, WNOHANG) loop, runs OCI hooks through libcrun in autoreap mode
 * (run.oci.autoreap=1), and checks that
 *   - its handler saw no SIGCHLD from the hooks,
 *   - none of its own children's exits were stolen by libcrun, and its
 *     handler's waitpid(-1) did not steal the hooks' exits either (the hook
 *     results, including a failing and a timed-out hook, are still right),
 *   - libcrun left its SIGCHLD disposition and its signal mask alone. */
#include "tap.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "hooks.h"
#include "linux.h"
#include "spawn.h"
#include "syscalls.h"
#include "utils.h"

#define MAX_REC 256

static volatile sig_atomic_t n_signals;
static volatile pid_t signal_pids[MAX_REC];
static volatile sig_atomic_t n_reaped;
static volatile pid_t reaped_pids[MAX_REC];
static volatile int reaped_status[MAX_REC];

static void
on_sigchld (int sig, siginfo_t *si, void *ctx)
{
  int saved = errno, status;
  pid_t pid;
  (void)sig;
  (void)ctx;
  if (n_signals < MAX_REC)
    signal_pids[n_signals] = si->si_pid;
  n_signals++;
  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    if (n_reaped < MAX_REC)
      {
        reaped_pids[n_reaped] = pid;
        reaped_status[n_reaped] = status;
        n_reaped++;
      }
  errno = saved;
}

static void
install_handler (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof (sa));
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  sigemptyset (&sa.sa_mask);
  tap_require (sigaction (SIGCHLD, &sa, NULL) == 0, "sigaction: %s", strerror (errno));
}

static struct oci_hook
sh_hook (const char *script, int timeout)
{
  struct oci_hook h;
  memset (&h, 0, sizeof (h));
  h.path = xstrdup ("/bin/sh");
  h.args = xmalloc (4 * sizeof (char *));
  h.args[0] = xstrdup ("sh");
  h.args[1] = xstrdup ("-c");
  h.args[2] = xstrdup (script);
  h.args[3] = NULL;
  h.has_timeout = timeout > 0;
  h.timeout = timeout;
  return h;
}

/* Hook options from the annotation, as the runtime derives them. */
static void
autoreap_options (struct libcrun_hook_options *ho)
{
  struct oci_kv ann[] = { { (char *)"run.oci.autoreap", (char *)"1" } };
  enum libcrun_autoreap_mode mode;
  libcrun_error_t err = NULL;
  tap_require (libcrun_autoreap_mode_from_annotations (ann, 1, &mode, &err) == 0, "mode: %s",
               err ? err->msg : "?");
  tap_require (mode == LIBCRUN_AUTOREAP_ON, "run.oci.autoreap=1 gives mode %d", mode);
  tap_require (libcrun_hook_options_open (ann, 1, mode, ho, &err) == 0, "options: %s",
               err ? err->msg : "?");
}

static const char *state_json
    = "{\"ociVersion\":\"1.2.0\",\"id\":\"embed\",\"status\":\"creating\","
      "\"pid\":1,\"bundle\":\"/\",\"annotations\":{}}";

/* Run one stage of hooks; return the error message (or NULL). */
static char *
run_hooks (struct oci_hook *hooks, size_t n, const struct libcrun_hook_options *ho)
{
  libcrun_error_t err = NULL;
  char *msg = NULL;
  if (libcrun_run_hooks (hooks, n, OCI_HOOK_CREATE_RUNTIME, state_json, ho, &err) < 0)
    {
      msg = xstrdup (err->msg);
      libcrun_error_release (&err);
    }
  return msg;
}

static void
snapshot_signals (sigset_t *mask, struct sigaction *sa)
{
  sigprocmask (SIG_SETMASK, NULL, mask);
  sigaction (SIGCHLD, NULL, sa);
}

static void
check_signals_untouched (const sigset_t *mask0, const struct sigaction *sa0)
{
  sigset_t mask;
  struct sigaction sa;
  int s;
  snapshot_signals (&mask, &sa);
  for (s = 1; s < NSIG; s++)
    if (s < 32 || s >= SIGRTMIN)
      tap_check (sigismember (&mask, s) == sigismember (mask0, s), "signal %d: mask changed", s);
  tap_check (sa.sa_sigaction == sa0->sa_sigaction && sa.sa_flags == sa0->sa_flags,
             "the SIGCHLD disposition changed");
}

/* Hooks only: the handler must never run. */
static void
test_hooks_send_no_sigchld (void)
{
  struct libcrun_hook_options ho;
  struct oci_hook ok[]
      = { sh_hook ("cat > /dev/null", 0), sh_hook ("exit 0", 5), sh_hook ("sleep 0.2", 5) };
  struct oci_hook fail[] = { sh_hook ("exit 3", 0) };
  struct oci_hook sig[] = { sh_hook ("kill -9 $$", 0) };
  struct oci_hook slow[] = { sh_hook ("sleep 30 & sleep 30", 1) };
  sigset_t mask0;
  struct sigaction sa0;
  char *msg;
  int i;

  install_handler ();
  /* a mask of the program's own choosing that must survive */
  {
    sigset_t s;
    sigemptyset (&s);
    sigaddset (&s, SIGUSR2);
    sigprocmask (SIG_BLOCK, &s, NULL);
  }
  snapshot_signals (&mask0, &sa0);
  autoreap_options (&ho);
  tap_check (libcrun_spawn_best_rung () != LIBCRUN_RUNG_CLONE
                 && libcrun_spawn_best_rung () != LIBCRUN_RUNG_PID,
             "autoreap mode must use a clone3 rung here, got %s",
             libcrun_spawn_rung_name (libcrun_spawn_best_rung ()));

  for (i = 0; i < 20; i++)
    {
      msg = run_hooks (ok, 3, &ho);
      tap_check (msg == NULL, "round %d: %s", i, msg);
      free (msg);
    }
  msg = run_hooks (fail, 1, &ho);
  tap_check (msg && strstr (msg, "exited with status 3"), "failing hook: %s", msg);
  free (msg);
  msg = run_hooks (sig, 1, &ho);
  tap_check (msg && strstr (msg, "signal 9"), "killed hook: %s", msg);
  free (msg);
  msg = run_hooks (slow, 1, &ho);
  tap_check (msg && strstr (msg, "timed out"), "slow hook: %s", msg);
  free (msg);

  /* let any stray signal arrive */
  usleep (200000);
  tap_check (n_signals == 0, "the program's SIGCHLD handler ran %d times (first si_pid %d)",
             (int)n_signals, n_signals ? (int)signal_pids[0] : 0);
  tap_check (n_reaped == 0, "the program's waitpid(-1) reaped %d processes", (int)n_reaped);
  check_signals_untouched (&mask0, &sa0);
  libcrun_hook_options_close (&ho);
}

/* The program's own children exit while hooks run: every exit reaches the
 * program's handler, with the right status, and nothing else does. */
static void
test_own_children_not_stolen (void)
{
  struct libcrun_hook_options ho;
  struct oci_hook hooks[] = { sh_hook ("sleep 0.15", 5), sh_hook ("cat >/dev/null; sleep 0.1", 5),
                              sh_hook ("sleep 0.15", 5) };
  struct oci_hook fail[] = { sh_hook ("sleep 0.1; exit 4", 5) };
  enum
  {
    N = 6
  };
  pid_t own[N];
  sigset_t mask0;
  struct sigaction sa0;
  char *msg;
  int i, j, round;
  struct timespec ts = { 0, 10 * 1000 * 1000 };

  install_handler ();
  snapshot_signals (&mask0, &sa0);
  autoreap_options (&ho);

  for (i = 0; i < N; i++)
    {
      own[i] = fork ();
      tap_require (own[i] >= 0, "fork: %s", strerror (errno));
      if (own[i] == 0)
        {
          /* staggered across the hook runs below */
          struct timespec t = { 0, (long)(i + 1) * 120 * 1000 * 1000 };
          while (nanosleep (&t, &t) < 0 && errno == EINTR)
            ;
          _exit (10 + i);
        }
    }
  for (round = 0; round < 4; round++)
    {
      msg = run_hooks (hooks, 3, &ho);
      tap_check (msg == NULL, "round %d: %s", round, msg);
      free (msg);
      msg = run_hooks (fail, 1, &ho);
      /* the handler's waitpid(-1) must not have eaten the hook's status */
      tap_check (msg && strstr (msg, "exited with status 4"), "round %d, failing hook: %s", round,
                 msg);
      free (msg);
    }
  for (i = 0; i < 1000 && n_reaped < N; i++)
    nanosleep (&ts, NULL);

  tap_check (n_reaped == N, "the handler reaped %d of its %d children", (int)n_reaped, N);
  for (i = 0; i < N; i++)
    {
      bool found = false;
      for (j = 0; j < n_reaped && j < MAX_REC; j++)
        if (reaped_pids[j] == own[i])
          {
            found = true;
            tap_check (WIFEXITED (reaped_status[j]) && WEXITSTATUS (reaped_status[j]) == 10 + i,
                       "child %d: status 0x%x", own[i], reaped_status[j]);
          }
      tap_check (found, "own child %d was never reaped by the program (stolen?)", own[i]);
    }
  for (j = 0; j < n_reaped && j < MAX_REC; j++)
    {
      bool mine = false;
      for (i = 0; i < N; i++)
        mine |= reaped_pids[j] == own[i];
      tap_check (mine, "the handler reaped pid %d, not one of its children (a hook?)",
                 reaped_pids[j]);
    }
  tap_check (n_signals >= 1 && n_signals <= N, "%d SIGCHLD for %d children", (int)n_signals, N);
  for (j = 0; j < n_signals && j < MAX_REC; j++)
    {
      bool mine = false;
      for (i = 0; i < N; i++)
        mine |= signal_pids[j] == own[i];
      tap_check (mine, "SIGCHLD #%d came from pid %d, not one of the program's children", j,
                 signal_pids[j]);
    }
  check_signals_untouched (&mask0, &sa0);
  libcrun_hook_options_close (&ho);
}

static ino_t
ns_inode (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 ? st.st_ino : 0;
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* A config that names the pid and time namespaces of `holder` by path (a
 * container joining another one's namespaces) makes the library setns into
 * them on the thread that clones the init.  Afterwards the embedding
 * program's children must be born where they were before: the namespaces
 * are restored (once they were not). */
static void
test_caller_namespaces_restored (void)
{
  static const char *const self[2]
      = { "/proc/thread-self/ns/pid_for_children", "/proc/thread-self/ns/time_for_children" };
  struct libcrun_clone_args args;
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  char json[512], path[64];
  ino_t before[2], holder_ns[2];
  int saved[2] = { -1, -1 }, status;
  pid_t holder;

  memset (&args, 0, sizeof (args));
  args.flags = CLONE_NEWPID | CLONE_NEWTIME;
  args.exit_signal = SIGCHLD;
  holder = (pid_t)sys_clone3 (&args, sizeof (args));
  if (holder == 0)
    {
      for (;;)
        pause ();
    }
  if (holder < 0)
    tap_skip ("clone3 into a new pid and time namespace refused (%s)", strerror (errno));
  snprintf (path, sizeof (path), "/proc/%d/ns/pid", holder);
  holder_ns[0] = ns_inode (path);
  snprintf (path, sizeof (path), "/proc/%d/ns/time", holder);
  holder_ns[1] = ns_inode (path);
  for (int i = 0; i < 2; i++)
    before[i] = ns_inode (self[i]);
  tap_require (holder_ns[0] && holder_ns[0] != before[0], "holder's pid namespace");
  snprintf (json, sizeof (json),
            "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":["
            "{\"type\":\"pid\",\"path\":\"/proc/%d/ns/pid\"},"
            "{\"type\":\"time\",\"path\":\"/proc/%d/ns/time\"}]}}",
            holder, holder);
  tap_require (libcrun_config_load_string (json, "t", &c, &err) == 0, "config: %s",
               err ? err->msg : "?");
  tap_require (libcrun_linux_enter_parent_namespaces (c, saved, &err) == 0, "enter: %s",
               err ? err->msg : "?");
  for (int i = 0; i < 2; i++)
    tap_check (ns_inode (self[i]) == holder_ns[i], "%s is the holder's while the init is cloned",
               self[i]);
  libcrun_linux_restore_parent_namespaces (saved);
  for (int i = 0; i < 2; i++)
    tap_check (ns_inode (self[i]) == before[i], "%s restored for the caller's children", self[i]);
  tap_check (saved[0] == -1 && saved[1] == -1, "saved fds closed");
  libcrun_config_free (c);
  kill (holder, SIGKILL);
  waitpid (holder, &status, 0);
}

int
main (void)
{
  TAP_RUN (test_hooks_send_no_sigchld);
  TAP_RUN (test_own_children_not_stolen);
  TAP_RUN (test_caller_namespaces_restored);
  return tap_done ();
}
