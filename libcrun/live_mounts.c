/* `crun mounts add|remove`: mounts of a running container, changed from
 * outside.
 *
 * The work is done by a child of the runtime that joins the container's
 * mount namespace (the caller's namespaces never change).  A bind mount's
 * source is a host path, invisible once in the container's namespace, so
 * the runtime takes a detached copy of it first (open_tree
 * OPEN_TREE_CLONE, Linux 5.2) and the child attaches that copy at the
 * destination (move_mount).  Destinations are resolved by the child
 * inside the container's root, whose symlinks therefore cannot lead out of
 * it; a missing destination is created (a directory, or an empty file for
 * a file source).  The child makes system calls only (libcrun.h): the
 * options are parsed and the sources opened by the runtime. */
#include "live_mounts.h"
#include "config.h"
#include "mount_options.h"
#include "spawn.h"
#include "state.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct change
{
  const struct oci_config *mounts;
  const struct libcrun_mount_flags *flags; /* each mount's options, parsed by the runtime */
  const int *trees;                        /* detached copies of bind sources, -1 elsewhere */
  const bool *file_source;
  int pidfd;   /* of the init: the namespace to join */
  int ns_fd;   /* /proc/<init>/ns/mnt where setns on a pidfd is missing (< 5.8) */
  int root_fd; /* /proc/<init>/root: the container's root, also under --no-pivot */
  int report;  /* write end: the first error's text */
  bool add;
};

/* ---- the child: system calls only (libcrun.h), no allocation --------- */

/* "`mounts[I]` `DEST`: WHAT[ `ARG`]: <errno's description>" (or without
 * the mount for I = (size_t)-1) on the report pipe. */
static int
child_fail (const struct change *c, size_t i, const char *what, const char *arg, int e)
{
  char buf[1024];
  size_t n = 0, cap = sizeof (buf);
  const char *desc = strerrordesc_np (e);

  if (i != (size_t)-1)
    {
      n = buf_put (buf, n, cap, "`mounts[");
      n = buf_put_number (buf, n, cap, i);
      n = buf_put (buf, n, cap, "]` `");
      n = buf_put (buf, n, cap, c->mounts->mounts[i].destination);
      n = buf_put (buf, n, cap, "`: ");
    }
  n = buf_put (buf, n, cap, what);
  if (arg)
    {
      n = buf_put (buf, n, cap, " `");
      n = buf_put (buf, n, cap, arg);
      n = buf_put (buf, n, cap, "`");
    }
  n = buf_put (buf, n, cap, ": ");
  n = buf_put (buf, n, cap, desc ? desc : "unknown error");
  (void)!write (c->report, buf, n);
  return 1;
}

/* mkdir of dest and its parents (the last component too unless `parents_only`). */
static int
mkdir_parents (const char *dest, bool parents_only, char *failed, size_t cap)
{
  size_t i, len = strlen (dest);

  if (len >= cap)
    return -ENAMETOOLONG;
  memcpy (failed, dest, len + 1);
  for (i = 1; i <= len; i++)
    {
      if (failed[i] != '/' && failed[i] != '\0')
        continue;
      if (failed[i] == '\0' && parents_only)
        break;
      failed[i] = '\0';
      if (mkdir (failed, 0755) < 0 && errno != EEXIST)
        return -errno;
      if (i < len)
        failed[i] = '/';
    }
  return 0;
}

/* Create what is missing at dest: the parents, then a directory or (for a
 * file source) an empty file. */
