/* The features document of `crun features`. */
#ifndef LIBCRUN_FEATURES_H
#define LIBCRUN_FEATURES_H

#include "error.h"

/* The runtime spec's features document for this runtime on this machine,
 * as indented JSON (owned by the caller).  Probes the kernel (clone3
 * flags, seccomp filter flags) the first time. */
LIBCRUN_PUBLIC char *libcrun_features_json (void);

#endif
