/* guest-timer LOG CMD [ARG...]
 *
 * Runs CMD with its stdout and stderr appended to LOG, waits for it, prints
 * the wall-clock time it took in microseconds on stdout and exits with its
 * exit status (128+N when killed by signal N).  Busybox's date has no
 * sub-second clock, so the guest benchmark (bench-guest-hooks.sh) times its
 * runs with this; its own cost is the same for every runtime measured.
 * Built with gcc -static for the initramfs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
main (int argc, char **argv)
{
  long long start;
  int status, log;
  pid_t pid;

  if (argc < 3)
    {
      fprintf (stderr, "usage: guest-timer LOG CMD [ARG...]\n");
      return 2;
    }
  log = open (argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0)
    {
      perror (argv[1]);
      return 2;
    }
  start = now_us ();
  pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      return 2;
    }
  if (pid == 0)
    {
      dup2 (log, 1);
      dup2 (log, 2);
      execvp (argv[2], argv + 2);
      perror (argv[2]);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) < 0)
    ;
  printf ("%lld\n", now_us () - start);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}
