/* Error convention for the whole library.
 *
 * A function that can fail takes `libcrun_error_t *err` as its last argument.
 * On failure it returns a negative value and stores in *err an error object
 * holding the errno that caused it (0 when there is none) and a message that
 * names what failed ("open `/x/config.json`: No such file or directory").
 * On success it returns >= 0 and leaves *err untouched.
 *
 * Callers that pass an error upwards add context with libcrun_error_wrap(),
 * which prefixes the message: "create container `c1`: mount `/proc`: ...".
 * Whoever consumes an error (prints it, ignores it) releases it with
 * libcrun_error_release().  The library itself never prints and never exits;
 * warnings and debug lines go through the log handler of log.h, which the
 * embedding program installs.
 */
#ifndef LIBCRUN_ERROR_H
#define LIBCRUN_ERROR_H

#include <stdarg.h>

/* Marks the functions of the public API: the library is built with
 * -fvisibility=hidden, so only these are exported by libcrun.so. */
#ifndef LIBCRUN_PUBLIC
#define LIBCRUN_PUBLIC __attribute__ ((visibility ("default")))
#endif

struct libcrun_error_s
{
  int status; /* errno value, or 0 */
  char *msg;  /* full message, owned */
};
typedef struct libcrun_error_s *libcrun_error_t;

/* Fill *err with a new error; errno_value is appended as strerror() when it
 * is not 0.  Returns -1 so that `return libcrun_make_error (...)` reads well. */
LIBCRUN_PUBLIC int libcrun_make_error (libcrun_error_t *err, int errno_value, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefix the message in *err with context ("context: old message").
 * Returns -1.  A NULL *err is left alone (the caller already failed). */
LIBCRUN_PUBLIC int libcrun_error_wrap (libcrun_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Free the error object and set *err to NULL; safe on NULL. */
LIBCRUN_PUBLIC void libcrun_error_release (libcrun_error_t *err);

/* Attribute that releases an error object when it goes out of scope. */
#define cleanup_error __attribute__ ((cleanup (libcrun_error_release)))

#endif
