/* Device access on cgroup v2: there is no devices controller, so the rules
 * of linux.resources.devices become an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup2
 * directory.  The kernel runs it on every open/mknod of a device node and
 * the program answers allow (1) or deny (0). */
#ifndef LIBCRUN_CGROUP_EBPF_H
#define LIBCRUN_CGROUP_EBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct libcrun_device_rule
{
  bool allow;
  char type;           /* 'a', 'c' or 'b' */
  int64_t major;       /* -1: any */
  int64_t minor;       /* -1: any */
  unsigned int access; /* LIBCRUN_DEV_READ | ... */
};

#define LIBCRUN_DEV_MKNOD 1u
#define LIBCRUN_DEV_READ 2u
#define LIBCRUN_DEV_WRITE 4u

/* Parse a cgroup v1 style rule text ("c 1:3 rwm", "a *:* rwm"). */
int libcrun_device_rule_parse (const char *text, bool allow, struct libcrun_device_rule *r,
                               libcrun_error_t *err);

/* Build the program for the rules (the last matching rule decides; no
 * match denies), load it and attach it to the cgroup2 directory `dir`,
 * replacing the device programs attached there before (an `update`). */
int libcrun_cgroup_ebpf_devices (const char *dir, const struct libcrun_device_rule *rules, size_t n,
                                 libcrun_error_t *err);

#endif
