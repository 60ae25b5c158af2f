/* crun's run.oci.* annotations that are not about hooks, autoreap or
 * seccomp (those live with their feature): which are refused, and the
 * pidfd receiver.  run.oci.keep_original_groups and run.oci.timens_offset
 * are read by the config parser (config.c), where they become part of the
 * process and of linux.timeOffsets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "annotations.h"
#include "log.h"
#include "syscalls.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Annotations of crun that need what this runtime does not have: refused
 * rather than ignored, each with the reason. */
static const struct
{
  const char *key;
  const char *why;
} refused[] = {
  { "run.oci.handler", "no alternative handlers (krun, wasm) are built into this runtime" },
  { "run.oci.seccomp.plugins", "seccomp listener plugins are not supported (use listenerPath)" },
  { "run.oci.seccomp_bpf_data", "a raw BPF program is not accepted (use linux.seccomp)" },
  { "run.oci.systemd.force_cgroup_v1", "a cgroup v1 name=systemd mount is not made" },
  { "run.oci.systemd.subgroup", "the systemd driver does not create sub-cgroups in the scope" },
  { "run.oci.delegate-cgroup", "the systemd driver does not create a delegated sub-cgroup" },
};

int
libcrun_check_annotations (const struct oci_config *c, libcrun_error_t *err)
{
  size_t i, k;

  for (i = 0; i < c->n_annotations; i++)
    {
      const char *key = c->annotations[i].key;
      for (k = 0; k < sizeof (refused) / sizeof (refused[0]); k++)
        if (strcmp (key, refused[k].key) == 0)
          return libcrun_make_error (err, ENOTSUP, "annotation `%s`: %s", key, refused[k].why);
      if (strcmp (key, "run.oci.mount_context_type") == 0)
        libcrun_warning ("annotation `%s` ignored: this runtime sets no SELinux mount labels", key);
      if (strcmp (key, "run.oci.pidfd_receiver") == 0 && c->annotations[i].value[0] != '/')
        return libcrun_make_error (err, EINVAL, "annotation `%s`: `%s` is not an absolute path",
                                   key, c->annotations[i].value);
    }
  return 0;
}

int
libcrun_send_pidfd_receiver (const struct oci_config *c, pid_t pid, int pidfd, libcrun_error_t *err)
{
  const char *path = oci_config_annotation (c, "run.oci.pidfd_receiver");
  cleanup_close int own = -1, sock = -1;

  if (path == NULL)
    return 0;
  if (pidfd < 0)
    {
      own = sys_pidfd_open (pid, 0);
      if (own < 0)
        return libcrun_make_error (err, errno, "annotation `run.oci.pidfd_receiver`: pidfd_open");
      pidfd = own;
    }
  sock = libcrun_unix_connect (path, err);
  if (sock < 0 || libcrun_send_fd (sock, pidfd, err) < 0)
    return libcrun_error_wrap (err, "annotation `run.oci.pidfd_receiver`: send the pidfd");
  return 0;
}
