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

/* Whether the comma-separated `opts` has the item `item`. */
static bool
opts_have (const char *opts, const char *item)
{
  size_t n = strlen (item);
  const char *p = opts;
  while (*p)
    {
      size_t len = strcspn (p, ",");
      if (len == n && strncmp (p, item, n) == 0)
        return true;
      p += len;
      if (*p)
        p++;
    }
  return false;
}

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
        if (!opts_have (super_opts, tok))
          all = false;
      if (all)
        return xstrdup (c2 + 1);
    }
  return NULL;
}

/* Mount a cgroup view on `dest` (already created as a directory).  */
int
libcrun_mount_cgroup (const struct mount_ctx *ctx, const char *dest,
                      const struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  struct fd_target t;
  struct statfs sfs;
  unsigned long base = mf->flags & ~(MS_RDONLY | MS_BIND | MS_REC | MS_REMOUNT);
  bool ro = (mf->flags & MS_RDONLY) != 0;
  struct mountinfo_entry *mi = NULL;
  size_t n_mi = 0, i;
  cleanup_close int fd = -1;
  cleanup_close int tmpfd = -1;
  cleanup_free char *proc_cgroup = NULL;
  int ret = -1;

  if (libcrun_resolve_in_root (ctx->rootfd, dest, CREATE_DIR, 0755, &fd, err) < 0)
    return -1;

  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      /* Pure cgroup v2 host.  Read-only is applied afterwards as a
       * per-mount flag: the superblock is shared with the host's. */
      if (mount ("cgroup2", libcrun_mount_target (ctx, fd, dest, &t), "cgroup2", base, NULL) < 0)
        {
          if (errno != EPERM && errno != EBUSY)
            return libcrun_make_error (err, errno, "mount cgroup2");
          if (libcrun_bind_mount (ctx, "/sys/fs/cgroup", fd, dest, true) < 0)
            return libcrun_make_error (err, errno, "bind /sys/fs/cgroup");
        }
      if (libcrun_reopen_dest (ctx, dest, false, &fd, err) < 0)
        return -1;
      if (ro && libcrun_remount_bind (ctx, fd, dest, base | MS_RDONLY, 0) < 0)
        return libcrun_make_error (err, errno, "remount cgroup2 read-only");
      return 0;
    }

  /* v1 or hybrid host: a tmpfs holding one mount per hierarchy. */
  if (mount ("tmpfs", libcrun_mount_target (ctx, fd, dest, &t), "tmpfs",
             base | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
      < 0)
    return libcrun_make_error (err, errno, "mount tmpfs for the cgroup hierarchies");
  if (libcrun_reopen_dest (ctx, dest, false, &fd, err) < 0)
    return -1;
  /* A real directory descriptor of our own fresh tmpfs: names created in
   * it cannot be symlinks planted by the rootfs. */
  tmpfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tmpfd < 0)
    return libcrun_make_error (err, errno, "open the cgroup tmpfs");

  if (libcrun_read_mountinfo (&mi, &n_mi, err) < 0)
    return -1;
  /* Without a cgroup namespace of its own, the process sees its cgroups by
   * their full path, and a fresh cgroup mount would show the root of each
   * hierarchy: bind its own cgroup instead, as runc and crun do.  In a cgroup
   * namespace the paths read "/" and a fresh mount shows the right view. */
  if (read_all_file ("/proc/self/cgroup", &proc_cgroup, NULL, NULL) < 0)
    proc_cgroup = NULL;

  for (i = 0; i < n_mi; i++)
    {
      const char *mp = mi[i].mountpoint;
      const char *name;
      bool v2 = strcmp (mi[i].fstype, "cgroup2") == 0;
      cleanup_free char *data = NULL;
      cleanup_close int sub = -1;
      struct fd_target st;
      char *tok, *save = NULL;
      cleanup_free char *opts = NULL;

      if (!v2 && strcmp (mi[i].fstype, "cgroup") != 0)
        continue;
      /* Only the host's hierarchies, /sys/fs/cgroup/<name>: this also skips
       * anything already mounted inside the rootfs. */
      if (strncmp (mp, "/sys/fs/cgroup/", 15) != 0)
        continue;
      name = mp + 15;
      if (name[0] == '\0' || strchr (name, '/') || name[0] == '.')
        continue;

      if (mkdirat (tmpfd, name, 0755) < 0)
        {
          if (errno == EEXIST)
            continue; /* the same hierarchy listed twice */
          ret = libcrun_make_error (err, errno, "create cgroup directory `%s`", name);
          goto out;
        }
      sub = openat (tmpfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        {
          ret = libcrun_make_error (err, errno, "open cgroup directory `%s`", name);
          goto out;
        }

      /* The superblock options without rw/ro (the view decides) and without
       * release_agent (refused outside the initial namespaces, and not the
       * container's business). */
      opts = xstrdup (mi[i].super_opts);
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

      {
        cleanup_free char *subpath = libcrun_join_path (dest, name);
        cleanup_free char *own
            = proc_cgroup ? own_cgroup_in (proc_cgroup, v2, mi[i].super_opts) : NULL;
        size_t rootlen = strlen (mi[i].root);
        int r;

        if (ctx->use_proc_fd)
          snprintf (st.buf, sizeof (st.buf), "/proc/self/fd/%d", sub);
        /* The own cgroup relative to the host's mount of the hierarchy
         * (whose root is not "/" when the host itself is nested). */
        if (own && strcmp (mi[i].root, "/") != 0)
          {
            if (strncmp (own, mi[i].root, rootlen) == 0
                && (own[rootlen] == '/' || own[rootlen] == '\0'))
              memmove (own, own + rootlen, strlen (own + rootlen) + 1);
            else
              {
                free (own);
                own = NULL;
              }
          }
        if (own && own[0] != '\0' && strcmp (own, "/") != 0)
          {
            cleanup_free char *src = libcrun_join_path (mp, own);
            r = mount (src, ctx->use_proc_fd ? st.buf : subpath, NULL, MS_BIND | MS_REC, NULL);
            if (r < 0)
              {
                ret = libcrun_make_error (err, errno, "bind cgroup `%s`", src);
                goto out;
              }
          }
        else
          r = mount (v2 ? "cgroup2" : "cgroup", ctx->use_proc_fd ? st.buf : subpath,
                     v2 ? "cgroup2" : "cgroup", base, v2 ? NULL : data);
        if (r < 0 && (errno == EPERM || errno == EBUSY))
          {
            /* Not allowed to mount a hierarchy here (user namespace, no
             * cgroup namespace): show the host's instead. */
            r = mount (mp, ctx->use_proc_fd ? st.buf : subpath, NULL, MS_BIND | MS_REC, NULL);
          }
        if (r < 0)
          {
            ret = libcrun_make_error (err, errno, "mount cgroup hierarchy `%s`", name);
            goto out;
          }
        if (ro)
          {
            cleanup_close int top = openat (tmpfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (top < 0 || libcrun_remount_bind (ctx, top, subpath, base | MS_RDONLY, 0) < 0)
              {
                ret = libcrun_make_error (err, errno, "remount cgroup hierarchy `%s` read-only",
                                          name);
                goto out;
              }
          }
      }

      /* Co-mounted controllers ("cpu,cpuacct") are also reachable under
       * each controller's name, as on the host. */
      if (strchr (name, ','))
        {
          cleanup_free char *parts = xstrdup (name);
          char *s3 = NULL, *c;
          for (c = strtok_r (parts, ",", &s3); c; c = strtok_r (NULL, ",", &s3))
            if (symlinkat (name, tmpfd, c) < 0 && errno != EEXIST)
              {
                ret = libcrun_make_error (err, errno, "symlink cgroup `%s`", c);
                goto out;
              }
        }
    }

  if (ro
      && libcrun_remount_bind (ctx, fd, dest, base | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
                               0)
             < 0)
    {
      ret = libcrun_make_error (err, errno, "remount the cgroup tmpfs read-only");
      goto out;
    }
  ret = 0;
out:
  libcrun_mountinfo_free (mi, n_mi);
  return ret;
}
