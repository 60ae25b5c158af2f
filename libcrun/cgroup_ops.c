/* What is done to the processes of a cgroup (see cgroup.h): list them,
 * signal them, freeze and thaw them.
 *
 * - The pids are read from one hierarchy: the unified one, else
 *   name=systemd, else the first; the cgroups below the container's count
 *   too.
 *
 * - kill with SIGKILL uses cgroup.kill where the kernel has it; otherwise
 *   each pid is signalled.  Either way it then waits (2 s at most) until no
 *   process but zombies is left, thawing a frozen v1 cgroup whose tasks
 *   could not die otherwise.
 *
 * - freeze uses the v1 freezer when there is one, else cgroup.freeze, and
 *   waits (5 s at most) until the kernel reports the new state.
 */
#include "cgroup_internal.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Pids. */

/* The hierarchy whose cgroup.procs is read: unified, else name=systemd,
 * else the first one. */
static const struct cg_hierarchy *
procs_hierarchy (const struct cg_hierarchies *h)
{
  const struct cg_hierarchy *hi = cg_find_unified (h);
  if (hi)
    return hi;
  hi = cg_find_v1 (h, "name=systemd");
  if (hi)
    return hi;
  return h->n ? &h->v[0] : NULL;
}

static void
pids_add (pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
  size_t i;
  for (i = 0; i < *n; i++)
    if ((*pids)[i] == pid)
      return;
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 16;
      *pids = xrealloc (*pids, *cap * sizeof (pid_t));
    }
  (*pids)[(*n)++] = pid;
}

/* cgroup.procs of dir and every cgroup below it. */
static int
read_pids_rec (const char *dir, int depth, pid_t **pids, size_t *n, size_t *cap,
               libcrun_error_t *err)
{
  cleanup_free char *content = NULL;
  char *line, *saveptr = NULL;
  DIR *d;
  struct dirent *de;
  int ret;

  ret = cg_read (dir, "cgroup.procs", &content, err);
  if (ret < 0)
    {
      if ((*err)->status == ENOENT && depth > 0)
        {
          libcrun_error_release (err);
          return 0;
        }
      return ret;
    }
  for (line = strtok_r (content, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      long v;
      if (parse_long (line, &v) == 0 && v > 0)
        pids_add (pids, n, cap, (pid_t)v);
    }
  if (depth > 64)
    return 0;
  d = opendir (dir);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      ret = read_pids_rec (sub, depth + 1, pids, n, cap, err);
      if (ret < 0)
        {
          closedir (d);
          return ret;
        }
    }
  closedir (d);
  return 0;
}

