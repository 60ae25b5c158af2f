/* The init helper: the program a container's init and the process of
 * libcrun_container_exec execute right after they are cloned, so that
 * they do their set-up in a process image of their own (no lock or
 * allocator state copied from the embedding process, see libcrun.h).
 * Its main is libcrun_helper_main.  The library runs the program set with
 * libcrun_set_helper, by default the libcrun-init it installs
 * (LIBCRUN_HELPER_DEFAULT); the crun front end sets /proc/self/exe and
 * answers as the helper when its argv[0] is LIBCRUN_HELPER_NAME. */
#ifndef LIBCRUN_INIT_HELPER_H
#define LIBCRUN_INIT_HELPER_H

#include "error.h"

#define LIBCRUN_HELPER_NAME "libcrun-init"

/* The helper's path (copied; NULL: the default).  Set it once, before the
 * first container is created: it is read without a lock. */
LIBCRUN_PUBLIC void libcrun_set_helper (const char *path);

/* The helper's main: when argv is a helper's command line (argv[0] is
 * LIBCRUN_HELPER_NAME) it does not return; otherwise it returns -1. */
LIBCRUN_PUBLIC int libcrun_helper_main (int argc, char **argv);

#endif
