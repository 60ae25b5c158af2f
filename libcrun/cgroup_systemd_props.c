/* linux.resources as systemd unit properties (see cgroup_systemd_props.h). */
#include "cgroup_systemd_props.h"
#include "cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define USEC_PER_SEC 1000000ULL

/* resources.<section>.<field> as an integer; false when absent or not one. */
static bool
field_int (yajl_val resources, const char *section, const char *field, long long *out)
{
  const char *path[] = { section, field, NULL };
  yajl_val v = resources ? yajl_tree_get (resources, path, yajl_t_number) : NULL;
  if (v == NULL || !YAJL_IS_INTEGER (v))
    return false;
  *out = YAJL_GET_INTEGER (v);
  return true;
}

static const char *
field_string (yajl_val resources, const char *section, const char *field)
{
  const char *path[] = { section, field, NULL };
  yajl_val v = resources ? yajl_tree_get (resources, path, yajl_t_string) : NULL;
  return v ? YAJL_GET_STRING (v) : NULL;
}

static void
add_u64 (struct libcrun_systemd_props *out, const char *name, uint64_t value)
{
  struct libcrun_systemd_prop *p = &out->p[out->n++];
  memset (p, 0, sizeof (*p));
  p->name = name;
  p->type = 't';
  p->value = value;
}

/* A limit where -1 means "no limit": systemd's infinity is UINT64_MAX. */
static void
add_limit (struct libcrun_systemd_props *out, const char *name, long long v)
{
  if (v > 0)
    add_u64 (out, name, (uint64_t)v);
  else if (v == -1)
    add_u64 (out, name, UINT64_MAX);
}

static int
parse_cpu_number (const char **s, unsigned long *out)
{
  char *end;
  if (**s < '0' || **s > '9')
    return -1;
  errno = 0;
  *out = strtoul (*s, &end, 10);
  if (errno || *out >= LIBCRUN_SYSTEMD_MASK_BYTES * 8)
    return -1;
  *s = end;
  return 0;
}

int
libcrun_systemd_parse_mask (const char *list, uint8_t *mask, size_t *len, libcrun_error_t *err)
{
  const char *s = list;
  memset (mask, 0, LIBCRUN_SYSTEMD_MASK_BYTES);
  *len = 0;
  while (*s)
    {
      unsigned long lo, hi, i;
      if (parse_cpu_number (&s, &lo) < 0)
        goto bad;
      hi = lo;
      if (*s == '-')
        {
          s++;
          if (parse_cpu_number (&s, &hi) < 0 || hi < lo)
            goto bad;
        }
      for (i = lo; i <= hi; i++)
        mask[i / 8] |= (uint8_t)(1u << (i % 8));
      if (hi / 8 + 1 > *len)
        *len = hi / 8 + 1;
      if (*s == ',')
        s++;
      else if (*s)
        goto bad;
    }
  return 0;
bad:
  return libcrun_make_error (err, EINVAL, "`%s`: not a list of numbers below %d (like `0-3,5`)",
                             list, LIBCRUN_SYSTEMD_MASK_BYTES * 8);
}

static int
add_mask (struct libcrun_systemd_props *out, const char *name, const char *list, const char *field,
          libcrun_error_t *err)
{
  struct libcrun_systemd_prop *p;
  if (list == NULL || list[0] == '\0')
    return 0;
  p = &out->p[out->n];
  memset (p, 0, sizeof (*p));
  if (libcrun_systemd_parse_mask (list, p->mask, &p->mask_len, err) < 0)
    return libcrun_error_wrap (err, "`linux.resources.cpu.%s`", field);
  p->name = name;
  p->type = 'y';
  out->n++;
  return 0;
}

static void
memory_props (yajl_val r, struct libcrun_systemd_props *out)
{
  long long limit = 0, v;
  if (field_int (r, "memory", "limit", &limit))
    add_limit (out, "MemoryMax", limit);
  if (field_int (r, "memory", "reservation", &v))
    add_limit (out, "MemoryLow", v);
  if (field_int (r, "memory", "swap", &v))
    {
      if (v == -1)
        add_u64 (out, "MemorySwapMax", UINT64_MAX);
      else if (v > 0 && limit > 0 && v >= limit)
        add_u64 (out, "MemorySwapMax", (uint64_t)(v - limit));
    }
}

static void
cpu_props (yajl_val r, struct libcrun_systemd_props *out)
{
  long long shares, quota, period = 0;
  if (field_int (r, "cpu", "shares", &shares) && shares > 0)
    {
      /* the conversion cgroup.c applies for cpu.weight */
      add_u64 (out, "CPUWeight", libcrun_cgroup_shares_to_weight ((uint64_t)shares));
    }
  field_int (r, "cpu", "period", &period);
  if (period > 0)
    add_u64 (out, "CPUQuotaPeriodUSec", (uint64_t)period);
  /* a quota whose per-second value does not fit in 64 bits gets no
   * property: the kernel refuses it in cpu.max, which names the field */
  if (field_int (r, "cpu", "quota", &quota) && quota > 0
      && (uint64_t)quota <= UINT64_MAX / USEC_PER_SEC)
    {
      uint64_t p = period > 0 ? (uint64_t)period : 100000; /* the kernel's default period */
      add_u64 (out, "CPUQuotaPerSecUSec", (uint64_t)quota * USEC_PER_SEC / p);
    }
}

int
libcrun_systemd_props_from_resources (yajl_val resources, struct libcrun_systemd_props *out,
                                      libcrun_error_t *err)
{
  long long v;
  out->n = 0;
  memory_props (resources, out);
  if (field_int (resources, "pids", "limit", &v))
    add_limit (out, "TasksMax", v);
  cpu_props (resources, out);
  if (add_mask (out, "AllowedCPUs", field_string (resources, "cpu", "cpus"), "cpus", err) < 0)
    return -1;
  return add_mask (out, "AllowedMemoryNodes", field_string (resources, "cpu", "mems"), "mems", err);
}
