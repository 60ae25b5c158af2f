/* Unit tests of libcrun/mount*.c: option parsing, and the three rootfs steps
 * run for real on a small temporary rootfs.
 *
 * The rootfs tests never mount anything on the host: each one forks a
 * grandchild that unshares its mount namespace (and makes it private)
 * before touching anything; the mounts die with it.  The test child keeps
 * the host's view and removes the temporary tree afterwards. */
#include "tap.h"
#include "mount.h"
#include "mount_options.h"
#include "syscalls.h"
#include "utils.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

/* ------------------------------------------------------------------------ */
/* Option parsing                                                            */
/* ------------------------------------------------------------------------ */

static struct libcrun_mount_flags
parse (char **opts)
{
  struct libcrun_mount_flags mf;
  libcrun_error_t err = NULL;
  int r = libcrun_parse_mount_options (opts, &mf, &err);
  tap_require (r == 0, "parse failed: %s", err ? err->msg : "?");
  return mf;
}

static void
test_options_set_flags (void)
{
  char *o[] = { "ro",      "nosuid", "nodev",   "noexec",     "sync", "dirsync",
                "remount", "mand",   "noatime", "nodiratime", NULL };
  struct libcrun_mount_flags mf = parse (o);
  unsigned long want = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC
                       | MS_REMOUNT | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME;

  tap_check (mf.flags == want, "flags %#lx, want %#lx", mf.flags, want);
  tap_check (mf.clear_flags == 0, "clear_flags %#lx", mf.clear_flags);
  tap_check (mf.propagation == 0, "propagation %#lx", mf.propagation);
  tap_check (mf.data == NULL, "data `%s`", mf.data);
}

static void
test_options_recursive_and_crun_extras (void)
{
  char *o[] = {
    "rro",       "rnosuid",      "rnoatime",     "rrelatime",     "idmap=uids=0-1-2;gids=0-1-2",
    "tmpcopyup", "copy-symlink", "src-nofollow", "dest-nofollow", NULL
  };
  char *bad[] = { "rbind", "rsync", NULL };
  struct libcrun_mount_flags mf = parse (o);
  libcrun_error_t err = NULL;

  /* the later atime mode replaces the earlier one, and asks to clear the field */
  tap_check (mf.rec_attr_set == (LIBCRUN_MOUNT_ATTR_RDONLY | LIBCRUN_MOUNT_ATTR_NOSUID),
             "rec_attr_set %#llx", (unsigned long long)mf.rec_attr_set);
  tap_check (mf.rec_attr_clr == LIBCRUN_MOUNT_ATTR__ATIME, "rec_attr_clr %#llx",
             (unsigned long long)mf.rec_attr_clr);
  tap_check (mf.has_idmap && mf.idmap && strcmp (mf.idmap, "uids=0-1-2;gids=0-1-2") == 0,
             "idmap `%s`", mf.idmap ? mf.idmap : "(null)");
  tap_check (mf.tmpcopyup && mf.copy_symlink && mf.src_nofollow && mf.dest_nofollow,
             "boolean options");
  tap_check (mf.flags == 0 && mf.data == NULL, "flags %#lx data `%s`", mf.flags, mf.data);
  libcrun_mount_flags_release (&mf);

  tap_check (libcrun_parse_mount_options (bad, &mf, &err) < 0 && err && strstr (err->msg, "rsync")
                 && strstr (err->msg, "file-system flag"),
             "rsync accepted: %s", err ? err->msg : "no error");
  libcrun_error_release (&err);
}

static void
test_options_clear_flags (void)
{
  char *o[] = { "ro",     "rw",    "nosuid",   "suid",       "dev",           "exec", "async",
                "nomand", "atime", "diratime", "norelatime", "nostrictatime", NULL };
  struct libcrun_mount_flags mf = parse (o);
  unsigned long want_clear = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS
                             | MS_MANDLOCK | MS_NOATIME | MS_NODIRATIME | MS_RELATIME
                             | MS_STRICTATIME;

  tap_check (mf.flags == 0, "flags %#lx", mf.flags);
  tap_check (mf.clear_flags == want_clear, "clear_flags %#lx, want %#lx", mf.clear_flags,
             want_clear);

  /* Set after clear: the last word wins both ways. */
  {
    char *o2[] = { "rw", "ro", NULL };
    struct libcrun_mount_flags m2 = parse (o2);
    tap_check (m2.flags == MS_RDONLY && m2.clear_flags == 0, "rw,ro: %#lx / %#lx", m2.flags,
               m2.clear_flags);
  }
}

