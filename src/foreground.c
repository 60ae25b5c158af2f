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

/* Copy what is readable on `from` to `to`; returns false at EOF/error. */
/* pidfd_send_signal(2) (5.1); glibc 2.36 has no wrapper. */
static int
pidfd_signal (int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
  return (int)syscall (SYS_pidfd_send_signal, pidfd, sig, info, flags);
}

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

/* Wait for the init, forwarding signals and the terminal; returns the exit
 * code crun exits with. */
int
crun_foreground_wait (struct libcrun_container_handle *h)
{
  static const int forwarded[] = { SIGHUP,   SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
                                   SIGWINCH, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU };
  sigset_t set;
  int sfd, code = 1;
  size_t i;
  struct termios saved;
  bool raw = false, stdin_open = true;
  siginfo_t si;

  sigemptyset (&set);
  for (i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (&set, forwarded[i]);
  sigprocmask (SIG_BLOCK, &set, NULL);
  sfd = signalfd (-1, &set, SFD_CLOEXEC);

  if (h->terminal_master >= 0 && isatty (0))
    {
      libcrun_error_t err = NULL;
      copy_window_size (h->terminal_master);
      if (libcrun_terminal_make_raw (0, &saved, &err) == 0)
        raw = true;
      libcrun_error_release (&err);
    }

  for (;;)
    {
      struct pollfd pfd[4];
      nfds_t n = 0;
      int r;

      pfd[n++] = (struct pollfd){ .fd = h->pidfd, .events = POLLIN };
      pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
      if (h->terminal_master >= 0)
        {
          pfd[n++] = (struct pollfd){ .fd = h->terminal_master, .events = POLLIN };
          if (stdin_open)
            pfd[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
        }
      r = poll (pfd, n, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        break;
      if (pfd[1].revents & POLLIN)
        {
          struct signalfd_siginfo ssi;
          if (read (sfd, &ssi, sizeof (ssi)) == sizeof (ssi))
            {
              if (ssi.ssi_signo == SIGWINCH && h->terminal_master >= 0)
                copy_window_size (h->terminal_master);
              else
                pidfd_signal (h->pidfd, (int)ssi.ssi_signo, NULL, 0);
            }
        }
      if (n > 2 && (pfd[2].revents & (POLLIN | POLLHUP)))
        {
          if (!pump (h->terminal_master, 1) && !(pfd[0].revents & POLLIN))
            {
              /* Slave closed by every process but the init still runs:
               * stop watching the master. */
              close (h->terminal_master);
              h->terminal_master = -1;
            }
        }
      if (n > 3 && (pfd[3].revents & (POLLIN | POLLHUP)))
        {
          if (!pump (0, h->terminal_master))
            stdin_open = false;
        }
      if (pfd[0].revents & POLLIN)
        break;
    }

  /* Drain what the container printed last. */
  if (h->terminal_master >= 0)
    {
      struct pollfd p = { .fd = h->terminal_master, .events = POLLIN };
      while (poll (&p, 1, 0) > 0 && (p.revents & POLLIN) && pump (h->terminal_master, 1))
        ;
    }
  memset (&si, 0, sizeof (si));
  while (waitid (P_PIDFD, (id_t)h->pidfd, &si, WEXITED) < 0)
    if (errno != EINTR)
      break;
  if (si.si_pid)
    code = exit_code_of (&si);
  if (raw)
    tcsetattr (0, TCSANOW, &saved);
  if (sfd >= 0)
    close (sfd);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  return code;
}
