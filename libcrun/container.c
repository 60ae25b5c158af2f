#include "container.h"
#include "json.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "config.h"
#include "hooks.h"
#include "linux.h"
#include "log.h"
#include "seccomp.h"
#include "seccomp_notify.h"
#include "annotations.h"
#include "security.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXEC_FIFO "exec.fifo"
#define START_FIFO "start.fifo"

static char *
rfc3339_now (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

static int
resolve_bundle (const char *bundle, char **out, libcrun_error_t *err)
{
  char buf[PATH_MAX];
  if (realpath (bundle ? bundle : ".", buf) == NULL)
    return libcrun_make_error (err, errno, "bundle `%s`", bundle ? bundle : ".");
  *out = xstrdup (buf);
  return 0;
}

/* The namespace a sysctl key belongs to, or 0 when it is not namespaced
 * (then the container may not set it: it would change the host). */
static int
sysctl_namespace (const char *key)
{
  static const char *const ipc_keys[]
      = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem", "kernel.shmall",
          "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  size_t i;
  for (i = 0; ipc_keys[i]; i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      return CLONE_NEWIPC;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return CLONE_NEWIPC;
  if (strncmp (key, "net.", 4) == 0)
    return CLONE_NEWNET;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return CLONE_NEWUTS;
  /* The ucount limits (user.max_*_namespaces...) are per user namespace. */
  if (strncmp (key, "user.", 5) == 0)
    return CLONE_NEWUSER;
  return 0;
}

/* A setting that would change the host instead of the container is an
 * error: hostname without a UTS namespace, sysctls outside theirs. */
static int
validate_namespaced_settings (const struct oci_config *config, const char *config_path,
                              libcrun_error_t *err)
{
  const struct oci_linux *l = config->linux_cfg;
  size_t i;

  if ((config->hostname || config->domainname)
      && (oci_config_namespace (config, CLONE_NEWUTS) == NULL))
    return libcrun_make_error (err, 0,
                               "`%s`: `%s` is set but the container has no UTS namespace (it "
                               "would change the host's)",
                               config_path, config->hostname ? "hostname" : "domainname");
  for (i = 0; l && i < l->n_sysctl; i++)
    {
      int ns = sysctl_namespace (l->sysctl[i].key);
      bool host_key = strcmp (l->sysctl[i].key, "kernel.hostname") == 0;
      bool domain_key = strcmp (l->sysctl[i].key, "kernel.domainname") == 0;
      /* Two fields for one setting, as crun 1.8.1 judges them: a hostname
       * with the kernel.hostname sysctl always, a domainname with
       * kernel.domainname when the values differ. */
      if ((host_key && config->hostname)
          || (domain_key && config->domainname
              && strcmp (config->domainname, l->sysctl[i].value) != 0))
        return libcrun_make_error (err, 0, "`%s`: the sysctl `%s` conflicts with the field `%s`",
                                   config_path, l->sysctl[i].key,
                                   host_key ? "hostname" : "domainname");
      if (ns == 0)
        return libcrun_make_error (err, 0,
                                   "`%s`: `linux.sysctl`: `%s` is not namespaced: setting it would "
                                   "change the host",
                                   config_path, l->sysctl[i].key);
      if (oci_config_namespace (config, ns) == NULL)
        return libcrun_make_error (err, 0,
                                   "`%s`: `linux.sysctl`: `%s` needs a %s namespace, which the "
                                   "container does not have",
                                   config_path, l->sysctl[i].key, oci_namespace_type_name (ns));
    }
  return 0;
}

/* Checks that need the host and the parsed config, before anything is
 * created, so that their failures leave nothing behind. */
static int
validate_for_create (const struct oci_config *config, const char *config_path, const char *bundle,
                     char **rootfs_out, libcrun_error_t *err)
{
  cleanup_free char *rootfs = NULL;
  char buf[PATH_MAX];
  struct stat st;

  if (config->process == NULL)
    return libcrun_make_error (err, 0, "`%s`: `process` is required to create a container",
                               config_path);
  if (config->root_path == NULL)
    return libcrun_make_error (err, 0, "`%s`: `root.path` is required", config_path);
  if (validate_namespaced_settings (config, config_path, err) < 0)
    return -1;
  if (config->root_path[0] == '/')
    rootfs = xstrdup (config->root_path);
  else
    rootfs = xasprintf ("%s/%s", bundle, config->root_path);
  if (realpath (rootfs, buf) == NULL || stat (buf, &st) < 0)
    return libcrun_make_error (err, errno, "rootfs `%s` (root.path)", rootfs);
  if (!S_ISDIR (st.st_mode))
    return libcrun_make_error (err, ENOTDIR, "rootfs `%s` (root.path)", rootfs);
  if (config->process->capabilities
      && libcrun_validate_capabilities (config->process->capabilities, err) < 0)
    return libcrun_error_wrap (err, "`%s`", config_path);
  if (libcrun_refuse_lsm_labels (config->process->apparmor_profile, "`process.apparmorProfile`",
                                 config->process->selinux_label, "`process.selinuxLabel`", err)
      < 0)
    return libcrun_error_wrap (err, "`%s`", config_path);
  *rootfs_out = xstrdup (buf);
  return 0;
}

int
libcrun_write_pid_file (const char *path, pid_t pid, libcrun_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", pid);
  cleanup_free char *tmp = xasprintf ("%s.tmp-%d", path, (int)getpid ());
  if (write_file (tmp, buf, (size_t)n, 0644, err) < 0)
    return libcrun_error_wrap (err, "write the pid file");
  if (rename (tmp, path) < 0)
    {
      unlink (tmp);
      return libcrun_make_error (err, errno, "write the pid file `%s`", path);
    }
  return 0;
}

static void
fill_state_annotations (struct libcrun_state *st, const struct oci_config *config)
{
  size_t i;
  st->n_annotations = config->n_annotations;
  st->annotations = xmalloc0 ((config->n_annotations + 1) * sizeof (struct oci_kv));
  for (i = 0; i < config->n_annotations; i++)
    {
      st->annotations[i].key = xstrdup (config->annotations[i].key);
      st->annotations[i].value = xstrdup (config->annotations[i].value);
    }
}

struct before_pivot_ctx
{
  const struct libcrun_create_options *o;
  const struct oci_config *config;
  const char *bundle;
  const struct libcrun_hook_options *hooks;
};

/* prestart (deprecated, still used) and createRuntime hooks, in the
 * runtime's namespaces, while the init waits before pivot_root.  Their state
 * says "created", as crun 1.8.1's does (runc says "creating"): hooks
 * written for crun test for it. */
static int
run_runtime_create_hooks (void *arg, pid_t pid, libcrun_error_t *err)
{
  struct before_pivot_ctx *c = arg;
  cleanup_free char *json = libcrun_hook_state_json (
      c->o->id, "created", pid, c->bundle, c->config->annotations, c->config->n_annotations);
  static const enum oci_hook_stage stages[] = { OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME };
  size_t i;

  for (i = 0; i < 2; i++)
    if (libcrun_run_hooks (c->config->hooks[stages[i]], c->config->n_hooks[stages[i]], stages[i],
                           json, c->hooks, err)
        < 0)
      return -1;
  libcrun_test_crash_point ("create:hooks");
  return 0;
}

/* Rootless and refused by the cgroup filesystem: then the container goes
 * on without a cgroup (a debug line says so), and the error is dropped. */
static bool
rootless_cgroup_refused (libcrun_error_t *err)
{
  int e = (*err)->status;
  if (!libcrun_is_rootless () || (e != EACCES && e != EPERM && e != EROFS))
    return false;
  libcrun_debug ("rootless: no cgroup for the container: %s", (*err)->msg);
  libcrun_error_release (err);
  return true;
}

/* How `start` reaches the init: two fifos in the state directory (exec.fifo
 * releases it, start.fifo carries its startContainer report back), or, for
 * `run` (start_in_handle), two pipes whose runtime ends go to the handle.
 * The report pipe does not block its reader (see wait_start_report). */
static int
make_start_channel (const struct libcrun_create_options *o, const char *state_dir, char **fifo_path,
                    char **start_fifo_path, int start_pipe[2], int report_pipe[2],
                    libcrun_error_t *err)
{
  if (o->start_in_handle)
    {
      if (pipe2 (start_pipe, O_CLOEXEC) < 0 || pipe2 (report_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return libcrun_make_error (err, errno, "pipe");
      return 0;
    }
  *fifo_path = xasprintf ("%s/%s", state_dir, EXEC_FIFO);
  if (mkfifo (*fifo_path, 0600) < 0)
    return libcrun_make_error (err, errno, "mkfifo `%s`", *fifo_path);
  *start_fifo_path = xasprintf ("%s/%s", state_dir, START_FIFO);
  if (mkfifo (*start_fifo_path, 0600) < 0)
    return libcrun_make_error (err, errno, "mkfifo `%s`", *start_fifo_path);
  return 0;
}

/* Everything one create holds, from the config to the spawned init. */
struct create_run
{
  const struct libcrun_create_options *o;
  char *bundle, *config_path, *rootfs, *state_dir, *fifo_path, *start_fifo_path, *config_json;
  size_t config_len;
  int dirfd;
  struct oci_config *config; /* errors from here on name the container */
  const char *cgroups_path;  /* linux.cgroupsPath */
  struct libcrun_seccomp_program prog;
  struct libcrun_hook_options hooks;
  enum libcrun_autoreap_mode autoreap;
  struct libcrun_state st;
  bool state_created;
  struct libcrun_cgroup *cgroup;
  char *systemd_slice, *systemd_unit;
  struct fd_holes holes;
  int start_pipe[2], report_pipe[2];
  struct before_pivot_ctx bp;
  struct libcrun_init_handle init;
};

/* Read and check everything that can be refused before anything exists:
 * the config, the terminal rule, annotations, hook files, seccomp. */
static int
create_load (struct create_run *c, libcrun_error_t *err)
{
  const struct libcrun_create_options *o = c->o;

  if (libcrun_validate_id (o->id, err) < 0 || resolve_bundle (o->bundle, &c->bundle, err) < 0)
    return -1;
  if (o->config_file)
    c->config_path = o->config_file[0] == '/' ? xstrdup (o->config_file)
                                              : xasprintf ("%s/%s", c->bundle, o->config_file);
  else
    c->config_path = xasprintf ("%s/config.json", c->bundle);
  if (read_all_file (c->config_path, &c->config_json, &c->config_len, err) < 0
      || libcrun_config_load_string (c->config_json, c->config_path, &c->config, err) < 0)
    return -1;
  if (validate_for_create (c->config, c->config_path, c->bundle, &c->rootfs, err) < 0)
    return -1;
  c->cgroups_path = c->config->linux_cfg ? c->config->linux_cfg->cgroups_path : NULL;
  /* crun's rule: a detached container's terminal has nobody to go to but
   * a console socket. */
  if (o->detach && c->config->process && c->config->process->terminal && o->console_socket == NULL)
    return libcrun_make_error (err, 0,
                               "`%s`: `process.terminal` is true: use --console-socket with "
                               "create or run --detach",
                               c->config_path);
  /* From here on the library keeps fds open: none may land among the
   * preserved ones (see fd_holes_fill). */
  if (fd_holes_fill (&c->holes, 3, o->preserve_fds + o->listen_fds, err) < 0
      || libcrun_check_annotations (c->config, err) < 0
      || libcrun_autoreap_mode_from_annotations (c->config->annotations, c->config->n_annotations,
                                                 &c->autoreap, err)
             < 0
      || libcrun_hook_options_open (c->config->annotations, c->config->n_annotations, c->autoreap,
                                    &c->hooks, err)
             < 0)
    return -1;
  if (c->config->linux_cfg && c->config->linux_cfg->seccomp
      && libcrun_seccomp_compile (c->config->linux_cfg->seccomp, &c->prog, err) < 0)
    return libcrun_error_wrap (err, "`%s`", c->config_path);
  if (c->prog.notify && libcrun_seccomp_listener_path (c->config) == NULL)
    return libcrun_make_error (err, EINVAL,
                               "`%s`: linux.seccomp has SCMP_ACT_NOTIFY rules but no listenerPath "
                               "(nor a run.oci.seccomp.receiver annotation): nothing would "
                               "answer them",
                               c->config_path);
  if (o->systemd_cgroup
      && libcrun_systemd_unit_names (c->cgroups_path, o->id, &c->systemd_slice, &c->systemd_unit,
                                     err)
             < 0)
    return -1;
  return 0;
}

/* The state directory with its first status, the config copy and the
 * start channel.  The order of this and the next steps is chosen so that
 * a runtime killed at any instant leaves a state `delete -f` understands
 * (README, Crashes): the status file exists before anything that outlives
 * us (a cgroup, a process, a scope), names each of them before it is made,
 * and names the init only once it is ready; until that record is on disk
 * the init dies with us (libcrun_linux_commit_init).  A directory without
 * a status file is a create that died before its first write. */
static int
create_record (struct create_run *c, libcrun_error_t *err)
{
  const struct libcrun_create_options *o = c->o;
  struct libcrun_state *st = &c->st;

  c->dirfd = libcrun_state_create_dir (o->state_root, o->id, err);
  if (c->dirfd < 0)
    return -1;
  c->state_created = true;
  libcrun_test_crash_point ("create:dir");
  st->id = (char *)o->id;
  st->bundle = c->bundle;
  st->rootfs = c->rootfs;
  st->created = rfc3339_now ();
  st->owner = xstrdup ("root");
  st->detached = o->detach;
  st->autoreap = (int)c->autoreap;
  st->systemd_unit = xstrdup (c->systemd_unit);
  st->external_descriptors = libcrun_external_descriptors ();
  fill_state_annotations (st, c->config);
  if (!o->cgroups_disabled && !o->systemd_cgroup
      && libcrun_cgroup_planned_path (c->cgroups_path, o->id, &st->cgroup_planned, err) < 0)
    return -1;
  if (libcrun_state_write (c->dirfd, st, err) < 0)
    return -1;
  libcrun_test_crash_point ("create:status");
  c->state_dir = xasprintf ("%s/%s", o->state_root, o->id);
  if (write_file_atomic_at (c->dirfd, "config.json", c->config_json, c->config_len, err) < 0
      || make_start_channel (o, c->state_dir, &c->fifo_path, &c->start_fifo_path, c->start_pipe,
                             c->report_pipe, err)
             < 0)
    return -1;
  libcrun_test_crash_point ("create:config");
  return 0;
}

/* The container's cgroup (cgroupfs), recorded before the init exists. */
static int
create_cgroup (struct create_run *c, libcrun_error_t *err)
{
  const struct libcrun_create_options *o = c->o;

  if (o->cgroups_disabled || o->systemd_cgroup)
    return 0;
  if (libcrun_cgroup_create (c->cgroups_path, o->id, &c->cgroup, err) < 0)
    {
      if (!rootless_cgroup_refused (err))
        return -1;
      /* As crun and runc: a rootless container goes without the cgroups
       * its user may not create (cgroup v1, no delegation). */
      free (c->st.cgroup_planned);
      c->st.cgroup_planned = NULL;
    }
  libcrun_test_crash_point ("create:cgroup");
  if (c->cgroup)
    c->st.cgroup_path = xstrdup (c->cgroup->path);
  return libcrun_state_write (c->dirfd, &c->st, err);
}

/* The init, through its set-up up to "ready" (linux.c). */
static int
create_spawn (struct create_run *c, libcrun_error_t *err)
{
  const struct libcrun_create_options *o = c->o;
  struct libcrun_init_options io;
  int ret;

  c->bp.o = o;
  c->bp.config = c->config;
  c->bp.bundle = c->bundle;
  c->bp.hooks = &c->hooks;
  memset (&io, 0, sizeof (io));
  io.id = o->id;
  io.start_fifo = c->start_fifo_path;
  io.hooks = &c->hooks;
  io.cgroup = c->cgroup;
  io.systemd_slice = c->systemd_slice;
  io.systemd_unit = c->systemd_unit;
  io.systemd_cgroup = &c->cgroup;
  io.before_pivot = run_runtime_create_hooks;
  io.before_pivot_arg = &c->bp;
  io.config = c->config;
  io.config_json = c->config_json;
  io.config_origin = c->config_path;
  io.rootfs = c->rootfs;
  io.bundle = c->bundle;
  io.exec_fifo = c->fifo_path;
  io.exec_pipe = c->start_pipe[0];
  io.start_pipe = c->report_pipe[1];
  io.console_socket = o->console_socket;
  io.state_lock_fd = c->dirfd;
  io.no_pivot = o->no_pivot;
  io.no_new_keyring = o->no_new_keyring;
  io.preserve_fds = o->preserve_fds + o->listen_fds;
  io.listen_fds = o->listen_fds;
  io.preserve_holes = &c->holes;
  io.seccomp = c->prog.bpf ? &c->prog : NULL;
  ret = libcrun_linux_spawn_init (&io, &c->init, err);
  /* The init's ends of the pipes are the init's alone. */
  cleanup_closep (&c->start_pipe[0]);
  cleanup_closep (&c->report_pipe[1]);
  if (ret == 0)
    libcrun_test_crash_point ("create:ready");
  return ret;
}

/* Record the ready init, let it go on, and tell who asked (pid file,
 * pidfd receiver). */
static int
create_commit (struct create_run *c, libcrun_error_t *err)
{
  const struct libcrun_create_options *o = c->o;

  c->st.pid = c->init.pid;
  c->st.start_time = libcrun_process_start_time (c->init.pid);
  free (c->st.cgroup_path);
  c->st.cgroup_path = c->cgroup ? xstrdup (c->cgroup->path) : NULL; /* systemd's is known now */
  if (libcrun_state_write (c->dirfd, &c->st, err) < 0)
    return -1;
  libcrun_test_crash_point ("create:recorded");
  if (libcrun_linux_commit_init (&c->init, err) < 0)
    return -1;
  libcrun_test_crash_point ("create:committed");
  if (o->pid_file && libcrun_write_pid_file (o->pid_file, c->init.pid, err) < 0)
    return -1;
  return libcrun_send_pidfd_receiver (c->config, c->init.pid, c->init.pidfd, err);
}

static void
warn_cleanup (int ret, libcrun_error_t *e)
{
  if (ret < 0)
    {
      libcrun_warning ("cleanup: %s", (*e)->msg);
      libcrun_error_release (e);
    }
}

/* A create that failed leaves nothing: no init, scope, cgroup or state. */
static void
create_undo (struct create_run *c)
{
  libcrun_error_t e = NULL;

  libcrun_linux_kill_init (&c->init);
  if (c->systemd_unit && c->cgroup)
    warn_cleanup (libcrun_systemd_stop (c->systemd_unit, &e), &e);
  if (c->cgroup)
    warn_cleanup (libcrun_cgroup_destroy (c->cgroup, true, &e), &e);
  if (c->state_created)
    warn_cleanup (libcrun_state_remove (c->o->state_root, c->o->id, &e), &e);
}

/* Hand the init to h (a foreground run), or close what refers to it. */
static void
create_release (struct create_run *c, bool ok, struct libcrun_container_handle *h)
{
  c->st.id = NULL;
  c->st.bundle = NULL;
  c->st.rootfs = NULL;
  libcrun_state_free (&c->st);
  if (c->init.sync >= 0)
    close (c->init.sync);
  if (ok && h)
    {
      h->pid = c->init.pid;
      h->pidfd = c->init.pidfd;
      h->terminal_master = c->init.terminal_master;
      h->start_fd = steal_fd (&c->start_pipe[1]);
      h->report_fd = steal_fd (&c->report_pipe[0]);
    }
  else
    {
      if (c->init.pidfd >= 0)
        close (c->init.pidfd);
      if (c->init.terminal_master >= 0)
        close (c->init.terminal_master);
    }
  cleanup_closep (&c->start_pipe[1]);
  cleanup_closep (&c->report_pipe[0]);
  libcrun_cgroup_free (c->cgroup);
  libcrun_hook_options_close (&c->hooks);
  libcrun_seccomp_program_free (&c->prog);
  fd_holes_release (&c->holes);
  libcrun_state_unlock (c->dirfd);
  if (c->dirfd >= 0)
    close (c->dirfd);
  libcrun_config_free (c->config);
  free (c->bundle);
  free (c->config_path);
  free (c->rootfs);
  free (c->state_dir);
  free (c->fifo_path);
  free (c->start_fifo_path);
  free (c->config_json);
  free (c->systemd_slice);
  free (c->systemd_unit);
}

int
libcrun_container_create (const struct libcrun_create_options *o,
                          struct libcrun_container_handle *h, libcrun_error_t *err)
{
  struct create_run c = {
    .o = o,
    .dirfd = -1,
    .hooks = { .stdout_fd = -1, .stderr_fd = -1 },
    .start_pipe = { -1, -1 },
    .report_pipe = { -1, -1 },
    .init = { .pid = 0, .pidfd = -1, .terminal_master = -1, .sync = -1 },
  };
  bool ok = create_load (&c, err) == 0 && create_record (&c, err) == 0
            && create_cgroup (&c, err) == 0 && create_spawn (&c, err) == 0
            && create_commit (&c, err) == 0;
  /* the id, the bundle and the config's text are reported as they are */
  bool wrap = !ok && c.config != NULL;

  if (!ok)
    create_undo (&c);
  create_release (&c, ok, h);
  if (wrap)
    return libcrun_error_wrap (err, "create container `%s`", o->id);
  return ok ? 0 : -1;
}

int
libcrun_container_read_state (const char *root, const char *id, struct libcrun_state *st,
                              const char **status, libcrun_error_t *err)
{
  /* Without the lock: the status file is only ever replaced whole, so a
   * reader never sees half of it, and `state` and `list` must answer while
   * another command runs (a createRuntime hook that asks `crun state` for
   * its own container would otherwise wait for the create it is part of). */
  cleanup_close int dirfd = libcrun_state_open_unlocked (root, id, err);
  if (dirfd < 0)
    return -1;
  if (libcrun_state_read (dirfd, id, st, err) < 0)
    return -1;
  if (status && st->pid == 0)
    *status = libcrun_state_lock_busy (dirfd) ? "creating" : "stopped";
  else if (status)
    *status = libcrun_state_status (dirfd, st, NULL);
  return 0;
}

/* Run a stage's hooks (poststart, poststop) for an existing container with
 * its stored settings.  Failures are warnings (libcrun_run_hooks_warn). */
static void
run_state_hooks (const struct oci_config *config, const struct libcrun_state *st,
                 enum oci_hook_stage stage, const char *status)
{
  struct libcrun_hook_options ho;
  cleanup_free char *json = NULL;
  libcrun_error_t err = NULL;

  if (config->n_hooks[stage] == 0)
    return;
  if (libcrun_hook_options_open (config->annotations, config->n_annotations,
                                 (enum libcrun_autoreap_mode)st->autoreap, &ho, &err)
      < 0)
    {
      libcrun_warning ("%s hooks not run: %s", oci_hook_stage_name (stage), err->msg);
      libcrun_error_release (&err);
      return;
    }
  json = libcrun_hook_state_json (st->id, status, strcmp (status, "stopped") ? st->pid : 0,
                                  st->bundle, config->annotations, config->n_annotations);
  libcrun_run_hooks_warn (config->hooks[stage], config->n_hooks[stage], stage, json, &ho);
  libcrun_hook_options_close (&ho);
}

/* Wait until the process behind pidfd has exited (it is not our child:
 * only poll tells). */
static void
wait_pidfd_exit (int pidfd, int timeout_ms)
{
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  while (poll (&pfd, 1, timeout_ms) < 0 && errno == EINTR)
    ;
}

static int signal_init (const struct libcrun_state *st, int sig, int *pidfd_out,
                        libcrun_error_t *err);

static void
remove_cgroup (const char *id, const char *path, bool kill_procs)
{
  struct libcrun_cgroup *cg = NULL;
  libcrun_error_t e2 = NULL;
  if (libcrun_cgroup_load (path, &cg, &e2) < 0 || libcrun_cgroup_destroy (cg, kill_procs, &e2) < 0)
    {
      libcrun_warning ("remove the cgroup of container `%s`: %s", id, e2->msg);
      libcrun_error_release (&e2);
    }
  libcrun_cgroup_free (cg);
}

/* The end of a container: kill its init if still alive and wait for it,
 * run the poststop hooks (failures are warnings), remove the state. */
static int
destroy_container (const char *root, int dirfd, struct libcrun_state *st, bool alive,
                   libcrun_error_t *err)
{
  struct oci_config *config = NULL;
  libcrun_error_t e2 = NULL;

  if (alive)
    {
      int pidfd = -1;
      if (signal_init (st, SIGKILL, &pidfd, &e2) < 0)
        libcrun_error_release (&e2); /* it died in the meantime */
      if (pidfd >= 0)
        {
          wait_pidfd_exit (pidfd, 10000);
          close (pidfd);
        }
    }
  libcrun_test_crash_point ("delete:killed");
  if (st->systemd_unit && libcrun_systemd_stop (st->systemd_unit, &e2) < 0)
    {
      libcrun_warning ("stop the scope of container `%s`: %s", st->id, e2->msg);
      libcrun_error_release (&e2);
    }
  /* A create that died around its mkdir leaves at most an empty cgroup
   * (the init is cloned only once the path is recorded as ours): it is
   * removed, never emptied, since processes there are somebody else's.
   * A recorded cgroup goes with every process in it (exec'd ones too). */
  if (st->cgroup_path == NULL && st->cgroup_planned)
    remove_cgroup (st->id, st->cgroup_planned, false);
  if (st->cgroup_path)
    remove_cgroup (st->id, st->cgroup_path, true);
  libcrun_test_crash_point ("delete:cgroup");
  /* A container whose create died before its init was recorded (pid 0)
   * never existed for its hooks: as after a failed create, no poststop. */
  if (st->pid == 0)
    ;
  else if (libcrun_state_load_config (dirfd, st->id, &config, &e2) < 0)
    {
      libcrun_warning ("poststop hooks of container `%s` not run: %s", st->id, e2->msg);
      libcrun_error_release (&e2);
    }
  else
    {
      run_state_hooks (config, st, OCI_HOOK_POSTSTOP, "stopped");
      libcrun_config_free (config);
    }
  libcrun_test_crash_point ("delete:hooks");
  if (libcrun_state_remove (root, st->id, err) < 0)
    return libcrun_error_wrap (err, "delete container `%s`", st->id);
  return 0;
}

/* Read the init's report on the start fifo: "0" once its startContainer
 * hooks passed and it is about to exec, "1<message>" when they failed.
 * The init's pidfd tells if it dies without a word. */
static int
wait_start_report (int start_fifo, const struct libcrun_state *st, libcrun_error_t *err)
{
  cleanup_close int pidfd = sys_pidfd_open (st->pid, 0);
  char buf[8192];
  size_t used = 0;

  for (;;)
    {
      struct pollfd pfd[2]
          = { { .fd = start_fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      ssize_t r;
      if (poll (pfd, pidfd >= 0 ? 2 : 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return libcrun_make_error (err, errno, "poll the start fifo");
        }
      r = read (start_fifo, buf + used, sizeof (buf) - 1 - used);
      if (r > 0)
        {
          used += (size_t)r;
          if (buf[0] == '0')
            return 0;
          /* An error message: the init writes it in one go and exits. */
          buf[used] = '\0';
          if (used >= sizeof (buf) - 1 || (pfd[1].revents & POLLIN) || (pfd[0].revents & POLLHUP))
            return libcrun_make_error (err, 0, "%s", buf + 1);
          continue;
        }
      if (r < 0 && errno != EAGAIN && errno != EINTR)
        return libcrun_make_error (err, errno, "read the start fifo");
      if (used > 0)
        {
          buf[used] = '\0';
          return libcrun_make_error (err, 0, "%s", buf + 1);
        }
      if ((pfd[1].revents & POLLIN) || (pfd[0].revents & POLLHUP))
        return libcrun_make_error (err, 0,
                                   "the container's init exited before running its program");
    }
}

/* Open, lock and read a created container for `start`; *config loaded.
 * One of `run` (own: no exec.fifo) reads as running until it starts. */
static int
open_for_start (const char *root, const char *id, bool own, int *dirfd, struct libcrun_state *st,
                struct oci_config **config, libcrun_error_t *err)
{
  const char *status;

  *dirfd = libcrun_state_open (root, id, err);
  if (*dirfd < 0)
    return -1;
  if (libcrun_state_read (*dirfd, id, st, err) < 0)
    return -1;
  status = libcrun_state_status (*dirfd, st, NULL);
  if (strcmp (status, "created") != 0 && !(own && strcmp (status, "running") == 0))
    {
      libcrun_state_free (st);
      return libcrun_make_error (err, 0, "container `%s` is not in created state (it is %s)", id,
                                 status);
    }
  if (libcrun_state_load_config (*dirfd, id, config, err) < 0)
    {
      libcrun_state_free (st);
      return -1;
    }
  return 0;
}

/* Release the init (one byte on release_fd), wait for its startContainer
 * report on report_fd, then run the poststart hooks.  A failed report
 * takes the container down. */
static int
release_and_report (const char *root, int dirfd, struct libcrun_state *st,
                    const struct oci_config *config, int release_fd, int report_fd,
                    libcrun_error_t *err)
{
  char c = 0;

  if (write (release_fd, &c, 1) != 1)
    return libcrun_make_error (err, errno, "release the container's init");
  libcrun_test_crash_point ("start:released");
  unlinkat (dirfd, EXEC_FIFO, 0); /* (none for a container of `run`) */
  if (wait_start_report (report_fd, st, err) < 0)
    {
      /* A failed startContainer hook: the container goes. */
      libcrun_error_t e2 = NULL;
      if (destroy_container (root, dirfd, st, true, &e2) < 0)
        {
          libcrun_warning ("%s", e2->msg);
          libcrun_error_release (&e2);
        }
      return -1;
    }
  run_state_hooks (config, st, OCI_HOOK_POSTSTART, "running");
  unlinkat (dirfd, START_FIFO, 0);
  return 0;
}

int
libcrun_container_start (const char *root, const char *id, libcrun_error_t *err)
{
  cleanup_close int dirfd = -1, fifo = -1, start_fifo = -1;
  struct oci_config *config = NULL;
  struct libcrun_state st;
  int ret = -1;

  if (open_for_start (root, id, false, &dirfd, &st, &config, err) < 0)
    return -1;
  /* Open the report channel before releasing the init: a fifo's data is
   * dropped when its last holder closes it, and the init's copy closes at
   * execve. */
  start_fifo = openat (dirfd, START_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (start_fifo < 0)
    {
      libcrun_make_error (err, errno, "open the start fifo");
      goto out;
    }
  /* O_NONBLOCK: if the init died, nobody holds the read side and the open
   * fails with ENXIO instead of hanging. */
  fifo = openat (dirfd, EXEC_FIFO, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      libcrun_make_error (err, errno, "open the exec fifo");
      goto out;
    }
  ret = release_and_report (root, dirfd, &st, config, fifo, start_fifo, err);

out:
  libcrun_config_free (config);
  libcrun_state_free (&st);
  if (ret < 0)
    libcrun_error_wrap (err, "start container `%s`", id);
  return ret;
}

int
libcrun_container_start_handle (const char *root, const char *id,
                                struct libcrun_container_handle *h, libcrun_error_t *err)
{
  cleanup_close int dirfd = -1, release_fd = steal_fd (&h->start_fd);
  cleanup_close int report_fd = steal_fd (&h->report_fd);
  struct oci_config *config = NULL;
  struct libcrun_state st;
  int ret = -1;

  if (release_fd < 0 || report_fd < 0)
    return libcrun_container_start (root, id, err);
  if (open_for_start (root, id, true, &dirfd, &st, &config, err) == 0)
    {
      ret = release_and_report (root, dirfd, &st, config, release_fd, report_fd, err);
      libcrun_config_free (config);
      libcrun_state_free (&st);
    }
  if (ret < 0)
    libcrun_error_wrap (err, "start container `%s`", id);
  return ret;
}

int
libcrun_parse_signal (const char *s, int *sig, libcrun_error_t *err)
{
  static const struct
  {
    const char *name;
    int sig;
  } names[] = {
    { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
    { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
    { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
    { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
    { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
    { "SYS", SIGSYS },
  };
  const char *name = s;
  long v;
  size_t i;

  if (parse_long (s, &v) == 0)
    {
      if (v <= 0 || v >= NSIG)
        return libcrun_make_error (err, 0, "invalid signal `%s`", s);
      *sig = (int)v;
      return 0;
    }
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (i = 0; i < sizeof (names) / sizeof (names[0]); i++)
    if (strcasecmp (name, names[i].name) == 0)
      {
        *sig = names[i].sig;
        return 0;
      }
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      long off = 0;
      if (name[5] && (parse_long (name + 5, &off) < 0))
        return libcrun_make_error (err, 0, "unknown signal `%s`", s);
      v = (strncasecmp (name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX) + off;
      if (v < SIGRTMIN || v > SIGRTMAX)
        return libcrun_make_error (err, 0, "unknown signal `%s`", s);
      *sig = (int)v;
      return 0;
    }
  return libcrun_make_error (err, 0, "unknown signal `%s`", s);
}

/* Signal the init through a pidfd, so that a recycled pid is never hit:
 * the pidfd is opened only after checking the start time, and the check is
 * repeated on the pidfd's process. */
static int
signal_init (const struct libcrun_state *st, int sig, int *pidfd_out, libcrun_error_t *err)
{
  cleanup_close int pidfd = libcrun_state_init_pidfd (st, err);
  if (pidfd < 0 && *err)
    return -1;
  if (pidfd < 0)
    {
      /* no pidfds (< 5.3): the start time was checked right before */
      if (kill (st->pid, sig) < 0)
        return libcrun_make_error (err, errno, "kill container `%s`", st->id);
      return 0;
    }
  if (sys_pidfd_send_signal (pidfd, sig, NULL, 0) < 0)
    return libcrun_make_error (err, errno, "kill container `%s`", st->id);
  if (pidfd_out)
    *pidfd_out = steal_fd (&pidfd);
  return 0;
}

int
libcrun_container_kill (const char *root, const char *id, int sig, bool all, libcrun_error_t *err)
{
  cleanup_close int dirfd = libcrun_state_open (root, id, err);
  struct libcrun_state st;
  bool alive;
  int ret;

  if (dirfd < 0)
    return -1;
  if (libcrun_state_read (dirfd, id, &st, err) < 0)
    return -1;
  libcrun_state_status (dirfd, &st, &alive);
  if (!alive)
    ret = libcrun_make_error (err, ESRCH, "container `%s` is not running", id);
  else if (all && st.cgroup_path)
    {
      /* Every process of the container: its cgroup knows them all (exec'd
       * ones too).  Without a cgroup manager only the init is known. */
      struct libcrun_cgroup *cg = NULL;
      ret = libcrun_cgroup_load (st.cgroup_path, &cg, err);
      if (ret == 0)
        ret = libcrun_cgroup_kill_all (cg, sig, err);
      libcrun_cgroup_free (cg);
    }
  else
    ret = signal_init (&st, sig, NULL, err);
  libcrun_test_crash_point ("kill:signalled");
  libcrun_state_free (&st);
  return ret;
}

int
libcrun_container_delete (const char *root, const char *id, bool force, libcrun_error_t *err)
{
  cleanup_close int dirfd = libcrun_state_open (root, id, err);
  struct libcrun_state st;
  const char *status;
  bool alive;
  int ret;

  if (dirfd < 0)
    {
      /* Like crun and runc, `delete --force` of a container that does not
       * exist succeeds: podman runs it after a failed create. */
      if (force && libcrun_validate_id (id, NULL) == 0)
        {
          cleanup_free char *dir = xasprintf ("%s/%s", root, id);
          if (access (dir, F_OK) < 0 && errno == ENOENT)
            {
              libcrun_error_release (err);
              return 0;
            }
        }
      return -1;
    }
  if (libcrun_state_read (dirfd, id, &st, err) < 0)
    {
      /* A status file that cannot be read (corrupt, hostile) must not make
       * the container undeletable: with --force it goes with what is known
       * (its directory; a cgroup it named is not known any more). */
      if (!force)
        return -1;
      libcrun_warning ("%s: deleting its directory only", (*err)->msg);
      libcrun_error_release (err);
      if (libcrun_state_remove (root, id, err) < 0)
        return libcrun_error_wrap (err, "delete container `%s`", id);
      return 0;
    }
  status = libcrun_state_status (dirfd, &st, &alive);
  /* Like crun: a created container may go without --force, a running or
   * paused one needs it. */
  if (alive && !force && strcmp (status, "created") != 0)
    {
      libcrun_state_free (&st);
      return libcrun_make_error (err, 0, "cannot delete container `%s`: it is %s (use --force)", id,
                                 status);
    }
  ret = destroy_container (root, dirfd, &st, alive, err);
  libcrun_state_free (&st);
  return ret;
}

int
libcrun_container_state_json (const char *root, const char *id, char **json, libcrun_error_t *err)
{
  struct libcrun_state st;
  const char *status;
  int ret;
  if (libcrun_container_read_state (root, id, &st, &status, err) < 0)
    return -1;
  ret = libcrun_state_to_json (&st, status, true, json, err);
  libcrun_state_free (&st);
  return ret;
}

/* Open, lock and read a container's state, and load its cgroup handle;
 * the container must have one (a cgroup manager was in use). */
static int
open_with_cgroup (const char *root, const char *id, int *dirfd, struct libcrun_state *st,
                  struct libcrun_cgroup **cg, libcrun_error_t *err)
{
  *dirfd = libcrun_state_open (root, id, err);
  if (*dirfd < 0)
    return -1;
  if (libcrun_state_read (*dirfd, id, st, err) < 0)
    {
      close (*dirfd);
      return -1;
    }
  if (st->cgroup_path == NULL)
    {
      libcrun_state_free (st);
      close (*dirfd);
      return libcrun_make_error (err, 0,
                                 "container `%s` has no cgroup (created with "
                                 "--cgroup-manager=disabled)",
                                 id);
    }
  if (libcrun_cgroup_load (st->cgroup_path, cg, err) < 0)
    {
      libcrun_state_free (st);
      close (*dirfd);
      return -1;
    }
  return 0;
}

int
libcrun_container_pids (const char *root, const char *id, pid_t **pids, size_t *n,
                        libcrun_error_t *err)
{
  struct libcrun_state st;
  struct libcrun_cgroup *cg = NULL;
  int dirfd, ret;

  if (open_with_cgroup (root, id, &dirfd, &st, &cg, err) < 0)
    return -1;
  ret = libcrun_cgroup_pids (cg, pids, n, err);
  libcrun_cgroup_free (cg);
  libcrun_state_free (&st);
  close (dirfd);
  return ret;
}

int
libcrun_container_pause (const char *root, const char *id, bool freeze, libcrun_error_t *err)
{
  struct libcrun_state st;
  struct libcrun_cgroup *cg = NULL;
  const char *status;
  int dirfd, ret = -1;

  if (open_with_cgroup (root, id, &dirfd, &st, &cg, err) < 0)
    return -1;
  status = libcrun_state_status (dirfd, &st, NULL);
  if (freeze && strcmp (status, "running") != 0)
    libcrun_make_error (err, 0, "container `%s` is %s, not running", id, status);
  else if (!freeze && strcmp (status, "paused") != 0)
    libcrun_make_error (err, 0, "container `%s` is %s, not paused", id, status);
  else if (libcrun_cgroup_freeze (cg, freeze, err) == 0)
    {
      /* The marker is what `state` reads; it is written once the kernel
       * reports the cgroup frozen, removed once it is thawed. */
      if (freeze)
        ret = write_file_atomic_at (dirfd, "paused", "", 0, err);
      else
        {
          unlinkat (dirfd, "paused", 0);
          ret = 0;
        }
    }
  libcrun_cgroup_free (cg);
  libcrun_state_free (&st);
  close (dirfd);
  return ret;
}

int
libcrun_container_update (const char *root, const char *id, const char *resources_json,
                          libcrun_error_t *err)
{
  struct libcrun_state st;
  struct libcrun_cgroup *cg = NULL;
  char errbuf[256];
  yajl_val tree;
  int dirfd, ret;

  if (json_too_deep (resources_json, &(size_t){ 0 }))
    return libcrun_make_error (err, 0, "update: the resources are nested deeper than %d levels",
                               JSON_MAX_DEPTH);
  tree = yajl_tree_parse (resources_json, errbuf, sizeof (errbuf));
  if (tree == NULL || !YAJL_IS_OBJECT (tree))
    {
      if (tree)
        yajl_tree_free (tree);
      return libcrun_make_error (err, 0, "update: the resources are not a JSON object: %s",
                                 tree ? "" : errbuf);
    }
  if (open_with_cgroup (root, id, &dirfd, &st, &cg, err) < 0)
    {
      yajl_tree_free (tree);
      return -1;
    }
  /* systemd's unit first: it writes what it knows to the files, and ours
   * (the same values and what it cannot express) follow. */
  ret = st.systemd_unit ? libcrun_systemd_update (st.systemd_unit, tree, err) : 0;
  if (ret == 0)
    ret = libcrun_cgroup_apply_resources (cg, tree, err);
  yajl_tree_free (tree);
  libcrun_cgroup_free (cg);
  libcrun_state_free (&st);
  close (dirfd);
  if (ret < 0)
    libcrun_error_wrap (err, "update container `%s`", id);
  return ret;
}