static int
make_destination (const struct change *c, size_t i)
{
  const char *dest = c->mounts->mounts[i].destination;
  char path[4096];
  int fd, r;

  if (access (dest, F_OK) == 0)
    return 0;
  r = mkdir_parents (dest, c->file_source[i], path, sizeof (path));
  if (r < 0)
    return child_fail (c, i, "mkdir", path, -r);
  if (!c->file_source[i])
    return 0;
  fd = open (dest, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return child_fail (c, i, "create", dest, errno);
  close (fd);
  return 0;
}

static int
add_one (const struct change *c, size_t i)
{
  const struct oci_mount *m = &c->mounts->mounts[i];
  const struct libcrun_mount_flags *mf = &c->flags[i];
  unsigned long extra;

  if (make_destination (c, i))
    return 1;
  if (c->trees[i] >= 0)
    {
      if (sys_move_mount (c->trees[i], "", AT_FDCWD, m->destination, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return child_fail (c, i, "attach the copy of", m->source, errno);
      /* Flags (ro, nosuid...) need a remount of the bind. */
      extra = mf->flags & ~(MS_BIND | MS_REC);
      if (extra && mount (NULL, m->destination, NULL, MS_REMOUNT | MS_BIND | extra, NULL) < 0)
        return child_fail (c, i, "remount with the options", NULL, errno);
    }
  else if (mount (m->source, m->destination, m->type, mf->flags, mf->data) < 0)
    return child_fail (c, i, "mount", m->source, errno);
  if (mf->propagation && mount (NULL, m->destination, NULL, mf->propagation, NULL) < 0)
    return child_fail (c, i, "set the propagation", NULL, errno);
  return 0;
}

static int
change_mounts (void *arg)
{
  const struct change *c = arg;
  size_t i;

  if (setns (c->pidfd, CLONE_NEWNS) < 0 && (errno != EINVAL || setns (c->ns_fd, CLONE_NEWNS) < 0))
    return child_fail (c, (size_t)-1, "join the mount namespace of the container", NULL, errno);
  /* The namespace's root is the container's only after pivot_root. */
  if (fchdir (c->root_fd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return child_fail (c, (size_t)-1, "enter the root of the container", NULL, errno);
  for (i = 0; i < c->mounts->n_mounts; i++)
    {
      if (c->add && add_one (c, i))
        return 1;
      if (!c->add && umount2 (c->mounts->mounts[i].destination, MNT_DETACH) < 0)
        return child_fail (c, i, "unmount", NULL, errno);
    }
  return 0;
}

/* ---- the runtime ------------------------------------------------------ */

/* Before joining: the detached copies of the bind sources (relative ones
 * start at the bundle, as in config.json). */
static int
open_sources (const struct oci_config *mounts, const char *bundle,
              struct libcrun_mount_flags *flags, int *trees, bool *file_source,
              libcrun_error_t *err)
{
  size_t i;
  for (i = 0; i < mounts->n_mounts; i++)
    {
      const struct oci_mount *m = &mounts->mounts[i];
      cleanup_free char *src = NULL;
      struct stat st;

      trees[i] = -1;
      if (libcrun_parse_mount_options (m->options, &flags[i], err) < 0)
        return libcrun_error_wrap (err, "`mounts[%zu]`", i);
      if (!(flags[i].flags & MS_BIND))
        continue;
      if (m->source == NULL)
        return libcrun_make_error (err, 0, "`mounts[%zu]`: a bind mount needs a `source`", i);
      src = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
      if (stat (src, &st) < 0)
        return libcrun_make_error (err, errno, "`mounts[%zu]`: source `%s`", i, src);
      file_source[i] = !S_ISDIR (st.st_mode);
      trees[i] = sys_open_tree (AT_FDCWD, src,
                                OPEN_TREE_CLONE | O_CLOEXEC
                                    | ((flags[i].flags & MS_REC) ? AT_RECURSIVE : 0));
      if (trees[i] < 0)
        return libcrun_make_error (err, errno, "`mounts[%zu]`: copy the mount at `%s`", i, src);
    }
  return 0;
}

static int
run_change (struct change *c, libcrun_error_t *err)
{
  struct libcrun_spawn_options so;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  int pipefd[2];
  char msg[4096];
  ssize_t n;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return libcrun_make_error (err, errno, "pipe");
  c->report = pipefd[1];
  memset (&so, 0, sizeof (so));
  so.callback = change_mounts;
  so.callback_arg = c;
  so.stdout_fd = -1;
  so.stderr_fd = -1;
  if (libcrun_spawn (&so, &p, err) < 0)
    {
      close (pipefd[0]);
      close (pipefd[1]);
      return -1;
    }
  close (pipefd[1]);
  if (libcrun_process_wait (&p, -1, &r, err) < 0)
    {
      libcrun_process_release (&p);
      close (pipefd[0]);
      return -1;
    }
  libcrun_process_release (&p);
  n = read (pipefd[0], msg, sizeof (msg) - 1);
  close (pipefd[0]);
  if (n > 0)
    {
      msg[n] = '\0';
      return libcrun_make_error (err, 0, "%s", msg);
    }
  if (r.kind != LIBCRUN_WAIT_EXITED || r.code != 0)
    return libcrun_make_error (err, 0, "the mount helper failed");
  return 0;
}

/* The init's descriptors the child enters the container through: its
 * pidfd, and its mount namespace and root opened by pid. */
static int
open_init (const struct libcrun_state *st, const char *id, int *pidfd, int *ns_fd, int *root_fd,
           libcrun_error_t *err)
{
  char path[64];

  *pidfd = libcrun_state_init_pidfd (st, err);
  if (*pidfd < 0)
    {
      if (*err == NULL)
        libcrun_make_error (err, ENOSYS, "this kernel has no pidfds");
      return -1;
    }
  /* setns on a pidfd is 5.8+; the ns file of a pid checked through its
   * pidfd (opened before the check) is as good. */
  snprintf (path, sizeof (path), "/proc/%d/ns/mnt", st->pid);
  *ns_fd = open (path, O_RDONLY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/root", st->pid);
  *root_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* Both opened by pid: still the init's only if it is still alive (the
   * pidfd keeps its pid from being reused). */
  if (*root_fd < 0 || libcrun_process_start_time (st->pid) != st->start_time)
    return libcrun_make_error (err, ESRCH, "container `%s` is not running", id);
  return 0;
}

/* One slot per mount for its detached copy, none taken yet. */
static int *
new_trees (size_t n)
{
  int *trees = xmalloc0 (n * sizeof (int));
  size_t i;

  for (i = 0; i < n; i++)
    trees[i] = -1;
  return trees;
}

static void
close_trees (int *trees, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (trees[i] >= 0)
      close (trees[i]);
  free (trees);
}

int
libcrun_container_change_mounts (const char *root, const char *id, const char *file, bool add,
                                 libcrun_error_t *err)
{
  cleanup_close int dirfd = libcrun_state_open (root, id, err);
  cleanup_close int pidfd = -1, ns_fd = -1, root_fd = -1;
  struct oci_config *mounts = NULL;
  struct libcrun_state st;
  struct change c;
  struct libcrun_mount_flags *flags = NULL;
  int *trees = NULL;
  bool *file_source = NULL;
  size_t i;
  int ret = -1;

  if (dirfd < 0)
    return -1;
  if (libcrun_state_read (dirfd, id, &st, err) < 0)
    return -1;
  if (libcrun_mounts_load_file (file, &mounts, err) < 0)
    goto out;
  if (open_init (&st, id, &pidfd, &ns_fd, &root_fd, err) < 0)
    goto out;
  trees = new_trees (mounts->n_mounts);
  file_source = xmalloc0 (mounts->n_mounts * sizeof (bool));
  flags = xmalloc0 (mounts->n_mounts * sizeof (*flags));
  if (add && open_sources (mounts, st.bundle, flags, trees, file_source, err) < 0)
    goto out;
  c.mounts = mounts;
  c.flags = flags;
  c.trees = trees;
  c.file_source = file_source;
  c.pidfd = pidfd;
  c.ns_fd = ns_fd;
  c.root_fd = root_fd;
  c.add = add;
  ret = run_change (&c, err);

out:
  if (trees != NULL)
    close_trees (trees, mounts->n_mounts);
  free (file_source);
  for (i = 0; flags && i < mounts->n_mounts; i++)
    libcrun_mount_flags_release (&flags[i]);
  free (flags);
  libcrun_config_free (mounts);
  libcrun_state_free (&st);
  libcrun_state_unlock (dirfd);
  if (ret < 0)
    libcrun_error_wrap (err, "%s mounts of container `%s`", add ? "add" : "remove", id);
  return ret;
}
