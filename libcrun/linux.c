#include "linux.h"
#include "hooks.h"
#include "helper_exec.h"
#include "init_wire.h"
#include "cgroup_systemd.h"
#include "log.h"
#include "mount.h"
#include "mount_sources.h"
#include "process_attrs.h"
#include "seccomp_notify.h"
#include "security.h"
#include "spawn.h"
#include "syscalls.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum sync_type
{
  SYNC_MAPPED = 1,
  SYNC_PTY,
  SYNC_READY,
  SYNC_ERROR,
  SYNC_HOOKS,
  SYNC_CONTINUE,
  SYNC_COMMITTED,
  SYNC_SECCOMP, /* followed by the seccomp notify listener fd */
  SYNC_LOG,     /* a log level byte and the message: the init's log lines */
};

/* The state JSON documents may carry large annotations: they travel in
 * chunks (a SEQPACKET message is bounded by the socket buffer). */
#define SYNC_CONTINUE_MAX (4 * 1024 * 1024)
#define SYNC_CHUNK (32 * 1024)

#define SYNC_MAX 8192

/* ---- child side ------------------------------------------------------ */

void
libcrun_report_error_and_exit (int fd, char tag, libcrun_error_t *err)
{
  char buf[SYNC_MAX];
  int n = snprintf (buf, sizeof (buf), "%c%s", tag, (err && *err) ? (*err)->msg : "unknown error");
  if (n > (int)sizeof (buf) - 1)
    n = sizeof (buf) - 1;
  /* MSG_NOSIGNAL where fd is a socket: a reader that went away is no
   * reason for a signal; a fifo gets a plain write. */
  if (send (fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == ENOTSOCK)
    (void)!write (fd, buf, (size_t)n);
  _exit (1);
}

static int
sync_send (int sync, enum sync_type t, libcrun_error_t *err)
{
  char c = (char)t;
  /* The runtime sends on it too: a dead init must not raise SIGPIPE there. */
  int r = send_all (sync, &c, 1);
  if (r < 0)
    return libcrun_make_error (err, -r, "write to the sync socket");
  return 0;
}

static int
join_namespaces (const struct oci_config *config, bool userns_only, libcrun_error_t *err)
{
  size_t i;
  const struct oci_linux *l = config->linux_cfg;

  for (i = 0; l && i < l->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      cleanup_close int fd = -1;

      if (ns->path == NULL)
        continue;
      if ((ns->type == CLONE_NEWUSER) != userns_only)
        continue;
      /* pid and time namespaces are entered by the parent before clone3:
       * setns on them only affects children. */
      if (ns->type == CLONE_NEWPID || ns->type == CLONE_NEWTIME)
        continue;
      fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return libcrun_make_error (err, errno, "open the %s namespace `%s`",
                                   oci_namespace_type_name (ns->type), ns->path);
      if (setns (fd, ns->type) < 0)
        return libcrun_make_error (err, errno, "join the %s namespace `%s`",
                                   oci_namespace_type_name (ns->type), ns->path);
    }
  return 0;
}

static int
write_sysctls (const struct oci_config *config, libcrun_error_t *err)
{
  size_t i;
  const struct oci_linux *l = config->linux_cfg;

  for (i = 0; l && i < l->n_sysctl; i++)
    {
      cleanup_free char *path = NULL;
      char *p;
      /* Keys use dots (a slash form works too), but never a path that
       * could climb out of /proc/sys. */
      if (strstr (l->sysctl[i].key, ".."))
        return libcrun_make_error (err, 0, "`linux.sysctl`: invalid key `%s`", l->sysctl[i].key);
      path = xasprintf ("/proc/sys/%s", l->sysctl[i].key);
      for (p = path + strlen ("/proc/sys/"); *p; p++)
        if (*p == '.')
          *p = '/';
      if (write_file (path, l->sysctl[i].value, strlen (l->sysctl[i].value), 0644, err) < 0)
        return libcrun_error_wrap (err, "set sysctl `%s`", l->sysctl[i].key);
    }
  return 0;
}

/* A new network namespace starts with lo down; crun brings it up, and
 * programs expect 127.0.0.1 to work. */
static int
loopback_up (libcrun_error_t *err)
{
  struct ifreq ifr;
  cleanup_close int sock = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (sock < 0)
    return libcrun_make_error (err, errno, "bring up `lo`: socket");
  memset (&ifr, 0, sizeof (ifr));
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (sock, SIOCGIFFLAGS, &ifr) < 0)
    return libcrun_make_error (err, errno, "bring up `lo`: SIOCGIFFLAGS");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (sock, SIOCSIFFLAGS, &ifr) < 0)
    return libcrun_make_error (err, errno, "bring up `lo`: SIOCSIFFLAGS");
  return 0;
}

/* Nested user namespaces.  A seccomp filter cannot tell clone3's flags
 * apart (they are in a struct it cannot read), so a profile that lets clone3
 * through for CLONE_AUTOREAP also lets CLONE_NEWUSER through.  When the
 * container has its own user namespace, the kernel can refuse nesting
 * without any race: the user.max_user_namespaces limit is per user
 * namespace, and 0 there makes clone3, clone and unshare with CLONE_NEWUSER
 * fail with ENOSPC.  We set it when the container has a seccomp profile and
 * no CAP_SYS_ADMIN in its bounding set (the case where profiles refuse
 * nesting), unless the config sets that sysctl itself.  Raising it again
 * needs CAP_SYS_RESOURCE in the container's namespace and a writable
 * /proc/sys. */
static bool
wants_nested_userns_limit (const struct oci_config *config)
{
  const struct oci_namespace *uns = oci_config_namespace (config, CLONE_NEWUSER);
  const struct oci_linux *l = config->linux_cfg;
  const struct oci_capabilities *caps = config->process ? config->process->capabilities : NULL;
  size_t i;

  if (uns == NULL || uns->path != NULL || l == NULL || l->seccomp == NULL)
    return false;
  if (oci_kv_lookup (l->sysctl, l->n_sysctl, "user.max_user_namespaces"))
    return false;
  for (i = 0; caps && caps->bounding && caps->bounding[i]; i++)
    if (strcmp (caps->bounding[i], "CAP_SYS_ADMIN") == 0)
      return false;
  return true;
}

static int
limit_nested_userns (const struct oci_config *config, libcrun_error_t *err)
{
  if (!wants_nested_userns_limit (config))
    return 0;
  if (write_file ("/proc/sys/user/max_user_namespaces", "0", 1, 0644, err) < 0)
    return libcrun_error_wrap (err, "refuse nested user namespaces in the container");
  libcrun_debug ("user.max_user_namespaces=0 in the container's user namespace: clone3 is "
                 "allowed by its seccomp profile, nested user namespaces are refused by the "
                 "kernel");
  return 0;
}

