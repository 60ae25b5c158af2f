/* Step 1 of the rootfs set-up (mount.h): the mount tree made private,
 * the rootfs bound onto itself, config.mounts in order (mount_one: binds
 * and file systems here, the cgroup view in mount_cgroup.c), then /dev
 * (mount_dev.c).  The safety rule of mount_internal.h holds throughout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_internal.h"
#include "copy_tree.h"
#include "log.h"
#include "mountinfo.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Config mounts                                                            */
/* ------------------------------------------------------------------------ */

static int
set_propagation (const struct mount_ctx *ctx, int fd, const char *path, unsigned long prop)
{
  struct fd_target t;
  return mount (NULL, libcrun_mount_target (ctx, fd, path, &t), NULL, prop, NULL);
}

/* The r$FLAG options on the mount `fd` and all below it.  In a user
 * namespace the kernel refuses (EPERM) to clear the flags it locked on
 * mounts that came from the host, or to change their atime mode: what can
 * be set is set, and the locked flags stay, as with the plain options. */
static int
set_recursive_attributes (const struct mount_ctx *ctx, int fd, const struct libcrun_mount_flags *mf,
                          libcrun_error_t *err)
{
  struct libcrun_mount_attr a = { .attr_set = mf->rec_attr_set, .attr_clr = mf->rec_attr_clr };

  if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) == 0)
    return 0;
  if (errno == EPERM && ctx->o->userns)
    {
      libcrun_debug ("recursive mount attributes: the kernel keeps the flags it locked in this "
                     "user namespace; setting only the others");
      a.attr_set &= ~(uint64_t)LIBCRUN_MOUNT_ATTR__ATIME;
      a.attr_clr = 0;
      if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) == 0)
        return 0;
    }
  if (errno == ENOSYS)
    return libcrun_make_error (err, errno,
                               "recursive (r*) options need mount_setattr (Linux 5.12)");
  return libcrun_make_error (err, errno, "set the recursive (r*) attributes");
}

/* After the first mount call: the read-only & co. pass of bind mounts, the
 * recursive attributes and the separate propagation call. */
static int
finish_mount (const struct mount_ctx *ctx, const char *dest, bool bind,
              const struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  cleanup_close int fd = -1;

  /* A symlink bound there (src-nofollow) or below it (dest-nofollow) is
   * the mount itself: not followed. */
  if (libcrun_reopen_dest (ctx, dest, mf->dest_nofollow || mf->src_nofollow, &fd, err) < 0)
    return -1;
  /* MS_BIND ignores every other flag on the first call: apply them now. */
  if (bind && ((mf->flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS)) || mf->clear_flags))
    {
      if (libcrun_remount_bind (ctx, fd, dest, mf->flags, mf->clear_flags) < 0)
        return libcrun_make_error (err, errno, "remount bind");
    }
  if ((mf->rec_attr_set || mf->rec_attr_clr) && set_recursive_attributes (ctx, fd, mf, err) < 0)
    return -1;
  if (mf->propagation && set_propagation (ctx, fd, dest, mf->propagation) < 0)
    return libcrun_make_error (err, errno, "set propagation");
  return 0;
}

static bool
has_new_netns (const struct oci_config *c)
{
  size_t i;
  if (c->linux_cfg == NULL)
    return false;
  for (i = 0; i < c->linux_cfg->n_namespaces; i++)
    if (c->linux_cfg->namespaces[i].type == CLONE_NEWNET)
      return true;
  return false;
}

/* Host paths that stand in for a filesystem we may not mount ourselves
 * (user namespace without the matching namespace of its own). */
static const char *
host_fallback_for (const char *type)
{
  if (strcmp (type, "sysfs") == 0)
    return "/sys";
  if (strcmp (type, "proc") == 0)
    return "/proc";
  if (strcmp (type, "mqueue") == 0)
    return "/dev/mqueue";
  return NULL;
}

/* `data` without its "KEY..." items ("gid=5" for key "gid="), in place. */
static void
drop_data_option (char *data, const char *key)
{
  char *r = data, *w = data;
  size_t klen = strlen (key);

  while (*r)
    {
      char *end = strchrnul (r, ',');
      size_t len = (size_t)(end - r);
      if (strncmp (r, key, klen) != 0)
        {
          if (w != data)
            *w++ = ',';
          memmove (w, r, len);
          w += len;
        }
      r = *end ? end + 1 : end;
    }
  *w = '\0';
}

/* copy-symlink: the source is a symlink; the destination becomes the same
 * symlink (replacing an empty file or a symlink already there). */
