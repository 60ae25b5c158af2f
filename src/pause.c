/* crun pause CONTAINER / crun resume CONTAINER: freeze and thaw. */
#include "crun.h"

#include <argp.h>

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  return crun_parse_id_argument (state->input, key, arg, state);
}

static int
pause_or_resume (int argc, char **argv, bool freeze)
{
  struct argp argp = { NULL,
                       parse_opt,
                       "CONTAINER",
                       freeze ? "crun pause - suspend all processes of a container"
                              : "crun resume - resume the processes of a paused container",
                       NULL,
                       NULL,
                       NULL };
  const char *id = NULL;
  libcrun_error_t err = NULL;

  crun_argp_parse (&argp, argc, argv, &id);
  if (libcrun_container_pause (crun_options.root, id, freeze, &err) < 0)
    return crun_fail (&err);
  return 0;
}

int
crun_command_pause (int argc, char **argv)
{
  return pause_or_resume (argc, argv, true);
}

int
crun_command_resume (int argc, char **argv)
{
  return pause_or_resume (argc, argv, false);
}
