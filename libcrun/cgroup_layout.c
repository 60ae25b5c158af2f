/* The cgroup hierarchies of this host (see cgroup_internal.h).
 *
 * - The hierarchies are rediscovered from /proc/self/mountinfo on every
 *   call; the handle only stores the layout and the path.  Every cgroup v1
 *   hierarchy that has a controller or a name= (name=systemd) is used, each
 *   once even when mounted twice; cgroup2 is "the unified hierarchy".
 *   Mount roots other than "/" (a cgroup namespace's view) are used as is.
 *
 * - The layout: v2 when there is a cgroup2 mount and no v1 hierarchy with a
 *   controller (a lone name=systemd does not count), hybrid when there are
 *   both, else v1.
 */
#include "cgroup_internal.h"
#include "mountinfo.h"
#include "utils.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cg_hierarchies_free (struct cg_hierarchies *h)
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

/* Add a hierarchy (taking ctrls); the same hierarchy mounted twice: keep
 * the first mount.  *n_v1_ctrl counts the v1 ones that have a controller. */
static void
add_hierarchy (struct cg_hierarchies *h, const char *mnt, char *ctrls, bool unified,
               size_t *n_v1_ctrl)
{
  size_t i;

  for (i = 0; i < h->n; i++)
    if (h->v[i].unified == unified && (unified || strcmp (h->v[i].ctrls, ctrls) == 0))
      {
        free (ctrls);
        return;
      }
  h->v = xrealloc (h->v, (h->n + 1) * sizeof (*h->v));
  h->v[h->n].mnt = xstrdup (mnt);
  h->v[h->n].ctrls = ctrls;
  h->v[h->n].unified = unified;
  h->n++;
  if (unified)
    h->has_unified = true;
  else if (strncmp (ctrls, "name=", 5) != 0 || strchr (ctrls, ',') != NULL)
    (*n_v1_ctrl)++;
}

int
cg_hierarchies_read (struct cg_hierarchies *h, libcrun_error_t *err)
{
  struct mountinfo_entry *mi = NULL;
  size_t n = 0, i, n_v1_ctrl = 0;

  memset (h, 0, sizeof (*h));
  if (libcrun_read_mountinfo (&mi, &n, err) < 0)
    return -1;
  /* every cgroup2 mount, and the cgroup ones with controllers or a name= */
  for (i = 0; i < n; i++)
    {
      bool unified = strcmp (mi[i].fstype, "cgroup2") == 0;
      char *ctrls = NULL;
      if (!unified
          && (strcmp (mi[i].fstype, "cgroup") != 0
              || (ctrls = v1_controllers_of (mi[i].super_opts)) == NULL))
        continue;
      add_hierarchy (h, mi[i].mountpoint, ctrls, unified, &n_v1_ctrl);
    }
  libcrun_mountinfo_free (mi, n);

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
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  int ret = cg_hierarchies_read (&h, err);
  if (ret < 0)
    return ret;
  *layout = h.layout;
  return 0;
}

const struct cg_hierarchy *
cg_find_unified (const struct cg_hierarchies *h)
{
  size_t i;
  for (i = 0; i < h->n; i++)
    if (h->v[i].unified)
      return &h->v[i];
  return NULL;
}

const struct cg_hierarchy *
cg_find_v1 (const struct cg_hierarchies *h, const char *ctrl)
{
  size_t i;
  for (i = 0; i < h->n; i++)
    if (!h->v[i].unified && libcrun_list_has (h->v[i].ctrls, ctrl, ","))
      return &h->v[i];
  return NULL;
}

char *
cg_dir (const struct cg_hierarchy *hi, const char *path)
{
  return xasprintf ("%s%s", hi->mnt, path);
}

enum cg_loc
cg_locate (const struct cg_hierarchies *h, const char *path, const char *v1name, const char *v2name,
           char **dir)
{
  const struct cg_hierarchy *hi;
  cleanup_free char *d = NULL;
  cleanup_free char *ctrls = NULL;
  libcrun_error_t err = NULL;

  *dir = NULL;
  if (v1name && (hi = cg_find_v1 (h, v1name)) != NULL)
    {
      *dir = cg_dir (hi, path);
      return CG_LOC_V1;
    }
  if (v2name == NULL || (hi = cg_find_unified (h)) == NULL)
    return CG_LOC_NONE;
  d = cg_dir (hi, path);
  if (cg_read (d, "cgroup.controllers", &ctrls, &err) < 0)
    {
      libcrun_error_release (&err);
      return CG_LOC_NONE;
    }
  if (!libcrun_list_has (ctrls, v2name, " \n"))
    return CG_LOC_NONE;
  *dir = steal_pointer (&d);
  return CG_LOC_V2;
}
