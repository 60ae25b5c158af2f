/* The seccomp user notification hand-over (runtime spec, "The Container
 * Process State"): the init loads its filter with a listener
 * (SECCOMP_FILTER_FLAG_NEW_LISTENER) and passes the listener's fd to the
 * runtime over the sync socket; the runtime connects to
 * linux.seccomp.listenerPath (or crun's run.oci.seccomp.receiver) and
 * sends, in one connection, the container process state as JSON with the
 * fd attached (SCM_RIGHTS, on the first sendmsg), then closes it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "seccomp_notify.h"
#include "hooks.h"
#include "json.h"
#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#define RECEIVER_ANNOTATION "run.oci.seccomp.receiver"

const char *
libcrun_seccomp_listener_path (const struct oci_config *c)
{
  size_t i;

  if (c->linux_cfg && c->linux_cfg->seccomp && c->linux_cfg->seccomp->listener_path)
    return c->linux_cfg->seccomp->listener_path;
  for (i = 0; i < c->n_annotations; i++)
    if (strcmp (c->annotations[i].key, RECEIVER_ANNOTATION) == 0)
      return c->annotations[i].value;
  return NULL;
}

static char *
process_state_json (const struct oci_config *c, const char *id, const char *bundle, pid_t pid)
{
  const char *metadata = c->linux_cfg->seccomp ? c->linux_cfg->seccomp->listener_metadata : NULL;
  yajl_gen g = yajl_gen_alloc (NULL);

  yajl_gen_map_open (g);
  json_string (g, "ociVersion");
  json_string (g, "1.2.0");
  json_string (g, "fds");
  yajl_gen_array_open (g);
  json_string (g, "seccompFd");
  yajl_gen_array_close (g);
  json_string (g, "pid");
  yajl_gen_integer (g, pid);
  if (metadata)
    {
      json_string (g, "metadata");
      json_string (g, metadata);
    }
  json_string (g, "state");
  libcrun_state_gen (g, id, "creating", pid, bundle, c->annotations, c->n_annotations);
  yajl_gen_map_close (g);
  return json_gen_finish (g);
}

int
libcrun_seccomp_send_listener (const struct oci_config *c, const char *id, const char *bundle,
                               pid_t pid, int listener_fd, libcrun_error_t *err)
{
  const char *path = libcrun_seccomp_listener_path (c);
  cleanup_free char *json = NULL;
  cleanup_close int sock = -1;

  if (path == NULL)
    return libcrun_make_error (err, EINVAL, "a seccomp listener without a listenerPath");
  sock = libcrun_unix_connect (path, err);
  if (sock < 0)
    return libcrun_error_wrap (err, "send the seccomp listener (linux.seccomp.listenerPath)");
  json = process_state_json (c, id, bundle, pid);
  if (libcrun_send_fd_with_data (sock, listener_fd, json, strlen (json), err) < 0)
    return libcrun_error_wrap (err, "send the seccomp listener to `%s`", path);
  return 0;
}
