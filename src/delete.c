/* crun delete [--force] CONTAINER */
#include "crun.h"

#include <argp.h>

struct delete_args
{
  const char *id;
  bool force;
};

static const struct argp_option options[] = {
  { "force", 'f', NULL, 0, "kill the container first if it is still running", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct delete_args *a = state->input;
  if (key == 'f')
    {
      a->force = true;
      return 0;
    }
  return crun_parse_id_argument (&a->id, key, arg, state);
}

int
crun_command_delete (int argc, char **argv)
{
  struct argp argp
      = { options, parse_opt, "CONTAINER", "crun delete - remove a container", NULL, NULL, NULL };
  struct delete_args a = { NULL, false };
  libcrun_error_t err = NULL;

  argp_parse (&argp, argc, argv, ARGP_IN_ORDER, NULL, &a);
  if (libcrun_container_delete (crun_options.root, a.id, a.force, &err) < 0)
    return crun_fail (&err);
  return 0;
}
