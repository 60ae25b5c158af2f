/* Small helpers over yajl's generator, shared by the library and the front
 * end (state files, hook state, list/features/update output). */
#ifndef LIBCRUN_JSON_H
#define LIBCRUN_JSON_H

#include <stdbool.h>
#include <stddef.h>
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

/* How deep a JSON text may nest.  yajl builds its tree with an explicit
 * stack but frees it recursively, and the library walks it recursively too:
 * 300,000 levels overflowed the stack after the container existed.  OCI
 * documents nest about 8 levels. */
#define JSON_MAX_DEPTH 1000

/* true when the text nests deeper than JSON_MAX_DEPTH; *offset is then the
 * byte offset of the first bracket past the limit.  Every text handed to
 * yajl_tree_parse is checked first. */
bool json_too_deep (const char *json, size_t *offset);

#endif
