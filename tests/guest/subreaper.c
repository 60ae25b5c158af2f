/* subreaper SECONDS CMD [ARG...]
 *
 * Become a child subreaper, run CMD and wait for it (and only it), then
 * watch for SECONDS how many zombies are left among our children: processes
 * orphaned under us (e.g. the hooks of a runtime that was SIGKILLed) that
 * exited and that nobody reaped.  At the end of the period prints
 * "zombies=N" and then "zombie PID COMM" for each, and exits 0; it never
 * reaps anything but CMD, on purpose.
 * Used inside the qemu guest by tests/kernel/guest-crun.sh. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Children of ours in state Z, from /proc/PID/stat (field 3 state, field
 * 4 ppid; the command name in parentheses may hold spaces). */
static int
count_zombies (pid_t self, bool print)
{
  DIR *d = opendir ("/proc");
  struct dirent *de;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((de = readdir (d)))
    {
      char path[300], buf[512], state;
      int ppid;
      FILE *f;
      char *p;

      if (de->d_name[0] < '0' || de->d_name[0] > '9')
        continue;
      snprintf (path, sizeof (path), "/proc/%s/stat", de->d_name);
      f = fopen (path, "r");
      if (f == NULL)
        continue;
      if (fgets (buf, sizeof (buf), f) == NULL)
        buf[0] = '\0';
      fclose (f);
      p = strrchr (buf, ')');
      if (p && sscanf (p + 1, " %c %d", &state, &ppid) == 2 && ppid == self && state == 'Z')
        {
          n++;
          if (print)
            {
              char *comm = strchr (buf, '(');
              *p = '\0';
              printf ("zombie %s %s\n", de->d_name, comm ? comm + 1 : "?");
            }
        }
    }
  closedir (d);
  return n;
}

int
main (int argc, char **argv)
{
  int seconds, status, z = 0, i;
  pid_t pid;

  if (argc < 3)
    {
      fprintf (stderr, "usage: subreaper SECONDS CMD [ARG...]\n");
      return 2;
    }
  seconds = atoi (argv[1]);
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) < 0)
    {
      perror ("PR_SET_CHILD_SUBREAPER");
      return 2;
    }
  pid = fork ();
  if (pid < 0)
    return 2;
  if (pid == 0)
    {
      execvp (argv[2], argv + 2);
      perror ("execvp");
      _exit (127);
    }
  if (waitpid (pid, &status, 0) < 0)
    return 2;
  for (i = 0; i < seconds * 10; i++)
    {
      z = count_zombies (getpid (), false);
      usleep (100000);
    }
  printf ("zombies=%d\n", z);
  count_zombies (getpid (), true);
  return 0;
}
