/* Parser of the OCI runtime configuration (config.json, runtime spec 1.2,
 * Linux part) into the typed structures of config.h: the entry points, the
 * top-level document, the annotations that set fields of other sections,
 * the release and the look-ups.
 *
 * The document is parsed with yajl's tree API (config_json.c) and then
 * walked field by field, one file per section (config_internal.h lists
 * them).  The walk keeps the JSON path of the field being read
 * ("mounts[2].options") so that the first problem found can be reported
 * with it (config_fields.c).  Every structure is zero-allocated and its
 * element count set before its elements are filled, so that
 * libcrun_config_free() can release a half-built configuration: on error
 * the entry points simply free what they have and return. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* The annotations that set fields of other sections                        */

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
    return cfg_fail (p,
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
apply_annotations (struct parser *p, struct oci_config *c)
{
  /* crun's: the process keeps the supplementary groups it inherits */
  if (c->process && oci_config_annotation (c, "run.oci.keep_original_groups"))
    c->process->keep_original_groups = true;
  if (c->linux_cfg == NULL)
    return 0;
  /* crun's annotation: its mere presence makes an unknown syscall name an
   * error instead of a warning. */
  if (c->linux_cfg->seccomp && oci_config_annotation (c, "run.oci.seccomp_fail_unknown_syscall"))
    c->linux_cfg->seccomp->fail_unknown_syscall = true;
  return apply_timens_offset_annotation (p, c);
}

/* ------------------------------------------------------------------------ */
/* The whole document                                                       */

static int
parse_root (struct parser *p, yajl_val root, struct oci_config *c)
{
  int ret = cfg_get_string (p, root, "path", true, &c->root_path);

  if (ret == 0 && c->root_path[0] == '\0')
    ret = cfg_fail_at (p, "path", "must not be empty");
  if (ret == 0)
    ret = cfg_get_bool (p, root, "readonly", &c->root_readonly);
  return ret;
}

static int
parse_config (struct parser *p, yajl_val top, struct oci_config *c)
{
  int ret = cfg_get_string (p, top, "ociVersion", true, &c->oci_version);

  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, top, "process", &c->process, cfg_parse_process);
  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, top, "root", false, parse_root, c);
  if (ret == 0)
    ret = cfg_get_string (p, top, "hostname", false, &c->hostname);
  if (ret == 0)
    ret = cfg_get_string (p, top, "domainname", false, &c->domainname);
  if (ret == 0)
    ret = cfg_parse_mounts (p, top, c);
  if (ret == 0)
    ret = cfg_parse_hooks (p, top, c);
  if (ret == 0)
    ret = cfg_get_string_map (p, top, "annotations", &c->annotations, &c->n_annotations);
  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, top, "linux", &c->linux_cfg, cfg_parse_linux);
  if (ret == 0)
    ret = apply_annotations (p, c);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                             */

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
  cfg_parser_release (p);
}

int
libcrun_config_load_string (const char *json, const char *origin, struct oci_config **out,
                            libcrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_parserp))) struct parser p = { 0 };
  __attribute__ ((cleanup (cleanup_configp))) struct oci_config *c = NULL;
  int ret;

  cfg_parser_init (&p, origin, err);
  if (json == NULL)
    return libcrun_make_error (err, EINVAL, "`%s`: no JSON text", p.origin);
  c = xmalloc0 (sizeof (*c));
  ret = cfg_parse_tree (json, p.origin, &c->tree, err);
  if (ret < 0)
    return ret;
  ret = parse_config (&p, c->tree, c);
  if (ret < 0)
    return ret;
  *out = steal_pointer (&c);
  return 0;
}

int
libcrun_config_load_file (const char *path, struct oci_config **out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  int ret = cfg_read_json_file (path, &buf, err);

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
  cfg_parser_init (p, path, err);
  ret = cfg_read_json_file (path, buf, err);
  if (ret < 0)
    return ret;
  return cfg_parse_tree (*buf, path, tree, err);
}

int
libcrun_process_load_file (const char *path, struct oci_process **out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  int ret = cfg_read_json_file (path, &buf, err);

  if (ret < 0)
    return ret;
  return libcrun_process_load_string (buf, path, out, err);
}

int
libcrun_process_load_string (const char *json, const char *origin, struct oci_process **out,
                             libcrun_error_t *err)
{
  __attribute__ ((cleanup (cleanup_parserp))) struct parser p = { 0 };
  __attribute__ ((cleanup (cleanup_treep))) yajl_val tree = NULL;
  __attribute__ ((cleanup (cleanup_processp))) struct oci_process *proc = NULL;
  int ret;

  cfg_parser_init (&p, origin, err);
  ret = cfg_parse_tree (json, origin, &tree, err);
  if (ret < 0)
    return ret;
  proc = xmalloc0 (sizeof (*proc));
  ret = cfg_parse_process (&p, tree, proc);
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
  ret = cfg_parse_mounts (&p, tree, c);
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
cfg_free_kv (struct oci_kv *kv, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

void
libcrun_config_free (struct oci_config *c)
{
  if (c == NULL)
    return;
  free (c->oci_version);
  libcrun_process_free (c->process);
  free (c->root_path);
  free (c->hostname);
  free (c->domainname);
  cfg_free_mounts (c->mounts, c->n_mounts);
  cfg_free_hooks (c);
  cfg_free_kv (c->annotations, c->n_annotations);
  cfg_free_linux (c->linux_cfg);
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
