/* crun mounts add|remove CONTAINER FILE: change the mounts of a running
 * container (crun's experimental command; libcrun/live_mounts.c). */
#include "crun.h"

#include <argp.h>
#include <string.h>

struct mounts_args
{
  const char *words[3]; /* add|remove, CONTAINER, FILE */
  int n;
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct mounts_args *a = state->input;
  switch (key)
    {
    case ARGP_KEY_ARG:
      if (a->n == 3)
        argp_error (state, "too many arguments");
      a->words[a->n++] = arg;
      return 0;
    case ARGP_KEY_END:
      if (a->n < 3)
        argp_error (state, "expected add or remove, the container id and a file");
      if (strcmp (a->words[0], "add") != 0 && strcmp (a->words[0], "remove") != 0)
        argp_error (state, "unknown subcommand `%s` (add or remove)", a->words[0]);
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

int
crun_command_mounts (int argc, char **argv)
{
  struct argp argp = { NULL,
                       parse_opt,
                       "add|remove CONTAINER FILE",
                       "crun mounts - add mounts to or remove them from a running container; FILE "
                       "is a JSON object with a `mounts` array as in config.json (for remove, "
                       "only the destinations count)",
                       NULL,
                       NULL,
                       NULL };
  struct mounts_args a;
  libcrun_error_t err = NULL;

  memset (&a, 0, sizeof (a));
  crun_argp_parse (&argp, argc, argv, &a);
  if (libcrun_container_change_mounts (crun_options.root, a.words[1], a.words[2],
                                       strcmp (a.words[0], "add") == 0, &err)
      < 0)
    return crun_fail (&err);
  return 0;
}
