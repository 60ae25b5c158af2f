#include "exec.h"
#include "exec_wire.h"
#include "helper_exec.h"
#include "cgroup.h"
#include "linux.h"
#include "process_attrs.h"
#include "log.h"
#include "seccomp.h"
#include "security.h"
#include "spawn.h"
#include "state.h"
#include "syscalls.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Messages on the socket between the runtime, the helper and the process. */
enum
{
  EXEC_PIDFD = 1, /* helper -> runtime: the process' pidfd (SCM_RIGHTS) and pid */
  EXEC_GO,        /* runtime -> process: set up and exec */
  EXEC_PTY,       /* process -> runtime: the pty master follows */
  EXEC_DONE,      /* process -> runtime: about to execve */
  EXEC_ERROR,     /* anyone -> runtime: message follows */
};

#define EXEC_MSG_MAX 8192

struct exec_ctx
{
  const struct libcrun_exec_options *o;
  const struct oci_process *proc;
  const struct oci_linux *linux_cfg; /* the container's (personality) */
  const struct libcrun_seccomp_program *seccomp;
  int init_pidfd;
  int root_fd; /* /proc/<init>/root, opened by the runtime */
  int ns_flags;
  int sock;                     /* the helper's and the process' end */
  int console;                  /* connected --console-socket, or -1 */
  const struct fd_holes *holes; /* preserved fds the caller had closed */
  /* The runtime's own: the state lock and its end of the socket.  The
   * helper closes them first, so that a runtime killed mid-exec leaves no
   * lock held (delete -f would wait for it forever) and the process sees
   * the socket's end instead of waiting for EXEC_GO. */
  int runtime_fds[2];
  /* The container's cgroup (or --cgroup's sub-cgroup), opened by the
   * runtime: the unified hierarchy's directory for CLONE_INTO_CGROUP (-1
   * without one); the v1 `tasks` files the process writes "0" into are
   * x.join_tasks (so that no pid is written and no global cgroup lock
   * taken, see libcrun_cgroup_open_join). */
  int cgroup_fd;
  /* The helper joins these (the user, pid and time namespaces, which
   * the process must be born in or have joined before its execve); the
   * process joins the rest itself, after it. */
  int helper_ns_flags;
  char oom_score_adj[16]; /* "" when unset */
  struct libcrun_helper_exec x;
};

/* Which namespaces of the init differ from ours: setns() refuses to "join"
 * the user namespace we are already in, and the others are no-ops. */
