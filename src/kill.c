/* crun kill [--all] CONTAINER [SIGNAL] */
#include "crun.h"

#include <argp.h>
#include <signal.h>

struct kill_args
{
  const char *id;
  const char *signal;
  bool all;
};

static const struct argp_option options[] = {
  { "all", 'a', NULL, 0, "send the signal to every process of the container", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct kill_args *a = state->input;
  switch (key)
    {
    case 'a':
      a->all = true;
      return 0;
    case ARGP_KEY_ARG:
      if (a->id == NULL)
        a->id = arg;
      else if (a->signal == NULL)
        a->signal = arg;
      else
        argp_error (state, "too many arguments");
      return 0;
    case ARGP_KEY_NO_ARGS:
      argp_error (state, "missing the container id");
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

int
crun_command_kill (int argc, char **argv)
{
  struct argp argp = { options,
                       parse_opt,
                       "CONTAINER [SIGNAL]",
                       "crun kill - send a signal (default SIGTERM) to the container init",
                       NULL,
                       NULL,
                       NULL };
  struct kill_args a = { NULL, NULL, false };
  libcrun_error_t err = NULL;
  int sig = SIGTERM;

  argp_parse (&argp, argc, argv, ARGP_IN_ORDER, NULL, &a);
  if (a.signal && libcrun_parse_signal (a.signal, &sig, &err) < 0)
    return crun_fail (&err);
  if (libcrun_container_kill (crun_options.root, a.id, sig, a.all, &err) < 0)
    return crun_fail (&err);
  return 0;
}
