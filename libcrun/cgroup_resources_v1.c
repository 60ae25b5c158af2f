/* linux.resources on cgroup v1: the files of each controller and the
 * order of the writes that depend on each other (see cgroup_resources.h).
 *
 * - memory.memsw.limit_in_bytes (memory+swap) must stay >= the limit at
 *   every step, cpu.cfs_quota_us and cpu.rt_runtime_us must fit in the
 *   period: when the kernel refuses a write with EINVAL, the other value
 *   goes in first and the write is tried again.
 *
 * - blockIO.weight goes to blkio.weight, else blkio.bfq.weight.  When the
 *   I/O scheduler offers neither file the request cannot be honoured and it
 *   is an error (as crun does), not a silent skip.
 */
#include "cgroup_internal.h"
#include "cgroup_resources.h"
#include "log.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* memory */

/* limit and swap both: when the new limit is above the current memsw,
 * memsw goes first (the limit write fails with EINVAL otherwise). */
static int
v1_memory_limit_and_swap (const char *dir, int64_t limit, int64_t swap, libcrun_error_t *err)
{
  char l[24];
  int ret;

  snprintf (l, sizeof (l), "%" PRId64, limit);
  ret = cg_write_raw (dir, "memory.limit_in_bytes", l);
  if (ret == -EINVAL)
    {
      TRY (cg_write_i64 (dir, "memory.memsw.limit_in_bytes", swap, RES ".memory.swap", err));
      return cg_write (dir, "memory.limit_in_bytes", l, RES ".memory.limit", err);
    }
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.limit: write `%s` to `%s/memory.limit_in_bytes`",
                               RES ".memory", l, dir);
  return cg_write_i64 (dir, "memory.memsw.limit_in_bytes", swap, RES ".memory.swap", err);
}

static int
v1_memory_limits (const char *dir, const struct cg_memory *m, libcrun_error_t *err)
{
  bool has_swap = m->has_swap;

  if (has_swap && !cg_has_file (dir, "memory.memsw.limit_in_bytes"))
    {
      libcrun_warning ("%s.swap: swap accounting is not enabled (no memory.memsw.limit_in_bytes), "
                       "ignored",
                       RES ".memory");
      has_swap = false;
    }
  if (m->has_limit && has_swap)
    return v1_memory_limit_and_swap (dir, m->limit, m->swap, err);
  if (m->has_limit)
    return cg_write_i64 (dir, "memory.limit_in_bytes", m->limit, RES ".memory.limit", err);
  if (has_swap)
    return cg_write_i64 (dir, "memory.memsw.limit_in_bytes", m->swap, RES ".memory.swap", err);
  return 0;
}

int
cg_v1_memory (const char *dir, const struct cg_memory *m, libcrun_error_t *err)
{
  const char *what = RES ".memory";

  TRY (v1_memory_limits (dir, m, err));
  if (m->has_reservation)
    TRY (cg_write_i64 (dir, "memory.soft_limit_in_bytes", m->reservation, RES ".memory.reservation",
                       err));
  if (m->has_swappiness && (m->swappiness < 0 || m->swappiness > 100))
    return libcrun_make_error (err, EINVAL, "%s.swappiness: %" PRId64 " is not in 0-100", what,
                               m->swappiness);
  if (m->has_swappiness)
    TRY (cg_write_i64 (dir, "memory.swappiness", m->swappiness, RES ".memory.swappiness", err));
  if (m->disable_oom_killer)
    TRY (cg_write (dir, "memory.oom_control", "1", RES ".memory.disableOOMKiller", err));
  if (m->has_use_hierarchy)
    TRY (cg_write (dir, "memory.use_hierarchy", m->use_hierarchy ? "1" : "0",
                   RES ".memory.useHierarchy", err));
  if (m->has_kernel_tcp && !cg_has_file (dir, "memory.kmem.tcp.limit_in_bytes"))
    libcrun_warning ("%s.kernelTCP: this kernel has no memory.kmem.tcp.limit_in_bytes, ignored",
                     what);
  else if (m->has_kernel_tcp)
    TRY (cg_write_i64 (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp,
                       RES ".memory.kernelTCP", err));
  return 0;
}

/* ------------------------------------------------------------------ */
/* cpu */

