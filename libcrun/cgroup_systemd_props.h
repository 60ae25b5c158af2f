/* linux.resources as the properties of a systemd scope unit.
 *
 * With the systemd cgroup manager the runtime writes the resource files of
 * its delegated cgroup itself (cgroup.c), as with cgroupfs; it also hands
 * the same limits to systemd as unit properties, so that `systemctl show`
 * tells the truth and a daemon-reload, which makes systemd rewrite the
 * files of the units it manages, keeps them.  The translation is the one
 * crun and runc make:
 *   memory.limit        MemoryMax       (-1: infinity)
 *   memory.reservation  MemoryLow
 *   memory.swap         MemorySwapMax   (swap - limit: OCI's swap counts memory too)
 *   pids.limit          TasksMax        (-1: infinity)
 *   cpu.shares          CPUWeight       (as cpu.weight: 1024 -> 100)
 *   cpu.quota, period   CPUQuotaPerSecUSec (quota * 1s / period), CPUQuotaPeriodUSec
 *   cpu.cpus, cpu.mems  AllowedCPUs, AllowedMemoryNodes (bit masks)
 * Values OCI treats as unset (0, empty) give no property.  Block I/O limits
 * are left to the files: systemd names devices by path, OCI by number. */
#ifndef LIBCRUN_CGROUP_SYSTEMD_PROPS_H
#define LIBCRUN_CGROUP_SYSTEMD_PROPS_H

#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>
#include "error.h"

#define LIBCRUN_SYSTEMD_MAX_PROPS 10
#define LIBCRUN_SYSTEMD_MASK_BYTES 128 /* CPUs or nodes 0..1023 */

struct libcrun_systemd_prop
{
  const char *name;
  char type;                                /* 't' (uint64) or 'y' (a bit mask, "ay") */
  uint64_t value;                           /* type 't' */
  uint8_t mask[LIBCRUN_SYSTEMD_MASK_BYTES]; /* type 'y' */
  size_t mask_len;                          /* bytes of mask used */
};

struct libcrun_systemd_props
{
  size_t n;
  struct libcrun_systemd_prop p[LIBCRUN_SYSTEMD_MAX_PROPS];
};

/* resources (linux.resources, may be NULL) as properties; an error names
 * the field (a CPU list that cannot be parsed, for instance). */
int libcrun_systemd_props_from_resources (yajl_val resources, struct libcrun_systemd_props *out,
                                          libcrun_error_t *err);

/* A CPU or node list ("0-3,5") as systemd's bit mask. */
int libcrun_systemd_parse_mask (const char *list, uint8_t *mask, size_t *len, libcrun_error_t *err);

#endif
