/* The systemd cgroup manager (--cgroup-manager=systemd, --systemd-cgroup).
 *
 * The container's processes go into a transient scope unit that systemd
 * creates over D-Bus (sd-bus): StartTransientUnit("<prefix>-<name>.scope")
 * in the slice named by linux.cgroupsPath ("slice:prefix:name", as crun and
 * runc take it), with Delegate=yes so that the runtime may write the
 * resource files of its cgroup itself (through the cgroupfs code).  Only
 * when systemd is PID 1; otherwise every entry point fails with a clear
 * error. */
#ifndef LIBCRUN_CGROUP_SYSTEMD_H
#define LIBCRUN_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>
#include "error.h"

/* Is systemd the init system here (/run/systemd/system exists)? */
bool libcrun_systemd_booted (void);

/* Split linux.cgroupsPath for systemd: "slice:prefix:name" gives slice
 * "slice" and unit "prefix-name.scope"; an empty slice is "machine.slice";
 * NULL or "" gives "machine.slice" and "crun-<id>.scope".  Anything else
 * is an error naming the value and the expected form. */
int libcrun_systemd_unit_names (const char *cgroups_path, const char *id, char **slice, char **unit,
                                libcrun_error_t *err);

/* Create the scope unit holding pid, with resources (linux.resources, may
 * be NULL) as its properties (cgroup_systemd_props.h), and wait until pid
 * is in it; returns the scope's cgroup path (as in /proc/PID/cgroup) in
 * *cgroup_path. */
int libcrun_systemd_enter (const char *slice, const char *unit, pid_t pid, yajl_val resources,
                           char **cgroup_path, libcrun_error_t *err);

/* `update`: set resources as the unit's runtime properties. */
int libcrun_systemd_update (const char *unit, yajl_val resources, libcrun_error_t *err);

/* Stop the scope unit (delete).  A unit that is already gone is fine. */
int libcrun_systemd_stop (const char *unit, libcrun_error_t *err);

#endif
