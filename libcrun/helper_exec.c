/* The way of the init and of an exec'd process out of the runtime's image
 * (see helper_exec.h). */
#include "helper_exec.h"
#include "init_helper.h"
#include "syscalls.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef LIBCRUN_HELPER_DEFAULT
#define LIBCRUN_HELPER_DEFAULT "/usr/libexec/crun-autoreap/" LIBCRUN_HELPER_NAME
#endif

extern char **environ;

static char *helper_path;

void
libcrun_set_helper (const char *path)
{
  free (helper_path);
  helper_path = path ? xstrdup (path) : NULL;
}

/* The helper's sealed copy: a fresh one per process, so that a helper
 * replaced on disk meanwhile is picked up and nothing is shared. */
static int
open_image (int *image, libcrun_error_t *err)
{
  const char *path = helper_path ? helper_path : LIBCRUN_HELPER_DEFAULT;
  cleanup_close int src = open (path, O_RDONLY | O_CLOEXEC);

  if (src < 0)
    return libcrun_make_error (err, errno, "open the runtime's helper `%s`", path);
  *image = sealed_memfd_copy ("crun-init", src);
  if (*image < 0)
    return libcrun_make_error (err, errno, "copy the runtime's helper `%s` into a memfd", path);
  return 0;
}

int
libcrun_helper_exec_prepare (struct libcrun_helper_exec *x, const char *mode, int options, int sync,
                             const int *pass, size_t n, int preserve_fds, libcrun_error_t *err)
{
  size_t i;
  int fd;

  x->options = options;
  x->sync = sync;
  if (open_image (&x->image, err) < 0)
    {
      libcrun_helper_exec_release (x);
      return -1;
    }
  x->keep = xmalloc ((n + 2 + (size_t)preserve_fds) * sizeof (int));
  x->n_keep = 0;
  x->keep[x->n_keep++] = options;
  x->keep[x->n_keep++] = sync;
  for (i = 0; i < n; i++)
    if (pass[i] >= 0)
      x->keep[x->n_keep++] = pass[i];
  /* The preserved range, holes too: their numbers stay taken until the
   * helper closes them, so that nothing it opens lands there. */
  for (fd = 3; fd < 3 + preserve_fds; fd++)
    x->keep[x->n_keep++] = fd;
  snprintf (x->options_arg, sizeof (x->options_arg), "%d", options);
  snprintf (x->sync_arg, sizeof (x->sync_arg), "%d", sync);
  x->argv[0] = (char *)LIBCRUN_HELPER_NAME;
  x->argv[1] = (char *)mode;
  x->argv[2] = x->options_arg;
  x->argv[3] = x->sync_arg;
  /* The helper makes itself as dumpable as we are (execve resets it): a
   * runtime run as root is not (src/crun.c), a rootless one is, or it
   * could not write the /proc files of its children. */
  x->argv[4] = (char *)(prctl (PR_GET_DUMPABLE) == 0 ? "0" : "1");
  x->argv[5] = NULL;
  return 0;
}

void
libcrun_helper_exec_release (struct libcrun_helper_exec *x)
{
  cleanup_closep (&x->image);
  cleanup_closep (&x->options);
  free (x->keep);
  x->keep = NULL;
  x->n_keep = 0;
}

/* ---- in the child, between its clone and execveat: system calls only ----- */

/* strerrordesc_np reads a table: no locale, no allocation. */
void
libcrun_child_fail (int sync, char tag, const char *what, int e)
{
  char buf[512];
  size_t n = 0;
  const char *desc = strerrordesc_np (e);

  buf[n++] = tag;
  n = buf_put (buf, n, sizeof (buf), what);
  n = buf_put (buf, n, sizeof (buf), ": ");
  n = buf_put (buf, n, sizeof (buf), desc ? desc : "unknown error");
  (void)!send (sync, buf, n, MSG_NOSIGNAL);
  _exit (1);
}

void
libcrun_helper_exec_child (const struct libcrun_helper_exec *x, char wait_tag, char error_tag)
{
  size_t i;
  ssize_t r;
  char c;

  /* The init dies with the runtime until it is ready: a half-built
   * container whose creator vanished is of no use to anybody.  Armed
   * again after becoming root below, which clears it; execve keeps it
   * unless it raises capabilities, so the helper arms it once more. */
  if (x->die_with_runtime)
    prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (x->close_first >= 0)
    close (x->close_first);
  for (i = 0; x->join_tasks && x->join_tasks[i] >= 0; i++)
    if (write (x->join_tasks[i], "0", 1) != 1)
      libcrun_child_fail (x->sync, error_tag, "join the container's cgroup", errno);
  if (wait_tag)
    {
      do
        r = read (x->sync, &c, 1);
      while (r < 0 && errno == EINTR);
      if (r != 1 || c != wait_tag)
        _exit (1);
    }
  /* Root of the new user namespace, where root is mapped: an execve by
   * an unmapped user would drop every capability.  The raw system calls:
   * libc's wrappers would signal the runtime's other threads, which do
   * not exist here. */
  if (x->become_root)
    {
      (void)syscall (SYS_setresgid, 0, 0, 0);
      (void)syscall (SYS_setresuid, 0, 0, 0);
      if (x->die_with_runtime)
        prctl (PR_SET_PDEATHSIG, SIGKILL);
    }
  for (i = 0; i < x->n_keep; i++)
    (void)fcntl (x->keep[i], F_SETFD, 0);
  syscall (SYS_execveat, x->image, "", x->argv, environ, AT_EMPTY_PATH);
  libcrun_child_fail (x->sync, error_tag, "execute the runtime's helper", errno);
}
