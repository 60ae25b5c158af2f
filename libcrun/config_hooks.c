/* config.json's `hooks`: the six stages and their names. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

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

/* hooks.STAGE[i] */
static int
parse_hook (struct parser *p, yajl_val obj, void *array, size_t i)
{
  struct oci_hook *h = (struct oci_hook *)array + i;
  int64_t t = 0;
  int ret;

  /* The spec extends execv's path: it MUST be absolute. */
  ret = cfg_get_abs_path (p, obj, "path", true, &h->path);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "args", false, &h->args);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "env", false, &h->env);
  if (ret == 0)
    ret = cfg_get_int (p, obj, "timeout", false, INT64_MIN, INT64_MAX, &t, &h->has_timeout);
  if (ret == 0 && h->has_timeout)
    {
      size_t mark = cfg_enter_key (p, "timeout");
      if (t <= 0)
        ret = cfg_fail (p, "must be greater than zero");
      else if (t > INT_MAX)
        ret = cfg_fail (p, "value %" PRId64 " is out of range (at most %d)", t, INT_MAX);
      cfg_leave (p, mark);
      h->timeout = (int)t;
    }
  return ret;
}

static int
parse_stages (struct parser *p, yajl_val hooks, struct oci_config *c)
{
  int stage, ret = 0;

  for (stage = 0; stage < OCI_HOOK_STAGES && ret == 0; stage++)
    ret = CFG_PARSE_ARRAY (p, hooks, hook_stage_names[stage], &c->hooks[stage], &c->n_hooks[stage],
                           parse_hook);
  return ret;
}

int
cfg_parse_hooks (struct parser *p, yajl_val top, struct oci_config *c)
{
  return CFG_PARSE_OBJECT (p, top, "hooks", false, parse_stages, c);
}

void
cfg_free_hooks (struct oci_config *c)
{
  size_t i;
  int stage;

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
}