static int
write_time_offsets (const struct oci_linux *l, bool new_userns, libcrun_error_t *err)
{
  char buf[128];
  int n = 0, ret;
  if (l->time_monotonic.present)
    n += snprintf (buf + n, sizeof (buf) - (size_t)n, "monotonic %lld %u\n",
                   (long long)l->time_monotonic.secs, l->time_monotonic.nanosecs);
  if (l->time_boottime.present)
    n += snprintf (buf + n, sizeof (buf) - (size_t)n, "boottime %lld %u\n",
                   (long long)l->time_boottime.secs, l->time_boottime.nanosecs);
  if (n == 0)
    return 0;
  /* The runtime's processes are not dumpable (README, Security), so their
   * /proc files belong to the host's root, whom a new user namespace does
   * not map: the init could not open its own timens_offsets.  It is made
   * dumpable for that one write; nothing else is in a user namespace that
   * was created with it, so nothing there can use the moment. */
  bool toggle = new_userns && prctl (PR_GET_DUMPABLE) == 0;
  if (toggle)
    prctl (PR_SET_DUMPABLE, 1);
  ret = write_file ("/proc/self/timens_offsets", buf, (size_t)n, 0644, err);
  if (toggle)
    prctl (PR_SET_DUMPABLE, 0);
  if (ret < 0)
    return libcrun_error_wrap (err, "set `linux.timeOffsets`");
  return 0;
}

/* Find args[0] in the container's PATH, as execvp would, but before the
 * user program is due, so that a missing program is an error of `create`. */
static int
find_executable (const struct oci_process *p, char **out, libcrun_error_t *err)
{
  const char *name = p->args[0];
  const char *path = env_lookup (p->env, "PATH");
  cleanup_free char *copy = NULL;
  char *saveptr = NULL, *dir;

  if (strchr (name, '/'))
    {
      struct stat st;
      if (access (name, X_OK) < 0)
        return libcrun_make_error (err, errno, "cannot execute `%s`", name);
      /* A directory passes access(X_OK); execve would refuse it.  Say so
       * now, as "permission denied" (podman's 126), not after start. */
      if (stat (name, &st) == 0 && !S_ISREG (st.st_mode))
        return libcrun_make_error (err, EACCES, "cannot execute `%s` (not a regular file)", name);
      *out = xstrdup (name);
      return 0;
    }
  copy = xstrdup (path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (dir = strtok_r (copy, ":", &saveptr); dir; dir = strtok_r (NULL, ":", &saveptr))
    {
      cleanup_free char *cand = xasprintf ("%s/%s", *dir ? dir : ".", name);
      struct stat st;
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode) && access (cand, X_OK) == 0)
        {
          *out = steal_pointer (&cand);
          return 0;
        }
    }
  return libcrun_make_error (err, ENOENT, "executable file `%s` not found in $PATH", name);
}

/* Environment of the user program: process.env, plus LISTEN_FDS/LISTEN_PID
 * when socket-activation fds were passed (the init is pid 1 of its pid
 * namespace, or whatever getpid says without one). */
static char **
build_env (const struct libcrun_init_options *o)
{
  char **env = libcrun_env_with_home (o->config->process->env, o->config->process->user.uid);
  size_t n = strv_len (env);
  if (o->listen_fds <= 0)
    return env ? env : xmalloc0 (sizeof (char *));
  env = xrealloc (env, (n + 3) * sizeof (char *));
  env[n++] = xasprintf ("LISTEN_FDS=%d", o->listen_fds);
  env[n++] = xasprintf ("LISTEN_PID=%d", (int)getpid ());
  env[n] = NULL;
  return env;
}

static int
prepare_fds (const struct libcrun_init_options *o, int sync, int fifo, int start_fifo,
             libcrun_error_t *err)
{
  int keep[5] = { sync, fifo, start_fifo, o->hooks->stdout_fd, o->hooks->stderr_fd };
  int fd;
  /* Preserved fds are passed on: clear FD_CLOEXEC that crun's front end or
   * its caller may have set on them.  The holes the library filled go. */
  for (fd = 3; fd < 3 + o->preserve_fds; fd++)
    {
      if (fd_holes_is_hole (o->preserve_holes, fd))
        close (fd);
      else if (fcntl (fd, F_SETFD, 0) < 0 && errno != EBADF)
        return libcrun_make_error (err, errno, "preserve fd %d", fd);
    }
  return close_fds_from (3 + o->preserve_fds, keep, 5, err);
}

/* Ask the runtime to run prestart and createRuntime hooks, and receive the
 * state documents for the hooks the init runs itself. */
static int
hooks_handshake (int sync, char **creating, char **created, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  char hdr[1 + sizeof (uint64_t)];
  uint64_t total, got = 0;
  ssize_t r;
  size_t first;

  if (sync_send (sync, SYNC_HOOKS, err) < 0)
    return -1;
  do
    r = recv (sync, hdr, sizeof (hdr), 0);
  while (r < 0 && errno == EINTR);
  if (r != (ssize_t)sizeof (hdr) || hdr[0] != SYNC_CONTINUE)
    return libcrun_make_error (err, 0, "the runtime went away while running hooks");
  memcpy (&total, hdr + 1, sizeof (total));
  if (total < 2 || total > SYNC_CONTINUE_MAX)
    return libcrun_make_error (err, EPROTO, "bad hook state message");
  buf = xmalloc (total + 1);
  while (got < total)
    {
      r = recv (sync, buf + got, total - got, 0);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return libcrun_make_error (err, 0, "the runtime went away while running hooks");
      got += (uint64_t)r;
    }
  buf[total] = '\0';
  first = strlen (buf);
  if (first + 1 >= total)
    return libcrun_make_error (err, EPROTO, "bad hook state message");
  *creating = xstrdup (buf);
  *created = xstrdup (buf + first + 1);
  return 0;
}

/* Hand stdio that is a regular file or a pipe to the process's user, as
 * crun does, so that a process that is not root can reopen its own log
 * (/dev/stdout, /proc/self/fd/1).  Character devices (a terminal, or
 * /dev/null) are left alone: they are not the container's to own.  Best
 * effort: in a user namespace a file owned by an unmapped id stays as is. */
static void
chown_stdio (const struct oci_process *proc)
{
  int fd;
  for (fd = 0; fd < 3; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0 || !(S_ISREG (st.st_mode) || S_ISFIFO (st.st_mode)))
        continue;
      if (st.st_uid == proc->user.uid && st.st_gid == proc->user.gid)
        continue;
      (void)!fchown (fd, proc->user.uid, proc->user.gid);
    }
}

int
libcrun_apply_personality (const struct oci_linux *l, libcrun_error_t *err)
{
  if (l && l->has_personality && personality (l->personality) < 0)
    return libcrun_make_error (err, errno, "set `linux.personality`");
  return 0;
}

