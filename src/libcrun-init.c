/* The init helper libcrun installs for the programs that embed it (see
 * libcrun/init_helper.h): nothing but the library's helper main. */
#include <stdio.h>
#include "libcrun.h"

int
main (int argc, char **argv)
{
  if (libcrun_helper_main (argc, argv) < 0)
    fprintf (stderr, "%s: run by libcrun only\n", argc > 0 ? argv[0] : LIBCRUN_HELPER_NAME);
  return 1;
}
