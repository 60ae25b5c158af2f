/* Logging hooks of the library.  The library never writes to stderr on its
 * own: it hands each message to the handler the embedding program installed
 * (the crun front end installs one that honours --log, --log-format and
 * --log-level).  With no handler installed, messages are dropped. */
#ifndef LIBCRUN_LOG_H
#define LIBCRUN_LOG_H

#include "error.h" /* LIBCRUN_PUBLIC */

enum libcrun_log_level
{
  LIBCRUN_LOG_ERROR = 0,
  LIBCRUN_LOG_WARNING = 1,
  LIBCRUN_LOG_INFO = 2,
  LIBCRUN_LOG_DEBUG = 3,
};

typedef void (*libcrun_log_handler_t) (enum libcrun_log_level level, const char *msg, void *arg);

/* Install the handler (NULL drops everything) and the most verbose level it
 * wants to see; messages above that level are not even formatted. */
LIBCRUN_PUBLIC void libcrun_set_log_handler (libcrun_log_handler_t handler, void *arg,
                                             enum libcrun_log_level max);

LIBCRUN_PUBLIC void libcrun_log (enum libcrun_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

#define libcrun_warning(...) libcrun_log (LIBCRUN_LOG_WARNING, __VA_ARGS__)
#define libcrun_debug(...) libcrun_log (LIBCRUN_LOG_DEBUG, __VA_ARGS__)

#endif
