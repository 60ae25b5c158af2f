#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static libcrun_log_handler_t log_handler;
static void *log_handler_arg;
static enum libcrun_log_level log_max = LIBCRUN_LOG_WARNING;

void
libcrun_set_log_handler (libcrun_log_handler_t handler, void *arg, enum libcrun_log_level max)
{
  log_handler = handler;
  log_handler_arg = arg;
  log_max = max;
}

void
libcrun_log (enum libcrun_log_level level, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;

  if (log_handler == NULL || level > log_max)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    log_handler (level, msg, log_handler_arg);
  free (msg);
}

int
libcrun_log_level_wanted (void)
{
  return log_handler ? (int)log_max : -1;
}
