/* The cgroupfs cgroup manager (see cgroup.h).
 *
 * Decisions worth knowing (they are the answers to "what does crun do"
 * questions, written down so that the caller does not have to guess):
 *
 * - The hierarchies are rediscovered from /proc/self/mountinfo on every
 *   call; the handle only stores the layout and the path.  Every cgroup v1
 *   hierarchy that has a controller or a name= (name=systemd) is used, each
 *   once even when mounted twice; cgroup2 is "the unified hierarchy".
 *   Mount roots other than "/" (a cgroup namespace's view) are used as is.
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
 *
 * - Values that OCI/runc treat as "unset" are skipped: memory limit,
 *   reservation and swap of 0, cpu shares/quota/period of 0, empty
 *   cpus/mems, blockIO weight 0.  A resource that is set while its
 *   controller is not available is an error naming the resource and the
 *   controller, except where crun ignores it: memory.kernel (deprecated,
 *   warning), memory.kernelTCP where there is no v1
 *   memory.kmem.tcp.limit_in_bytes (warning; applied where there is), swappiness and
 * disableOOMKiller on v2 (warning), swap without swap accounting (warning), network on a pure v2
 * host (warning), pids.limit "max" without a pids controller.
 *
 * - blockIO.weight on v1 goes to blkio.weight, else blkio.bfq.weight (on
 *   v2: io.bfq.weight as is, else io.weight scaled to 1-10000).  When the
 *   I/O scheduler offers neither file the request cannot be honoured and it
 *   is an error (as crun does), not a silent skip.
 *
 * - cpu.shares on v2 becomes cpu.weight with the log-quadratic formula that
 *   crun >= 1.23 and runc >= 1.3.2 use (1024 -> 100, 2 -> 1,
 *   262144 -> 10000), computed without libm.
 *
 * - Devices are only touched when linux.resources.devices is present (so
 *   that `update` without devices keeps the rules): on v1, devices.deny "a",
 *   then the rules in order, then crun's default allow list (mknod of any
 *   char/block device, null, zero, full, tty, console, random, urandom,
 *   ptmx, pts).  The defaults include "c *:* m" and "b *:* m" so the init
 *   can still mknod the container's /dev after the rules are applied.  On a
 *   host without a v1 devices controller (pure v2) the same rules and
 *   defaults become an eBPF program attached to the container's cgroup2
 *   directory (cgroup_ebpf.c).
 *
 * - linux.resources.unified is refused on v1 hosts; on hybrid hosts a key
 *   is accepted only when its controller is available in the unified
 *   hierarchy (for instance hugetlb here) and its file exists.
 */
#include "cgroup.h"
#include "cgroup_ebpf.h"
#include "log.h"
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define RES "linux.resources"

struct hierarchy
{
  char *mnt;   /* mount point */
  char *ctrls; /* v1: "cpu,cpuacct" or "name=systemd"; unified: NULL */
  bool unified;
};

struct hierarchies
{
  struct hierarchy *v;
  size_t n;
  enum libcrun_cgroup_layout layout;
  bool has_unified;
};

static void
hierarchies_free (struct hierarchies *h)
{
  size_t i;
  for (i = 0; i < h->n; i++)
    {
      free (h->v[i].mnt);
      free (h->v[i].ctrls);
    }
  free (h->v);
  h->v = NULL;
  h->n = 0;
}
#define cleanup_hierarchies __attribute__ ((cleanup (hierarchies_free)))

static const char *const known_controllers[]
    = { "cpu",   "cpuacct",    "cpuset",  "memory", "devices", "freezer", "net_cls", "net_prio",
        "blkio", "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "debug",   NULL };

static bool
is_known_controller (const char *s)
{
  size_t i;
  for (i = 0; known_controllers[i]; i++)
    if (strcmp (s, known_controllers[i]) == 0)
      return true;
  return false;
}

/* Undo the octal escapes (\040 ...) of mountinfo, in place. */
static void
unescape_mountinfo (char *s)
{
  char *r = s, *w = s;
  while (*r)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

/* Keep only the controllers and name= of a cgroup v1 super options list. */
static char *
v1_controllers_of (const char *superopts)
{
  cleanup_free char *copy = xstrdup (superopts);
  char *saveptr = NULL, *tok;
  size_t cap = strlen (superopts) + 1, len = 0;
  char *out = xmalloc0 (cap);

  for (tok = strtok_r (copy, ",", &saveptr); tok; tok = strtok_r (NULL, ",", &saveptr))
    {
      if (!is_known_controller (tok) && strncmp (tok, "name=", 5) != 0)
        continue;
      if (len)
        out[len++] = ',';
      memcpy (out + len, tok, strlen (tok));
      len += strlen (tok);
    }
  out[len] = '\0';
  if (len == 0)
    {
      free (out);
      return NULL;
    }
  return out;
}

static bool
list_has (const char *list, const char *item, const char *seps)
{
  size_t n = strlen (item);
  const char *p = list;
  if (list == NULL)
    return false;
  while (*p)
    {
      size_t len = strcspn (p, seps);
      if (len == n && strncmp (p, item, n) == 0)
        return true;
      p += len;
      if (*p)
        p++;
    }
  return false;
}

static int
read_hierarchies (struct hierarchies *h, libcrun_error_t *err)
{
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  size_t n_v1_ctrl = 0;
  ssize_t r;

  memset (h, 0, sizeof (*h));
  f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return libcrun_make_error (err, errno, "open `/proc/self/mountinfo`");

  while ((r = getline (&line, &cap, f)) >= 0)
    {
      char *fields[16];
      size_t nf = 0, i, sep;
      char *saveptr = NULL, *tok;
      const char *fstype, *superopts, *mnt;
      char *ctrls = NULL;
      bool unified;

      if (r > 0 && line[r - 1] == '\n')
        line[r - 1] = '\0';
      for (tok = strtok_r (line, " ", &saveptr); tok && nf < 16;
           tok = strtok_r (NULL, " ", &saveptr))
        fields[nf++] = tok;
      for (sep = 6; sep < nf && strcmp (fields[sep], "-") != 0; sep++)
        ;
      if (sep + 1 >= nf)
        continue;
      fstype = fields[sep + 1];
      superopts = sep + 3 < nf ? fields[sep + 3] : "";
      unified = strcmp (fstype, "cgroup2") == 0;
      if (!unified && strcmp (fstype, "cgroup") != 0)
        continue;
      if (!unified)
        {
          ctrls = v1_controllers_of (superopts);
          if (ctrls == NULL)
            continue;
        }
      unescape_mountinfo (fields[4]);
      mnt = fields[4];

      /* The same hierarchy mounted twice: keep the first mount. */
      for (i = 0; i < h->n; i++)
        if (h->v[i].unified == unified && (unified || strcmp (h->v[i].ctrls, ctrls) == 0))
          break;
      if (i < h->n)
        {
          free (ctrls);
          continue;
        }
      h->v = xrealloc (h->v, (h->n + 1) * sizeof (*h->v));
      h->v[h->n].mnt = xstrdup (mnt);
      h->v[h->n].ctrls = ctrls;
      h->v[h->n].unified = unified;
      h->n++;
      if (unified)
        h->has_unified = true;
      else if (strncmp (ctrls, "name=", 5) != 0 || strchr (ctrls, ',') != NULL)
        n_v1_ctrl++;
    }

  if (h->n == 0)
    return libcrun_make_error (
        err, ENOENT, "no cgroup or cgroup2 file system is mounted (see /proc/self/mountinfo)");
  if (n_v1_ctrl == 0 && h->has_unified)
    h->layout = LIBCRUN_CGROUP_V2;
  else if (h->has_unified)
    h->layout = LIBCRUN_CGROUP_HYBRID;
  else
    h->layout = LIBCRUN_CGROUP_V1;
  return 0;
}

int
libcrun_cgroup_detect_layout (enum libcrun_cgroup_layout *layout, libcrun_error_t *err)
{
  cleanup_hierarchies struct hierarchies h = { 0 };
  int ret = read_hierarchies (&h, err);
  if (ret < 0)
    return ret;
  *layout = h.layout;
  return 0;
}

static const struct hierarchy *
find_unified (const struct hierarchies *h)
{
  size_t i;
  for (i = 0; i < h->n; i++)
    if (h->v[i].unified)
      return &h->v[i];
  return NULL;
}

static const struct hierarchy *
find_v1 (const struct hierarchies *h, const char *ctrl)
{
  size_t i;
  for (i = 0; i < h->n; i++)
    if (!h->v[i].unified && list_has (h->v[i].ctrls, ctrl, ","))
      return &h->v[i];
  return NULL;
}

static char *
dir_of (const struct hierarchy *hi, const char *path)
{
  return xasprintf ("%s%s", hi->mnt, path);
}

/* ------------------------------------------------------------------ */
/* File helpers.  cgroupfs wants one value per write(). */

static int
cg_write_raw (const char *dir, const char *file, const char *value)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  cleanup_close int fd = open (p, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  ssize_t w;

  if (fd < 0)
    return -errno;
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return -errno;
  if ((size_t)w != len)
    return -EIO;
  return 0;
}

/* Write value to dir/file; on failure the error names `what` (the OCI
 * field) and the file. */
static int
cg_write (const char *dir, const char *file, const char *value, const char *what,
          libcrun_error_t *err)
{
  int ret = cg_write_raw (dir, file, value);
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s: write `%s` to `%s/%s`", what, value, dir, file);
  return 0;
}

static int
cg_read (const char *dir, const char *file, char **out, libcrun_error_t *err)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  return read_all_file (p, out, NULL, err);
}

static bool
cg_has_file (const char *dir, const char *file)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  return access (p, F_OK) == 0;
}

