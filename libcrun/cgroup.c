/* The cgroupfs cgroup manager (see cgroup.h): the entry points that make,
 * find, join and remove a container's cgroup.  The other concerns have
 * their own files (cgroup_internal.h lists them).
 *
 * Decisions worth knowing (they are the answers to "what does crun do"
 * questions, written down so that the caller does not have to guess):
 *
 * - Path: an absolute linux.cgroupsPath is used as is, a relative one is
 *   appended to the caller's own cgroup (the "0::" line of /proc/self/cgroup
 *   on v2 and hybrid hosts, else the name=systemd line, else the first
 *   line), and no cgroupsPath at all means the absolute "/crun/<id>" (simple
 *   and predictable: it does not depend on where the runtime was started).
 *   ".." components are refused, "." and repeated slashes are dropped, and a
 *   path that names the root cgroup is refused.
 *
 * - create enables, on the unified hierarchy (v2 and hybrid), every
 *   controller listed in cgroup.controllers in the cgroup.subtree_control of
 *   each ancestor of the container's cgroup; the ones that cannot be enabled
 *   (bound to v1, or "no internal processes") are skipped with a debug line.
 *   Only the leaf is removed by destroy; parents such as "/crun" stay.
 */
#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Paths. */

/* "/a//./b/" -> "/a/b"; ".." is refused; the root is refused. */
static int
normalize_path (const char *in, char **out, libcrun_error_t *err)
{
  cleanup_free char *copy = xstrdup (in);
  cleanup_free char *res = xmalloc0 (strlen (in) + 2);
  char *saveptr = NULL, *tok;
  size_t len = 0;

  for (tok = strtok_r (copy, "/", &saveptr); tok; tok = strtok_r (NULL, "/", &saveptr))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        return libcrun_make_error (err, EINVAL, "cgroup path `%s`: `..` components are not allowed",
                                   in);
      res[len++] = '/';
      memcpy (res + len, tok, strlen (tok));
      len += strlen (tok);
    }
  res[len] = '\0';
  if (len == 0)
    return libcrun_make_error (err, EINVAL, "cgroup path `%s` names the root cgroup", in);
  *out = steal_pointer (&res);
  return 0;
}

/* The caller's own cgroup, as /proc/self/cgroup reports it. */
static int
own_cgroup (enum libcrun_cgroup_layout layout, char **out, libcrun_error_t *err)
{
  cleanup_free char *content = NULL;
  char *line, *saveptr = NULL;
  const char *first = NULL, *systemd = NULL, *unified = NULL;
  int ret;

  ret = read_all_file ("/proc/self/cgroup", &content, NULL, err);
  if (ret < 0)
    return ret;
  for (line = strtok_r (content, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *c1 = strchr (line, ':'), *c2;
      if (c1 == NULL || (c2 = strchr (c1 + 1, ':')) == NULL)
        continue;
      *c2 = '\0';
      if (strcmp (line, "0") == 0 && c1 + 1 == c2)
        unified = c2 + 1;
      else if (libcrun_list_has (c1 + 1, "name=systemd", ","))
        systemd = c2 + 1;
      if (first == NULL && !(strcmp (line, "0") == 0 && c1 + 1 == c2))
        first = c2 + 1;
    }
  if (layout != LIBCRUN_CGROUP_V1 && unified)
    *out = xstrdup (unified);
  else if (systemd)
    *out = xstrdup (systemd);
  else if (first)
    *out = xstrdup (first);
  else if (unified)
    *out = xstrdup (unified);
  else
    return libcrun_make_error (err, ENOENT, "/proc/self/cgroup: no cgroup found for this process");
  return 0;
}

static int
compute_path (enum libcrun_cgroup_layout layout, const char *cgroups_path, const char *id,
              char **out, libcrun_error_t *err)
{
  cleanup_free char *raw = NULL;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      /* Default: "/crun/<id>", absolute (see the top of the file). */
      if (id == NULL || id[0] == '\0' || strchr (id, '/') || strcmp (id, ".") == 0
          || strcmp (id, "..") == 0)
        return libcrun_make_error (err, EINVAL,
                                   "cgroup: invalid container id `%s` for the default cgroup path",
                                   id ? id : "(null)");
      raw = xasprintf ("/crun/%s", id);
    }
  else if (cgroups_path[0] == '/')
    raw = xstrdup (cgroups_path);
  else
    {
      cleanup_free char *own = NULL;
      int ret = own_cgroup (layout, &own, err);
      if (ret < 0)
        return ret;
      raw = xasprintf ("%s/%s", own, cgroups_path);
    }
  return normalize_path (raw, out, err);
}