/* quota and period: the new period may only fit after the new quota. */
static int
v1_cfs (const char *dir, const struct cg_cpu *c, libcrun_error_t *err)
{
  int64_t quota = c->quota < 0 ? -1 : c->quota;
  char p[24];
  int ret = 0;

  snprintf (p, sizeof (p), "%" PRId64, c->period);
  if (c->has_period)
    ret = cg_write_raw (dir, "cpu.cfs_period_us", p);
  if (ret == -EINVAL && c->has_quota)
    {
      TRY (cg_write_i64 (dir, "cpu.cfs_quota_us", quota, RES ".cpu.quota", err));
      return cg_write (dir, "cpu.cfs_period_us", p, RES ".cpu.period", err);
    }
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.period: write `%s` to `%s/cpu.cfs_period_us`",
                               RES ".cpu", p, dir);
  if (c->has_quota)
    return cg_write_i64 (dir, "cpu.cfs_quota_us", quota, RES ".cpu.quota", err);
  return 0;
}

/* cpu.rt_runtime_us of `dir`, or -2 when it cannot be read. */
static int64_t
read_rt_runtime (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/cpu.rt_runtime_us", dir);
  char buf[32] = { 0 };
  cleanup_close int fd = open (p, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return -2;
  return strtoll (buf, NULL, 10);
}

/* The real-time runtime the children of `parent` hold, but for `except`
 * (the child on the way to the container, whose new need is counted
 * instead): the kernel refuses a parent below the sum of its children's
 * (their periods are taken to be equal, the default 1 s). */
static int64_t
rt_siblings (const char *parent, const char *except)
{
  DIR *d = opendir (parent);
  struct dirent *de;
  int64_t sum = 0;

  if (d == NULL)
    return 0;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *sub = NULL;
      int64_t have;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", parent, de->d_name);
      if (strcmp (sub, except) == 0)
        continue;
      have = read_rt_runtime (sub);
      if (have > 0)
        sum += have;
    }
  closedir (d);
  return sum;
}

struct rt_raise
{
  char *dir;
  int64_t value;
};

/* The ancestors of dir with less runtime than their children would then
 * hold (dir at value, its siblings at theirs), nearest first, up to the
 * first that has enough (the root has the system's whole budget). */
static size_t
rt_ancestors_short (const char *dir, int64_t value, struct rt_raise *raise, size_t max)
{
  cleanup_free char *up = xstrdup (dir);
  cleanup_free char *child = xstrdup (dir);
  int64_t need = value;
  size_t n = 0;

  for (;;)
    {
      char *slash = strrchr (up, '/');
      int64_t have;
      if (slash == NULL || slash == up || n == max)
        break;
      *slash = '\0';
      need += rt_siblings (up, child);
      have = read_rt_runtime (up);
      if (have == -2 || have == -1 || have >= need)
        break;
      raise[n].dir = xstrdup (up);
      raise[n++].value = need;
      free (child);
      child = xstrdup (up);
    }
  return n;
}

/* Raise those ancestors, top down. */
static int
raise_rt_ancestors (const char *dir, int64_t value, libcrun_error_t *err)
{
  struct rt_raise raise[64];
  size_t n = rt_ancestors_short (dir, value, raise, sizeof (raise) / sizeof (raise[0]));
  int ret = 0;

  while (n > 0)
    {
      cleanup_free char *a = raise[--n].dir;
      char v[24];
      snprintf (v, sizeof (v), "%" PRId64, raise[n].value);
      if (ret == 0 && cg_write_raw (a, "cpu.rt_runtime_us", v) < 0)
        ret = libcrun_make_error (err, EINVAL,
                                  "%s.cpu.realtimeRuntime: `%s` needs at least %s in its parent "
                                  "`%s/cpu.rt_runtime_us`, which cannot be raised",
                                  RES, dir, v, a);
    }
  return ret;
}

/* A child's real-time runtime must fit in its parent's: when the kernel
 * refuses it (EINVAL), the ancestors with less are raised first and the
 * write is tried again. */
