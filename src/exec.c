/* crun exec [OPTION...] CONTAINER [COMMAND [ARG...]] */
#include "crun.h"

#include <argp.h>
#include <string.h>
#include <unistd.h>

enum
{
  OPT_CONSOLE_SOCKET = 5000,
  OPT_CWD,
  OPT_CAP,
  OPT_NO_NEW_PRIVS,
  OPT_PRESERVE_FDS,
  OPT_PID_FILE,
  OPT_CGROUP,
  OPT_APPARMOR,
  OPT_PROCESS_LABEL,
};

struct exec_args
{
  struct libcrun_exec_options o;
  char **rest;
  bool detach;
};

static const struct argp_option options[] = {
  { "process", 'p', "FILE", 0, "path to a JSON file with the process to run", 0 },
  { "tty", 't', NULL, 0, "allocate a pseudo-TTY", 0 },
  { "console-socket", OPT_CONSOLE_SOCKET, "SOCKET", 0, "unix socket that receives the pty master",
    0 },
  { "cwd", OPT_CWD, "DIR", 0, "working directory of the process", 0 },
  { "env", 'e', "KEY=VALUE", 0, "add or replace an environment variable", 0 },
  { "user", 'u', "UID[:GID]", 0, "user (and group) of the process", 0 },
  { "cap", OPT_CAP, "CAP", 0, "add a capability to the process", 0 },
  { "no-new-privs", OPT_NO_NEW_PRIVS, NULL, 0, "set no_new_privileges", 0 },
  { "preserve-fds", OPT_PRESERVE_FDS, "N", 0, "pass N additional fds (from fd 3)", 0 },
  { "pid-file", OPT_PID_FILE, "FILE", 0, "where to write the process' pid", 0 },
  { "detach", 'd', NULL, 0, "detach from the process", 0 },
  { "cgroup", OPT_CGROUP, "PATH", 0, "sub-cgroup of the container to join", 0 },
  { "apparmor", OPT_APPARMOR, "PROFILE", 0, "AppArmor profile of the process", 0 },
  { "process-label", OPT_PROCESS_LABEL, "LABEL", 0, "SELinux label of the process", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct exec_args *a = state->input;
  switch (key)
    {
    case 'p':
      a->o.process_file = arg;
      break;
    case 't':
      a->o.tty = 1;
      break;
    case OPT_CONSOLE_SOCKET:
      a->o.console_socket = arg;
      break;
    case OPT_CWD:
      a->o.cwd = arg;
      break;
    case 'e':
      strv_append (&a->o.env, arg);
      break;
    case 'u':
      a->o.user = arg;
      break;
    case OPT_CAP:
      strv_append (&a->o.caps, arg);
      break;
    case OPT_NO_NEW_PRIVS:
      a->o.no_new_privs = true;
      break;
    case OPT_PRESERVE_FDS:
      a->o.preserve_fds = crun_parse_count ("--preserve-fds", arg);
      break;
    case OPT_PID_FILE:
      a->o.pid_file = arg;
      break;
    case 'd':
      a->detach = true;
      break;
    case OPT_CGROUP:
      a->o.cgroup = arg;
      break;
    case OPT_APPARMOR:
      a->o.apparmor = arg;
      break;
    case OPT_PROCESS_LABEL:
      a->o.process_label = arg;
      break;
    case ARGP_KEY_ARG:
      a->o.id = arg;
      /* Everything after the id belongs to the command, options included. */
      a->rest = &state->argv[state->next];
      state->next = state->argc;
      break;
    case ARGP_KEY_NO_ARGS:
      argp_error (state, "missing the container id");
      break;
    default:
      return ARGP_ERR_UNKNOWN;
    }
  return 0;
}

int
crun_command_exec (int argc, char **argv)
{
  struct argp argp = { options,
                       parse_opt,
                       "CONTAINER [COMMAND [ARG...]]",
                       "crun exec - run a process in a running container",
                       NULL,
                       NULL,
                       NULL };
  struct exec_args a;
  struct libcrun_container_handle h = LIBCRUN_CONTAINER_HANDLE_INIT;
  libcrun_error_t err = NULL;
  int code;

  memset (&a, 0, sizeof (a));
  a.o.tty = -1;
  crun_argp_parse (&argp, argc, argv, &a);
  a.o.state_root = crun_options.root;
  a.o.args = a.rest;
  if (a.o.id && libcrun_validate_id (a.o.id, NULL) == 0)
    {
      cleanup_free char *config_path = xasprintf ("%s/%s/config.json", a.o.state_root, a.o.id);
      cleanup_free char *mark = xasprintf ("%s/%s/ptrace-capable", a.o.state_root, a.o.id);
      crun_protect_binary_for (config_path, a.o.process_file, a.o.caps, mark);
    }

  code = libcrun_container_exec (&a.o, &h, &err);
  strv_free (a.o.env);
  strv_free (a.o.caps);
  if (code < 0)
    return crun_fail (&err);
  if (a.detach)
    {
      close (h.pidfd);
      if (h.terminal_master >= 0)
        close (h.terminal_master);
      return 0;
    }
  code = crun_foreground_wait (&h);
  close (h.pidfd);
  return code;
}
