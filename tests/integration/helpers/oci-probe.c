/* Small static helper copied into the test rootfs (tests/make-rootfs.sh).
 * It does what busybox cannot do precisely:
 *   oci-probe fds                  list open fds (without the one used to list)
 *   oci-probe mkdir PATH MODE      raw mkdir(2); prints "ok" or "errno=N"
 *   oci-probe personality VAL      raw personality(2) with VAL (hex or dec)
 *   oci-probe getpgid              raw getpgid(0)
 *   oci-probe readfd N             read fd N to EOF and print it
 *   oci-probe ioprio               raw ioprio_get of the caller: "class N prio M"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
report (long r)
{
  if (r < 0)
    {
      printf ("errno=%d\n", errno);
      return 1;
    }
  printf ("ok %ld\n", r);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return 2;
  if (strcmp (argv[1], "fds") == 0)
    {
      DIR *d = opendir ("/proc/self/fd");
      struct dirent *de;
      int self;
      if (d == NULL)
        {
          perror ("opendir");
          return 1;
        }
      self = dirfd (d);
      while ((de = readdir (d)))
        {
          if (de->d_name[0] == '.')
            continue;
          if (atoi (de->d_name) == self)
            continue;
          printf ("%s\n", de->d_name);
        }
      closedir (d);
      return 0;
    }
  if (strcmp (argv[1], "mkdir") == 0 && argc == 4)
    return report (syscall (SYS_mkdir, argv[2], strtol (argv[3], NULL, 8)));
  if (strcmp (argv[1], "personality") == 0 && argc == 3)
    return report (syscall (SYS_personality, strtoul (argv[2], NULL, 0)));
  if (strcmp (argv[1], "getpgid") == 0)
    return report (syscall (SYS_getpgid, 0));
  if (strcmp (argv[1], "ioprio") == 0)
    {
      long r = syscall (SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
      if (r < 0)
        return report (r);
      printf ("class %ld prio %ld\n", r >> 13, r & 7);
      return 0;
    }
  if (strcmp (argv[1], "readfd") == 0 && argc == 3)
    {
      char buf[4096];
      ssize_t n;
      int fd = atoi (argv[2]);
      while ((n = read (fd, buf, sizeof buf)) > 0)
        fwrite (buf, 1, n, stdout);
      if (n < 0)
        {
          printf ("errno=%d\n", errno);
          return 1;
        }
      return 0;
    }
  fprintf (stderr, "oci-probe: bad arguments\n");
  return 2;
}
