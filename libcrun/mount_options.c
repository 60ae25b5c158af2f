/* Mount options (mount_options.h): the words of crun's mount(8)-like
 * options table, turned into flags; no system call here. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_options.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

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

/* Unknown words belong to the filesystem ("mode=755", "size=1m",
 * "gid=5"...): joined with commas, as mount(8) would. */
static void
append_fs_data (char **data, size_t *data_len, const char *opt)
{
  size_t len = strlen (opt);

  *data = xrealloc (*data, *data_len + len + 2);
  if (*data_len)
    (*data)[(*data_len)++] = ',';
  memcpy (*data + *data_len, opt, len + 1);
  *data_len += len;
}

/* Record the table option `def` in `out`; false for one that is refused
 * (OPT_SB_REC). */
static bool
apply_option (const struct opt_def *def, struct libcrun_mount_flags *out)
{
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
      return false;
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
  return true;
}

/* An r-prefixed superblock flag: what was parsed so far is dropped. */
static int
refuse_fs_flag (const char *opt, char *data, struct libcrun_mount_flags *out, libcrun_error_t *err)
{
  free (data);
  free (out->idmap);
  out->idmap = NULL;
  if (err == NULL)
    return -1;
  return libcrun_make_error (err, EINVAL,
                             "mount option `%s`: %s is a file-system flag, it cannot be "
                             "set per mount or recursively",
                             opt, opt + 1);
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
        append_fs_data (&data, &data_len, opt);
      else if (!apply_option (def, out))
        return refuse_fs_flag (opt, data, out, err);
    }
  out->data = data;
  return 0;
}

bool
libcrun_mount_is_bind (const struct oci_mount *m, const struct libcrun_mount_flags *mf)
{
  if (mf->flags & MS_BIND)
    return true;
  return m->type && (strcmp (m->type, "bind") == 0 || strcmp (m->type, "none") == 0);
}

unsigned long
libcrun_rootfs_propagation (const struct oci_config *c, libcrun_error_t *err, int *ret)
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
