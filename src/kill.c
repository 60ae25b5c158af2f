/* crun kill [--all] [--regex] CONTAINER [SIGNAL] */
#include "crun.h"

#include <argp.h>
#include <signal.h>

struct kill_args
{
  const char *id;
  const char *signal;
  bool all;
  bool regex;
  int sig;
};

static const struct argp_option options[] = {
  { "all", 'a', NULL, 0, "send the signal to every process of the container", 0 },
  { "regex", 'r', NULL, 0, "CONTAINER is a regular expression: signal every container it matches",
    0 },
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
    case 'r':
      a->regex = true;
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

static int
kill_one (const char *id, void *arg, libcrun_error_t *err)
{
  const struct kill_args *a = arg;
  return libcrun_container_kill (crun_options.root, id, a->sig, a->all, err);
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
  struct kill_args a = { NULL, NULL, false, false, SIGTERM };
  libcrun_error_t err = NULL;

  crun_argp_parse (&argp, argc, argv, &a);
  if (a.signal && libcrun_parse_signal (a.signal, &a.sig, &err) < 0)
    return crun_fail (&err);
  if (a.regex)
    return crun_for_each_matching (a.id, kill_one, &a);
  if (libcrun_container_kill (crun_options.root, a.id, a.sig, a.all, &err) < 0)
    return crun_fail (&err);
  return 0;
}
