/* crun features: the OCI runtime features document (runtime-spec
 * features.md, built by libcrun_features_json) on stdout. */
#include "crun.h"

#include <argp.h>
#include <stdio.h>
#include <stdlib.h>

int
crun_command_features (int argc, char **argv)
{
  struct argp argp
      = { NULL, NULL, NULL, "crun features - show the enabled features", NULL, NULL, NULL };
  char *json;

  crun_argp_parse (&argp, argc, argv, NULL);
  json = libcrun_features_json ();
  printf ("%s\n", json);
  free (json);
  return 0;
}
