#include "terminal.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
libcrun_pty_open (const char *ptmx, int *master, int *slave, libcrun_error_t *err)
{
  cleanup_close int m = -1;
  int unlock = 0, s;

  m = open (ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return libcrun_make_error (err, errno, "open `%s`", ptmx);
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return libcrun_make_error (err, errno, "unlock the pty");
  /* TIOCGPTPEER opens the slave through the master, which avoids looking
   * the slave up by name in a devpts that may not be ours. */
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return libcrun_make_error (err, errno, "open the pty slave");
  *master = steal_fd (&m);
  *slave = s;
  return 0;
}

int
libcrun_pty_become_stdio (int fd, libcrun_error_t *err)
{
  int i;
  if (setsid () < 0)
    return libcrun_make_error (err, errno, "setsid");
  if (ioctl (fd, TIOCSCTTY, 0) < 0)
    return libcrun_make_error (err, errno, "make the pty the controlling terminal");
  for (i = 0; i < 3; i++)
    if (dup2 (fd, i) < 0)
      return libcrun_make_error (err, errno, "dup2 the pty to fd %d", i);
  return 0;
}

int
libcrun_terminal_set_size (int fd, unsigned int rows, unsigned int cols, libcrun_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return libcrun_make_error (err, errno, "set the terminal size");
  return 0;
}

int
libcrun_terminal_make_raw (int fd, struct termios *saved, libcrun_error_t *err)
{
  struct termios t;
  if (tcgetattr (fd, &t) < 0)
    return libcrun_make_error (err, errno, "tcgetattr");
  if (saved)
    *saved = t;
  cfmakeraw (&t);
  /* Keep output post-processing so that "\n" still returns the carriage. */
  t.c_oflag |= OPOST;
  if (tcsetattr (fd, TCSANOW, &t) < 0)
    return libcrun_make_error (err, errno, "tcsetattr");
  return 0;
}

/* 0 or -errno, with no error object: async-signal-safe. */
static int
send_fd_with_data (int sock, int fd, const void *data, size_t len)
{
  struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { 0 };
  struct cmsghdr *c;
  ssize_t n;

  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  while ((n = sendmsg (sock, &msg, MSG_NOSIGNAL)) < 0)
    if (errno != EINTR)
      return -errno;
  /* A stream socket may take part of it: the rest goes without the fd. */
  while ((size_t)n < len)
    {
      ssize_t m = send (sock, (const char *)data + n, len - (size_t)n, MSG_NOSIGNAL);
      if (m < 0 && errno == EINTR)
        continue;
      if (m <= 0)
        return m < 0 ? -errno : -EPIPE;
      n += m;
    }
  return 0;
}

int
libcrun_send_fd_with_data (int sock, int fd, const void *data, size_t len, libcrun_error_t *err)
{
  int r = send_fd_with_data (sock, fd, data, len);
  if (r < 0)
    return libcrun_make_error (err, -r, "send fd");
  return 0;
}

int
libcrun_send_fd_raw (int sock, int fd)
{
  char byte = 0;
  return send_fd_with_data (sock, fd, &byte, 1);
}

int
libcrun_send_fd (int sock, int fd, libcrun_error_t *err)
{
  char byte = 0;
  return libcrun_send_fd_with_data (sock, fd, &byte, 1, err);
}

int
libcrun_recv_optional_fd (int sock, int *fd, libcrun_error_t *err)
{
  char byte;
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { 0 };
  struct cmsghdr *c;
  ssize_t r;

  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  do
    r = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return libcrun_make_error (err, errno, "receive fd");
  if (r == 0)
    return libcrun_make_error (err, EPIPE, "receive fd: the peer went away");
  c = CMSG_FIRSTHDR (&msg);
  *fd = -1;
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
    memcpy (fd, CMSG_DATA (c), sizeof (int));
  return 0;
}

int
libcrun_recv_fd (int sock, libcrun_error_t *err)
{
  int fd;
  if (libcrun_recv_optional_fd (sock, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return libcrun_make_error (err, EPROTO, "receive fd: no fd in the message");
  return fd;
}

int
libcrun_unix_connect (const char *path, libcrun_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;

  if (strlen (path) >= sizeof (addr.sun_path))
    return libcrun_make_error (err, ENAMETOOLONG, "unix socket path `%s`", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return libcrun_make_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return libcrun_make_error (err, errno, "connect to `%s`", path);
  return steal_fd (&fd);
}
