/* Unit-test helper: collect what the library logs ("LEVEL:message\n" per
 * line) in a buffer, so a test can assert on warnings. */
#ifndef TESTS_UNIT_LOG_CAPTURE_H
#define TESTS_UNIT_LOG_CAPTURE_H

#include <stdio.h>
#include <string.h>
#include "log.h"

static char captured[8192];

static void
capture_log (enum libcrun_log_level level, const char *msg, void *arg)
{
  size_t used = strlen (captured);
  (void)arg;
  snprintf (captured + used, sizeof (captured) - used, "%d:%s\n", (int)level, msg);
}

/* Empty the buffer and capture warnings and errors from now on. */
static inline void
start_capture (void)
{
  captured[0] = '\0';
  libcrun_set_log_handler (capture_log, NULL, LIBCRUN_LOG_WARNING);
}

#endif
