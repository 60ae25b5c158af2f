/* Mounts added to or removed from a running container (`crun mounts
 * add|remove`, as crun's experimental command): file is a JSON object
 * with a `mounts` array in config.json's form; for remove only the
 * destinations count.  See live_mounts.c. */
#ifndef LIBCRUN_LIVE_MOUNTS_H
#define LIBCRUN_LIVE_MOUNTS_H

#include <stdbool.h>
#include "error.h"

LIBCRUN_PUBLIC int libcrun_container_change_mounts (const char *root, const char *id,
                                                    const char *file, bool add,
                                                    libcrun_error_t *err);

#endif
