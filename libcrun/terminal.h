/* Terminals and fd passing.
 *
 * The container's pty is created by its init from the container's own devpts
 * instance (so that it belongs to the container), and its master end is
 * handed out through a unix socket: to the --console-socket, or to the
 * foreground `crun run`, which then proxies it to its own stdio. */
#ifndef LIBCRUN_TERMINAL_H
#define LIBCRUN_TERMINAL_H

#include <stdbool.h>
#include <termios.h>
#include "container.h" /* libcrun_terminal_make_raw */
#include "error.h"
#include <stddef.h>

/* Open a new pty through `ptmx` (a path such as "/dev/pts/ptmx"), unlock it
 * and open its slave.  Returns both ends, O_CLOEXEC. */
int libcrun_pty_open (const char *ptmx, int *master, int *slave, libcrun_error_t *err);

/* Make `fd` the controlling terminal of a new session and stdin, stdout and
 * stderr of the calling process. */
int libcrun_pty_become_stdio (int fd, libcrun_error_t *err);

int libcrun_terminal_set_size (int fd, unsigned int rows, unsigned int cols, libcrun_error_t *err);

/* Send / receive one fd over a unix socket (SCM_RIGHTS). */
/* libcrun_send_fd for children between clone and exec: 0 or -errno. */
int libcrun_send_fd_raw (int sock, int fd);
int libcrun_send_fd (int sock, int fd, libcrun_error_t *err);
/* `fd` with `data` as the payload (the fd rides on the first sendmsg). */
int libcrun_send_fd_with_data (int sock, int fd, const void *data, size_t len,
                               libcrun_error_t *err);
int libcrun_recv_fd (int sock, libcrun_error_t *err);
/* One message of one byte, with a descriptor (*fd) or without (*fd = -1). */
int libcrun_recv_optional_fd (int sock, int *fd, libcrun_error_t *err);

/* Connect to the AF_UNIX socket at path (the --console-socket). */
int libcrun_unix_connect (const char *path, libcrun_error_t *err);

#endif