static int
write_rt_runtime (const char *dir, int64_t value, libcrun_error_t *err)
{
  char v[24];
  int ret;

  snprintf (v, sizeof (v), "%" PRId64, value);
  ret = cg_write_raw (dir, "cpu.rt_runtime_us", v);
  if (ret == -EINVAL && value >= 0)
    {
      int64_t deadline = cg_now_ms () + 1000;
      TRY (raise_rt_ancestors (dir, value, err));
      ret = cg_write_raw (dir, "cpu.rt_runtime_us", v);
      /* A sibling removed a moment ago (a container just deleted) gives
       * its budget back only once the kernel has freed its group, after a
       * grace period: its directory is gone but its runtime still counts. */
      while (ret == -EINVAL && cg_now_ms () < deadline)
        {
          cg_sleep_ms (10);
          ret = cg_write_raw (dir, "cpu.rt_runtime_us", v);
        }
    }
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.cpu.realtimeRuntime: write `%s` to `%s/%s`", RES, v,
                               dir, "cpu.rt_runtime_us");
  return 0;
}

/* realtimePeriod and realtimeRuntime: a runtime above the new period is
 * refused, so a period that would be below the current runtime goes in
 * after the runtime. */
static int
v1_rt (const char *dir, const struct cg_cpu *c, libcrun_error_t *err)
{
  char p[24];
  int ret = 0;

  snprintf (p, sizeof (p), "%" PRId64, c->rt_period);
  if (c->has_rt_period)
    ret = cg_write_raw (dir, "cpu.rt_period_us", p);
  if (ret == -EINVAL && c->has_rt_runtime)
    {
      TRY (write_rt_runtime (dir, c->rt_runtime, err));
      return cg_write (dir, "cpu.rt_period_us", p, RES ".cpu.realtimePeriod", err);
    }
  if (ret < 0)
    return libcrun_make_error (err, -ret, "%s.cpu.realtimePeriod: write `%s` to `%s/%s`", RES, p,
                               dir, "cpu.rt_period_us");
  return c->has_rt_runtime ? write_rt_runtime (dir, c->rt_runtime, err) : 0;
}

int
cg_v1_cpu (const char *dir, const struct cg_cpu *c, libcrun_error_t *err)
{
  if (c->has_shares)
    TRY (cg_write_i64 (dir, "cpu.shares", c->shares, RES ".cpu.shares", err));
  if (c->has_period || c->has_quota)
    TRY (v1_cfs (dir, c, err));
  if (c->has_rt_runtime || c->has_rt_period)
    TRY (v1_rt (dir, c, err));
  if (c->has_burst)
    TRY (cg_write_i64 (dir, "cpu.cfs_burst_us", c->burst, RES ".cpu.burst", err));
  if (c->has_idle)
    TRY (cg_write_i64 (dir, "cpu.idle", c->idle, RES ".cpu.idle", err));
  return 0;
}

/* ------------------------------------------------------------------ */
/* blkio */

int
cg_v1_blkio_weight (const char *dir, int64_t weight, libcrun_error_t *err)
{
  char v[24];
  snprintf (v, sizeof (v), "%" PRId64, weight);
  return cg_write_weight (dir, "blkio.weight", "blkio.bfq.weight", v, RES ".blockIO.weight", err);
}

int
cg_v1_blkio_leaf_weight (const char *dir, int64_t leaf, libcrun_error_t *err)
{
  if (cg_has_file (dir, "blkio.leaf_weight"))
    return cg_write_i64 (dir, "blkio.leaf_weight", leaf, RES ".blockIO.leafWeight", err);
  libcrun_warning ("%s.leafWeight: not supported by this kernel, ignored", RES ".blockIO");
  return 0;
}

int
cg_v1_blkio_weight_device (const char *dir, const char *mm, int64_t weight, const char *ew,
                           libcrun_error_t *err)
{
  cleanup_free char *v = xasprintf ("%s %" PRId64, mm, weight);
  return cg_write_weight (dir, "blkio.weight_device", "blkio.bfq.weight_device", v, ew, err);
}

static const char *const throttle_files[CG_THROTTLE_N] = {
  [CG_THROTTLE_READ_BPS] = "blkio.throttle.read_bps_device",
  [CG_THROTTLE_WRITE_BPS] = "blkio.throttle.write_bps_device",
  [CG_THROTTLE_READ_IOPS] = "blkio.throttle.read_iops_device",
  [CG_THROTTLE_WRITE_IOPS] = "blkio.throttle.write_iops_device",
};

