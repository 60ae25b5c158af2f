/* Bind sources the runtime opens itself, in its own namespaces, and hands
 * to the container's init as detached mounts (open_tree OPEN_TREE_CLONE).
 *
 * Three things need it.  In a new user namespace the init may not reach a
 * source the host's root can (a 0700 directory on the way); an idmapped
 * mount (MOUNT_ATTR_IDMAP) can only be made by the initial namespace's
 * root on a detached mount; and a per-mount slave or shared propagation
 * needs a copy that still belongs to the host's peer group, which the
 * init's own mount namespace, made private as a whole, no longer has.
 *
 * The clone's propagation is chosen here: private, unless the mount asks
 * for slave (a slave of the host's mount) or shared.  Shared in a user
 * namespace becomes a slave first (the init makes it shared inside), so
 * that nothing mounted by the container ever propagates to the host. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mount_sources.h"
#include "linux.h"
#include "log.h"
#include "mount_internal.h"
#include "mount_options.h"
#include "syscalls.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

/* The predicate on parsed options: a bind whose source the runtime opens. */
static bool
preopen_wanted (const struct oci_mount *m, const struct libcrun_mount_flags *mf, bool userns)
{
  return libcrun_mount_is_bind (m, mf) && !mf->copy_symlink
         && (userns || mf->has_idmap || m->n_uid_mappings
             || (mf->propagation & (MS_SLAVE | MS_SHARED)) != 0);
}

bool
libcrun_mount_source_is_preopened (const struct oci_config *c, size_t i, bool userns)
{
  const struct oci_mount *m = &c->mounts[i];
  struct libcrun_mount_flags mf;
  bool r;

  if (libcrun_parse_mount_options (m->options, &mf, NULL) < 0)
    return false;
  r = preopen_wanted (m, &mf, userns);
  libcrun_mount_flags_release (&mf);
  return r;
}

/* crun's "uids=FS-HOST-LEN#...;gids=..." into mappings (FS: the id on
 * disk, HOST: the id it shows as); a missing half takes the other's. */
static int
parse_ranges (const char *spec, const char *key, struct oci_id_mapping **out, size_t *n,
              libcrun_error_t *err)
{
  const char *p = strstr (spec, key);
  size_t cap = 0;

  *out = NULL;
  *n = 0;
  if (p == NULL)
    return 0;
  p += strlen (key);
  while (*p && *p != ';')
    {
      unsigned long a, b, len;
      char *end;

      if (*p == '@')
        return libcrun_make_error (err, EINVAL, "idmap `%s`: relative ranges (@) are not supported",
                                   spec);
      a = strtoul (p, &end, 10);
      if (*end != '-')
        goto bad;
      b = strtoul (end + 1, &end, 10);
      if (*end != '-')
        goto bad;
      len = strtoul (end + 1, &end, 10);
      if (len == 0 || a > UINT32_MAX || b > UINT32_MAX || len > UINT32_MAX
          || (*end != '\0' && *end != '#' && *end != ';'))
        goto bad;
      if (*n == cap)
        *out = xrealloc (*out, (cap = cap ? cap * 2 : 4) * sizeof (**out));
      (*out)[*n].container_id = (uint32_t)a;
      (*out)[*n].host_id = (uint32_t)b;
      (*out)[(*n)++].size = (uint32_t)len;
      p = *end == '#' ? end + 1 : end;
    }
  return 0;
bad:
  free (*out);
  *out = NULL;
  return libcrun_make_error (err, EINVAL, "idmap `%s`: expected %sFS-HOST-LENGTH[#...]", spec, key);
}

/* A user namespace with the given mappings, as an fd: a child is cloned
 * into it (exit signal 0: no SIGCHLD reaches the caller), waits on a pipe
 * while its maps are written and its namespace opened, and exits. */
