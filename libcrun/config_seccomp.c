/* config.json's `linux.seccomp`, as written: seccomp.c compiles it with
 * libseccomp, which checks the names of the actions, architectures and
 * system calls. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

#include <limits.h>
#include <stdlib.h>

/* syscalls[].args[i] */
static int
parse_arg (struct parser *p, yajl_val item, void *array, size_t i)
{
  struct oci_seccomp_arg *a = (struct oci_seccomp_arg *)array + i;
  uint64_t n = 0;
  /* A system call has at most six arguments. */
  int ret = cfg_get_uint (p, item, "index", true, 5, &n, NULL);

  a->index = (unsigned int)n;
  if (ret == 0)
    ret = cfg_get_uint (p, item, "value", true, UINT64_MAX, &a->value, NULL);
  if (ret == 0)
    ret = cfg_get_uint (p, item, "valueTwo", false, UINT64_MAX, &a->value_two, NULL);
  if (ret == 0)
    ret = cfg_get_string (p, item, "op", true, &a->op);
  return ret;
}

/* syscalls[i] */
static int
parse_syscall (struct parser *p, yajl_val obj, void *array, size_t i)
{
  struct oci_seccomp_syscall *s = (struct oci_seccomp_syscall *)array + i;
  uint64_t n = 0;
  int ret;

  ret = cfg_get_strv (p, obj, "names", true, &s->names);
  if (ret == 0 && s->names[0] == NULL)
    ret = cfg_fail_at (p, "names", "must not be empty");
  if (ret == 0)
    ret = cfg_get_string (p, obj, "action", true, &s->action);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "errnoRet", false, UINT_MAX, &n, &s->has_errno_ret);
  s->errno_ret = (unsigned int)n;
  if (ret == 0)
    ret = CFG_PARSE_ARRAY (p, obj, "args", &s->args, &s->n_args, parse_arg);
  return ret;
}

/* Everything but the syscalls. */
static int
parse_filter (struct parser *p, yajl_val obj, struct oci_seccomp *s)
{
  uint64_t n = 0;
  int ret;

  ret = cfg_get_string (p, obj, "defaultAction", true, &s->default_action);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "defaultErrnoRet", false, UINT_MAX, &n, &s->has_default_errno_ret);
  s->default_errno_ret = (unsigned int)n;
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "architectures", false, &s->architectures);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "flags", false, &s->flags);
  if (ret == 0)
    ret = cfg_get_string (p, obj, "listenerPath", false, &s->listener_path);
  if (ret == 0)
    ret = cfg_get_string (p, obj, "listenerMetadata", false, &s->listener_metadata);
  if (ret == 0 && s->listener_path && s->listener_path[0] != '/')
    ret = cfg_fail_at (p, "listenerPath", "must be an absolute path (`%s`)", s->listener_path);
  if (ret == 0 && s->listener_metadata && s->listener_path == NULL)
    ret = cfg_fail_at (p, "listenerMetadata",
                       "set, but listenerPath is not (the runtime spec forbids it)");
  return ret;
}

int
cfg_parse_seccomp (struct parser *p, yajl_val obj, struct oci_seccomp *s)
{
  int ret = parse_filter (p, obj, s);

  if (ret == 0)
    ret = CFG_PARSE_ARRAY (p, obj, "syscalls", &s->syscalls, &s->n_syscalls, parse_syscall);
  return ret;
}

void
cfg_free_seccomp (struct oci_seccomp *s)
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
