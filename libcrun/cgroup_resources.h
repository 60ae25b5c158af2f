/* linux.resources on cgroupfs, inside the manager (not installed).
 *
 * cgroup_resources.c reads the JSON, drops the values that mean "unset",
 * finds where each controller lives for the cgroup (a v1 hierarchy or the
 * unified one: on a hybrid host it differs from one controller to the
 * next) and hands the values to the writer of that version:
 * cgroup_resources_v1.c and cgroup_resources_v2.c know the files and the
 * value formats of their version, and the resources that only their
 * version has (network on v1; unified on v2). */
#ifndef LIBCRUN_CGROUP_RESOURCES_H
#define LIBCRUN_CGROUP_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>
#include "cgroup_internal.h"

#define RES "linux.resources"

/* Typed getters of a JSON object's field: NULL or absent is "not there"
 * (*present false, or a NULL *out), another type an error naming what.key. */
int cg_get_int (yajl_val node, const char *key, const char *what, int64_t *out, bool *present,
                libcrun_error_t *err);
int cg_get_string (yajl_val node, const char *key, const char *what, const char **out,
                   libcrun_error_t *err);
int cg_get_bool (yajl_val node, const char *key, const char *what, bool *out, bool *present,
                 libcrun_error_t *err);
/* resources.key, of type yajl_t_array or yajl_t_object. */
int cg_get_section (yajl_val resources, const char *key, yajl_type type, yajl_val *out,
                    libcrun_error_t *err);

int cg_missing_controller (const char *what, const char *ctrl, libcrun_error_t *err);

/* Write value to the first of f1, f2 (may be NULL) that exists: an error
 * naming the scheduler when neither does. */
int cg_write_weight (const char *dir, const char *f1, const char *f2, const char *value,
                     const char *what, libcrun_error_t *err);

/* ------------------------------------------------------------------ */
/* What the writers get.  A has_ flag is false for a value that is unset. */

struct cg_memory
{
  int64_t limit, reservation, swap, swappiness, kernel_tcp;
  bool has_limit, has_reservation, has_swap, has_swappiness, has_kernel_tcp;
  bool disable_oom_killer; /* true only when set to true */
  bool use_hierarchy, has_use_hierarchy;
};

struct cg_cpu
{
  int64_t shares, quota, period, rt_runtime, rt_period, idle, burst;
  bool has_shares, has_quota, has_period, has_rt_runtime, has_rt_period, has_idle, has_burst;
};

/* blockIO.throttle*Device, in the order they are applied. */
enum cg_throttle
{
  CG_THROTTLE_READ_BPS,
  CG_THROTTLE_WRITE_BPS,
  CG_THROTTLE_READ_IOPS,
  CG_THROTTLE_WRITE_IOPS,
  CG_THROTTLE_N,
};

/* One entry of linux.resources.devices, as a v1 rule text ("c 1:3 rwm"). */
struct cg_dev_rule
{
  bool allow;
  char text[96];
};

/* crun's default device rules (allowed after the configured ones), NULL
 * terminated. */
extern const char *const cg_default_device_rules[];

/* ------------------------------------------------------------------ */
/* The writers.  dir is the cgroup's directory in the hierarchy that has
 * the controller; mm is "major:minor"; ew names the entry in errors. */

int cg_v1_memory (const char *dir, const struct cg_memory *m, libcrun_error_t *err);
int cg_v2_memory (const char *dir, const struct cg_memory *m, libcrun_error_t *err);

int cg_v1_cpu (const char *dir, const struct cg_cpu *c, libcrun_error_t *err);
int cg_v2_cpu (const char *dir, const struct cg_cpu *c, libcrun_error_t *err);

int cg_v1_blkio_weight (const char *dir, int64_t weight, libcrun_error_t *err);
int cg_v2_blkio_weight (const char *dir, int64_t weight, libcrun_error_t *err);
int cg_v1_blkio_leaf_weight (const char *dir, int64_t leaf, libcrun_error_t *err);
int cg_v2_blkio_leaf_weight (const char *dir, int64_t leaf, libcrun_error_t *err);
int cg_v1_blkio_weight_device (const char *dir, const char *mm, int64_t weight, const char *ew,
                               libcrun_error_t *err);
int cg_v2_blkio_weight_device (const char *dir, const char *mm, int64_t weight, const char *ew,
                               libcrun_error_t *err);
int cg_v1_blkio_throttle (const char *dir, enum cg_throttle t, const char *mm, int64_t rate,
                          const char *ew, libcrun_error_t *err);
int cg_v2_blkio_throttle (const char *dir, enum cg_throttle t, const char *mm, int64_t rate,
                          const char *ew, libcrun_error_t *err);

/* The file of a hugepageLimits entry and the value for limit (malloc'ed). */
void cg_v1_hugetlb_file (const char *page_size, int64_t limit, char **file, char **value);
void cg_v2_hugetlb_file (const char *page_size, int64_t limit, char **file, char **value);

/* devices.deny "a", the rules, the defaults. */
int cg_v1_devices (const char *dir, const struct cg_dev_rule *rules, size_t n,
                   libcrun_error_t *err);
/* The same rules as an eBPF program on dir, the cgroup2 directory. */
int cg_v2_devices (const char *dir, const struct cg_dev_rule *rules, size_t n,
                   libcrun_error_t *err);

/* linux.resources.network (net_cls, net_prio: v1 only). */
int cg_v1_network (const struct cg_hierarchies *h, const char *path, yajl_val resources,
                   libcrun_error_t *err);
/* linux.resources.unified, a non-empty object (v2 only). */
int cg_v2_unified (const struct cg_hierarchies *h, const char *path, yajl_val unified,
                   libcrun_error_t *err);

#endif