static int
differing_namespaces (pid_t init)
{
  static const struct
  {
    const char *name;
    int flag;
  } ns[] = {
    { "user", CLONE_NEWUSER },     { "mnt", CLONE_NEWNS },    { "pid", CLONE_NEWPID },
    { "net", CLONE_NEWNET },       { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },
    { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
  };
  int flags = 0;
  size_t i;
  for (i = 0; i < sizeof (ns) / sizeof (ns[0]); i++)
    {
      char a[64], b[64];
      struct stat sa, sb;
      snprintf (a, sizeof (a), "/proc/self/ns/%s", ns[i].name);
      snprintf (b, sizeof (b), "/proc/%d/ns/%s", init, ns[i].name);
      if (stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_ino != sb.st_ino)
        flags |= ns[i].flag;
    }
  return flags;
}

/* The process' first steps (it joined the v1 cgroups it could before its
 * execve, libcrun_helper_exec_child): wait for EXEC_GO, and take no
 * signal mask from the runtime. */
static void
exec_process_wait_go (struct exec_ctx *c)
{
  sigset_t none;
  char msg;

  /* Wait until the runtime has placed us in the rest of the container's
   * cgroups (where we could not join by ourselves). */
  if (read (c->sock, &msg, 1) != 1 || msg != EXEC_GO)
    _exit (1);

  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* A new session: with --tty a pty, whose master goes to the console socket
 * or to the runtime and whose slave becomes the stdio. */
static int
exec_process_session (struct exec_ctx *c, int *master, int *slave, libcrun_error_t *err)
{
  if (!c->proc->terminal)
    {
      if (setsid () < 0)
        return libcrun_make_error (err, errno, "setsid");
      return 0;
    }
  if (libcrun_pty_open ("/dev/ptmx", master, slave, err) < 0)
    return -1;
  if (c->proc->has_console_size)
    libcrun_terminal_set_size (*slave, c->proc->console_height, c->proc->console_width, err);
  libcrun_error_release (err);
  if (c->console >= 0)
    {
      /* The socket path is the runtime's: the runtime connected it
       * before the namespaces were joined. */
      if (libcrun_send_fd (c->console, *master, err) < 0)
        return -1;
    }
  else
    {
      char t = EXEC_PTY;
      if (send (c->sock, &t, 1, MSG_NOSIGNAL) != 1 || libcrun_send_fd (c->sock, *master, err) < 0)
        return -1;
    }
  return libcrun_pty_become_stdio (*slave, err);
}

/* The --preserve-fds the caller had open are inherited, the rest of them
 * closed, and so is every fd above them but the socket. */
static int
exec_process_arrange_fds (struct exec_ctx *c, libcrun_error_t *err)
{
  int keep[1] = { c->sock };
  int fd;

  for (fd = 3; fd < 3 + c->o->preserve_fds; fd++)
    {
      if (fd_holes_is_hole (c->holes, fd))
        close (fd);
      else
        fcntl (fd, F_SETFD, 0);
    }
  return close_fds_from (3 + c->o->preserve_fds, keep, 1, err);
}

/* EXEC_DONE, then the program. */
static void __attribute__ ((noreturn)) exec_process_execve (struct exec_ctx *c, const char *exe)
{
  char msg = EXEC_DONE;

  (void)!send (c->sock, &msg, 1, MSG_NOSIGNAL);
  close (c->sock);
  {
    char **env = libcrun_env_with_home (c->proc->env, c->proc->user.uid);
    execve (exe, c->proc->args, env);
  }
  {
    int e = errno; /* 127 missing, 126 cannot be run: the shell's codes */
    dprintf (2, "exec `%s`: %s\n", exe, strerror (e));
    _exit (e == ENOENT ? 127 : 126);
  }
}

static void __attribute__ ((noreturn)) exec_process_main (struct exec_ctx *c)
{
  libcrun_error_t err = NULL;
  cleanup_free char *exe = NULL;
  cleanup_close int master = -1, slave = -1;

  exec_process_wait_go (c);
  if (exec_process_session (c, &master, &slave, &err) < 0)
    libcrun_report_error_and_exit (c->sock, EXEC_ERROR, &err);

  libcrun_set_log_handler (NULL, NULL, LIBCRUN_LOG_ERROR);
  if (libcrun_apply_personality (c->linux_cfg, &err) < 0
      || libcrun_apply_memory_policy (c->linux_cfg, &err) < 0
      || libcrun_linux_prepare_process (c->proc, c->seccomp, &exe, NULL, &err) < 0
      || exec_process_arrange_fds (c, &err) < 0)
    libcrun_report_error_and_exit (c->sock, EXEC_ERROR, &err);
  exec_process_execve (c, exe);
}

/* Before setns: see libcrun_apply_oom_score_adj; the process cloned by
 * the helper inherits the value.  The text is the runtime's. */
static void
helper_oom_score_adj (const struct exec_ctx *c)
{
  int fd, e;

  if (c->oom_score_adj[0] == '\0')
    return;
  fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd >= 0 && write (fd, c->oom_score_adj, strlen (c->oom_score_adj)) >= 0)
    {
      close (fd);
      return;
    }
  e = errno;
  libcrun_child_fail (c->sock, EXEC_ERROR,
                      e == EACCES ? "`process.oomScoreAdj`: write to `/proc/self/oom_score_adj`: "
                                    "lowering it needs CAP_SYS_RESOURCE"
                                  : "`process.oomScoreAdj`: write to `/proc/self/oom_score_adj`",
                      e);
}

/* The helper (a child of libcrun_spawn, exit signal 0): join the user,
 * pid and time namespaces, then create the process as a sibling (our
 * parent's child) with CLONE_PARENT, which at once executes the runtime's
 * helper (helper_exec.h) and goes on in libcrun_exec_helper.  System
 * calls only: the runtime's other threads may hold libc's locks. */
static int
exec_helper_main (void *arg)
{
  struct exec_ctx *c = arg;
  struct libcrun_clone_args args;
  int pidfd = -1;
  long pid;
  char hdr[1 + sizeof (int) + 1]; /* EXEC_PIDFD, pid, born in the unified cgroup */
  bool born;

  close (c->runtime_fds[0]);
  close (c->runtime_fds[1]);
  helper_oom_score_adj (c);
  if (c->helper_ns_flags && setns (c->init_pidfd, c->helper_ns_flags) < 0)
    libcrun_child_fail (c->sock, EXEC_ERROR, "join the namespaces of the container", errno);

  memset (&args, 0, sizeof (args));
  args.flags = CLONE_PARENT | CLONE_PIDFD;
  args.pidfd = (uint64_t)(uintptr_t)&pidfd;
  args.exit_signal = 0; /* with CLONE_PARENT the kernel uses ours */
  pid = sys_clone3_into_cgroup (&args, c->cgroup_fd, &born);
  if (pid < 0 && (errno == ENOSYS || errno == EPERM))
    pid = syscall (SYS_clone, CLONE_PARENT | CLONE_PIDFD, NULL, &pidfd, NULL, 0);
  if (pid < 0)
    libcrun_child_fail (c->sock, EXEC_ERROR, "create the process in the container", errno);
  if (pid == 0)
    libcrun_helper_exec_child (&c->x, 0, EXEC_ERROR);

  hdr[0] = EXEC_PIDFD;
  memcpy (hdr + 1, &(int){ (int)pid }, sizeof (int));
  hdr[1 + sizeof (int)] = born;
  if (send (c->sock, hdr, sizeof (hdr), MSG_NOSIGNAL) < 0
      || libcrun_send_fd_raw (c->sock, pidfd) < 0)
    _exit (1);
  return 0;
}

/* ---- the process, in the helper's image ------------------------------ */

static int build_process (const struct libcrun_exec_options *o, const char *process_json,
                          struct oci_config *config, libcrun_error_t *err);

/* The rest of the container's namespaces, and its root (also under
 * --no-pivot, where the mount namespace's root is not the container's). */
static int
exec_process_enter (const struct libcrun_exec_wire *w, libcrun_error_t *err)
{
  if (w->ns_flags && setns (w->init_pidfd, w->ns_flags) < 0)
    return libcrun_make_error (err, errno, "join the namespaces of the container");
  if (fchdir (w->root_fd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return libcrun_make_error (err, errno, "enter the root of the container");
  close (w->init_pidfd);
  close (w->root_fd);
  return 0;
}

static void
options_from_wire (const struct libcrun_exec_wire *w, struct libcrun_exec_options *o)
{
  memset (o, 0, sizeof (*o));
  o->process_file = w->process_origin;
  o->args = w->args;
  o->tty = w->tty;
  o->cwd = w->cwd;
  o->user = w->user;
  o->env = w->env;
  o->caps = w->caps;
  o->no_new_privs = w->no_new_privs;
  o->preserve_fds = w->preserve_fds;
  o->apparmor = w->apparmor;
  o->process_label = w->process_label;
}

void
libcrun_exec_helper (int options_fd, int sock)
{
  static struct libcrun_exec_wire w;
  static struct libcrun_exec_options o;
  static struct exec_ctx c;
  struct oci_config *config = NULL;
  libcrun_error_t err = NULL;

  if (libcrun_exec_wire_read (options_fd, &w, &err) < 0)
    libcrun_report_error_and_exit (sock, EXEC_ERROR, &err);
  close (options_fd);
  set_cloexec ((int[]){ w.sock, w.console, w.init_pidfd, w.root_fd }, 4);
  fd_holes_set_cloexec (&w.holes);
  options_from_wire (&w, &o);
  /* The runtime built the same process from the same input and accepted
   * it; this copy says nothing it has not said. */
  if (libcrun_config_load_string (w.config_json, w.config_origin, &config, &err) < 0
      || build_process (&o, w.process_json, config, &err) < 0 || exec_process_enter (&w, &err) < 0)
    libcrun_report_error_and_exit (sock, EXEC_ERROR, &err);
  c.o = &o;
  c.proc = config->process;
  c.linux_cfg = config->linux_cfg;
  c.seccomp = w.has_seccomp ? &w.seccomp : NULL;
  c.sock = w.sock;
  c.console = w.console;
  c.holes = &w.holes;
  exec_process_main (&c);
}

/* The cgroup an exec'd process goes to (the container's, or --cgroup's
 * sub-cgroup of it), and what it needs to get there without a pid being
 * written: the unified directory and the v1 `tasks` files. */
static int
open_exec_cgroup (const struct libcrun_exec_options *o, const struct libcrun_state *st,
                  struct libcrun_cgroup **cg, int *unified_fd, int **tasks, libcrun_error_t *err)
{
  cleanup_free char *sub = NULL;

  if (st->cgroup_path == NULL)
    {
      if (o->cgroup)
        return libcrun_make_error (err, 0, "option `--cgroup`: the container has no cgroup");
      return 0;
    }
  sub = o->cgroup ? xasprintf ("%s/%s", st->cgroup_path, o->cgroup) : NULL;
  if (libcrun_cgroup_load (sub ? sub : st->cgroup_path, cg, err) < 0)
    return -1;
  return libcrun_cgroup_open_join (*cg, unified_fd, tasks, err);
}

/* The process to start from: the --process file, or the container's own
 * process with the command line's args. */
static int
take_process (const struct libcrun_exec_options *o, const char *process_json,
              struct oci_config *config, libcrun_error_t *err)
{
  if (o->process_file)
    {
      struct oci_process *np = NULL;
      if (libcrun_process_load_string (process_json, o->process_file, &np, err) < 0)
        return -1;
      libcrun_process_free (config->process);
      config->process = np;
      return 0;
    }
  if (o->args == NULL || o->args[0] == NULL)
    return libcrun_make_error (err, 0, "exec: no command given (and no --process)");
  if (config->process == NULL)
    return libcrun_make_error (err, 0, "exec: the container's config has no process");
  strv_free (config->process->args);
  config->process->args = strv_dup (o->args);
  config->process->terminal = false;
  /* As crun: the container's noNewPrivileges is not inherited by an
   * exec'd process; --no-new-privs (or a --process file) asks for it. */
  config->process->no_new_privileges = false;
  return 0;
}

/* --cwd: an absolute path. */
static int
set_exec_cwd (struct oci_process *p, const char *cwd, libcrun_error_t *err)
{
  if (cwd[0] != '/')
    return libcrun_make_error (err, 0, "option `--cwd`: `%s` is not an absolute path", cwd);
  free (p->cwd);
  p->cwd = xstrdup (cwd);
  return 0;
}

/* --user UID[:GID]: the gid stays the process' without one, and the
 * additional gids go. */
static int
set_exec_user (struct oci_process *p, const char *user, libcrun_error_t *err)
{
  long uid, gid = -1;
  cleanup_free char *u = xstrdup (user);
  char *colon = strchr (u, ':');

  if (colon)
    *colon = '\0';
  if (parse_long (u, &uid) < 0 || uid < 0
      || (colon && (parse_long (colon + 1, &gid) < 0 || gid < 0)))
    return libcrun_make_error (err, 0, "option `--user`: `%s` is not UID[:GID]", user);
  p->user.uid = (uid_t)uid;
  if (gid >= 0)
    p->user.gid = (gid_t)gid;
  free (p->user.additional_gids);
  p->user.additional_gids = NULL;
  p->user.n_additional_gids = 0;
  return 0;
}

/* --env KEY=VALUE: replaces the process' KEY, or is added. */
static int
merge_exec_env (struct oci_process *p, char **env, libcrun_error_t *err)
{
  size_t i;

  for (i = 0; env && env[i]; i++)
    {
      const char *eq = strchr (env[i], '=');
      size_t klen = eq ? (size_t)(eq - env[i]) : strlen (env[i]);
      size_t j;
      bool replaced = false;
      if (eq == NULL)
        return libcrun_make_error (err, 0, "option `--env`: `%s` is not KEY=VALUE", env[i]);
      for (j = 0; p->env && p->env[j]; j++)
        if (strncmp (p->env[j], env[i], klen + 1) == 0)
          {
            free (p->env[j]);
            p->env[j] = xstrdup (env[i]);
            replaced = true;
          }
      if (!replaced)
        strv_append (&p->env, env[i]);
    }
  return 0;
}

/* --cap: added to the process' capabilities. */
static void
add_exec_caps (struct oci_process *p, char **caps)
{
  size_t i;

  if (p->capabilities == NULL)
    p->capabilities = xmalloc0 (sizeof (*p->capabilities));
  for (i = 0; caps[i]; i++)
    {
      /* the sets crun 1.8.1 gives an --cap capability: not the
       * inheritable and ambient ones */
      strv_append (&p->capabilities->bounding, caps[i]);
      strv_append (&p->capabilities->effective, caps[i]);
      strv_append (&p->capabilities->permitted, caps[i]);
    }
}

/* What the process may not ask for, refused before anything is created:
 * LSM labels (from the options or the process), misspelt capabilities. */
static int
check_exec_process (const struct libcrun_exec_options *o, const struct oci_process *p,
                    libcrun_error_t *err)
{
  if (libcrun_refuse_lsm_labels (
          o->apparmor ? o->apparmor : p->apparmor_profile,
          o->apparmor ? "option `--apparmor`" : "`process.apparmorProfile`",
          o->process_label ? o->process_label : p->selinux_label,
          o->process_label ? "option `--process-label`" : "`process.selinuxLabel`", err)
      < 0)
    return -1;
  if (p->capabilities && libcrun_validate_capabilities (p->capabilities, err) < 0)
    return -1;
  return 0;
}

/* Build the process to run from the container's config and the options. */
static int
build_process (const struct libcrun_exec_options *o, const char *process_json,
               struct oci_config *config, libcrun_error_t *err)
{
  struct oci_process *p;

  if (take_process (o, process_json, config, err) < 0)
    return -1;
  p = config->process;
  /* the container's annotation holds for its exec'd processes too */
  p->keep_original_groups = oci_config_annotation (config, "run.oci.keep_original_groups") != NULL;
  if (o->tty >= 0)
    p->terminal = o->tty;
  if (o->cwd && set_exec_cwd (p, o->cwd, err) < 0)
    return -1;
  if (o->user && set_exec_user (p, o->user, err) < 0)
    return -1;
  if (merge_exec_env (p, o->env, err) < 0)
    return -1;
  if (o->caps && o->caps[0])
    add_exec_caps (p, o->caps);
  if (o->no_new_privs)
    p->no_new_privileges = true;
  return check_exec_process (o, p, err);
}

/* Everything one exec holds, from the container's state to the released
 * process. */
struct exec_run
{
  const struct libcrun_exec_options *o;
  struct libcrun_container_handle *h;
  struct fd_holes holes;
  int dirfd; /* the state directory, locked */
  struct libcrun_state st;
  char *config_json, *config_origin, *process_json; /* the texts it is built from */
  struct oci_config *config;                        /* its process is the one to run */
  struct libcrun_seccomp_program prog;
  int init_pidfd, root_fd, console;
  int sv[2]; /* the runtime's end, the helper's and the process' end */
  struct libcrun_cgroup *cg;
  int cgroup_fd;
  int *cgroup_tasks;
  struct exec_ctx c; /* what the helper and the process get */
  struct libcrun_process helper;
  pid_t pid;
  int proc_pidfd;
};

/* The container must be running; the process to run, from its config
 * and the options, and the seccomp filter compiled. */
static int
exec_load (struct exec_run *r, libcrun_error_t *err)
{
  const struct libcrun_exec_options *o = r->o;
  bool alive;

  libcrun_state_status (r->dirfd, &r->st, &alive);
  if (!alive)
    return libcrun_make_error (err, 0, "container `%s` is not running", o->id);
  if (libcrun_state_read_config (r->dirfd, o->id, &r->config_json, &r->config_origin, err) < 0
      || libcrun_config_load_string (r->config_json, r->config_origin, &r->config, err) < 0
      || (o->process_file && libcrun_json_file_read (o->process_file, &r->process_json, err) < 0)
      || build_process (o, r->process_json, r->config, err) < 0)
    return -1;
  if (r->config->linux_cfg && r->config->linux_cfg->seccomp
      && libcrun_seccomp_compile (r->config->linux_cfg->seccomp, &r->prog, err) < 0)
    return -1;
  return 0;
}

/* What the helper needs from the runtime: the init (still the one the
 * state names), its root, the console socket, the socket pair, the
 * cgroup. */
static int
exec_open (struct exec_run *r, libcrun_error_t *err)
{
  const struct libcrun_exec_options *o = r->o;
  char path[64];

  r->init_pidfd = sys_pidfd_open (r->st.pid, 0);
  if (r->init_pidfd < 0 || libcrun_process_start_time (r->st.pid) != r->st.start_time)
    return libcrun_make_error (err, r->init_pidfd < 0 ? errno : ESRCH,
                               "container `%s` is not running", o->id);
  snprintf (path, sizeof (path), "/proc/%d/root", r->st.pid);
  r->root_fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->root_fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", path);
  if (o->console_socket && r->config->process->terminal)
    {
      r->console = libcrun_unix_connect (o->console_socket, err);
      if (r->console < 0)
        return -1;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sv) < 0)
    return libcrun_make_error (err, errno, "socketpair");
  return open_exec_cgroup (o, &r->st, &r->cg, &r->cgroup_fd, &r->cgroup_tasks, err);
}

/* What the process gets when it executes the runtime's helper: the
 * texts and options it is built from, and the fds it keeps. */
static int
exec_prepare_helper (struct exec_run *r, libcrun_error_t *err)
{
  const struct libcrun_exec_options *o = r->o;
  struct exec_ctx *c = &r->c;
  struct libcrun_exec_wire w = {
    .config_json = r->config_json,
    .config_origin = r->config_origin,
    .process_json = r->process_json,
    .process_origin = (char *)o->process_file,
    .args = o->args,
    .env = o->env,
    .caps = o->caps,
    .tty = o->tty,
    .cwd = (char *)o->cwd,
    .user = (char *)o->user,
    .apparmor = (char *)o->apparmor,
    .process_label = (char *)o->process_label,
    .no_new_privs = o->no_new_privs,
    .preserve_fds = o->preserve_fds,
    .holes = r->holes,
    .sock = c->sock,
    .console = c->console,
    .init_pidfd = c->init_pidfd,
    .root_fd = c->root_fd,
    .ns_flags = c->ns_flags & ~c->helper_ns_flags,
    .has_seccomp = c->seccomp != NULL,
  };
  int fd;

  if (c->seccomp)
    w.seccomp = *c->seccomp;
  if (libcrun_exec_wire_write (&w, &fd, err) < 0)
    return -1;
  c->x.become_root = (c->helper_ns_flags & CLONE_NEWUSER) != 0;
  c->x.join_tasks = r->cgroup_tasks;
  /* The v1 `tasks` files are written before the execve and stay behind. */
  return libcrun_helper_exec_prepare (&c->x, "exec", fd, c->sock,
                                      (int[]){ c->init_pidfd, c->root_fd, c->console }, 3,
                                      o->preserve_fds, err);
}

/* The helper (exec_helper_main), which creates the process. */
static int
exec_spawn (struct exec_run *r, libcrun_error_t *err)
{
  struct exec_ctx *c = &r->c;
  struct libcrun_spawn_options so;

  memset (c, 0, sizeof (*c));
  c->x = (struct libcrun_helper_exec)LIBCRUN_HELPER_EXEC_INIT;
  c->cgroup_fd = r->cgroup_fd;
  c->holes = &r->holes;
  c->o = r->o;
  c->proc = r->config->process;
  c->linux_cfg = r->config->linux_cfg;
  c->seccomp = r->prog.bpf ? &r->prog : NULL;
  c->init_pidfd = r->init_pidfd;
  c->root_fd = r->root_fd;
  c->ns_flags = differing_namespaces (r->st.pid);
  c->helper_ns_flags = c->ns_flags & (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWTIME);
  c->sock = r->sv[1];
  c->console = r->console;
  c->runtime_fds[0] = r->dirfd;
  c->runtime_fds[1] = r->sv[0];
  if (c->proc->has_oom_score_adj)
    snprintf (c->oom_score_adj, sizeof (c->oom_score_adj), "%d", c->proc->oom_score_adj);
  if (exec_prepare_helper (r, err) < 0)
    return -1;

  memset (&so, 0, sizeof (so));
  so.callback = exec_helper_main;
  so.callback_arg = c;
  so.stdout_fd = -1;
  so.stderr_fd = -1;
  so.autoreap = false; /* the helper clones with CLONE_PARENT: never autoreap */
  /* The process gets our stdio, stdin included (conmon's pipe for
   * `podman exec -i`). */
  so.stdin_inherit = true;
  if (libcrun_spawn (&so, &r->helper, err) < 0)
    return -1;
  close (r->sv[1]);
  r->sv[1] = -1;
  return 0;
}

/* EXEC_PIDFD: the process exists.  Into the container's cgroup (or a
 * sub-cgroup with --cgroup) before it does anything, then EXEC_GO. */
static int
exec_place_process (struct exec_run *r, const char *msg, libcrun_error_t *err)
{
  bool born = msg[1 + sizeof (int)] != 0;
  char go = EXEC_GO;

  memcpy (&r->pid, msg + 1, sizeof (int));
  r->proc_pidfd = libcrun_recv_fd (r->sv[0], err);
  if (r->proc_pidfd < 0)
    return -1;
  libcrun_test_crash_point ("exec:spawned");
  if (r->cg && libcrun_cgroup_enter_rest (r->cg, r->pid, r->cgroup_tasks != NULL, born, err) < 0)
    return -1;
  if (send (r->sv[0], &go, 1, MSG_NOSIGNAL) != 1)
    return libcrun_make_error (err, errno, "release the exec'd process");
  return 0;
}

/* The messages of the helper and the process, until EXEC_DONE. */
static int
exec_wait_started (struct exec_run *r, libcrun_error_t *err)
{
  for (;;)
    {
      char buf[EXEC_MSG_MAX];
      ssize_t n = recv (r->sv[0], buf, sizeof (buf) - 1, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return libcrun_make_error (err, n < 0 ? errno : 0,
                                   "the exec'd process exited during set-up");
      buf[n] = '\0';
      if (buf[0] == EXEC_ERROR)
        return libcrun_make_error (err, 0, "%s", buf + 1);
      if (buf[0] == EXEC_PIDFD && n == 2 + (ssize_t)sizeof (int))
        {
          if (exec_place_process (r, buf, err) < 0)
            return -1;
        }
      else if (buf[0] == EXEC_PTY)
        {
          r->h->terminal_master = libcrun_recv_fd (r->sv[0], err);
          if (r->h->terminal_master < 0)
            return -1;
        }
      else if (buf[0] == EXEC_DONE)
        return 0;
    }
}

/* The started process to the caller (and the pid file). */
static int
exec_commit (struct exec_run *r, libcrun_error_t *err)
{
  libcrun_test_crash_point ("exec:started");
  if (r->o->pid_file && libcrun_write_pid_file (r->o->pid_file, r->pid, err) < 0)
    return -1;
  r->h->pid = r->pid;
  r->h->pidfd = steal_fd (&r->proc_pidfd);
  return 0;
}

/* An exec that failed leaves no process; the helper is collected, and
 * what the exec held is released. */
static void
exec_release (struct exec_run *r, bool ok)
{
  struct libcrun_wait_result wr;

  if (!ok && r->proc_pidfd >= 0)
    {
      siginfo_t si;
      sys_pidfd_send_signal (r->proc_pidfd, SIGKILL, NULL, 0);
      waitid (P_PIDFD, (id_t)r->proc_pidfd, &si, WEXITED | __WALL);
    }
  if (!ok && r->h->terminal_master >= 0)
    {
      close (r->h->terminal_master);
      r->h->terminal_master = -1;
    }
  if (r->helper.pid > 0)
    {
      libcrun_error_t e2 = NULL;
      libcrun_process_wait (&r->helper, -1, &wr, &e2);
      libcrun_error_release (&e2);
      libcrun_process_release (&r->helper);
    }
  cleanup_closep (&r->sv[0]);
  cleanup_closep (&r->sv[1]);
  libcrun_seccomp_program_free (&r->prog);
  libcrun_config_free (r->config);
  free (r->config_json);
  free (r->config_origin);
  free (r->process_json);
  libcrun_helper_exec_release (&r->c.x);
  libcrun_cgroup_free (r->cg);
  close_fd_array (r->cgroup_tasks);
  fd_holes_release (&r->holes);
  libcrun_state_unlock (r->dirfd);
  libcrun_state_free (&r->st);
  cleanup_closep (&r->cgroup_fd);
  cleanup_closep (&r->proc_pidfd);
  cleanup_closep (&r->console);
  cleanup_closep (&r->root_fd);
  cleanup_closep (&r->init_pidfd);
  cleanup_closep (&r->dirfd);
}

int
libcrun_container_exec (const struct libcrun_exec_options *o, struct libcrun_container_handle *h,
                        libcrun_error_t *err)
{
  struct exec_run r = {
    .o = o,
    .h = h,
    .dirfd = -1,
    .init_pidfd = -1,
    .root_fd = -1,
    .console = -1,
    .sv = { -1, -1 },
    .cgroup_fd = -1,
    .helper = { .pid = 0, .pidfd = -1, .stdin_fd = -1 },
    .proc_pidfd = -1,
  };
  bool ok;

  h->pid = 0;
  h->pidfd = -1;
  h->terminal_master = -1;

  /* Before the library opens anything: none of its fds (the state lock
   * first) may land among the preserved ones (see fd_holes_fill). */
  if (fd_holes_fill (&r.holes, 3, o->preserve_fds, err) < 0)
    return -1;
  r.dirfd = libcrun_state_open (o->state_root, o->id, err);
  if (r.dirfd < 0 || libcrun_state_read (r.dirfd, o->id, &r.st, err) < 0)
    {
      fd_holes_release (&r.holes);
      cleanup_closep (&r.dirfd);
      return -1;
    }
  ok = exec_load (&r, err) == 0 && exec_open (&r, err) == 0 && exec_spawn (&r, err) == 0
       && exec_wait_started (&r, err) == 0 && exec_commit (&r, err) == 0;
  exec_release (&r, ok);
  if (!ok)
    return libcrun_error_wrap (err, "exec in container `%s`", o->id);
  return 0;
}
