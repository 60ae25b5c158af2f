/* The cgroup mount of config.mounts (type "cgroup"), per host layout:
 * cgroup2 alone, or a tmpfs with one mount per v1 (or hybrid) hierarchy. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_internal.h"
#include "mountinfo.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

/* The calling process's cgroup in one hierarchy, from the content of
 * /proc/self/cgroup: the "0::" line for cgroup2, else the line whose
 * controllers ("cpu,cpuacct", "name=systemd") are all among the superblock
 * options of the hierarchy's mount.  NULL when no line matches. */
static char *
own_cgroup_in (const char *proc_cgroup, bool v2, const char *super_opts)
{
  cleanup_free char *copy = xstrdup (proc_cgroup);
  char *line, *save = NULL;

  for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2, *tok, *s2 = NULL;
      bool unified, all = true;
      if (c1 == NULL || (c2 = strchr (c1 + 1, ':')) == NULL)
        continue;
      *c1 = *c2 = '\0';
      unified = strcmp (line, "0") == 0 && c1 + 1 == c2;
      if (unified || v2 || c1 + 1 == c2)
        {
          if (unified && v2)
            return xstrdup (c2 + 1);
          continue;
        }
      for (tok = strtok_r (c1 + 1, ",", &s2); tok; tok = strtok_r (NULL, ",", &s2))
        if (!libcrun_list_has (super_opts, tok, ","))
          all = false;
      if (all)
        return xstrdup (c2 + 1);
    }
  return NULL;
}

/* One cgroup mount of config.mounts. */
struct cgroup_view
{
  const struct mount_ctx *ctx;
  const char *dest;
  unsigned long base; /* the mount's flags without ro, bind, rec and remount */
  bool ro;
  /* v1 or hybrid: a real directory descriptor of our own fresh tmpfs at
   * dest, so that names created in it cannot be symlinks planted by the
   * rootfs, and /proc/self/cgroup (NULL when unreadable). */
  int tmpfd;
  const char *proc_cgroup;
};

/* Pure cgroup v2 host.  Read-only is applied afterwards as a per-mount
 * flag: the superblock is shared with the host's. */
static int
mount_cgroup2 (const struct cgroup_view *v, int *fd, libcrun_error_t *err)
{
  struct fd_target t;

  if (mount ("cgroup2", libcrun_mount_target (v->ctx, *fd, v->dest, &t), "cgroup2", v->base, NULL)
      < 0)
    {
      if (errno != EPERM && errno != EBUSY)
        return libcrun_make_error (err, errno, "mount cgroup2");
      if (libcrun_bind_mount (v->ctx, "/sys/fs/cgroup", *fd, v->dest, true) < 0)
        return libcrun_make_error (err, errno, "bind /sys/fs/cgroup");
    }
  if (libcrun_reopen_dest (v->ctx, v->dest, false, fd, err) < 0)
    return -1;
  if (v->ro && libcrun_remount_bind (v->ctx, *fd, v->dest, v->base | MS_RDONLY, 0) < 0)
    return libcrun_make_error (err, errno, "remount cgroup2 read-only");
  return 0;
}

/* The name of a host's hierarchy, /sys/fs/cgroup/<name>, or NULL for any
 * other mount: this also skips anything already mounted inside the
 * rootfs. */
static const char *
hierarchy_name (const struct mountinfo_entry *e)
{
  const char *name;

  if (strcmp (e->fstype, "cgroup2") != 0 && strcmp (e->fstype, "cgroup") != 0)
    return NULL;
  if (strncmp (e->mountpoint, "/sys/fs/cgroup/", 15) != 0)
    return NULL;
  name = e->mountpoint + 15;
  if (name[0] == '\0' || strchr (name, '/') || name[0] == '.')
    return NULL;
  return name;
}

/* The superblock options without rw/ro (the view decides) and without
 * release_agent (refused outside the initial namespaces, and not the
 * container's business); NULL when none is left. */
