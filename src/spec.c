/* crun spec [--bundle DIR] [--file PATH] [--rootless]: write a default
 * config.json. */
#include "crun.h"

#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum
{
  OPT_ROOTLESS = 3000,
};

struct spec_args
{
  const char *bundle;
  const char *file;
  bool rootless;
};

static const struct argp_option options[] = {
  { "bundle", 'b', "DIR", 0, "directory where config.json is written", 0 },
  { "file", 'f', "PATH", 0, "write to PATH (relative to the bundle) instead, replacing it", 0 },
  { "rootless", OPT_ROOTLESS, NULL, 0, "generate a config for a rootless container", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct spec_args *a = state->input;
  switch (key)
    {
    case 'b':
      a->bundle = arg;
      return 0;
    case 'f':
      a->file = arg;
      return 0;
    case OPT_ROOTLESS:
      a->rootless = true;
      return 0;
    case ARGP_KEY_ARG:
      argp_error (state, "too many arguments");
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

int
crun_command_spec (int argc, char **argv)
{
  struct argp argp
      = { options, parse_opt, NULL, "crun spec - generate a configuration file", NULL, NULL, NULL };
  struct spec_args a = { NULL, NULL, false };
  libcrun_error_t err = NULL;
  cleanup_free char *json = NULL, *path = NULL;
  cleanup_close int fd = -1;
  int r;

  crun_argp_parse (&argp, argc, argv, &a);
  if (a.file && a.file[0] == '/')
    path = xstrdup (a.file);
  else
    path = xasprintf ("%s/%s", a.bundle ? a.bundle : ".", a.file ? a.file : "config.json");
  if (libcrun_default_spec (a.rootless, getuid (), getgid (), &json, &err) < 0)
    return crun_fail (&err);
  /* O_EXCL: never overwrite a config.json somebody wrote, as crun refuses
   * too; a file named with --file is replaced, as crun does. */
  fd = open (path, O_WRONLY | O_CREAT | (a.file ? O_TRUNC : O_EXCL) | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        libcrun_make_error (&err, 0, "`%s` already exists", path);
      else
        libcrun_make_error (&err, errno, "create `%s`", path);
      return crun_fail (&err);
    }
  r = write_all (fd, json, strlen (json));
  if (r == 0)
    r = write_all (fd, "\n", 1);
  if (r < 0)
    {
      libcrun_make_error (&err, -r, "write `%s`", path);
      return crun_fail (&err);
    }
  return 0;
}
