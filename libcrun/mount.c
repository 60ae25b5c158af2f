/* Root filesystem set-up: see mount.h for the three steps.
 *
 * Safety rule of this file: no path taken from config.json is ever handed
 * to mount(2) as a string while the host's root is still visible.  Every
 * destination is resolved with openat2(RESOLVE_IN_ROOT) relative to an
 * O_PATH descriptor of the rootfs, missing components are created one at a
 * time relative to an already resolved parent, and the mount targets the
 * resolved descriptor through its /proc/self/fd/N magic link.  A symlink in
 * the rootfs (absolute, or a chain of "..") is therefore interpreted as if
 * the rootfs were "/" and can never send a mount to the host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount.h"
#include "copy_tree.h"
#include "log.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Like the kernel's own limit on nested symlinks. */
#define MAX_SYMLINK_HOPS 40

#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SHARED | MS_SLAVE | MS_UNBINDABLE)
/* Per-mount flags the kernel locks when a mount is copied into a less
 * privileged user namespace: a remount that drops them fails with EPERM. */
#define LOCKED_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* ------------------------------------------------------------------------ */
/* Option parsing                                                            */
/* ------------------------------------------------------------------------ */

enum opt_kind
{
  OPT_SET,    /* turn `flag` on, and `excl` off */
  OPT_CLEAR,  /* turn `flag` off, remember it was asked for */
  OPT_PROP,   /* propagation: replaces any earlier propagation option */
  OPT_REC,    /* recursive attribute (mount_setattr AT_RECURSIVE): `flag` set, `excl` cleared */
  OPT_SB_REC, /* an r-prefixed superblock flag: no per-mount attribute exists for it */
  OPT_TMPCOPYUP,
  OPT_NOTMPCOPYUP,
  OPT_COPY_SYMLINK,
  OPT_SRC_NOFOLLOW,
  OPT_DEST_NOFOLLOW,
  OPT_IGNORE,
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long flag;
  unsigned long excl; /* flags that this option overrides (last one wins) */
};

static const struct opt_def opt_table[] = {
  { "defaults", OPT_IGNORE, 0, 0 },
  { "ro", OPT_SET, MS_RDONLY, 0 },
  { "rw", OPT_CLEAR, MS_RDONLY, 0 },
  { "nosuid", OPT_SET, MS_NOSUID, 0 },
  { "suid", OPT_CLEAR, MS_NOSUID, 0 },
  { "nodev", OPT_SET, MS_NODEV, 0 },
  { "dev", OPT_CLEAR, MS_NODEV, 0 },
  { "noexec", OPT_SET, MS_NOEXEC, 0 },
  { "exec", OPT_CLEAR, MS_NOEXEC, 0 },
  { "sync", OPT_SET, MS_SYNCHRONOUS, 0 },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS, 0 },
  { "dirsync", OPT_SET, MS_DIRSYNC, 0 },
  { "remount", OPT_SET, MS_REMOUNT, 0 },
  { "mand", OPT_SET, MS_MANDLOCK, 0 },
  { "nomand", OPT_CLEAR, MS_MANDLOCK, 0 },
  /* The three atime modes exclude each other: the last one given wins. */
  { "atime", OPT_CLEAR, MS_NOATIME, 0 },
  { "noatime", OPT_SET, MS_NOATIME, MS_RELATIME | MS_STRICTATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME, 0 },
  { "nodiratime", OPT_SET, MS_NODIRATIME, 0 },
  { "relatime", OPT_SET, MS_RELATIME, MS_NOATIME | MS_STRICTATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME, 0 },
  { "strictatime", OPT_SET, MS_STRICTATIME, MS_NOATIME | MS_RELATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME, 0 },
  { "lazytime", OPT_SET, MS_LAZYTIME, 0 },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME, 0 },
  { "iversion", OPT_SET, MS_I_VERSION, 0 },
  { "noiversion", OPT_CLEAR, MS_I_VERSION, 0 },
  { "silent", OPT_SET, MS_SILENT, 0 },
  { "loud", OPT_CLEAR, MS_SILENT, 0 },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW, 0 },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW, 0 },
  /* "bind" after "rbind" means non-recursive again. */
  { "bind", OPT_SET, MS_BIND, MS_REC },
  { "rbind", OPT_SET, MS_BIND | MS_REC, 0 },
  { "private", OPT_PROP, MS_PRIVATE, 0 },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC, 0 },
  { "shared", OPT_PROP, MS_SHARED, 0 },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC, 0 },
  { "slave", OPT_PROP, MS_SLAVE, 0 },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC, 0 },
  { "unbindable", OPT_PROP, MS_UNBINDABLE, 0 },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC, 0 },
  /* crun's r$FLAG options: the attribute on the mount and every mount
   * below it.  The atime modes clear the whole atime field first. */
  { "rro", OPT_REC, LIBCRUN_MOUNT_ATTR_RDONLY, 0 },
  { "rrw", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_REC, LIBCRUN_MOUNT_ATTR_NOSUID, 0 },
  { "rsuid", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_REC, LIBCRUN_MOUNT_ATTR_NODEV, 0 },
  { "rdev", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_REC, LIBCRUN_MOUNT_ATTR_NOEXEC, 0 },
  { "rexec", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_REC, LIBCRUN_MOUNT_ATTR_NODIRATIME, 0 },
  { "rdiratime", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_NODIRATIME },
  { "rnoatime", OPT_REC, LIBCRUN_MOUNT_ATTR_NOATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "ratime", OPT_REC, LIBCRUN_MOUNT_ATTR_RELATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "rrelatime", OPT_REC, LIBCRUN_MOUNT_ATTR_RELATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "rnorelatime", OPT_REC, LIBCRUN_MOUNT_ATTR_STRICTATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "rstrictatime", OPT_REC, LIBCRUN_MOUNT_ATTR_STRICTATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "rnostrictatime", OPT_REC, LIBCRUN_MOUNT_ATTR_RELATIME, LIBCRUN_MOUNT_ATTR__ATIME },
  { "rnosymfollow", OPT_REC, LIBCRUN_MOUNT_ATTR_NOSYMFOLLOW, 0 },
  { "rsymfollow", OPT_REC, 0, LIBCRUN_MOUNT_ATTR_NOSYMFOLLOW },
  /* crun's man page lists these too, but sync, dirsync and mand belong
   * to the file system, not to a mount: refused rather than ignored. */
  { "rsync", OPT_SB_REC, 0, 0 },
  { "rasync", OPT_SB_REC, 0, 0 },
  { "rdirsync", OPT_SB_REC, 0, 0 },
  { "rmand", OPT_SB_REC, 0, 0 },
  { "rnomand", OPT_SB_REC, 0, 0 },
  /* Podman's copy-up of what a tmpfs covers into it. */
  { "tmpcopyup", OPT_TMPCOPYUP, 0, 0 },
  { "notmpcopyup", OPT_NOTMPCOPYUP, 0, 0 },
  /* A symlink source becomes the same symlink at the destination. */
  { "copy-symlink", OPT_COPY_SYMLINK, 0, 0 },
  /* Bind the source symlink itself / mount on the destination symlink. */
  { "src-nofollow", OPT_SRC_NOFOLLOW, 0, 0 },
  { "dest-nofollow", OPT_DEST_NOFOLLOW, 0, 0 },
};

