/* crun create [OPTION...] CONTAINER */
#include "crun.h"

#include <argp.h>
#include <stdlib.h>
#include <string.h>

enum
{
  OPT_CONSOLE_SOCKET = 2000,
  OPT_PID_FILE,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_NO_SUBREAPER,
};

/* Shared with `run`, which adds its own on top. */
const struct argp_option crun_create_argp_options[] = {
  { "bundle", 'b', "DIR", 0, "container bundle (default \".\")", 0 },
  { "config", 'f', "FILE", 0, "override the config file name", 0 },
  { "console-socket", OPT_CONSOLE_SOCKET, "SOCKET", 0,
    "path to a unix socket that will receive the pty master fd", 0 },
  { "pid-file", OPT_PID_FILE, "FILE", 0, "where to write the init pid", 0 },
  { "preserve-fds", OPT_PRESERVE_FDS, "N", 0, "pass N additional fds (from fd 3) to the container",
    0 },
  { "no-pivot", OPT_NO_PIVOT, NULL, 0, "do not use pivot_root (chroot instead)", 0 },
  { "no-new-keyring", OPT_NO_NEW_KEYRING, NULL, 0, "keep the session keyring of the caller", 0 },
  { "no-subreaper", OPT_NO_SUBREAPER, NULL, 0, "accepted for compatibility; does nothing", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

int
crun_parse_create_option (struct crun_create_args *a, int key, char *arg)
{
  switch (key)
    {
    case 'b':
      a->o.bundle = arg;
      return 0;
    case 'f':
      a->o.config_file = arg;
      return 0;
    case OPT_CONSOLE_SOCKET:
      a->o.console_socket = arg;
      return 0;
    case OPT_PID_FILE:
      a->o.pid_file = arg;
      return 0;
    case OPT_PRESERVE_FDS:
      a->o.preserve_fds = crun_parse_count ("--preserve-fds", arg);
      return 0;
    case OPT_NO_PIVOT:
      a->o.no_pivot = true;
      return 0;
    case OPT_NO_NEW_KEYRING:
      a->o.no_new_keyring = true;
      return 0;
    case OPT_NO_SUBREAPER:
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

/* Settings that come from the environment rather than from options. */
void
crun_create_args_finish (struct crun_create_args *a)
{
  const char *listen = getenv ("LISTEN_FDS");
  a->o.state_root = crun_options.root;
  a->o.cgroups_disabled = strcmp (crun_options.cgroup_manager, "disabled") == 0;
  a->o.systemd_cgroup = strcmp (crun_options.cgroup_manager, "systemd") == 0;
  a->o.id = a->id;
  /* Socket activation: systemd's LISTEN_FDS fds follow the preserved ones. */
  if (listen)
    a->o.listen_fds = crun_parse_count ("LISTEN_FDS", listen);
  {
    cleanup_free char *config_path = NULL;
    const char *bundle = a->o.bundle ? a->o.bundle : ".";
    if (a->o.config_file && a->o.config_file[0] == '/')
      config_path = xstrdup (a->o.config_file);
    else
      config_path
          = xasprintf ("%s/%s", bundle, a->o.config_file ? a->o.config_file : "config.json");
    crun_protect_binary_for (config_path, NULL, NULL, NULL);
  }
}

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct crun_create_args *a = state->input;
  int r = crun_parse_id_argument (&a->id, key, arg, state);
  return r == ARGP_ERR_UNKNOWN ? crun_parse_create_option (a, key, arg) : r;
}

int
crun_command_create (int argc, char **argv)
{
  struct argp argp = { crun_create_argp_options,
                       parse_opt,
                       "CONTAINER",
                       "crun create - create a container",
                       NULL,
                       NULL,
                       NULL };
  struct crun_create_args a;
  libcrun_error_t err = NULL;

  memset (&a, 0, sizeof (a));
  crun_argp_parse (&argp, argc, argv, &a);
  crun_create_args_finish (&a);
  a.o.detach = true;
  if (libcrun_container_create (&a.o, NULL, &err) < 0)
    return crun_fail (&err);
  return 0;
}
