/* config.json's `mounts` (also the file of `crun mounts add|remove`).  The
 * options are kept as written: mount.c parses them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

#include <stdlib.h>

/* mounts[i] */
static int
parse_mount (struct parser *p, yajl_val obj, void *array, size_t i)
{
  struct oci_mount *m = (struct oci_mount *)array + i;
  int ret = cfg_get_abs_path (p, obj, "destination", true, &m->destination);

  if (ret == 0)
    ret = cfg_get_string (p, obj, "type", false, &m->type);
  if (ret == 0)
    ret = cfg_get_string (p, obj, "source", false, &m->source);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "options", false, &m->options);
  if (ret == 0)
    ret = cfg_parse_id_mappings (p, obj, "uidMappings", &m->uid_mappings, &m->n_uid_mappings);
  if (ret == 0)
    ret = cfg_parse_id_mappings (p, obj, "gidMappings", &m->gid_mappings, &m->n_gid_mappings);
  if (ret == 0 && (m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
    ret = cfg_fail (p, "uidMappings and gidMappings go together (an idmapped mount needs both)");
  return ret;
}

int
cfg_parse_mounts (struct parser *p, yajl_val top, struct oci_config *c)
{
  return CFG_PARSE_ARRAY (p, top, "mounts", &c->mounts, &c->n_mounts, parse_mount);
}

void
cfg_free_mounts (struct oci_mount *mounts, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    {
      free (mounts[i].destination);
      free (mounts[i].type);
      free (mounts[i].source);
      strv_free (mounts[i].options);
      free (mounts[i].uid_mappings);
      free (mounts[i].gid_mappings);
    }
  free (mounts);
}
