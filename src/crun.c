/* crun: entry point, global options, logging and command dispatch. */
#include "crun.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The default --root, compared by address to know whether one was given. */
static const char default_root[] = LIBCRUN_DEFAULT_STATE_ROOT;

struct crun_global_options crun_options = {
  .root = default_root,
  .log_level = LIBCRUN_LOG_WARNING,
  .cgroup_manager = "cgroupfs",
};

static FILE *log_file;

static const char *
level_name (enum libcrun_log_level level)
{
  switch (level)
    {
    case LIBCRUN_LOG_ERROR:
      return "error";
    case LIBCRUN_LOG_WARNING:
      return "warning";
    case LIBCRUN_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

static void
json_escape (FILE *out, const char *s)
{
  for (; *s; s++)
    {
      unsigned char c = (unsigned char)*s;
      if (c == '"' || c == '\\')
        fprintf (out, "\\%c", c);
      else if (c < 0x20)
        fprintf (out, "\\u%04x", c);
      else
        fputc (c, out);
    }
}

static void
log_handler (enum libcrun_log_level level, const char *msg, void *arg)
{
  FILE *out = log_file ? log_file : stderr;
  (void)arg;

  if (crun_options.log_json)
    {
      char ts[64];
      struct timespec now;
      struct tm tm;
      clock_gettime (CLOCK_REALTIME, &now);
      gmtime_r (&now.tv_sec, &tm);
      strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%S", &tm);
      fprintf (out, "{\"msg\":\"");
      json_escape (out, msg);
      fprintf (out, "\",\"level\":\"%s\",\"time\":\"%s.%06ldZ\"}\n", level_name (level), ts,
               now.tv_nsec / 1000);
    }
  else if (log_file)
    fprintf (out, "%s: %s\n", level_name (level), msg);
  else if (level == LIBCRUN_LOG_ERROR)
    fprintf (out, "crun: %s\n", msg);
  else
    fprintf (out, "crun: %s: %s\n", level_name (level), msg);
  fflush (out);
}

int
crun_fail (libcrun_error_t *err)
{
  libcrun_log (LIBCRUN_LOG_ERROR, "%s", (err && *err) ? (*err)->msg : "unknown error");
  libcrun_error_release (err);
  return 1;
}

int
crun_parse_count (const char *option, const char *value)
{
  long v;
  if (parse_long (value, &v) < 0 || v < 0 || v > 65535)
    {
      fprintf (stderr, "crun: option `%s`: invalid value `%s` (expected a number >= 0)\n", option,
               value);
      exit (1);
    }
  return (int)v;
}

int
crun_parse_id_argument (const char **id, int key, char *arg, struct argp_state *state)
{
  switch (key)
    {
    case ARGP_KEY_ARG:
      if (*id)
        argp_error (state, "too many arguments");
      *id = arg;
      return 0;
    case ARGP_KEY_NO_ARGS:
      argp_error (state, "missing the container id");
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

bool
crun_parse_format (const char *arg, struct argp_state *state)
{
  if (strcmp (arg, "json") == 0)
    return true;
  if (strcmp (arg, "table") != 0)
    argp_error (state, "option `--format`: unknown format `%s` (table or json)", arg);
  return false;
}

struct command
{
  const char *name;
  int (*fn) (int argc, char **argv);
  const char *help;
};

static const struct command commands[] = {
  { "create", crun_command_create, "create a container" },
  { "delete", crun_command_delete, "remove definition for a container" },
  { "exec", crun_command_exec, "exec a command in a running container" },
  { "features", crun_command_features, "show the enabled features" },
  { "kill", crun_command_kill, "send a signal to the container init process" },
  { "list", crun_command_list, "list known containers" },
  { "mounts", crun_command_mounts, "add or remove mounts of a running container" },
  { "pause", crun_command_pause, "pause all the processes in the container" },
  { "ps", crun_command_ps, "show the processes in the container" },
  { "resume", crun_command_resume, "unpause the processes in the container" },
  { "run", crun_command_run, "run a container" },
  { "spec", crun_command_spec, "generate a configuration file" },
  { "start", crun_command_start, "start a container" },
  { "state", crun_command_state, "output the state of a container" },
  { "update", crun_command_update, "update container resource constraints" },
  { NULL, NULL, NULL },
};

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_LOG_LEVEL,
  OPT_DEBUG,
  OPT_CGROUP_MANAGER,
  OPT_SYSTEMD_CGROUP,
  OPT_ROOTLESS,
};

static const struct argp_option global_options[] = {
  { "root", OPT_ROOT, "DIR", 0, "state directory (default /run/crun)", 0 },
  { "log", OPT_LOG, "FILE", 0, "log destination: file:PATH or PATH (default stderr)", 0 },
  { "log-format", OPT_LOG_FORMAT, "FORMAT", 0, "log format: text or json", 0 },
  { "log-level", OPT_LOG_LEVEL, "LEVEL", 0, "log level: error, warning, info or debug", 0 },
  { "debug", OPT_DEBUG, NULL, 0, "produce verbose output (log level debug)", 0 },
  { "cgroup-manager", OPT_CGROUP_MANAGER, "MANAGER", 0,
    "cgroup manager: cgroupfs, systemd or disabled", 0 },
  { "systemd-cgroup", OPT_SYSTEMD_CGROUP, NULL, 0, "use the systemd cgroup manager", 0 },
  { "rootless", OPT_ROOTLESS, "VALUE", 0,
    "true, false or auto: accepted as crun does; whether the runtime acts rootless is "
    "detected (not root, or root of a user namespace that does not map every id)",
    0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static const char doc[] = "crun - an OCI runtime (crun-compatible, with autoreap hooks)\v"
                          "COMMANDS:\n"
                          "\tcreate   - create a container\n"
                          "\tdelete   - remove definition for a container\n"
                          "\texec     - exec a command in a running container\n"
                          "\tfeatures - show the enabled features\n"
                          "\tkill     - send a signal to the container init process\n"
                          "\tlist     - list known containers\n"
                          "\tpause    - pause all the processes in the container\n"
                          "\tps       - show the processes in the container\n"
                          "\tresume   - unpause the processes in the container\n"
                          "\trun      - run a container\n"
                          "\tspec     - generate a configuration file\n"
                          "\tstart    - start a container\n"
                          "\tstate    - output the state of a container\n"
                          "\tupdate   - update container resource constraints\n";

static int command_index;

/* --log: file:PATH or PATH; the other destinations crun knows are refused. */
static void
parse_log (char *arg, struct argp_state *state)
{
  if (strncmp (arg, "file:", 5) == 0)
    arg += 5;
  else if (strncmp (arg, "journald:", 9) == 0 || strncmp (arg, "syslog:", 7) == 0)
    argp_error (state, "option `--log`: `%s` is not supported (use file:PATH)", arg);
  crun_options.log = arg;
}

static void
parse_log_format (const char *arg, struct argp_state *state)
{
  if (strcmp (arg, "json") == 0)
    crun_options.log_json = true;
  else if (strcmp (arg, "text") == 0)
    crun_options.log_json = false;
  else
    argp_error (state, "option `--log-format`: unknown format `%s` (text or json)", arg);
}

static void
parse_log_level (const char *arg, struct argp_state *state)
{
  if (strcmp (arg, "error") == 0)
    crun_options.log_level = LIBCRUN_LOG_ERROR;
  else if (strcmp (arg, "warning") == 0 || strcmp (arg, "warn") == 0)
    crun_options.log_level = LIBCRUN_LOG_WARNING;
  else if (strcmp (arg, "info") == 0)
    crun_options.log_level = LIBCRUN_LOG_INFO;
  else if (strcmp (arg, "debug") == 0)
    crun_options.log_level = LIBCRUN_LOG_DEBUG;
  else
    argp_error (state, "option `--log-level`: unknown level `%s`", arg);
}

static void
parse_cgroup_manager (const char *arg, struct argp_state *state)
{
  if (strcmp (arg, "cgroupfs") != 0 && strcmp (arg, "systemd") != 0
      && strcmp (arg, "disabled") != 0)
    argp_error (state,
                "option `--cgroup-manager`: unknown manager `%s` (cgroupfs, systemd or "
                "disabled)",
                arg);
  crun_options.cgroup_manager = arg;
}

/* --rootless is only checked: whether the runtime acts rootless is detected. */
static void
check_rootless_value (const char *arg, struct argp_state *state)
{
  if (strcmp (arg, "true") != 0 && strcmp (arg, "false") != 0 && strcmp (arg, "auto") != 0)
    argp_error (state, "option `--rootless`: `%s` is not true, false or auto", arg);
}

static error_t
parse_global (int key, char *arg, struct argp_state *state)
{
  switch (key)
    {
    case OPT_ROOT:
      crun_options.root = arg;
      break;
    case OPT_LOG:
      parse_log (arg, state);
      break;
    case OPT_LOG_FORMAT:
      parse_log_format (arg, state);
      break;
    case OPT_LOG_LEVEL:
      parse_log_level (arg, state);
      break;
    case OPT_DEBUG:
      crun_options.debug = true;
      crun_options.log_level = LIBCRUN_LOG_DEBUG;
      break;
    case OPT_CGROUP_MANAGER:
      parse_cgroup_manager (arg, state);
      break;
    case OPT_SYSTEMD_CGROUP:
      crun_options.cgroup_manager = "systemd";
      break;
    case OPT_ROOTLESS:
      check_rootless_value (arg, state);
      break;
    case ARGP_KEY_ARG:
      command_index = state->next - 1;
      state->next = state->argc; /* the command parses the rest */
      break;
    case ARGP_KEY_NO_ARGS:
      argp_usage (state);
      break;
    default:
      return ARGP_ERR_UNKNOWN;
    }
  return 0;
}

static void
print_version (FILE *out, struct argp_state *state)
{
  (void)state;
  fprintf (out, "crun version %s\n", CRUN_VERSION);
  fprintf (out, "spec: 1.0.0\n");
  fprintf (out, "+CAP +SECCOMP +YAJL +AUTOREAP\n");
}

void (*argp_program_version_hook) (FILE *, struct argp_state *) = print_version;

static struct argp global_argp
    = { global_options, parse_global, "COMMAND [OPTION...]", doc, NULL, NULL, NULL };

static int
check_cgroup_manager (void)
{
  libcrun_error_t err = NULL;
  if (strcmp (crun_options.cgroup_manager, "systemd") == 0
      && access ("/run/systemd/system", F_OK) < 0)
    {
      libcrun_make_error (&err, 0,
                          "cgroup manager `systemd` requested but systemd is not running on "
                          "this machine (use --cgroup-manager=cgroupfs)");
      return crun_fail (&err);
    }
  return 0;
}

/* CVE-2019-5736: a process in a container that opens /proc/PID/exe of a
 * runtime process inside the container's pid namespace (the `exec` helper,
 * the init of a container joining an existing pid namespace before its
 * execve, a spawner's waiter) can reopen the runtime binary for writing once
 * that process is gone.  Opening /proc/PID/exe needs ptrace access to PID,
 * and a non-dumpable process refuses it to anybody without CAP_SYS_PTRACE
 * in the user namespace its memory belongs to, the host's.  The mark is
 * per mm and inherited by clone() and fork(), so setting it here, before
 * anything is cloned, covers every process of the runtime from birth, with
 * no window; execve() of the container's program clears it, when
 * /proc/PID/exe no longer is the runtime.  It costs one prctl, where
 * re-executing from a sealed memfd copy (crun, runc) costs a copy and an
 * execve on every call.  A container given CAP_SYS_PTRACE without a user
 * namespace of its own still passes the check: for it the front end does
 * re-execute from a sealed copy (crun_run_from_sealed_copy).
 * Rootless runtimes keep the mark off: the children's /proc files would
 * become root's and the runtime could not write their uid_map; they run
 * from a sealed copy when the caller may write the binary (see
 * crun_protect_binary_for). */
static void
protect_runtime_binary (void)
{
  if (geteuid () == 0)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static char **saved_argv;

void
crun_argp_parse (const struct argp *argp, int argc, char **argv, void *input)
{
  struct argp a = *argp;
  char *doc;
  /* Kept for the life of the process (a command may keep pointers into
   * it: exec's COMMAND), through a static so that it is not a leak. */
  static char **args;
  args = xmalloc ((size_t)(argc + 1) * sizeof (char *));
  int i;

  /* argp names the program after argv[0]: "crun", with the command put
   * in front of the arguments' description. */
  doc = xasprintf ("%s%s%s", argv[0], argp->args_doc ? " " : "",
                   argp->args_doc ? argp->args_doc : "");
  a.args_doc = doc;
  args[0] = (char *)"crun";
  for (i = 1; i <= argc; i++)
    args[i] = argv[i];
  argp_parse (&a, argc, args, ARGP_IN_ORDER, NULL, input);
  free (doc);
}

/* Is fd a memfd sealed against writes (the copy made below)? */
static bool
is_sealed_copy (int fd)
{
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL);
}

/* Where the dumpable mark is not enough (a container that may hold
 * CAP_SYS_PTRACE in the host's user namespace passes the ptrace check), the
 * front end re-executes itself from a copy of its binary in a memfd sealed
 * against writing, as runc and crun do on every call: /proc/PID/exe of its
 * processes is then that copy, and the host's file is out of reach.  Called
 * before anything is created; on success it does not return. */
int
crun_run_from_sealed_copy (libcrun_error_t *err)
{
  cleanup_close int exe = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mfd = -1;
  struct stat st;
  off_t off = 0;

  if (exe < 0)
    return libcrun_make_error (err, errno, "open `/proc/self/exe`");
  if (is_sealed_copy (exe))
    {
      /* this is the copy already; its name would be "memfd:crun" */
      prctl (PR_SET_NAME, "crun", 0, 0, 0);
      return 0;
    }
  if (fstat (exe, &st) < 0)
    return libcrun_make_error (err, errno, "stat `/proc/self/exe`");
  mfd = memfd_create ("crun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return libcrun_make_error (err, errno, "memfd_create");
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, exe, &off, (size_t)(st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return libcrun_make_error (err, n < 0 ? errno : EIO, "copy the runtime binary");
    }
  if (fcntl (mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    return libcrun_make_error (err, errno, "seal the copy of the runtime binary");
  libcrun_debug ("running from a sealed copy of the binary: %s",
                 geteuid () == 0
                     ? "the container may hold CAP_SYS_PTRACE in the host's user namespace"
                     : "the binary is writable by the rootless caller");
  fexecve (mfd, saved_argv, environ);
  return libcrun_make_error (err, errno, "execute the sealed copy of the runtime binary");
}

/* Rootless, the dumpable mark stays off (protect_runtime_binary) and the
 * container's root is the calling user: a runtime process that joined the
 * container's user namespace can be ptraced by it, and the binary, if that
 * user may write it (their own build), reopened for writing through
 * /proc/PID/exe.  A binary the user cannot write (root's /usr/bin/crun) is
 * safe as it is. */
static bool
binary_writable_by_caller (void)
{
  return faccessat (AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) == 0;
}

/* Does the config, the `exec --process` file or `exec --cap` let a
 * process of the container hold CAP_SYS_PTRACE in our user namespace? */
static bool
config_may_ptrace (const char *config_path, const char *process_file, char **extra_caps)
{
  struct oci_config *config = NULL;
  struct oci_process *process = NULL;
  libcrun_error_t err = NULL;
  bool r = false;

  /* An unreadable config or process file is reported by the command. */
  if (libcrun_config_load_file (config_path, &config, &err) == 0
      && (process_file == NULL || libcrun_process_load_file (process_file, &process, &err) == 0))
    r = libcrun_config_may_ptrace_host (config, process, extra_caps);
  libcrun_error_release (&err);
  libcrun_process_free (process);
  libcrun_config_free (config);
  return r;
}

void
crun_protect_binary_for (const char *config_path, const char *process_file, char **extra_caps,
                         const char *ptrace_mark)
{
  libcrun_error_t err = NULL;
  bool needed;

  if (geteuid () != 0)
    needed = binary_writable_by_caller ();
  else if (ptrace_mark && access (ptrace_mark, F_OK) == 0)
    needed = true;
  else
    {
      needed = config_may_ptrace (config_path, process_file, extra_caps);
      /* A process exec'd with CAP_SYS_PTRACE stays in the container: every
       * later `exec` into it must run from the copy too, whatever its own
       * capabilities.  The mark in the state directory says so. */
      if (needed && ptrace_mark)
        close (open (ptrace_mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    }
  if (needed && crun_run_from_sealed_copy (&err) < 0)
    exit (crun_fail (&err));
}

/* As crun: a rootless runtime (libcrun_is_rootless) keeps its state under
 * $XDG_RUNTIME_DIR/crun unless --root says otherwise (rootless podman
 * passes no --root).  Without XDG_RUNTIME_DIR the default stays /run/crun,
 * and a failure there names the variable (libcrun_state_create_dir). */
static void
default_rootless_state_root (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  static char *root;
  if (crun_options.root != default_root || xdg == NULL || xdg[0] == '\0' || !libcrun_is_rootless ())
    return;
  root = xasprintf ("%s/crun", xdg);
  crun_options.root = root;
}

int
main (int argc, char **argv)
{
  const struct command *c;

  /* A container's init, just cloned by the library, executing us as its
   * helper (libcrun/init_helper.h): it never gets past this. */
  if (argc > 0 && strcmp (argv[0], LIBCRUN_HELPER_NAME) == 0)
    return libcrun_helper_main (argc, argv) < 0 ? 1 : 0;
  saved_argv = argv;
  protect_runtime_binary ();
  libcrun_set_helper ("/proc/self/exe");
  argp_parse (&global_argp, argc, argv, ARGP_IN_ORDER, NULL, NULL);
  default_rootless_state_root ();

  if (crun_options.log)
    {
      log_file = fopen (crun_options.log, "ae");
      if (log_file == NULL)
        {
          fprintf (stderr, "crun: open the log file `%s`: %s\n", crun_options.log,
                   strerror (errno));
          return 1;
        }
    }
  libcrun_set_log_handler (log_handler, NULL, (enum libcrun_log_level)crun_options.log_level);

  for (c = commands; c->name; c++)
    if (strcmp (c->name, argv[command_index]) == 0)
      {
        if (check_cgroup_manager ())
          return 1;
        return c->fn (argc - command_index, argv + command_index);
      }
  fprintf (stderr, "crun: unknown command `%s` (see crun --help)\n", argv[command_index]);
  return 1;
}