static const struct opt_def *
find_option (const char *name)
{
  size_t i;
  for (i = 0; i < sizeof (opt_table) / sizeof (opt_table[0]); i++)
    if (strcmp (opt_table[i].name, name) == 0)
      return &opt_table[i];
  return NULL;
}

const char *
libcrun_mount_option_name (size_t i)
{
  static const char *const extra[] = { "idmap", "ridmap" };
  size_t k, n = 0;

  for (k = 0; k < sizeof (opt_table) / sizeof (opt_table[0]); k++)
    if (opt_table[k].kind != OPT_SB_REC && n++ == i)
      return opt_table[k].name;
  i -= n;
  return i < sizeof (extra) / sizeof (extra[0]) ? extra[i] : NULL;
}

void
libcrun_mount_flags_release (struct libcrun_mount_flags *mf)
{
  free (mf->data);
  mf->data = NULL;
  free (mf->idmap);
  mf->idmap = NULL;
}

/* "idmap", "ridmap", "idmap=uids=...;gids=..." (crun's forms): whether
 * `opt` was one, recorded in `out`. */
static bool
parse_idmap_option (const char *opt, struct libcrun_mount_flags *out)
{
  const char *rest;

  if (strncmp (opt, "ridmap", 6) == 0)
    {
      out->idmap_recursive = true;
      rest = opt + 6;
    }
  else if (strncmp (opt, "idmap", 5) == 0)
    rest = opt + 5;
  else
    return false;
  if (*rest != '\0' && *rest != '=')
    return false;
  out->has_idmap = true;
  free (out->idmap);
  out->idmap = *rest == '=' ? xstrdup (rest + 1) : NULL;
  return true;
}

