/* linux.resources: reading the JSON and choosing the writer of each
 * controller's version (see cgroup_resources.h).
 *
 * - Values that OCI/runc treat as "unset" are skipped: memory limit,
 *   reservation and swap of 0, cpu shares/quota/period of 0, empty
 *   cpus/mems, blockIO weight 0.  A resource that is set while its
 *   controller is not available is an error naming the resource and the
 *   controller, except where crun ignores it: memory.kernel (deprecated,
 *   warning), memory.kernelTCP where there is no v1
 *   memory.kmem.tcp.limit_in_bytes (warning; applied where there is),
 *   swappiness and disableOOMKiller on v2 (warning), swap without swap
 *   accounting (warning), network on a pure v2 host (warning), pids.limit
 *   "max" without a pids controller.
 *
 * - Devices are only touched when linux.resources.devices is present (so
 *   that `update` without devices keeps the rules): on v1, devices.deny "a",
 *   then the rules in order, then crun's default allow list (mknod of any
 *   char/block device, null, zero, full, tty, console, random, urandom,
 *   ptmx, pts).  The defaults include "c *:* m" and "b *:* m" so the init
 *   can still mknod the container's /dev after the rules are applied.  On a
 *   host without a v1 devices controller (pure v2) the same rules and
 *   defaults become an eBPF program attached to the container's cgroup2
 *   directory (cgroup_ebpf.c).
 *
 * - The resources are applied in a fixed order: memory, pids, cpu and
 *   cpuset, blockIO, hugepageLimits, network, rdma, devices, and unified
 *   last, so that its raw values win over the translated ones.
 */
#include "cgroup_resources.h"
#include "log.h"
#include "utils.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The JSON. */

