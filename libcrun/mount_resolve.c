/* Descriptors inside the rootfs (mount_internal.h): paths resolved with
 * openat2(RESOLVE_IN_ROOT), missing components created relative to their
 * resolved parent, and the mount calls made on what they resolve to
 * through its /proc/self/fd/N magic link. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_internal.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Like the kernel's own limit on nested symlinks. */
#define MAX_SYMLINK_HOPS 40

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
/* Per-mount flags the kernel locks when a mount is copied into a less
 * privileged user namespace: a remount that drops them fails with EPERM. */
#define LOCKED_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The string given to mount(2) for a resolved descriptor. */
const char *
libcrun_mount_target (const struct mount_ctx *ctx, int fd, const char *path, struct fd_target *t)
{
  if (!ctx->use_proc_fd)
    return path;
  snprintf (t->buf, sizeof (t->buf), "/proc/self/fd/%d", fd);
  return t->buf;
}

int
libcrun_open_in_root (int rootfd, const char *path, int flags)
{
  struct libcrun_open_how how;

  memset (&how, 0, sizeof (how));
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT;
  return sys_openat2 (rootfd, path, &how);
}

/* Build "a/b/" + "rest" style paths without doubling slashes. */
char *
libcrun_join_path (const char *a, const char *b)
{
  size_t la = strlen (a);
  while (la > 0 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (*b == '\0')
    return xasprintf ("%.*s", (int)la, a);
  return xasprintf ("%.*s/%s", (int)la, a, b);
}

/* One walk of libcrun_resolve_in_root: the path asked for (for the error
 * texts) and the path walked, which a followed symlink rewrites. */
struct root_walk
{
  int rootfd;
  const char *path;
  enum create_kind kind;
  mode_t mode;
  char *cur;
  int hops;
};

/* What a step of the walk tells its caller. */
enum
{
  WALK_NEXT = 0,
  WALK_RESTART = 1,
};

/* The directory a component is created in: the descriptor of its resolved
 * parent, -1 standing for the root itself. */
static int
walk_dirfd (const struct root_walk *w, int parent)
{
  return parent >= 0 ? parent : w->rootfd;
}

static void
replace_parent (int *parent, int fd)
{
  if (*parent >= 0)
    close (*parent);
  *parent = fd;
}

/* The next component of the path at *pp, "." skipped; NULL at the end.
 * *last says whether nothing but slashes follows it. */
static char *
next_component (const char **pp, bool *last)
{
  const char *p = *pp;

  for (;;)
    {
      const char *start, *end;
      char *comp;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      start = p;
      end = strchrnul (p, '/');
      p = end;
      comp = xasprintf ("%.*s", (int)(end - start), start);
      if (strcmp (comp, ".") == 0)
        {
          free (comp);
          continue;
        }
      while (*p == '/')
        p++;
      *last = *p == '\0';
      *pp = p;
      return comp;
    }
  *pp = p;
  return NULL;
}

/* Create the missing component `comp` in `dirfd`: the last one as the kind
 * asked for, the intermediate ones as directories.  Returns < 0 with errno
 * set on failure. */
static int
create_component (const struct root_walk *w, int dirfd, const char *comp, bool last)
{
  int r;

  if (last && w->kind == CREATE_FILE)
    {
      r = openat (dirfd, comp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, w->mode);
      if (r >= 0)
        close (r);
      return r;
    }
  return mkdirat (dirfd, comp, last ? w->mode : 0755);
}

/* `comp` (reached as `prefix`) is a symlink whose target is missing:
 * splice its target in front of `rest`, the part of the path after it, so
 * that the walk can restart on the result. */
static int
follow_dangling_symlink (struct root_walk *w, int dirfd, const char *prefix, const char *comp,
                         const char *rest, libcrun_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n;
  cleanup_free char *dir = NULL;
  char *spliced;

  n = readlinkat (dirfd, comp, target, sizeof (target) - 1);
  if (n < 0)
    return libcrun_make_error (err, errno, "create `%s` inside the rootfs", prefix);
  target[n] = '\0';
  if (++w->hops > MAX_SYMLINK_HOPS)
    return libcrun_make_error (err, ELOOP, "resolve `%s` inside the rootfs", w->path);
  if (target[0] == '/')
    spliced = libcrun_join_path (target, rest);
  else
    {
      /* Relative targets start in the symlink's own directory. */
      dir = xasprintf ("%.*s", (int)(strlen (prefix) - strlen (comp) - 1), prefix);
      {
        cleanup_free char *tmp = libcrun_join_path (dir[0] ? dir : "/", target);
        spliced = libcrun_join_path (tmp, rest);
      }
    }
  free (w->cur);
  w->cur = spliced;
  return 0;
}

/* Resolve the component `comp` below *parent, creating it when missing,
 * and make it the new *parent.  *prefix is the path walked so far. */
static int
step_into_component (struct root_walk *w, int *parent, char **prefix, const char *comp, bool last,
                     const char *rest, libcrun_error_t *err)
{
  char *next;
  int fd, r;

  next = xasprintf ("%s/%s", *prefix, comp);
  free (*prefix);
  *prefix = next;

  fd = libcrun_open_in_root (w->rootfd, *prefix, O_PATH);
  if (fd >= 0)
    {
      replace_parent (parent, fd);
      return WALK_NEXT;
    }
  if (errno != ENOENT)
    return libcrun_make_error (err, errno, "open `%s` inside the rootfs", *prefix);

  r = create_component (w, walk_dirfd (w, *parent), comp, last);
  if (r < 0 && errno == EEXIST)
    {
      /* Something is there yet resolving it said ENOENT: a symlink
       * whose target is missing.  Follow it by hand. */
      if (follow_dangling_symlink (w, walk_dirfd (w, *parent), *prefix, comp, rest, err) < 0)
        return -1;
      return WALK_RESTART;
    }
  if (r < 0)
    return libcrun_make_error (err, errno, "create `%s` inside the rootfs", *prefix);

  fd = libcrun_open_in_root (w->rootfd, *prefix, O_PATH);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s` inside the rootfs", *prefix);
  replace_parent (parent, fd);
  return WALK_NEXT;
}

/* Walk w->cur from the root one component at a time.  Returns 0 with the
 * descriptor in *out, WALK_RESTART when a symlink rewrote w->cur, or -1. */
static int
walk_components (struct root_walk *w, int *out, libcrun_error_t *err)
{
  cleanup_close int parent = -1; /* -1 stands for rootfd itself */
  cleanup_free char *prefix = xstrdup ("");
  const char *p = w->cur;
  int fd, r;

  for (;;)
    {
      cleanup_free char *comp = NULL;
      bool last;

      comp = next_component (&p, &last);
      if (comp == NULL)
        break;
      r = step_into_component (w, &parent, &prefix, comp, last, p, err);
      if (r != WALK_NEXT)
        return r;
    }

  if (parent < 0)
    {
      /* The path named the root itself ("/", "/.", ...). */
      fd = libcrun_open_in_root (w->rootfd, "/", O_PATH);
      if (fd < 0)
        return libcrun_make_error (err, errno, "open `%s` inside the rootfs", w->path);
      parent = fd;
    }
  *out = steal_fd (&parent);
  return 0;
}

/* Resolve `path` inside the root `rootfd` and return an O_PATH descriptor
 * of it in *out.  With CREATE_DIR / CREATE_FILE, missing components are
 * created: directories for the intermediate ones, and the last one as the
 * kind asked for (mode `mode`).
 *
 * Creation never follows a path string: each component is created with
 * mkdirat/openat relative to the descriptor of its resolved parent.  When
 * the component already exists but its resolution fails with ENOENT, it is
 * a dangling symlink; its target is spliced into the path and the walk
 * restarts, so the symlink is honoured exactly as the kernel would inside
 * the root (and its target is created inside the rootfs). */
int
libcrun_resolve_in_root (int rootfd, const char *path, enum create_kind kind, mode_t mode, int *out,
                         libcrun_error_t *err)
{
  struct root_walk w = { .rootfd = rootfd, .path = path, .kind = kind, .mode = mode };
  int fd, r;

  fd = libcrun_open_in_root (rootfd, path, O_PATH);
  if (fd >= 0)
    {
      *out = fd;
      return 0;
    }
  if (errno != ENOENT || kind == CREATE_NONE)
    return libcrun_make_error (err, errno, "open `%s` inside the rootfs", path);

  w.cur = xstrdup (path);
  do
    r = walk_components (&w, out, err);
  while (r == WALK_RESTART);
  free (w.cur);
  return r;
}

/* Resolve the directory holding `path` (creating it as needed) and return
 * its descriptor and the last component, which must be a real name. */
int
libcrun_resolve_parent_in_root (int rootfd, const char *path, int *dirfd, char **name,
                                libcrun_error_t *err)
{
  cleanup_free char *copy = xstrdup (path);
  char *slash;
  size_t len = strlen (copy);

  while (len > 1 && copy[len - 1] == '/')
    copy[--len] = '\0';
  slash = strrchr (copy, '/');
  if (slash == NULL)
    {
      *name = xstrdup (copy);
      return libcrun_resolve_in_root (rootfd, "/", CREATE_NONE, 0, dirfd, err);
    }
  *slash = '\0';
  if (slash[1] == '\0' || strcmp (slash + 1, ".") == 0 || strcmp (slash + 1, "..") == 0)
    return libcrun_make_error (err, EINVAL, "`%s` does not name a file", path);
  *name = xstrdup (slash + 1);
  if (libcrun_resolve_in_root (rootfd, copy[0] ? copy : "/", CREATE_DIR, 0755, dirfd, err) < 0)
    {
      free (*name);
      *name = NULL;
      return -1;
    }
  return 0;
}

/* Reopen a destination after something was mounted on it: the old
 * descriptor still points at the covered directory, and remounts and
 * propagation changes must reach the new mount on top. */
int
libcrun_reopen_dest (const struct mount_ctx *ctx, const char *dest, bool nofollow, int *fd,
                     libcrun_error_t *err)
{
  int nfd = libcrun_open_in_root (ctx->rootfd, dest, O_PATH | (nofollow ? O_NOFOLLOW : 0));
  if (nfd < 0)
    return libcrun_make_error (err, errno, "reopen `%s` after mounting", dest);
  if (*fd >= 0)
    close (*fd);
  *fd = nfd;
  return 0;
}

/* Per-mount flags of the mount `fd` is on, as MS_* values. */
static unsigned long
mount_flags_of_fd (int fd)
{
  struct statvfs sv;
  unsigned long r = 0;

  if (fstatvfs (fd, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_RDONLY)
    r |= MS_RDONLY;
  if (sv.f_flag & ST_NOSUID)
    r |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    r |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    r |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    r |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    r |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    r |= MS_RELATIME;
  return r;
}

/* Change the per-mount flags of the bind mount on `fd` (MS_REMOUNT|MS_BIND):
 * such a remount replaces all per-mount flags, so the ones the mount has
 * already (inherited from its source) are kept unless the config clears
 * them; in a user namespace the locked ones are kept regardless, since
 * dropping them is refused with EPERM. */
int
libcrun_remount_bind (const struct mount_ctx *ctx, int fd, const char *path, unsigned long flags,
                      unsigned long clear_flags)
{
  struct fd_target t;
  unsigned long existing = mount_flags_of_fd (fd);
  unsigned long f;

  f = flags & ~(MS_BIND | MS_REC | MS_REMOUNT | PROPAGATION_FLAGS);
  if (flags & ATIME_FLAGS)
    existing &= ~ATIME_FLAGS; /* an explicit atime mode replaces the old one */
  f |= existing & ~clear_flags;
  if (ctx->o->userns)
    f |= existing & LOCKED_FLAGS;
  return mount (NULL, libcrun_mount_target (ctx, fd, path, &t), NULL, MS_REMOUNT | MS_BIND | f,
                NULL);
}

/* Bind `source` (a host path, or a /proc/self/fd link) on `dest`. */
int
libcrun_bind_mount (const struct mount_ctx *ctx, const char *source, int destfd, const char *dest,
                    bool recursive)
{
  struct fd_target t;
  return mount (source, libcrun_mount_target (ctx, destfd, dest, &t), NULL,
                MS_BIND | (recursive ? MS_REC : 0), NULL);
}
