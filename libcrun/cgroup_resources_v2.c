/* linux.resources on cgroup v2: the unified hierarchy's files and value
 * formats (see cgroup_resources.h).  A negative limit is "max".
 *
 * - cpu.shares becomes cpu.weight with the log-quadratic formula that
 *   crun >= 1.23 and runc >= 1.3.2 use (1024 -> 100, 2 -> 1,
 *   262144 -> 10000), computed without libm.
 *
 * - blockIO.weight goes to io.bfq.weight as is, else to io.weight scaled to
 *   1-10000.  When the I/O scheduler offers neither file the request cannot
 *   be honoured and it is an error (as crun does), not a silent skip.
 *
 * - linux.resources.unified is refused on v1 hosts; on hybrid hosts a key
 *   is accepted only when its controller is available in the unified
 *   hierarchy (for instance hugetlb here) and its file exists.
 */
#include "cgroup_ebpf.h"
#include "cgroup_resources.h"
#include "log.h"
#include "utils.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -1 (or any negative value) means "no limit". */
static char *
fmt_limit (int64_t v)
{
  return v < 0 ? xstrdup ("max") : xasprintf ("%" PRId64, v);
}

static int
write_limit (const char *dir, const char *file, int64_t v, const char *what, libcrun_error_t *err)
{
  cleanup_free char *s = fmt_limit (v);
  return cg_write (dir, file, s, what, err);
}

/* ------------------------------------------------------------------ */
/* memory */

/* OCI swap is memory+swap; memory.swap.max is swap alone. */
static int
v2_memory_swap (const char *dir, const struct cg_memory *m, libcrun_error_t *err)
{
  const char *what = RES ".memory";
  cleanup_free char *v = NULL;

  if (m->swap < 0)
    v = xstrdup ("max");
  else if (!m->has_limit || m->limit < 0)
    return libcrun_make_error (err, EINVAL,
                               "%s.swap: cannot set a swap limit without a memory limit", what);
  else
    v = xasprintf ("%" PRId64, m->swap - m->limit);
  if (!cg_has_file (dir, "memory.swap.max"))
    {
      libcrun_warning ("%s.swap: swap accounting is not enabled (no memory.swap.max), ignored",
                       what);
      return 0;
    }
  return cg_write (dir, "memory.swap.max", v, RES ".memory.swap", err);
}

int
cg_v2_memory (const char *dir, const struct cg_memory *m, libcrun_error_t *err)
{
  const char *what = RES ".memory";

  if (m->has_kernel_tcp)
    libcrun_warning ("%s.kernelTCP: cgroup v2 has no TCP memory limit, ignored", what);
  if (m->has_limit)
    TRY (write_limit (dir, "memory.max", m->limit, RES ".memory.limit", err));
  if (m->has_reservation)
    TRY (write_limit (dir, "memory.low", m->reservation, RES ".memory.reservation", err));
  if (m->has_swap)
    TRY (v2_memory_swap (dir, m, err));
  if (m->has_swappiness)
    libcrun_warning ("%s.swappiness: not supported on cgroup v2, ignored", what);
  if (m->disable_oom_killer)
    libcrun_warning ("%s.disableOOMKiller: not supported on cgroup v2, ignored", what);
  return 0;
}

/* ------------------------------------------------------------------ */
/* cpu */

/* Small libm-free helpers for the shares -> weight formula. */
static double
ln_approx (double x)
{
  const double ln2 = 0.69314718055994530942;
  double z, z2, term, sum = 0;
  int k = 0, i;

  while (x >= 2)
    {
      x /= 2;
      k++;
    }
  while (x < 1)
    {
      x *= 2;
      k--;
    }
  z = (x - 1) / (x + 1);
  z2 = z * z;
  term = z;
  for (i = 0; i < 60; i++)
    {
      sum += term / (2 * i + 1);
      term *= z2;
    }
  return 2 * sum + k * ln2;
}

static double
exp_approx (double y) /* 0 <= y < ~30 */
{
  const double e = 2.71828182845904523536;
  double r = 1, term = 1, f;
  int n = (int)y, i;

  f = y - n;
  for (i = 1; i < 40; i++)
    {
      term *= f / i;
      r += term;
    }
  for (i = 0; i < n; i++)
    r *= e;
  return r;
}

/* cpu.shares [2, 262144] -> cpu.weight [1, 10000]:
 *   l = log2 (shares); weight = ceil (10 ^ ((l^2 + 125 l) / 612 - 7/34))
 * (crun >= 1.23, runc >= 1.3.2: 1024 -> 100).  Values within 1e-6 of an
 * integer are taken as that integer so that rounding noise cannot turn 100
 * into 101. */
