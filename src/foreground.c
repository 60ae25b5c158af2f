/* The foreground of `run` and `exec`: wait for the container's process,
 * forwarding signals to it and proxying its terminal.
 *
 * The front end (not the library) blocks the forwarded signals and reads
 * them from a signalfd; the only process it waits for is the container's,
 * through its pidfd. */
#include "crun.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* pidfd_send_signal(2) (5.1); glibc 2.36 has no wrapper. */
static int
pidfd_signal (int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
  return (int)syscall (SYS_pidfd_send_signal, pidfd, sig, info, flags);
}

/* Copy what is readable on `from` to `to`; returns false at EOF/error. */
static bool
pump (int from, int to)
{
  char buf[8192];
  ssize_t r = read (from, buf, sizeof (buf));
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0)
    return false;
  return write_all (to, buf, (size_t)r) == 0;
}

static void
copy_window_size (int master)
{
  struct winsize ws;
  if (ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master, TIOCSWINSZ, &ws);
}

static int
exit_code_of (const siginfo_t *si)
{
  if (si->si_code == CLD_EXITED)
    return si->si_status;
  return 128 + si->si_status;
}

/* Block the signals forwarded to the container (in `set`); returns the
 * signalfd they are read from. */
static int
block_forwarded_signals (sigset_t *set)
{
  static const int forwarded[] = { SIGHUP,   SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                   SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU };
  size_t i;

  sigemptyset (set);
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (set, forwarded[i]);
  sigprocmask (SIG_BLOCK, set, NULL);
  return signalfd (-1, set, SFD_CLOEXEC);
}

/* With the container's terminal proxied to ours, put ours in raw mode (the
 * old mode in `saved`); returns whether it did. */
static bool
make_terminal_raw (const struct libcrun_container_handle *h, struct termios *saved)
{
  libcrun_error_t err = NULL;
  bool raw = false;

  if (h->terminal_master < 0 || !isatty (0))
    return false;
  copy_window_size (h->terminal_master);
  if (libcrun_terminal_make_raw (0, saved, &err) == 0)
    raw = true;
  libcrun_error_release (&err);
  return raw;
}

/* The descriptors polled, in this order (the last two with a terminal). */
enum
{
  POLL_INIT,
  POLL_SIGNALS,
  POLL_MASTER,
  POLL_STDIN,
  POLL_MAX,
};

static nfds_t
fill_pollfds (const struct libcrun_container_handle *h, int sfd, bool stdin_open,
              struct pollfd pfd[POLL_MAX])
{
  nfds_t n = 0;

  pfd[n++] = (struct pollfd){ .fd = h->pidfd, .events = POLLIN };
  pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
  if (h->terminal_master >= 0)
    {
      pfd[n++] = (struct pollfd){ .fd = h->terminal_master, .events = POLLIN };
      if (stdin_open)
        pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
    }
  return n;
}

/* One signal read from the signalfd: a window change is copied to the
 * container's terminal, any other signal is sent to the init. */
static void
forward_signal (const struct libcrun_container_handle *h, int sfd)
{
  struct signalfd_siginfo ssi;

  if (read (sfd, &ssi, sizeof (ssi)) != sizeof (ssi))
    return;
  if (ssi.ssi_signo == SIGWINCH && h->terminal_master >= 0)
    copy_window_size (h->terminal_master);
  else
    pidfd_signal (h->pidfd, (int)ssi.ssi_signo, NULL, 0);
}

/* Handle what poll reported; returns true once the init has exited. */
static bool
handle_events (struct libcrun_container_handle *h, int sfd, const struct pollfd *pfd, nfds_t n,
               bool *stdin_open)
{
  bool init_exited = (pfd[POLL_INIT].revents & POLLIN) != 0;

  if (pfd[POLL_SIGNALS].revents & POLLIN)
    forward_signal (h, sfd);
  if (n > POLL_MASTER && (pfd[POLL_MASTER].revents & (POLLIN | POLLHUP)))
    {
      if (!pump (h->terminal_master, 1) && !init_exited)
        {
          /* Slave closed by every process but the init still runs:
           * stop watching the master. */
          close (h->terminal_master);
          h->terminal_master = -1;
        }
    }
  if (n > POLL_STDIN && (pfd[POLL_STDIN].revents & (POLLIN | POLLHUP)))
    {
      if (!pump (0, h->terminal_master))
        *stdin_open = false;
    }
  return init_exited;
}

/* Forward signals and the terminal until the init exits (or poll fails). */
static void
relay_until_exit (struct libcrun_container_handle *h, int sfd)
{
  bool stdin_open = true;

  for (;;)
    {
      struct pollfd pfd[POLL_MAX];
      nfds_t n = fill_pollfds (h, sfd, stdin_open, pfd);
      int r = poll (pfd, n, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        break;
      if (handle_events (h, sfd, pfd, n, &stdin_open))
        break;
    }
}

/* Drain what the container printed last. */
static void
drain_terminal (const struct libcrun_container_handle *h)
{
  struct pollfd p = { .fd = h->terminal_master, .events = POLLIN };

  if (h->terminal_master < 0)
    return;
  while (poll (&p, 1, 0) > 0 && (p.revents & POLLIN) && pump (h->terminal_master, 1))
    ;
}

/* Reap the init through its pidfd; returns its exit code, 1 if unknown. */
static int
reap_init (int pidfd)
{
  siginfo_t si;

  memset (&si, 0, sizeof (si));
  while (waitid (P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
    if (errno != EINTR)
      break;
  if (si.si_pid)
    return exit_code_of (&si);
  return 1;
}

/* Wait for the init, forwarding signals and the terminal; returns the exit
 * code crun exits with. */
int
crun_foreground_wait (struct libcrun_container_handle *h)
{
  sigset_t set;
  struct termios saved;
  int sfd = block_forwarded_signals (&set);
  bool raw = make_terminal_raw (h, &saved);
  int code;

  relay_until_exit (h, sfd);
  drain_terminal (h);
  code = reap_init (h->pidfd);
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  if (sfd >= 0)
    close (sfd);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  return code;
}
