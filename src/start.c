/* crun start CONTAINER */
#include "crun.h"

#include <argp.h>

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  return crun_parse_id_argument (state->input, key, arg, state);
}

int
crun_command_start (int argc, char **argv)
{
  struct argp argp
      = { NULL, parse_opt, "CONTAINER", "crun start - start a container", NULL, NULL, NULL };
  const char *id = NULL;
  libcrun_error_t err = NULL;

  crun_argp_parse (&argp, argc, argv, &id);
  if (libcrun_container_start (crun_options.root, id, &err) < 0)
    return crun_fail (&err);
  return 0;
}
