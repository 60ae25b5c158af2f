/* crun state CONTAINER: the OCI state JSON on stdout. */
#include "crun.h"

#include <argp.h>
#include <stdio.h>
#include <stdlib.h>

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  return crun_parse_id_argument (state->input, key, arg, state);
}

int
crun_command_state (int argc, char **argv)
{
  struct argp argp = { NULL, parse_opt, "CONTAINER", "crun state - output the state of a container",
                       NULL, NULL,      NULL };
  const char *id = NULL;
  char *json = NULL;
  libcrun_error_t err = NULL;

  crun_argp_parse (&argp, argc, argv, &id);
  if (libcrun_container_state_json (crun_options.root, id, &json, &err) < 0)
    return crun_fail (&err);
  printf ("%s\n", json);
  free (json);
  return 0;
}
