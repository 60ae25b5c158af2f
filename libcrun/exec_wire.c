/* The exec helper's options (exec_wire.h) over wire.h. */
#include "exec_wire.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void
put_process (yajl_gen g, const struct libcrun_exec_wire *w)
{
  wire_put_str (g, "config", w->config_json);
  wire_put_str (g, "config_origin", w->config_origin);
  wire_put_str (g, "process", w->process_json);
  wire_put_str (g, "process_origin", w->process_origin);
  wire_put_strv (g, "args", w->args);
  wire_put_strv (g, "env", w->env);
  wire_put_strv (g, "caps", w->caps);
  wire_put_int (g, "tty", w->tty);
  wire_put_str (g, "cwd", w->cwd);
  wire_put_str (g, "user", w->user);
  wire_put_str (g, "apparmor", w->apparmor);
  wire_put_str (g, "process_label", w->process_label);
  wire_put_int (g, "no_new_privs", w->no_new_privs);
}

int
libcrun_exec_wire_write (const struct libcrun_exec_wire *w, int *fd, libcrun_error_t *err)
{
  yajl_gen g = wire_begin ();

  put_process (g, w);
  wire_put_int (g, "preserve_fds", w->preserve_fds);
  wire_put_holes (g, &w->holes);
  wire_put_int (g, "sock", w->sock);
  wire_put_int (g, "console", w->console);
  wire_put_int (g, "init_pidfd", w->init_pidfd);
  wire_put_int (g, "root_fd", w->root_fd);
  wire_put_int (g, "ns_flags", w->ns_flags);
  wire_put_seccomp (g, w->has_seccomp ? &w->seccomp : NULL);
  return wire_end (g, "exec'd process", fd, err);
}

static void
get_process (yajl_val doc, struct libcrun_exec_wire *w, bool *bad)
{
  w->config_json = wire_get_str (doc, "config", bad);
  w->config_origin = wire_get_str (doc, "config_origin", bad);
  w->process_json = wire_get_str (doc, "process", bad);
  w->process_origin = wire_get_str (doc, "process_origin", bad);
  w->args = wire_get_strv (doc, "args", bad);
  w->env = wire_get_strv (doc, "env", bad);
  w->caps = wire_get_strv (doc, "caps", bad);
  w->tty = (int)wire_get_int (doc, "tty", bad);
  w->cwd = wire_get_str (doc, "cwd", bad);
  w->user = wire_get_str (doc, "user", bad);
  w->apparmor = wire_get_str (doc, "apparmor", bad);
  w->process_label = wire_get_str (doc, "process_label", bad);
  w->no_new_privs = wire_get_int (doc, "no_new_privs", bad) != 0;
}

static void
get_all (yajl_val doc, struct libcrun_exec_wire *w, bool *bad)
{
  get_process (doc, w, bad);
  w->preserve_fds = (int)wire_get_int (doc, "preserve_fds", bad);
  wire_get_holes (doc, &w->holes, bad);
  w->sock = (int)wire_get_int (doc, "sock", bad);
  w->console = (int)wire_get_int (doc, "console", bad);
  w->init_pidfd = (int)wire_get_int (doc, "init_pidfd", bad);
  w->root_fd = (int)wire_get_int (doc, "root_fd", bad);
  w->ns_flags = (int)wire_get_int (doc, "ns_flags", bad);
  w->has_seccomp = wire_get_seccomp (doc, &w->seccomp, bad);
}

/* The helper exits once it is done: what it read is never released. */
int
libcrun_exec_wire_read (int fd, struct libcrun_exec_wire *w, libcrun_error_t *err)
{
  yajl_val doc = NULL;
  bool bad = false;

  memset (w, 0, sizeof (*w));
  if (wire_open (fd, "the exec'd process' options", &doc, err) < 0)
    return -1;
  get_all (doc, w, &bad);
  yajl_tree_free (doc);
  if (bad || w->config_json == NULL)
    return libcrun_make_error (err, EINVAL,
                               "the exec'd process' options: a field is missing or wrong");
  return 0;
}