static void
test_options_atime_exclusive (void)
{
  char *o1[] = { "noatime", "relatime", NULL };
  char *o2[] = { "relatime", "strictatime", NULL };
  char *o3[] = { "strictatime", "noatime", NULL };
  struct libcrun_mount_flags m;

  m = parse (o1);
  tap_check (m.flags == MS_RELATIME, "noatime,relatime -> %#lx", m.flags);
  m = parse (o2);
  tap_check (m.flags == MS_STRICTATIME, "relatime,strictatime -> %#lx", m.flags);
  m = parse (o3);
  tap_check (m.flags == MS_NOATIME, "strictatime,noatime -> %#lx", m.flags);
}

static void
test_options_propagation (void)
{
  struct
  {
    const char *name;
    unsigned long want;
  } cases[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  size_t i;

  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char *o[] = { (char *)cases[i].name, NULL };
      struct libcrun_mount_flags m = parse (o);
      tap_check (m.propagation == cases[i].want, "%s -> %#lx", cases[i].name, m.propagation);
      tap_check (m.flags == 0, "%s leaks into flags %#lx", cases[i].name, m.flags);
      tap_check (m.data == NULL, "%s leaks into data", cases[i].name);
    }
  {
    char *o[] = { "rshared", "nosuid", "private", NULL };
    struct libcrun_mount_flags m = parse (o);
    tap_check (m.propagation == MS_PRIVATE, "last propagation wins: %#lx", m.propagation);
    tap_check (m.flags == MS_NOSUID, "flags %#lx", m.flags);
  }
}

