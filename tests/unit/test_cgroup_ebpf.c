/* The eBPF device program of cgroup v2 (cgroup_ebpf.c), attached for real
 * to a cgroup2 directory: cgroup BPF programs do not need a controller, so
 * this runs on the unified hierarchy of a hybrid host too. */
#include "tap.h"
#include "cgroup_ebpf.h"
#include "utils.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *
cgroup2_root (void)
{
  static const char *const candidates[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup", NULL };
  size_t i;
  for (i = 0; candidates[i]; i++)
    {
      struct statfs sf;
      if (statfs (candidates[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
        return candidates[i];
    }
  return NULL;
}

/* Child moved into dir: try to open path with flags; report errno. */
static int
open_in_cgroup (const char *dir, const char *path, int flags)
{
  int status, sync[2];
  pid_t pid;
  char c;

  if (pipe (sync) < 0)
    return -1;
  pid = fork ();
  if (pid == 0)
    {
      int fd;
      close (sync[1]);
      if (read (sync[0], &c, 1) != 1)
        _exit (99);
      fd = open (path, flags);
      _exit (fd >= 0 ? 0 : errno);
    }
  close (sync[0]);
  {
    char procs[512], buf[32];
    int n = snprintf (buf, sizeof (buf), "%d", pid), fd;
    snprintf (procs, sizeof (procs), "%s/cgroup.procs", dir);
    fd = open (procs, O_WRONLY);
    if (fd < 0 || write (fd, buf, (size_t)n) != n)
      {
        kill (pid, SIGKILL);
        waitpid (pid, NULL, 0);
        return -1;
      }
    close (fd);
  }
  (void)!write (sync[1], "g", 1);
  close (sync[1]);
  waitpid (pid, &status, 0);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_device_program (void)
{
  const char *root = cgroup2_root ();
  char dir[256];
  struct libcrun_device_rule rules[3];
  libcrun_error_t err = NULL;
  int r;

  if (root == NULL)
    tap_skip ("no cgroup2 hierarchy mounted");
  snprintf (dir, sizeof (dir), "%s/crun-ebpf-test-%d", root, (int)getpid ());
  tap_require (mkdir (dir, 0755) == 0, "mkdir %s: %s", dir, strerror (errno));

  tap_check (libcrun_device_rule_parse ("a *:* rwm", false, &rules[0], &err) == 0, "parse");
  tap_check (libcrun_device_rule_parse ("c 1:3 rw", true, &rules[1], &err) == 0, "parse");
  r = libcrun_cgroup_ebpf_devices (dir, rules, 2, &err);
  if (r < 0 && err->status == EPERM)
    {
      rmdir (dir);
      tap_skip ("BPF programs refused here: %s", err->msg);
    }
  tap_check (r == 0, "attach: %s", err ? err->msg : "");
  libcrun_error_release (&err);
  tap_check (open_in_cgroup (dir, "/dev/null", O_RDWR) == 0, "/dev/null (c 1:3 rw) allowed");
  tap_check (open_in_cgroup (dir, "/dev/zero", O_RDONLY) == EPERM, "/dev/zero denied");

  /* An update replaces the program: now 1:5 read is allowed too, and a
   * later deny of 1:3 wins over the earlier allow (last match decides). */
  tap_check (libcrun_device_rule_parse ("c 1:5 r", true, &rules[2], &err) == 0, "parse");
  r = libcrun_cgroup_ebpf_devices (dir, rules, 3, &err);
  tap_check (r == 0, "re-attach: %s", err ? err->msg : "");
  libcrun_error_release (&err);
  tap_check (open_in_cgroup (dir, "/dev/zero", O_RDONLY) == 0, "/dev/zero read allowed now");
  tap_check (open_in_cgroup (dir, "/dev/zero", O_RDWR) == EPERM, "/dev/zero write still denied");
  tap_check (libcrun_device_rule_parse ("c 1:3 rwm", false, &rules[2], &err) == 0, "parse");
  r = libcrun_cgroup_ebpf_devices (dir, rules, 3, &err);
  tap_check (r == 0, "re-attach: %s", err ? err->msg : "");
  libcrun_error_release (&err);
  tap_check (open_in_cgroup (dir, "/dev/null", O_RDWR) == EPERM, "/dev/null denied by last rule");
  tap_check (rmdir (dir) == 0, "rmdir %s: %s", dir, strerror (errno));
}

static void
test_rule_parse_errors (void)
{
  struct libcrun_device_rule r;
  libcrun_error_t err = NULL;
  tap_check (libcrun_device_rule_parse ("x 1:3 rwm", true, &r, &err) < 0, "bad type accepted");
  libcrun_error_release (&err);
  tap_check (libcrun_device_rule_parse ("c q:3 rwm", true, &r, &err) < 0, "bad major accepted");
  libcrun_error_release (&err);
  tap_check (libcrun_device_rule_parse ("b *:* m", true, &r, &err) == 0 && r.major == -1
                 && r.minor == -1 && r.access == LIBCRUN_DEV_MKNOD && r.type == 'b',
             "b *:* m");
}

int
main (void)
{
  TAP_RUN (test_device_program);
  TAP_RUN (test_rule_parse_errors);
  return tap_done ();
}
