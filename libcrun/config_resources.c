/* config.json's `linux.resources`: checked against a small schema of the
 * runtime spec's fields and their types, and kept as a tree for the cgroup
 * managers, which read it (cgroup.c, cgroup_systemd.c). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"

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

/* An element of a RES_OBJECT_LIST or a value of a RES_OBJECT_MAP: an object
 * with the fields `sub`; the path is at it. */
static int
check_res_element (struct parser *p, yajl_val item, const struct res_field *sub)
{
  int ret = cfg_check_element_object (p, item);

  if (ret == 0)
    ret = check_res_object (p, item, sub);
  return ret;
}

static int
check_res_list (struct parser *p, yajl_val v, const struct res_field *f)
{
  size_t i, mark;
  int ret = 0;

  if (!YAJL_IS_ARRAY (v))
    return cfg_fail (p, "expected an array");
  for (i = 0; i < v->u.array.len && ret == 0; i++)
    {
      mark = cfg_enter_index (p, i);
      ret = check_res_element (p, v->u.array.values[i], f->sub);
      cfg_leave (p, mark);
    }
  return ret;
}

static int
check_res_map (struct parser *p, yajl_val v, const struct res_field *f)
{
  size_t i, mark;
  int ret = 0;

  if (!YAJL_IS_OBJECT (v))
    return cfg_fail (p, "expected an object");
  for (i = 0; i < v->u.object.len && ret == 0; i++)
    {
      yajl_val item = v->u.object.values[i];

      mark = cfg_enter_key (p, v->u.object.keys[i]);
      if (f->kind == RES_STRING_MAP)
        ret = YAJL_IS_STRING (item) ? 0 : cfg_fail (p, "expected a string");
      else
        ret = check_res_element (p, item, f->sub);
      cfg_leave (p, mark);
    }
  return ret;
}

/* Check one value of the given kind; the path is at the value. */
static int
check_res_value (struct parser *p, yajl_val v, const struct res_field *f)
{
  uint64_t u;
  int64_t s;
  bool b;

  switch (f->kind)
    {
    case RES_STRING:
      return YAJL_IS_STRING (v) ? 0 : cfg_fail (p, "expected a string");
    case RES_BOOL:
      return cfg_read_bool (p, v, &b);
    case RES_INT:
      return cfg_read_int (p, v, INT64_MIN, INT64_MAX, &s);
    case RES_UINT:
      return cfg_read_uint (p, v, UINT64_MAX, &u);
    case RES_OBJECT:
      if (!YAJL_IS_OBJECT (v))
        return cfg_fail (p, "expected an object");
      return check_res_object (p, v, f->sub);
    case RES_OBJECT_LIST:
      return check_res_list (p, v, f);
    case RES_OBJECT_MAP:
    case RES_STRING_MAP:
      return check_res_map (p, v, f);
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
      yajl_val v = cfg_field (obj, f->key);
      if (v == NULL)
        {
          if (f->required)
            return cfg_fail_missing (p, f->key);
          continue;
        }
      mark = cfg_enter_key (p, f->key);
      ret = check_res_value (p, v, f);
      cfg_leave (p, mark);
      if (ret < 0)
        return ret;
    }
  return 0;
}

int
cfg_check_resources (struct parser *p, yajl_val obj, yajl_val *out)
{
  int ret = check_res_object (p, obj, res_top);

  if (ret == 0)
    *out = obj;
  return ret;
}