int
libcrun_parse_mount_options (char *const *options, struct libcrun_mount_flags *out,
                             libcrun_error_t *err)
{
  size_t i, data_len = 0;
  char *data = NULL;

  memset (out, 0, sizeof (*out));
  for (i = 0; options && options[i]; i++)
    {
      const char *opt = options[i];
      const struct opt_def *def;

      if (opt[0] == '\0')
        continue;
      if (parse_idmap_option (opt, out))
        continue;
      def = find_option (opt);
      if (def == NULL)
        {
          /* Unknown words belong to the filesystem ("mode=755", "size=1m",
           * "gid=5"...): joined with commas, as mount(8) would. */
          size_t len = strlen (opt);
          data = xrealloc (data, data_len + len + 2);
          if (data_len)
            data[data_len++] = ',';
          memcpy (data + data_len, opt, len + 1);
          data_len += len;
          continue;
        }
      switch (def->kind)
        {
        case OPT_SET:
          out->flags = (out->flags & ~def->excl) | def->flag;
          out->clear_flags &= ~(def->flag | def->excl);
          break;
        case OPT_CLEAR:
          out->flags &= ~def->flag;
          out->clear_flags |= def->flag;
          break;
        case OPT_PROP:
          out->propagation = def->flag;
          break;
        case OPT_REC:
          out->rec_attr_set = (out->rec_attr_set & ~(def->excl | def->flag)) | def->flag;
          out->rec_attr_clr = (out->rec_attr_clr & ~def->flag) | def->excl;
          break;
        case OPT_SB_REC:
          free (data);
          free (out->idmap);
          out->idmap = NULL;
          if (err == NULL)
            return -1;
          return libcrun_make_error (err, EINVAL,
                                     "mount option `%s`: %s is a file-system flag, it cannot be "
                                     "set per mount or recursively",
                                     opt, opt + 1);
        case OPT_TMPCOPYUP:
          out->tmpcopyup = true;
          break;
        case OPT_NOTMPCOPYUP:
          out->tmpcopyup = false;
          break;
        case OPT_COPY_SYMLINK:
          out->copy_symlink = true;
          break;
        case OPT_SRC_NOFOLLOW:
          out->src_nofollow = true;
          break;
        case OPT_DEST_NOFOLLOW:
          out->dest_nofollow = true;
          break;
        case OPT_IGNORE:
          break;
        }
    }
  out->data = data;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Path resolution inside the rootfs                                        */
/* ------------------------------------------------------------------------ */

enum create_kind
{
  CREATE_NONE,
  CREATE_DIR,
  CREATE_FILE,
};

/* State shared by the helpers of one step. */
struct mount_ctx
{
  const struct libcrun_rootfs_options *o;
  int rootfd; /* O_PATH of the rootfs (before pivot) or of "/" (after) */
  /* Whether /proc/self/fd/N can name a resolved descriptor.  After the
   * pivot the container may have no procfs; plain paths are then used,
   * which is safe because the host is no longer reachable by path. */
  bool use_proc_fd;
};

struct fd_target
{
  char buf[64];
};

/* The string given to mount(2) for a resolved descriptor. */
static const char *
target_of (const struct mount_ctx *ctx, int fd, const char *path, struct fd_target *t)
{
  if (!ctx->use_proc_fd)
    return path;
  snprintf (t->buf, sizeof (t->buf), "/proc/self/fd/%d", fd);
  return t->buf;
}

static int
open_in_root (int rootfd, const char *path, int flags)
{
  struct libcrun_open_how how;

  memset (&how, 0, sizeof (how));
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT;
  return sys_openat2 (rootfd, path, &how);
}

/* Build "a/b/" + "rest" style paths without doubling slashes. */
static char *
join_path (const char *a, const char *b)
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
static int
resolve_in_root (int rootfd, const char *path, enum create_kind kind, mode_t mode, int *out,
                 libcrun_error_t *err)
{
  cleanup_free char *cur = NULL;
  int hops = 0;
  int fd;

  fd = open_in_root (rootfd, path, O_PATH);
  if (fd >= 0)
    {
      *out = fd;
      return 0;
    }
  if (errno != ENOENT || kind == CREATE_NONE)
    return libcrun_make_error (err, errno, "open `%s` inside the rootfs", path);

  cur = xstrdup (path);
restart:
  {
    cleanup_close int parent = -1; /* -1 stands for rootfd itself */
    cleanup_free char *prefix = xstrdup ("");
    const char *p = cur;

    for (;;)
      {
        const char *start, *end;
        cleanup_free char *comp = NULL;
        char *next;
        bool last;
        int r;

        while (*p == '/')
          p++;
        if (*p == '\0')
          break;
        start = p;
        end = strchrnul (p, '/');
        p = end;
        comp = xasprintf ("%.*s", (int)(end - start), start);
        if (strcmp (comp, ".") == 0)
          continue;
        while (*p == '/')
          p++;
        last = *p == '\0';

        next = xasprintf ("%s/%s", prefix, comp);
        free (prefix);
        prefix = next;

        fd = open_in_root (rootfd, prefix, O_PATH);
        if (fd >= 0)
          {
            if (parent >= 0)
              close (parent);
            parent = fd;
            continue;
          }
        if (errno != ENOENT)
          return libcrun_make_error (err, errno, "open `%s` inside the rootfs", prefix);

        if (last && kind == CREATE_FILE)
          {
            r = openat (parent >= 0 ? parent : rootfd, comp,
                        O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
            if (r >= 0)
              close (r);
          }
        else
          r = mkdirat (parent >= 0 ? parent : rootfd, comp, last ? mode : 0755);

        if (r < 0 && errno == EEXIST)
          {
            /* Something is there yet resolving it said ENOENT: a symlink
             * whose target is missing.  Follow it by hand. */
            char target[PATH_MAX];
            ssize_t n;
            cleanup_free char *dir = NULL;
            char *spliced;

            n = readlinkat (parent >= 0 ? parent : rootfd, comp, target, sizeof (target) - 1);
            if (n < 0)
              return libcrun_make_error (err, errno, "create `%s` inside the rootfs", prefix);
            target[n] = '\0';
            if (++hops > MAX_SYMLINK_HOPS)
              return libcrun_make_error (err, ELOOP, "resolve `%s` inside the rootfs", path);
            if (target[0] == '/')
              spliced = join_path (target, p);
            else
              {
                /* Relative targets start in the symlink's own directory. */
                dir = xasprintf ("%.*s", (int)(strlen (prefix) - strlen (comp) - 1), prefix);
                {
                  cleanup_free char *tmp = join_path (dir[0] ? dir : "/", target);
                  spliced = join_path (tmp, p);
                }
              }
            free (cur);
            cur = spliced;
            goto restart;
          }
        if (r < 0)
          return libcrun_make_error (err, errno, "create `%s` inside the rootfs", prefix);

        fd = open_in_root (rootfd, prefix, O_PATH);
        if (fd < 0)
          return libcrun_make_error (err, errno, "open `%s` inside the rootfs", prefix);
        if (parent >= 0)
          close (parent);
        parent = fd;
      }

    if (parent < 0)
      {
        /* The path named the root itself ("/", "/.", ...). */
        fd = open_in_root (rootfd, "/", O_PATH);
        if (fd < 0)
          return libcrun_make_error (err, errno, "open `%s` inside the rootfs", path);
        parent = fd;
      }
    *out = steal_fd (&parent);
    return 0;
  }
}

/* Resolve the directory holding `path` (creating it as needed) and return
 * its descriptor and the last component, which must be a real name. */
static int
resolve_parent_in_root (int rootfd, const char *path, int *dirfd, char **name, libcrun_error_t *err)
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
      return resolve_in_root (rootfd, "/", CREATE_NONE, 0, dirfd, err);
    }
  *slash = '\0';
  if (slash[1] == '\0' || strcmp (slash + 1, ".") == 0 || strcmp (slash + 1, "..") == 0)
    return libcrun_make_error (err, EINVAL, "`%s` does not name a file", path);
  *name = xstrdup (slash + 1);
  if (resolve_in_root (rootfd, copy[0] ? copy : "/", CREATE_DIR, 0755, dirfd, err) < 0)
    {
      free (*name);
      *name = NULL;
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Mount helpers                                                             */
/* ------------------------------------------------------------------------ */

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
static int
remount_bind (const struct mount_ctx *ctx, int fd, const char *path, unsigned long flags,
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
  return mount (NULL, target_of (ctx, fd, path, &t), NULL, MS_REMOUNT | MS_BIND | f, NULL);
}

static int
set_propagation (const struct mount_ctx *ctx, int fd, const char *path, unsigned long prop)
{
  struct fd_target t;
  return mount (NULL, target_of (ctx, fd, path, &t), NULL, prop, NULL);
}

bool
libcrun_mount_is_bind (const struct oci_mount *m, const struct libcrun_mount_flags *mf)
{
  if (mf->flags & MS_BIND)
    return true;
  return m->type && (strcmp (m->type, "bind") == 0 || strcmp (m->type, "none") == 0);
}

/* "/dev", "/dev/", "//dev" all name /dev. */
static bool
path_is (const char *path, const char *want)
{
  while (*path == '/')
    path++;
  while (*want == '/')
    want++;
  for (; *want; path++, want++)
    if (*path != *want)
      return false;
  while (*path == '/')
    path++;
  return *path == '\0';
}

/* ------------------------------------------------------------------------ */
/* /proc/self/mountinfo                                                      */
/* ------------------------------------------------------------------------ */

struct mountinfo_entry
{
  char *root;       /* unescaped: the path of the mount's root in its filesystem */
  char *mountpoint; /* unescaped */
  char *fstype;
  char *super_opts;
};

static void
mountinfo_free (struct mountinfo_entry *v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (v[i].root);
      free (v[i].mountpoint);
      free (v[i].fstype);
      free (v[i].super_opts);
    }
  free (v);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_octal (const char *s)
{
  char *r = xmalloc (strlen (s) + 1), *w = r;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *w++ = *s++;
    }
  *w = '\0';
  return r;
}

static int
read_mountinfo (struct mountinfo_entry **out, size_t *n_out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct mountinfo_entry *v = NULL;
  size_t n = 0, len;
  char *line, *save = NULL;

  if (read_all_file ("/proc/self/mountinfo", &buf, &len, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER */
      char *fields[64];
      size_t nf = 0, i, dash = 0;
      char *tok, *s2 = NULL;

      for (tok = strtok_r (line, " ", &s2); tok && nf < 64; tok = strtok_r (NULL, " ", &s2))
        fields[nf++] = tok;
      for (i = 6; i < nf; i++)
        if (strcmp (fields[i], "-") == 0)
          {
            dash = i;
            break;
          }
      if (dash == 0 || dash + 1 >= nf)
        continue;
      v = xrealloc (v, (n + 1) * sizeof (*v));
      v[n].root = unescape_octal (fields[3]);
      v[n].mountpoint = unescape_octal (fields[4]);
      v[n].fstype = xstrdup (fields[dash + 1]);
      v[n].super_opts = xstrdup (dash + 3 < nf ? fields[dash + 3] : "");
      n++;
    }
  *out = v;
  *n_out = n;
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Config mounts                                                             */
/* ------------------------------------------------------------------------ */

/* Reopen a destination after something was mounted on it: the old
 * descriptor still points at the covered directory, and remounts and
 * propagation changes must reach the new mount on top. */
static int
reopen_dest (const struct mount_ctx *ctx, const char *dest, bool nofollow, int *fd,
             libcrun_error_t *err)
{
  int nfd = open_in_root (ctx->rootfd, dest, O_PATH | (nofollow ? O_NOFOLLOW : 0));
  if (nfd < 0)
    return libcrun_make_error (err, errno, "reopen `%s` after mounting", dest);
  if (*fd >= 0)
    close (*fd);
  *fd = nfd;
  return 0;
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
  if (reopen_dest (ctx, dest, mf->dest_nofollow || mf->src_nofollow, &fd, err) < 0)
    return -1;
  /* MS_BIND ignores every other flag on the first call: apply them now. */
  if (bind && ((mf->flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS)) || mf->clear_flags))
    {
      if (remount_bind (ctx, fd, dest, mf->flags, mf->clear_flags) < 0)
        return libcrun_make_error (err, errno, "remount bind");
    }
  if ((mf->rec_attr_set || mf->rec_attr_clr) && set_recursive_attributes (ctx, fd, mf, err) < 0)
    return -1;
  if (mf->propagation && set_propagation (ctx, fd, dest, mf->propagation) < 0)
    return libcrun_make_error (err, errno, "set propagation");
  return 0;
}

/* Bind `source` (a host path, or a /proc/self/fd link) on `dest`. */
static int
do_bind (const struct mount_ctx *ctx, const char *source, int destfd, const char *dest,
         bool recursive)
{
  struct fd_target t;
  return mount (source, target_of (ctx, destfd, dest, &t), NULL, MS_BIND | (recursive ? MS_REC : 0),
                NULL);
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

/* The calling process's cgroup in one hierarchy, from the content of
 * /proc/self/cgroup: the "0::" line for cgroup2, else the line whose
 * controllers ("cpu,cpuacct", "name=systemd") are all among the superblock
 * options of the hierarchy's mount.  NULL when no line matches. */
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
static int
mount_cgroup (const struct mount_ctx *ctx, const char *dest, const struct libcrun_mount_flags *mf,
              libcrun_error_t *err)
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

  if (resolve_in_root (ctx->rootfd, dest, CREATE_DIR, 0755, &fd, err) < 0)
    return -1;

  if (statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      /* Pure cgroup v2 host.  Read-only is applied afterwards as a
       * per-mount flag: the superblock is shared with the host's. */
      if (mount ("cgroup2", target_of (ctx, fd, dest, &t), "cgroup2", base, NULL) < 0)
        {
          if (errno != EPERM && errno != EBUSY)
            return libcrun_make_error (err, errno, "mount cgroup2");
          if (do_bind (ctx, "/sys/fs/cgroup", fd, dest, true) < 0)
            return libcrun_make_error (err, errno, "bind /sys/fs/cgroup");
        }
      if (reopen_dest (ctx, dest, false, &fd, err) < 0)
        return -1;
      if (ro && remount_bind (ctx, fd, dest, base | MS_RDONLY, 0) < 0)
        return libcrun_make_error (err, errno, "remount cgroup2 read-only");
      return 0;
    }

  /* v1 or hybrid host: a tmpfs holding one mount per hierarchy. */
  if (mount ("tmpfs", target_of (ctx, fd, dest, &t), "tmpfs",
             base | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
      < 0)
    return libcrun_make_error (err, errno, "mount tmpfs for the cgroup hierarchies");
  if (reopen_dest (ctx, dest, false, &fd, err) < 0)
    return -1;
  /* A real directory descriptor of our own fresh tmpfs: names created in
   * it cannot be symlinks planted by the rootfs. */
  tmpfd = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tmpfd < 0)
    return libcrun_make_error (err, errno, "open the cgroup tmpfs");

  if (read_mountinfo (&mi, &n_mi, err) < 0)
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
        cleanup_free char *subpath = join_path (dest, name);
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
            cleanup_free char *src = join_path (mp, own);
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
            if (top < 0 || remount_bind (ctx, top, subpath, base | MS_RDONLY, 0) < 0)
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
      && remount_bind (ctx, fd, dest, base | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, 0) < 0)
    {
      ret = libcrun_make_error (err, errno, "remount the cgroup tmpfs read-only");
      goto out;
    }
  ret = 0;
out:
  mountinfo_free (mi, n_mi);
  return ret;
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
  if (resolve_parent_in_root (ctx->rootfd, dest, &dirfd, &name, err) < 0)
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
    return resolve_in_root (ctx->rootfd, m->destination, dir ? CREATE_DIR : CREATE_FILE,
                            dir ? 0755 : 0644, fd, err);
  if (resolve_parent_in_root (ctx->rootfd, m->destination, &dirfd, &name, err) < 0)
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
  source = m->source[0] == '/' ? xstrdup (m->source) : join_path (o->bundle, m->source);
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
  if (do_bind (ctx, srcpath ? srcpath : source, fd, m->destination, (mf->flags & MS_REC) != 0) < 0)
    return libcrun_make_error (err, errno, "bind");
  return finish_mount (ctx, m->destination, true, mf, err);
}

/* A tmpfs with tmpcopyup: what it covers is copied into it. */
static int
copy_up (const struct mount_ctx *ctx, int covered, const char *dest, libcrun_error_t *err)
{
  cleanup_close int top = open_in_root (ctx->rootfd, dest, O_RDONLY | O_DIRECTORY);

  if (top < 0)
    return libcrun_make_error (err, errno, "open `%s` after mounting", dest);
  return libcrun_copy_tree (covered, top, dest, err);
}

static int
other_mount_one (const struct mount_ctx *ctx, const struct oci_mount *m,
                 struct libcrun_mount_flags *mf, libcrun_error_t *err)
{
  const struct libcrun_rootfs_options *o = ctx->o;
  cleanup_close int fd = -1, covered = -1;
  struct fd_target t;
  const char *type = m->type;
  char *data = mf->data;
  bool bind = false;
  int ret;

  if (type == NULL || type[0] == '\0')
    return libcrun_make_error (err, EINVAL, "no type given");
  if (strcmp (type, "cgroup") == 0)
    {
      if (mount_cgroup (ctx, m->destination, mf, err) < 0)
        return -1;
      if (mf->propagation
          && (reopen_dest (ctx, m->destination, false, &fd, err) < 0
              || (set_propagation (ctx, fd, m->destination, mf->propagation) < 0
                  && libcrun_make_error (err, errno, "set propagation") < 0)))
        return -1;
      return 0;
    }
  if (mf->tmpcopyup && strcmp (type, "tmpfs") != 0)
    return libcrun_make_error (err, EINVAL, "tmpcopyup applies to tmpfs mounts only");

  if (resolve_in_root (ctx->rootfd, m->destination, CREATE_DIR, 0755, &fd, err) < 0)
    return -1;
  if (mf->tmpcopyup)
    {
      covered = open_in_root (ctx->rootfd, m->destination, O_RDONLY | O_DIRECTORY);
      if (covered < 0)
        return libcrun_make_error (err, errno, "open `%s` (tmpcopyup)", m->destination);
    }

  ret = mount (m->source ? m->source : type, target_of (ctx, fd, m->destination, &t), type,
               mf->flags, data);
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
      ret = mount (m->source ? m->source : type, target_of (ctx, fd, m->destination, &t), type,
                   mf->flags, data);
    }
  if (ret < 0 && errno == EPERM && o->userns && host_fallback_for (type))
    {
      /* e.g. sysfs in a user namespace without its own network namespace
       * cannot be mounted: show the host's instead, with the same flags. */
      const char *host = host_fallback_for (type);
      libcrun_debug ("mount `%s`: %s not permitted, binding %s from the host (new netns: %s)",
                     m->destination, type, host, has_new_netns (o->config) ? "yes" : "no");
      ret = do_bind (ctx, host, fd, m->destination, true);
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
/* /dev                                                                      */
/* ------------------------------------------------------------------------ */

struct default_dev
{
  const char *name;
  unsigned int major, minor;
};

static const struct default_dev default_devs[] = {
  { "null", 1, 3 },   { "zero", 1, 5 },    { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

struct dev_symlink
{
  const char *name;
  const char *target;
};

static const struct dev_symlink default_links[] = {
  { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
};

/* Remove the entry `name` of `dirfd` so that a device can take its place.
 * In a user namespace it may be a host device bound on a file (EBUSY): the
 * bind is detached first; the O_PATH descriptor names the mount itself. */
static int
remove_device (const struct mount_ctx *ctx, int dirfd, const char *name, const char *path)
{
  cleanup_close int fd = -1;
  struct fd_target t;

  if (unlinkat (dirfd, name, 0) == 0)
    return 0;
  if (errno != EBUSY)
    return -1;
  fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  if (umount2 (target_of (ctx, fd, path, &t), MNT_DETACH) < 0)
    return -1;
  return unlinkat (dirfd, name, 0);
}

/* Create a device node `name` in `dirfd`.  In a user namespace mknod is
 * refused (EPERM): an empty file is created and the host's device at
 * `host_path` is bind-mounted on it.  `replace` removes whatever is there
 * first (linux.devices); otherwise an existing entry is left alone. */
static int
make_device (const struct mount_ctx *ctx, int dirfd, const char *name, const char *path,
             const char *host_path, mode_t type, dev_t rdev, mode_t mode, bool set_owner, uid_t uid,
             gid_t gid, bool replace, libcrun_error_t *err)
{
  struct stat st;

  if (replace && fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return libcrun_make_error (err, EISDIR, "create device `%s`", path);
      if (remove_device (ctx, dirfd, name, path) < 0)
        return libcrun_make_error (err, errno, "replace device `%s`", path);
    }

  if (mknodat (dirfd, name, type | (mode & 07777), rdev) < 0)
    {
      cleanup_close int fd = -1;

      if (errno == EEXIST && !replace)
        return 0;
      if (errno != EPERM)
        return libcrun_make_error (err, errno, "mknod `%s`", path);

      fd = openat (dirfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0)
        return libcrun_make_error (err, errno, "create `%s`", path);
      close (fd);
      fd = openat (dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return libcrun_make_error (err, errno, "open `%s`", path);
      if (do_bind (ctx, host_path, fd, path, false) < 0)
        return libcrun_make_error (err, errno,
                                   errno == ENOENT
                                       ? "device `%s`: mknod is not allowed in a user namespace, "
                                         "the host's node is bound instead, and the host has none"
                                       : "device `%s`: bind the host's node",
                                   path);
      return 0;
    }

  /* mknod honours the umask; the config asks for an exact mode. */
  if (fchmodat (dirfd, name, mode & 07777, 0) < 0)
    return libcrun_make_error (err, errno, "chmod `%s`", path);
  if (set_owner && fchownat (dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return libcrun_make_error (err, errno, "chown `%s`", path);
  return 0;
}

static int
create_default_devices (const struct mount_ctx *ctx, libcrun_error_t *err)
{
  cleanup_close int devfd = -1;
  size_t i;

  if (resolve_in_root (ctx->rootfd, "/dev", CREATE_DIR, 0755, &devfd, err) < 0)
    return -1;
  for (i = 0; i < sizeof (default_devs) / sizeof (default_devs[0]); i++)
    {
      const struct default_dev *d = &default_devs[i];
      cleanup_free char *path = xasprintf ("/dev/%s", d->name);
      if (make_device (ctx, devfd, d->name, path, path, S_IFCHR, makedev (d->major, d->minor), 0666,
                       false, 0, 0, false, err)
          < 0)
        return -1;
    }
  for (i = 0; i < sizeof (default_links) / sizeof (default_links[0]); i++)
    {
      const struct dev_symlink *l = &default_links[i];
      /* An image that ships its own entry keeps it. */
      if (symlinkat (l->target, devfd, l->name) < 0 && errno != EEXIST)
        return libcrun_make_error (err, errno, "symlink `/dev/%s`", l->name);
    }
  return 0;
}

static int
create_config_devices (const struct mount_ctx *ctx, libcrun_error_t *err)
{
  const struct oci_linux *l = ctx->o->config->linux_cfg;
  size_t i;

  if (l == NULL)
    return 0;
  for (i = 0; i < l->n_devices; i++)
    {
      const struct oci_device *d = &l->devices[i];
      cleanup_close int dirfd = -1;
      cleanup_free char *name = NULL;
      mode_t type;

      switch (d->type)
        {
        case 'c':
        case 'u':
          type = S_IFCHR;
          break;
        case 'b':
          type = S_IFBLK;
          break;
        case 'p':
          type = S_IFIFO;
          break;
        default:
          return libcrun_make_error (err, EINVAL, "device `%s`: unknown type `%c`", d->path,
                                     d->type);
        }
      if (resolve_parent_in_root (ctx->rootfd, d->path, &dirfd, &name, err) < 0)
        return libcrun_error_wrap (err, "device `%s`", d->path);
      if (make_device (ctx, dirfd, name, d->path, d->path, type,
                       type == S_IFIFO ? 0
                                       : makedev ((unsigned int)d->major, (unsigned int)d->minor),
                       d->has_file_mode ? d->file_mode : 0666, d->has_uid || d->has_gid,
                       d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, true, err)
          < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Step 1                                                                    */
/* ------------------------------------------------------------------------ */

static unsigned long
rootfs_propagation (const struct oci_config *c, libcrun_error_t *err, int *ret)
{
  struct libcrun_mount_flags mf;
  char *opts[2] = { NULL, NULL };

  *ret = 0;
  if (c->linux_cfg == NULL || c->linux_cfg->rootfs_propagation == NULL)
    return MS_PRIVATE | MS_REC;
  opts[0] = c->linux_cfg->rootfs_propagation;
  if (libcrun_parse_mount_options (opts, &mf, err) < 0)
    {
      *ret = -1;
      return 0;
    }
  libcrun_mount_flags_release (&mf);
  if (mf.propagation == 0)
    {
      *ret = libcrun_make_error (err, EINVAL, "invalid rootfsPropagation `%s`",
                                 c->linux_cfg->rootfs_propagation);
      return 0;
    }
  return mf.propagation;
}

/* Make the mount that holds `path` (its longest mountinfo prefix) private:
 * pivot_root and MS_MOVE refuse a new root whose parent mount is shared. */
static int
make_parent_mount_private (const char *path, libcrun_error_t *err)
{
  struct mountinfo_entry *mi = NULL;
  size_t n = 0, i, best_len = 0;
  const char *best = NULL;
  int ret = 0;

  if (read_mountinfo (&mi, &n, err) < 0)
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
  mountinfo_free (mi, n);
  return ret;
}

/* /dev is populated by us unless the config bind-mounts it from the host:
 * then it is the host's and must not be touched. */
static bool
dev_is_bind_mounted (const struct oci_config *c)
{
  size_t i;
  bool bind = false;

  for (i = 0; i < c->n_mounts; i++)
    {
      struct libcrun_mount_flags mf;
      if (!path_is (c->mounts[i].destination, "/dev"))
        continue;
      if (libcrun_parse_mount_options (c->mounts[i].options, &mf, NULL) < 0)
        continue;
      libcrun_mount_flags_release (&mf);
      bind = libcrun_mount_is_bind (&c->mounts[i], &mf); /* the last one wins */
    }
  return bind;
}

int
libcrun_rootfs_mount (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  struct mount_ctx ctx;
  cleanup_close int rootfd = -1;
  unsigned long prop;
  int ret;
  size_t i;

  prop = rootfs_propagation (o->config, err, &ret);
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

  if (!dev_is_bind_mounted (o->config))
    {
      if (create_default_devices (&ctx, err) < 0)
        return -1;
      if (create_config_devices (&ctx, err) < 0)
        return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Step 2                                                                    */
/* ------------------------------------------------------------------------ */

int
libcrun_rootfs_bind_console (const struct libcrun_rootfs_options *o, const char *slave_path,
                             libcrun_error_t *err)
{
  cleanup_close int rootfd = -1;
  cleanup_close int devfd = -1;
  cleanup_close int fd = -1;
  struct mount_ctx ctx;
  struct fd_target t;
  struct stat st;

  rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return libcrun_make_error (err, errno, "open the rootfs `%s`", o->rootfs);
  ctx.o = o;
  ctx.rootfd = rootfd;
  ctx.use_proc_fd = true;

  if (resolve_in_root (rootfd, "/dev", CREATE_DIR, 0755, &devfd, err) < 0)
    return libcrun_error_wrap (err, "bind console");
  /* The console is our own empty file: whatever the image has there (a
   * symlink in particular) is replaced rather than followed. */
  if (fstatat (devfd, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG (st.st_mode)
      && !S_ISCHR (st.st_mode))
    {
      if (unlinkat (devfd, "console", S_ISDIR (st.st_mode) ? AT_REMOVEDIR : 0) < 0)
        return libcrun_make_error (err, errno, "bind console: remove `/dev/console`");
    }
  fd = openat (devfd, "console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0 && errno != EEXIST && errno != ENXIO && errno != EACCES && errno != EPERM)
    return libcrun_make_error (err, errno, "bind console: create `/dev/console`");
  if (fd >= 0)
    close (fd);
  fd = openat (devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "bind console: open `/dev/console`");
  if (mount (slave_path, target_of (&ctx, fd, "/dev/console", &t), NULL, MS_BIND, NULL) < 0)
    return libcrun_make_error (err, errno, "bind console `%s` on `/dev/console`", slave_path);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Step 3                                                                    */
/* ------------------------------------------------------------------------ */

/* Whether /proc of the (new) root is a real procfs, so that
 * /proc/self/fd/N cannot be a trap laid by the image. */
static bool
proc_is_usable (void)
{
  struct libcrun_open_how how;
  struct statfs sfs;
  cleanup_close int fd = -1;

  memset (&how, 0, sizeof (how));
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS;
  fd = sys_openat2 (AT_FDCWD, "/proc", &how);
  if (fd < 0)
    return false;
  return fstatfs (fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

static int
do_pivot (const struct libcrun_rootfs_options *o, unsigned long prop, libcrun_error_t *err)
{
  cleanup_close int oldroot = -1;
  cleanup_close int newroot = -1;

  oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return libcrun_make_error (err, errno, "open `/`");
  newroot = open (o->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return libcrun_make_error (err, errno, "open the rootfs `%s`", o->rootfs);
  if (fchdir (newroot) < 0)
    return libcrun_make_error (err, errno, "chdir to the rootfs `%s`", o->rootfs);

  if (prop & MS_SHARED)
    {
      /* pivot_root refuses a shared new root or a shared current root.
       * Slave keeps receiving from the host; the configured shared
       * propagation is put back after the pivot. */
      if (mount (NULL, ".", NULL, MS_SLAVE, NULL) < 0)
        return libcrun_make_error (err, errno, "make the rootfs slave");
      if (mount (NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
        return libcrun_make_error (err, errno, "make `/` private");
    }

  /* pivot_root(".", ".") stacks the old root on top of the new one at the
   * same place, which saves a put_old directory in the image. */
  if (sys_pivot_root (".", ".") < 0)
    return libcrun_make_error (err, errno, "pivot_root to `%s`", o->rootfs);
  if (fchdir (oldroot) < 0)
    return libcrun_make_error (err, errno, "chdir to the old root");
  /* Slave first, so the unmount below does not propagate to the host. */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "make the old root slave");
  if (umount2 (".", MNT_DETACH) < 0)
    return libcrun_make_error (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return libcrun_make_error (err, errno, "chdir to the new root");
  return 0;
}

static int
do_chroot (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  if (chdir (o->rootfs) < 0)
    return libcrun_make_error (err, errno, "chdir to the rootfs `%s`", o->rootfs);
  if (mount (o->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return libcrun_make_error (err, errno, "move the rootfs `%s` to `/`", o->rootfs);
  if (chroot (".") < 0)
    return libcrun_make_error (err, errno, "chroot to the rootfs `%s`", o->rootfs);
  if (chdir ("/") < 0)
    return libcrun_make_error (err, errno, "chdir to the new root");
  return 0;
}

static int
mask_path (const struct mount_ctx *ctx, const char *path, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_close int nullfd = -1;
  struct fd_target t, tn;
  struct stat st;

  fd = open_in_root (ctx->rootfd, path, O_PATH);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0; /* nothing to hide */
      return libcrun_make_error (err, errno, "mask `%s`", path);
    }
  if (fstat (fd, &st) < 0)
    return libcrun_make_error (err, errno, "mask `%s`", path);

  if (S_ISDIR (st.st_mode))
    {
      if (mount ("tmpfs", target_of (ctx, fd, path, &t), "tmpfs",
                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0k,mode=555")
          < 0)
        return libcrun_make_error (err, errno, "mask `%s`", path);
      return 0;
    }

  /* Files are covered with the container's /dev/null, after checking it
   * is the null device: the image (or a racing container sharing /dev)
   * could have put something else there (CVE-2025-31133). */
  nullfd = open_in_root (ctx->rootfd, "/dev/null", O_PATH);
  if (nullfd < 0)
    return libcrun_make_error (err, errno, "mask `%s`: open `/dev/null`", path);
  if (fstat (nullfd, &st) < 0)
    return libcrun_make_error (err, errno, "mask `%s`: stat `/dev/null`", path);
  if (!S_ISCHR (st.st_mode) || major (st.st_rdev) != 1 || minor (st.st_rdev) != 3)
    return libcrun_make_error (err, EPERM, "mask `%s`: `/dev/null` is not the null device", path);
  if (mount (target_of (ctx, nullfd, "/dev/null", &tn), target_of (ctx, fd, path, &t), NULL,
             MS_BIND, NULL)
      < 0)
    return libcrun_make_error (err, errno, "mask `%s`", path);
  return 0;
}

static int
readonly_path (const struct mount_ctx *ctx, const char *path, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  struct fd_target t;
  const char *target;

  fd = open_in_root (ctx->rootfd, path, O_PATH);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return libcrun_make_error (err, errno, "make `%s` read-only", path);
    }
  target = target_of (ctx, fd, path, &t);
  /* A bind on itself makes it a mount point with its own flags. */
  if (mount (target, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "make `%s` read-only: bind", path);
  if (reopen_dest (ctx, path, false, &fd, err) < 0)
    return libcrun_error_wrap (err, "make `%s` read-only", path);
  if (remount_bind (ctx, fd, path, MS_RDONLY, 0) < 0)
    return libcrun_make_error (err, errno, "make `%s` read-only: remount", path);
  return 0;
}

int
libcrun_rootfs_pivot (const struct libcrun_rootfs_options *o, libcrun_error_t *err)
{
  const struct oci_config *c = o->config;
  const struct oci_linux *l = c->linux_cfg;
  cleanup_close int rootfd = -1;
  struct mount_ctx ctx;
  unsigned long prop;
  size_t i;
  int ret;

  prop = rootfs_propagation (c, err, &ret);
  if (ret < 0)
    return -1;

  if (o->no_pivot)
    ret = do_chroot (o, err);
  else
    ret = do_pivot (o, prop, err);
  if (ret < 0)
    return -1;

  rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return libcrun_make_error (err, errno, "open `/`");
  ctx.o = o;
  ctx.rootfd = rootfd;
  ctx.use_proc_fd = proc_is_usable ();

  for (i = 0; l && l->masked_paths && l->masked_paths[i]; i++)
    if (mask_path (&ctx, l->masked_paths[i], err) < 0)
      return -1;
  for (i = 0; l && l->readonly_paths && l->readonly_paths[i]; i++)
    if (readonly_path (&ctx, l->readonly_paths[i], err) < 0)
      return -1;

  if (c->root_readonly)
    {
      cleanup_close int fd = -1;
      /* A missing process.cwd is created (later, at chdir); on a root that
       * is about to become read-only that has to happen now, as crun does. */
      if (c->process && c->process->cwd && access (c->process->cwd, F_OK) < 0 && errno == ENOENT
          && mkdir_p (c->process->cwd, 0755, err) < 0)
        return libcrun_error_wrap (err, "create `%s` (process.cwd)", c->process->cwd);
      fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0 || remount_bind (&ctx, fd, "/", MS_RDONLY, 0) < 0)
        return libcrun_make_error (err, errno, "remount `/` read-only");
    }

  if (l && l->rootfs_propagation && mount (NULL, "/", NULL, prop | MS_REC, NULL) < 0)
    return libcrun_make_error (err, errno, "set rootfsPropagation `%s` on `/`",
                               l->rootfs_propagation);
  return 0;
}