int
libcrun_linux_prepare_process (const struct oci_process *proc,
                               const struct libcrun_seccomp_program *seccomp, char **exe_out,
                               int *listener_fd, libcrun_error_t *err)
{
  /* oom_score_adj is not set here: see libcrun_apply_oom_score_adj. */
  if (libcrun_apply_rlimits (proc, err) < 0)
    return -1;

  /* A missing cwd is created, as runc and crun do (still privileged here). */
  if (chdir (proc->cwd) < 0
      && (errno != ENOENT || mkdir_p (proc->cwd, 0755, err) < 0 || chdir (proc->cwd) < 0))
    {
      libcrun_error_release (err);
      return libcrun_make_error (err, errno, "chdir to `%s` (process.cwd)", proc->cwd);
    }
  if (find_executable (proc, exe_out, err) < 0)
    return -1;
  if (proc->user.uid != 0 || proc->user.gid != 0)
    chown_stdio (proc);

  /* Real-time and deadline policies and the RT I/O class need
   * CAP_SYS_NICE or CAP_SYS_ADMIN: set while they are still held. */
  if (libcrun_apply_scheduler (proc, err) < 0 || libcrun_apply_io_priority (proc, err) < 0)
    return -1;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
   * process still has only before its capabilities are set. */
  if (seccomp && !proc->no_new_privileges && libcrun_seccomp_load (seccomp, listener_fd, err) < 0)
    return libcrun_error_wrap (err, "load the seccomp filter");
  if (libcrun_set_user (proc, err) < 0 || libcrun_apply_capabilities (proc, err) < 0
      || libcrun_apply_no_new_privs (proc, err) < 0)
    return -1;
  if (seccomp && proc->no_new_privileges && libcrun_seccomp_load (seccomp, listener_fd, err) < 0)
    return libcrun_error_wrap (err, "load the seccomp filter");
  return 0;
}

/* What the runtime opens for the init before clone3. */
struct preopened
{
  int exec_fifo;
  int start_fifo;
  int console; /* connected --console-socket, or -1 */
};

/* Join the namespaces given by path (the user namespace first, then, as
 * root of it, the others) and create the cgroup and time namespaces, which
 * clone3 does not make here. */
static int
enter_namespaces (const struct oci_config *config, bool new_userns, libcrun_error_t *err)
{
  const struct oci_namespace *cns = oci_config_namespace (config, CLONE_NEWCGROUP);
  const struct oci_namespace *tns = oci_config_namespace (config, CLONE_NEWTIME);

  if (join_namespaces (config, true, err) < 0)
    return -1;
  if (new_userns || oci_config_namespace (config, CLONE_NEWUSER))
    {
      /* Become root of the user namespace when root is mapped. */
      if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
        return libcrun_make_error (err, errno, "setresgid to root in the user namespace");
      if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
        return libcrun_make_error (err, errno, "setresuid to root in the user namespace");
    }
  if (join_namespaces (config, false, err) < 0)
    return -1;
  if (cns && cns->path == NULL && unshare (CLONE_NEWCGROUP) < 0)
    return libcrun_make_error (err, errno, "create the cgroup namespace");
  if (tns && tns->path == NULL)
    {
      /* The offsets can be written only before a process enters the new
       * time namespace; execve moves us into it (Linux 5.16+). */
      if (unshare (CLONE_NEWTIME) < 0)
        return libcrun_make_error (err, errno, "create the time namespace");
      if (write_time_offsets (config->linux_cfg, new_userns, err) < 0)
        return -1;
    }
  return 0;
}

/* Hostname, domainname, sysctls, the nested user namespace limit and a
 * new network namespace's loopback. */
static int
set_up_names_and_kernel (const struct oci_config *config, libcrun_error_t *err)
{
  const struct oci_namespace *net = oci_config_namespace (config, CLONE_NEWNET);

  if (config->hostname && config->hostname[0]
      && sethostname (config->hostname, strlen (config->hostname)) < 0)
    return libcrun_make_error (err, errno, "set the hostname `%s`", config->hostname);
  if (config->domainname && config->domainname[0]
      && setdomainname (config->domainname, strlen (config->domainname)) < 0)
    return libcrun_make_error (err, errno, "set the domainname `%s`", config->domainname);
  if (write_sysctls (config, err) < 0 || limit_nested_userns (config, err) < 0)
    return -1;
  if (net && net->path == NULL && loopback_up (err) < 0)
    return -1;
  return 0;
}

/* process.terminal: a pty from the container's devpts, its slave bound on
 * /dev/console, its master sent to the console socket or the runtime. */
static int
open_terminal (const struct libcrun_init_options *o, const struct preopened *pre, int sync,
               const struct libcrun_rootfs_options *ro, bool new_mntns, int *master, int *slave,
               libcrun_error_t *err)
{
  const struct oci_process *proc = o->config->process;
  cleanup_free char *ptmx = xasprintf ("%s/dev/pts/ptmx", o->rootfs);
  cleanup_free char *slave_path = NULL;

  if (access (ptmx, F_OK) < 0)
    {
      free (ptmx);
      ptmx = xasprintf ("%s/dev/ptmx", o->rootfs);
    }
  if (libcrun_pty_open (ptmx, master, slave, err) < 0)
    return libcrun_error_wrap (err, "create the container's terminal");
  if (proc->has_console_size
      && libcrun_terminal_set_size (*slave, proc->console_height, proc->console_width, err) < 0)
    return -1;
  slave_path = xasprintf ("/proc/self/fd/%d", *slave);
  if (new_mntns && libcrun_rootfs_bind_console (ro, slave_path, err) < 0)
    return -1;
  if (pre->console >= 0)
    {
      if (libcrun_send_fd (pre->console, *master, err) < 0)
        return libcrun_error_wrap (err, "send the pty to `%s`", o->console_socket);
      return 0;
    }
  if (sync_send (sync, SYNC_PTY, err) < 0 || libcrun_send_fd (sync, *master, err) < 0)
    return -1;
  return 0;
}

/* pivot_root (or chroot without a mount namespace), then the process's
 * session: the pty as its stdio, or a new session. */
static int
enter_rootfs (const struct libcrun_init_options *o, const struct libcrun_rootfs_options *ro,
              bool own_mntns, int slave, libcrun_error_t *err)
{
  if (own_mntns)
    {
      if (libcrun_rootfs_pivot (ro, err) < 0)
        return -1;
    }
  else if (chroot (o->rootfs) < 0)
    return libcrun_make_error (err, errno, "chroot `%s`", o->rootfs);
  else if (chdir ("/") < 0)
    return libcrun_make_error (err, errno, "chdir `/`");
  if (slave >= 0)
    return libcrun_pty_become_stdio (slave, err);
  if (setsid () < 0)
    return libcrun_make_error (err, errno, "setsid");
  return 0;
}

/* The last steps before the fds are arranged: keyring, personality,
 * memory policy, the process itself (libcrun_linux_prepare_process) and
 * the seccomp notify listener, which goes to the runtime. */
