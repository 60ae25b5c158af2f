/* The default config.json of `crun spec`, generated with yajl_gen.
 *
 * Content follows crun's template: an `sh` process on a terminal as root,
 * capabilities CAP_AUDIT_WRITE, CAP_KILL and CAP_NET_BIND_SERVICE (empty
 * inheritable set), RLIMIT_NOFILE 1024, read-only "rootfs", hostname "crun",
 * the usual /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys and
 * /sys/fs/cgroup mounts, a deny-all device cgroup, masked and read-only paths.
 * Like crun, a cgroup namespace is only requested when /sys/fs/cgroup is
 * cgroup v2 (with v1 hierarchies crun leaves the cgroup namespace out).
 *
 * Rootless (the contract of spec.h): a user namespace mapping container root
 * to the caller's uid and gid, no network namespace, /sys bind-mounted from
 * the host (sysfs cannot be mounted without owning a network namespace), and
 * no gid=5 on devpts (group 5 is not mapped). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spec.h"
#include "utils.h"

#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>
#include <yajl/yajl_gen.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* yajl_gen wrapper whose first failure sticks, so that the generation code
 * reads straight and is checked once at the end. */
struct gen
{
  yajl_gen g;
  yajl_gen_status status;
};

static void
gen_check (struct gen *g, yajl_gen_status st)
{
  if (g->status == yajl_gen_status_ok)
    g->status = st;
}

static void
gen_string (struct gen *g, const char *s)
{
  gen_check (g, yajl_gen_string (g->g, (const unsigned char *)s, strlen (s)));
}

static void
gen_key (struct gen *g, const char *key)
{
  gen_string (g, key);
}

static void
gen_key_string (struct gen *g, const char *key, const char *value)
{
  gen_key (g, key);
  gen_string (g, value);
}

static void
gen_key_bool (struct gen *g, const char *key, bool value)
{
  gen_key (g, key);
  gen_check (g, yajl_gen_bool (g->g, value));
}

static void
gen_key_uint (struct gen *g, const char *key, unsigned long long value)
{
  gen_key (g, key);
  gen_check (g, yajl_gen_integer (g->g, (long long)value));
}

static void
gen_map_open (struct gen *g)
{
  gen_check (g, yajl_gen_map_open (g->g));
}

static void
gen_map_close (struct gen *g)
{
  gen_check (g, yajl_gen_map_close (g->g));
}

static void
gen_array_open (struct gen *g)
{
  gen_check (g, yajl_gen_array_open (g->g));
}

static void
gen_array_close (struct gen *g)
{
  gen_check (g, yajl_gen_array_close (g->g));
}

/* "key": [ strings... ] from a NULL-terminated list. */
static void
gen_key_strv (struct gen *g, const char *key, const char *const *v)
{
  gen_key (g, key);
  gen_array_open (g);
  for (; *v; v++)
    gen_string (g, *v);
  gen_array_close (g);
}

static const char *const default_caps[] = {
  "CAP_AUDIT_WRITE",
  "CAP_KILL",
  "CAP_NET_BIND_SERVICE",
  NULL,
};
static const char *const no_caps[] = { NULL };

static const char *const default_env[] = {
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "TERM=xterm",
  NULL,
};

