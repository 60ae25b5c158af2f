/* Scheduling attributes of a container process: process.scheduler
 * (sched_setattr), process.ioPriority (ioprio_set) and linux.memoryPolicy
 * (set_mempolicy).  The parser (config_process.c, config_linux.c) has
 * refused what the kernel would refuse for structural reasons; what is
 * left to the kernel (privileges, nodes that are not online, a bandwidth
 * the system cannot give) comes back as an error naming the field. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "process_attrs.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_sched_setattr
#define __NR_sched_setattr 314
#endif
#ifndef __NR_ioprio_set
#define __NR_ioprio_set 251
#endif
#ifndef __NR_set_mempolicy
#define __NR_set_mempolicy 238
#endif

/* The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1). */
struct kernel_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

int
libcrun_apply_scheduler (const struct oci_process *proc, libcrun_error_t *err)
{
  const struct oci_scheduler *s = proc->scheduler;
  struct kernel_sched_attr a;

  if (s == NULL)
    return 0;
  memset (&a, 0, sizeof (a));
  a.size = sizeof (a);
  a.sched_policy = s->policy;
  a.sched_flags = s->flags;
  a.sched_nice = s->nice;
  a.sched_priority = s->priority;
  a.sched_runtime = s->runtime;
  a.sched_deadline = s->deadline;
  a.sched_period = s->period;
  /* with the clamp flags and no values in the spec: no clamping */
  a.sched_util_max = 1024;
  if (syscall (__NR_sched_setattr, 0, &a, 0) < 0)
    return libcrun_make_error (err, errno, "set `process.scheduler` (sched_setattr)");
  return 0;
}

int
libcrun_apply_io_priority (const struct oci_process *proc, libcrun_error_t *err)
{
  const struct oci_io_priority *io = proc->io_priority;

  if (io == NULL)
    return 0;
  /* IOPRIO_WHO_PROCESS 1, who 0: the caller; class in the top 3 bits */
  if (syscall (__NR_ioprio_set, 1, 0, (io->ioclass << 13) | io->priority) < 0)
    return libcrun_make_error (err, errno, "set `process.ioPriority` (ioprio_set)");
  return 0;
}

int
libcrun_apply_memory_policy (const struct oci_linux *l, libcrun_error_t *err)
{
  const struct oci_memory_policy *m = l ? l->memory_policy : NULL;

  if (m == NULL)
    return 0;
  /* maxnode counts one more than the bits the kernel reads */
  if (syscall (__NR_set_mempolicy, m->mode | (int)m->flags, m->has_nodes ? m->nodes : NULL,
               m->has_nodes ? OCI_MAX_NUMA_NODES + 1 : 0)
      < 0)
    return libcrun_make_error (err, errno,
                               errno == EINVAL ? "set `linux.memoryPolicy`: the kernel refused it "
                                                 "(a node that is not online or not allowed, or a "
                                                 "mode it lacks)"
                                               : "set `linux.memoryPolicy`");
  return 0;
}