uint64_t
libcrun_cgroup_shares_to_weight (uint64_t shares)
{
  const double ln2 = 0.69314718055994530942, ln10 = 2.30258509299404568402;
  double l, e, w;
  uint64_t iw;

  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = ln_approx ((double)shares) / ln2;
  e = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  w = exp_approx (e * ln10);
  iw = (uint64_t)(w + 0.5);
  if (!((double)iw - w <= 1e-6 && w - (double)iw <= 1e-6))
    iw = (uint64_t)w + 1; /* ceil */
  if (iw < 1)
    iw = 1;
  if (iw > 10000)
    iw = 10000;
  return iw;
}

/* cpu.max is "QUOTA PERIOD": a period alone keeps the current quota. */
static int
v2_cpu_max (const char *dir, const struct cg_cpu *c, libcrun_error_t *err)
{
  cleanup_free char *v = NULL;
  cleanup_free char *q = NULL;

  if (c->has_quota)
    q = fmt_limit (c->quota);
  else
    {
      TRY (cg_read (dir, "cpu.max", &q, err));
      q[strcspn (q, " \n")] = '\0';
    }
  v = c->has_period ? xasprintf ("%s %" PRId64, q, c->period) : xstrdup (q);
  return cg_write (dir, "cpu.max", v, RES ".cpu.quota/period", err);
}

int
cg_v2_cpu (const char *dir, const struct cg_cpu *c, libcrun_error_t *err)
{
  if (c->has_rt_runtime || c->has_rt_period)
    return libcrun_make_error (
        err, ENOTSUP, "%s.realtimeRuntime/realtimePeriod: not supported on cgroup v2", RES ".cpu");
  if (c->has_shares)
    {
      char v[24];
      snprintf (v, sizeof (v), "%" PRIu64,
                libcrun_cgroup_shares_to_weight ((uint64_t)(c->shares < 0 ? 0 : c->shares)));
      TRY (cg_write (dir, "cpu.weight", v, RES ".cpu.shares", err));
    }
  if (c->has_quota || c->has_period)
    TRY (v2_cpu_max (dir, c, err));
  if (c->has_burst)
    TRY (cg_write_i64 (dir, "cpu.max.burst", c->burst, RES ".cpu.burst", err));
  if (c->has_idle)
    TRY (cg_write_i64 (dir, "cpu.idle", c->idle, RES ".cpu.idle", err));
  return 0;
}

/* ------------------------------------------------------------------ */
/* io */

/* blkio weight [10, 1000] -> io.weight [1, 10000]. */
static uint64_t
blkio_to_io_weight (int64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((uint64_t)w - 10) * 9999 / 990;
}

int
cg_v2_blkio_weight (const char *dir, int64_t weight, libcrun_error_t *err)
{
  char v[24];

  if (cg_has_file (dir, "io.bfq.weight"))
    return cg_write_i64 (dir, "io.bfq.weight", weight, RES ".blockIO.weight", err);
  snprintf (v, sizeof (v), "%" PRIu64, blkio_to_io_weight (weight));
  return cg_write_weight (dir, "io.weight", NULL, v, RES ".blockIO.weight", err);
}

int
cg_v2_blkio_leaf_weight (const char *dir, int64_t leaf, libcrun_error_t *err)
{
  (void)dir;
  (void)leaf;
  (void)err;
  libcrun_warning ("%s.leafWeight: not supported by this kernel, ignored", RES ".blockIO");
  return 0;
}

int
cg_v2_blkio_weight_device (const char *dir, const char *mm, int64_t weight, const char *ew,
                           libcrun_error_t *err)
{
  cleanup_free char *v = NULL;

  if (cg_has_file (dir, "io.bfq.weight"))
    {
      v = xasprintf ("%s %" PRId64, mm, weight);
      return cg_write (dir, "io.bfq.weight", v, ew, err);
    }
  v = xasprintf ("%s %" PRIu64, mm, blkio_to_io_weight (weight));
  return cg_write_weight (dir, "io.weight", NULL, v, ew, err);
}

static const char *const io_max_keys[CG_THROTTLE_N] = {
  [CG_THROTTLE_READ_BPS] = "rbps",
  [CG_THROTTLE_WRITE_BPS] = "wbps",
  [CG_THROTTLE_READ_IOPS] = "riops",
  [CG_THROTTLE_WRITE_IOPS] = "wiops",
};

