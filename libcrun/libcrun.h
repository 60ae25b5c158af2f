/* Public header of libcrun: include this one to embed the runtime.
 * See error.h for the error convention and log.h for log handling. */
#ifndef LIBCRUN_H
#define LIBCRUN_H

#include "error.h"
#include "log.h"
#include "config.h"
#include "state.h"
#include "container.h"
#include "spec.h"

#endif
