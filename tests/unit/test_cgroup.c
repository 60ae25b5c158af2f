/* Tests of libcrun/cgroup.c on the real machine (needs root and a mounted
 * cgroup file system).  Every cgroup the tests make is called
 * "/crun-test-<pid of main>-N..." and main() sweeps them all at the end,
 * killing what is left inside, so a failing test leaves nothing behind. */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "error.h"
#include "utils.h"

#define CG_ROOT "/sys/fs/cgroup"

static pid_t main_pid;

static char *
test_path (int n)
{
  return xasprintf ("/crun-test-%d-%d", (int)main_pid, n);
}

static bool
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

static bool
is_hybrid_host (void)
{
  return is_dir (CG_ROOT "/memory") && access (CG_ROOT "/unified/cgroup.controllers", F_OK) == 0;
}

/* Read a cgroup file of hierarchy `hier` ("memory", "unified"...) of path,
 * trailing newline removed; NULL when missing. */
static char *
cg_file (const char *hier, const char *path, const char *file)
{
  cleanup_free char *p = NULL;
  libcrun_error_t err = NULL;
  char *content = NULL;
  size_t len;

  /* on v2 every file is in the one hierarchy at CG_ROOT */
  p = xasprintf (CG_ROOT "/%s%s/%s", access (CG_ROOT "/cgroup.controllers", F_OK) == 0 ? "" : hier,
                 path, file);
  if (read_all_file (p, &content, &len, &err) < 0)
    {
      libcrun_error_release (&err);
      return NULL;
    }
  while (len && content[len - 1] == '\n')
    content[--len] = '\0';
  return content;
}

static void
check_file (const char *hier, const char *path, const char *file, const char *want)
{
  cleanup_free char *got = cg_file (hier, path, file);
  tap_check (got && strcmp (got, want) == 0, "%s%s/%s: want `%s`, got `%s`", hier, path, file, want,
             got ? got : "(missing)");
}

static yajl_val
parse_json (const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse (text, errbuf, sizeof (errbuf));
  tap_require (v != NULL, "parse `%s`: %s", text, errbuf);
  return v;
}

/* The directories below CG_ROOT where a test's cgroup may be: every v1
 * hierarchy and the unified one (hybrid, v1), or CG_ROOT itself (v2);
 * main() chooses. */
static const char *const v1_hierarchies[]
    = { "cpu",   "cpuacct", "cpuset",  "memory",  "devices", "freezer",
        "blkio", "pids",    "systemd", "unified", NULL };
static const char *const v2_hierarchies[] = { "", NULL };
static const char *v1_here[sizeof (v1_hierarchies) / sizeof (v1_hierarchies[0])];
static const char *const *hierarchies = v1_hierarchies;

static bool
is_v2_host (void)
{
  return access (CG_ROOT "/cgroup.controllers", F_OK) == 0;
}

/* A child that sleeps until killed, and dies with the test. */
static pid_t
spawn_sleeper (void)
{
  pid_t pid = fork ();
  tap_require (pid >= 0, "fork: %s", strerror (errno));
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      for (;;)
        pause ();
    }
  return pid;
}

static int
reap (pid_t pid)
{
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return status;
}

static struct libcrun_cgroup *
must_create (const char *path, const char *id)
{
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg = NULL;
  tap_require (libcrun_cgroup_create (path, id, &cg, &err) == 0, "create `%s`: %s",
               path ? path : "(null)", err ? err->msg : "?");
  return cg;
}

static void
must_apply (struct libcrun_cgroup *cg, const char *json)
{
  libcrun_error_t err = NULL;
  yajl_val v = parse_json (json);
  int ret = libcrun_cgroup_apply_resources (cg, v, &err);
  tap_check (ret == 0, "apply %s: %s", json, err ? err->msg : "?");
  libcrun_error_release (&err);
  yajl_tree_free (v);
}

/* apply must fail with a message containing `needle`. */
static void
must_fail_apply (struct libcrun_cgroup *cg, const char *json, const char *needle)
{
  libcrun_error_t err = NULL;
  yajl_val v = parse_json (json);
  int ret = libcrun_cgroup_apply_resources (cg, v, &err);
  tap_check (ret < 0, "apply %s should fail", json);
  tap_check (ret >= 0 || (err && strstr (err->msg, needle)), "error of %s names `%s`: %s", json,
             needle, err ? err->msg : "(none)");
  libcrun_error_release (&err);
  yajl_tree_free (v);
}

