/* The cgroupfs cgroup manager.
 *
 * Works on cgroup v2 (unified), v1, and the hybrid layout (v1 controllers
 * under /sys/fs/cgroup/<ctrl> plus a cgroup2 mount at
 * /sys/fs/cgroup/unified); the layout is detected at run time from
 * /proc/self/mountinfo and never refused.
 *
 * A container's cgroup is one relative path (e.g. "/crun/ID") that exists in
 * every mounted hierarchy (each v1 controller, name=systemd, and the unified
 * one when present).  The path is stored in the container's state, so later
 * commands rebuild the handle with libcrun_cgroup_load(). */
#ifndef LIBCRUN_CGROUP_H
#define LIBCRUN_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>
#include <stdint.h>
#include "error.h"

enum libcrun_cgroup_layout
{
  LIBCRUN_CGROUP_V1 = 1,
  LIBCRUN_CGROUP_HYBRID = 2,
  LIBCRUN_CGROUP_V2 = 3,
};

struct libcrun_cgroup
{
  enum libcrun_cgroup_layout layout;
  char *path; /* relative to each hierarchy's root, starts with '/' */
};

int libcrun_cgroup_detect_layout (enum libcrun_cgroup_layout *layout, libcrun_error_t *err);

/* Compute the container's cgroup path from linux.cgroupsPath (absolute: as
 * is; relative: below the caller's own cgroup, as crun does; NULL: the
 * default "/crun/<id>"), create it in every
 * hierarchy (enabling the controllers in cgroup.subtree_control on v2), and
 * return the handle.  Fails if the cgroup already holds processes. */
int libcrun_cgroup_create (const char *cgroups_path, const char *id, struct libcrun_cgroup **out,
                           libcrun_error_t *err);

/* The path libcrun_cgroup_create would use, without creating anything:
 * recorded in the state first, so that a crash right after the mkdir
 * leaves nothing unnamed. */
int libcrun_cgroup_planned_path (const char *cgroups_path, const char *id, char **out,
                                 libcrun_error_t *err);

/* What a process needs to join the cgroup by itself, opened by the
 * runtime: *unified_fd, an O_PATH fd of its directory in the cgroup2
 * hierarchy for clone3(CLONE_INTO_CGROUP) (-1 without one), and *v1_tasks,
 * the v1 hierarchies' `tasks` files opened for writing (-1 terminated; NULL
 * on a pure v2 layout; close_fd_array frees it).  A single-threaded process
 * that writes "0" into them (libcrun_helper_exec_child) joins without the
 * global lock that a pid written by another process takes
 * (cgroup_threadgroup_rwsem: an RCU grace period, the longest step of a run
 * on v1).  The opener's credentials are the ones checked, so a process in a
 * user namespace can do it too. */
int libcrun_cgroup_open_join (const struct libcrun_cgroup *cg, int *unified_fd, int **v1_tasks,
                              libcrun_error_t *err);

/* Rebuild a handle from a stored path (no filesystem change). */
int libcrun_cgroup_load (const char *path, struct libcrun_cgroup **out, libcrun_error_t *err);

/* Move pid into the cgroup in every hierarchy. */
int libcrun_cgroup_enter (const struct libcrun_cgroup *cg, pid_t pid, libcrun_error_t *err);
/* The same for the hierarchies the process has not joined by itself: not
 * the v1 ones when `v1_joined`, not the unified one when `unified_joined`
 * (CLONE_INTO_CGROUP). */
int libcrun_cgroup_enter_rest (const struct libcrun_cgroup *cg, pid_t pid, bool v1_joined,
                               bool unified_joined, libcrun_error_t *err);

/* Apply linux.resources (the raw OCI JSON subtree; NULL: nothing):
 * memory (limit, reservation, swap), pids.limit, cpu (shares/weight,
 * quota/period, cpus/mems), blockIO (weight, throttle) where the controller
 * exists, hugepageLimits where it exists, devices (v1 devices controller;
 * on pure v2 an eBPF device program), and unified (v2 key/values).  A
 * resource whose controller is missing is an error naming the resource,
 * unless crun ignores it. Used by create and by `update`. */
int libcrun_cgroup_apply_resources (const struct libcrun_cgroup *cg, yajl_val resources,
                                    libcrun_error_t *err);

/* One part of it: the device rules, or everything else.  create writes the
 * device rules into the new cgroup before the init exists: on v1 they are
 * written as devices.deny "a" and then the allow list, and an init already
 * in the cgroup that opened a device (its pty) or made a node between the
 * two writes got EPERM. */
enum
{
  LIBCRUN_CGROUP_RES_DEVICES = 1,
  LIBCRUN_CGROUP_RES_OTHERS = 2,
  LIBCRUN_CGROUP_RES_ALL = 3,
};
int libcrun_cgroup_apply_resources_part (const struct libcrun_cgroup *cg, yajl_val resources,
                                         unsigned parts, libcrun_error_t *err);

/* Pids of all processes in the cgroup (for `ps` and `kill --all`). */
int libcrun_cgroup_pids (const struct libcrun_cgroup *cg, pid_t **pids, size_t *n,
                         libcrun_error_t *err);

/* Send sig to every process in the cgroup. */
int libcrun_cgroup_kill_all (const struct libcrun_cgroup *cg, int sig, libcrun_error_t *err);

/* Freeze / thaw (freezer v1: freezer.state; v2: cgroup.freeze), waiting
 * until the kernel reports the new state. */
int libcrun_cgroup_freeze (const struct libcrun_cgroup *cg, bool freeze, libcrun_error_t *err);

/* Remove the cgroup from every hierarchy; with kill, SIGKILL every process
 * first and wait for them to leave.  Missing directories are fine. */
int libcrun_cgroup_destroy (const struct libcrun_cgroup *cg, bool kill, libcrun_error_t *err);

void libcrun_cgroup_free (struct libcrun_cgroup *cg);

/* cpu.shares [2, 262144] as a cgroup v2 cpu.weight [1, 10000] (also
 * systemd's CPUWeight), with the formula of crun >= 1.23: 1024 -> 100. */
uint64_t libcrun_cgroup_shares_to_weight (uint64_t shares);

#endif