static const char *const masked_paths[] = {
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/sys/firmware",
  "/proc/scsi",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static void
gen_process (struct gen *g)
{
  static const char *const args[] = { "sh", NULL };

  gen_key (g, "process");
  gen_map_open (g);
  gen_key_bool (g, "terminal", true);
  gen_key (g, "user");
  gen_map_open (g);
  gen_key_uint (g, "uid", 0);
  gen_key_uint (g, "gid", 0);
  gen_map_close (g);
  gen_key_strv (g, "args", args);
  gen_key_strv (g, "env", default_env);
  gen_key_string (g, "cwd", "/");

  gen_key (g, "capabilities");
  gen_map_open (g);
  gen_key_strv (g, "bounding", default_caps);
  gen_key_strv (g, "effective", default_caps);
  gen_key_strv (g, "inheritable", no_caps);
  gen_key_strv (g, "permitted", default_caps);
  gen_key_strv (g, "ambient", default_caps);
  gen_map_close (g);

  gen_key (g, "rlimits");
  gen_array_open (g);
  gen_map_open (g);
  gen_key_string (g, "type", "RLIMIT_NOFILE");
  gen_key_uint (g, "hard", 1024);
  gen_key_uint (g, "soft", 1024);
  gen_map_close (g);
  gen_array_close (g);

  gen_key_bool (g, "noNewPrivileges", true);
  gen_map_close (g);
}

static void
gen_mount (struct gen *g, const char *destination, const char *type, const char *source,
           const char *const *options)
{
  gen_map_open (g);
  gen_key_string (g, "destination", destination);
  gen_key_string (g, "type", type);
  gen_key_string (g, "source", source);
  if (options)
    gen_key_strv (g, "options", options);
  gen_map_close (g);
}

static void
gen_mounts (struct gen *g, bool rootless)
{
  static const char *const dev_opts[]
      = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_opts[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  /* Rootless: the tty group (5) is not mapped in the user namespace. */
  static const char *const pts_opts_rootless[]
      = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm_opts[]
      = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue_opts[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_opts_rootless[]
      = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  gen_key (g, "mounts");
  gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", NULL);
  gen_mount (g, "/dev", "tmpfs", "tmpfs", dev_opts);
  gen_mount (g, "/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts);
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm_opts);
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue", mqueue_opts);
  if (rootless)
    gen_mount (g, "/sys", "none", "/sys", sys_opts_rootless);
  else
    gen_mount (g, "/sys", "sysfs", "sysfs", sys_opts);
  /* The cgroup mount is the same in both modes, as in crun's template. */
  gen_mount (g, "/sys/fs/cgroup", "cgroup", "cgroup", cgroup_opts);
  gen_array_close (g);
}

static void
gen_namespace (struct gen *g, const char *type)
{
  gen_map_open (g);
  gen_key_string (g, "type", type);
  gen_map_close (g);
}

static void
gen_id_mapping (struct gen *g, const char *key, unsigned long long host_id)
{
  gen_key (g, key);
  gen_array_open (g);
  gen_map_open (g);
  gen_key_uint (g, "containerID", 0);
  gen_key_uint (g, "hostID", host_id);
  gen_key_uint (g, "size", 1);
  gen_map_close (g);
  gen_array_close (g);
}

/* crun requests a cgroup namespace only on a cgroup v2 host. */
static bool
host_has_cgroup2 (void)
{
  struct statfs st;
  if (statfs ("/sys/fs/cgroup", &st) < 0)
    return false;
  return st.f_type == CGROUP2_SUPER_MAGIC;
}

static void
gen_linux (struct gen *g, bool rootless, uid_t uid, gid_t gid)
{
  gen_key (g, "linux");
  gen_map_open (g);

  if (rootless)
    {
      gen_id_mapping (g, "uidMappings", uid);
      gen_id_mapping (g, "gidMappings", gid);
    }

  gen_key (g, "resources");
  gen_map_open (g);
  gen_key (g, "devices");
  gen_array_open (g);
  gen_map_open (g);
  gen_key_bool (g, "allow", false);
  gen_key_string (g, "access", "rwm");
  gen_map_close (g);
  gen_array_close (g);
  gen_map_close (g);

  /* Same order as crun's template: pid, network, ipc, uts, user, cgroup,
   * mount. */
  gen_key (g, "namespaces");
  gen_array_open (g);
  gen_namespace (g, "pid");
  if (!rootless)
    gen_namespace (g, "network");
  gen_namespace (g, "ipc");
  gen_namespace (g, "uts");
  if (rootless)
    gen_namespace (g, "user");
  if (host_has_cgroup2 ())
    gen_namespace (g, "cgroup");
  gen_namespace (g, "mount");
  gen_array_close (g);

  gen_key_strv (g, "maskedPaths", masked_paths);
  gen_key_strv (g, "readonlyPaths", readonly_paths);
  gen_map_close (g);
}

int
libcrun_default_spec (bool rootless, uid_t uid, gid_t gid, char **json_out, libcrun_error_t *err)
{
  struct gen g = { NULL, yajl_gen_status_ok };
  const unsigned char *buf = NULL;
  size_t len = 0;
  char *out;

  g.g = yajl_gen_alloc (NULL);
  if (g.g == NULL)
    return libcrun_make_error (err, ENOMEM, "generate the default spec");
  /* Tabs, like the file crun writes. */
  yajl_gen_config (g.g, yajl_gen_beautify, 1);
  yajl_gen_config (g.g, yajl_gen_indent_string, "\t");

  gen_map_open (&g);
  gen_key_string (&g, "ociVersion", "1.0.0");
  gen_process (&g);
  gen_key (&g, "root");
  gen_map_open (&g);
  gen_key_string (&g, "path", "rootfs");
  gen_key_bool (&g, "readonly", true);
  gen_map_close (&g);
  gen_key_string (&g, "hostname", "crun");
  gen_mounts (&g, rootless);
  gen_linux (&g, rootless, uid, gid);
  gen_map_close (&g);

  if (g.status == yajl_gen_status_ok)
    g.status = yajl_gen_get_buf (g.g, &buf, &len);
  if (g.status != yajl_gen_status_ok)
    {
      int st = (int)g.status;
      yajl_gen_free (g.g);
      return libcrun_make_error (err, 0, "generate the default spec: yajl_gen error %d", st);
    }

  /* yajl's beautified output has no final newline; a text file should. */
  out = xmalloc (len + 2);
  memcpy (out, buf, len);
  if (len == 0 || out[len - 1] != '\n')
    out[len++] = '\n';
  out[len] = '\0';
  yajl_gen_free (g.g);
  *json_out = out;
  return 0;
}