static int
finish_process (const struct libcrun_init_options *o, int sync, char **exe_out,
                libcrun_error_t *err)
{
  const struct oci_config *config = o->config;
  cleanup_close int listener = -1;

  if (!o->no_new_keyring)
    {
      /* A fresh anonymous session keyring, so that the container does not
       * see the runtime's keys.  Kernels without keys answer ENOSYS. */
      if (syscall (__NR_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 && errno != ENOSYS
          && errno != EPERM)
        return libcrun_make_error (err, errno, "join a new session keyring");
    }
  if (libcrun_apply_personality (config->linux_cfg, err) < 0
      || libcrun_apply_memory_policy (config->linux_cfg, err) < 0
      || libcrun_linux_prepare_process (config->process, o->seccomp, exe_out, &listener, err) < 0)
    return -1;
  /* The handler (seccomp_notify.c) gives it to the agent.  The filter is
   * already in force: a profile that sends sendmsg itself to the agent
   * would wait for it here. */
  if (listener >= 0
      && (sync_send (sync, SYNC_SECCOMP, err) < 0 || libcrun_send_fd (sync, listener, err) < 0))
    return -1;
  return 0;
}

static int
child_setup (const struct libcrun_init_options *o, const struct preopened *pre, int sync,
             bool new_mntns, bool new_userns, char **exe_out, int *fifo_out, int *start_fifo_out,
             char **created_json, libcrun_error_t *err)
{
  cleanup_free char *creating_json = NULL;
  const struct oci_config *config = o->config;
  bool own_mntns = new_mntns || oci_config_namespace (config, CLONE_NEWNS);
  struct libcrun_rootfs_options ro
      = { .config = config,
          .rootfs = o->rootfs,
          .bundle = o->bundle,
          .no_pivot = o->no_pivot,
          .userns = oci_config_namespace (config, CLONE_NEWUSER) != NULL };
  cleanup_close int master = -1, slave = -1;
  /* Opened by the runtime before clone3: in a new user namespace the init
   * may not be allowed to open the runtime's state directory. */
  cleanup_close int fifo = pre->exec_fifo, start_fifo = pre->start_fifo;
  int *mount_fds = NULL;

  /* Our id mappings are written (libcrun_helper_exec_child waited for
   * that); take the bind sources the runtime opened for us. */
  if (new_mntns && libcrun_recv_mount_sources (sync, config, new_userns, &mount_fds, err) < 0)
    return -1;
  if (enter_namespaces (config, new_userns, err) < 0 || set_up_names_and_kernel (config, err) < 0)
    return -1;
  if (own_mntns)
    {
      int r;
      ro.mount_fds = mount_fds;
      r = libcrun_rootfs_mount (&ro, err);
      libcrun_close_mount_sources (mount_fds, config->n_mounts);
      ro.mount_fds = NULL;
      if (r < 0)
        return -1;
    }
  if (config->process->terminal
      && open_terminal (o, pre, sync, &ro, new_mntns, &master, &slave, err) < 0)
    return -1;

  /* createRuntime (by the runtime) then createContainer (here, in the
   * container's namespaces, paths still resolved on the host): after the
   * mounts, before pivot_root, as the runtime spec orders them. */
  if (hooks_handshake (sync, &creating_json, created_json, err) < 0
      || libcrun_run_hooks (config->hooks[OCI_HOOK_CREATE_CONTAINER],
                            config->n_hooks[OCI_HOOK_CREATE_CONTAINER], OCI_HOOK_CREATE_CONTAINER,
                            creating_json, o->hooks, err)
             < 0)
    return -1;
  if (enter_rootfs (o, &ro, own_mntns, slave, err) < 0
      || finish_process (o, sync, exe_out, err) < 0)
    return -1;

  /* The log handler may write to a file of the runtime's that is closed
   * next: the init logs nothing from here on. */
  libcrun_set_log_handler (NULL, NULL, LIBCRUN_LOG_ERROR);
  if (prepare_fds (o, sync, fifo, start_fifo, err) < 0)
    return -1;
  *fifo_out = steal_fd (&fifo);
  *start_fifo_out = steal_fd (&start_fifo);
  return 0;
}

/* The runtime's signal mask and dispositions are not the container's. */
static void
reset_signals (void)
{
  sigset_t all;
  int s;

  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  for (s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
}

/* Tell the runtime the init is ready and wait until it has recorded it. */
static void
wait_committed (int sync)
{
  libcrun_error_t err = NULL;
  char c;
  ssize_t r;

  /* The parent-death signal goes before READY: once the runtime has read
   * READY it may record the container and exit at once, before this
   * process could turn the signal off.  What keeps a ready init from
   * outliving a runtime that died before recording it is the socket:
   * it waits for SYNC_COMMITTED, and the socket's end (the runtime gone,
   * no message) makes it exit.  A state that names no process is then
   * all that is left, and `delete -f` understands it.  (A change of
   * credentials in set-up clears the signal anyway.) */
  prctl (PR_SET_PDEATHSIG, 0);
  if (sync_send (sync, SYNC_READY, &err) < 0)
    _exit (1);
  do
    r = read (sync, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1 || c != SYNC_COMMITTED)
    _exit (1);
  close (sync);
}

/* Block until `start` writes into the fifo.  We hold it open read-write,
 * so the open() of `start` does not block and a dead init makes its
 * O_NONBLOCK open fail with ENXIO instead. */
static void
wait_start (int fifo)
{
  char c;
  ssize_t r;

  do
    r = read (fifo, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    _exit (1);
  close (fifo);
}

/* startContainer hooks: inside the container, right before the user
 * program; `start` learns the outcome through the start fifo. */
static void
run_start_container_hooks (const struct libcrun_init_options *o, const char *created_json,
                           int start_fifo)
{
  const struct oci_config *config = o->config;
  libcrun_error_t err = NULL;

  if (libcrun_run_hooks (config->hooks[OCI_HOOK_START_CONTAINER],
                         config->n_hooks[OCI_HOOK_START_CONTAINER], OCI_HOOK_START_CONTAINER,
                         created_json, o->hooks, &err)
      < 0)
    libcrun_report_error_and_exit (start_fifo, '1', &err);
  (void)!write (start_fifo, "0", 1);
}

static void __attribute__ ((noreturn))
exec_user_program (const char *exe, char *const *args, char *const *env)
{
  execve (exe, args, env);
  /* The program vanished or changed between the check and now: say so on
   * the container's own stderr, the only channel left, with the shell's
   * codes: 127 when it is missing, 126 when it cannot be run. */
  {
    int e = errno;
    dprintf (2, "exec `%s`: %s\n", exe, strerror (e));
    _exit (e == ENOENT ? 127 : 126);
  }
}

/* The init in the helper's image, from its v1 cgroups to the container's
 * program. */
static void __attribute__ ((noreturn))
init_main (const struct libcrun_init_options *o, const struct preopened *pre, int sync,
           bool new_mntns, bool new_userns)
{
  libcrun_error_t err = NULL;
  cleanup_free char *exe = NULL, *created_json = NULL;
  cleanup_strv char **env = NULL;
  int fifo = -1, start_fifo = -1;

  reset_signals ();

  if (child_setup (o, pre, sync, new_mntns, new_userns, &exe, &fifo, &start_fifo, &created_json,
                   &err)
      < 0)
    libcrun_report_error_and_exit (sync, SYNC_ERROR, &err);
  env = build_env (o);

  wait_committed (sync);
  wait_start (fifo);
  run_start_container_hooks (o, created_json, start_fifo);
  exec_user_program (exe, o->config->process->args, env);
}

/* The init's log lines go to the runtime, which logs them through its
 * own handler (the --log file and format of the command line). */
static void
forward_log (enum libcrun_log_level level, const char *msg, void *arg)
{
  char buf[SYNC_MAX];
  int n = snprintf (buf, sizeof (buf), "%c%c%s", SYNC_LOG, (char)('0' + level), msg);
  if (n > (int)sizeof (buf) - 1)
    n = sizeof (buf) - 1;
  (void)!send (*(int *)arg, buf, (size_t)n, MSG_NOSIGNAL);
}

static void
options_from_wire (const struct libcrun_init_wire *w, const struct oci_config *config,
                   struct libcrun_init_options *o, struct preopened *pre)
{
  memset (o, 0, sizeof (*o));
  o->config = config;
  o->rootfs = w->rootfs;
  o->bundle = w->bundle;
  o->console_socket = w->console_socket;
  o->state_lock_fd = -1;
  o->no_pivot = w->no_pivot;
  o->no_new_keyring = w->no_new_keyring;
  o->preserve_fds = w->preserve_fds;
  o->listen_fds = w->listen_fds;
  o->preserve_holes = &w->holes;
  o->seccomp = w->has_seccomp ? &w->seccomp : NULL;
  o->hooks = &w->hooks;
  pre->exec_fifo = w->exec_fifo;
  pre->start_fifo = w->start_fifo;
  pre->console = w->console;
}

void
libcrun_linux_init_helper (int options_fd, int sync)
{
  static struct libcrun_init_wire w;
  static struct libcrun_init_options o;
  static struct preopened pre;
  struct oci_config *config = NULL;
  libcrun_error_t err = NULL;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (libcrun_init_wire_read (options_fd, &w, &err) < 0)
    libcrun_report_error_and_exit (sync, SYNC_ERROR, &err);
  close (options_fd);
  set_cloexec (
      (int[]){ w.sync, w.exec_fifo, w.start_fifo, w.console, w.hooks.stdout_fd, w.hooks.stderr_fd },
      6);
  fd_holes_set_cloexec (&w.holes);
  libcrun_spawn_learn (w.spawn_rung, w.spawn_autokill);
  /* The runtime parsed the same text: it has logged what the parser had
   * to say, and has accepted it. */
  if (libcrun_config_load_string (w.config_json, w.config_origin, &config, &err) < 0)
    libcrun_report_error_and_exit (sync, SYNC_ERROR, &err);
  if (w.log_level >= 0)
    libcrun_set_log_handler (forward_log, &w.sync, (enum libcrun_log_level)w.log_level);
  options_from_wire (&w, config, &o, &pre);
  init_main (&o, &pre, w.sync, w.new_mntns, w.new_userns);
}

/* ---- parent side ----------------------------------------------------- */

/* newuidmap/newgidmap PID ID HOST COUNT...: the setuid helpers write
 * mappings an unprivileged runtime may not write itself.  They go through
 * the spawner like every helper of the runtime. */
static int
run_idmap_helper (const char *helper, pid_t pid, const struct oci_id_mapping *m, size_t n,
                  bool autoreap, libcrun_error_t *err)
{
  cleanup_strv char **argv = xmalloc0 ((3 * n + 3) * sizeof (char *));
  struct libcrun_spawn_options so;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  size_t i, k = 0;
  int ret = 0;

  argv[k++] = xstrdup (helper);
  argv[k++] = xasprintf ("%d", pid);
  for (i = 0; i < n; i++)
    {
      argv[k++] = xasprintf ("%u", m[i].container_id);
      argv[k++] = xasprintf ("%u", m[i].host_id);
      argv[k++] = xasprintf ("%u", m[i].size);
    }
  memset (&so, 0, sizeof (so));
  so.path = strcmp (helper, "newuidmap") == 0 ? "/usr/bin/newuidmap" : "/usr/bin/newgidmap";
  so.argv = argv;
  so.stdout_fd = LIBCRUN_SPAWN_DEVNULL;
  so.stderr_fd = -1;
  so.autoreap = autoreap;
  if (libcrun_spawn (&so, &p, err) < 0)
    return libcrun_error_wrap (err, "write the id mappings with `%s`", helper);
  libcrun_debug ("%s: pid %d, spawner `%s`", helper, p.pid, libcrun_spawn_rung_name (p.rung));
  if (libcrun_process_wait (&p, 30000, &r, err) < 0)
    ret = -1;
  else if (r.kind != LIBCRUN_WAIT_EXITED || r.code != 0)
    ret = libcrun_make_error (err, 0, "`%s` failed (%s %d)", helper,
                              r.kind == LIBCRUN_WAIT_TIMEOUT    ? "timed out after 30 s, code"
                              : r.kind == LIBCRUN_WAIT_SIGNALED ? "killed by signal"
                                                                : "exit status",
                              r.code);
  libcrun_process_release (&p);
  return ret;
}

/* Write one of uid_map/gid_map directly (root can); fall back to the setuid
 * helper when the kernel says EPERM (an unprivileged runtime). */
int
libcrun_write_id_map (pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n,
                      libcrun_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/%s", pid, file);
  cleanup_free char *buf = xmalloc0 (n * 40 + 1);
  size_t i, len = 0;

  for (i = 0; i < n; i++)
    len += (size_t)sprintf (buf + len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  return write_file (path, buf, len, 0644, err);
}

static int
write_mapping_file (pid_t pid, const char *name, const char *helper, const struct oci_id_mapping *m,
                    size_t n, bool autoreap, libcrun_error_t *err)
{
  if (libcrun_write_id_map (pid, name, m, n, err) == 0)
    return 0;
  if ((*err)->status != EPERM)
    return libcrun_error_wrap (err, "write the %s of the container", name);
  libcrun_error_release (err);
  return run_idmap_helper (helper, pid, m, n, autoreap, err);
}

/* The init may go on: its mappings are written; then the bind sources
 * the runtime opens for it (mount_sources.h). */
static int
send_mapped (const struct libcrun_init_options *o, int sock, pid_t pid, bool new_mntns,
             bool new_userns, libcrun_error_t *err)
{
  if (sync_send (sock, SYNC_MAPPED, err) < 0)
    return -1;
  if (!new_mntns)
    return 0;
  return libcrun_send_mount_sources (sock, o->config, o->bundle, pid, new_userns, err);
}

/* "0:100000:65536, 65536:..." for errors that name the mappings. */
static char *
mappings_text (const struct oci_id_mapping *m, size_t n)
{
  char *t = xstrdup ("");
  size_t i;

  for (i = 0; i < n && i < 8; i++)
    {
      char *u = xasprintf ("%s%s%u:%u:%u", t, i ? ", " : "", m[i].container_id, m[i].host_id,
                           m[i].size);
      free (t);
      t = u;
    }
  if (n > 8)
    {
      char *u = xasprintf ("%s, ...", t);
      free (t);
      t = u;
    }
  return t;
}

static int
write_one_mapping (pid_t pid, const char *file, const char *helper, const char *field,
                   const struct oci_id_mapping *m, size_t n, bool autoreap, libcrun_error_t *err)
{
  cleanup_free char *text = NULL;

  if (n == 0 || write_mapping_file (pid, file, helper, m, n, autoreap, err) == 0)
    return 0;
  text = mappings_text (m, n);
  return libcrun_error_wrap (err, "`linux.%s` [%s] (containerID:hostID:size) cannot be set up",
                             field, text);
}

static int
write_mappings (pid_t pid, const struct oci_linux *l, bool autoreap, libcrun_error_t *err)
{
  if (write_one_mapping (pid, "uid_map", "newuidmap", "uidMappings", l->uid_mappings,
                         l->n_uid_mappings, autoreap, err)
      < 0)
    return -1;
  return write_one_mapping (pid, "gid_map", "newgidmap", "gidMappings", l->gid_mappings,
                            l->n_gid_mappings, autoreap, err);
}

/* A pid or time namespace given by path is joined by the process that
 * clones the init: setns on those only changes what the caller's children
 * get (pid_for_children, time_for_children).  The library must leave its
 * caller's namespaces as they were, so the namespaces the caller's children
 * had are opened first (saved[]) and restored right after the clone
 * (libcrun_linux_restore_parent_namespaces). */
static const int parent_ns_types[2] = { CLONE_NEWPID, CLONE_NEWTIME };
static const char *const parent_ns_self[2]
    = { "/proc/thread-self/ns/pid_for_children", "/proc/thread-self/ns/time_for_children" };

int
libcrun_linux_enter_parent_namespaces (const struct oci_config *config, int saved[2],
                                       libcrun_error_t *err)
{
  size_t i;
  for (i = 0; i < 2; i++)
    {
      const struct oci_namespace *ns = oci_config_namespace (config, parent_ns_types[i]);
      cleanup_close int fd = -1;
      if (ns == NULL || ns->path == NULL)
        continue;
      saved[i] = open (parent_ns_self[i], O_RDONLY | O_CLOEXEC);
      if (saved[i] < 0)
        return libcrun_make_error (err, errno, "open `%s`", parent_ns_self[i]);
      fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return libcrun_make_error (err, errno, "open the %s namespace `%s`",
                                   oci_namespace_type_name (parent_ns_types[i]), ns->path);
      if (setns (fd, parent_ns_types[i]) < 0)
        return libcrun_make_error (err, errno, "join the %s namespace `%s`",
                                   oci_namespace_type_name (parent_ns_types[i]), ns->path);
    }
  return 0;
}

void
libcrun_linux_restore_parent_namespaces (int saved[2])
{
  size_t i;
  for (i = 0; i < 2; i++)
    if (saved[i] >= 0)
      {
        /* Back to a namespace we were in: nothing the kernel refuses. */
        (void)setns (saved[i], parent_ns_types[i]);
        close (saved[i]);
        saved[i] = -1;
      }
}

int
libcrun_linux_commit_init (struct libcrun_init_handle *h, libcrun_error_t *err)
{
  int ret = sync_send (h->sync, SYNC_COMMITTED, err);
  close (h->sync);
  h->sync = -1;
  return ret;
}

void
libcrun_linux_kill_init (struct libcrun_init_handle *h)
{
  siginfo_t si;
  if (h->pid <= 0)
    return;
  if (h->pidfd >= 0)
    {
      sys_pidfd_send_signal (h->pidfd, SIGKILL, NULL, 0);
      while (waitid (P_PIDFD, (id_t)h->pidfd, &si, WEXITED) < 0 && errno == EINTR)
        ;
    }
  else
    {
      kill (h->pid, SIGKILL);
      while (waitpid (h->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  h->pid = 0;
}

static int
continue_after_hooks (const struct libcrun_init_options *o, int sync, pid_t pid,
                      libcrun_error_t *err)
{
  const struct oci_config *c = o->config;
  cleanup_free char *creating = NULL, *created = NULL, *msg = NULL;
  char hdr[1 + sizeof (uint64_t)];
  uint64_t total, sent;
  size_t l1, l2;

  if (o->before_pivot && o->before_pivot (o->before_pivot_arg, pid, err) < 0)
    return -1;
  /* createContainer's state says "created" like crun 1.8.1's (runc:
   * "creating"); startContainer's too, where crun 1.8.1 says "starting",
   * which is not one of the runtime spec's status values. */
  creating = libcrun_hook_state_json (o->id, "created", pid, o->bundle, c->annotations,
                                      c->n_annotations);
  created = libcrun_hook_state_json (o->id, "created", pid, o->bundle, c->annotations,
                                     c->n_annotations);
  l1 = strlen (creating);
  l2 = strlen (created);
  total = l1 + l2 + 2;
  if (total > SYNC_CONTINUE_MAX)
    return libcrun_make_error (
        err, E2BIG, "the container state (annotations) is larger than %d bytes", SYNC_CONTINUE_MAX);
  msg = xmalloc (total);
  memcpy (msg, creating, l1 + 1);
  memcpy (msg + l1 + 1, created, l2 + 1);
  hdr[0] = SYNC_CONTINUE;
  memcpy (hdr + 1, &total, sizeof (total));
  if (send (sync, hdr, sizeof (hdr), MSG_NOSIGNAL) < 0)
    return libcrun_make_error (err, errno, "write to the container's init");
  for (sent = 0; sent < total;)
    {
      size_t n = total - sent > SYNC_CHUNK ? SYNC_CHUNK : total - sent;
      if (send (sync, msg + sent, n, MSG_NOSIGNAL) < 0)
        {
          if (errno == EINTR)
            continue;
          return libcrun_make_error (err, errno, "write to the container's init");
        }
      sent += n;
    }
  return 0;
}

static int
read_child_messages (const struct libcrun_init_options *o, int sync, struct libcrun_init_handle *h,
                     libcrun_error_t *err)
{
  for (;;)
    {
      char buf[SYNC_MAX];
      ssize_t r = recv (sync, buf, sizeof (buf) - 1, 0);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return libcrun_make_error (err, errno, "read from the container's init");
      if (r == 0)
        return libcrun_make_error (err, 0, "the container's init exited during set-up");
      buf[r] = '\0';
      switch (buf[0])
        {
        case SYNC_READY:
          return 0;
        case SYNC_PTY:
          {
            int fd = libcrun_recv_fd (sync, err);
            if (fd < 0)
              return -1;
            h->terminal_master = fd;
            break;
          }
        case SYNC_HOOKS:
          if (continue_after_hooks (o, sync, h->pid, err) < 0)
            return -1;
          break;
        case SYNC_SECCOMP:
          {
            cleanup_close int fd = libcrun_recv_fd (sync, err);
            if (fd < 0
                || libcrun_seccomp_send_listener (o->config, o->id, o->bundle, h->pid, fd, err) < 0)
              return -1;
            break;
          }
        case SYNC_LOG:
          if (r >= 2)
            libcrun_log ((enum libcrun_log_level) (buf[1] - '0'), "%s", buf + 2);
          break;
        case SYNC_ERROR:
          return libcrun_make_error (err, 0, "%s", buf + 1);
        default:
          return libcrun_make_error (err, EPROTO, "unexpected message from the container's init");
        }
    }
}

/* The init into its cgroups (systemd's scope, or ours), the resources
 * applied, and its oom_score_adj (from outside its user namespace). */
static int
place_init (const struct libcrun_init_options *o, pid_t pid, bool v1_joined, bool unified_joined,
            libcrun_error_t *err)
{
  const struct oci_linux *l = o->config->linux_cfg;

  if (o->systemd_unit)
    {
      cleanup_free char *path = NULL;
      if (libcrun_systemd_enter (o->systemd_slice, o->systemd_unit, pid, l ? l->resources : NULL,
                                 &path, err)
              < 0
          || libcrun_cgroup_load (path, o->systemd_cgroup, err) < 0)
        return -1;
      /* Delegate=yes: the resources are ours to write, as with cgroupfs. */
      if (l && libcrun_cgroup_apply_resources (*o->systemd_cgroup, l->resources, err) < 0)
        return libcrun_error_wrap (err, "`linux.resources`");
    }
  if (o->cgroup)
    {
      if (libcrun_cgroup_enter_rest (o->cgroup, pid, v1_joined, unified_joined, err) < 0)
        return -1;
      /* The device rules are in already (spawn_prepare_clone). */
      if (l
          && libcrun_cgroup_apply_resources_part (o->cgroup, l->resources,
                                                  LIBCRUN_CGROUP_RES_OTHERS, err)
                 < 0)
        return libcrun_error_wrap (err, "`linux.resources`");
    }
  return libcrun_apply_oom_score_adj (pid, o->config->process, err);
}

/* Everything one spawn of the init holds, from the namespace flags to the
 * init that reported ready. */
struct init_spawn
{
  const struct libcrun_init_options *o;
  struct libcrun_init_handle *h;
  uint64_t ns_flags; /* the namespaces clone3 creates */
  bool new_userns, new_mntns, new_cgroupns;
  struct preopened pre;
  /* Ours to close: the fifos we opened, the console socket, the
   * unified cgroup's directory, both ends of the init's socket. */
  int exec_fifo, start_fifo, console, cgroup_fd;
  int *cgroup_tasks; /* v1 `tasks` files the init writes "0" into before its execve; NULL */
  int parent_end, child_end;
  int saved_ns[2]; /* our children's pid and time namespaces, restored after the clone */
  bool born_in_cgroup, v1_joined;
  struct libcrun_helper_exec x; /* the helper the init executes */
};

/* The namespaces clone3 creates, and which of them are new. */
static void
spawn_namespaces (struct init_spawn *s)
{
  const struct oci_linux *l = s->o->config->linux_cfg;
  size_t i;

  for (i = 0; l && i < l->n_namespaces; i++)
    {
      int t = l->namespaces[i].type;
      /* A new time namespace is unshared by the init (its offsets must be
       * written first); a new cgroup namespace too, once the runtime has
       * moved it into its cgroup, so that the namespace's root is the
       * container's cgroup. */
      if (t == CLONE_NEWCGROUP && l->namespaces[i].path == NULL)
        s->new_cgroupns = true;
      if (l->namespaces[i].path || t == CLONE_NEWTIME || t == CLONE_NEWCGROUP)
        continue;
      s->ns_flags |= (uint64_t)t;
      if (t == CLONE_NEWUSER)
        s->new_userns = true;
      if (t == CLONE_NEWNS)
        s->new_mntns = true;
    }
}

/* What the init gets from us before clone3: the start channel, the
 * connected console socket, and its socket to us. */
static int
spawn_preopen (struct init_spawn *s, libcrun_error_t *err)
{
  const struct libcrun_init_options *o = s->o;
  int sv[2];

  /* Fifos are opened read-write: the init's open never blocks, and its
   * read blocks until `start` writes.  Pipes are the caller's (run). */
  if (o->exec_fifo == NULL)
    {
      s->pre.exec_fifo = o->exec_pipe;
      s->pre.start_fifo = o->start_pipe;
    }
  else
    {
      s->pre.exec_fifo = s->exec_fifo = open (o->exec_fifo, O_RDWR | O_CLOEXEC);
      if (s->exec_fifo < 0)
        return libcrun_make_error (err, errno, "open `%s`", o->exec_fifo);
      s->pre.start_fifo = s->start_fifo = open (o->start_fifo, O_RDWR | O_CLOEXEC);
      if (s->start_fifo < 0)
        return libcrun_make_error (err, errno, "open `%s`", o->start_fifo);
    }
  if (o->console_socket && o->config->process->terminal)
    {
      s->pre.console = s->console = libcrun_unix_connect (o->console_socket, err);
      if (s->console < 0)
        return -1;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return libcrun_make_error (err, errno, "socketpair");
  s->parent_end = sv[0];
  s->child_end = sv[1];
  return 0;
}

/* What the init's helper gets (helper_exec.h), from the options and what
 * we opened for it. */
static int
spawn_prepare_exec (struct init_spawn *s, libcrun_error_t *err)
{
  const struct libcrun_init_options *o = s->o;
  struct libcrun_init_wire w = {
    .config_json = (char *)o->config_json,
    .config_origin = (char *)o->config_origin,
    .rootfs = (char *)o->rootfs,
    .bundle = (char *)o->bundle,
    .console_socket = (char *)o->console_socket,
    .sync = s->child_end,
    .log_level = libcrun_log_level_wanted (),
    .preserve_fds = o->preserve_fds,
    .listen_fds = o->listen_fds,
    .no_pivot = o->no_pivot,
    .no_new_keyring = o->no_new_keyring,
    .new_mntns = s->new_mntns,
    .new_userns = s->new_userns,
    .hooks = *o->hooks,
    .has_seccomp = o->seccomp != NULL,
    .exec_fifo = s->pre.exec_fifo,
    .start_fifo = s->pre.start_fifo,
    .console = s->pre.console,
  };

  int fd = -1;

  libcrun_spawn_facts (&w.spawn_rung, &w.spawn_autokill);
  if (o->preserve_holes)
    w.holes = *o->preserve_holes;
  if (o->seccomp)
    w.seccomp = *o->seccomp;
  if (libcrun_init_wire_write (&w, &fd, err) < 0)
    return -1;
  s->x.close_first = o->state_lock_fd;
  s->x.die_with_runtime = true;
  s->x.join_tasks = s->cgroup_tasks;
  s->x.become_root = s->new_userns;
  /* The v1 `tasks` files are written before the execve and stay behind. */
  return libcrun_helper_exec_prepare (
      &s->x, "init", fd, s->child_end,
      (int[]){ w.exec_fifo, w.start_fifo, w.console, w.hooks.stdout_fd, w.hooks.stderr_fd }, 5,
      o->preserve_fds, err);
}

/* The pid and time namespaces the config names by path, for the init
 * only, and its unified cgroup's directory and v1 `tasks` files.  Where
 * there is a cgroup2 hierarchy the init is born in its cgroup there
 * (CLONE_INTO_CGROUP, 5.7+); it joins the v1 hierarchies itself
 * (libcrun_helper_exec_child); a kernel that refuses the flag gets the pid written
 * right after (place_init). */
static int
spawn_prepare_clone (struct init_spawn *s, libcrun_error_t *err)
{
  const struct libcrun_init_options *o = s->o;
  const struct oci_linux *l = o->config->linux_cfg;

  /* The device rules before anyone is in the cgroup (place_init writes
   * the rest): the init makes device nodes and opens its pty while we
   * place it, and rules written under it would deny it all for a moment. */
  if (o->cgroup && l
      && libcrun_cgroup_apply_resources_part (o->cgroup, l->resources, LIBCRUN_CGROUP_RES_DEVICES,
                                              err)
             < 0)
    return libcrun_error_wrap (err, "`linux.resources`");
  if (o->cgroup && libcrun_cgroup_open_join (o->cgroup, &s->cgroup_fd, &s->cgroup_tasks, err) < 0)
    return -1;
  if (spawn_prepare_exec (s, err) < 0
      || libcrun_linux_enter_parent_namespaces (o->config, s->saved_ns, err) < 0)
    {
      libcrun_linux_restore_parent_namespaces (s->saved_ns);
      close_fd_array (s->cgroup_tasks);
      s->cgroup_tasks = NULL;
      return -1;
    }
  return 0;
}

/* The init: clone3 (fork where clone3 is refused and no namespace is
 * asked for); the child goes on in child_main. */
static int
spawn_clone (struct init_spawn *s, libcrun_error_t *err)
{
  struct libcrun_clone_args args;
  int pidfd = -1;
  long ret;

  if (spawn_prepare_clone (s, err) < 0)
    return -1;
  memset (&args, 0, sizeof (args));
  args.flags = s->ns_flags | CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&pidfd;
  args.exit_signal = SIGCHLD;
  ret = sys_clone3_into_cgroup (&args, s->cgroup_fd, &s->born_in_cgroup);
  if (ret < 0 && (errno == ENOSYS || errno == EPERM) && s->ns_flags == 0)
    ret = fork ();
  if (ret != 0)
    {
      int e = errno;
      libcrun_linux_restore_parent_namespaces (s->saved_ns);
      errno = e;
    }
  if (ret < 0)
    {
      int e = errno;
      close_fd_array (s->cgroup_tasks);
      return libcrun_make_error (err, e,
                                 "create the container's init process (clone3 flags 0x%llx)",
                                 (unsigned long long)s->ns_flags);
    }
  if (ret == 0)
    {
      close (s->parent_end);
      libcrun_helper_exec_child (&s->x, SYNC_MAPPED, SYNC_ERROR);
    }

  s->h->pid = (pid_t)ret;
  s->h->pidfd = pidfd;
  close (steal_fd (&s->child_end));
  s->v1_joined = s->cgroup_tasks != NULL;
  close_fd_array (s->cgroup_tasks);
  s->cgroup_tasks = NULL;
  libcrun_test_crash_point ("create:cloned");
  return 0;
}

/* The init's id mappings, its cgroups, then its messages until it is
 * ready. */
static int
spawn_set_up (struct init_spawn *s, libcrun_error_t *err)
{
  const struct libcrun_init_options *o = s->o;
  const struct oci_linux *l = o->config->linux_cfg;
  pid_t pid = s->h->pid;

  if (s->new_userns && l
      && write_mappings (pid, l, o->hooks->autoreap != LIBCRUN_AUTOREAP_OFF, err) < 0)
    return -1;
  /* The init may start its mounts while we place it in its cgroups: the
   * first write to a v1 cgroup.procs waits for an RCU grace period, the
   * longest step of a run.  It is placed before we answer any message of
   * its (SYNC_HOOKS comes after the mounts, before createContainer hooks,
   * pivot_root and exec), so it never forks or runs the container's
   * program outside them.  It waits instead with a new cgroup namespace,
   * whose root is the cgroup the init is in when it unshares, and with
   * systemd, whose scope (made with the init in it) gets its device rules
   * only now: the init must not make nodes or open its pty under them. */
  bool init_waits = s->new_cgroupns || o->systemd_unit;
  if (!init_waits && send_mapped (o, s->parent_end, pid, s->new_mntns, s->new_userns, err) < 0)
    return -1;
  if (place_init (o, pid, s->v1_joined, s->born_in_cgroup, err) < 0)
    return -1;
  if (init_waits && send_mapped (o, s->parent_end, pid, s->new_mntns, s->new_userns, err) < 0)
    return -1;
  return read_child_messages (o, s->parent_end, s->h, err);
}

/* A spawn that failed leaves no init (killed and collected) and closes
 * what referred to it. */
static void
spawn_undo (struct libcrun_init_handle *h)
{
  libcrun_linux_kill_init (h);
  if (h->pidfd >= 0)
    close (h->pidfd);
  h->pidfd = -1;
  if (h->terminal_master >= 0)
    close (h->terminal_master);
  h->terminal_master = -1;
}

/* What the spawn opened for itself, closed (the init has its copies). */
static void
spawn_release (struct init_spawn *s)
{
  cleanup_closep (&s->cgroup_fd);
  cleanup_closep (&s->console);
  cleanup_closep (&s->start_fifo);
  cleanup_closep (&s->exec_fifo);
  cleanup_closep (&s->child_end);
  cleanup_closep (&s->parent_end);
  libcrun_helper_exec_release (&s->x);
}

int
libcrun_linux_spawn_init (const struct libcrun_init_options *o, struct libcrun_init_handle *h,
                          libcrun_error_t *err)
{
  struct init_spawn s = {
    .o = o,
    .h = h,
    .pre = { .exec_fifo = -1, .start_fifo = -1, .console = -1 },
    .exec_fifo = -1,
    .start_fifo = -1,
    .console = -1,
    .cgroup_fd = -1,
    .parent_end = -1,
    .child_end = -1,
    .saved_ns = { -1, -1 },
    .x = LIBCRUN_HELPER_EXEC_INIT,
  };
  bool ok;

  h->pid = 0;
  h->pidfd = -1;
  h->terminal_master = -1;
  h->sync = -1;

  spawn_namespaces (&s);
  ok = spawn_preopen (&s, err) == 0 && spawn_clone (&s, err) == 0 && spawn_set_up (&s, err) == 0;
  if (ok)
    h->sync = steal_fd (&s.parent_end);
  else
    spawn_undo (h);
  spawn_release (&s);
  return ok ? 0 : -1;
}