int
libcrun_cgroup_pids (const struct libcrun_cgroup *cg, pid_t **pids, size_t *n, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  cleanup_free char *dir = NULL;
  pid_t *v = NULL;
  size_t len = 0, cap = 0;
  int ret;

  TRY (cg_hierarchies_read (&h, err));
  dir = cg_dir (procs_hierarchy (&h), cg->path);
  ret = read_pids_rec (dir, 0, &v, &len, &cap, err);
  if (ret < 0)
    {
      free (v);
      return ret;
    }
  *pids = v;
  *n = len;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Kill. */

/* A pid that is gone or a zombie no longer counts as "in the cgroup". */
static bool
pid_alive (pid_t pid)
{
  char p[64];
  cleanup_free char *stat = NULL;
  libcrun_error_t err = NULL;
  char *rp;

  snprintf (p, sizeof (p), "/proc/%d/stat", (int)pid);
  if (read_all_file (p, &stat, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return false;
    }
  rp = strrchr (stat, ')');
  if (rp == NULL || rp[1] == '\0' || rp[2] == '\0')
    return true;
  return rp[2] != 'Z' && rp[2] != 'X';
}

static int
count_alive (const struct libcrun_cgroup *cg, size_t *alive, libcrun_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  TRY (libcrun_cgroup_pids (cg, &pids, &n, err));
  *alive = 0;
  for (i = 0; i < n; i++)
    if (pid_alive (pids[i]))
      (*alive)++;
  return 0;
}

static int
signal_pids (const struct libcrun_cgroup *cg, int sig, libcrun_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;

  TRY (libcrun_cgroup_pids (cg, &pids, &n, err));
  for (i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      return libcrun_make_error (err, errno, "kill cgroup `%s`: kill pid %d", cg->path,
                                 (int)pids[i]);
  return 0;
}

/* cgroup.kill, where the kernel has it: *used tells. */
static int
write_cgroup_kill (const struct cg_hierarchies *h, const char *path, bool *used,
                   libcrun_error_t *err)
{
  const struct cg_hierarchy *uh = cg_find_unified (h);
  cleanup_free char *dir = NULL;

  *used = false;
  if (uh == NULL)
    return 0;
  dir = cg_dir (uh, path);
  if (!cg_has_file (dir, "cgroup.kill"))
    return 0;
  TRY (cg_write (dir, "cgroup.kill", "1", "kill cgroup", err));
  *used = true;
  return 0;
}

/* Frozen v1 tasks cannot die: thaw them. */
static void
thaw_v1 (const struct cg_hierarchies *h, const char *path)
{
  const struct cg_hierarchy *fh = cg_find_v1 (h, "freezer");
  cleanup_free char *dir = NULL;

  if (fh == NULL)
    return;
  dir = cg_dir (fh, path);
  if (cg_has_file (dir, "freezer.state"))
    (void)cg_write_raw (dir, "freezer.state", "THAWED");
}

#define KILL_TIMEOUT_MS 2000

int
libcrun_cgroup_kill_all (const struct libcrun_cgroup *cg, int sig, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  cleanup_free char *pdir = NULL;
  bool used_cgroup_kill = false;
  int64_t deadline;
  size_t alive;

  TRY (cg_hierarchies_read (&h, err));
  /* A cgroup that is already gone has nobody to kill. */
  pdir = cg_dir (procs_hierarchy (&h), cg->path);
  if (access (pdir, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (sig == SIGKILL)
    TRY (write_cgroup_kill (&h, cg->path, &used_cgroup_kill, err));

  deadline = cg_now_ms () + KILL_TIMEOUT_MS;
  for (;;)
    {
      if (!used_cgroup_kill)
        TRY (signal_pids (cg, sig, err));
      if (sig != SIGKILL)
        return 0;
      thaw_v1 (&h, cg->path);
      TRY (count_alive (cg, &alive, err));
      if (alive == 0)
        return 0;
      if (cg_now_ms () > deadline)
        return libcrun_make_error (
            err, EBUSY, "kill cgroup `%s`: %zu processes still alive after SIGKILL (%d ms)",
            cg->path, alive, KILL_TIMEOUT_MS);
      cg_sleep_ms (10);
    }
}

/* ------------------------------------------------------------------ */
/* Freeze. */

#define FREEZE_TIMEOUT_MS 5000

/* v1: freezer.state, until it reads back the state asked for. */
static int
freeze_v1 (const char *dir, const char *path, bool freeze, int64_t deadline, libcrun_error_t *err)
{
  const char *what = freeze ? "freeze cgroup" : "thaw cgroup";
  const char *want = freeze ? "FROZEN" : "THAWED";

  for (;;)
    {
      cleanup_free char *state = NULL;
      /* Re-writing FROZEN pushes a stuck FREEZING along. */
      TRY (cg_write (dir, "freezer.state", want, what, err));
      TRY (cg_read (dir, "freezer.state", &state, err));
      cg_strip_trailing (state);
      if (strcmp (state, want) == 0)
        return 0;
      if (cg_now_ms () > deadline)
        {
          if (freeze)
            (void)cg_write_raw (dir, "freezer.state", "THAWED");
          return libcrun_make_error (err, ETIMEDOUT, "%s `%s`: freezer.state is still `%s`", what,
                                     path, state);
        }
      cg_sleep_ms (10);
    }
}

/* v2: cgroup.freeze, until cgroup.events reports it. */
static int
freeze_v2 (const char *dir, const char *path, bool freeze, int64_t deadline, libcrun_error_t *err)
{
  const char *what = freeze ? "freeze cgroup" : "thaw cgroup";
  const char *want = freeze ? "frozen 1" : "frozen 0";

  TRY (cg_write (dir, "cgroup.freeze", freeze ? "1" : "0", what, err));
  for (;;)
    {
      cleanup_free char *events = NULL;
      char *line, *saveptr = NULL;
      TRY (cg_read (dir, "cgroup.events", &events, err));
      for (line = strtok_r (events, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
        if (strcmp (line, want) == 0)
          return 0;
      if (cg_now_ms () > deadline)
        return libcrun_make_error (err, ETIMEDOUT, "%s `%s`: cgroup.events does not report `%s`",
                                   what, path, want);
      cg_sleep_ms (10);
    }
}

int
libcrun_cgroup_freeze (const struct libcrun_cgroup *cg, bool freeze, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  const struct cg_hierarchy *hi;
  cleanup_free char *dir = NULL;
  int64_t deadline = cg_now_ms () + FREEZE_TIMEOUT_MS;

  TRY (cg_hierarchies_read (&h, err));
  hi = cg_find_v1 (&h, "freezer");
  if (hi)
    {
      dir = cg_dir (hi, cg->path);
      return freeze_v1 (dir, cg->path, freeze, deadline, err);
    }
  hi = cg_find_unified (&h);
  if (hi)
    {
      dir = cg_dir (hi, cg->path);
      if (cg_has_file (dir, "cgroup.freeze"))
        return freeze_v2 (dir, cg->path, freeze, deadline, err);
    }
  return libcrun_make_error (err, ENOTSUP,
                             "%s `%s`: no freezer (neither freezer.state nor cgroup.freeze)",
                             freeze ? "freeze cgroup" : "thaw cgroup", cg->path);
}