static void
strip_trailing (char *s)
{
  size_t n = strlen (s);
  while (n && isspace ((unsigned char)s[n - 1]))
    s[--n] = '\0';
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
      else if (list_has (c1 + 1, "name=systemd", ","))
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
  strip_trailing (procs);
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
      strip_trailing (mine);
      if (mine[0] != '\0')
        continue;
      ret = cg_read (parent, files[i], &theirs, err);
      if (ret < 0)
        return libcrun_error_wrap (err, "cgroup cpuset");
      strip_trailing (theirs);
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
      if (list_has (enabled, tok, " \n"))
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
make_hierarchy_path (const struct hierarchy *hi, const char *path, bool *created,
                     libcrun_error_t *err)
{
  cleanup_free char *cur = xstrdup (hi->mnt);
  cleanup_free char *copy = xstrdup (path);
  char *saveptr = NULL, *tok, *next;
  bool cpuset = !hi->unified && list_has (hi->ctrls, "cpuset", ",");
  int ret;

  *created = false;
  for (tok = strtok_r (copy, "/", &saveptr); tok; tok = next)
    {
      char *parent = cur;
      next = strtok_r (NULL, "/", &saveptr);
      if (hi->unified && (strcmp (parent, hi->mnt) == 0 || !holds_processes (parent)))
        enable_controllers (parent);
      cur = xasprintf ("%s/%s", parent, tok);
      if (mkdir (cur, 0755) == 0)
        {
          if (next == NULL)
            *created = true;
        }
      else if (errno != EEXIST)
        {
          ret = libcrun_make_error (err, errno, "cgroup: mkdir `%s`", cur);
          free (parent);
          return ret;
        }
      if (cpuset)
        {
          ret = cpuset_copy_from_parent (parent, cur, err);
          if (ret < 0)
            {
              free (parent);
              return ret;
            }
        }
      free (parent);
    }
  return 0;
}

int
libcrun_cgroup_create (const char *cgroups_path, const char *id, struct libcrun_cgroup **out,
                       libcrun_error_t *err)
{
  cleanup_hierarchies struct hierarchies h = { 0 };
  cleanup_free char *path = NULL;
  cleanup_free bool *created = NULL;
  struct libcrun_cgroup *cg;
  size_t i;
  int ret;

  ret = read_hierarchies (&h, err);
  if (ret < 0)
    return ret;
  ret = compute_path (h.layout, cgroups_path, id, &path, err);
  if (ret < 0)
    return ret;

  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *dir = dir_of (&h.v[i], path);
      bool busy;
      ret = has_processes (dir, &busy, err);
      if (ret < 0)
        return ret;
      if (busy)
        return libcrun_make_error (
            err, EBUSY, "cgroup `%s` already has processes (see `%s/cgroup.procs`)", path, dir);
    }

  created = xmalloc0 (h.n * sizeof (bool));
  for (i = 0; i < h.n; i++)
    {
      ret = make_hierarchy_path (&h.v[i], path, &created[i], err);
      if (ret < 0)
        {
          size_t j;
          for (j = 0; j <= i; j++)
            if (created[j])
              {
                cleanup_free char *dir = dir_of (&h.v[j], path);
                rmdir (dir);
              }
          return libcrun_error_wrap (err, "create cgroup `%s`", path);
        }
    }

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
  cleanup_hierarchies struct hierarchies h = { 0 };
  char buf[32];
  size_t i;
  int ret;

  ret = read_hierarchies (&h, err);
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
      dir = dir_of (&h.v[i], cg->path);
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
  cleanup_hierarchies struct hierarchies h = { 0 };
  size_t i, n = 0;
  int *v;

  *unified_fd = -1;
  *v1_tasks = NULL;
  if (read_hierarchies (&h, err) < 0)
    return -1;
  v = xmalloc ((h.n + 1) * sizeof (int));
  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *file = h.v[i].unified ? dir_of (&h.v[i], cg->path)
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

int
libcrun_cgroup_join_v1 (const int *v1_tasks)
{
  size_t i;
  for (i = 0; v1_tasks && v1_tasks[i] >= 0; i++)
    if (write (v1_tasks[i], "0", 1) != 1)
      return -errno;
  return 0;
}

/* ------------------------------------------------------------------ */
/* Resources. */

enum loc_kind
{
  LOC_NONE = 0,
  LOC_V1,
  LOC_V2,
};

/* Where controller lives for this cgroup: a v1 hierarchy that has v1name,
 * else the unified hierarchy when v2name is available in the cgroup. */
static enum loc_kind
locate (const struct hierarchies *h, const char *path, const char *v1name, const char *v2name,
        char **dir)
{
  const struct hierarchy *hi;

  *dir = NULL;
  if (v1name && (hi = find_v1 (h, v1name)) != NULL)
    {
      *dir = dir_of (hi, path);
      return LOC_V1;
    }
  if (v2name && (hi = find_unified (h)) != NULL)
    {
      cleanup_free char *d = dir_of (hi, path);
      cleanup_free char *ctrls = NULL;
      libcrun_error_t err = NULL;
      if (cg_read (d, "cgroup.controllers", &ctrls, &err) < 0)
        {
          libcrun_error_release (&err);
          return LOC_NONE;
        }
      if (list_has (ctrls, v2name, " \n"))
        {
          *dir = steal_pointer (&d);
          return LOC_V2;
        }
    }
  return LOC_NONE;
}

static int
missing_controller (const char *what, const char *ctrl, libcrun_error_t *err)
{
  return libcrun_make_error (
      err, ENOTSUP, "%s: the `%s` cgroup controller is not available (not mounted or not enabled)",
      what, ctrl);
}

/* Typed getters: *present tells whether the field exists. */
static int
get_int (yajl_val node, const char *key, const char *what, int64_t *out, bool *present,
         libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *present = false;
  *out = 0;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_INTEGER (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected an integer", what, key);
  *out = YAJL_GET_INTEGER (v);
  *present = true;
  return 0;
}

static int
get_string (yajl_val node, const char *key, const char *what, const char **out,
            libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *out = NULL;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_STRING (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected a string", what, key);
  *out = YAJL_GET_STRING (v);
  return 0;
}

static int
get_bool (yajl_val node, const char *key, const char *what, bool *out, bool *present,
          libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *present = false;
  *out = false;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected a boolean", what, key);
  *out = YAJL_IS_TRUE (v);
  *present = true;
  return 0;
}

static int
get_section (yajl_val resources, const char *key, yajl_type type, yajl_val *out,
             libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = yajl_tree_get (resources, p, yajl_t_any);

  *out = NULL;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (v->type != type)
    return libcrun_make_error (err, EINVAL, RES ".%s: expected %s", key,
                               type == yajl_t_array ? "an array" : "an object");
  *out = v;
  return 0;
}

static char *
fmt_i64 (int64_t v)
{
  return xasprintf ("%" PRId64, v);
}

/* -1 (or any negative value) means "no limit". */
static char *
fmt_v2_limit (int64_t v)
{
  return v < 0 ? xstrdup ("max") : fmt_i64 (v);
}

#define TRY(x)                                                                                     \
  do                                                                                               \
    {                                                                                              \
      int try_ret_ = (x);                                                                          \
      if (try_ret_ < 0)                                                                            \
        return try_ret_;                                                                           \
    }                                                                                              \
  while (0)

static int
apply_memory (const struct hierarchies *h, const char *path, yajl_val resources,
              libcrun_error_t *err)
{
  const char *what = RES ".memory";
  cleanup_free char *dir = NULL;
  yajl_val mem;
  int64_t limit, reservation, swap, swappiness, kernel, kernel_tcp;
  bool has_limit, has_res, has_swap, has_swappiness, has_kernel, has_kernel_tcp;
  bool oom_disable, has_oom, use_hier, has_use_hier;
  enum loc_kind loc;
  int ret;

  TRY (get_section (resources, "memory", yajl_t_object, &mem, err));
  if (mem == NULL)
    return 0;
  TRY (get_int (mem, "limit", what, &limit, &has_limit, err));
  TRY (get_int (mem, "reservation", what, &reservation, &has_res, err));
  TRY (get_int (mem, "swap", what, &swap, &has_swap, err));
  TRY (get_int (mem, "swappiness", what, &swappiness, &has_swappiness, err));
  TRY (get_int (mem, "kernel", what, &kernel, &has_kernel, err));
  TRY (get_int (mem, "kernelTCP", what, &kernel_tcp, &has_kernel_tcp, err));
  TRY (get_bool (mem, "disableOOMKiller", what, &oom_disable, &has_oom, err));
  TRY (get_bool (mem, "useHierarchy", what, &use_hier, &has_use_hier, err));

  /* 0 means "not set" for these, as in runc. */
  has_limit = has_limit && limit != 0;
  has_res = has_res && reservation != 0;
  has_swap = has_swap && swap != 0;

  if (has_kernel && kernel != 0)
    libcrun_warning ("%s.kernel: kernel memory limits are deprecated and ignored", what);
  has_kernel_tcp = has_kernel_tcp && kernel_tcp != 0;

  if (has_limit && has_swap && limit > 0 && swap > 0 && swap < limit)
    return libcrun_make_error (
        err, EINVAL, "%s.swap (%" PRId64 ") must be >= %s.limit (%" PRId64 ") (it is memory+swap)",
        what, swap, what, limit);

  if (!has_limit && !has_res && !has_swap && !has_swappiness && !(has_oom && oom_disable)
      && !has_use_hier && !has_kernel_tcp)
    return 0;

  loc = locate (h, path, "memory", "memory", &dir);
  if (loc == LOC_NONE)
    return missing_controller (what, "memory", err);

  if (loc == LOC_V1)
    {
      bool memsw = cg_has_file (dir, "memory.memsw.limit_in_bytes");
      cleanup_free char *l = has_limit ? fmt_i64 (limit) : NULL;
      cleanup_free char *s = has_swap ? fmt_i64 (swap) : NULL;

      if (has_swap && !memsw)
        {
          libcrun_warning (
              "%s.swap: swap accounting is not enabled (no memory.memsw.limit_in_bytes), "
              "ignored",
              what);
          has_swap = false;
        }
      if (has_limit && has_swap)
        {
          /* memsw must stay >= limit at every step: when growing, raise memsw
           * first (the limit write fails with EINVAL otherwise). */
          ret = cg_write_raw (dir, "memory.limit_in_bytes", l);
          if (ret == -EINVAL)
            {
              TRY (cg_write (dir, "memory.memsw.limit_in_bytes", s, RES ".memory.swap", err));
              TRY (cg_write (dir, "memory.limit_in_bytes", l, RES ".memory.limit", err));
            }
          else if (ret < 0)
            return libcrun_make_error (
                err, -ret, "%s.limit: write `%s` to `%s/memory.limit_in_bytes`", what, l, dir);
          else
            TRY (cg_write (dir, "memory.memsw.limit_in_bytes", s, RES ".memory.swap", err));
        }
      else if (has_limit)
        TRY (cg_write (dir, "memory.limit_in_bytes", l, RES ".memory.limit", err));
      else if (has_swap)
        TRY (cg_write (dir, "memory.memsw.limit_in_bytes", s, RES ".memory.swap", err));

      if (has_res)
        {
          cleanup_free char *r = fmt_i64 (reservation);
          TRY (cg_write (dir, "memory.soft_limit_in_bytes", r, RES ".memory.reservation", err));
        }
      if (has_swappiness)
        {
          cleanup_free char *v = NULL;
          if (swappiness < 0 || swappiness > 100)
            return libcrun_make_error (err, EINVAL, "%s.swappiness: %" PRId64 " is not in 0-100",
                                       what, swappiness);
          v = fmt_i64 (swappiness);
          TRY (cg_write (dir, "memory.swappiness", v, RES ".memory.swappiness", err));
        }
      if (has_oom && oom_disable)
        TRY (cg_write (dir, "memory.oom_control", "1", RES ".memory.disableOOMKiller", err));
      if (has_use_hier)
        TRY (cg_write (dir, "memory.use_hierarchy", use_hier ? "1" : "0",
                       RES ".memory.useHierarchy", err));
      if (has_kernel_tcp && !cg_has_file (dir, "memory.kmem.tcp.limit_in_bytes"))
        libcrun_warning ("%s.kernelTCP: this kernel has no memory.kmem.tcp.limit_in_bytes, ignored",
                         what);
      else if (has_kernel_tcp)
        {
          cleanup_free char *v = fmt_i64 (kernel_tcp);
          TRY (cg_write (dir, "memory.kmem.tcp.limit_in_bytes", v, RES ".memory.kernelTCP", err));
        }
      return 0;
    }

  if (has_kernel_tcp)
    libcrun_warning ("%s.kernelTCP: cgroup v2 has no TCP memory limit, ignored", what);

  /* cgroup v2 */
  if (has_limit)
    {
      cleanup_free char *v = fmt_v2_limit (limit);
      TRY (cg_write (dir, "memory.max", v, RES ".memory.limit", err));
    }
  if (has_res)
    {
      cleanup_free char *v = fmt_v2_limit (reservation);
      TRY (cg_write (dir, "memory.low", v, RES ".memory.reservation", err));
    }
  if (has_swap)
    {
      cleanup_free char *v = NULL;
      /* OCI swap is memory+swap; memory.swap.max is swap alone. */
      if (swap < 0)
        v = xstrdup ("max");
      else if (!has_limit || limit < 0)
        return libcrun_make_error (err, EINVAL,
                                   "%s.swap: cannot set a swap limit without a memory limit", what);
      else
        v = fmt_i64 (swap - limit);
      if (!cg_has_file (dir, "memory.swap.max"))
        libcrun_warning ("%s.swap: swap accounting is not enabled (no memory.swap.max), ignored",
                         what);
      else
        TRY (cg_write (dir, "memory.swap.max", v, RES ".memory.swap", err));
    }
  if (has_swappiness)
    libcrun_warning ("%s.swappiness: not supported on cgroup v2, ignored", what);
  if (has_oom && oom_disable)
    libcrun_warning ("%s.disableOOMKiller: not supported on cgroup v2, ignored", what);
  return 0;
}

static int
apply_pids (const struct hierarchies *h, const char *path, yajl_val resources, libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free char *v = NULL;
  yajl_val pids;
  int64_t limit;
  bool has_limit;

  TRY (get_section (resources, "pids", yajl_t_object, &pids, err));
  if (pids == NULL)
    return 0;
  TRY (get_int (pids, "limit", RES ".pids", &limit, &has_limit, err));
  if (!has_limit)
    return 0;
  if (locate (h, path, "pids", "pids", &dir) == LOC_NONE)
    {
      if (limit <= 0)
        return 0; /* "no limit" needs no controller */
      return missing_controller (RES ".pids.limit", "pids", err);
    }
  v = limit > 0 ? fmt_i64 (limit) : xstrdup ("max");
  return cg_write (dir, "pids.max", v, RES ".pids.limit", err);
}

/* Small libm-free helpers for the shares -> weight formula. */
static double
ln_approx (double x)
{
  const double ln2 = 0.69314718055994530942;
  double z, z2, term, sum = 0;
  int k = 0, i;

  while (x >= 2)
    {
      x /= 2;
      k++;
    }
  while (x < 1)
    {
      x *= 2;
      k--;
    }
  z = (x - 1) / (x + 1);
  z2 = z * z;
  term = z;
  for (i = 0; i < 60; i++)
    {
      sum += term / (2 * i + 1);
      term *= z2;
    }
  return 2 * sum + k * ln2;
}

static double
exp_approx (double y) /* 0 <= y < ~30 */
{
  const double e = 2.71828182845904523536;
  double r = 1, term = 1, f;
  int n = (int)y, i;

  f = y - n;
  for (i = 1; i < 40; i++)
    {
      term *= f / i;
      r += term;
    }
  for (i = 0; i < n; i++)
    r *= e;
  return r;
}

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000]:
 *   l = log2 (shares); weight = ceil (10 ^ ((l^2 + 125 l) / 612 - 7/34))
 * (crun >= 1.23, runc >= 1.3.2: 1024 -> 100).  Values within 1e-6 of an
 * integer are taken as that integer so that rounding noise cannot turn 100
 * into 101. */
uint64_t
libcrun_cgroup_shares_to_weight (uint64_t shares)
{
  const double ln2 = 0.69314718055994530942, ln10 = 2.30258509299404568402;
  double l, e, w;
  uint64_t iw;

  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = ln_approx ((double)shares) / ln2;
  e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  w = exp_approx (e * ln10);
  iw = (uint64_t)(w + 0.5);
  if (!((double)iw - w <= 1e-6 && w - (double)iw <= 1e-6))
    iw = (uint64_t)w + 1; /* ceil */
  if (iw < 1)
    iw = 1;
  if (iw > 10000)
    iw = 10000;
  return iw;
}

/* cpu.rt_runtime_us of `dir`, or -2 when it cannot be read. */
static int64_t
read_rt_runtime (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/cpu.rt_runtime_us", dir);
  char buf[32] = { 0 };
  cleanup_close int fd = open (p, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return -2;
  return strtoll (buf, NULL, 10);
}

/* A child's real-time runtime must fit in its parent's: when the kernel
 * refuses it (EINVAL), the ancestors with less are raised first, top
 * down, up to the first that has enough (the root has the system's whole
 * budget), and the write is tried again. */
static int
write_rt_runtime (const char *dir, int64_t value, libcrun_error_t *err)
{
  cleanup_free char *v = fmt_i64 (value);
  cleanup_free char *up = xstrdup (dir);
  char *raise[64];
  size_t n = 0;
  int ret = cg_write_raw (dir, "cpu.rt_runtime_us", v);

  if (ret != -EINVAL || value < 0)
    goto done;
  for (;;)
    {
      char *slash = strrchr (up, '/');
      int64_t have;
      if (slash == NULL || slash == up || n == sizeof (raise) / sizeof (raise[0]))
        break;
      *slash = '\0';
      have = read_rt_runtime (up);
      if (have == -2 || have == -1 || have >= value)
        break;
      raise[n++] = xstrdup (up);
    }
  while (n > 0)
    {
      cleanup_free char *a = raise[--n];
      if (ret == -EINVAL && cg_write_raw (a, "cpu.rt_runtime_us", v) < 0)
        {
          ret = -errno;
          libcrun_make_error (err, EINVAL,
                              "%s.cpu.realtimeRuntime: `%s` needs at least %s in its parent "
                              "`%s/cpu.rt_runtime_us`, which cannot be raised",
                              RES, dir, v, a);
          while (n > 0)
            free (raise[--n]);
          return -1;
        }
    }
  ret = cg_write_raw (dir, "cpu.rt_runtime_us", v);
done:
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.cpu.realtimeRuntime: write `%s` to `%s/%s`", RES, v,
                               dir, "cpu.rt_runtime_us");
  return 0;
}

/* realtimePeriod and realtimeRuntime: a runtime above the new period is
 * refused, so a period that would be below the current runtime goes in
 * after the runtime. */
static int
apply_rt (const char *dir, bool has_runtime, int64_t runtime, bool has_period, int64_t period,
          libcrun_error_t *err)
{
  cleanup_free char *p = has_period ? fmt_i64 (period) : NULL;
  int ret = has_period ? cg_write_raw (dir, "cpu.rt_period_us", p) : 0;

  if (ret == -EINVAL && has_runtime)
    {
      if (write_rt_runtime (dir, runtime, err) < 0)
        return -1;
      return cg_write (dir, "cpu.rt_period_us", p, RES ".cpu.realtimePeriod", err);
    }
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.cpu.realtimePeriod: write `%s` to `%s/%s`", RES, p,
                               dir, "cpu.rt_period_us");
  return has_runtime ? write_rt_runtime (dir, runtime, err) : 0;
}

static int
apply_cpu (const struct hierarchies *h, const char *path, yajl_val resources, libcrun_error_t *err)
{
  const char *what = RES ".cpu";
  yajl_val cpu;
  int64_t shares, quota, period, rt_runtime, rt_period, idle, burst;
  bool has_shares, has_quota, has_period, has_rt_runtime, has_rt_period, has_idle, has_burst;
  const char *cpus, *mems;
  int ret;

  TRY (get_section (resources, "cpu", yajl_t_object, &cpu, err));
  if (cpu == NULL)
    return 0;
  TRY (get_int (cpu, "shares", what, &shares, &has_shares, err));
  TRY (get_int (cpu, "quota", what, &quota, &has_quota, err));
  TRY (get_int (cpu, "period", what, &period, &has_period, err));
  TRY (get_int (cpu, "realtimeRuntime", what, &rt_runtime, &has_rt_runtime, err));
  TRY (get_int (cpu, "realtimePeriod", what, &rt_period, &has_rt_period, err));
  TRY (get_int (cpu, "idle", what, &idle, &has_idle, err));
  TRY (get_int (cpu, "burst", what, &burst, &has_burst, err));
  TRY (get_string (cpu, "cpus", what, &cpus, err));
  TRY (get_string (cpu, "mems", what, &mems, err));

  has_shares = has_shares && shares != 0;
  has_quota = has_quota && quota != 0;
  has_period = has_period && period != 0;
  has_rt_runtime = has_rt_runtime && rt_runtime != 0;
  has_rt_period = has_rt_period && rt_period != 0;
  if (cpus && cpus[0] == '\0')
    cpus = NULL;
  if (mems && mems[0] == '\0')
    mems = NULL;

  if (has_shares || has_quota || has_period || has_rt_runtime || has_rt_period || has_idle
      || has_burst)
    {
      cleanup_free char *dir = NULL;
      enum loc_kind loc = locate (h, path, "cpu", "cpu", &dir);

      if (loc == LOC_NONE)
        return missing_controller (what, "cpu", err);
      if (loc == LOC_V1)
        {
          if (has_shares)
            {
              cleanup_free char *v = fmt_i64 (shares);
              TRY (cg_write (dir, "cpu.shares", v, RES ".cpu.shares", err));
            }
          if (has_period || has_quota)
            {
              cleanup_free char *p = has_period ? fmt_i64 (period) : NULL;
              cleanup_free char *q = has_quota ? fmt_i64 (quota < 0 ? -1 : quota) : NULL;
              ret = has_period ? cg_write_raw (dir, "cpu.cfs_period_us", p) : 0;
              if (ret == -EINVAL && has_quota)
                {
                  /* The new period may only fit after the new quota. */
                  TRY (cg_write (dir, "cpu.cfs_quota_us", q, RES ".cpu.quota", err));
                  TRY (cg_write (dir, "cpu.cfs_period_us", p, RES ".cpu.period", err));
                }
              else if (ret < 0)
                return libcrun_make_error (
                    err, -ret, "%s.period: write `%s` to `%s/cpu.cfs_period_us`", what, p, dir);
              else if (has_quota)
                TRY (cg_write (dir, "cpu.cfs_quota_us", q, RES ".cpu.quota", err));
            }
          if (has_rt_runtime || has_rt_period)
            TRY (apply_rt (dir, has_rt_runtime, rt_runtime, has_rt_period, rt_period, err));
          if (has_burst)
            {
              cleanup_free char *v = fmt_i64 (burst);
              TRY (cg_write (dir, "cpu.cfs_burst_us", v, RES ".cpu.burst", err));
            }
          if (has_idle)
            {
              cleanup_free char *v = fmt_i64 (idle);
              TRY (cg_write (dir, "cpu.idle", v, RES ".cpu.idle", err));
            }
        }
      else
        {
          if (has_rt_runtime || has_rt_period)
            return libcrun_make_error (
                err, ENOTSUP, "%s.realtimeRuntime/realtimePeriod: not supported on cgroup v2",
                what);
          if (has_shares)
            {
              cleanup_free char *v = xasprintf (
                  "%" PRIu64,
                  libcrun_cgroup_shares_to_weight ((uint64_t)(shares < 0 ? 0 : shares)));
              TRY (cg_write (dir, "cpu.weight", v, RES ".cpu.shares", err));
            }
          if (has_quota || has_period)
            {
              cleanup_free char *v = NULL;
              cleanup_free char *q = NULL;
              if (has_quota)
                q = quota < 0 ? xstrdup ("max") : fmt_i64 (quota);
              else
                {
                  /* Keep the current quota, change the period. */
                  TRY (cg_read (dir, "cpu.max", &q, err));
                  q[strcspn (q, " \n")] = '\0';
                }
              v = has_period ? xasprintf ("%s %" PRId64, q, period) : xstrdup (q);
              TRY (cg_write (dir, "cpu.max", v, RES ".cpu.quota/period", err));
            }
          if (has_burst)
            {
              cleanup_free char *v = fmt_i64 (burst);
              TRY (cg_write (dir, "cpu.max.burst", v, RES ".cpu.burst", err));
            }
          if (has_idle)
            {
              cleanup_free char *v = fmt_i64 (idle);
              TRY (cg_write (dir, "cpu.idle", v, RES ".cpu.idle", err));
            }
        }
    }

  if (cpus || mems)
    {
      cleanup_free char *dir = NULL;
      if (locate (h, path, "cpuset", "cpuset", &dir) == LOC_NONE)
        return missing_controller (RES ".cpu.cpus/mems", "cpuset", err);
      if (cpus)
        TRY (cg_write (dir, "cpuset.cpus", cpus, RES ".cpu.cpus", err));
      if (mems)
        TRY (cg_write (dir, "cpuset.mems", mems, RES ".cpu.mems", err));
    }
  return 0;
}

/* Write value to the first of two files that exists. */
static int
write_first_of (const char *dir, const char *f1, const char *f2, const char *value,
                const char *what, libcrun_error_t *err)
{
  if (cg_has_file (dir, f1))
    return cg_write (dir, f1, value, what, err);
  if (f2 && cg_has_file (dir, f2))
    return cg_write (dir, f2, value, what, err);
  return libcrun_make_error (
      err, ENOTSUP,
      "%s: neither `%s` nor `%s` exists in `%s` (the block I/O scheduler does "
      "not support proportional weights)",
      what, f1, f2 ? f2 : "-", dir);
}

static uint64_t
blkio_to_io_weight (int64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((uint64_t)w - 10) * 9999 / 990;
}

static int
get_major_minor (yajl_val e, const char *what, char *buf, size_t len, libcrun_error_t *err)
{
  int64_t major, minor;
  bool has_major, has_minor;
  TRY (get_int (e, "major", what, &major, &has_major, err));
  TRY (get_int (e, "minor", what, &minor, &has_minor, err));
  if (!has_major || !has_minor || major < 0 || minor < 0)
    return libcrun_make_error (err, EINVAL, "%s: `major` and `minor` are required", what);
  snprintf (buf, len, "%" PRId64 ":%" PRId64, major, minor);
  return 0;
}

static int
apply_blkio (const struct hierarchies *h, const char *path, yajl_val resources,
             libcrun_error_t *err)
{
  static const struct
  {
    const char *key, *v1file, *v2key;
  } throttles[] = {
    { "throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps" },
    { "throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps" },
    { "throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops" },
    { "throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops" },
  };
  const char *what = RES ".blockIO";
  cleanup_free char *dir = NULL;
  yajl_val bio, wdev;
  int64_t weight, leaf;
  bool has_weight, has_leaf, any;
  enum loc_kind loc;
  size_t i, j;

  TRY (get_section (resources, "blockIO", yajl_t_object, &bio, err));
  if (bio == NULL)
    return 0;
  TRY (get_int (bio, "weight", what, &weight, &has_weight, err));
  TRY (get_int (bio, "leafWeight", what, &leaf, &has_leaf, err));
  has_weight = has_weight && weight != 0;
  has_leaf = has_leaf && leaf != 0;
  TRY (get_section (bio, "weightDevice", yajl_t_array, &wdev, err));

  any = has_weight || has_leaf || (wdev && YAJL_GET_ARRAY (wdev)->len);
  for (i = 0; i < sizeof (throttles) / sizeof (throttles[0]); i++)
    {
      yajl_val a;
      TRY (get_section (bio, throttles[i].key, yajl_t_array, &a, err));
      if (a && YAJL_GET_ARRAY (a)->len)
        any = true;
    }
  if (!any)
    return 0;

  loc = locate (h, path, "blkio", "io", &dir);
  if (loc == LOC_NONE)
    return missing_controller (what, "blkio/io", err);

  if (has_weight)
    {
      cleanup_free char *v = NULL;
      if (loc == LOC_V1)
        {
          v = fmt_i64 (weight);
          TRY (write_first_of (dir, "blkio.weight", "blkio.bfq.weight", v, RES ".blockIO.weight",
                               err));
        }
      else if (cg_has_file (dir, "io.bfq.weight"))
        {
          v = fmt_i64 (weight);
          TRY (cg_write (dir, "io.bfq.weight", v, RES ".blockIO.weight", err));
        }
      else
        {
          v = xasprintf ("%" PRIu64, blkio_to_io_weight (weight));
          TRY (write_first_of (dir, "io.weight", NULL, v, RES ".blockIO.weight", err));
        }
    }
  if (has_leaf)
    {
      if (loc == LOC_V1 && cg_has_file (dir, "blkio.leaf_weight"))
        {
          cleanup_free char *v = fmt_i64 (leaf);
          TRY (cg_write (dir, "blkio.leaf_weight", v, RES ".blockIO.leafWeight", err));
        }
      else
        libcrun_warning ("%s.leafWeight: not supported by this kernel, ignored", what);
    }

  for (i = 0; wdev && i < YAJL_GET_ARRAY (wdev)->len; i++)
    {
      yajl_val e = YAJL_GET_ARRAY (wdev)->values[i];
      cleanup_free char *ew = xasprintf ("%s.weightDevice[%zu]", what, i);
      cleanup_free char *v = NULL;
      char mm[64];
      int64_t w, lw;
      bool has_w, has_lw;

      TRY (get_major_minor (e, ew, mm, sizeof (mm), err));
      TRY (get_int (e, "weight", ew, &w, &has_w, err));
      TRY (get_int (e, "leafWeight", ew, &lw, &has_lw, err));
      if (has_lw && lw != 0)
        libcrun_warning ("%s.leafWeight: not supported, ignored", ew);
      if (!has_w || w == 0)
        continue;
      if (loc == LOC_V1)
        {
          v = xasprintf ("%s %" PRId64, mm, w);
          TRY (write_first_of (dir, "blkio.weight_device", "blkio.bfq.weight_device", v, ew, err));
        }
      else if (cg_has_file (dir, "io.bfq.weight"))
        {
          v = xasprintf ("%s %" PRId64, mm, w);
          TRY (cg_write (dir, "io.bfq.weight", v, ew, err));
        }
      else
        {
          v = xasprintf ("%s %" PRIu64, mm, blkio_to_io_weight (w));
          TRY (write_first_of (dir, "io.weight", NULL, v, ew, err));
        }
    }

  for (i = 0; i < sizeof (throttles) / sizeof (throttles[0]); i++)
    {
      yajl_val a;
      TRY (get_section (bio, throttles[i].key, yajl_t_array, &a, err));
      for (j = 0; a && j < YAJL_GET_ARRAY (a)->len; j++)
        {
          yajl_val e = YAJL_GET_ARRAY (a)->values[j];
          cleanup_free char *ew = xasprintf ("%s.%s[%zu]", what, throttles[i].key, j);
          cleanup_free char *v = NULL;
          char mm[64];
          int64_t rate;
          bool has_rate;

          TRY (get_major_minor (e, ew, mm, sizeof (mm), err));
          TRY (get_int (e, "rate", ew, &rate, &has_rate, err));
          if (!has_rate || rate < 0)
            return libcrun_make_error (err, EINVAL, "%s.rate: a non-negative rate is required", ew);
          if (loc == LOC_V1)
            {
              v = xasprintf ("%s %" PRId64, mm, rate);
              TRY (cg_write (dir, throttles[i].v1file, v, ew, err));
            }
          else
            {
              /* io.max: 0 means "no limit". */
              if (rate == 0)
                v = xasprintf ("%s %s=max", mm, throttles[i].v2key);
              else
                v = xasprintf ("%s %s=%" PRId64, mm, throttles[i].v2key, rate);
              TRY (cg_write (dir, "io.max", v, ew, err));
            }
        }
    }
  return 0;
}

static int
apply_hugetlb (const struct hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  yajl_val arr;
  enum loc_kind loc;
  size_t i;

  TRY (get_section (resources, "hugepageLimits", yajl_t_array, &arr, err));
  if (arr == NULL || YAJL_GET_ARRAY (arr)->len == 0)
    return 0;
  loc = locate (h, path, "hugetlb", "hugetlb", &dir);
  if (loc == LOC_NONE)
    return missing_controller (RES ".hugepageLimits", "hugetlb", err);

  for (i = 0; i < YAJL_GET_ARRAY (arr)->len; i++)
    {
      yajl_val e = YAJL_GET_ARRAY (arr)->values[i];
      cleanup_free char *ew = xasprintf (RES ".hugepageLimits[%zu]", i);
      cleanup_free char *file = NULL;
      cleanup_free char *v = NULL;
      const char *size;
      int64_t limit;
      bool has_limit;

      TRY (get_string (e, "pageSize", ew, &size, err));
      TRY (get_int (e, "limit", ew, &limit, &has_limit, err));
      if (size == NULL || size[0] == '\0' || strchr (size, '/') || !has_limit)
        return libcrun_make_error (err, EINVAL, "%s: `pageSize` and `limit` are required", ew);
      if (loc == LOC_V1)
        {
          file = xasprintf ("hugetlb.%s.limit_in_bytes", size);
          v = fmt_i64 (limit);
        }
      else
        {
          file = xasprintf ("hugetlb.%s.max", size);
          v = fmt_v2_limit (limit);
        }
      if (!cg_has_file (dir, file))
        return libcrun_make_error (err, ENOTSUP, "%s: page size `%s` is not supported (no `%s/%s`)",
                                   ew, size, dir, file);
      TRY (cg_write (dir, file, v, ew, err));
    }
  return 0;
}

static int
apply_network (const struct hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  const char *what = RES ".network";
  yajl_val net, prios;
  int64_t classid;
  bool has_classid;
  size_t i;

  TRY (get_section (resources, "network", yajl_t_object, &net, err));
  if (net == NULL)
    return 0;
  TRY (get_int (net, "classID", what, &classid, &has_classid, err));
  TRY (get_section (net, "priorities", yajl_t_array, &prios, err));
  if (prios && YAJL_GET_ARRAY (prios)->len == 0)
    prios = NULL;
  if (!has_classid && prios == NULL)
    return 0;

  if (has_classid)
    {
      cleanup_free char *dir = NULL;
      cleanup_free char *v = NULL;
      if (locate (h, path, "net_cls", NULL, &dir) == LOC_NONE)
        {
          if (h->layout == LIBCRUN_CGROUP_V2)
            libcrun_warning ("%s.classID: no net_cls controller on cgroup v2, ignored", what);
          else
            return missing_controller (RES ".network.classID", "net_cls", err);
        }
      else
        {
          v = fmt_i64 (classid);
          TRY (cg_write (dir, "net_cls.classid", v, RES ".network.classID", err));
        }
    }
  if (prios)
    {
      cleanup_free char *dir = NULL;
      if (locate (h, path, "net_prio", NULL, &dir) == LOC_NONE)
        {
          if (h->layout == LIBCRUN_CGROUP_V2)
            {
              libcrun_warning ("%s.priorities: no net_prio controller on cgroup v2, ignored", what);
              return 0;
            }
          return missing_controller (RES ".network.priorities", "net_prio", err);
        }
      for (i = 0; i < YAJL_GET_ARRAY (prios)->len; i++)
        {
          yajl_val e = YAJL_GET_ARRAY (prios)->values[i];
          cleanup_free char *ew = xasprintf ("%s.priorities[%zu]", what, i);
          cleanup_free char *v = NULL;
          const char *name;
          int64_t prio;
          bool has_prio;
          TRY (get_string (e, "name", ew, &name, err));
          TRY (get_int (e, "priority", ew, &prio, &has_prio, err));
          if (name == NULL || !has_prio)
            return libcrun_make_error (err, EINVAL, "%s: `name` and `priority` are required", ew);
          v = xasprintf ("%s %" PRId64, name, prio);
          TRY (cg_write (dir, "net_prio.ifpriomap", v, ew, err));
        }
    }
  return 0;
}

static int
apply_rdma (const struct hierarchies *h, const char *path, yajl_val resources, libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  yajl_val rdma;
  size_t i;

  TRY (get_section (resources, "rdma", yajl_t_object, &rdma, err));
  if (rdma == NULL || YAJL_GET_OBJECT (rdma)->len == 0)
    return 0;
  if (locate (h, path, "rdma", "rdma", &dir) == LOC_NONE)
    return missing_controller (RES ".rdma", "rdma", err);
  for (i = 0; i < YAJL_GET_OBJECT (rdma)->len; i++)
    {
      const char *name = YAJL_GET_OBJECT (rdma)->keys[i];
      yajl_val e = YAJL_GET_OBJECT (rdma)->values[i];
      cleanup_free char *ew = xasprintf (RES ".rdma.%s", name);
      cleanup_free char *hs = NULL;
      cleanup_free char *os = NULL;
      cleanup_free char *v = NULL;
      int64_t handles, objects;
      bool has_h, has_o;
      TRY (get_int (e, "hcaHandles", ew, &handles, &has_h, err));
      TRY (get_int (e, "hcaObjects", ew, &objects, &has_o, err));
      hs = has_h ? fmt_i64 (handles) : xstrdup ("max");
      os = has_o ? fmt_i64 (objects) : xstrdup ("max");
      v = xasprintf ("%s hca_handle=%s hca_object=%s", name, hs, os);
      TRY (cg_write (dir, "rdma.max", v, ew, err));
    }
  return 0;
}

/* crun's default device rules, appended after the configured ones. */
static const char *const default_device_rules[] = {
  "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm", "c 1:8 rwm",
  "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 136:* rwm", "c 5:2 rwm", NULL,
};

struct dev_rule
{
  bool allow;
  char text[96];
};

static int
parse_device_rule (yajl_val e, size_t idx, struct dev_rule *r, libcrun_error_t *err)
{
  cleanup_free char *ew = xasprintf (RES ".devices[%zu]", idx);
  const char *type, *access;
  int64_t major, minor;
  bool has_major, has_minor, has_allow;
  char maj[24], min[24];
  size_t i;

  if (e == NULL || !YAJL_IS_OBJECT (e))
    return libcrun_make_error (err, EINVAL, "%s: expected an object", ew);
  TRY (get_bool (e, "allow", ew, &r->allow, &has_allow, err));
  if (!has_allow)
    return libcrun_make_error (err, EINVAL, "%s.allow: required", ew);
  TRY (get_string (e, "type", ew, &type, err));
  TRY (get_string (e, "access", ew, &access, err));
  TRY (get_int (e, "major", ew, &major, &has_major, err));
  TRY (get_int (e, "minor", ew, &minor, &has_minor, err));
  if (type == NULL || type[0] == '\0')
    type = "a";
  if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
    return libcrun_make_error (err, EINVAL, "%s.type: `%s` is not one of a, c, b", ew, type);
  if (access == NULL || access[0] == '\0')
    access = "rwm";
  for (i = 0; access[i]; i++)
    if (access[i] != 'r' && access[i] != 'w' && access[i] != 'm')
      return libcrun_make_error (err, EINVAL, "%s.access: `%s` is not made of r, w, m", ew, access);
  if (has_major && major >= 0)
    snprintf (maj, sizeof (maj), "%" PRId64, major);
  else
    strcpy (maj, "*");
  if (has_minor && minor >= 0)
    snprintf (min, sizeof (min), "%" PRId64, minor);
  else
    strcpy (min, "*");
  if (strlen (access) > 3)
    return libcrun_make_error (err, EINVAL, "%s.access: `%s` is too long", ew, access);
  snprintf (r->text, sizeof (r->text), "%s %s:%s %s", type, maj, min, access);
  return 0;
}

/* cgroup v2 has no devices controller: the same rules, then crun's
 * defaults, become an eBPF program on the container's cgroup2 directory. */
static int
apply_devices_ebpf (const struct hierarchies *h, const char *path, const struct dev_rule *rules,
                    size_t n, libcrun_error_t *err)
{
  size_t n_defaults = 0, i, k = 0;
  cleanup_free struct libcrun_device_rule *prog = NULL;
  cleanup_free char *dir = dir_of (find_unified (h), path);

  while (default_device_rules[n_defaults])
    n_defaults++;
  prog = xmalloc0 ((n + n_defaults) * sizeof (*prog));
  for (i = 0; i < n; i++)
    {
      cleanup_free char *ew = xasprintf (RES ".devices[%zu]", i);
      if (libcrun_device_rule_parse (rules[i].text, rules[i].allow, &prog[k++], err) < 0)
        return libcrun_error_wrap (err, "%s", ew);
    }
  for (i = 0; i < n_defaults; i++)
    if (libcrun_device_rule_parse (default_device_rules[i], true, &prog[k++], err) < 0)
      return -1;
  if (libcrun_cgroup_ebpf_devices (dir, prog, k, err) < 0)
    return libcrun_error_wrap (err, RES ".devices");
  return 0;
}

static int
apply_devices (const struct hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free struct dev_rule *rules = NULL;
  yajl_val arr;
  size_t i, n;

  TRY (get_section (resources, "devices", yajl_t_array, &arr, err));
  if (arr == NULL)
    return 0;
  n = YAJL_GET_ARRAY (arr)->len;
  rules = xmalloc0 ((n + 1) * sizeof (*rules));
  for (i = 0; i < n; i++)
    TRY (parse_device_rule (YAJL_GET_ARRAY (arr)->values[i], i, &rules[i], err));

  if (locate (h, path, "devices", NULL, &dir) == LOC_NONE)
    {
      if (h->layout == LIBCRUN_CGROUP_V1 || find_unified (h) == NULL)
        return missing_controller (RES ".devices", "devices", err);
      return apply_devices_ebpf (h, path, rules, n, err);
    }

  TRY (cg_write (dir, "devices.deny", "a", RES ".devices (deny all)", err));
  for (i = 0; i < n; i++)
    {
      cleanup_free char *ew = xasprintf (RES ".devices[%zu]", i);
      const char *text = rules[i].text;
      /* The kernel wants the bare "a" for "every device". */
      if (strncmp (text, "a *:* rwm", 9) == 0)
        text = "a";
      TRY (cg_write (dir, rules[i].allow ? "devices.allow" : "devices.deny", text, ew, err));
    }
  for (i = 0; default_device_rules[i]; i++)
    TRY (cg_write (dir, "devices.allow", default_device_rules[i], RES ".devices (default rules)",
                   err));
  return 0;
}

static int
apply_unified (const struct hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  const struct hierarchy *uh;
  cleanup_free char *dir = NULL;
  cleanup_free char *ctrls = NULL;
  yajl_val obj;
  size_t i;

  TRY (get_section (resources, "unified", yajl_t_object, &obj, err));
  if (obj == NULL || YAJL_GET_OBJECT (obj)->len == 0)
    return 0;
  uh = find_unified (h);
  if (h->layout == LIBCRUN_CGROUP_V1 || uh == NULL)
    return libcrun_make_error (
        err, ENOTSUP, RES ".unified: key `%s` needs cgroup v2, this host has cgroup v1 only",
        YAJL_GET_OBJECT (obj)->keys[0]);
  dir = dir_of (uh, path);
  TRY (cg_read (dir, "cgroup.controllers", &ctrls, err));

  for (i = 0; i < YAJL_GET_OBJECT (obj)->len; i++)
    {
      const char *key = YAJL_GET_OBJECT (obj)->keys[i];
      yajl_val v = YAJL_GET_OBJECT (obj)->values[i];
      cleanup_free char *ctrl = NULL;
      cleanup_free char *ew = xasprintf (RES ".unified.%s", key);
      int ret;

      if (key[0] == '\0' || key[0] == '.' || strchr (key, '/') || strchr (key, '.') == NULL)
        return libcrun_make_error (err, EINVAL, RES ".unified: invalid key `%s`", key);
      if (!YAJL_IS_STRING (v))
        return libcrun_make_error (err, EINVAL, "%s: expected a string value", ew);
      ctrl = xasprintf ("%.*s", (int)(strchr (key, '.') - key), key);
      if (strcmp (ctrl, "cgroup") != 0 && !list_has (ctrls, ctrl, " \n"))
        {
          if (find_v1 (h, ctrl))
            return libcrun_make_error (err, ENOTSUP,
                                       RES ".unified: key `%s`: the `%s` controller is bound to "
                                           "cgroup v1 on this hybrid host",
                                       key, ctrl);
          return libcrun_make_error (err, ENOTSUP,
                                     RES ".unified: key `%s`: controller `%s` is not available in "
                                         "the unified hierarchy",
                                     key, ctrl);
        }
      if (!cg_has_file (dir, key))
        return libcrun_make_error (err, ENOENT, RES ".unified: unknown key `%s` (no `%s/%s`)", key,
                                   dir, key);
      ret = cg_write (dir, key, YAJL_GET_STRING (v), ew, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
libcrun_cgroup_apply_resources (const struct libcrun_cgroup *cg, yajl_val resources,
                                libcrun_error_t *err)
{
  cleanup_hierarchies struct hierarchies h = { 0 };

  if (resources == NULL || YAJL_IS_NULL (resources))
    return 0;
  if (!YAJL_IS_OBJECT (resources))
    return libcrun_make_error (err, EINVAL, RES ": expected an object");
  TRY (read_hierarchies (&h, err));

  TRY (apply_memory (&h, cg->path, resources, err));
  TRY (apply_pids (&h, cg->path, resources, err));
  TRY (apply_cpu (&h, cg->path, resources, err));
  TRY (apply_blkio (&h, cg->path, resources, err));
  TRY (apply_hugetlb (&h, cg->path, resources, err));
  TRY (apply_network (&h, cg->path, resources, err));
  TRY (apply_rdma (&h, cg->path, resources, err));
  TRY (apply_devices (&h, cg->path, resources, err));
  /* Last, so that raw values win over the translated ones. */
  TRY (apply_unified (&h, cg->path, resources, err));
  return 0;
}

/* ------------------------------------------------------------------ */
/* Processes. */

/* The hierarchy whose cgroup.procs is read: unified, else name=systemd,
 * else the first one. */
static const struct hierarchy *
procs_hierarchy (const struct hierarchies *h)
{
  const struct hierarchy *hi = find_unified (h);
  if (hi)
    return hi;
  hi = find_v1 (h, "name=systemd");
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
  cleanup_hierarchies struct hierarchies h = { 0 };
  cleanup_free char *dir = NULL;
  const struct hierarchy *hi;
  pid_t *v = NULL;
  size_t len = 0, cap = 0;
  int ret;

  TRY (read_hierarchies (&h, err));
  hi = procs_hierarchy (&h);
  dir = dir_of (hi, cg->path);
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

#define KILL_TIMEOUT_MS 2000

int
libcrun_cgroup_kill_all (const struct libcrun_cgroup *cg, int sig, libcrun_error_t *err)
{
  cleanup_hierarchies struct hierarchies h = { 0 };
  const struct hierarchy *uh;
  const struct hierarchy *fh;
  bool used_cgroup_kill = false;
  int64_t deadline;
  size_t alive;

  TRY (read_hierarchies (&h, err));
  uh = find_unified (&h);
  fh = find_v1 (&h, "freezer");

  /* A cgroup that is already gone has nobody to kill. */
  {
    cleanup_free char *pdir = dir_of (procs_hierarchy (&h), cg->path);
    if (access (pdir, F_OK) < 0 && errno == ENOENT)
      return 0;
  }

  if (sig == SIGKILL && uh)
    {
      cleanup_free char *dir = dir_of (uh, cg->path);
      if (cg_has_file (dir, "cgroup.kill"))
        {
          TRY (cg_write (dir, "cgroup.kill", "1", "kill cgroup", err));
          used_cgroup_kill = true;
        }
    }

  deadline = now_ms () + KILL_TIMEOUT_MS;
  for (;;)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0, i;

      if (!used_cgroup_kill)
        {
          TRY (libcrun_cgroup_pids (cg, &pids, &n, err));
          for (i = 0; i < n; i++)
            if (kill (pids[i], sig) < 0 && errno != ESRCH)
              return libcrun_make_error (err, errno, "kill cgroup `%s`: kill pid %d", cg->path,
                                         (int)pids[i]);
        }
      if (sig != SIGKILL)
        return 0;
      /* Frozen v1 tasks cannot die: thaw them. */
      if (fh)
        {
          cleanup_free char *fdir = dir_of (fh, cg->path);
          if (cg_has_file (fdir, "freezer.state"))
            (void)cg_write_raw (fdir, "freezer.state", "THAWED");
        }
      TRY (count_alive (cg, &alive, err));
      if (alive == 0)
        return 0;
      if (now_ms () > deadline)
        return libcrun_make_error (
            err, EBUSY, "kill cgroup `%s`: %zu processes still alive after SIGKILL (%d ms)",
            cg->path, alive, KILL_TIMEOUT_MS);
      sleep_ms (10);
    }
}

#define FREEZE_TIMEOUT_MS 5000

int
libcrun_cgroup_freeze (const struct libcrun_cgroup *cg, bool freeze, libcrun_error_t *err)
{
  cleanup_hierarchies struct hierarchies h = { 0 };
  const struct hierarchy *hi;
  cleanup_free char *dir = NULL;
  int64_t deadline = now_ms () + FREEZE_TIMEOUT_MS;
  const char *what = freeze ? "freeze cgroup" : "thaw cgroup";

  TRY (read_hierarchies (&h, err));
  hi = find_v1 (&h, "freezer");
  if (hi)
    {
      const char *want = freeze ? "FROZEN" : "THAWED";
      dir = dir_of (hi, cg->path);
      for (;;)
        {
          cleanup_free char *state = NULL;
          /* Re-writing FROZEN pushes a stuck FREEZING along. */
          TRY (cg_write (dir, "freezer.state", want, what, err));
          TRY (cg_read (dir, "freezer.state", &state, err));
          strip_trailing (state);
          if (strcmp (state, want) == 0)
            return 0;
          if (now_ms () > deadline)
            {
              if (freeze)
                (void)cg_write_raw (dir, "freezer.state", "THAWED");
              return libcrun_make_error (err, ETIMEDOUT, "%s `%s`: freezer.state is still `%s`",
                                         what, cg->path, state);
            }
          sleep_ms (10);
        }
    }

  hi = find_unified (&h);
  if (hi)
    {
      dir = dir_of (hi, cg->path);
      if (cg_has_file (dir, "cgroup.freeze"))
        {
          const char *want = freeze ? "frozen 1" : "frozen 0";
          TRY (cg_write (dir, "cgroup.freeze", freeze ? "1" : "0", what, err));
          for (;;)
            {
              cleanup_free char *events = NULL;
              char *line, *saveptr = NULL;
              TRY (cg_read (dir, "cgroup.events", &events, err));
              for (line = strtok_r (events, "\n", &saveptr); line;
                   line = strtok_r (NULL, "\n", &saveptr))
                if (strcmp (line, want) == 0)
                  return 0;
              if (now_ms () > deadline)
                return libcrun_make_error (err, ETIMEDOUT,
                                           "%s `%s`: cgroup.events does not report `%s`", what,
                                           cg->path, want);
              sleep_ms (10);
            }
        }
    }
  return libcrun_make_error (err, ENOTSUP,
                             "%s `%s`: no freezer (neither freezer.state nor cgroup.freeze)", what,
                             cg->path);
}

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
  cleanup_hierarchies struct hierarchies h = { 0 };
  int64_t deadline;
  size_t i;
  int first_err = 0;
  cleanup_free char *first_dir = NULL;

  TRY (read_hierarchies (&h, err));
  if (kill_procs)
    TRY (libcrun_cgroup_kill_all (cg, SIGKILL, err));

  deadline = now_ms () + RMDIR_TIMEOUT_MS;
  for (i = 0; i < h.n; i++)
    {
      cleanup_free char *dir = dir_of (&h.v[i], cg->path);
      int ret;
      for (;;)
        {
          ret = rmdir_tree (dir, 0);
          if (ret != -EBUSY || now_ms () > deadline)
            break;
          sleep_ms (10);
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