/* io.max: a rate of 0 means "no limit". */
int
cg_v2_blkio_throttle (const char *dir, enum cg_throttle t, const char *mm, int64_t rate,
                      const char *ew, libcrun_error_t *err)
{
  cleanup_free char *v = NULL;

  if (rate == 0)
    v = xasprintf ("%s %s=max", mm, io_max_keys[t]);
  else
    v = xasprintf ("%s %s=%" PRId64, mm, io_max_keys[t], rate);
  return cg_write (dir, "io.max", v, ew, err);
}

/* ------------------------------------------------------------------ */
/* hugetlb */

void
cg_v2_hugetlb_file (const char *page_size, int64_t limit, char **file, char **value)
{
  *file = xasprintf ("hugetlb.%s.max", page_size);
  *value = fmt_limit (limit);
}

/* ------------------------------------------------------------------ */
/* devices: cgroup v2 has no devices controller, so the rules, then crun's
 * defaults, become an eBPF program on the container's cgroup2 directory. */

int
cg_v2_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, libcrun_error_t *err)
{
  size_t n_defaults = 0, i, k = 0;
  cleanup_free struct libcrun_device_rule *prog = NULL;

  while (cg_default_device_rules[n_defaults])
    n_defaults++;
  prog = xmalloc0 ((n + n_defaults) * sizeof (*prog));
  for (i = 0; i < n; i++)
    {
      cleanup_free char *ew = xasprintf (RES ".devices[%zu]", i);
      if (libcrun_device_rule_parse (rules[i].text, rules[i].allow, &prog[k++], err) < 0)
        return libcrun_error_wrap (err, "%s", ew);
    }
  for (i = 0; i < n_defaults; i++)
    if (libcrun_device_rule_parse (cg_default_device_rules[i], true, &prog[k++], err) < 0)
      return -1;
  if (libcrun_cgroup_ebpf_devices (dir, prog, k, err) < 0)
    return libcrun_error_wrap (err, RES ".devices");
  return 0;
}

/* ------------------------------------------------------------------ */
/* unified: key/values written as they are. */

/* A key "CONTROLLER.FILE" needs the controller available in the cgroup
 * (cgroup.* always is) and the file there. */
static int
check_unified_key (const struct cg_hierarchies *h, const char *dir, const char *ctrls,
                   const char *key, libcrun_error_t *err)
{
  cleanup_free char *ctrl = xasprintf ("%.*s", (int)(strchr (key, '.') - key), key);

  if (strcmp (ctrl, "cgroup") != 0 && !libcrun_list_has (ctrls, ctrl, " \n"))
    {
      if (cg_find_v1 (h, ctrl))
        return libcrun_make_error (err, ENOTSUP,
                                   RES ".unified: key `%s`: the `%s` controller is bound to "
                                       "cgroup v1 on this hybrid host",
                                   key, ctrl);
      return libcrun_make_error (err, ENOTSUP,
                                 RES ".unified: key `%s`: controller `%s` is not available in "
                                     "the unified hierarchy",
                                 key, ctrl);
    }
  if (!cg_has_file (dir, key))
    return libcrun_make_error (err, ENOENT, RES ".unified: unknown key `%s` (no `%s/%s`)", key, dir,
                               key);
  return 0;
}

int
cg_v2_unified (const struct cg_hierarchies *h, const char *path, yajl_val obj, libcrun_error_t *err)
{
  const struct cg_hierarchy *uh = cg_find_unified (h);
  cleanup_free char *dir = NULL;
  cleanup_free char *ctrls = NULL;
  size_t i;

  if (h->layout == LIBCRUN_CGROUP_V1 || uh == NULL)
    return libcrun_make_error (
        err, ENOTSUP, RES ".unified: key `%s` needs cgroup v2, this host has cgroup v1 only",
        YAJL_GET_OBJECT (obj)->keys[0]);
  dir = cg_dir (uh, path);
  TRY (cg_read (dir, "cgroup.controllers", &ctrls, err));

  for (i = 0; i < YAJL_GET_OBJECT (obj)->len; i++)
    {
      const char *key = YAJL_GET_OBJECT (obj)->keys[i];
      yajl_val v = YAJL_GET_OBJECT (obj)->values[i];
      cleanup_free char *ew = xasprintf (RES ".unified.%s", key);

      if (key[0] == '\0' || key[0] == '.' || strchr (key, '/') || strchr (key, '.') == NULL)
        return libcrun_make_error (err, EINVAL, RES ".unified: invalid key `%s`", key);
      if (!YAJL_IS_STRING (v))
        return libcrun_make_error (err, EINVAL, "%s: expected a string value", ew);
      TRY (check_unified_key (h, dir, ctrls, key, err));
      TRY (cg_write (dir, key, YAJL_GET_STRING (v), ew, err));
    }
  return 0;
}
