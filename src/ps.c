/* crun ps [--format table|json] CONTAINER: the processes of a container. */
#include "crun.h"

#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ps_args
{
  const char *id;
  bool json;
};

static const struct argp_option options[] = {
  { "format", 'f', "FORMAT", 0, "table (default) or json", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct ps_args *a = state->input;
  if (key == 'f')
    {
      a->json = crun_parse_format (arg, state);
      return 0;
    }
  return crun_parse_id_argument (&a->id, key, arg, state);
}

int
crun_command_ps (int argc, char **argv)
{
  struct argp argp
      = { options, parse_opt, "CONTAINER", "crun ps - list the processes of a container",
          NULL,    NULL,      NULL };
  struct ps_args a = { NULL, false };
  libcrun_error_t err = NULL;
  pid_t *pids = NULL;
  size_t n = 0, i;

  crun_argp_parse (&argp, argc, argv, &a);
  if (libcrun_container_pids (crun_options.root, a.id, &pids, &n, &err) < 0)
    return crun_fail (&err);
  if (a.json)
    {
      printf ("[");
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? ", " : "", pids[i]);
      printf ("]\n");
    }
  else
    {
      printf ("PID\n");
      for (i = 0; i < n; i++)
        printf ("%d\n", pids[i]);
    }
  free (pids);
  return 0;
}
