/* The init helper's entry point (init_helper.h): argv is
 *   libcrun-init init|exec OPTIONS_FD SYNC_FD DUMPABLE
 * as libcrun_helper_exec_prepare builds it. */
#include "init_helper.h"
#include "linux.h"
#include "utils.h"

#include <string.h>
#include <sys/prctl.h>

int
libcrun_helper_main (int argc, char **argv)
{
  long options_fd, sync;

  if (argc != 5 || strcmp (argv[0], LIBCRUN_HELPER_NAME) != 0
      || (strcmp (argv[1], "init") != 0 && strcmp (argv[1], "exec") != 0)
      || parse_long (argv[2], &options_fd) < 0 || parse_long (argv[3], &sync) < 0)
    return -1;
  /* First: execve made us dumpable again, and we may be in the container's
   * namespaces; the runtime says whether it is (see README, Security). */
  if (strcmp (argv[4], "0") == 0)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (strcmp (argv[1], "init") == 0)
    libcrun_linux_init_helper ((int)options_fd, (int)sync);
  libcrun_exec_helper ((int)options_fd, (int)sync);
}
