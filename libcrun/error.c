#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *out = NULL;
  if (vasprintf (&out, fmt, ap) < 0)
    return NULL;
  return out;
}

int
libcrun_make_error (libcrun_error_t *err, int errno_value, const char *fmt, ...)
{
  va_list ap;
  char *base;
  libcrun_error_t e;

  va_start (ap, fmt);
  base = vformat (fmt, ap);
  va_end (ap);

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    abort (); /* out of memory while reporting: nothing sane is left to do */
  e->status = errno_value;
  if (base && errno_value != 0)
    {
      if (asprintf (&e->msg, "%s: %s", base, strerror (errno_value)) < 0)
        e->msg = NULL;
      free (base);
    }
  else
    e->msg = base;
  if (e->msg == NULL)
    e->msg = strdup ("out of memory");

  if (err)
    {
      libcrun_error_release (err);
      *err = e;
    }
  else
    {
      free (e->msg);
      free (e);
    }
  return -1;
}

int
libcrun_error_wrap (libcrun_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *prefix, *joined = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  prefix = vformat (fmt, ap);
  va_end (ap);
  if (prefix == NULL)
    return -1;
  if (asprintf (&joined, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (prefix);
  return -1;
}

void
libcrun_error_release (libcrun_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