static int
mapped_userns (const struct oci_id_mapping *u, size_t nu, const struct oci_id_mapping *g, size_t ng,
               libcrun_error_t *err)
{
  struct libcrun_clone_args a;
  cleanup_close int pidfd = -1;
  int pipefd[2], nsfd = -1;
  long pid;

  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return libcrun_make_error (err, errno, "pipe");
  memset (&a, 0, sizeof (a));
  a.flags = CLONE_NEWUSER | CLONE_PIDFD;
  a.pidfd = (uint64_t)(uintptr_t)&pidfd;
  pid = sys_clone3 (&a, sizeof (a));
  if (pid == 0)
    {
      char c;
      close (pipefd[1]);
      (void)!read (pipefd[0], &c, 1);
      _exit (0);
    }
  close (pipefd[0]);
  if (pid < 0)
    {
      close (pipefd[1]);
      return libcrun_make_error (err, errno, "create a user namespace for an idmapped mount");
    }
  if (libcrun_write_id_map ((pid_t)pid, "uid_map", u, nu, err) == 0
      && libcrun_write_id_map ((pid_t)pid, "gid_map", g, ng, err) == 0)
    {
      cleanup_free char *ns = xasprintf ("/proc/%ld/ns/user", pid);
      nsfd = open (ns, O_RDONLY | O_CLOEXEC);
      if (nsfd < 0)
        libcrun_make_error (err, errno, "open `%s`", ns);
    }
  close (pipefd[1]);
  {
    siginfo_t si;
    while (waitid (P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
      ;
  }
  return nsfd;
}

/* The user namespace an idmapped mount uses: its own mappings (idmap=...
 * or the mount's uidMappings) or else the container's. */
static int
idmap_userns (const struct oci_mount *m, const struct libcrun_mount_flags *mf, pid_t init_pid,
              bool userns, libcrun_error_t *err)
{
  cleanup_free struct oci_id_mapping *u = NULL, *g = NULL;
  size_t nu = 0, ng = 0;

  if (mf->idmap)
    {
      if (parse_ranges (mf->idmap, "uids=", &u, &nu, err) < 0
          || parse_ranges (mf->idmap, "gids=", &g, &ng, err) < 0)
        return -1;
      if (nu == 0 && ng == 0)
        return libcrun_make_error (err, EINVAL, "idmap `%s`: no uids= or gids= ranges", mf->idmap);
      return mapped_userns (nu ? u : g, nu ? nu : ng, ng ? g : u, ng ? ng : nu, err);
    }
  if (m->n_uid_mappings)
    return mapped_userns (m->uid_mappings, m->n_uid_mappings, m->gid_mappings, m->n_gid_mappings,
                          err);
  if (!userns)
    return libcrun_make_error (err, EINVAL,
                               "idmap needs the container's user namespace (linux.namespaces) or "
                               "mappings of its own (idmap=uids=...;gids=..., or the mount's "
                               "uidMappings and gidMappings)");
  {
    cleanup_free char *ns = xasprintf ("/proc/%d/ns/user", init_pid);
    int fd = open (ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return libcrun_make_error (err, errno, "open `%s`", ns);
    return fd;
  }
}

static int
clone_propagation (int fd, const struct libcrun_mount_flags *mf, bool userns, libcrun_error_t *err)
{
  struct libcrun_mount_attr a = { 0 };

  if ((mf->propagation & MS_SHARED) && !userns)
    return 0; /* stays a peer of the host's mount */
  a.propagation = (mf->propagation & (MS_SLAVE | MS_SHARED)) ? MS_SLAVE : MS_PRIVATE;
  if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
    return libcrun_make_error (err, errno, "set the propagation of the detached copy");
  return 0;
}

/* open_one's answer when the init is to bind the path itself. */
#define NO_FD (-2)

static int
open_one (const struct oci_mount *m, const struct libcrun_mount_flags *mf, const char *bundle,
          pid_t init_pid, bool userns, libcrun_error_t *err)
{
  cleanup_free char *source = NULL;
  cleanup_close int fd = -1;
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;

  if (m->source == NULL || m->source[0] == '\0')
    return libcrun_make_error (err, EINVAL, "no source");
  source = m->source[0] == '/' ? xstrdup (m->source) : libcrun_join_path (bundle, m->source);
  if ((mf->flags & MS_REC) || !(mf->flags & MS_BIND))
    flags |= AT_RECURSIVE;
  if (mf->src_nofollow)
    flags |= AT_SYMLINK_NOFOLLOW;
  fd = sys_open_tree (AT_FDCWD, source, flags);
  if (fd < 0 && (errno == EPERM || errno == ENOSYS) && !mf->has_idmap && !m->n_uid_mappings)
    {
      /* An unprivileged runtime may not clone mounts (nor a kernel before
       * 5.2): the init binds the path itself, as it does otherwise. */
      libcrun_debug ("mount `%s`: cannot open the source as a detached mount (%s); the "
                     "container binds it by path",
                     m->destination, strerror (errno));
      return NO_FD;
    }
  if (fd < 0)
    return libcrun_make_error (err, errno, "open the source");
  if (clone_propagation (fd, mf, userns, err) < 0)
    return -1;
  if (mf->has_idmap || m->n_uid_mappings)
    {
      struct libcrun_mount_attr a = { .attr_set = LIBCRUN_MOUNT_ATTR_IDMAP };
      cleanup_close int nsfd = idmap_userns (m, mf, init_pid, userns, err);
      if (nsfd < 0)
        return -1;
      a.userns_fd = (uint64_t)nsfd;
      if (sys_mount_setattr (fd, "", AT_EMPTY_PATH | (mf->idmap_recursive ? AT_RECURSIVE : 0), &a)
          < 0)
        return libcrun_make_error (err, errno,
                                   errno == EINVAL ? "idmap: the file system of the source (or "
                                                     "this kernel) cannot make idmapped mounts"
                                                   : "idmap");
    }
  return steal_fd (&fd);
}

/* One mount's source, its options parsed once: -1 with err, NO_FD, -3 when
 * it is not opened by the runtime, else the descriptor. */
#define NOT_PREOPENED (-3)
static int
open_if_wanted (const struct oci_mount *m, const char *bundle, pid_t init_pid, bool userns,
                libcrun_error_t *err)
{
  struct libcrun_mount_flags mf;
  int ret;

  if (libcrun_parse_mount_options (m->options, &mf, NULL) < 0)
    return NOT_PREOPENED; /* the init reports the bad option */
  ret = preopen_wanted (m, &mf, userns) ? open_one (m, &mf, bundle, init_pid, userns, err)
                                        : NOT_PREOPENED;
  libcrun_mount_flags_release (&mf);
  return ret;
}

int
libcrun_send_mount_sources (int sock, const struct oci_config *c, const char *bundle,
                            pid_t init_pid, bool userns, libcrun_error_t *err)
{
  size_t i;

  for (i = 0; i < c->n_mounts; i++)
    {
      cleanup_close int fd = -1;

      fd = open_if_wanted (&c->mounts[i], bundle, init_pid, userns, err);
      if (fd == NOT_PREOPENED)
        {
          fd = -1;
          continue;
        }
      if (fd == NO_FD)
        {
          /* one byte without a descriptor: "bind it by path" */
          if (send (sock, "n", 1, MSG_NOSIGNAL) != 1)
            return libcrun_make_error (err, errno, "send to the container's init");
          fd = -1;
          continue;
        }
      if (fd < 0)
        return libcrun_error_wrap (err, "mount `%s` (source `%s`, type bind)",
                                   c->mounts[i].destination,
                                   c->mounts[i].source ? c->mounts[i].source : "");
      if (libcrun_send_fd (sock, fd, err) < 0)
        return -1;
    }
  return 0;
}

int
libcrun_recv_mount_sources (int sock, const struct oci_config *c, bool userns, int **fds_out,
                            libcrun_error_t *err)
{
  int *fds = xmalloc0 ((c->n_mounts ? c->n_mounts : 1) * sizeof (int));
  size_t i;

  for (i = 0; i < c->n_mounts; i++)
    fds[i] = -1;
  for (i = 0; i < c->n_mounts; i++)
    {
      if (!libcrun_mount_source_is_preopened (c, i, userns))
        continue;
      if (libcrun_recv_optional_fd (sock, &fds[i], err) < 0)
        {
          libcrun_close_mount_sources (fds, c->n_mounts);
          return libcrun_error_wrap (err, "receive the source of mount `%s`",
                                     c->mounts[i].destination);
        }
    }
  *fds_out = fds;
  return 0;
}

void
libcrun_close_mount_sources (int *fds, size_t n)
{
  size_t i;
  for (i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}