int
cg_get_int (yajl_val node, const char *key, const char *what, int64_t *out, bool *present,
            libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *present = false;
  *out = 0;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_INTEGER (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected an integer", what, key);
  *out = YAJL_GET_INTEGER (v);
  *present = true;
  return 0;
}

int
cg_get_string (yajl_val node, const char *key, const char *what, const char **out,
               libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *out = NULL;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_STRING (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected a string", what, key);
  *out = YAJL_GET_STRING (v);
  return 0;
}

int
cg_get_bool (yajl_val node, const char *key, const char *what, bool *out, bool *present,
             libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = node ? yajl_tree_get (node, p, yajl_t_any) : NULL;

  *present = false;
  *out = false;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (!YAJL_IS_TRUE (v) && !YAJL_IS_FALSE (v))
    return libcrun_make_error (err, EINVAL, "%s.%s: expected a boolean", what, key);
  *out = YAJL_IS_TRUE (v);
  *present = true;
  return 0;
}

int
cg_get_section (yajl_val resources, const char *key, yajl_type type, yajl_val *out,
                libcrun_error_t *err)
{
  const char *p[] = { key, NULL };
  yajl_val v = yajl_tree_get (resources, p, yajl_t_any);

  *out = NULL;
  if (v == NULL || YAJL_IS_NULL (v))
    return 0;
  if (v->type != type)
    return libcrun_make_error (err, EINVAL, RES ".%s: expected %s", key,
                               type == yajl_t_array ? "an array" : "an object");
  *out = v;
  return 0;
}

/* The length of a JSON array (0 for NULL). */
static size_t
array_len (yajl_val a)
{
  return a ? YAJL_GET_ARRAY (a)->len : 0;
}

/* major and minor of a device entry, as "major:minor". */
static int
get_major_minor (yajl_val e, const char *what, char *buf, size_t len, libcrun_error_t *err)
{
  int64_t major, minor;
  bool has_major, has_minor;
  TRY (cg_get_int (e, "major", what, &major, &has_major, err));
  TRY (cg_get_int (e, "minor", what, &minor, &has_minor, err));
  if (!has_major || !has_minor || major < 0 || minor < 0)
    return libcrun_make_error (err, EINVAL, "%s: `major` and `minor` are required", what);
  snprintf (buf, len, "%" PRId64 ":%" PRId64, major, minor);
  return 0;
}

int
cg_missing_controller (const char *what, const char *ctrl, libcrun_error_t *err)
{
  return libcrun_make_error (
      err, ENOTSUP, "%s: the `%s` cgroup controller is not available (not mounted or not enabled)",
      what, ctrl);
}

int
cg_write_weight (const char *dir, const char *f1, const char *f2, const char *value,
                 const char *what, libcrun_error_t *err)
{
  if (cg_has_file (dir, f1))
    return cg_write (dir, f1, value, what, err);
  if (f2 && cg_has_file (dir, f2))
    return cg_write (dir, f2, value, what, err);
  return libcrun_make_error (
      err, ENOTSUP,
      "%s: neither `%s` nor `%s` exists in `%s` (the block I/O scheduler does "
      "not support proportional weights)",
      what, f1, f2 ? f2 : "-", dir);
}

/* ------------------------------------------------------------------ */
/* memory */

static int
memory_read (yajl_val mem, struct cg_memory *m, libcrun_error_t *err)
{
  const char *what = RES ".memory";
  int64_t kernel;
  bool has_kernel, oom, has_oom;

  memset (m, 0, sizeof (*m));
  TRY (cg_get_int (mem, "limit", what, &m->limit, &m->has_limit, err));
  TRY (cg_get_int (mem, "reservation", what, &m->reservation, &m->has_reservation, err));
  TRY (cg_get_int (mem, "swap", what, &m->swap, &m->has_swap, err));
  TRY (cg_get_int (mem, "swappiness", what, &m->swappiness, &m->has_swappiness, err));
  TRY (cg_get_int (mem, "kernel", what, &kernel, &has_kernel, err));
  TRY (cg_get_int (mem, "kernelTCP", what, &m->kernel_tcp, &m->has_kernel_tcp, err));
  TRY (cg_get_bool (mem, "disableOOMKiller", what, &oom, &has_oom, err));
  TRY (cg_get_bool (mem, "useHierarchy", what, &m->use_hierarchy, &m->has_use_hierarchy, err));

  /* 0 means "not set" for these, as in runc. */
  m->has_limit = m->has_limit && m->limit != 0;
  m->has_reservation = m->has_reservation && m->reservation != 0;
  m->has_swap = m->has_swap && m->swap != 0;
  if (has_kernel && kernel != 0)
    libcrun_warning ("%s.kernel: kernel memory limits are deprecated and ignored", what);
  m->has_kernel_tcp = m->has_kernel_tcp && m->kernel_tcp != 0;
  m->disable_oom_killer = has_oom && oom;
  return 0;
}

static int
apply_memory (const struct cg_hierarchies *h, const char *path, yajl_val resources,
              libcrun_error_t *err)
{
  const char *what = RES ".memory";
  cleanup_free char *dir = NULL;
  struct cg_memory m;
  yajl_val mem;
  enum cg_loc loc;

  TRY (cg_get_section (resources, "memory", yajl_t_object, &mem, err));
  if (mem == NULL)
    return 0;
  TRY (memory_read (mem, &m, err));
  if (m.has_limit && m.has_swap && m.limit > 0 && m.swap > 0 && m.swap < m.limit)
    return libcrun_make_error (
        err, EINVAL, "%s.swap (%" PRId64 ") must be >= %s.limit (%" PRId64 ") (it is memory+swap)",
        what, m.swap, what, m.limit);
  if (!m.has_limit && !m.has_reservation && !m.has_swap && !m.has_swappiness
      && !m.disable_oom_killer && !m.has_use_hierarchy && !m.has_kernel_tcp)
    return 0;

  loc = cg_locate (h, path, "memory", "memory", &dir);
  if (loc == CG_LOC_NONE)
    return cg_missing_controller (what, "memory", err);
  return loc == CG_LOC_V1 ? cg_v1_memory (dir, &m, err) : cg_v2_memory (dir, &m, err);
}

/* ------------------------------------------------------------------ */
/* pids: pids.max in both versions. */

static int
apply_pids (const struct cg_hierarchies *h, const char *path, yajl_val resources,
            libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  yajl_val pids;
  int64_t limit;
  bool has_limit;

  TRY (cg_get_section (resources, "pids", yajl_t_object, &pids, err));
  if (pids == NULL)
    return 0;
  TRY (cg_get_int (pids, "limit", RES ".pids", &limit, &has_limit, err));
  if (!has_limit)
    return 0;
  if (cg_locate (h, path, "pids", "pids", &dir) == CG_LOC_NONE)
    {
      if (limit <= 0)
        return 0; /* "no limit" needs no controller */
      return cg_missing_controller (RES ".pids.limit", "pids", err);
    }
  if (limit <= 0)
    return cg_write (dir, "pids.max", "max", RES ".pids.limit", err);
  return cg_write_i64 (dir, "pids.max", limit, RES ".pids.limit", err);
}

/* ------------------------------------------------------------------ */
/* cpu, and cpuset (cpuset.cpus and cpuset.mems in both versions) */

static int
cpu_read (yajl_val cpu, struct cg_cpu *c, const char **cpus, const char **mems,
          libcrun_error_t *err)
{
  const char *what = RES ".cpu";

  memset (c, 0, sizeof (*c));
  TRY (cg_get_int (cpu, "shares", what, &c->shares, &c->has_shares, err));
  TRY (cg_get_int (cpu, "quota", what, &c->quota, &c->has_quota, err));
  TRY (cg_get_int (cpu, "period", what, &c->period, &c->has_period, err));
  TRY (cg_get_int (cpu, "realtimeRuntime", what, &c->rt_runtime, &c->has_rt_runtime, err));
  TRY (cg_get_int (cpu, "realtimePeriod", what, &c->rt_period, &c->has_rt_period, err));
  TRY (cg_get_int (cpu, "idle", what, &c->idle, &c->has_idle, err));
  TRY (cg_get_int (cpu, "burst", what, &c->burst, &c->has_burst, err));
  TRY (cg_get_string (cpu, "cpus", what, cpus, err));
  TRY (cg_get_string (cpu, "mems", what, mems, err));

  c->has_shares = c->has_shares && c->shares != 0;
  c->has_quota = c->has_quota && c->quota != 0;
  c->has_period = c->has_period && c->period != 0;
  c->has_rt_runtime = c->has_rt_runtime && c->rt_runtime != 0;
  c->has_rt_period = c->has_rt_period && c->rt_period != 0;
  if (*cpus && (*cpus)[0] == '\0')
    *cpus = NULL;
  if (*mems && (*mems)[0] == '\0')
    *mems = NULL;
  return 0;
}

static int
apply_cpuset (const struct cg_hierarchies *h, const char *path, const char *cpus, const char *mems,
              libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (cpus == NULL && mems == NULL)
    return 0;
  if (cg_locate (h, path, "cpuset", "cpuset", &dir) == CG_LOC_NONE)
    return cg_missing_controller (RES ".cpu.cpus/mems", "cpuset", err);
  if (cpus)
    TRY (cg_write (dir, "cpuset.cpus", cpus, RES ".cpu.cpus", err));
  if (mems)
    TRY (cg_write (dir, "cpuset.mems", mems, RES ".cpu.mems", err));
  return 0;
}

static int
apply_cpu (const struct cg_hierarchies *h, const char *path, yajl_val resources,
           libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  const char *cpus, *mems;
  struct cg_cpu c;
  yajl_val cpu;
  enum cg_loc loc;

  TRY (cg_get_section (resources, "cpu", yajl_t_object, &cpu, err));
  if (cpu == NULL)
    return 0;
  TRY (cpu_read (cpu, &c, &cpus, &mems, err));

  if (c.has_shares || c.has_quota || c.has_period || c.has_rt_runtime || c.has_rt_period
      || c.has_idle || c.has_burst)
    {
      loc = cg_locate (h, path, "cpu", "cpu", &dir);
      if (loc == CG_LOC_NONE)
        return cg_missing_controller (RES ".cpu", "cpu", err);
      TRY (loc == CG_LOC_V1 ? cg_v1_cpu (dir, &c, err) : cg_v2_cpu (dir, &c, err));
    }
  return apply_cpuset (h, path, cpus, mems, err);
}

/* ------------------------------------------------------------------ */
/* blockIO */

static const char *const throttle_keys[CG_THROTTLE_N] = {
  [CG_THROTTLE_READ_BPS] = "throttleReadBpsDevice",
  [CG_THROTTLE_WRITE_BPS] = "throttleWriteBpsDevice",
  [CG_THROTTLE_READ_IOPS] = "throttleReadIOPSDevice",
  [CG_THROTTLE_WRITE_IOPS] = "throttleWriteIOPSDevice",
};

/* Whether one of the throttle lists has an entry. */
static int
blkio_has_throttles (yajl_val bio, bool *any, libcrun_error_t *err)
{
  int t;

  for (t = 0; t < CG_THROTTLE_N; t++)
    {
      yajl_val a;
      TRY (cg_get_section (bio, throttle_keys[t], yajl_t_array, &a, err));
      if (array_len (a))
        *any = true;
    }
  return 0;
}

static int
blkio_weight_devices (const char *dir, enum cg_loc loc, yajl_val wdev, libcrun_error_t *err)
{
  size_t i;

  for (i = 0; i < array_len (wdev); i++)
    {
      yajl_val e = YAJL_GET_ARRAY (wdev)->values[i];
      cleanup_free char *ew = xasprintf (RES ".blockIO.weightDevice[%zu]", i);
      char mm[64];
      int64_t w, lw;
      bool has_w, has_lw;

      TRY (get_major_minor (e, ew, mm, sizeof (mm), err));
      TRY (cg_get_int (e, "weight", ew, &w, &has_w, err));
      TRY (cg_get_int (e, "leafWeight", ew, &lw, &has_lw, err));
      if (has_lw && lw != 0)
        libcrun_warning ("%s.leafWeight: not supported, ignored", ew);
      if (!has_w || w == 0)
        continue;
      TRY (loc == CG_LOC_V1 ? cg_v1_blkio_weight_device (dir, mm, w, ew, err)
                            : cg_v2_blkio_weight_device (dir, mm, w, ew, err));
    }
  return 0;
}

static int
blkio_throttles (const char *dir, enum cg_loc loc, yajl_val bio, libcrun_error_t *err)
{
  size_t j;
  int t;

  for (t = 0; t < CG_THROTTLE_N; t++)
    {
      yajl_val a;
      TRY (cg_get_section (bio, throttle_keys[t], yajl_t_array, &a, err));
      for (j = 0; j < array_len (a); j++)
        {
          yajl_val e = YAJL_GET_ARRAY (a)->values[j];
          cleanup_free char *ew = xasprintf (RES ".blockIO.%s[%zu]", throttle_keys[t], j);
          char mm[64];
          int64_t rate;
          bool has_rate;

          TRY (get_major_minor (e, ew, mm, sizeof (mm), err));
          TRY (cg_get_int (e, "rate", ew, &rate, &has_rate, err));
          if (!has_rate || rate < 0)
            return libcrun_make_error (err, EINVAL, "%s.rate: a non-negative rate is required", ew);
          TRY (loc == CG_LOC_V1 ? cg_v1_blkio_throttle (dir, t, mm, rate, ew, err)
                                : cg_v2_blkio_throttle (dir, t, mm, rate, ew, err));
        }
    }
  return 0;
}

static int
apply_blkio (const struct cg_hierarchies *h, const char *path, yajl_val resources,
             libcrun_error_t *err)
{
  const char *what = RES ".blockIO";
  cleanup_free char *dir = NULL;
  yajl_val bio, wdev;
  int64_t weight, leaf;
  bool has_weight, has_leaf, any;
  enum cg_loc loc;

  TRY (cg_get_section (resources, "blockIO", yajl_t_object, &bio, err));
  if (bio == NULL)
    return 0;
  TRY (cg_get_int (bio, "weight", what, &weight, &has_weight, err));
  TRY (cg_get_int (bio, "leafWeight", what, &leaf, &has_leaf, err));
  has_weight = has_weight && weight != 0;
  has_leaf = has_leaf && leaf != 0;
  TRY (cg_get_section (bio, "weightDevice", yajl_t_array, &wdev, err));
  any = has_weight || has_leaf || array_len (wdev);
  TRY (blkio_has_throttles (bio, &any, err));
  if (!any)
    return 0;

  loc = cg_locate (h, path, "blkio", "io", &dir);
  if (loc == CG_LOC_NONE)
    return cg_missing_controller (what, "blkio/io", err);
  if (has_weight)
    TRY (loc == CG_LOC_V1 ? cg_v1_blkio_weight (dir, weight, err)
                          : cg_v2_blkio_weight (dir, weight, err));
  if (has_leaf)
    TRY (loc == CG_LOC_V1 ? cg_v1_blkio_leaf_weight (dir, leaf, err)
                          : cg_v2_blkio_leaf_weight (dir, leaf, err));
  TRY (blkio_weight_devices (dir, loc, wdev, err));
  return blkio_throttles (dir, loc, bio, err);
}

/* ------------------------------------------------------------------ */
/* hugepageLimits */

static int
apply_hugetlb (const struct cg_hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  yajl_val arr;
  enum cg_loc loc;
  size_t i;

  TRY (cg_get_section (resources, "hugepageLimits", yajl_t_array, &arr, err));
  if (array_len (arr) == 0)
    return 0;
  loc = cg_locate (h, path, "hugetlb", "hugetlb", &dir);
  if (loc == CG_LOC_NONE)
    return cg_missing_controller (RES ".hugepageLimits", "hugetlb", err);

  for (i = 0; i < array_len (arr); i++)
    {
      yajl_val e = YAJL_GET_ARRAY (arr)->values[i];
      cleanup_free char *ew = xasprintf (RES ".hugepageLimits[%zu]", i);
      cleanup_free char *file = NULL;
      cleanup_free char *v = NULL;
      const char *size;
      int64_t limit;
      bool has_limit;

      TRY (cg_get_string (e, "pageSize", ew, &size, err));
      TRY (cg_get_int (e, "limit", ew, &limit, &has_limit, err));
      if (size == NULL || size[0] == '\0' || strchr (size, '/') || !has_limit)
        return libcrun_make_error (err, EINVAL, "%s: `pageSize` and `limit` are required", ew);
      if (loc == CG_LOC_V1)
        cg_v1_hugetlb_file (size, limit, &file, &v);
      else
        cg_v2_hugetlb_file (size, limit, &file, &v);
      if (!cg_has_file (dir, file))
        return libcrun_make_error (err, ENOTSUP, "%s: page size `%s` is not supported (no `%s/%s`)",
                                   ew, size, dir, file);
      TRY (cg_write (dir, file, v, ew, err));
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* rdma: rdma.max in both versions. */

static int
apply_rdma (const struct cg_hierarchies *h, const char *path, yajl_val resources,
            libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  yajl_val rdma;
  size_t i;

  TRY (cg_get_section (resources, "rdma", yajl_t_object, &rdma, err));
  if (rdma == NULL || YAJL_GET_OBJECT (rdma)->len == 0)
    return 0;
  if (cg_locate (h, path, "rdma", "rdma", &dir) == CG_LOC_NONE)
    return cg_missing_controller (RES ".rdma", "rdma", err);
  for (i = 0; i < YAJL_GET_OBJECT (rdma)->len; i++)
    {
      const char *name = YAJL_GET_OBJECT (rdma)->keys[i];
      yajl_val e = YAJL_GET_OBJECT (rdma)->values[i];
      cleanup_free char *ew = xasprintf (RES ".rdma.%s", name);
      cleanup_free char *hs = NULL;
      cleanup_free char *os = NULL;
      cleanup_free char *v = NULL;
      int64_t handles, objects;
      bool has_h, has_o;
      TRY (cg_get_int (e, "hcaHandles", ew, &handles, &has_h, err));
      TRY (cg_get_int (e, "hcaObjects", ew, &objects, &has_o, err));
      hs = has_h ? xasprintf ("%" PRId64, handles) : xstrdup ("max");
      os = has_o ? xasprintf ("%" PRId64, objects) : xstrdup ("max");
      v = xasprintf ("%s hca_handle=%s hca_object=%s", name, hs, os);
      TRY (cg_write (dir, "rdma.max", v, ew, err));
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* devices */

const char *const cg_default_device_rules[] = {
  "c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm",   "c 1:7 rwm", "c 1:8 rwm",
  "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 136:* rwm", "c 5:2 rwm", NULL,
};

/* "*" for a missing or negative number. */
static void
dev_number (bool present, int64_t v, char *buf, size_t len)
{
  if (present && v >= 0)
    snprintf (buf, len, "%" PRId64, v);
  else
    snprintf (buf, len, "*");
}

static int
parse_device_rule (yajl_val e, size_t idx, struct cg_dev_rule *r, libcrun_error_t *err)
{
  cleanup_free char *ew = xasprintf (RES ".devices[%zu]", idx);
  const char *type, *access;
  int64_t major, minor;
  bool has_major, has_minor, has_allow;
  char maj[24], min[24];
  size_t i;

  if (e == NULL || !YAJL_IS_OBJECT (e))
    return libcrun_make_error (err, EINVAL, "%s: expected an object", ew);
  TRY (cg_get_bool (e, "allow", ew, &r->allow, &has_allow, err));
  if (!has_allow)
    return libcrun_make_error (err, EINVAL, "%s.allow: required", ew);
  TRY (cg_get_string (e, "type", ew, &type, err));
  TRY (cg_get_string (e, "access", ew, &access, err));
  TRY (cg_get_int (e, "major", ew, &major, &has_major, err));
  TRY (cg_get_int (e, "minor", ew, &minor, &has_minor, err));
  if (type == NULL || type[0] == '\0')
    type = "a";
  if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
    return libcrun_make_error (err, EINVAL, "%s.type: `%s` is not one of a, c, b", ew, type);
  if (access == NULL || access[0] == '\0')
    access = "rwm";
  for (i = 0; access[i]; i++)
    if (access[i] != 'r' && access[i] != 'w' && access[i] != 'm')
      return libcrun_make_error (err, EINVAL, "%s.access: `%s` is not made of r, w, m", ew, access);
  if (strlen (access) > 3)
    return libcrun_make_error (err, EINVAL, "%s.access: `%s` is too long", ew, access);
  dev_number (has_major, major, maj, sizeof (maj));
  dev_number (has_minor, minor, min, sizeof (min));
  snprintf (r->text, sizeof (r->text), "%s %s:%s %s", type, maj, min, access);
  return 0;
}

static int
apply_devices (const struct cg_hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_free struct cg_dev_rule *rules = NULL;
  yajl_val arr;
  size_t i, n;

  TRY (cg_get_section (resources, "devices", yajl_t_array, &arr, err));
  if (arr == NULL)
    return 0;
  n = array_len (arr);
  rules = xmalloc0 ((n + 1) * sizeof (*rules));
  for (i = 0; i < n; i++)
    TRY (parse_device_rule (YAJL_GET_ARRAY (arr)->values[i], i, &rules[i], err));

  if (cg_locate (h, path, "devices", NULL, &dir) == CG_LOC_V1)
    return cg_v1_devices (dir, rules, n, err);
  if (h->layout == LIBCRUN_CGROUP_V1 || cg_find_unified (h) == NULL)
    return cg_missing_controller (RES ".devices", "devices", err);
  dir = cg_dir (cg_find_unified (h), path);
  return cg_v2_devices (dir, rules, n, err);
}

/* ------------------------------------------------------------------ */

static int
apply_network (const struct cg_hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  yajl_val net;

  TRY (cg_get_section (resources, "network", yajl_t_object, &net, err));
  return net ? cg_v1_network (h, path, net, err) : 0;
}

static int
apply_unified (const struct cg_hierarchies *h, const char *path, yajl_val resources,
               libcrun_error_t *err)
{
  yajl_val obj;

  TRY (cg_get_section (resources, "unified", yajl_t_object, &obj, err));
  if (obj == NULL || YAJL_GET_OBJECT (obj)->len == 0)
    return 0;
  return cg_v2_unified (h, path, obj, err);
}

int
libcrun_cgroup_apply_resources_part (const struct libcrun_cgroup *cg, yajl_val resources,
                                     unsigned parts, libcrun_error_t *err)
{
  cleanup_hierarchies struct cg_hierarchies h = { 0 };
  bool others = (parts & LIBCRUN_CGROUP_RES_OTHERS) != 0;

  if (resources == NULL || YAJL_IS_NULL (resources))
    return 0;
  if (!YAJL_IS_OBJECT (resources))
    return libcrun_make_error (err, EINVAL, RES ": expected an object");
  TRY (cg_hierarchies_read (&h, err));

  if (others)
    {
      TRY (apply_memory (&h, cg->path, resources, err));
      TRY (apply_pids (&h, cg->path, resources, err));
      TRY (apply_cpu (&h, cg->path, resources, err));
      TRY (apply_blkio (&h, cg->path, resources, err));
      TRY (apply_hugetlb (&h, cg->path, resources, err));
      TRY (apply_network (&h, cg->path, resources, err));
      TRY (apply_rdma (&h, cg->path, resources, err));
    }
  if (parts & LIBCRUN_CGROUP_RES_DEVICES)
    TRY (apply_devices (&h, cg->path, resources, err));
  /* Last, so that raw values win over the translated ones. */
  if (others)
    TRY (apply_unified (&h, cg->path, resources, err));
  return 0;
}

int
libcrun_cgroup_apply_resources (const struct libcrun_cgroup *cg, yajl_val resources,
                                libcrun_error_t *err)
{
  return libcrun_cgroup_apply_resources_part (cg, resources, LIBCRUN_CGROUP_RES_ALL, err);
}