static void
test_options_data (void)
{
  char *o[] = { "nosuid", "mode=755", "strictatime", "size=65536k", "tmpcopyup", "", NULL };
  struct libcrun_mount_flags m = parse (o);

  tap_check (m.data && strcmp (m.data, "mode=755,size=65536k") == 0, "data `%s`",
             m.data ? m.data : "(null)");
  tap_check (m.flags == (MS_NOSUID | MS_STRICTATIME), "flags %#lx", m.flags);
  free (m.data);

  m = parse (NULL);
  tap_check (m.flags == 0 && m.clear_flags == 0 && m.propagation == 0 && m.data == NULL,
             "NULL options give an empty result");

  {
    char *o2[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
    struct libcrun_mount_flags m2 = parse (o2);
    tap_check (m2.data && strcmp (m2.data, "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0,
               "devpts data `%s`", m2.data ? m2.data : "(null)");
    free (m2.data);
  }
}

static void
test_options_bind (void)
{
  char *o1[] = { "bind", NULL };
  char *o2[] = { "rbind", "ro", NULL };
  char *o3[] = { "rbind", "bind", NULL };
  struct libcrun_mount_flags m;

  m = parse (o1);
  tap_check (m.flags == MS_BIND, "bind -> %#lx", m.flags);
  m = parse (o2);
  tap_check (m.flags == (MS_BIND | MS_REC | MS_RDONLY), "rbind,ro -> %#lx", m.flags);
  m = parse (o3);
  tap_check (m.flags == MS_BIND, "rbind,bind -> %#lx", m.flags);
}

/* ------------------------------------------------------------------------ */
/* Rootfs fixtures                                                           */
/* ------------------------------------------------------------------------ */

struct fixture
{
  char base[64];    /* bundle directory, on the host */
  char rootfs[128]; /* base/rootfs */
  struct oci_config cfg;
  struct oci_linux lin;
  struct oci_mount mounts[16];
  struct libcrun_rootfs_options opts;
};

static void
fixture_init (struct fixture *f)
{
  memset (f, 0, sizeof (*f));
  strcpy (f->base, "/tmp/crun-mount-test-XXXXXX");
  tap_require (mkdtemp (f->base) != NULL, "mkdtemp: %s", strerror (errno));
  snprintf (f->rootfs, sizeof (f->rootfs), "%s/rootfs", f->base);
  tap_require (mkdir (f->rootfs, 0755) == 0, "mkdir rootfs: %s", strerror (errno));
  f->cfg.linux_cfg = &f->lin;
  f->cfg.mounts = f->mounts;
  f->opts.config = &f->cfg;
  f->opts.rootfs = f->rootfs;
  f->opts.bundle = f->base;
}

static void
add_mount (struct fixture *f, const char *dest, const char *type, const char *src, char **opts)
{
  struct oci_mount *m = &f->mounts[f->cfg.n_mounts++];
  m->destination = (char *)dest;
  m->type = (char *)type;
  m->source = (char *)src;
  m->options = opts;
}

/* Create a file under the rootfs (or base) with some content. */
static void
put_file (const char *dir, const char *name, const char *content)
{
  char path[512];
  FILE *fp;
  snprintf (path, sizeof (path), "%s/%s", dir, name);
  fp = fopen (path, "w");
  tap_require (fp != NULL, "create %s: %s", path, strerror (errno));
  fputs (content, fp);
  fclose (fp);
}

static void
put_dir (const char *dir, const char *name)
{
  char path[512];
  snprintf (path, sizeof (path), "%s/%s", dir, name);
  tap_require (mkdir (path, 0755) == 0, "mkdir %s: %s", path, strerror (errno));
}

static char *
at (const char *dir, const char *name)
{
  static char bufs[4][512];
  static int i;
  char *b = bufs[i++ % 4];
  snprintf (b, sizeof (bufs[0]), "%s/%s", dir, name);
  return b;
}

static bool
mountinfo_has_mountpoint (const char *path)
{
  char *buf = NULL, *line, *save = NULL;
  size_t len;
  libcrun_error_t err = NULL;
  bool found = false;

  if (read_all_file ("/proc/self/mountinfo", &buf, &len, &err) < 0)
    {
      libcrun_error_release (&err);
      return false;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char mp[512];
      if (sscanf (line, "%*s %*s %*s %*s %511s", mp) == 1 && strcmp (mp, path) == 0)
        found = true;
    }
  free (buf);
  return found;
}

static long
fs_type (const char *path)
{
  struct statfs s;
  if (statfs (path, &s) < 0)
    return -1;
  return (long)s.f_type;
}

/* Run `fn` in a grandchild with a private mount namespace, then remove the
 * fixture's tree from the host.  `userns` also gives the grandchild a user
 * namespace in which it is root (uid/gid 0 mapped to 0). */
static void
run_isolated (struct fixture *f, void (*fn) (struct fixture *), bool userns)
{
  pid_t pid;
  int status = 0;
  libcrun_error_t err = NULL;

  fflush (stdout);
  pid = fork ();
  tap_require (pid >= 0, "fork: %s", strerror (errno));
  if (pid == 0)
    {
      tap_child_failures = 0;
      if (unshare (CLONE_NEWNS) < 0)
        {
          printf ("#   unshare(CLONE_NEWNS): %s\n", strerror (errno));
          fflush (stdout);
          _exit (TAP_EXIT_SKIP);
        }
      /* Before anything else: nothing below may propagate to the host. */
      tap_require (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s",
                   strerror (errno));
      if (userns)
        {
          char path[512];
          /* A mount with locked flags once we are in the user namespace. */
          snprintf (path, sizeof (path), "%s/locked", f->base);
          tap_require (mkdir (path, 0755) == 0, "mkdir locked");
          tap_require (mount ("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
                           == 0,
                       "mount locked tmpfs: %s", strerror (errno));
          put_file (path, "data", "locked");
          if (unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0)
            {
              printf ("#   unshare(CLONE_NEWUSER): %s\n", strerror (errno));
              fflush (stdout);
              _exit (TAP_EXIT_SKIP);
            }
          tap_require (write_file ("/proc/self/setgroups", "deny", 4, 0644, &err) == 0,
                       "setgroups: %s", err ? err->msg : "?");
          tap_require (write_file ("/proc/self/uid_map", "0 0 1", 5, 0644, &err) == 0,
                       "uid_map: %s", err ? err->msg : "?");
          tap_require (write_file ("/proc/self/gid_map", "0 0 1", 5, 0644, &err) == 0,
                       "gid_map: %s", err ? err->msg : "?");
          f->opts.userns = true;
        }
      fn (f);
      fflush (stdout);
      _exit (tap_child_failures ? 1 : 0);
    }
  tap_require (waitpid (pid, &status, 0) == pid, "waitpid: %s", strerror (errno));
  if (remove_tree (f->base, &err) < 0)
    {
      printf ("#   cleanup: %s\n", err->msg);
      libcrun_error_release (&err);
    }
  if (WIFEXITED (status) && WEXITSTATUS (status) == TAP_EXIT_SKIP)
    tap_skip ("unshare refused in this environment");
  tap_check (WIFEXITED (status) && WEXITSTATUS (status) == 0, "isolated part failed (status %#x)",
             status);
}

#define MOUNT_OK(f)                                                                                \
  do                                                                                               \
    {                                                                                              \
      libcrun_error_t e_ = NULL;                                                                   \
      int r_ = libcrun_rootfs_mount (&(f)->opts, &e_);                                             \
      tap_require (r_ == 0, "libcrun_rootfs_mount: %s", e_ ? e_->msg : "?");                       \
    }                                                                                              \
  while (0)

#define PIVOT_OK(f)                                                                                \
  do                                                                                               \
    {                                                                                              \
      libcrun_error_t e_ = NULL;                                                                   \
      int r_ = libcrun_rootfs_pivot (&(f)->opts, &e_);                                             \
      tap_require (r_ == 0, "libcrun_rootfs_pivot: %s", e_ ? e_->msg : "?");                       \
    }                                                                                              \
  while (0)

/* ------------------------------------------------------------------------ */
/* Rootfs tests                                                              */
/* ------------------------------------------------------------------------ */

static void
tmpfs_mode_body (struct fixture *f)
{
  static char *o[] = { "nosuid", "nodev", "mode=750", "size=1m", NULL };
  struct stat st;
  struct statvfs sv;

  add_mount (f, "/data/deep", "tmpfs", "tmpfs", o);
  MOUNT_OK (f);

  tap_require (stat (at (f->rootfs, "data/deep"), &st) == 0, "stat: %s", strerror (errno));
  tap_check ((st.st_mode & 07777) == 0750, "mode %o, want 750", st.st_mode & 07777);
  tap_check (fs_type (at (f->rootfs, "data/deep")) == TMPFS_MAGIC, "not a tmpfs");
  tap_check (statvfs (at (f->rootfs, "data/deep"), &sv) == 0 && (sv.f_flag & ST_NOSUID)
                 && (sv.f_flag & ST_NODEV),
             "nosuid/nodev missing");
  tap_check (mountinfo_has_mountpoint (f->rootfs), "rootfs is not bind-mounted on itself");
}

static void
test_rootfs_tmpfs_mode (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, tmpfs_mode_body, false);
}

static void
bind_ro_body (struct fixture *f)
{
  static char *o_dir[] = { "rbind", "ro", NULL };
  static char *o_file[] = { "bind", "ro", "nosuid", NULL };
  char buf[16] = { 0 };
  int fd;
  struct statvfs sv;

  add_mount (f, "/ro", "bind", "src", o_dir); /* relative: from the bundle */
  add_mount (f, "/etc/hosts", "none", at (f->base, "hosts"), o_file);
  MOUNT_OK (f);

  fd = open (at (f->rootfs, "ro/hello"), O_RDONLY | O_CLOEXEC);
  tap_check (fd >= 0 && read (fd, buf, sizeof (buf) - 1) == 2 && strcmp (buf, "hi") == 0,
             "bound content not visible");
  if (fd >= 0)
    close (fd);
  fd = open (at (f->rootfs, "ro/new"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  tap_check (fd < 0 && errno == EROFS, "create in ro bind: fd %d errno %d", fd, errno);
  fd = open (at (f->rootfs, "etc/hosts"), O_WRONLY | O_CLOEXEC);
  tap_check (fd < 0 && errno == EROFS, "write ro file bind: fd %d errno %d", fd, errno);
  tap_check (statvfs (at (f->rootfs, "etc/hosts"), &sv) == 0 && (sv.f_flag & ST_NOSUID),
             "nosuid not applied to the file bind");
  /* The source itself stays writable. */
  fd = open (at (f->base, "src/new"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  tap_check (fd >= 0, "source became read-only: %s", strerror (errno));
  if (fd >= 0)
    close (fd);
}

static void
test_rootfs_bind_ro (void)
{
  struct fixture f;
  fixture_init (&f);
  put_dir (f.base, "src");
  put_file (at (f.base, "src"), "hello", "hi");
  put_file (f.base, "hosts", "127.0.0.1 localhost\n");
  run_isolated (&f, bind_ro_body, false);
}

static void
error_message_body (struct fixture *f)
{
  static char *o[] = { "rbind", NULL };
  libcrun_error_t err = NULL;
  int r;

  add_mount (f, "/data", "bind", "/nonexistent-crun-test", o);
  r = libcrun_rootfs_mount (&f->opts, &err);
  tap_require (r < 0 && err != NULL, "mount of a missing source succeeded");
  tap_check (err->status == ENOENT, "status %d", err->status);
  tap_check (strcmp (err->msg, "mount `/data` (source `/nonexistent-crun-test`, type bind): stat "
                               "the source: No such file or directory")
                 == 0,
             "message `%s`", err->msg);
  libcrun_error_release (&err);
}

static void
test_rootfs_error_message (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, error_message_body, false);
}

static char outside[64];

static void
symlink_escape_body (struct fixture *f)
{
  static char *o[] = { "size=1m", NULL };
  static char *ob[] = { "bind", NULL };
  struct stat st_out, st_tmp, st_in, st_root;

  add_mount (f, "/evil", "tmpfs", "tmpfs", o);
  add_mount (f, "/rel/sub", "tmpfs", "tmpfs", o);
  add_mount (f, "/up/target", "tmpfs", "tmpfs", o);
  add_mount (f, "/dangling/file", "bind", at (f->base, "hosts"), ob);
  MOUNT_OK (f);

  /* Nothing happened to the host directory the symlinks point at. */
  tap_check (!mountinfo_has_mountpoint (outside), "a mount landed on the host's %s", outside);
  tap_check (stat (outside, &st_out) == 0 && stat ("/tmp", &st_tmp) == 0
                 && st_out.st_dev == st_tmp.st_dev,
             "host %s changed device", outside);
  tap_check (access (at (outside, "marker"), F_OK) == 0, "host marker hidden");
  tap_check (access (at (outside, "sub"), F_OK) < 0, "host got a `sub` directory");
  tap_check (access ("/file", F_OK) < 0 && access ("/target", F_OK) < 0,
             "something was created at the host's /");

  /* It landed on the same path inside the rootfs. */
  tap_check (mountinfo_has_mountpoint (at (f->rootfs, outside + 1)), "/evil not inside the rootfs");
  tap_check (fs_type (at (f->rootfs, outside + 1)) == TMPFS_MAGIC, "/evil target not a tmpfs");
  tap_check (mountinfo_has_mountpoint (at (at (f->rootfs, outside + 1), "sub")),
             "/rel/sub not inside the rootfs");
  tap_check (mountinfo_has_mountpoint (at (f->rootfs, "target")),
             "/up/target (.. chain) not clamped to the rootfs");
  tap_check (stat (at (f->rootfs, "target"), &st_in) == 0 && stat (f->rootfs, &st_root) == 0
                 && st_in.st_dev != st_root.st_dev,
             "rootfs/target is not a mount");
  tap_check (mountinfo_has_mountpoint (at (f->rootfs, "nowhere/file")),
             "dangling symlink target not created inside the rootfs");
}

static void
test_rootfs_symlink_escape (void)
{
  struct fixture f;
  char link[256];

  fixture_init (&f);
  strcpy (outside, "/tmp/crun-outside-XXXXXX");
  tap_require (mkdtemp (outside) != NULL, "mkdtemp: %s", strerror (errno));
  put_file (outside, "marker", "host");
  put_file (f.base, "hosts", "x");
  /* Absolute: /evil -> /tmp/crun-outside-XXX (the host's, if followed there). */
  tap_require (symlink (outside, at (f.rootfs, "evil")) == 0, "symlink: %s", strerror (errno));
  /* Relative, climbing far above the rootfs. */
  snprintf (link, sizeof (link), "../../../../../../../..%s", outside);
  tap_require (symlink (link, at (f.rootfs, "rel")) == 0, "symlink: %s", strerror (errno));
  /* An intermediate component that is a ".." chain. */
  tap_require (symlink ("../../../../..", at (f.rootfs, "up")) == 0, "symlink");
  /* Dangling: its target is created inside the rootfs. */
  tap_require (symlink ("/nowhere", at (f.rootfs, "dangling")) == 0, "symlink");

  run_isolated (&f, symlink_escape_body, false);

  tap_check (access (at (outside, "marker"), F_OK) == 0, "host marker gone");
  tap_check (access (at (outside, "sub"), F_OK) < 0, "host got a `sub` directory");
  tap_check (access ("/nowhere", F_OK) < 0, "host got /nowhere");
  tap_check (access ("/target", F_OK) < 0, "host got /target");
  remove_tree (outside, NULL);
}

static void
pivot_body (struct fixture *f)
{
  static char *o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static char *o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static char *masked[] = { "/secret", "/secretfile", "/nonexistent", "/proc/keys", NULL };
  static char *ro[] = { "/rodir", "/proc/sys", "/missing", NULL };
  char buf[32];
  int fd;
  ssize_t n;
  struct stat st;
  DIR *d;
  struct dirent *de;
  int entries = 0, unexpected = 0;
  char link[64];

  add_mount (f, "/proc", "proc", "proc", NULL);
  add_mount (f, "/dev", "tmpfs", "tmpfs", o_dev);
  add_mount (f, "/dev/pts", "devpts", "devpts", o_pts);
  f->lin.masked_paths = masked;
  f->lin.readonly_paths = ro;
  f->cfg.root_readonly = true;
  MOUNT_OK (f);
  {
    libcrun_error_t e = NULL;
    int r = libcrun_rootfs_bind_console (&f->opts, "/dev/zero", &e);
    tap_check (r == 0, "bind console: %s", e ? e->msg : "?");
    libcrun_error_release (&e);
  }
  PIVOT_OK (f);

  /* Only the rootfs is left. */
  tap_check (access (f->base, F_OK) < 0, "the host's %s is still visible", f->base);
  d = opendir ("/");
  tap_require (d != NULL, "opendir /: %s", strerror (errno));
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      entries++;
      if (strcmp (de->d_name, "secret") && strcmp (de->d_name, "secretfile")
          && strcmp (de->d_name, "rodir") && strcmp (de->d_name, "proc")
          && strcmp (de->d_name, "dev"))
        {
          unexpected++;
          printf ("#   unexpected entry /%s\n", de->d_name);
        }
    }
  closedir (d);
  tap_check (entries == 5 && unexpected == 0, "/ has %d entries", entries);

  /* maskedPaths */
  fd = open ("/secretfile", O_RDONLY | O_CLOEXEC);
  n = fd >= 0 ? read (fd, buf, sizeof (buf)) : -1;
  tap_check (n == 0, "masked file read %zd bytes", n);
  if (fd >= 0)
    close (fd);
  tap_check (access ("/secret/s", F_OK) < 0 && errno == ENOENT, "masked dir shows its content");
  tap_check (mkdir ("/secret/x", 0755) < 0 && errno == EROFS, "masked dir writable: %d", errno);
  /* A procfs file (the kernel may lack /proc/keys: then it is skipped). */
  fd = open ("/proc/keys", O_RDONLY | O_CLOEXEC);
  n = fd >= 0 ? read (fd, buf, sizeof (buf)) : (errno == ENOENT ? 0 : -1);
  tap_check (n == 0, "masked /proc/keys read %zd", n);
  if (fd >= 0)
    close (fd);

  /* readonlyPaths */
  fd = open ("/rodir/new", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  tap_check (fd < 0 && errno == EROFS, "readonly path writable: %d", errno);
  fd = open ("/proc/sys/kernel/hostname", O_WRONLY | O_CLOEXEC);
  tap_check (fd < 0 && errno == EROFS, "/proc/sys writable: %d", errno);

  /* root.readonly, while /dev stays writable */
  tap_check (mkdir ("/newdir", 0755) < 0 && errno == EROFS, "/ writable: %d", errno);
  fd = open ("/dev/scratch", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  tap_check (fd >= 0, "/dev not writable: %s", strerror (errno));
  if (fd >= 0)
    close (fd);

  /* Default devices and symlinks */
  tap_check (stat ("/dev/null", &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == 1
                 && minor (st.st_rdev) == 3 && (st.st_mode & 0777) == 0666,
             "/dev/null");
  tap_check (stat ("/dev/tty", &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == 5,
             "/dev/tty");
  n = readlink ("/dev/fd", link, sizeof (link) - 1);
  tap_check (n > 0 && (link[n] = 0, strcmp (link, "/proc/self/fd") == 0), "/dev/fd link");
  n = readlink ("/dev/ptmx", link, sizeof (link) - 1);
  tap_check (n > 0 && (link[n] = 0, strcmp (link, "pts/ptmx") == 0), "/dev/ptmx link");
  n = readlink ("/dev/stderr", link, sizeof (link) - 1);
  tap_check (n > 0 && (link[n] = 0, strcmp (link, "/proc/self/fd/2") == 0), "/dev/stderr link");
  tap_check (fs_type ("/dev/pts") == DEVPTS_SUPER_MAGIC, "/dev/pts not devpts");
  /* The console is the slave we gave (here /dev/zero). */
  tap_check (stat ("/dev/console", &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) == 1
                 && minor (st.st_rdev) == 5,
             "/dev/console is not the bound device");
}

static void
test_rootfs_pivot_masked_readonly (void)
{
  struct fixture f;
  fixture_init (&f);
  put_dir (f.rootfs, "secret");
  put_file (at (f.rootfs, "secret"), "s", "hidden");
  put_file (f.rootfs, "secretfile", "topsecret");
  put_dir (f.rootfs, "rodir");
  run_isolated (&f, pivot_body, false);
}

static void
no_pivot_body (struct fixture *f)
{
  static char *o_dev[] = { "mode=755", NULL };
  static char *masked[] = { "/secretfile", "/secret", NULL };
  char buf[16];
  int fd;
  ssize_t n;

  /* No /proc: masking falls back to plain paths inside the new root. */
  add_mount (f, "/dev", "tmpfs", "tmpfs", o_dev);
  f->lin.masked_paths = masked;
  f->opts.no_pivot = true;
  MOUNT_OK (f);
  PIVOT_OK (f);

  tap_check (access (f->base, F_OK) < 0, "the host's %s is still visible", f->base);
  tap_check (access ("/secretfile", F_OK) == 0, "rootfs not at /");
  fd = open ("/secretfile", O_RDONLY | O_CLOEXEC);
  n = fd >= 0 ? read (fd, buf, sizeof (buf)) : -1;
  tap_check (n == 0, "masked file read %zd bytes", n);
  if (fd >= 0)
    close (fd);
  tap_check (access ("/secret/s", F_OK) < 0, "masked dir shows its content");
}

static void
test_rootfs_no_pivot (void)
{
  struct fixture f;
  fixture_init (&f);
  put_file (f.rootfs, "secretfile", "topsecret");
  put_dir (f.rootfs, "secret");
  put_file (at (f.rootfs, "secret"), "s", "hidden");
  run_isolated (&f, no_pivot_body, false);
}

static void
devices_body (struct fixture *f)
{
  static char *o_dev[] = { "mode=755", NULL };
  static struct oci_device devs[4];
  struct stat st;

  add_mount (f, "/dev", "tmpfs", "tmpfs", o_dev);
  devs[0] = (struct oci_device){ .path = "/dev/mydev",
                                 .type = 'c',
                                 .major = 1,
                                 .minor = 3,
                                 .has_file_mode = true,
                                 .file_mode = 0640,
                                 .has_uid = true,
                                 .uid = 1,
                                 .has_gid = true,
                                 .gid = 2 };
  devs[1] = (struct oci_device){ .path = "/dev/net/tun", .type = 'c', .major = 10, .minor = 200 };
  devs[2] = (struct oci_device){ .path = "/dev/mydev",
                                 .type = 'c',
                                 .major = 1,
                                 .minor = 5,
                                 .has_file_mode = true,
                                 .file_mode = 0600 };
  devs[3] = (struct oci_device){ .path = "/dev/null", .type = 'c', .major = 1, .minor = 7 };
  f->lin.devices = devs;
  f->lin.n_devices = 4;
  MOUNT_OK (f);

  tap_check (stat (at (f->rootfs, "dev/mydev"), &st) == 0 && S_ISCHR (st.st_mode)
                 && major (st.st_rdev) == 1 && minor (st.st_rdev) == 5
                 && (st.st_mode & 07777) == 0600 && st.st_uid == 0,
             "replaced /dev/mydev: rdev %u:%u mode %o uid %u", major (st.st_rdev),
             minor (st.st_rdev), st.st_mode & 07777, st.st_uid);
  tap_check (stat (at (f->rootfs, "dev/net/tun"), &st) == 0 && major (st.st_rdev) == 10
                 && minor (st.st_rdev) == 200 && (st.st_mode & 0777) == 0666,
             "/dev/net/tun");
  /* A config device replaces the default one. */
  tap_check (stat (at (f->rootfs, "dev/null"), &st) == 0 && minor (st.st_rdev) == 7,
             "config /dev/null did not replace the default");
}

static void
test_rootfs_devices (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, devices_body, false);
}

static void
cgroup_body (struct fixture *f)
{
  static char *o[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  static char *o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  char path[512];

  add_mount (f, "/sys", "sysfs", "sysfs", o_sys);
  add_mount (f, "/sys/fs/cgroup", "cgroup", "cgroup", o);
  MOUNT_OK (f);

  tap_check (fs_type (at (f->rootfs, "sys")) == SYSFS_MAGIC, "/sys is not sysfs");
  snprintf (path, sizeof (path), "%s/sys/fs/cgroup", f->rootfs);
  if (fs_type ("/sys/fs/cgroup") == CGROUP2_SUPER_MAGIC)
    {
      tap_check (fs_type (path) == CGROUP2_SUPER_MAGIC, "not cgroup2");
      tap_check (mkdir (at (path, "x"), 0755) < 0 && errno == EROFS, "cgroup2 writable");
      return;
    }
  tap_check (fs_type (path) == TMPFS_MAGIC, "cgroup root is not a tmpfs");
  tap_check (mkdir (at (path, "x"), 0755) < 0 && errno == EROFS, "cgroup tmpfs writable: %d",
             errno);
  if (access ("/sys/fs/cgroup/memory", F_OK) == 0)
    {
      tap_check (fs_type (at (path, "memory")) == CGROUP_SUPER_MAGIC, "memory not a cgroup");
      tap_check (access (at (path, "memory/memory.limit_in_bytes"), F_OK) == 0,
                 "memory hierarchy empty");
      tap_check (mkdir (at (path, "memory/x"), 0755) < 0 && errno == EROFS,
                 "memory hierarchy writable: %d", errno);
    }
  if (access ("/sys/fs/cgroup/systemd", F_OK) == 0)
    tap_check (fs_type (at (path, "systemd")) == CGROUP_SUPER_MAGIC, "name=systemd missing");
  if (fs_type ("/sys/fs/cgroup/unified") == CGROUP2_SUPER_MAGIC)
    tap_check (fs_type (at (path, "unified")) == CGROUP2_SUPER_MAGIC, "unified missing");
}

static void
test_rootfs_cgroup (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, cgroup_body, false);
}

static void
shared_body (struct fixture *f)
{
  static char *o_dev[] = { "mode=755", NULL };
  FILE *fp;
  char line[1024];
  bool shared = false;

  add_mount (f, "/dev", "tmpfs", "tmpfs", o_dev);
  add_mount (f, "/proc", "proc", "proc", NULL);
  f->lin.rootfs_propagation = "rshared";
  MOUNT_OK (f);
  PIVOT_OK (f);
  fp = fopen ("/proc/self/mountinfo", "re");
  tap_require (fp != NULL, "mountinfo: %s", strerror (errno));
  while (fgets (line, sizeof (line), fp))
    {
      char mp[256];
      if (sscanf (line, "%*s %*s %*s %*s %255s", mp) == 1 && strcmp (mp, "/") == 0
          && strstr (line, " shared:"))
        shared = true;
    }
  fclose (fp);
  tap_check (shared, "/ is not shared after rootfsPropagation=rshared");
}

static void
test_rootfs_propagation_shared (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, shared_body, false);
}

static void
userns_body (struct fixture *f)
{
  static char *o_dev[] = { "nosuid", "mode=755", NULL };
  static char *o_ro[] = { "bind", "ro", NULL };
  static char *o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static char *o_cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
  static struct oci_device devs[1];
  char locked[256];
  struct stat st;
  struct statvfs sv;
  int fd;

  snprintf (locked, sizeof (locked), "%s/locked", f->base);
  add_mount (f, "/proc", "proc", "proc", NULL);
  add_mount (f, "/dev", "tmpfs", "tmpfs", o_dev);
  add_mount (f, "/sys", "sysfs", "sysfs", o_sys);
  add_mount (f, "/data", "bind", locked, o_ro);
  add_mount (f, "/sys/fs/cgroup", "cgroup", "cgroup", o_cg);
  /* Replaces the default /dev/null, itself a bind from the host here. */
  devs[0] = (struct oci_device){ .path = "/dev/null", .type = 'c', .major = 1, .minor = 3 };
  f->lin.devices = devs;
  f->lin.n_devices = 1;
  MOUNT_OK (f);

  /* mknod is refused: the host's device is bound on an empty file. */
  tap_check (stat (at (f->rootfs, "dev/null"), &st) == 0 && S_ISCHR (st.st_mode)
                 && major (st.st_rdev) == 1 && minor (st.st_rdev) == 3,
             "/dev/null is not the host's null device");
  /* sysfs cannot be mounted without a network namespace: bound instead. */
  tap_check (fs_type (at (f->rootfs, "sys")) == SYSFS_MAGIC, "/sys is not sysfs");
  tap_check (statvfs (at (f->rootfs, "sys"), &sv) == 0 && (sv.f_flag & ST_RDONLY),
             "/sys is not read-only");
  /* ro on a bind whose source has locked nosuid/nodev/noexec. */
  fd = open (at (f->rootfs, "data/new"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  tap_check (fd < 0 && errno == EROFS, "locked bind not read-only: %d", errno);
  tap_check (statvfs (at (f->rootfs, "data"), &sv) == 0 && (sv.f_flag & ST_NOEXEC)
                 && (sv.f_flag & ST_NOSUID),
             "locked flags lost");
  tap_check (access (at (f->rootfs, "data/data"), F_OK) == 0, "bound content missing");
  /* cgroup hierarchies cannot be mounted here: bound from the host, ro. */
  if (fs_type ("/sys/fs/cgroup") != CGROUP2_SUPER_MAGIC
      && access ("/sys/fs/cgroup/memory", F_OK) == 0)
    {
      tap_check (fs_type (at (f->rootfs, "sys/fs/cgroup/memory")) == CGROUP_SUPER_MAGIC,
                 "memory hierarchy missing");
      tap_check (mkdir (at (f->rootfs, "sys/fs/cgroup/memory/x"), 0755) < 0 && errno == EROFS,
                 "memory hierarchy writable: %d", errno);
    }
  else
    tap_check (mkdir (at (f->rootfs, "sys/fs/cgroup/x"), 0755) < 0 && errno == EROFS,
               "cgroup view writable: %d", errno);
  PIVOT_OK (f);
  tap_check (access ("/dev/null", F_OK) == 0 && access (f->base, F_OK) < 0, "pivot in userns");
}

static void
test_rootfs_userns (void)
{
  struct fixture f;
  fixture_init (&f);
  run_isolated (&f, userns_body, true);
}

int
main (void)
{
  TAP_RUN (test_options_set_flags);
  TAP_RUN (test_options_clear_flags);
  TAP_RUN (test_options_recursive_and_crun_extras);
  TAP_RUN (test_options_atime_exclusive);
  TAP_RUN (test_options_propagation);
  TAP_RUN (test_options_data);
  TAP_RUN (test_options_bind);
  TAP_RUN (test_rootfs_tmpfs_mode);
  TAP_RUN (test_rootfs_bind_ro);
  TAP_RUN (test_rootfs_error_message);
  TAP_RUN (test_rootfs_symlink_escape);
  TAP_RUN (test_rootfs_pivot_masked_readonly);
  TAP_RUN (test_rootfs_no_pivot);
  TAP_RUN (test_rootfs_devices);
  TAP_RUN (test_rootfs_cgroup);
  TAP_RUN (test_rootfs_propagation_shared);
  TAP_RUN (test_rootfs_userns);
  return tap_done ();
}
