/* crun run [OPTION...] CONTAINER: create + start, and in the foreground wait
 * for the container (foreground.c), then delete it and exit with its exit
 * status. */
#include "crun.h"

#include <argp.h>
#include <string.h>
#include <unistd.h>

enum
{
  OPT_KEEP = 4000,
};

struct run_args
{
  struct crun_create_args c;
  bool detach;
  bool keep;
};

static const struct argp_option run_options[] = {
  { "detach", 'd', NULL, 0, "detach from the container's process", 0 },
  { "keep", OPT_KEEP, NULL, 0, "do not delete the container after it exits", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct run_args *a = state->input;
  int r;
  switch (key)
    {
    case 'd':
      a->detach = true;
      return 0;
    case OPT_KEEP:
      a->keep = true;
      return 0;
    default:
      r = crun_parse_id_argument (&a->c.id, key, arg, state);
      return r == ARGP_ERR_UNKNOWN ? crun_parse_create_option (&a->c, key, arg) : r;
    }
}

int
crun_command_run (int argc, char **argv)
{
  struct argp_option options[32];
  struct argp argp
      = { options, parse_opt, "CONTAINER", "crun run - run a container", NULL, NULL, NULL };
  struct run_args a;
  struct libcrun_container_handle h = LIBCRUN_CONTAINER_HANDLE_INIT;
  libcrun_error_t err = NULL;
  int code;

  /* run takes create's options plus its own. */
  {
    size_t n = 0, i;
    for (i = 0; crun_create_argp_options[i].name; i++)
      options[n++] = crun_create_argp_options[i];
    for (i = 0; run_options[i].name; i++)
      options[n++] = run_options[i];
    memset (&options[n], 0, sizeof (options[n]));
  }
  memset (&a, 0, sizeof (a));
  crun_argp_parse (&argp, argc, argv, &a);
  crun_create_args_finish (&a.c);
  a.c.o.detach = a.detach;
  a.c.o.start_in_handle = true;

  if (libcrun_container_create (&a.c.o, &h, &err) < 0)
    return crun_fail (&err);
  if (libcrun_container_start_handle (crun_options.root, a.c.id, &h, &err) < 0)
    {
      libcrun_error_t e2 = NULL;
      libcrun_container_delete (crun_options.root, a.c.id, true, &e2);
      libcrun_error_release (&e2);
      return crun_fail (&err);
    }
  if (a.detach)
    {
      if (h.pidfd >= 0)
        close (h.pidfd);
      if (h.terminal_master >= 0)
        close (h.terminal_master);
      return 0;
    }

  code = crun_foreground_wait (&h);
  if (h.pidfd >= 0)
    close (h.pidfd);
  if (!a.keep && libcrun_container_delete (crun_options.root, a.c.id, true, &err) < 0)
    crun_fail (&err);
  return code;
}