int
cg_v1_blkio_throttle (const char *dir, enum cg_throttle t, const char *mm, int64_t rate,
                      const char *ew, libcrun_error_t *err)
{
  cleanup_free char *v = xasprintf ("%s %" PRId64, mm, rate);
  return cg_write (dir, throttle_files[t], v, ew, err);
}

/* ------------------------------------------------------------------ */
/* hugetlb */

void
cg_v1_hugetlb_file (const char *page_size, int64_t limit, char **file, char **value)
{
  *file = xasprintf ("hugetlb.%s.limit_in_bytes", page_size);
  *value = xasprintf ("%" PRId64, limit);
}

/* ------------------------------------------------------------------ */
/* devices */

int
cg_v1_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, libcrun_error_t *err)
{
  size_t i;

  TRY (cg_write (dir, "devices.deny", "a", RES ".devices (deny all)", err));
  for (i = 0; i < n; i++)
    {
      cleanup_free char *ew = xasprintf (RES ".devices[%zu]", i);
      const char *text = rules[i].text;
      /* The kernel wants the bare "a" for "every device". */
      if (strncmp (text, "a *:* rwm", 9) == 0)
        text = "a";
      TRY (cg_write (dir, rules[i].allow ? "devices.allow" : "devices.deny", text, ew, err));
    }
  for (i = 0; cg_default_device_rules[i]; i++)
    TRY (cg_write (dir, "devices.allow", cg_default_device_rules[i], RES ".devices (default rules)",
                   err));
  return 0;
}

/* ------------------------------------------------------------------ */
/* network: net_cls and net_prio, which cgroup v2 does not have (a
 * warning there, an error on a v1 or hybrid host without them). */

static int
v1_net_classid (const struct cg_hierarchies *h, const char *path, int64_t classid,
                libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;

  if (cg_locate (h, path, "net_cls", NULL, &dir) != CG_LOC_NONE)
    return cg_write_i64 (dir, "net_cls.classid", classid, RES ".network.classID", err);
  if (h->layout != LIBCRUN_CGROUP_V2)
    return cg_missing_controller (RES ".network.classID", "net_cls", err);
  libcrun_warning ("%s.classID: no net_cls controller on cgroup v2, ignored", RES ".network");
  return 0;
}

static int
v1_net_priorities (const struct cg_hierarchies *h, const char *path, yajl_val prios,
                   libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  size_t i;

  if (cg_locate (h, path, "net_prio", NULL, &dir) == CG_LOC_NONE)
    {
      if (h->layout != LIBCRUN_CGROUP_V2)
        return cg_missing_controller (RES ".network.priorities", "net_prio", err);
      libcrun_warning ("%s.priorities: no net_prio controller on cgroup v2, ignored",
                       RES ".network");
      return 0;
    }
  for (i = 0; i < YAJL_GET_ARRAY (prios)->len; i++)
    {
      yajl_val e = YAJL_GET_ARRAY (prios)->values[i];
      cleanup_free char *ew = xasprintf (RES ".network.priorities[%zu]", i);
      cleanup_free char *v = NULL;
      const char *name;
      int64_t prio;
      bool has_prio;
      TRY (cg_get_string (e, "name", ew, &name, err));
      TRY (cg_get_int (e, "priority", ew, &prio, &has_prio, err));
      if (name == NULL || !has_prio)
        return libcrun_make_error (err, EINVAL, "%s: `name` and `priority` are required", ew);
      v = xasprintf ("%s %" PRId64, name, prio);
      TRY (cg_write (dir, "net_prio.ifpriomap", v, ew, err));
    }
  return 0;
}

int
cg_v1_network (const struct cg_hierarchies *h, const char *path, yajl_val net, libcrun_error_t *err)
{
  yajl_val prios;
  int64_t classid;
  bool has_classid;

  TRY (cg_get_int (net, "classID", RES ".network", &classid, &has_classid, err));
  TRY (cg_get_section (net, "priorities", yajl_t_array, &prios, err));
  if (has_classid)
    TRY (v1_net_classid (h, path, classid, err));
  if (prios && YAJL_GET_ARRAY (prios)->len)
    TRY (v1_net_priorities (h, path, prios, err));
  return 0;
}