static void
must_destroy (struct libcrun_cgroup *cg, bool kill_procs)
{
  libcrun_error_t err = NULL;
  tap_check (libcrun_cgroup_destroy (cg, kill_procs, &err) == 0, "destroy: %s",
             err ? err->msg : "?");
  libcrun_error_release (&err);
}

/* ------------------------------------------------------------------------ */

static void
test_layout (void)
{
  libcrun_error_t err = NULL;
  enum libcrun_cgroup_layout layout = 0;

  tap_require (libcrun_cgroup_detect_layout (&layout, &err) == 0, "detect: %s",
               err ? err->msg : "?");
  if (is_hybrid_host ())
    tap_check (layout == LIBCRUN_CGROUP_HYBRID, "hybrid host detected as %d", (int)layout);
  else if (access (CG_ROOT "/cgroup.controllers", F_OK) == 0)
    tap_check (layout == LIBCRUN_CGROUP_V2, "v2 host detected as %d", (int)layout);
  else
    tap_check (layout == LIBCRUN_CGROUP_V1, "v1 host detected as %d", (int)layout);
}

static void
test_create_every_hierarchy (void)
{
  cleanup_free char *path = test_path (1);
  struct libcrun_cgroup *cg;
  size_t i;

  cg = must_create (path, "x");
  tap_check (strcmp (cg->path, path) == 0, "path `%s`", cg->path);
  tap_check (cg->layout
                 == (is_hybrid_host () ? LIBCRUN_CGROUP_HYBRID
                     : is_v2_host ()   ? LIBCRUN_CGROUP_V2
                                       : LIBCRUN_CGROUP_V1),
             "layout %d", (int)cg->layout);
  for (i = 0; hierarchies[i]; i++)
    {
      cleanup_free char *d = xasprintf (CG_ROOT "/%s%s", hierarchies[i], path);
      tap_check (is_dir (d), "%s exists", d);
    }
  must_destroy (cg, false);
  for (i = 0; hierarchies[i]; i++)
    {
      cleanup_free char *d = xasprintf (CG_ROOT "/%s%s", hierarchies[i], path);
      tap_check (!is_dir (d), "%s removed", d);
    }
  /* destroy is idempotent: missing directories are fine */
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

/* This process's cgroup as the manager takes it: the "0::" line, else
 * (pure v1) the name=systemd one. */
static char *
own_cgroup (void)
{
  cleanup_free char *content = NULL;
  libcrun_error_t err = NULL;
  char *p;
  tap_require (read_all_file ("/proc/self/cgroup", &content, NULL, &err) == 0, "read");
  p = strstr (content, "0::");
  if (p && (p == content || p[-1] == '\n'))
    p += 3;
  else
    {
      p = strstr (content, ":name=systemd:");
      tap_require (p != NULL, "no 0:: and no name=systemd line");
      p += strlen (":name=systemd:");
    }
  p[strcspn (p, "\n")] = '\0';
  return xstrdup (p);
}

static void
rmdir_everywhere (const char *path)
{
  size_t i;
  for (i = 0; hierarchies[i]; i++)
    {
      cleanup_free char *d = xasprintf (CG_ROOT "/%s%s", hierarchies[i], path);
      rmdir (d); /* may be used by others: ignore failures */
    }
}

static void
test_relative_and_default_paths (void)
{
  cleanup_free char *rel = xasprintf ("crun-test-%d-2/./sub", (int)main_pid);
  cleanup_free char *own = NULL;
  cleanup_free char *want = NULL;
  cleanup_free char *id = xasprintf ("crun-test-%d-3", (int)main_pid);
  cleanup_free char *want_default = xasprintf ("/crun/%s", id);
  cleanup_free char *top = test_path (2);
  cleanup_free char *own_top = NULL;
  struct libcrun_cgroup *cg;

  own = own_cgroup ();
  want = xasprintf ("%s/crun-test-%d-2/sub", strcmp (own, "/") == 0 ? "" : own, (int)main_pid);
  own_top = xasprintf ("%s%s", strcmp (own, "/") == 0 ? "" : own, top);

  cg = must_create (rel, "x");
  tap_check (strcmp (cg->path, want) == 0, "relative: want `%s`, got `%s`", want, cg->path);
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
  rmdir_everywhere (own_top);

  cg = must_create (NULL, id);
  tap_check (strcmp (cg->path, want_default) == 0, "default: want `%s`, got `%s`", want_default,
             cg->path);
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
  rmdir_everywhere ("/crun");

  /* load rebuilds the handle without touching the file system */
  {
    libcrun_error_t err = NULL;
    tap_check (libcrun_cgroup_load ("/a//b/", &cg, &err) == 0, "load");
    if (cg)
      {
        tap_check (strcmp (cg->path, "/a/b") == 0, "load normalises: `%s`", cg->path);
        libcrun_cgroup_free (cg);
      }
    cg = NULL;
    tap_check (libcrun_cgroup_load ("relative", &cg, &err) < 0, "load refuses a relative path");
    libcrun_error_release (&err);
  }
}

static void
test_enter (void)
{
  cleanup_free char *path = test_path (4);
  cleanup_free char *procfile = NULL;
  cleanup_free char *content = NULL;
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg;
  char *line, *saveptr = NULL;
  int lines = 0;
  pid_t child;

  cg = must_create (path, "x");
  child = spawn_sleeper ();
  tap_check (libcrun_cgroup_enter (cg, child, &err) == 0, "enter: %s", err ? err->msg : "?");
  libcrun_error_release (&err);

  procfile = xasprintf ("/proc/%d/cgroup", (int)child);
  tap_require (read_all_file (procfile, &content, NULL, &err) == 0, "read %s", procfile);
  for (line = strtok_r (content, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *p = strchr (line, ':');
      p = p ? strchr (p + 1, ':') : NULL;
      tap_check (p && strcmp (p + 1, path) == 0, "child line `%s` is in `%s`", line, path);
      lines++;
    }
  /* one line per hierarchy: only v2 has a single one */
  tap_check (is_v2_host () ? lines == 1 : lines >= 2, "%d lines in %s", lines, procfile);

  kill (child, SIGKILL);
  reap (child);
  must_destroy (cg, true);
  libcrun_cgroup_free (cg);
}

static void
test_memory_and_pids (void)
{
  cleanup_free char *path = test_path (5);
  struct libcrun_cgroup *cg;

  if (is_v2_host ())
    tap_skip ("cgroup v2: test_memory_and_pids_v2");
  cg = must_create (path, "x");
  must_apply (cg,
              "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728},"
              " \"pids\": {\"limit\": 50}}");
  check_file ("memory", path, "memory.limit_in_bytes", "67108864");
  check_file ("memory", path, "memory.soft_limit_in_bytes", "33554432");
  if (access (CG_ROOT "/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
    check_file ("memory", path, "memory.memsw.limit_in_bytes", "134217728");
  check_file ("pids", path, "pids.max", "50");

  /* growing both: memsw has to move first, the manager handles the order */
  must_apply (cg, "{\"memory\": {\"limit\": 268435456, \"swap\": 536870912}}");
  check_file ("memory", path, "memory.limit_in_bytes", "268435456");
  if (access (CG_ROOT "/memory/memory.memsw.limit_in_bytes", F_OK) == 0)
    check_file ("memory", path, "memory.memsw.limit_in_bytes", "536870912");

  /* -1 / 0 pids limit: no limit */
  must_apply (cg, "{\"pids\": {\"limit\": -1}}");
  check_file ("pids", path, "pids.max", "max");
  must_apply (cg, "{\"pids\": {\"limit\": 7}}");
  must_apply (cg, "{\"pids\": {\"limit\": 0}}");
  check_file ("pids", path, "pids.max", "max");

  must_fail_apply (cg, "{\"memory\": {\"limit\": 268435456, \"swap\": 1048576}}", "memory.swap");
  must_fail_apply (cg, "{\"memory\": {\"limit\": \"big\"}}", "memory.limit");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_cpu (void)
{
  cleanup_free char *path = test_path (6);
  struct libcrun_cgroup *cg;

  if (is_v2_host ())
    tap_skip ("cgroup v2: test_cpu_v2");
  cg = must_create (path, "x");
  must_apply (cg, "{\"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000,"
                  " \"cpus\": \"0\", \"mems\": \"0\"}}");
  check_file ("cpu", path, "cpu.shares", "512");
  check_file ("cpu", path, "cpu.cfs_quota_us", "50000");
  check_file ("cpu", path, "cpu.cfs_period_us", "100000");
  check_file ("cpuset", path, "cpuset.cpus", "0");
  check_file ("cpuset", path, "cpuset.mems", "0");

  /* quota -1: unlimited; a new, shorter period */
  must_apply (cg, "{\"cpu\": {\"quota\": -1, \"period\": 50000}}");
  check_file ("cpu", path, "cpu.cfs_quota_us", "-1");
  check_file ("cpu", path, "cpu.cfs_period_us", "50000");
  /* zeros are "unset" and change nothing */
  must_apply (cg, "{\"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"cpus\": \"\"}}");
  check_file ("cpu", path, "cpu.shares", "512");
  must_fail_apply (cg, "{\"cpu\": {\"cpus\": \"0-4095\"}}", "cpu.cpus");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_cpuset_copied_from_parent (void)
{
  cleanup_free char *top = test_path (7);
  cleanup_free char *path = xasprintf ("%s/a/b", top);
  cleanup_free char *mid = xasprintf ("%s/a", top);
  cleanup_free char *root_cpus = NULL;
  cleanup_free char *root_mems = NULL;
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg;
  const char *levels[3];
  pid_t child;
  size_t i;

  if (!is_dir (CG_ROOT "/cpuset"))
    tap_skip ("no v1 cpuset hierarchy");
  root_cpus = cg_file ("cpuset", "", "cpuset.cpus");
  root_mems = cg_file ("cpuset", "", "cpuset.mems");
  tap_require (root_cpus && root_mems, "root cpuset files");

  cg = must_create (path, "x");
  levels[0] = top;
  levels[1] = mid;
  levels[2] = path;
  for (i = 0; i < 3; i++)
    {
      check_file ("cpuset", levels[i], "cpuset.cpus", root_cpus);
      check_file ("cpuset", levels[i], "cpuset.mems", root_mems);
    }
  child = spawn_sleeper ();
  tap_check (libcrun_cgroup_enter (cg, child, &err) == 0, "enter nested: %s", err ? err->msg : "?");
  libcrun_error_release (&err);
  must_destroy (cg, true);
  reap (child);
  libcrun_cgroup_free (cg);
  rmdir_everywhere (mid);
  rmdir_everywhere (top);
}

static void
test_devices_v1 (void)
{
  cleanup_free char *path = test_path (8);
  cleanup_free char *list = NULL;
  struct libcrun_cgroup *cg;
  static const char *const want[] = { "c 10:229 rw", "c 1:3 rwm",   "c 1:5 rwm", "c *:* m",
                                      "b *:* m",     "c 136:* rwm", "c 5:2 rwm", NULL };
  size_t i;

  if (!is_dir (CG_ROOT "/devices"))
    tap_skip ("no v1 devices controller");
  cg = must_create (path, "x");
  must_apply (
      cg, "{\"devices\": [{\"allow\": false, \"access\": \"rwm\"},"
          " {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"},"
          " {\"allow\": true, \"type\": \"b\", \"major\": 7, \"minor\": 0, \"access\": \"r\"},"
          " {\"allow\": false, \"type\": \"b\", \"major\": 7, \"minor\": 0, \"access\": \"r\"}]}");
  list = cg_file ("devices", path, "devices.list");
  tap_require (list != NULL, "devices.list readable");
  for (i = 0; want[i]; i++)
    tap_check (strstr (list, want[i]) != NULL, "devices.list has `%s`:\n%s", want[i], list);
  tap_check (strstr (list, "a *:* rwm") == NULL, "everything is no longer allowed:\n%s", list);
  tap_check (strstr (list, "b 7:0") == NULL, "the later deny removed b 7:0:\n%s", list);

  must_fail_apply (cg, "{\"devices\": [{\"allow\": true, \"type\": \"x\"}]}", "devices[0].type");
  must_fail_apply (cg, "{\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}",
                   "devices[0].access");
  must_fail_apply (cg, "{\"devices\": [{\"type\": \"c\"}]}", "devices[0].allow");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_freeze_thaw (void)
{
  cleanup_free char *path = test_path (9);
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg;
  pid_t child;

  cg = must_create (path, "x");
  child = spawn_sleeper ();
  tap_require (libcrun_cgroup_enter (cg, child, &err) == 0, "enter");

  tap_check (libcrun_cgroup_freeze (cg, true, &err) == 0, "freeze: %s", err ? err->msg : "?");
  libcrun_error_release (&err);
  if (is_dir (CG_ROOT "/freezer"))
    check_file ("freezer", path, "freezer.state", "FROZEN");
  tap_check (libcrun_cgroup_freeze (cg, false, &err) == 0, "thaw: %s", err ? err->msg : "?");
  libcrun_error_release (&err);
  if (is_dir (CG_ROOT "/freezer"))
    check_file ("freezer", path, "freezer.state", "THAWED");

  /* a frozen cgroup can still be killed and destroyed */
  tap_check (libcrun_cgroup_freeze (cg, true, &err) == 0, "freeze again");
  libcrun_error_release (&err);
  must_destroy (cg, true);
  tap_check (WIFSIGNALED (reap (child)), "child killed");
  libcrun_cgroup_free (cg);
}

static bool
pids_has (pid_t *pids, size_t n, pid_t pid)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static void
test_pids_and_kill_all (void)
{
  cleanup_free char *path = test_path (10);
  cleanup_free pid_t *pids = NULL;
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg;
  pid_t a, b, c;
  size_t n = 0;
  int st;

  cg = must_create (path, "x");
  a = spawn_sleeper ();
  b = spawn_sleeper ();
  tap_require (libcrun_cgroup_enter (cg, a, &err) == 0, "enter a");
  tap_require (libcrun_cgroup_enter (cg, b, &err) == 0, "enter b");

  tap_check (libcrun_cgroup_pids (cg, &pids, &n, &err) == 0, "pids: %s", err ? err->msg : "?");
  libcrun_error_release (&err);
  tap_check (n == 2 && pids_has (pids, n, a) && pids_has (pids, n, b), "pids lists both (%zu)", n);

  /* a signal other than SIGKILL is delivered once */
  tap_check (libcrun_cgroup_kill_all (cg, SIGTERM, &err) == 0, "kill_all TERM: %s",
             err ? err->msg : "?");
  libcrun_error_release (&err);
  st = reap (a);
  tap_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM, "a got SIGTERM (%d)", st);
  st = reap (b);
  tap_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGTERM, "b got SIGTERM (%d)", st);

  c = spawn_sleeper ();
  tap_require (libcrun_cgroup_enter (cg, c, &err) == 0, "enter c");
  tap_check (libcrun_cgroup_kill_all (cg, SIGKILL, &err) == 0, "kill_all KILL: %s",
             err ? err->msg : "?");
  libcrun_error_release (&err);
  st = reap (c);
  tap_check (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL, "c got SIGKILL (%d)", st);

  free (pids);
  pids = NULL;
  tap_check (libcrun_cgroup_pids (cg, &pids, &n, &err) == 0 && n == 0, "empty after kill (%zu)", n);
  libcrun_error_release (&err);
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_destroy_with_kill (void)
{
  cleanup_free char *path = test_path (11);
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg;
  pid_t child;
  size_t i;

  cg = must_create (path, "x");
  child = spawn_sleeper ();
  tap_require (libcrun_cgroup_enter (cg, child, &err) == 0, "enter");
  /* a nested cgroup made by the container goes too */
  {
    cleanup_free char *nested
        = xasprintf (CG_ROOT "/%s%s/inner", is_v2_host () ? "" : "memory", path);
    tap_check (mkdir (nested, 0755) == 0, "mkdir nested");
  }
  must_destroy (cg, true);
  tap_check (WIFSIGNALED (reap (child)), "child killed");
  for (i = 0; hierarchies[i]; i++)
    {
      cleanup_free char *d = xasprintf (CG_ROOT "/%s%s", hierarchies[i], path);
      tap_check (!is_dir (d), "%s removed", d);
    }
  /* again, on a cgroup that is gone: nothing to kill, no error */
  must_destroy (cg, true);
  libcrun_cgroup_free (cg);
}

static void
test_create_busy (void)
{
  cleanup_free char *path = test_path (12);
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg, *cg2 = NULL;
  pid_t child;

  cg = must_create (path, "x");
  child = spawn_sleeper ();
  tap_require (libcrun_cgroup_enter (cg, child, &err) == 0, "enter");
  tap_check (libcrun_cgroup_create (path, "x", &cg2, &err) < 0, "second create fails");
  tap_check (err && strstr (err->msg, "already has processes"), "error: %s", err ? err->msg : "-");
  libcrun_error_release (&err);
  must_destroy (cg, true);
  reap (child);
  libcrun_cgroup_free (cg);
}

static void
test_errors (void)
{
  cleanup_free char *path = test_path (13);
  cleanup_free char *bad = xasprintf ("%s/../x", path);
  cleanup_free char *d = xasprintf (CG_ROOT "/memory%s", path);
  libcrun_error_t err = NULL;
  struct libcrun_cgroup *cg = NULL;

  tap_check (libcrun_cgroup_create (bad, "x", &cg, &err) < 0, "`..` refused");
  tap_check (err && strstr (err->msg, ".."), "error names `..`: %s", err ? err->msg : "-");
  libcrun_error_release (&err);
  tap_check (!is_dir (d), "nothing created for a refused path");
  tap_check (libcrun_cgroup_create ("/", "x", &cg, &err) < 0, "root refused");
  libcrun_error_release (&err);
  tap_check (libcrun_cgroup_create (NULL, "a/b", &cg, &err) < 0, "bad id refused");
  libcrun_error_release (&err);

  if (!is_hybrid_host ())
    return;
  cg = must_create (path, "x");
  /* memory is bound to v1 here: a unified memory key is refused, by name */
  must_fail_apply (cg, "{\"unified\": {\"memory.max\": \"1000000\"}}", "memory.max");
  must_fail_apply (cg, "{\"unified\": {\"nosuch.knob\": \"1\"}}", "nosuch.knob");
  must_fail_apply (cg, "{\"unified\": {\"cgroup.nosuch\": \"1\"}}", "cgroup.nosuch");
  must_fail_apply (cg, "{\"unified\": {\"../x\": \"1\"}}", "../x");
  /* controllers that are not mounted: named in the error */
  if (!is_dir (CG_ROOT "/rdma"))
    must_fail_apply (cg, "{\"rdma\": {\"mlx5_0\": {\"hcaHandles\": 3}}}", "rdma");
  if (!is_dir (CG_ROOT "/net_cls"))
    must_fail_apply (cg, "{\"network\": {\"classID\": 1048577}}", "net_cls");
  must_fail_apply (cg, "[1]", "linux.resources");
  must_fail_apply (cg, "{\"hugepageLimits\": [{\"pageSize\": \"3MB\", \"limit\": 0}]}",
                   "hugepageLimits[0]");
  /* unset values need no controller */
  must_apply (cg, "{\"rdma\": {}, \"network\": {}, \"blockIO\": {\"weight\": 0}}");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

/* A block device of this machine as "major:minor", or NULL. */
static char *
some_block_device (void)
{
  DIR *d = opendir ("/sys/block");
  struct dirent *de;
  char *res = NULL;
  if (d == NULL)
    return NULL;
  while (res == NULL && (de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      cleanup_free char *content = NULL;
      libcrun_error_t err = NULL;
      if (de->d_name[0] == '.' || strncmp (de->d_name, "loop", 4) == 0)
        continue;
      p = xasprintf ("/sys/block/%s/dev", de->d_name);
      if (read_all_file (p, &content, NULL, &err) < 0)
        {
          libcrun_error_release (&err);
          continue;
        }
      content[strcspn (content, "\n")] = '\0';
      res = xstrdup (content);
    }
  closedir (d);
  return res;
}

/* Read 1 MiB/s and write 100 IOPS on dev ("major:minor"), as both the v1
 * and the v2 test apply them. */
static void
apply_throttles (struct libcrun_cgroup *cg, const char *dev)
{
  unsigned maj = 0, min = 0;
  cleanup_free char *json = NULL;
  tap_require (sscanf (dev, "%u:%u", &maj, &min) == 2, "dev `%s`", dev);
  json = xasprintf ("{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": %u, \"minor\": %u,"
                    " \"rate\": 1048576}], \"throttleWriteIOPSDevice\": [{\"major\": %u,"
                    " \"minor\": %u, \"rate\": 100}]}}",
                    maj, min, maj, min);
  must_apply (cg, json);
}

static void
test_blkio_and_hugetlb (void)
{
  cleanup_free char *path = test_path (14);
  cleanup_free char *dev = some_block_device ();
  struct libcrun_cgroup *cg;

  if (is_v2_host ())
    tap_skip ("cgroup v2: test_io_and_hugetlb_v2");
  cg = must_create (path, "x");

  {
    cleanup_free char *w = cg_file ("blkio", path, "blkio.weight");
    cleanup_free char *bw = cg_file ("blkio", path, "blkio.bfq.weight");
    if (w == NULL && bw == NULL)
      must_fail_apply (cg, "{\"blockIO\": {\"weight\": 500}}", "blockIO.weight");
    else
      {
        must_apply (cg, "{\"blockIO\": {\"weight\": 500}}");
        cleanup_free char *got = cg_file ("blkio", path, w ? "blkio.weight" : "blkio.bfq.weight");
        /* blkio.bfq.weight reads "default 500" on some kernels, "500" on others */
        tap_check (got && (strcmp (got, "500") == 0 || strcmp (got, "default 500") == 0),
                   "blockIO weight read back: `%s`", got ? got : "(missing)");
      }
  }
  if (dev)
    {
      cleanup_free char *want = xasprintf ("%s 1048576", dev);
      apply_throttles (cg, dev);
      check_file ("blkio", path, "blkio.throttle.read_bps_device", want);
      free (want);
      want = xasprintf ("%s 100", dev);
      check_file ("blkio", path, "blkio.throttle.write_iops_device", want);
    }

  /* hugetlb: its own v1 hierarchy where there is one, else (this hybrid
   * host) through the unified one */
  if (is_dir (CG_ROOT "/hugetlb"))
    {
      must_apply (cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 8388608}]}");
      check_file ("hugetlb", path, "hugetlb.2MB.limit_in_bytes", "8388608");
    }
  else
    {
      cleanup_free char *h = cg_file ("unified", path, "hugetlb.2MB.max");
      if (h)
        {
          must_apply (cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 8388608}]}");
          check_file ("unified", path, "hugetlb.2MB.max", "8388608");
          must_apply (cg, "{\"unified\": {\"hugetlb.2MB.max\": \"4194304\"}}");
          check_file ("unified", path, "hugetlb.2MB.max", "4194304");
        }
      else
        printf ("#   no 2MB hugetlb in the unified hierarchy: hugepageLimits not exercised\n");
    }
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

/* The same resources on cgroup v2, in its files. */
static void
test_memory_and_pids_v2 (void)
{
  cleanup_free char *path = test_path (16);
  cleanup_free char *swap = NULL;
  struct libcrun_cgroup *cg;

  if (!is_v2_host ())
    tap_skip ("not cgroup v2 (test_memory_and_pids)");
  cg = must_create (path, "x");
  swap = cg_file ("", path, "memory.swap.max");
  must_apply (cg,
              "{\"memory\": {\"limit\": 67108864, \"reservation\": 33554432, \"swap\": 134217728},"
              " \"pids\": {\"limit\": 50}}");
  check_file ("", path, "memory.max", "67108864");
  check_file ("", path, "memory.low", "33554432");
  /* OCI's swap counts the memory too: memory.swap.max is the difference */
  if (swap)
    check_file ("", path, "memory.swap.max", "67108864");
  check_file ("", path, "pids.max", "50");
  must_apply (cg, "{\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": -1}}");
  check_file ("", path, "memory.max", "max");
  check_file ("", path, "pids.max", "max");
  must_fail_apply (cg, "{\"memory\": {\"limit\": 268435456, \"swap\": 1048576}}", "memory.swap");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_cpu_v2 (void)
{
  cleanup_free char *path = test_path (17);
  struct libcrun_cgroup *cg;

  if (!is_v2_host ())
    tap_skip ("not cgroup v2 (test_cpu)");
  cg = must_create (path, "x");
  must_apply (cg, "{\"cpu\": {\"shares\": 1024, \"quota\": 50000, \"period\": 100000,"
                  " \"cpus\": \"0\", \"mems\": \"0\"}}");
  /* shares 1024 -> weight 100 (crun >= 1.23) */
  check_file ("", path, "cpu.weight", "100");
  check_file ("", path, "cpu.max", "50000 100000");
  check_file ("", path, "cpuset.cpus", "0");
  check_file ("", path, "cpuset.mems", "0");
  must_apply (cg, "{\"cpu\": {\"quota\": -1, \"period\": 50000}}");
  check_file ("", path, "cpu.max", "max 50000");
  must_apply (cg, "{\"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"cpus\": \"\"}}");
  check_file ("", path, "cpu.weight", "100");
  must_fail_apply (cg, "{\"cpu\": {\"cpus\": \"0-4095\"}}", "cpu.cpus");
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

static void
test_io_and_hugetlb_v2 (void)
{
  cleanup_free char *path = test_path (18);
  cleanup_free char *dev = some_block_device ();
  struct libcrun_cgroup *cg;

  if (!is_v2_host ())
    tap_skip ("not cgroup v2 (test_blkio_and_hugetlb)");
  cg = must_create (path, "x");
  if (dev)
    {
      cleanup_free char *want = xasprintf ("%s rbps=1048576 wbps=max riops=max wiops=100", dev);
      apply_throttles (cg, dev);
      check_file ("", path, "io.max", want);
    }
  else
    printf ("#   no block device: the io limits not exercised\n");
  {
    cleanup_free char *w = cg_file ("", path, "io.weight");
    cleanup_free char *bw = cg_file ("", path, "io.bfq.weight");
    if (w == NULL && bw == NULL)
      must_fail_apply (cg, "{\"blockIO\": {\"weight\": 500}}", "blockIO.weight");
  }
  {
    cleanup_free char *h = cg_file ("", path, "hugetlb.2MB.max");
    if (h)
      {
        must_apply (cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 8388608}]}");
        check_file ("", path, "hugetlb.2MB.max", "8388608");
      }
    else
      printf ("#   no 2MB hugetlb controller: hugepageLimits not exercised\n");
  }
  must_destroy (cg, false);
  libcrun_cgroup_free (cg);
}

/* ------------------------------------------------------------------------ */

/* Kill whatever is left in dir (recursively) and remove it. */
static void
sweep_dir (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  cleanup_free char *procs = NULL;
  cleanup_free char *pf = xasprintf ("%s/cgroup.procs", dir);
  libcrun_error_t err = NULL;
  int i;

  if (d == NULL)
    return;
  while ((de = readdir (d)) != NULL)
    if (de->d_type == DT_DIR && de->d_name[0] != '.')
      {
        cleanup_free char *sub = xasprintf ("%s/%s", dir, de->d_name);
        sweep_dir (sub);
      }
  closedir (d);
  if (read_all_file (pf, &procs, NULL, &err) == 0)
    {
      char *line, *save = NULL;
      for (line = strtok_r (procs, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        kill (atoi (line), SIGKILL);
    }
  libcrun_error_release (&err);
  for (i = 0; i < 200 && rmdir (dir) < 0 && errno == EBUSY; i++)
    usleep (10000);
}

static int
sweep (void)
{
  cleanup_free char *prefix = xasprintf ("crun-test-%d-", (int)main_pid);
  int left = 0;
  size_t i;

  for (i = 0; hierarchies[i]; i++)
    {
      cleanup_free char *base = xasprintf (CG_ROOT "/%s", hierarchies[i]);
      DIR *d = opendir (base);
      struct dirent *de;
      if (d == NULL)
        continue;
      while ((de = readdir (d)) != NULL)
        if (strncmp (de->d_name, prefix, strlen (prefix)) == 0)
          {
            cleanup_free char *sub = xasprintf ("%s/%s", base, de->d_name);
            left++;
            sweep_dir (sub);
          }
      closedir (d);
    }
  return left;
}

static void
test_nothing_left_behind (void)
{
  /* runs in a child: main_pid is the parent's; what the tests leave shows
   * up here before main() sweeps it anyway */
  int left = sweep ();
  tap_check (left == 0, "%d cgroup directories were left behind by the tests", left);
}

int
main (void)
{
  main_pid = getpid ();
  if (is_v2_host ())
    hierarchies = v2_hierarchies;
  else
    {
      /* the v1 hierarchies mounted here (and the unified one of hybrid) */
      size_t i, n = 0;
      for (i = 0; v1_hierarchies[i]; i++)
        {
          cleanup_free char *d = xasprintf (CG_ROOT "/%s", v1_hierarchies[i]);
          if (is_dir (d))
            v1_here[n++] = v1_hierarchies[i];
        }
      hierarchies = v1_here;
    }
  if (geteuid () != 0 || access (CG_ROOT, F_OK) != 0)
    {
      printf ("1..0 # SKIP needs root and " CG_ROOT "\n");
      return 0;
    }
  TAP_RUN (test_layout);
  TAP_RUN (test_create_every_hierarchy);
  TAP_RUN (test_relative_and_default_paths);
  TAP_RUN (test_enter);
  TAP_RUN (test_memory_and_pids);
  TAP_RUN (test_cpu);
  TAP_RUN (test_cpuset_copied_from_parent);
  TAP_RUN (test_devices_v1);
  TAP_RUN (test_freeze_thaw);
  TAP_RUN (test_pids_and_kill_all);
  TAP_RUN (test_destroy_with_kill);
  TAP_RUN (test_create_busy);
  TAP_RUN (test_errors);
  TAP_RUN (test_blkio_and_hugetlb);
  TAP_RUN (test_memory_and_pids_v2);
  TAP_RUN (test_cpu_v2);
  TAP_RUN (test_io_and_hugetlb_v2);
  TAP_RUN (test_nothing_left_behind);
  sweep ();
  return tap_done ();
}
