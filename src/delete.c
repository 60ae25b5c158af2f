/* crun delete [--force] [--regex] CONTAINER */
#include "crun.h"

#include <argp.h>

struct delete_args
{
  const char *id;
  bool force;
  bool regex;
};

static const struct argp_option options[] = {
  { "force", 'f', NULL, 0, "kill the container first if it is still running", 0 },
  { "regex", 'r', NULL, 0, "CONTAINER is a regular expression: delete every container it matches",
    0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct delete_args *a = state->input;
  if (key == 'f' || key == 'r')
    {
      *(key == 'f' ? &a->force : &a->regex) = true;
      return 0;
    }
  return crun_parse_id_argument (&a->id, key, arg, state);
}

static int
delete_one (const char *id, void *arg, libcrun_error_t *err)
{
  const struct delete_args *a = arg;
  return libcrun_container_delete (crun_options.root, id, a->force, err);
}

int
crun_command_delete (int argc, char **argv)
{
  struct argp argp
      = { options, parse_opt, "CONTAINER", "crun delete - remove a container", NULL, NULL, NULL };
  struct delete_args a = { NULL, false, false };
  libcrun_error_t err = NULL;

  crun_argp_parse (&argp, argc, argv, &a);
  if (a.regex)
    return crun_for_each_matching (a.id, delete_one, &a);
  if (libcrun_container_delete (crun_options.root, a.id, a.force, &err) < 0)
    return crun_fail (&err);
  return 0;
}