/* ------------------------------------------------------------------ */
/* Creation. */

static int
has_processes (const char *dir, bool *result, libcrun_error_t *err)
{
  cleanup_free char *procs = NULL;
  int ret;

  *result = false;
  ret = cg_read (dir, "cgroup.procs", &procs, err);
  if (ret < 0)
    {
      if ((*err)->status == ENOENT)
        {
          libcrun_error_release (err);
          return 0;
        }
      return ret;
    }
  cg_strip_trailing (procs);
  *result = procs[0] != '\0';
  return 0;
}

/* cpuset.cpus / cpuset.mems of a new v1 cpuset cgroup are empty: copy the
 * parent's (which has been fixed already, walking down from the root). */
static int
cpuset_copy_from_parent (const char *parent, const char *dir, libcrun_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  size_t i;
  int ret;

  for (i = 0; i < 2; i++)
    {
      cleanup_free char *mine = NULL;
      cleanup_free char *theirs = NULL;

      ret = cg_read (dir, files[i], &mine, err);
      if (ret < 0)
        return libcrun_error_wrap (err, "cgroup cpuset");
      cg_strip_trailing (mine);
      if (mine[0] != '\0')
        continue;
      ret = cg_read (parent, files[i], &theirs, err);
      if (ret < 0)
        return libcrun_error_wrap (err, "cgroup cpuset");
      cg_strip_trailing (theirs);
      if (theirs[0] == '\0')
        return libcrun_make_error (err, 0,
                                   "cgroup cpuset: `%s/%s` is empty, cannot initialise `%s`",
                                   parent, files[i], dir);
      ret = cg_write (dir, files[i], theirs, "cgroup cpuset (copy from parent)", err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static void
enable_controllers (const char *dir)
{
  cleanup_free char *avail = NULL;
  cleanup_free char *enabled = NULL;
  libcrun_error_t err = NULL;
  char *saveptr = NULL, *tok;

  if (cg_read (dir, "cgroup.controllers", &avail, &err) < 0)
    {
      libcrun_debug ("cgroup: %s", err->msg);
      libcrun_error_release (&err);
      return;
    }
  if (cg_read (dir, "cgroup.subtree_control", &enabled, &err) < 0)
    {
      libcrun_debug ("cgroup: %s", err->msg);
      libcrun_error_release (&err);
      return;
    }
  for (tok = strtok_r (avail, " \n", &saveptr); tok; tok = strtok_r (NULL, " \n", &saveptr))
    {
      cleanup_free char *v = NULL;
      int ret;
      if (libcrun_list_has (enabled, tok, " \n"))
        continue;
      v = xasprintf ("+%s", tok);
      ret = cg_write_raw (dir, "cgroup.subtree_control", v);
      if (ret < 0)
        libcrun_debug ("cgroup: cannot enable controller `%s` in `%s/cgroup.subtree_control`: %s",
                       tok, dir, strerror (-ret));
    }
}

/* A cgroup v2 ancestor other than the root that holds processes (the
 * caller's own cgroup, under a relative cgroupsPath) gets no controllers
 * enabled: the domain ones fail there (no internal processes), and the
 * threaded ones (cpu, cpuset, pids) would succeed and make it a thread
 * root, below which no new cgroup can take a process (EOPNOTSUPP). */
static bool
holds_processes (const char *dir)
{
  libcrun_error_t err = NULL;
  bool result = false;
  if (has_processes (dir, &result, &err) < 0)
    libcrun_error_release (&err);
  if (result)
    libcrun_debug ("cgroup: `%s` holds processes: no controller is enabled below it", dir);
  return result;
}

/* mkdir every component of path below hi->mnt; *created tells whether the
 * leaf was made by this call. */
static int
make_hierarchy_path (const struct cg_hierarchy *hi, const char *path, bool *created,
                     libcrun_error_t *err)
{
  cleanup_free char *cur = xstrdup (hi->mnt);
  cleanup_free char *copy = xstrdup (path);
  char *saveptr = NULL, *tok, *next;
  bool cpuset = !hi->unified && libcrun_list_has (hi->ctrls, "cpuset", ",");

  *created = false;
  for (tok = strtok_r (copy, "/", &saveptr); tok; tok = next)
    {
      cleanup_free char *parent = cur;
      next = strtok_r (NULL, "/", &saveptr);
      if (hi->unified && (strcmp (parent, hi->mnt) == 0 || !holds_processes (parent)))
        enable_controllers (parent);
      cur = xasprintf ("%s/%s", parent, tok);
      if (mkdir (cur, 0755) == 0)
        *created = next == NULL;
      else if (errno != EEXIST)
        return libcrun_make_error (err, errno, "cgroup: mkdir `%s`", cur);
      if (cpuset)
        TRY (cpuset_copy_from_parent (parent, cur, err));
    }
  return 0;
}

/* A cgroup that already holds processes is not the container's. */
static int
check_unused (const struct cg_hierarchies *h, const char *path, libcrun_error_t *err)
{
  size_t i;

  for (i = 0; i < h->n; i++)
    {
      cleanup_free char *dir = cg_dir (&h->v[i], path);
      bool busy;
      TRY (has_processes (dir, &busy, err));
      if (busy)
        return libcrun_make_error (
            err, EBUSY, "cgroup `%s` already has processes (see `%s/cgroup.procs`)", path, dir);
    }
  return 0;
}

/* Make path in every hierarchy; on failure remove the leaves made here. */
static int
make_path_everywhere (const struct cg_hierarchies *h, const char *path, libcrun_error_t *err)
{
  cleanup_free bool *created = xmalloc0 (h->n * sizeof (bool));
  size_t i, j;

  for (i = 0; i < h->n; i++)
    {
      if (make_hierarchy_path (&h->v[i], path, &created[i], err) == 0)
        continue;
      for (j = 0; j <= i; j++)
        if (created[j])
          {
            cleanup_free char *dir = cg_dir (&h->v[j], path);
            rmdir (dir);
          }
      return libcrun_error_wrap (err, "create cgroup `%s`", path);
    }
  return 0;
}

int
libcrun_cgroup_create (const char *cgroups_path, const char *id, struct libcrun_cgroup **out,
                       libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  cleanup_free char *path = NULL;
  struct libcrun_cgroup *cg;

  TRY (cg_hierarchies_read (&h, err));
  TRY (compute_path (h.layout, cgroups_path, id, &path, err));
  TRY (check_unused (&h, path, err));
  TRY (make_path_everywhere (&h, path, err));

  cg = xmalloc0 (sizeof (*cg));
  cg->layout = h.layout;
  cg->path = steal_pointer (&path);
  *out = cg;
  return 0;
}

int
libcrun_cgroup_planned_path (const char *cgroups_path, const char *id, char **out,
                             libcrun_error_t *err)
{
  enum libcrun_cgroup_layout layout;
  if (libcrun_cgroup_detect_layout (&layout, err) < 0)
    return -1;
  return compute_path (layout, cgroups_path, id, out, err);
}

int
libcrun_cgroup_load (const char *path, struct libcrun_cgroup **out, libcrun_error_t *err)
{
  cleanup_free char *norm = NULL;
  enum libcrun_cgroup_layout layout;
  struct libcrun_cgroup *cg;
  int ret;

  if (path == NULL || path[0] != '/')
    return libcrun_make_error (err, EINVAL, "cgroup: stored path `%s` is not absolute",
                               path ? path : "(null)");
  ret = normalize_path (path, &norm, err);
  if (ret < 0)
    return ret;
  ret = libcrun_cgroup_detect_layout (&layout, err);
  if (ret < 0)
    return ret;
  cg = xmalloc0 (sizeof (*cg));
  cg->layout = layout;
  cg->path = steal_pointer (&norm);
  *out = cg;
  return 0;
}

void
libcrun_cgroup_free (struct libcrun_cgroup *cg)
{
  if (cg == NULL)
    return;
  free (cg->path);
  free (cg);
}

int
libcrun_cgroup_enter_rest (const struct libcrun_cgroup *cg, pid_t pid, bool v1_joined,
                           bool unified_joined, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  char buf[32];
  size_t i;
  int ret;

  ret = cg_hierarchies_read (&h, err);
  if (ret < 0)
    return ret;
  snprintf (buf, sizeof (buf), "%d", (int)pid);
  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *dir = NULL;
      /* (A pid written where the process already is still costs the
       * global lock: skip what it joined.) */
      if (h.v[i].unified ? unified_joined : v1_joined)
        continue;
      dir = cg_dir (&h.v[i], cg->path);
      ret = cg_write (dir, "cgroup.procs", buf, "enter cgroup", err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
libcrun_cgroup_enter (const struct libcrun_cgroup *cg, pid_t pid, libcrun_error_t *err)
{
  return libcrun_cgroup_enter_rest (cg, pid, false, false, err);
}

int
libcrun_cgroup_open_join (const struct libcrun_cgroup *cg, int *unified_fd, int **v1_tasks,
                          libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  size_t i, n = 0;
  int *v;

  *unified_fd = -1;
  *v1_tasks = NULL;
  if (cg_hierarchies_read (&h, err) < 0)
    return -1;
  v = xmalloc ((h.n + 1) * sizeof (int));
  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *file = h.v[i].unified ? cg_dir (&h.v[i], cg->path)
                                               : xasprintf ("%s%s/tasks", h.v[i].mnt, cg->path);
      int fd = h.v[i].unified ? open (file, O_PATH | O_DIRECTORY | O_CLOEXEC)
                              : open (file, O_WRONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int e = errno;
          v[n] = -1;
          close_fd_array (v);
          if (*unified_fd >= 0)
            close (*unified_fd);
          *unified_fd = -1;
          return libcrun_make_error (err, e, "open `%s`", file);
        }
      if (h.v[i].unified)
        *unified_fd = fd;
      else
        v[n++] = fd;
    }
  v[n] = -1;
  if (n == 0)
    free (v);
  else
    *v1_tasks = v;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Removal. */

/* rmdir dir and every cgroup below it (children first). */
static int
rmdir_tree (const char *dir, int depth)
{
  DIR *d;
  struct dirent *de;
  int ret = 0;

  d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -errno;
  while (depth < 64 && (de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      ret = rmdir_tree (sub, depth + 1);
      if (ret < 0)
        break;
    }
  closedir (d);
  if (ret < 0)
    return ret;
  if (rmdir (dir) < 0 && errno != ENOENT)
    return -errno;
  return 0;
}

#define RMDIR_TIMEOUT_MS 2000

int
libcrun_cgroup_destroy (const struct libcrun_cgroup *cg, bool kill_procs, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  int64_t deadline;
  size_t i;
  int first_err = 0;
  cleanup_free char *first_dir = NULL;

  TRY (cg_hierarchies_read (&h, err));
  if (kill_procs)
    TRY (libcrun_cgroup_kill_all (cg, SIGKILL, err));

  deadline = cg_now_ms () + RMDIR_TIMEOUT_MS;
  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *dir = cg_dir (&h.v[i], cg->path);
      int ret;
      for (;;)
        {
          ret = rmdir_tree (dir, 0);
          if (ret != -EBUSY || cg_now_ms () > deadline)
            break;
          cg_sleep_ms (10);
        }
      if (ret < 0 && first_err == 0)
        {
          first_err = -ret;
          first_dir = steal_pointer (&dir);
        }
    }
  if (first_err)
    return libcrun_make_error (err, first_err, "destroy cgroup `%s`: rmdir `%s`", cg->path,
                               first_dir);
  return 0;
}