static char *
hierarchy_data (const char *super_opts)
{
  cleanup_free char *opts = xstrdup (super_opts);
  char *tok, *save = NULL, *data = NULL;

  for (tok = strtok_r (opts, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *nd;
      if (strcmp (tok, "rw") == 0 || strcmp (tok, "ro") == 0
          || strncmp (tok, "release_agent=", 14) == 0)
        continue;
      nd = data ? xasprintf ("%s,%s", data, tok) : xstrdup (tok);
      free (data);
      data = nd;
    }
  return data;
}

/* The own cgroup in the hierarchy `e`, relative to the host's mount of it
 * (whose root is not "/" when the host itself is nested); NULL when it is
 * unknown, outside that mount, or the mount's root. */
static char *
own_cgroup_below (const char *proc_cgroup, const struct mountinfo_entry *e, bool v2)
{
  char *own = proc_cgroup ? own_cgroup_in (proc_cgroup, v2, e->super_opts) : NULL;
  size_t rootlen = strlen (e->root);

  if (own && strcmp (e->root, "/") != 0)
    {
      if (strncmp (own, e->root, rootlen) == 0 && (own[rootlen] == '/' || own[rootlen] == '\0'))
        memmove (own, own + rootlen, strlen (own + rootlen) + 1);
      else
        {
          free (own);
          own = NULL;
        }
    }
  if (own && (own[0] == '\0' || strcmp (own, "/") == 0))
    {
      free (own);
      own = NULL;
    }
  return own;
}

/* The hierarchy `e` on `sub` (at `subpath`).  Without a cgroup namespace
 * of its own, the process sees its cgroups by their full path, and a
 * fresh cgroup mount would show the root of each hierarchy: its own
 * cgroup is bound instead, as runc and crun do.  In a cgroup namespace the
 * paths read "/" and a fresh mount shows the right view. */
static int
mount_hierarchy (const struct cgroup_view *v, const struct mountinfo_entry *e, const char *name,
                 int sub, const char *subpath, libcrun_error_t *err)
{
  bool v2 = strcmp (e->fstype, "cgroup2") == 0;
  cleanup_free char *data = hierarchy_data (e->super_opts);
  cleanup_free char *own = own_cgroup_below (v->proc_cgroup, e, v2);
  struct fd_target st;
  const char *target = libcrun_mount_target (v->ctx, sub, subpath, &st);
  int r;

  if (own)
    {
      cleanup_free char *src = libcrun_join_path (e->mountpoint, own);
      if (mount (src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return libcrun_make_error (err, errno, "bind cgroup `%s`", src);
      return 0;
    }
  r = mount (v2 ? "cgroup2" : "cgroup", target, v2 ? "cgroup2" : "cgroup", v->base,
             v2 ? NULL : data);
  if (r < 0 && (errno == EPERM || errno == EBUSY))
    {
      /* Not allowed to mount a hierarchy here (user namespace, no
       * cgroup namespace): show the host's instead. */
      r = mount (e->mountpoint, target, NULL, MS_BIND | MS_REC, NULL);
    }
  if (r < 0)
    return libcrun_make_error (err, errno, "mount cgroup hierarchy `%s`", name);
  return 0;
}

/* Co-mounted controllers ("cpu,cpuacct") are also reachable under each
 * controller's name, as on the host. */
static int
link_comounted (int tmpfd, const char *name, libcrun_error_t *err)
{
  cleanup_free char *parts = NULL;
  char *save = NULL, *c;

  if (strchr (name, ',') == NULL)
    return 0;
  parts = xstrdup (name);
  for (c = strtok_r (parts, ",", &save); c; c = strtok_r (NULL, ",", &save))
    if (symlinkat (name, tmpfd, c) < 0 && errno != EEXIST)
      return libcrun_make_error (err, errno, "symlink cgroup `%s`", c);
  return 0;
}

/* The host's hierarchy `e` (when it is one) as its own directory of the
 * tmpfs. */
static int
add_hierarchy (const struct cgroup_view *v, const struct mountinfo_entry *e, libcrun_error_t *err)
{
  const char *name = hierarchy_name (e);
  cleanup_free char *subpath = NULL;
  cleanup_close int sub = -1;

  if (name == NULL)
    return 0;
  if (mkdirat (v->tmpfd, name, 0755) < 0)
    {
      if (errno == EEXIST)
        return 0; /* the same hierarchy listed twice */
      return libcrun_make_error (err, errno, "create cgroup directory `%s`", name);
    }
  sub = openat (v->tmpfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return libcrun_make_error (err, errno, "open cgroup directory `%s`", name);
  subpath = libcrun_join_path (v->dest, name);
  if (mount_hierarchy (v, e, name, sub, subpath, err) < 0)
    return -1;
  if (v->ro)
    {
      cleanup_close int top = openat (v->tmpfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (top < 0 || libcrun_remount_bind (v->ctx, top, subpath, v->base | MS_RDONLY, 0) < 0)
        return libcrun_make_error (err, errno, "remount cgroup hierarchy `%s` read-only", name);
    }
  return link_comounted (v->tmpfd, name, err);
}

/* v1 or hybrid host: a tmpfs holding one mount per hierarchy. */
static int
mount_cgroup_tmpfs (struct cgroup_view *v, int *fd, libcrun_error_t *err)
{
  const unsigned long tmpfs_flags = v->base | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  struct fd_target t;
  struct mountinfo_entry *mi = NULL;
  size_t n_mi = 0, i;
  cleanup_close int tmpfd = -1;
  cleanup_free char *proc_cgroup = NULL;
  int ret = 0;

  if (mount ("tmpfs", libcrun_mount_target (v->ctx, *fd, v->dest, &t), "tmpfs", tmpfs_flags,
             "mode=755")
      < 0)
    return libcrun_make_error (err, errno, "mount tmpfs for the cgroup hierarchies");
  if (libcrun_reopen_dest (v->ctx, v->dest, false, fd, err) < 0)
    return -1;
  tmpfd = openat (*fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tmpfd < 0)
    return libcrun_make_error (err, errno, "open the cgroup tmpfs");
  if (libcrun_read_mountinfo (&mi, &n_mi, err) < 0)
    return -1;
  if (read_all_file ("/proc/self/cgroup", &proc_cgroup, NULL, NULL) < 0)
    proc_cgroup = NULL;
  v->tmpfd = tmpfd;
  v->proc_cgroup = proc_cgroup;

  for (i = 0; i < n_mi && ret == 0; i++)
    ret = add_hierarchy (v, &mi[i], err);
  if (ret == 0 && v->ro
      && libcrun_remount_bind (v->ctx, *fd, v->dest, tmpfs_flags | MS_RDONLY, 0) < 0)
    ret = libcrun_make_error (err, errno, "remount the cgroup tmpfs read-only");
  libcrun_mountinfo_free (mi, n_mi);
  return ret;
}

int
libcrun_mount_cgroup (const struct mount_ctx *ctx, const char *dest,
                      const struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  struct cgroup_view v = {
    .ctx = ctx,
    .dest = dest,
    .base = mf->flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT),
    .ro = (mf->flags & MS_RDONLY) != 0,
    .tmpfd = -1,
  };
  struct statfs sfs;
  cleanup_close int fd = -1;

  if (libcrun_resolve_in_root (ctx->rootfd, dest, CREATE_DIR, 0755, &fd, err) < 0)
    return -1;
  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return mount_cgroup2 (&v, &fd, err);
  return mount_cgroup_tmpfs (&v, &fd, err);
}
