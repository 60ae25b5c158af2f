/* The init helper's options (init_wire.h) over wire.h. */
#include "init_wire.h"
#include "wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
libcrun_init_wire_write (const struct libcrun_init_wire *w, int *fd, libcrun_error_t *err)
{
  yajl_gen g = wire_begin ();

  wire_put_str (g, "config", w->config_json);
  wire_put_str (g, "config_origin", w->config_origin);
  wire_put_str (g, "rootfs", w->rootfs);
  wire_put_str (g, "bundle", w->bundle);
  wire_put_str (g, "console_socket", w->console_socket);
  wire_put_int (g, "sync", w->sync);
  wire_put_int (g, "log_level", w->log_level);
  wire_put_int (g, "spawn_rung", w->spawn_rung);
  wire_put_int (g, "spawn_autokill", w->spawn_autokill);
  wire_put_int (g, "preserve_fds", w->preserve_fds);
  wire_put_int (g, "listen_fds", w->listen_fds);
  wire_put_int (g, "no_pivot", w->no_pivot);
  wire_put_int (g, "no_new_keyring", w->no_new_keyring);
  wire_put_int (g, "new_mntns", w->new_mntns);
  wire_put_int (g, "new_userns", w->new_userns);
  wire_put_int (g, "exec_fifo", w->exec_fifo);
  wire_put_int (g, "start_fifo", w->start_fifo);
  wire_put_int (g, "console", w->console);
  wire_put_holes (g, &w->holes);
  wire_put_int (g, "hooks_autoreap", w->hooks.autoreap);
  wire_put_int (g, "hooks_stdout", w->hooks.stdout_fd);
  wire_put_int (g, "hooks_stderr", w->hooks.stderr_fd);
  wire_put_seccomp (g, w->has_seccomp ? &w->seccomp : NULL);
  return wire_end (g, "container's init", fd, err);
}

static void
get_all (yajl_val doc, struct libcrun_init_wire *w, bool *bad)
{
  w->config_json = wire_get_str (doc, "config", bad);
  w->config_origin = wire_get_str (doc, "config_origin", bad);
  w->rootfs = wire_get_str (doc, "rootfs", bad);
  w->bundle = wire_get_str (doc, "bundle", bad);
  w->console_socket = wire_get_str (doc, "console_socket", bad);
  w->sync = (int)wire_get_int (doc, "sync", bad);
  w->log_level = (int)wire_get_int (doc, "log_level", bad);
  w->spawn_rung = (int)wire_get_int (doc, "spawn_rung", bad);
  w->spawn_autokill = (int)wire_get_int (doc, "spawn_autokill", bad);
  w->preserve_fds = (int)wire_get_int (doc, "preserve_fds", bad);
  w->listen_fds = (int)wire_get_int (doc, "listen_fds", bad);
  w->no_pivot = wire_get_int (doc, "no_pivot", bad) != 0;
  w->no_new_keyring = wire_get_int (doc, "no_new_keyring", bad) != 0;
  w->new_mntns = wire_get_int (doc, "new_mntns", bad) != 0;
  w->new_userns = wire_get_int (doc, "new_userns", bad) != 0;
  w->exec_fifo = (int)wire_get_int (doc, "exec_fifo", bad);
  w->start_fifo = (int)wire_get_int (doc, "start_fifo", bad);
  w->console = (int)wire_get_int (doc, "console", bad);
  wire_get_holes (doc, &w->holes, bad);
  w->hooks.autoreap = (enum libcrun_autoreap_mode)wire_get_int (doc, "hooks_autoreap", bad);
  w->hooks.stdout_fd = (int)wire_get_int (doc, "hooks_stdout", bad);
  w->hooks.stderr_fd = (int)wire_get_int (doc, "hooks_stderr", bad);
  w->has_seccomp = wire_get_seccomp (doc, &w->seccomp, bad);
}

int
libcrun_init_wire_read (int fd, struct libcrun_init_wire *w, libcrun_error_t *err)
{
  yajl_val doc = NULL;
  bool bad = false;

  memset (w, 0, sizeof (*w));
  if (wire_open (fd, "the init's options", &doc, err) < 0)
    return -1;
  get_all (doc, w, &bad);
  yajl_tree_free (doc);
  if (bad || w->config_json == NULL || w->rootfs == NULL)
    {
      libcrun_init_wire_release (w);
      return libcrun_make_error (err, EINVAL, "the init's options: a field is missing or wrong");
    }
  return 0;
}

void
libcrun_init_wire_release (struct libcrun_init_wire *w)
{
  free (w->config_json);
  free (w->config_origin);
  free (w->rootfs);
  free (w->bundle);
  free (w->console_socket);
  free (w->holes.hole);
  free (w->seccomp.bpf);
  memset (w, 0, sizeof (*w));
  w->sync = w->exec_fifo = w->start_fifo = w->console = -1;
}
