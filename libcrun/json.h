/* Small helpers over yajl's generator, shared by the library and the front
 * end (state files, hook state, list/features/update output). */
#ifndef LIBCRUN_JSON_H
#define LIBCRUN_JSON_H

#include <string.h>
#include <yajl/yajl_gen.h>

static inline void
json_string (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

/* "key": "value" (NULL is written as "") */
static inline void
json_kv_string (yajl_gen g, const char *key, const char *value)
{
  json_string (g, key);
  json_string (g, value ? value : "");
}

/* The generated text as a NUL-terminated string (owned by the caller);
 * frees the generator. */
char *json_gen_finish (yajl_gen g);

#endif