static int
copy_symlink_to (const struct mount_ctx *ctx, const char *source, const char *dest,
                 libcrun_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_free char *name = NULL;
  char target[PATH_MAX];
  ssize_t n = readlink (source, target, sizeof (target) - 1);

  if (n < 0)
    return libcrun_make_error (err, errno, "read the symlink `%s`", source);
  target[n] = '\0';
  if (libcrun_resolve_parent_in_root (ctx->rootfd, dest, &dirfd, &name, err) < 0)
    return -1;
  if (symlinkat (target, dirfd, name) == 0)
    return 0;
  if (errno == EEXIST && unlinkat (dirfd, name, 0) == 0 && symlinkat (target, dirfd, name) == 0)
    return 0;
  return libcrun_make_error (err, errno, "create the symlink `%s` -> `%s`", dest, target);
}

/* The destination of a bind, created as a directory or a file like its
 * source; with dest-nofollow a symlink there is the mount point itself. */
static int
bind_destination (const struct mount_ctx *ctx, const struct oci_mount *m, bool dir, bool nofollow,
                  int *fd, libcrun_error_t *err)
{
  cleanup_close int dirfd = -1;
  cleanup_free char *name = NULL;

  if (!nofollow)
    return libcrun_resolve_in_root (ctx->rootfd, m->destination, dir ? CREATE_DIR : CREATE_FILE,
                                    dir ? 0755 : 0644, fd, err);
  if (libcrun_resolve_parent_in_root (ctx->rootfd, m->destination, &dirfd, &name, err) < 0)
    return -1;
  *fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (*fd < 0 && errno == ENOENT)
    {
      if (dir ? mkdirat (dirfd, name, 0755) < 0
              : mknodat (dirfd, name, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
        return libcrun_make_error (err, errno, "create `%s`", m->destination);
      *fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    }
  if (*fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", m->destination);
  return 0;
}

/* A detached mount from the runtime (mount_sources.c) onto `dest`. */
static int
attach_detached (int treefd, int destfd, const char *dest, const struct libcrun_mount_flags *mf,
                 const struct mount_ctx *ctx, libcrun_error_t *err)
{
  if (sys_move_mount (treefd, "", destfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)
      < 0)
    return libcrun_make_error (err, errno, "attach the source opened by the runtime");
  return finish_mount (ctx, dest, true, mf, err);
}

static int
bind_one (const struct mount_ctx *ctx, const struct oci_mount *m, struct libcrun_mount_flags *mf,
          int treefd, libcrun_error_t *err)
{
  const struct libcrun_rootfs_options *o = ctx->o;
  bool nofollow_src = mf->src_nofollow || mf->copy_symlink;
  cleanup_free char *source = NULL;
  cleanup_free char *srcpath = NULL;
  cleanup_close int fd = -1, srcfd = -1;
  struct stat st;

  if (m->source == NULL || m->source[0] == '\0')
    return libcrun_make_error (err, EINVAL, "no source");
  /* A bind takes no file-system data: an unknown word is a mistake (or an
   * option of a newer runtime), never something to pass on or ignore. */
  if (mf->data)
    return libcrun_make_error (err, EINVAL, "unknown mount option(s) `%s`", mf->data);
  source = m->source[0] == '/' ? xstrdup (m->source) : libcrun_join_path (o->bundle, m->source);
  if (treefd >= 0)
    {
      /* What was opened: the init may not be able to look at the path. */
      if (fstat (treefd, &st) < 0)
        return libcrun_make_error (err, errno, "stat the source opened by the runtime");
      if (bind_destination (ctx, m, S_ISDIR (st.st_mode), mf->dest_nofollow, &fd, err) < 0)
        return -1;
      return attach_detached (treefd, fd, m->destination, mf, ctx, err);
    }
  if ((nofollow_src ? lstat (source, &st) : stat (source, &st)) < 0)
    return libcrun_make_error (err, errno, "stat the source");
  if (mf->copy_symlink && S_ISLNK (st.st_mode))
    return copy_symlink_to (ctx, source, m->destination, err);
  if (mf->src_nofollow)
    {
      /* The symlink itself, through an O_PATH descriptor of it. */
      srcfd = open (source, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (srcfd < 0)
        return libcrun_make_error (err, errno, "open the source");
      srcpath = xasprintf ("/proc/self/fd/%d", srcfd);
    }
  if (bind_destination (ctx, m, S_ISDIR (st.st_mode), mf->dest_nofollow, &fd, err) < 0)
    return -1;
  if (libcrun_bind_mount (ctx, srcpath ? srcpath : source, fd, m->destination,
                          (mf->flags & MS_REC) != 0)
      < 0)
    return libcrun_make_error (err, errno, "bind");
  return finish_mount (ctx, m->destination, true, mf, err);
}

/* A tmpfs with tmpcopyup: what it covers is copied into it. */
static int
copy_up (const struct mount_ctx *ctx, int covered, const char *dest, libcrun_error_t *err)
{
  cleanup_close int top = libcrun_open_in_root (ctx->rootfd, dest, O_RDONLY | O_DIRECTORY);

  if (top < 0)
    return libcrun_make_error (err, errno, "open `%s` after mounting", dest);
  return libcrun_copy_tree (covered, top, dest, err);
}

/* A cgroup mount: libcrun_mount_cgroup does the mounting; only the
 * propagation is left to set on what it mounted. */
static int
cgroup_mount_one (const struct mount_ctx *ctx, const struct oci_mount *m,
                  struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  cleanup_close int fd = -1;

  if (libcrun_mount_cgroup (ctx, m->destination, mf, err) < 0)
    return -1;
  if (mf->propagation
      && (libcrun_reopen_dest (ctx, m->destination, false, &fd, err) < 0
          || (set_propagation (ctx, fd, m->destination, mf->propagation) < 0
              && libcrun_make_error (err, errno, "set propagation") < 0)))
    return -1;
  return 0;
}

/* mount(2) of the filesystem on the resolved destination `fd`.  Returns
 * < 0 with errno set on failure. */
static int
mount_filesystem (const struct mount_ctx *ctx, const struct oci_mount *m,
                  struct libcrun_mount_flags *mf, int fd)
{
  const struct libcrun_rootfs_options *o = ctx->o;
  struct fd_target t;
  const char *type = m->type;
  char *data = mf->data;
  int ret;

  ret = mount (m->source ? m->source : type, libcrun_mount_target (ctx, fd, m->destination, &t),
               type, mf->flags, data);
  if (ret < 0 && errno == EINVAL && o->userns && strcmp (type, "devpts") == 0 && data
      && strstr (data, "gid="))
    {
      /* devpts refuses a gid= the user namespace does not map (a default
       * mapping of root alone has no group 5): the ptys keep the gid of
       * their opener, as crun does it. */
      libcrun_debug ("mount `%s`: devpts refused `%s` in this user namespace, mounting "
                     "without its gid option",
                     m->destination, data);
      drop_data_option (data, "gid=");
      ret = mount (m->source ? m->source : type, libcrun_mount_target (ctx, fd, m->destination, &t),
                   type, mf->flags, data);
    }
  return ret;
}

/* e.g. sysfs in a user namespace without its own network namespace
 * cannot be mounted: show the host's instead, with the same flags. */
static int
bind_host_instead (const struct mount_ctx *ctx, const struct oci_mount *m, int fd)
{
  const struct libcrun_rootfs_options *o = ctx->o;
  const char *host = host_fallback_for (m->type);

  libcrun_debug ("mount `%s`: %s not permitted, binding %s from the host (new netns: %s)",
                 m->destination, m->type, host, has_new_netns (o->config) ? "yes" : "no");
  return libcrun_bind_mount (ctx, host, fd, m->destination, true);
}

static int
other_mount_one (const struct mount_ctx *ctx, const struct oci_mount *m,
                 struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  const struct libcrun_rootfs_options *o = ctx->o;
  cleanup_close int fd = -1, covered = -1;
  const char *type = m->type;
  bool bind = false;
  int ret;

  if (type == NULL || type[0] == '\0')
    return libcrun_make_error (err, EINVAL, "no type given");
  if (strcmp (type, "cgroup") == 0)
    return cgroup_mount_one (ctx, m, mf, err);
  if (mf->tmpcopyup && strcmp (type, "tmpfs") != 0)
    return libcrun_make_error (err, EINVAL, "tmpcopyup applies to tmpfs mounts only");

  if (libcrun_resolve_in_root (ctx->rootfd, m->destination, CREATE_DIR, 0755, &fd, err) < 0)
    return -1;
  if (mf->tmpcopyup)
    {
      covered = libcrun_open_in_root (ctx->rootfd, m->destination, O_RDONLY | O_DIRECTORY);
      if (covered < 0)
        return libcrun_make_error (err, errno, "open `%s` (tmpcopyup)", m->destination);
    }

  ret = mount_filesystem (ctx, m, mf, fd);
  if (ret < 0 && errno == EPERM && o->userns && host_fallback_for (type))
    {
      ret = bind_host_instead (ctx, m, fd);
      if (ret == 0)
        bind = true;
    }
  if (ret < 0)
    return libcrun_make_error (err, errno, "mount");
  if (covered >= 0 && copy_up (ctx, covered, m->destination, err) < 0)
    return -1;
  return finish_mount (ctx, m->destination, bind, mf, err);
}

static int
mount_one (const struct mount_ctx *ctx, size_t index, libcrun_error_t *err)
{
  const struct oci_mount *m = &ctx->o->config->mounts[index];
  int treefd = ctx->o->mount_fds ? ctx->o->mount_fds[index] : -1;
  struct libcrun_mount_flags mf;
  bool bind;
  int ret;

  if (libcrun_parse_mount_options (m->options, &mf, err) < 0)
    return libcrun_error_wrap (err, "mount `%s`", m->destination);
  bind = libcrun_mount_is_bind (m, &mf);
  if (bind && !(mf.flags & MS_BIND))
    /* type "bind" without a bind option: recursive, as crun does, so
     * that nothing mounted below the source is uncovered. */
    mf.flags |= MS_BIND | MS_REC;
  ret = bind ? bind_one (ctx, m, &mf, treefd, err) : other_mount_one (ctx, m, &mf, err);
  libcrun_mount_flags_release (&mf);
  if (ret < 0)
    return libcrun_error_wrap (err, "mount `%s` (source `%s`, type %s)", m->destination,
                               m->source ? m->source : "",
                               bind      ? "bind"
                               : m->type ? m->type
                                         : "");
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Step 1                                                                   */
/* ------------------------------------------------------------------------ */

/* Make the mount that holds `path` (its longest mountinfo prefix) private:
 * pivot_root and MS_MOVE refuse a new root whose parent mount is shared. */
static int
make_parent_mount_private (const char *path, libcrun_error_t *err)
{
  struct mountinfo_entry *mi = NULL;
  size_t n = 0, i, best_len = 0;
  const char *best = NULL;
  int ret = 0;

  if (libcrun_read_mountinfo (&mi, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    {
      const char *mp = mi[i].mountpoint;
      size_t len = strlen (mp);
      if (strcmp (mp, "/") == 0)
        len = 0;
      else if (strncmp (path, mp, len) != 0 || (path[len] != '/' && path[len] != '\0'))
        continue;
      /* Strictly above `path`: the rootfs bind itself is not its parent. */
      if (path[len] == '\0')
        continue;
      if (best == NULL || len >= best_len)
        {
          best = mp;
          best_len = len;
        }
    }
  if (best && mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    ret = libcrun_make_error (err, errno, "make `%s` private", best);
  libcrun_mountinfo_free (mi, n);
  return ret;
}

int
libcrun_rootfs_mount (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  struct mount_ctx ctx;
  cleanup_close int rootfd = -1;
  unsigned long prop;
  int ret;
  size_t i;

  prop = libcrun_rootfs_propagation (o->config, err, &ret);
  if (ret < 0)
    return -1;
  /* An unbindable tree would refuse the bind of the rootfs below: it is
   * private until the pivot step applies the configured propagation. */
  if (prop & MS_UNBINDABLE)
    prop = MS_PRIVATE;
  /* Recursive, so that nothing we mount propagates back to the host
   * (unless the config asked for shared propagation). */
  if (mount (NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "set propagation of `/`");

  /* pivot_root refuses a new root whose parent mount is shared.  When the
   * rootfs is a mount already (podman's overlay "merged"), that parent is
   * the rootfs mount itself, under the bind below: it is made private
   * first (EINVAL: not a mount point, nothing to do).  The configured
   * propagation is set on the new root after the pivot. */
  if (mount (NULL, o->rootfs, NULL, MS_PRIVATE, NULL) < 0 && errno != EINVAL)
    return libcrun_make_error (err, errno, "make the rootfs `%s` private", o->rootfs);
  /* The rootfs becomes a mount point of its own: pivot_root needs one, and
   * it keeps the mounts below from touching the parent filesystem. */
  if (mount (o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "bind mount the rootfs `%s`", o->rootfs);
  if (make_parent_mount_private (o->rootfs, err) < 0)
    return -1;

  /* Opened after the bind, so that it names the new mount. */
  rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return libcrun_make_error (err, errno, "open the rootfs `%s`", o->rootfs);

  ctx.o = o;
  ctx.rootfd = rootfd;
  ctx.use_proc_fd = true; /* the host's /proc is still ours */

  for (i = 0; i < o->config->n_mounts; i++)
    if (mount_one (&ctx, i, err) < 0)
      return -1;
  return libcrun_populate_dev (&ctx, err);
}
