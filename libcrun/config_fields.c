/* The config.json parser's state and typed readers (config_internal.h).
 *
 * The walk keeps the JSON path of the field being read ("mounts[2].options")
 * so that the first problem found can be reported with it:
 * "`config.json`: `process.user.uid`: expected a non-negative integer".
 *
 * A JSON null is treated as an absent field: some generators write null for
 * unset optional fields, and it carries no other meaning in the spec. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The JSON path being read                                                 */

void
cfg_parser_init (struct parser *p, const char *origin, libcrun_error_t *err)
{
  p->origin = origin ? origin : "config.json";
  p->err = err;
  p->cap = 128;
  p->len = 0;
  p->path = xmalloc (p->cap);
  p->path[0] = '\0';
}

void
cfg_parser_release (struct parser *p)
{
  free (p->path);
  p->path = NULL;
}

static void path_append (struct parser *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
path_append (struct parser *p, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start (ap, fmt);
  n = vsnprintf (p->path + p->len, p->cap - p->len, fmt, ap);
  va_end (ap);
  if (n < 0)
    abort ();
  if ((size_t)n >= p->cap - p->len)
    {
      p->cap = p->len + (size_t)n + 64;
      p->path = xrealloc (p->path, p->cap);
      va_start (ap, fmt);
      vsnprintf (p->path + p->len, p->cap - p->len, fmt, ap);
      va_end (ap);
    }
  p->len += (size_t)n;
}

/* A key that is not a plain identifier (annotation and sysctl names such as
 * "io.kubernetes.pod") is written as ["key"] so that the path stays
 * unambiguous. */
static bool
is_plain_key (const char *key)
{
  const char *c;
  if (*key == '\0')
    return false;
  for (c = key; *c; c++)
    if (!isalnum ((unsigned char)*c) && *c != '_')
      return false;
  return true;
}

size_t
cfg_enter_key (struct parser *p, const char *key)
{
  size_t mark = p->len;
  if (!is_plain_key (key))
    path_append (p, "[\"%s\"]", key);
  else if (p->len > 0)
    path_append (p, ".%s", key);
  else
    path_append (p, "%s", key);
  return mark;
}

size_t
cfg_enter_index (struct parser *p, size_t index)
{
  size_t mark = p->len;
  path_append (p, "[%zu]", index);
  return mark;
}

void
cfg_leave (struct parser *p, size_t mark)
{
  p->len = mark;
  p->path[mark] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Errors naming the path                                                   */

static char *vformat (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));

static char *
vformat (const char *fmt, va_list ap)
{
  char *what = NULL;
  if (vasprintf (&what, fmt, ap) < 0)
    abort ();
  return what;
}

static int
fail_with (struct parser *p, const char *what)
{
  if (p->len > 0)
    libcrun_make_error (p->err, 0, "`%s`: `%s`: %s", p->origin, p->path, what);
  else
    libcrun_make_error (p->err, 0, "`%s`: %s", p->origin, what);
  return -1;
}

int
cfg_fail (struct parser *p, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *what = NULL;

  va_start (ap, fmt);
  what = vformat (fmt, ap);
  va_end (ap);
  return fail_with (p, what);
}

int
cfg_fail_at (struct parser *p, const char *key, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *what = NULL;
  size_t mark;

  va_start (ap, fmt);
  what = vformat (fmt, ap);
  va_end (ap);
  mark = cfg_enter_key (p, key);
  fail_with (p, what);
  cfg_leave (p, mark);
  return -1;
}

int
cfg_fail_missing (struct parser *p, const char *key)
{
  return cfg_fail_at (p, key, "required field is missing");
}

/* ------------------------------------------------------------------------ */
/* Typed readers of one value at the current path                           */

yajl_val
cfg_field (yajl_val obj, const char *key)
{
  size_t i;
  yajl_val found = NULL;

  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  /* With duplicated keys the last one wins, as with most JSON readers. */
  for (i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      found = obj->u.object.values[i];
  if (found && YAJL_IS_NULL (found))
    return NULL;
  return found;
}

static int
read_string (struct parser *p, yajl_val v, char **out)
{
  if (!YAJL_IS_STRING (v))
    return cfg_fail (p, "expected a string");
  free (*out);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

int
cfg_read_bool (struct parser *p, yajl_val v, bool *out)
{
  if (YAJL_IS_TRUE (v))
    *out = true;
  else if (YAJL_IS_FALSE (v))
    *out = false;
  else
    return cfg_fail (p, "expected a boolean");
  return 0;
}

/* Integers are read from yajl's raw text rather than from its long long, so
 * that the whole uint64 range is available (rlimits use 2^64-1 for
 * "unlimited") and 1.0 or 1e3 are rejected instead of silently truncated. */
static bool
is_integer_text (const char *s)
{
  if (s == NULL)
    return false;
  if (*s == '-')
    s++;
  if (!isdigit ((unsigned char)*s))
    return false;
  while (isdigit ((unsigned char)*s))
    s++;
  return *s == '\0';
}

int
cfg_read_uint (struct parser *p, yajl_val v, uint64_t max, uint64_t *out)
{
  const char *s = YAJL_IS_NUMBER (v) ? v->u.number.r : NULL;
  unsigned long long n;

  if (!is_integer_text (s) || s[0] == '-')
    return cfg_fail (p, "expected a non-negative integer");
  errno = 0;
  n = strtoull (s, NULL, 10);
  if (errno == ERANGE || n > max)
    return cfg_fail (p, "value %s is out of range (at most %" PRIu64 ")", s, max);
  *out = (uint64_t)n;
  return 0;
}

int
cfg_read_int (struct parser *p, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  const char *s = YAJL_IS_NUMBER (v) ? v->u.number.r : NULL;
  long long n;

  if (!is_integer_text (s))
    return cfg_fail (p, "expected an integer");
  errno = 0;
  n = strtoll (s, NULL, 10);
  if (errno == ERANGE || n < min || n > max)
    return cfg_fail (p, "value %s is out of range (%" PRId64 " to %" PRId64 ")", s, min, max);
  *out = (int64_t)n;
  return 0;
}

static int
read_strv (struct parser *p, yajl_val v, char ***out)
{
  size_t i, n;
  char **vec;

  if (!YAJL_IS_ARRAY (v))
    return cfg_fail (p, "expected an array of strings");
  n = v->u.array.len;
  strv_free (*out);
  vec = *out = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    {
      yajl_val item = v->u.array.values[i];
      if (!YAJL_IS_STRING (item))
        {
          size_t mark = cfg_enter_index (p, i);
          cfg_fail (p, "expected a string");
          cfg_leave (p, mark);
          return -1;
        }
      vec[i] = xstrdup (YAJL_GET_STRING (item));
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Field readers: look key up in obj, check presence, read it at obj.key     */

/* The member obj.key for the readers below: *v is NULL when it is absent,
 * and the return value -1 when it is also required. */
static int
member (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *v)
{
  *v = cfg_field (obj, key);
  if (*v == NULL && required)
    return cfg_fail_missing (p, key);
  return 0;
}

int
cfg_get_string (struct parser *p, yajl_val obj, const char *key, bool required, char **out)
{
  yajl_val v;
  size_t mark;
  int ret = member (p, obj, key, required, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = cfg_enter_key (p, key);
  ret = read_string (p, v, out);
  cfg_leave (p, mark);
  return ret;
}

int
cfg_get_abs_path (struct parser *p, yajl_val obj, const char *key, bool required, char **out)
{
  int ret = cfg_get_string (p, obj, key, required, out);

  if (ret < 0 || *out == NULL || (*out)[0] == '/')
    return ret;
  return cfg_fail_at (p, key, "must be an absolute path");
}

int
cfg_get_bool (struct parser *p, yajl_val obj, const char *key, bool *out)
{
  yajl_val v;
  size_t mark;
  int ret = member (p, obj, key, false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = cfg_enter_key (p, key);
  ret = cfg_read_bool (p, v, out);
  cfg_leave (p, mark);
  return ret;
}

int
cfg_get_uint (struct parser *p, yajl_val obj, const char *key, bool required, uint64_t max,
              uint64_t *out, bool *present)
{
  yajl_val v;
  size_t mark;
  int ret = member (p, obj, key, required, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = cfg_enter_key (p, key);
  ret = cfg_read_uint (p, v, max, out);
  cfg_leave (p, mark);
  if (ret == 0 && present)
    *present = true;
  return ret;
}

int
cfg_get_int (struct parser *p, yajl_val obj, const char *key, bool required, int64_t min,
             int64_t max, int64_t *out, bool *present)
{
  yajl_val v;
  size_t mark;
  int ret = member (p, obj, key, required, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = cfg_enter_key (p, key);
  ret = cfg_read_int (p, v, min, max, out);
  cfg_leave (p, mark);
  if (ret == 0 && present)
    *present = true;
  return ret;
}

int
cfg_get_strv (struct parser *p, yajl_val obj, const char *key, bool required, char ***out)
{
  yajl_val v;
  size_t mark;
  int ret = member (p, obj, key, required, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = cfg_enter_key (p, key);
  ret = read_strv (p, v, out);
  cfg_leave (p, mark);
  return ret;
}

/* obj.key when it is an object (is_object) or an array, else an error. */
static int
get_container (struct parser *p, yajl_val obj, const char *key, bool required, bool is_object,
               yajl_val *out)
{
  yajl_val v;
  int ret = member (p, obj, key, required, &v);

  *out = NULL;
  if (ret < 0 || v == NULL)
    return ret;
  if (is_object ? !YAJL_IS_OBJECT (v) : !YAJL_IS_ARRAY (v))
    return cfg_fail_at (p, key, is_object ? "expected an object" : "expected an array");
  *out = v;
  return 0;
}

int
cfg_get_object (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  return get_container (p, obj, key, required, true, out);
}

int
cfg_get_array (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  return get_container (p, obj, key, required, false, out);
}

int
cfg_check_element_object (struct parser *p, yajl_val item)
{
  if (!YAJL_IS_OBJECT (item))
    return cfg_fail (p, "expected an object");
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Maps, names and arrays                                                   */

/* Entry i of a string map, the path at its key. */
static int
read_map_entry (struct parser *p, yajl_val map, size_t i, struct oci_kv *kv)
{
  const char *k = map->u.object.keys[i];
  yajl_val val = map->u.object.values[i];
  size_t j;

  if (*k == '\0')
    return cfg_fail (p, "keys must not be empty");
  if (!YAJL_IS_STRING (val))
    return cfg_fail (p, "expected a string");
  /* The spec requires unique keys; yajl keeps duplicates. */
  for (j = 0; j < i; j++)
    if (strcmp (kv[j].key, k) == 0)
      return cfg_fail (p, "duplicate key");
  kv[i].key = xstrdup (k);
  kv[i].value = xstrdup (YAJL_GET_STRING (val));
  return 0;
}

int
cfg_get_string_map (struct parser *p, yajl_val obj, const char *key, struct oci_kv **out,
                    size_t *n_out)
{
  yajl_val v;
  size_t i, mark, mark2;
  int ret = cfg_get_object (p, obj, key, false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  *n_out = v->u.object.len;
  *out = cfg_alloc_array (*n_out, sizeof (struct oci_kv));
  mark = cfg_enter_key (p, key);
  for (i = 0; i < *n_out && ret == 0; i++)
    {
      mark2 = cfg_enter_key (p, v->u.object.keys[i]);
      ret = read_map_entry (p, v, i, *out);
      cfg_leave (p, mark2);
    }
  cfg_leave (p, mark);
  return ret;
}

/* "a, b, c" from the names of the table. */
static char *
list_names (const struct named_value *names, size_t n)
{
  char *list = xstrdup (names[0].name);
  size_t i;

  for (i = 1; i < n; i++)
    {
      char *l = xasprintf ("%s, %s", list, names[i].name);
      free (list);
      list = l;
    }
  return list;
}

int
cfg_get_named (struct parser *p, yajl_val obj, const char *key, bool required,
               const struct named_value *names, size_t n, uint64_t *out, bool *present)
{
  cleanup_free char *s = NULL;
  cleanup_free char *list = NULL;
  size_t i;
  int ret = cfg_get_string (p, obj, key, required, &s);

  if (ret < 0 || s == NULL)
    return ret;
  for (i = 0; i < n; i++)
    if (strcmp (names[i].name, s) == 0)
      {
        *out = names[i].value;
        if (present)
          *present = true;
        return 0;
      }
  list = list_names (names, n);
  return cfg_fail_at (p, key, "unknown value `%s` (one of %s)", s, list);
}

int
cfg_get_named_flags (struct parser *p, yajl_val obj, const char *key,
                     const struct named_value *names, size_t n, uint64_t *out)
{
  cleanup_strv char **v = NULL;
  size_t i, k, mark, mark2;
  int ret = cfg_get_strv (p, obj, key, false, &v);

  *out = 0;
  for (i = 0; ret == 0 && v && v[i]; i++)
    {
      for (k = 0; k < n && strcmp (names[k].name, v[i]) != 0; k++)
        ;
      if (k < n)
        {
          *out |= names[k].value;
          continue;
        }
      mark = cfg_enter_key (p, key);
      mark2 = cfg_enter_index (p, i);
      ret = cfg_fail (p, "unknown flag `%s`", v[i]);
      cfg_leave (p, mark2);
      cfg_leave (p, mark);
    }
  return ret;
}

void *
cfg_alloc_array (size_t n, size_t size)
{
  return xmalloc0 ((n ? n : 1) * size);
}

int
cfg_parse_elements (struct parser *p, yajl_val v, const char *key, void *array, cfg_element_fn fn)
{
  size_t i, mark, mark2;
  int ret = 0;

  mark = cfg_enter_key (p, key);
  for (i = 0; i < v->u.array.len && ret == 0; i++)
    {
      yajl_val item = v->u.array.values[i];

      mark2 = cfg_enter_index (p, i);
      ret = cfg_check_element_object (p, item);
      if (ret == 0)
        ret = fn (p, item, array, i);
      cfg_leave (p, mark2);
    }
  cfg_leave (p, mark);
  return ret;
}
