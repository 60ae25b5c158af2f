/* The init's way out of the runtime's image (see init_exec.h). */
#include "init_exec.h"
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

/* The helper's sealed copy: a fresh one per init, so that a helper
 * replaced on disk meanwhile is picked up and nothing is shared. */
static int
open_image (int *image, libcrun_error_t *err)
{
  const char *path = helper_path ? helper_path : LIBCRUN_HELPER_DEFAULT;
  cleanup_close int src = open (path, O_RDONLY | O_CLOEXEC);

  if (src < 0)
    return libcrun_make_error (err, errno, "open the init helper `%s`", path);
  *image = sealed_memfd_copy ("crun-init", src);
  if (*image < 0)
    return libcrun_make_error (err, errno, "copy the init helper `%s` into a memfd", path);
  return 0;
}

static void
keep_fd (struct libcrun_init_exec *x, int fd)
{
  if (fd >= 0)
    x->keep[x->n_keep++] = fd;
}

static void
collect_keep (struct libcrun_init_exec *x, const struct libcrun_init_wire *w)
{
  size_t i, n = 0;

  while (w->cgroup_tasks && w->cgroup_tasks[n] >= 0)
    n++;
  x->keep = xmalloc ((8 + n + (size_t)w->preserve_fds) * sizeof (int));
  x->n_keep = 0;
  keep_fd (x, x->options);
  keep_fd (x, w->sync);
  keep_fd (x, w->exec_fifo);
  keep_fd (x, w->start_fifo);
  keep_fd (x, w->console);
  keep_fd (x, w->hooks.stdout_fd);
  keep_fd (x, w->hooks.stderr_fd);
  for (i = 0; i < n; i++)
    keep_fd (x, w->cgroup_tasks[i]);
  /* The whole preserved range, holes too: their numbers stay taken until
   * the init closes them, so that nothing it opens lands there. */
  for (i = 0; i < (size_t)w->preserve_fds; i++)
    keep_fd (x, 3 + (int)i);
}

int
libcrun_init_exec_prepare (struct libcrun_init_exec *x, const struct libcrun_init_wire *w,
                           int state_lock_fd, libcrun_error_t *err)
{
  memset (x, 0, sizeof (*x));
  x->image = x->options = -1;
  x->sync = w->sync;
  x->state_lock_fd = state_lock_fd;
  x->new_userns = w->new_userns;
  if (open_image (&x->image, err) < 0 || libcrun_init_wire_write (w, &x->options, err) < 0)
    {
      libcrun_init_exec_release (x);
      return -1;
    }
  collect_keep (x, w);
  snprintf (x->options_arg, sizeof (x->options_arg), "%d", x->options);
  snprintf (x->sync_arg, sizeof (x->sync_arg), "%d", x->sync);
  x->argv[0] = (char *)LIBCRUN_HELPER_NAME;
  x->argv[1] = (char *)"init";
  x->argv[2] = x->options_arg;
  x->argv[3] = x->sync_arg;
  x->argv[4] = NULL;
  return 0;
}

void
libcrun_init_exec_release (struct libcrun_init_exec *x)
{
  cleanup_closep (&x->image);
  cleanup_closep (&x->options);
  free (x->keep);
  x->keep = NULL;
  x->n_keep = 0;
}

/* ---- in the init, between clone3 and execveat: system calls only ----- */

static size_t
put_text (char *buf, size_t n, size_t cap, const char *s)
{
  while (*s && n < cap)
    buf[n++] = *s++;
  return n;
}

/* `what: description` on sync, then exit.  strerrordesc_np reads a
 * table: no locale, no allocation. */
static void __attribute__ ((noreturn))
fail (const struct libcrun_init_exec *x, char tag, const char *what, int e)
{
  char buf[512];
  size_t n = 0;
  const char *desc = strerrordesc_np (e);

  buf[n++] = tag;
  n = put_text (buf, n, sizeof (buf), what);
  n = put_text (buf, n, sizeof (buf), ": ");
  n = put_text (buf, n, sizeof (buf), desc ? desc : "unknown error");
  (void)!send (x->sync, buf, n, MSG_NOSIGNAL);
  _exit (1);
}

void
libcrun_init_exec_child (const struct libcrun_init_exec *x, char mapped_tag, char error_tag)
{
  size_t i;
  ssize_t r;
  char c;

  /* Die with the runtime until we are ready: a half-built container whose
   * creator vanished is of no use to anybody (the helper sets it again,
   * as becoming root below clears it). */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (x->state_lock_fd >= 0)
    close (x->state_lock_fd);
  do
    r = read (x->sync, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1 || c != mapped_tag)
    _exit (1);
  /* Root of the new user namespace, where root is mapped: an execve by
   * an unmapped user would drop every capability.  The raw system calls:
   * libc's wrappers would signal the runtime's other threads, which do
   * not exist here. */
  if (x->new_userns)
    {
      (void)syscall (SYS_setresgid, 0, 0, 0);
      (void)syscall (SYS_setresuid, 0, 0, 0);
    }
  for (i = 0; i < x->n_keep; i++)
    (void)fcntl (x->keep[i], F_SETFD, 0);
  syscall (SYS_execveat, x->image, "", x->argv, environ, AT_EMPTY_PATH);
  fail (x, error_tag, "execute the init helper", errno);
}
