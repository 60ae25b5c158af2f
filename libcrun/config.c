/* Parser of the OCI runtime configuration (config.json, runtime spec 1.2,
 * Linux part) into the typed structures of config.h.
 *
 * The document is parsed with yajl's tree API and then walked field by field.
 * The walk keeps the JSON path of the field being read ("mounts[2].options")
 * so that the first problem found can be reported with it.  Every structure is
 * zero-allocated and its element count set before its elements are filled, so
 * that libcrun_config_free() can release a half-built configuration: on error
 * the entry points simply free what they have and return.
 *
 * A JSON null is treated as an absent field: some generators write null for
 * unset optional fields, and it carries no other meaning in the spec. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config.h"
#include "json.h"
#include "security.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <yajl/yajl_parse.h>

/* Older C libraries do not define the newest namespace flags. */
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ------------------------------------------------------------------------ */
/* Name tables                                                              */

static const struct
{
  const char *name;
  int type;
} namespace_names[] = {
  { "pid", CLONE_NEWPID },       { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

int
oci_namespace_type_from_name (const char *name)
{
  size_t i;
  if (name == NULL)
    return -1;
  for (i = 0; i < sizeof (namespace_names) / sizeof (namespace_names[0]); i++)
    if (strcmp (namespace_names[i].name, name) == 0)
      return namespace_names[i].type;
  return -1;
}

const char *
oci_namespace_type_name (int type)
{
  size_t i;
  for (i = 0; i < sizeof (namespace_names) / sizeof (namespace_names[0]); i++)
    if (namespace_names[i].type == type)
      return namespace_names[i].name;
  return NULL;
}

static const char *const hook_stage_names[OCI_HOOK_STAGES] = {
  [OCI_HOOK_PRESTART] = "prestart",
  [OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
  [OCI_HOOK_CREATE_CONTAINER] = "createContainer",
  [OCI_HOOK_START_CONTAINER] = "startContainer",
  [OCI_HOOK_POSTSTART] = "poststart",
  [OCI_HOOK_POSTSTOP] = "poststop",
};

const char *
oci_hook_stage_name (enum oci_hook_stage stage)
{
  if ((int)stage < 0 || stage >= OCI_HOOK_STAGES)
    return NULL;
  return hook_stage_names[stage];
}

/* rlimit names are resolved by libcrun_rlimit_from_name (security.c). */

/* ------------------------------------------------------------------------ */
/* Parser state: origin, error slot and the JSON path being read            */

struct parser
{
  const char *origin;
  libcrun_error_t *err;
  char *path; /* "process.user.uid"; "" at the top level */
  size_t len;
  size_t cap;
};

static void
parser_init (struct parser *p, const char *origin, libcrun_error_t *err)
{
  p->origin = origin ? origin : "config.json";
  p->err = err;
  p->cap = 128;
  p->len = 0;
  p->path = xmalloc (p->cap);
  p->path[0] = '\0';
}

static void
parser_release (struct parser *p)
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

/* Enter a child; the return value is the mark to give back to path_leave. */
static size_t
path_enter_key (struct parser *p, const char *key)
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

static size_t
path_enter_index (struct parser *p, size_t index)
{
  size_t mark = p->len;
  path_append (p, "[%zu]", index);
  return mark;
}

static void
path_leave (struct parser *p, size_t mark)
{
  p->len = mark;
  p->path[mark] = '\0';
}

/* Report a problem with the field at the current path.  Returns -1. */
static int fail (struct parser *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
fail (struct parser *p, const char *fmt, ...)
{
  va_list ap;
  char *what = NULL;

  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (p->len > 0)
    libcrun_make_error (p->err, 0, "`%s`: `%s`: %s", p->origin, p->path, what);
  else
    libcrun_make_error (p->err, 0, "`%s`: %s", p->origin, what);
  free (what);
  return -1;
}

/* fail() about the member `key` of the current object. */
static int fail_at (struct parser *p, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
fail_at (struct parser *p, const char *key, const char *fmt, ...)
{
  va_list ap;
  char *what = NULL;
  size_t mark;

  va_start (ap, fmt);
  if (vasprintf (&what, fmt, ap) < 0)
    abort ();
  va_end (ap);
  mark = path_enter_key (p, key);
  fail (p, "%s", what);
  path_leave (p, mark);
  free (what);
  return -1;
}

static int
fail_missing (struct parser *p, const char *key)
{
  size_t mark = path_enter_key (p, key);
  fail (p, "required field is missing");
  path_leave (p, mark);
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Typed readers of one value at the current path                           */

/* The value of key in obj, or NULL when absent (or null, see the top). */
static yajl_val
field (yajl_val obj, const char *key)
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
    return fail (p, "expected a string");
  free (*out);
  *out = xstrdup (YAJL_GET_STRING (v));
  return 0;
}

static int
read_bool (struct parser *p, yajl_val v, bool *out)
{
  if (YAJL_IS_TRUE (v))
    *out = true;
  else if (YAJL_IS_FALSE (v))
    *out = false;
  else
    return fail (p, "expected a boolean");
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

static int
read_uint (struct parser *p, yajl_val v, uint64_t max, uint64_t *out)
{
  const char *s = YAJL_IS_NUMBER (v) ? v->u.number.r : NULL;
  unsigned long long n;

  if (!is_integer_text (s) || s[0] == '-')
    return fail (p, "expected a non-negative integer");
  errno = 0;
  n = strtoull (s, NULL, 10);
  if (errno == ERANGE || n > max)
    return fail (p, "value %s is out of range (at most %" PRIu64 ")", s, max);
  *out = (uint64_t)n;
  return 0;
}

static int
read_int (struct parser *p, yajl_val v, int64_t min, int64_t max, int64_t *out)
{
  const char *s = YAJL_IS_NUMBER (v) ? v->u.number.r : NULL;
  long long n;

  if (!is_integer_text (s))
    return fail (p, "expected an integer");
  errno = 0;
  n = strtoll (s, NULL, 10);
  if (errno == ERANGE || n < min || n > max)
    return fail (p, "value %s is out of range (%" PRId64 " to %" PRId64 ")", s, min, max);
  *out = (int64_t)n;
  return 0;
}

/* Array of strings into a NULL-terminated vector (empty array: empty vector,
 * so that "present but empty" stays distinguishable from "absent"). */
static int
read_strv (struct parser *p, yajl_val v, char ***out)
{
  size_t i, n;
  char **vec;

  if (!YAJL_IS_ARRAY (v))
    return fail (p, "expected an array of strings");
  n = v->u.array.len;
  strv_free (*out);
  vec = *out = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    {
      yajl_val item = v->u.array.values[i];
      if (!YAJL_IS_STRING (item))
        {
          size_t mark = path_enter_index (p, i);
          fail (p, "expected a string");
          path_leave (p, mark);
          return -1;
        }
      vec[i] = xstrdup (YAJL_GET_STRING (item));
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Field readers: look key up in obj, check presence, read it at obj.key     */

static int
get_string (struct parser *p, yajl_val obj, const char *key, bool required, char **out)
{
  yajl_val v = field (obj, key);
  size_t mark;
  int ret;

  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  mark = path_enter_key (p, key);
  ret = read_string (p, v, out);
  path_leave (p, mark);
  return ret;
}

/* A string that must be an absolute path. */
static int
get_abs_path (struct parser *p, yajl_val obj, const char *key, bool required, char **out)
{
  size_t mark;
  int ret = get_string (p, obj, key, required, out);

  if (ret < 0 || *out == NULL || (*out)[0] == '/')
    return ret;
  mark = path_enter_key (p, key);
  fail (p, "must be an absolute path");
  path_leave (p, mark);
  return -1;
}

static int
get_bool (struct parser *p, yajl_val obj, const char *key, bool *out)
{
  yajl_val v = field (obj, key);
  size_t mark;
  int ret;

  if (v == NULL)
    return 0;
  mark = path_enter_key (p, key);
  ret = read_bool (p, v, out);
  path_leave (p, mark);
  return ret;
}

/* *present (may be NULL) tells whether the field was there. */
static int
get_uint (struct parser *p, yajl_val obj, const char *key, bool required, uint64_t max,
          uint64_t *out, bool *present)
{
  yajl_val v = field (obj, key);
  size_t mark;
  int ret;

  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  mark = path_enter_key (p, key);
  ret = read_uint (p, v, max, out);
  path_leave (p, mark);
  if (ret == 0 && present)
    *present = true;
  return ret;
}

static int
get_int (struct parser *p, yajl_val obj, const char *key, bool required, int64_t min, int64_t max,
         int64_t *out, bool *present)
{
  yajl_val v = field (obj, key);
  size_t mark;
  int ret;

  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  mark = path_enter_key (p, key);
  ret = read_int (p, v, min, max, out);
  path_leave (p, mark);
  if (ret == 0 && present)
    *present = true;
  return ret;
}

static int
get_strv (struct parser *p, yajl_val obj, const char *key, bool required, char ***out)
{
  yajl_val v = field (obj, key);
  size_t mark;
  int ret;

  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  mark = path_enter_key (p, key);
  ret = read_strv (p, v, out);
  path_leave (p, mark);
  return ret;
}

/* *out is the object, or NULL when absent. */
static int
get_object (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  yajl_val v = field (obj, key);
  size_t mark;

  *out = NULL;
  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  if (!YAJL_IS_OBJECT (v))
    {
      mark = path_enter_key (p, key);
      fail (p, "expected an object");
      path_leave (p, mark);
      return -1;
    }
  *out = v;
  return 0;
}

/* *out is the array, or NULL when absent. */
static int
get_array (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out)
{
  yajl_val v = field (obj, key);
  size_t mark;

  *out = NULL;
  if (v == NULL)
    return required ? fail_missing (p, key) : 0;
  if (!YAJL_IS_ARRAY (v))
    {
      mark = path_enter_key (p, key);
      fail (p, "expected an array");
      path_leave (p, mark);
      return -1;
    }
  *out = v;
  return 0;
}

/* Check that element i of an array is an object; the path is at the array. */
static int
check_element_object (struct parser *p, yajl_val item)
{
  if (!YAJL_IS_OBJECT (item))
    return fail (p, "expected an object");
  return 0;
}

/* Object of strings (annotations, sysctl) into key/value pairs. */
static int
get_string_map (struct parser *p, yajl_val obj, const char *key, struct oci_kv **out, size_t *n_out)
{
  yajl_val v;
  size_t i, j, n, mark, mark2;
  int ret = get_object (p, obj, key, false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  n = v->u.object.len;
  *out = xmalloc0 ((n ? n : 1) * sizeof (struct oci_kv));
  *n_out = n;
  mark = path_enter_key (p, key);
  for (i = 0; i < n; i++)
    {
      const char *k = v->u.object.keys[i];
      yajl_val val = v->u.object.values[i];

      mark2 = path_enter_key (p, k);
      if (*k == '\0')
        ret = fail (p, "keys must not be empty");
      else if (!YAJL_IS_STRING (val))
        ret = fail (p, "expected a string");
      /* The spec requires unique keys; yajl keeps duplicates. */
      for (j = 0; ret == 0 && j < i; j++)
        if (strcmp ((*out)[j].key, k) == 0)
          ret = fail (p, "duplicate key");
      path_leave (p, mark2);
      if (ret < 0)
        break;
      (*out)[i].key = xstrdup (k);
      (*out)[i].value = xstrdup (YAJL_GET_STRING (val));
    }
  path_leave (p, mark);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* process                                                                  */

static int
parse_user (struct parser *p, yajl_val obj, struct oci_user *u)
{
  uint64_t n = 0;
  bool has = false;
  yajl_val gids;
  size_t i, mark, mark2;
  int ret;

  /* (uid_t) -1 means "leave unchanged" to setresuid(): as a container user
   * it would silently keep the runtime's identity, so it is out of range. */
  ret = get_uint (p, obj, "uid", true, UINT32_MAX - 1, &n, NULL);
  if (ret < 0)
    return ret;
  u->uid = (uid_t)n;
  ret = get_uint (p, obj, "gid", true, UINT32_MAX - 1, &n, NULL);
  if (ret < 0)
    return ret;
  u->gid = (gid_t)n;
  /* umask(2) only looks at the permission bits. */
  ret = get_uint (p, obj, "umask", false, 0777, &n, &has);
  if (ret < 0)
    return ret;
  u->has_umask = has;
  u->umask = (mode_t)n;

  ret = get_array (p, obj, "additionalGids", false, &gids);
  if (ret < 0)
    return ret;
  if (gids)
    {
      u->n_additional_gids = gids->u.array.len;
      u->additional_gids
          = xmalloc0 ((u->n_additional_gids ? u->n_additional_gids : 1) * sizeof (gid_t));
      mark = path_enter_key (p, "additionalGids");
      for (i = 0; i < gids->u.array.len && ret == 0; i++)
        {
          mark2 = path_enter_index (p, i);
          ret = read_uint (p, gids->u.array.values[i], UINT32_MAX - 1, &n);
          path_leave (p, mark2);
          u->additional_gids[i] = (gid_t)n;
        }
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }
  return get_string (p, obj, "username", false, &u->username);
}

static int
parse_capabilities (struct parser *p, yajl_val obj, struct oci_capabilities *c)
{
  int ret;

  ret = get_strv (p, obj, "bounding", false, &c->bounding);
  if (ret == 0)
    ret = get_strv (p, obj, "effective", false, &c->effective);
  if (ret == 0)
    ret = get_strv (p, obj, "inheritable", false, &c->inheritable);
  if (ret == 0)
    ret = get_strv (p, obj, "permitted", false, &c->permitted);
  if (ret == 0)
    ret = get_strv (p, obj, "ambient", false, &c->ambient);
  return ret;
}

static int
parse_rlimit (struct parser *p, yajl_val obj, struct oci_rlimit *r, const struct oci_rlimit *prev,
              size_t n_prev)
{
  size_t i, mark;
  int ret;

  ret = get_string (p, obj, "type", true, &r->type);
  if (ret < 0)
    return ret;
  r->resource = libcrun_rlimit_from_name (r->type);
  mark = path_enter_key (p, "type");
  if (r->resource < 0)
    ret = fail (p, "unknown rlimit `%s`", r->type);
  /* The spec requires an error for a type given twice. */
  for (i = 0; ret == 0 && i < n_prev; i++)
    if (prev[i].resource == r->resource)
      ret = fail (p, "duplicate rlimit `%s`", r->type);
  path_leave (p, mark);
  if (ret < 0)
    return ret;

  ret = get_uint (p, obj, "hard", true, UINT64_MAX, &r->hard, NULL);
  if (ret == 0)
    ret = get_uint (p, obj, "soft", true, UINT64_MAX, &r->soft, NULL);
  if (ret == 0 && r->soft > r->hard)
    {
      /* setrlimit(2) would refuse it with EINVAL in the container. */
      ret = fail_at (p, "soft", "must not be greater than hard (%" PRIu64 ")", r->hard);
    }
  return ret;
}

/* Parse a process object; the path is at the object itself. */
/* ------------------------------------------------------------------------ */
/* process.scheduler, process.ioPriority, linux.memoryPolicy                 */

struct named_value
{
  const char *name;
  uint64_t value;
};

/* The value of the string at obj.key among `names`; the error lists them. */
static int
get_named (struct parser *p, yajl_val obj, const char *key, bool required,
           const struct named_value *names, size_t n, uint64_t *out, bool *present)
{
  cleanup_free char *s = NULL;
  size_t i, mark;
  int ret = get_string (p, obj, key, required, &s);

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
  mark = path_enter_key (p, key);
  {
    cleanup_free char *list = xstrdup (names[0].name);
    for (i = 1; i < n; i++)
      {
        char *l = xasprintf ("%s, %s", list, names[i].name);
        free (list);
        list = l;
      }
    ret = fail (p, "unknown value `%s` (one of %s)", s, list);
  }
  path_leave (p, mark);
  return ret;
}

/* An array of names from `names`, OR-ed. */
static int
get_named_flags (struct parser *p, yajl_val obj, const char *key, const struct named_value *names,
                 size_t n, uint64_t *out)
{
  cleanup_strv char **v = NULL;
  size_t i, k, mark;
  int ret = get_strv (p, obj, key, false, &v);

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
      mark = path_enter_key (p, key);
      {
        size_t mark2 = path_enter_index (p, i);
        ret = fail (p, "unknown flag `%s`", v[i]);
        path_leave (p, mark2);
      }
      path_leave (p, mark);
    }
  return ret;
}

static const struct named_value sched_policies[]
    = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
        { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } };
static const struct named_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

/* A sysctl of the deadline scheduler in microseconds, or `dflt`. */
static uint64_t
dl_sysctl_us (const char *name, uint64_t dflt)
{
  cleanup_free char *path = xasprintf ("/proc/sys/kernel/%s", name);
  char buf[32] = { 0 };
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return dflt;
  return strtoull (buf, NULL, 10);
}

/* What sched_setattr would refuse for SCHED_DEADLINE (kernel
 * __checkparam_dl): said before the container starts, naming the field. */
static int
check_deadline (struct parser *p, const struct oci_scheduler *s)
{
  uint64_t period = s->period ? s->period : s->deadline;
  uint64_t min_ns = dl_sysctl_us ("sched_deadline_period_min_us", 100) * 1000;
  uint64_t max_ns = dl_sysctl_us ("sched_deadline_period_max_us", 4194304) * 1000;
  const char *key = NULL, *why = NULL;

  if (s->deadline == 0)
    key = "deadline", why = "must be set (non-zero) for SCHED_DEADLINE";
  else if (s->runtime < 1024)
    key = "runtime", why = "must be at least 1024 (ns) for SCHED_DEADLINE";
  else if (s->runtime > s->deadline)
    key = "runtime", why = "must not exceed deadline (runtime <= deadline <= period)";
  else if (s->period && s->period < s->deadline)
    key = "period", why = "must not be below deadline (runtime <= deadline <= period)";
  else if ((s->deadline | s->period) >> 63)
    key = s->deadline >> 63 ? "deadline" : "period", why = "must be below 2^63";
  else if (period < min_ns || period > max_ns)
    key = s->period ? "period" : "deadline",
    why = "outside the kernel's sched_deadline_period_min_us .. sched_deadline_period_max_us";
  if (key == NULL)
    return 0;
  return fail_at (p, key, "%s", why);
}

static int
parse_scheduler (struct parser *p, yajl_val obj, struct oci_scheduler *s)
{
  uint64_t v = 0;
  int64_t sn = 0;
  int ret = get_named (p, obj, "policy", true, sched_policies,
                       sizeof (sched_policies) / sizeof (sched_policies[0]), &v, NULL);

  s->policy = (unsigned int)v;
  if (ret == 0 && s->policy == 4)
    ret = fail_at (p, "policy", "SCHED_ISO is not implemented by Linux");
  if (ret == 0)
    ret = get_int (p, obj, "nice", false, -20, 19, &sn, NULL);
  s->nice = (int)sn;
  sn = 0;
  if (ret == 0)
    ret = get_int (p, obj, "priority", false, 0, 99, &sn, NULL);
  s->priority = (unsigned int)sn;
  if (ret == 0)
    ret = get_named_flags (p, obj, "flags", sched_flags,
                           sizeof (sched_flags) / sizeof (sched_flags[0]), &s->flags);
  if (ret == 0)
    ret = get_uint (p, obj, "runtime", false, UINT64_MAX, &s->runtime, NULL);
  if (ret == 0)
    ret = get_uint (p, obj, "deadline", false, UINT64_MAX, &s->deadline, NULL);
  if (ret == 0)
    ret = get_uint (p, obj, "period", false, UINT64_MAX, &s->period, NULL);
  if (ret < 0)
    return ret;
  /* sched_setattr: FIFO and RR take a priority of 1..99, the others 0 */
  if ((s->policy == 1 || s->policy == 2) != (s->priority != 0))
    return fail_at (p, "priority", "%s",
                    s->priority ? "must be 0 unless the policy is SCHED_FIFO or SCHED_RR"
                                : "must be 1..99 for SCHED_FIFO and SCHED_RR");
  if (s->policy == 6)
    return check_deadline (p, s);
  return 0;
}

static const struct named_value io_classes[]
    = { { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 } };

static int
parse_io_priority (struct parser *p, yajl_val obj, struct oci_io_priority *io)
{
  uint64_t v = 0;
  int64_t sn = 0;
  int ret = get_named (p, obj, "class", true, io_classes,
                       sizeof (io_classes) / sizeof (io_classes[0]), &v, NULL);

  io->ioclass = (int)v;
  if (ret == 0)
    ret = get_int (p, obj, "priority", false, 0, 7, &sn, NULL);
  io->priority = (int)sn;
  return ret;
}

static const struct named_value mpol_modes[] = {
  { "MPOL_DEFAULT", 0 },
  { "MPOL_PREFERRED", 1 },
  { "MPOL_BIND", 2 },
  { "MPOL_INTERLEAVE", 3 },
  { "MPOL_LOCAL", 4 },
  { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 },
};
#define MPOL_F_NUMA_BALANCING_ (1u << 13)
#define MPOL_F_RELATIVE_NODES_ (1u << 14)
#define MPOL_F_STATIC_NODES_ (1u << 15)
static const struct named_value mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING_ },
  { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES_ },
  { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES_ },
};

/* "0-3,7" into the bitmap; false on a malformed list or a node >= 1024. */
static bool
parse_node_list (const char *s, unsigned long *bits)
{
  const size_t w = 8 * sizeof (unsigned long);

  while (*s)
    {
      char *end;
      unsigned long a, b, i;

      if (*s < '0' || *s > '9')
        return false;
      a = strtoul (s, &end, 10);
      b = a;
      if (*end == '-')
        {
          if (end[1] < '0' || end[1] > '9')
            return false;
          b = strtoul (end + 1, &end, 10);
        }
      if (a > b || b >= OCI_MAX_NUMA_NODES || (*end != ',' && *end != '\0'))
        return false;
      for (i = a; i <= b; i++)
        bits[i / w] |= 1UL << (i % w);
      s = *end == ',' ? end + 1 : end;
      if (*end == ',' && *s == '\0')
        return false;
    }
  return true;
}

/* What set_mempolicy would refuse (mm/mempolicy.c: mpol_new and the flag
 * checks), said before the container starts. */
static const char *
memory_policy_problem (const struct oci_memory_policy *m, const char **key)
{
  unsigned int f = m->flags;
  bool nodal = f & (MPOL_F_STATIC_NODES_ | MPOL_F_RELATIVE_NODES_);

  *key = "flags";
  if ((f & MPOL_F_STATIC_NODES_) && (f & MPOL_F_RELATIVE_NODES_))
    return "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other";
  if ((f & MPOL_F_NUMA_BALANCING_) && m->mode != 2 && m->mode != 5)
    return "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY";
  switch (m->mode)
    {
    case 0: /* MPOL_DEFAULT */
      *key = "nodes";
      return m->has_nodes ? "must be empty with MPOL_DEFAULT" : NULL;
    case 4: /* MPOL_LOCAL */
      if (nodal)
        return "MPOL_LOCAL takes no node flags";
      *key = "nodes";
      return m->has_nodes ? "must be empty with MPOL_LOCAL" : NULL;
    case 1: /* MPOL_PREFERRED: no nodes means local allocation */
      return !m->has_nodes && nodal ? "node flags need nodes with MPOL_PREFERRED" : NULL;
    default:
      *key = "nodes";
      return m->has_nodes ? NULL : "required with this mode";
    }
}

static int
parse_memory_policy (struct parser *p, yajl_val obj, struct oci_memory_policy *m)
{
  cleanup_free char *nodes = NULL;
  uint64_t v = 0;
  const char *key, *why;
  size_t i;
  int ret = get_named (p, obj, "mode", true, mpol_modes,
                       sizeof (mpol_modes) / sizeof (mpol_modes[0]), &v, NULL);

  m->mode = (int)v;
  if (ret == 0)
    ret = get_named_flags (p, obj, "flags", mpol_flags,
                           sizeof (mpol_flags) / sizeof (mpol_flags[0]), &v);
  m->flags = (unsigned int)v;
  if (ret == 0)
    ret = get_string (p, obj, "nodes", false, &nodes);
  if (ret < 0)
    return ret;
  if (nodes && nodes[0])
    {
      if (!parse_node_list (nodes, m->nodes))
        {
          return fail_at (p, "nodes",
                          "`%s`: expected node numbers and ranges such as 0-3,7, below %d", nodes,
                          OCI_MAX_NUMA_NODES);
        }
      for (i = 0; i < sizeof (m->nodes) / sizeof (m->nodes[0]); i++)
        m->has_nodes |= m->nodes[i] != 0;
    }
  why = memory_policy_problem (m, &key);
  if (why == NULL)
    return 0;
  return fail_at (p, key, "%s", why);
}

/* obj.key parsed into a new *out by fn, or *out left NULL when absent. */
#define PARSE_OPTIONAL_OBJECT(p, obj, key, out, fn)                                                \
  ({                                                                                               \
    yajl_val v_ = NULL;                                                                            \
    int r_ = get_object ((p), (obj), (key), false, &v_);                                           \
    if (r_ == 0 && v_)                                                                             \
      {                                                                                            \
        size_t m_ = path_enter_key ((p), (key));                                                   \
        *(out) = xmalloc0 (sizeof (**(out)));                                                      \
        r_ = fn ((p), v_, *(out));                                                                 \
        path_leave ((p), m_);                                                                      \
      }                                                                                            \
    r_;                                                                                            \
  })

static int
parse_process (struct parser *p, yajl_val obj, struct oci_process *proc)
{
  yajl_val v;
  size_t i, mark, mark2;
  uint64_t n = 0;
  int64_t sn = 0;
  bool has = false;
  int ret;

  ret = get_bool (p, obj, "terminal", &proc->terminal);
  if (ret < 0)
    return ret;

  ret = get_object (p, obj, "consoleSize", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      mark = path_enter_key (p, "consoleSize");
      ret = get_uint (p, v, "height", true, UINT_MAX, &n, NULL);
      proc->console_height = (unsigned int)n;
      if (ret == 0)
        ret = get_uint (p, v, "width", true, UINT_MAX, &n, NULL);
      proc->console_width = (unsigned int)n;
      path_leave (p, mark);
      if (ret < 0)
        return ret;
      proc->has_console_size = true;
    }

  ret = get_object (p, obj, "user", true, &v);
  if (ret < 0)
    return ret;
  mark = path_enter_key (p, "user");
  ret = parse_user (p, v, &proc->user);
  path_leave (p, mark);
  if (ret < 0)
    return ret;

  ret = get_strv (p, obj, "args", true, &proc->args);
  if (ret < 0)
    return ret;
  if (proc->args[0] == NULL)
    {
      mark = path_enter_key (p, "args");
      fail (p, "must not be empty");
      path_leave (p, mark);
      return -1;
    }

  ret = get_strv (p, obj, "env", false, &proc->env);
  if (ret == 0)
    ret = get_abs_path (p, obj, "cwd", true, &proc->cwd);
  if (ret < 0)
    return ret;

  ret = get_object (p, obj, "capabilities", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      proc->capabilities = xmalloc0 (sizeof (*proc->capabilities));
      mark = path_enter_key (p, "capabilities");
      ret = parse_capabilities (p, v, proc->capabilities);
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }

  ret = get_array (p, obj, "rlimits", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      proc->n_rlimits = v->u.array.len;
      proc->rlimits
          = xmalloc0 ((proc->n_rlimits ? proc->n_rlimits : 1) * sizeof (struct oci_rlimit));
      mark = path_enter_key (p, "rlimits");
      for (i = 0; i < proc->n_rlimits && ret == 0; i++)
        {
          yajl_val item = v->u.array.values[i];
          mark2 = path_enter_index (p, i);
          ret = check_element_object (p, item);
          if (ret == 0)
            ret = parse_rlimit (p, item, &proc->rlimits[i], proc->rlimits, i);
          path_leave (p, mark2);
        }
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }

  ret = get_bool (p, obj, "noNewPrivileges", &proc->no_new_privileges);
  if (ret < 0)
    return ret;
  /* The range /proc/PID/oom_score_adj accepts. */
  ret = get_int (p, obj, "oomScoreAdj", false, -1000, 1000, &sn, &has);
  if (ret < 0)
    return ret;
  proc->has_oom_score_adj = has;
  proc->oom_score_adj = (int)sn;

  ret = get_string (p, obj, "apparmorProfile", false, &proc->apparmor_profile);
  if (ret == 0)
    ret = get_string (p, obj, "selinuxLabel", false, &proc->selinux_label);
  if (ret == 0)
    ret = PARSE_OPTIONAL_OBJECT (p, obj, "scheduler", &proc->scheduler, parse_scheduler);
  if (ret == 0)
    ret = PARSE_OPTIONAL_OBJECT (p, obj, "ioPriority", &proc->io_priority, parse_io_priority);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* root, mounts, hooks                                                      */

static int
parse_root (struct parser *p, yajl_val root, struct oci_config *c)
{
  size_t mark = path_enter_key (p, "root");
  int ret = get_string (p, root, "path", true, &c->root_path);

  if (ret == 0 && c->root_path[0] == '\0')
    {
      size_t mark2 = path_enter_key (p, "path");
      ret = fail (p, "must not be empty");
      path_leave (p, mark2);
    }
  if (ret == 0)
    ret = get_bool (p, root, "readonly", &c->root_readonly);
  path_leave (p, mark);
  return ret;
}

static int parse_id_mappings (struct parser *p, yajl_val obj, const char *key,
                              struct oci_id_mapping **out, size_t *n_out);

static int
parse_mount (struct parser *p, yajl_val obj, struct oci_mount *m)
{
  int ret = get_abs_path (p, obj, "destination", true, &m->destination);

  if (ret == 0)
    ret = get_string (p, obj, "type", false, &m->type);
  if (ret == 0)
    ret = get_string (p, obj, "source", false, &m->source);
  if (ret == 0)
    ret = get_strv (p, obj, "options", false, &m->options);
  if (ret == 0)
    ret = parse_id_mappings (p, obj, "uidMappings", &m->uid_mappings, &m->n_uid_mappings);
  if (ret == 0)
    ret = parse_id_mappings (p, obj, "gidMappings", &m->gid_mappings, &m->n_gid_mappings);
  if (ret == 0 && (m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
    ret = fail (p, "uidMappings and gidMappings go together (an idmapped mount needs both)");
  return ret;
}

static int
parse_mounts (struct parser *p, yajl_val top, struct oci_config *c)
{
  yajl_val v;
  size_t i, mark, mark2;
  int ret = get_array (p, top, "mounts", false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  c->n_mounts = v->u.array.len;
  c->mounts = xmalloc0 ((c->n_mounts ? c->n_mounts : 1) * sizeof (struct oci_mount));
  mark = path_enter_key (p, "mounts");
  for (i = 0; i < c->n_mounts && ret == 0; i++)
    {
      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, v->u.array.values[i]);
      if (ret == 0)
        ret = parse_mount (p, v->u.array.values[i], &c->mounts[i]);
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_hook (struct parser *p, yajl_val obj, struct oci_hook *h)
{
  int64_t t = 0;
  int ret;

  /* The spec extends execv's path: it MUST be absolute. */
  ret = get_abs_path (p, obj, "path", true, &h->path);
  if (ret == 0)
    ret = get_strv (p, obj, "args", false, &h->args);
  if (ret == 0)
    ret = get_strv (p, obj, "env", false, &h->env);
  if (ret == 0)
    ret = get_int (p, obj, "timeout", false, INT64_MIN, INT64_MAX, &t, &h->has_timeout);
  if (ret == 0 && h->has_timeout)
    {
      size_t mark = path_enter_key (p, "timeout");
      if (t <= 0)
        ret = fail (p, "must be greater than zero");
      else if (t > INT_MAX)
        ret = fail (p, "value %" PRId64 " is out of range (at most %d)", t, INT_MAX);
      path_leave (p, mark);
      h->timeout = (int)t;
    }
  return ret;
}

static int
parse_hooks (struct parser *p, yajl_val top, struct oci_config *c)
{
  yajl_val hooks, v;
  size_t i, mark, mark2, mark3;
  int stage;
  int ret = get_object (p, top, "hooks", false, &hooks);

  if (ret < 0 || hooks == NULL)
    return ret;
  mark = path_enter_key (p, "hooks");
  for (stage = 0; stage < OCI_HOOK_STAGES && ret == 0; stage++)
    {
      const char *name = hook_stage_names[stage];

      ret = get_array (p, hooks, name, false, &v);
      if (ret < 0 || v == NULL)
        continue;
      c->n_hooks[stage] = v->u.array.len;
      c->hooks[stage] = xmalloc0 ((v->u.array.len ? v->u.array.len : 1) * sizeof (struct oci_hook));
      mark2 = path_enter_key (p, name);
      for (i = 0; i < v->u.array.len && ret == 0; i++)
        {
          mark3 = path_enter_index (p, i);
          ret = check_element_object (p, v->u.array.values[i]);
          if (ret == 0)
            ret = parse_hook (p, v->u.array.values[i], &c->hooks[stage][i]);
          path_leave (p, mark3);
        }
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* linux.resources: checked against a small schema and kept as a tree      */

enum res_kind
{
  RES_STRING,
  RES_BOOL,
  RES_INT,         /* int64 */
  RES_UINT,        /* uint64 */
  RES_OBJECT,      /* sub: the object's fields */
  RES_OBJECT_LIST, /* array of objects, sub: their fields */
  RES_OBJECT_MAP,  /* object whose values are objects, sub: their fields */
  RES_STRING_MAP,  /* object of strings */
};

struct res_field
{
  const char *key;
  enum res_kind kind;
  const struct res_field *sub;
  bool required;
};

static const struct res_field res_device[] = {
  { "allow", RES_BOOL, NULL, true },     { "type", RES_STRING, NULL, false },
  { "major", RES_INT, NULL, false },     { "minor", RES_INT, NULL, false },
  { "access", RES_STRING, NULL, false }, { NULL, 0, NULL, false },
};

static const struct res_field res_memory[] = {
  { "limit", RES_INT, NULL, false },
  { "reservation", RES_INT, NULL, false },
  { "swap", RES_INT, NULL, false },
  { "kernel", RES_INT, NULL, false },
  { "kernelTCP", RES_INT, NULL, false },
  { "swappiness", RES_UINT, NULL, false },
  { "disableOOMKiller", RES_BOOL, NULL, false },
  { "useHierarchy", RES_BOOL, NULL, false },
  { "checkBeforeUpdate", RES_BOOL, NULL, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_cpu[] = {
  { "shares", RES_UINT, NULL, false },
  { "quota", RES_INT, NULL, false },
  { "burst", RES_UINT, NULL, false },
  { "period", RES_UINT, NULL, false },
  { "realtimeRuntime", RES_INT, NULL, false },
  { "realtimePeriod", RES_UINT, NULL, false },
  { "cpus", RES_STRING, NULL, false },
  { "mems", RES_STRING, NULL, false },
  { "idle", RES_INT, NULL, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_pids[] = {
  { "limit", RES_INT, NULL, true },
  { NULL, 0, NULL, false },
};

static const struct res_field res_weight_device[] = {
  { "major", RES_INT, NULL, true },
  { "minor", RES_INT, NULL, true },
  { "weight", RES_UINT, NULL, false },
  { "leafWeight", RES_UINT, NULL, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_throttle_device[] = {
  { "major", RES_INT, NULL, true },
  { "minor", RES_INT, NULL, true },
  { "rate", RES_UINT, NULL, true },
  { NULL, 0, NULL, false },
};

static const struct res_field res_block_io[] = {
  { "weight", RES_UINT, NULL, false },
  { "leafWeight", RES_UINT, NULL, false },
  { "weightDevice", RES_OBJECT_LIST, res_weight_device, false },
  { "throttleReadBpsDevice", RES_OBJECT_LIST, res_throttle_device, false },
  { "throttleWriteBpsDevice", RES_OBJECT_LIST, res_throttle_device, false },
  { "throttleReadIOPSDevice", RES_OBJECT_LIST, res_throttle_device, false },
  { "throttleWriteIOPSDevice", RES_OBJECT_LIST, res_throttle_device, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_hugepage[] = {
  { "pageSize", RES_STRING, NULL, true },
  { "limit", RES_UINT, NULL, true },
  { NULL, 0, NULL, false },
};

static const struct res_field res_net_priority[] = {
  { "name", RES_STRING, NULL, true },
  { "priority", RES_UINT, NULL, true },
  { NULL, 0, NULL, false },
};

static const struct res_field res_network[] = {
  { "classID", RES_UINT, NULL, false },
  { "priorities", RES_OBJECT_LIST, res_net_priority, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_rdma[] = {
  { "hcaHandles", RES_UINT, NULL, false },
  { "hcaObjects", RES_UINT, NULL, false },
  { NULL, 0, NULL, false },
};

static const struct res_field res_top[] = {
  { "devices", RES_OBJECT_LIST, res_device, false },
  { "memory", RES_OBJECT, res_memory, false },
  { "cpu", RES_OBJECT, res_cpu, false },
  { "pids", RES_OBJECT, res_pids, false },
  { "blockIO", RES_OBJECT, res_block_io, false },
  { "hugepageLimits", RES_OBJECT_LIST, res_hugepage, false },
  { "network", RES_OBJECT, res_network, false },
  { "rdma", RES_OBJECT_MAP, res_rdma, false },
  { "unified", RES_STRING_MAP, NULL, false },
  { NULL, 0, NULL, false },
};

static int check_res_object (struct parser *p, yajl_val obj, const struct res_field *fields);

/* Check one value of the given kind; the path is at the value. */
static int
check_res_value (struct parser *p, yajl_val v, const struct res_field *f)
{
  uint64_t u;
  int64_t s;
  bool b;
  size_t i, mark;
  int ret = 0;

  switch (f->kind)
    {
    case RES_STRING:
      return YAJL_IS_STRING (v) ? 0 : fail (p, "expected a string");
    case RES_BOOL:
      return read_bool (p, v, &b);
    case RES_INT:
      return read_int (p, v, INT64_MIN, INT64_MAX, &s);
    case RES_UINT:
      return read_uint (p, v, UINT64_MAX, &u);
    case RES_OBJECT:
      if (!YAJL_IS_OBJECT (v))
        return fail (p, "expected an object");
      return check_res_object (p, v, f->sub);
    case RES_OBJECT_LIST:
      if (!YAJL_IS_ARRAY (v))
        return fail (p, "expected an array");
      for (i = 0; i < v->u.array.len && ret == 0; i++)
        {
          yajl_val item = v->u.array.values[i];
          mark = path_enter_index (p, i);
          ret = check_element_object (p, item);
          if (ret == 0)
            ret = check_res_object (p, item, f->sub);
          path_leave (p, mark);
        }
      return ret;
    case RES_OBJECT_MAP:
    case RES_STRING_MAP:
      if (!YAJL_IS_OBJECT (v))
        return fail (p, "expected an object");
      for (i = 0; i < v->u.object.len && ret == 0; i++)
        {
          yajl_val item = v->u.object.values[i];
          mark = path_enter_key (p, v->u.object.keys[i]);
          if (f->kind == RES_STRING_MAP)
            ret = YAJL_IS_STRING (item) ? 0 : fail (p, "expected a string");
          else
            {
              ret = check_element_object (p, item);
              if (ret == 0)
                ret = check_res_object (p, item, f->sub);
            }
          path_leave (p, mark);
        }
      return ret;
    }
  return 0;
}

static int
check_res_object (struct parser *p, yajl_val obj, const struct res_field *fields)
{
  const struct res_field *f;
  size_t mark;
  int ret;

  for (f = fields; f->key; f++)
    {
      yajl_val v = field (obj, f->key);
      if (v == NULL)
        {
          if (f->required)
            return fail_missing (p, f->key);
          continue;
        }
      mark = path_enter_key (p, f->key);
      ret = check_res_value (p, v, f);
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* linux                                                                    */

static int
parse_namespaces (struct parser *p, yajl_val lx, struct oci_linux *l)
{
  yajl_val v;
  size_t i, j, mark, mark2, mark3;
  int ret = get_array (p, lx, "namespaces", false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  l->n_namespaces = v->u.array.len;
  l->namespaces
      = xmalloc0 ((l->n_namespaces ? l->n_namespaces : 1) * sizeof (struct oci_namespace));
  mark = path_enter_key (p, "namespaces");
  for (i = 0; i < l->n_namespaces && ret == 0; i++)
    {
      yajl_val item = v->u.array.values[i];
      cleanup_free char *type = NULL;

      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, item);
      if (ret == 0)
        ret = get_string (p, item, "type", true, &type);
      if (ret == 0)
        {
          mark3 = path_enter_key (p, "type");
          l->namespaces[i].type = oci_namespace_type_from_name (type);
          if (l->namespaces[i].type < 0)
            ret = fail (p, "unknown namespace type `%s`", type);
          for (j = 0; ret == 0 && j < i; j++)
            if (l->namespaces[j].type == l->namespaces[i].type)
              ret = fail (p, "duplicate namespace type `%s`", type);
          path_leave (p, mark3);
        }
      if (ret == 0)
        ret = get_string (p, item, "path", false, &l->namespaces[i].path);
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_id_mappings (struct parser *p, yajl_val lx, const char *key, struct oci_id_mapping **out,
                   size_t *n_out)
{
  yajl_val v;
  size_t i, mark, mark2;
  uint64_t n = 0;
  int ret = get_array (p, lx, key, false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  *n_out = v->u.array.len;
  *out = xmalloc0 ((*n_out ? *n_out : 1) * sizeof (struct oci_id_mapping));
  mark = path_enter_key (p, key);
  for (i = 0; i < *n_out && ret == 0; i++)
    {
      yajl_val item = v->u.array.values[i];
      struct oci_id_mapping *m = &(*out)[i];

      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, item);
      if (ret == 0)
        ret = get_uint (p, item, "containerID", true, UINT32_MAX, &n, NULL);
      m->container_id = (uint32_t)n;
      if (ret == 0)
        ret = get_uint (p, item, "hostID", true, UINT32_MAX, &n, NULL);
      m->host_id = (uint32_t)n;
      if (ret == 0)
        ret = get_uint (p, item, "size", true, UINT32_MAX, &n, NULL);
      m->size = (uint32_t)n;
      if (ret == 0 && m->size == 0)
        {
          /* The kernel rejects a mapping line of length 0. */
          size_t mark3 = path_enter_key (p, "size");
          ret = fail (p, "must be greater than zero");
          path_leave (p, mark3);
        }
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_device (struct parser *p, yajl_val obj, struct oci_device *d)
{
  cleanup_free char *type = NULL;
  uint64_t n = 0;
  int64_t s = 0;
  bool has = false;
  int ret;

  ret = get_string (p, obj, "type", true, &type);
  if (ret < 0)
    return ret;
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    {
      size_t mark = path_enter_key (p, "type");
      fail (p, "unknown device type `%s` (expected c, b, u or p)", type);
      path_leave (p, mark);
      return -1;
    }
  d->type = type[0];

  ret = get_abs_path (p, obj, "path", true, &d->path);
  if (ret < 0)
    return ret;
  /* A FIFO has no device number; every other type needs both. */
  ret = get_int (p, obj, "major", d->type != 'p', INT64_MIN, INT64_MAX, &s, NULL);
  d->major = s;
  if (ret == 0)
    {
      s = 0;
      ret = get_int (p, obj, "minor", d->type != 'p', INT64_MIN, INT64_MAX, &s, NULL);
      d->minor = s;
    }
  if (ret < 0)
    return ret;

  /* Podman writes the file-type bits too (020666 for a character device),
   * as Go's os.FileMode carries them; runc and crun take the permission
   * bits.  Anything beyond a mode_t is still refused. */
  ret = get_uint (p, obj, "fileMode", false, 0177777, &n, &has);
  if (ret < 0)
    return ret;
  d->has_file_mode = has;
  d->file_mode = (mode_t)(n & 07777);
  ret = get_uint (p, obj, "uid", false, UINT32_MAX - 1, &n, &d->has_uid);
  if (ret < 0)
    return ret;
  d->uid = (uid_t)n;
  ret = get_uint (p, obj, "gid", false, UINT32_MAX - 1, &n, &d->has_gid);
  if (ret < 0)
    return ret;
  d->gid = (gid_t)n;
  return 0;
}

static int
parse_devices (struct parser *p, yajl_val lx, struct oci_linux *l)
{
  yajl_val v;
  size_t i, mark, mark2;
  int ret = get_array (p, lx, "devices", false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  l->n_devices = v->u.array.len;
  l->devices = xmalloc0 ((l->n_devices ? l->n_devices : 1) * sizeof (struct oci_device));
  mark = path_enter_key (p, "devices");
  for (i = 0; i < l->n_devices && ret == 0; i++)
    {
      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, v->u.array.values[i]);
      if (ret == 0)
        ret = parse_device (p, v->u.array.values[i], &l->devices[i]);
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_seccomp_syscall (struct parser *p, yajl_val obj, struct oci_seccomp_syscall *s)
{
  yajl_val args;
  uint64_t n = 0;
  size_t i, mark, mark2;
  int ret;

  ret = get_strv (p, obj, "names", true, &s->names);
  if (ret == 0 && s->names[0] == NULL)
    {
      ret = fail_at (p, "names", "must not be empty");
    }
  if (ret == 0)
    ret = get_string (p, obj, "action", true, &s->action);
  if (ret == 0)
    ret = get_uint (p, obj, "errnoRet", false, UINT_MAX, &n, &s->has_errno_ret);
  s->errno_ret = (unsigned int)n;
  if (ret == 0)
    ret = get_array (p, obj, "args", false, &args);
  if (ret < 0 || args == NULL)
    return ret;

  s->n_args = args->u.array.len;
  s->args = xmalloc0 ((s->n_args ? s->n_args : 1) * sizeof (struct oci_seccomp_arg));
  mark = path_enter_key (p, "args");
  for (i = 0; i < s->n_args && ret == 0; i++)
    {
      yajl_val item = args->u.array.values[i];
      struct oci_seccomp_arg *a = &s->args[i];

      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, item);
      /* A system call has at most six arguments. */
      if (ret == 0)
        ret = get_uint (p, item, "index", true, 5, &n, NULL);
      a->index = (unsigned int)n;
      if (ret == 0)
        ret = get_uint (p, item, "value", true, UINT64_MAX, &a->value, NULL);
      if (ret == 0)
        ret = get_uint (p, item, "valueTwo", false, UINT64_MAX, &a->value_two, NULL);
      if (ret == 0)
        ret = get_string (p, item, "op", true, &a->op);
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_seccomp (struct parser *p, yajl_val obj, struct oci_seccomp *s)
{
  yajl_val v;
  uint64_t n = 0;
  size_t i, mark, mark2;
  int ret;

  ret = get_string (p, obj, "defaultAction", true, &s->default_action);
  if (ret == 0)
    ret = get_uint (p, obj, "defaultErrnoRet", false, UINT_MAX, &n, &s->has_default_errno_ret);
  s->default_errno_ret = (unsigned int)n;
  if (ret == 0)
    ret = get_strv (p, obj, "architectures", false, &s->architectures);
  if (ret == 0)
    ret = get_strv (p, obj, "flags", false, &s->flags);
  if (ret == 0)
    ret = get_string (p, obj, "listenerPath", false, &s->listener_path);
  if (ret == 0)
    ret = get_string (p, obj, "listenerMetadata", false, &s->listener_metadata);
  if (ret == 0 && s->listener_path && s->listener_path[0] != '/')
    {
      ret = fail_at (p, "listenerPath", "must be an absolute path (`%s`)", s->listener_path);
    }
  if (ret == 0 && s->listener_metadata && s->listener_path == NULL)
    {
      ret = fail_at (p, "listenerMetadata",
                     "set, but listenerPath is not (the runtime spec forbids it)");
    }
  if (ret == 0)
    ret = get_array (p, obj, "syscalls", false, &v);
  if (ret < 0 || v == NULL)
    return ret;

  s->n_syscalls = v->u.array.len;
  s->syscalls
      = xmalloc0 ((s->n_syscalls ? s->n_syscalls : 1) * sizeof (struct oci_seccomp_syscall));
  mark = path_enter_key (p, "syscalls");
  for (i = 0; i < s->n_syscalls && ret == 0; i++)
    {
      mark2 = path_enter_index (p, i);
      ret = check_element_object (p, v->u.array.values[i]);
      if (ret == 0)
        ret = parse_seccomp_syscall (p, v->u.array.values[i], &s->syscalls[i]);
      path_leave (p, mark2);
    }
  path_leave (p, mark);
  return ret;
}

static int
parse_time_offset (struct parser *p, yajl_val offsets, const char *clock, struct oci_time_offset *t)
{
  yajl_val v;
  uint64_t n = 0;
  size_t mark;
  int ret = get_object (p, offsets, clock, false, &v);

  if (ret < 0 || v == NULL)
    return ret;
  mark = path_enter_key (p, clock);
  ret = get_int (p, v, "secs", false, INT64_MIN, INT64_MAX, &t->secs, NULL);
  if (ret == 0)
    ret = get_uint (p, v, "nanosecs", false, 999999999, &n, NULL);
  t->nanosecs = (uint32_t)n;
  path_leave (p, mark);
  t->present = ret == 0;
  return ret;
}

static const char *const propagation_names[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable", NULL,
};

/* linux.personality: the domain LINUX or LINUX32 (uname -m says i686 in
 * the latter); the spec defines no flags yet, so any is refused. */
static int
parse_personality (struct parser *p, yajl_val obj, struct oci_linux *l)
{
  cleanup_free char *domain = NULL;
  char **flags = NULL;
  int ret = get_string (p, obj, "domain", true, &domain);

  if (ret == 0)
    ret = get_strv (p, obj, "flags", false, &flags);
  if (ret < 0)
    return ret;
  if (flags && flags[0])
    {
      size_t mark = path_enter_key (p, "flags");
      fail (p, "unknown flag `%s` (the runtime spec defines none)", flags[0]);
      path_leave (p, mark);
      strv_free (flags);
      return -1;
    }
  strv_free (flags);
  if (strcmp (domain, "LINUX") == 0)
    l->personality = 0x0000; /* PER_LINUX */
  else if (strcmp (domain, "LINUX32") == 0)
    l->personality = 0x0008; /* PER_LINUX32 */
  else
    {
      size_t mark = path_enter_key (p, "domain");
      fail (p, "unknown domain `%s` (LINUX or LINUX32)", domain);
      path_leave (p, mark);
      return -1;
    }
  l->has_personality = true;
  return 0;
}

/* An empty mapping list becomes "0 -> id, size 1". */
static void
map_root_to (struct oci_id_mapping **m, size_t *n, uint32_t id)
{
  if (*n)
    return;
  free (*m);
  *m = xmalloc0 (sizeof (**m));
  (*m)->host_id = id;
  (*m)->size = 1;
  *n = 1;
}

/* Id mappings belong to a new user namespace.  Without one they are an
 * error; a new user namespace given none gets crun's default: the
 * container's root is the caller's uid and gid, a mapping of size 1 (the
 * one mapping an unprivileged caller may always write). */
static int
check_user_namespace_mappings (struct parser *p, struct oci_linux *l)
{
  const struct oci_namespace *user = NULL;
  size_t i;

  for (i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].type == CLONE_NEWUSER)
      user = &l->namespaces[i];
  if (user == NULL)
    {
      const char *key = l->n_uid_mappings   ? "uidMappings"
                        : l->n_gid_mappings ? "gidMappings"
                                            : NULL;
      if (key == NULL)
        return 0;
      return fail_at (p, key, "given, but linux.namespaces has no user namespace to apply them to");
    }
  if (user->path != NULL)
    return 0;
  map_root_to (&l->uid_mappings, &l->n_uid_mappings, (uint32_t)geteuid ());
  map_root_to (&l->gid_mappings, &l->n_gid_mappings, (uint32_t)getegid ());
  return 0;
}

static int
parse_linux (struct parser *p, yajl_val lx, struct oci_linux *l)
{
  yajl_val v;
  size_t i, mark;
  int ret;

  ret = parse_namespaces (p, lx, l);
  if (ret == 0)
    ret = PARSE_OPTIONAL_OBJECT (p, lx, "memoryPolicy", &l->memory_policy, parse_memory_policy);
  if (ret == 0)
    ret = parse_id_mappings (p, lx, "uidMappings", &l->uid_mappings, &l->n_uid_mappings);
  if (ret == 0)
    ret = parse_id_mappings (p, lx, "gidMappings", &l->gid_mappings, &l->n_gid_mappings);
  if (ret == 0)
    ret = check_user_namespace_mappings (p, l);
  if (ret == 0)
    ret = parse_devices (p, lx, l);
  if (ret == 0)
    ret = get_string (p, lx, "cgroupsPath", false, &l->cgroups_path);
  if (ret < 0)
    return ret;

  ret = get_object (p, lx, "resources", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      mark = path_enter_key (p, "resources");
      ret = check_res_object (p, v, res_top);
      path_leave (p, mark);
      if (ret < 0)
        return ret;
      l->resources = v;
    }

  ret = get_string_map (p, lx, "sysctl", &l->sysctl, &l->n_sysctl);
  if (ret < 0)
    return ret;

  ret = get_object (p, lx, "seccomp", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      l->seccomp = xmalloc0 (sizeof (*l->seccomp));
      mark = path_enter_key (p, "seccomp");
      ret = parse_seccomp (p, v, l->seccomp);
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }

  ret = get_string (p, lx, "rootfsPropagation", false, &l->rootfs_propagation);
  if (ret < 0)
    return ret;
  if (l->rootfs_propagation)
    {
      for (i = 0; propagation_names[i]; i++)
        if (strcmp (propagation_names[i], l->rootfs_propagation) == 0)
          break;
      if (propagation_names[i] == NULL)
        {
          mark = path_enter_key (p, "rootfsPropagation");
          fail (p, "unknown propagation `%s`", l->rootfs_propagation);
          path_leave (p, mark);
          return -1;
        }
    }

  ret = get_strv (p, lx, "maskedPaths", false, &l->masked_paths);
  if (ret == 0)
    ret = get_strv (p, lx, "readonlyPaths", false, &l->readonly_paths);
  if (ret == 0)
    ret = get_string (p, lx, "mountLabel", false, &l->mount_label);
  if (ret < 0)
    return ret;

  ret = get_object (p, lx, "personality", false, &v);
  if (ret == 0 && v)
    {
      mark = path_enter_key (p, "personality");
      ret = parse_personality (p, v, l);
      path_leave (p, mark);
    }
  if (ret < 0)
    return ret;

  ret = get_object (p, lx, "timeOffsets", false, &v);
  if (ret < 0 || v == NULL)
    return ret;
  mark = path_enter_key (p, "timeOffsets");
  ret = parse_time_offset (p, v, "monotonic", &l->time_monotonic);
  if (ret == 0)
    ret = parse_time_offset (p, v, "boottime", &l->time_boottime);
  path_leave (p, mark);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* Whole document                                                           */

/* crun's run.oci.timens_offset="CLOCK SECONDS NANOSECONDS" (CLOCK:
 * monotonic or boottime): an offset of a new time namespace that
 * linux.timeOffsets does not give already. */
static int
apply_timens_offset_annotation (struct parser *p, struct oci_config *c)
{
  const char *v = oci_kv_lookup (c->annotations, c->n_annotations, "run.oci.timens_offset");
  struct oci_time_offset *t;
  char clock[16];
  long long secs;
  unsigned long nsecs;
  int n = 0;

  if (v == NULL)
    return 0;
  if (sscanf (v, "%15s %lld %lu%n", clock, &secs, &nsecs, &n) != 3 || v[n] != '\0'
      || nsecs >= 1000000000UL || (strcmp (clock, "monotonic") && strcmp (clock, "boottime")))
    return fail (p,
                 "annotation `run.oci.timens_offset`: `%s`: expected `monotonic|boottime "
                 "SECONDS NANOSECONDS`",
                 v);
  t = strcmp (clock, "monotonic") == 0 ? &c->linux_cfg->time_monotonic
                                       : &c->linux_cfg->time_boottime;
  if (t->present)
    return 0;
  t->present = true;
  t->secs = secs;
  t->nanosecs = (uint32_t)nsecs;
  return 0;
}

static int
parse_config (struct parser *p, yajl_val top, struct oci_config *c)
{
  yajl_val v;
  size_t mark;
  int ret;

  ret = get_string (p, top, "ociVersion", true, &c->oci_version);
  if (ret < 0)
    return ret;

  ret = get_object (p, top, "process", false, &v);
  if (ret < 0)
    return ret;
  if (v)
    {
      c->process = xmalloc0 (sizeof (*c->process));
      mark = path_enter_key (p, "process");
      ret = parse_process (p, v, c->process);
      path_leave (p, mark);
      if (ret < 0)
        return ret;
    }

  ret = get_object (p, top, "root", false, &v);
  if (ret == 0 && v)
    ret = parse_root (p, v, c);
  if (ret == 0)
    ret = get_string (p, top, "hostname", false, &c->hostname);
  if (ret == 0)
    ret = get_string (p, top, "domainname", false, &c->domainname);
  if (ret == 0)
    ret = parse_mounts (p, top, c);
  if (ret == 0)
    ret = parse_hooks (p, top, c);
  if (ret == 0)
    ret = get_string_map (p, top, "annotations", &c->annotations, &c->n_annotations);
  if (ret < 0)
    return ret;
  /* crun's: the process keeps the supplementary groups it inherits */
  if (c->process
      && oci_kv_lookup (c->annotations, c->n_annotations, "run.oci.keep_original_groups"))
    c->process->keep_original_groups = true;

  ret = get_object (p, top, "linux", false, &v);
  if (ret < 0 || v == NULL)
    return ret;
  c->linux_cfg = xmalloc0 (sizeof (*c->linux_cfg));
  mark = path_enter_key (p, "linux");
  ret = parse_linux (p, v, c->linux_cfg);
  path_leave (p, mark);
  /* crun's annotation: its mere presence makes an unknown syscall name an
   * error instead of a warning. */
  if (ret == 0 && c->linux_cfg->seccomp
      && oci_kv_lookup (c->annotations, c->n_annotations, "run.oci.seccomp_fail_unknown_syscall"))
    c->linux_cfg->seccomp->fail_unknown_syscall = true;
  if (ret == 0)
    ret = apply_timens_offset_annotation (p, c);
  return ret;
}

/* Line and column (1-based, in bytes) of a byte offset. */
static void
offset_to_line_column (const char *text, size_t offset, size_t *line, size_t *column)
{
  size_t i;
  *line = 1;
  *column = 1;
  for (i = 0; i < offset && text[i]; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else
        (*column)++;
    }
}

/* yajl_tree_parse only gives a message with a drawing of the position; to
 * report "line L, column C" the text is parsed again with the stream API,
 * configured as yajl_tree_parse configures it (comments allowed), which tells
 * how many bytes it consumed before failing. */
static int
syntax_error (const char *json, const char *origin, const char *tree_msg, libcrun_error_t *err)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t len = strlen (json), offset, line, column;
  yajl_status st;
  unsigned char *msg;
  cleanup_free char *first_line = NULL;
  int ret;

  if (h == NULL)
    abort ();
  yajl_config (h, yajl_allow_comments, 1);
  st = yajl_parse (h, (const unsigned char *)json, len);
  if (st == yajl_status_ok)
    {
      /* The text ended too early: point just past its end. */
      st = yajl_complete_parse (h);
      offset = len;
    }
  else
    {
      /* yajl stops a little after the start of the offending token, and how
       * far after depends on the token: usually just past its first byte,
       * right before it for numbers and literals (the lexer needs lookahead),
       * one byte into it for strings.  Bring the position back to the
       * token's first byte in each case. */
      offset = yajl_get_bytes_consumed (h);
      if (offset > len)
        offset = len;
      if (offset > 0)
        offset--;
      while (offset < len && isspace ((unsigned char)json[offset]))
        offset++;
      if (offset > 0 && json[offset - 1] == '"'
          && (offset == 1 || isspace ((unsigned char)json[offset - 2])
              || strchr (",:[{", json[offset - 2])))
        offset--;
    }

  if (st == yajl_status_ok)
    {
      /* Should not happen; fall back on yajl_tree_parse's own text. */
      yajl_free (h);
      first_line = xstrdup (tree_msg && *tree_msg ? tree_msg : "invalid JSON");
      first_line[strcspn (first_line, "\n")] = '\0';
      return libcrun_make_error (err, 0, "`%s`: %s", origin, first_line);
    }

  msg = yajl_get_error (h, 0, NULL, 0);
  first_line = xstrdup (msg ? (const char *)msg : "parse error");
  first_line[strcspn (first_line, "\n")] = '\0';
  if (msg)
    yajl_free_error (h, msg);
  yajl_free (h);

  offset_to_line_column (json, offset, &line, &column);
  ret = libcrun_make_error (err, 0, "`%s`: line %zu, column %zu: %s", origin, line, column,
                            first_line);
  return ret;
}

static void
cleanup_treep (yajl_val *tree)
{
  if (*tree)
    yajl_tree_free (*tree);
}

static void
cleanup_configp (struct oci_config **c)
{
  libcrun_config_free (*c);
}

static void
cleanup_processp (struct oci_process **proc)
{
  libcrun_process_free (*proc);
}

static void
cleanup_parserp (struct parser *p)
{
  parser_release (p);
}

/* Parse text into a tree whose top level is an object. */
static int
parse_tree (const char *json, const char *origin, yajl_val *out, libcrun_error_t *err)
{
  char errbuf[1024];
  yajl_val tree;
  size_t offset;

  errbuf[0] = '\0';
  if (json_too_deep (json, &offset))
    {
      size_t line, column;
      offset_to_line_column (json, offset, &line, &column);
      return libcrun_make_error (err, 0, "`%s`: line %zu, column %zu: nested deeper than %d levels",
                                 origin, line, column, JSON_MAX_DEPTH);
    }
  tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (tree == NULL)
    return syntax_error (json, origin, errbuf, err);
  if (!YAJL_IS_OBJECT (tree))
    {
      yajl_tree_free (tree);
      return libcrun_make_error (err, 0, "`%s`: expected a JSON object at the top level", origin);
    }
  *out = tree;
  return 0;
}

int
libcrun_config_load_string (const char *json, const char *origin, struct oci_config **out,
                            libcrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_parserp))) struct parser p = { 0 };
  __attribute__ ((cleanup (cleanup_configp))) struct oci_config *c = NULL;
  int ret;

  parser_init (&p, origin, err);
  if (json == NULL)
    return libcrun_make_error (err, EINVAL, "`%s`: no JSON text", p.origin);
  c = xmalloc0 (sizeof (*c));
  ret = parse_tree (json, p.origin, &c->tree, err);
  if (ret < 0)
    return ret;
  ret = parse_config (&p, c->tree, c);
  if (ret < 0)
    return ret;
  *out = steal_pointer (&c);
  return 0;
}

/* Read a whole file that must not contain NUL bytes (yajl reads C strings). */
static int
read_json_file (const char *path, char **out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  int ret = read_all_file (path, &buf, &len, err);

  if (ret < 0)
    return ret;
  if (strlen (buf) != len)
    return libcrun_make_error (err, 0, "`%s`: contains a NUL byte at offset %zu", path,
                               strlen (buf));
  *out = steal_pointer (&buf);
  return 0;
}

int
libcrun_config_load_file (const char *path, struct oci_config **out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  int ret = read_json_file (path, &buf, err);

  if (ret < 0)
    return ret;
  return libcrun_config_load_string (buf, path, out, err);
}

/* A file holding one JSON object: read, parsed, and a parser for it. */
static int
load_object_file (const char *path, struct parser *p, char **buf, yajl_val *tree,
                  libcrun_error_t *err)
{
  int ret;
  parser_init (p, path, err);
  ret = read_json_file (path, buf, err);
  if (ret < 0)
    return ret;
  return parse_tree (*buf, path, tree, err);
}

int
libcrun_process_load_file (const char *path, struct oci_process **out, libcrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_parserp))) struct parser p = { 0 };
  cleanup_free char *buf = NULL;
  __attribute__ ((cleanup (cleanup_treep))) yajl_val tree = NULL;
  __attribute__ ((cleanup (cleanup_processp))) struct oci_process *proc = NULL;
  int ret;

  ret = load_object_file (path, &p, &buf, &tree, err);
  if (ret < 0)
    return ret;
  proc = xmalloc0 (sizeof (*proc));
  ret = parse_process (&p, tree, proc);
  if (ret < 0)
    return ret;
  *out = steal_pointer (&proc);
  return 0;
}

int
libcrun_mounts_load_file (const char *path, struct oci_config **out, libcrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_parserp))) struct parser p = { 0 };
  cleanup_free char *buf = NULL;
  __attribute__ ((cleanup (cleanup_treep))) yajl_val tree = NULL;
  __attribute__ ((cleanup (cleanup_configp))) struct oci_config *c = NULL;
  int ret;

  ret = load_object_file (path, &p, &buf, &tree, err);
  if (ret < 0)
    return ret;
  c = xmalloc0 (sizeof (*c));
  ret = parse_mounts (&p, tree, c);
  if (ret < 0)
    return ret;
  if (c->n_mounts == 0)
    return libcrun_make_error (err, 0, "`%s`: no `mounts` array, or an empty one", path);
  *out = steal_pointer (&c);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Release and look-ups                                                     */

void
libcrun_process_free (struct oci_process *proc)
{
  size_t i;

  if (proc == NULL)
    return;
  free (proc->user.additional_gids);
  free (proc->user.username);
  strv_free (proc->args);
  strv_free (proc->env);
  free (proc->cwd);
  if (proc->capabilities)
    {
      strv_free (proc->capabilities->bounding);
      strv_free (proc->capabilities->effective);
      strv_free (proc->capabilities->inheritable);
      strv_free (proc->capabilities->permitted);
      strv_free (proc->capabilities->ambient);
      free (proc->capabilities);
    }
  for (i = 0; i < proc->n_rlimits; i++)
    free (proc->rlimits[i].type);
  free (proc->rlimits);
  free (proc->apparmor_profile);
  free (proc->selinux_label);
  free (proc->scheduler);
  free (proc->io_priority);
  free (proc);
}

static void
free_kv (struct oci_kv *kv, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
free_seccomp (struct oci_seccomp *s)
{
  size_t i, j;

  if (s == NULL)
    return;
  free (s->default_action);
  strv_free (s->architectures);
  strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (i = 0; i < s->n_syscalls; i++)
    {
      struct oci_seccomp_syscall *sc = &s->syscalls[i];
      strv_free (sc->names);
      free (sc->action);
      for (j = 0; j < sc->n_args; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

static void
free_linux (struct oci_linux *l)
{
  size_t i;

  if (l == NULL)
    return;
  for (i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->memory_policy);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  /* resources points into the config's tree, freed with it. */
  free_kv (l->sysctl, l->n_sysctl);
  free_seccomp (l->seccomp);
  free (l->rootfs_propagation);
  strv_free (l->masked_paths);
  strv_free (l->readonly_paths);
  free (l->mount_label);
  free (l);
}

void
libcrun_config_free (struct oci_config *c)
{
  size_t i;
  int stage;

  if (c == NULL)
    return;
  free (c->oci_version);
  libcrun_process_free (c->process);
  free (c->root_path);
  free (c->hostname);
  free (c->domainname);
  for (i = 0; i < c->n_mounts; i++)
    {
      free (c->mounts[i].destination);
      free (c->mounts[i].type);
      free (c->mounts[i].source);
      strv_free (c->mounts[i].options);
      free (c->mounts[i].uid_mappings);
      free (c->mounts[i].gid_mappings);
    }
  free (c->mounts);
  for (stage = 0; stage < OCI_HOOK_STAGES; stage++)
    {
      for (i = 0; i < c->n_hooks[stage]; i++)
        {
          free (c->hooks[stage][i].path);
          strv_free (c->hooks[stage][i].args);
          strv_free (c->hooks[stage][i].env);
        }
      free (c->hooks[stage]);
    }
  free_kv (c->annotations, c->n_annotations);
  free_linux (c->linux_cfg);
  if (c->tree)
    yajl_tree_free (c->tree);
  free (c);
}

const char *
oci_config_annotation (const struct oci_config *config, const char *key)
{
  if (config == NULL)
    return NULL;
  return oci_kv_lookup (config->annotations, config->n_annotations, key);
}

const char *
oci_kv_lookup (const struct oci_kv *kv, size_t n, const char *key)
{
  size_t i;

  if (key == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      return kv[i].value;
  return NULL;
}

const struct oci_namespace *
oci_config_namespace (const struct oci_config *config, int type)
{
  size_t i;

  if (config == NULL || config->linux_cfg == NULL)
    return NULL;
  for (i = 0; i < config->linux_cfg->n_namespaces; i++)
    if (config->linux_cfg->namespaces[i].type == type)
      return &config->linux_cfg->namespaces[i];
  return NULL;
}
