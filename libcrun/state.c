#include "state.h"
#include "syscalls.h"
#include "json.h"
#include "log.h"
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define STATUS_FILE "status"
#define EXEC_FIFO "exec.fifo"

int
libcrun_validate_id (const char *id, libcrun_error_t *err)
{
  const char *p;
  if (id == NULL || *id == '\0')
    return libcrun_make_error (err, 0, "container id must not be empty");
  if (strlen (id) > 1024)
    return libcrun_make_error (err, 0, "container id `%.32s...` is longer than 1024 bytes", id);
  /* crun's rule: anything that names one directory under the state root.
   * A leading `.` is refused (crun 1.8.1 fails on it too, later, and the
   * listing skips such names), and so are control characters (crun takes
   * them; a newline in an id would break `list` and every log line). */
  if (id[0] == '.')
    return libcrun_make_error (err, 0, "invalid container id `%s`: it must not start with `.`", id);
  for (p = id; *p; p++)
    {
      if (*p == '/')
        return libcrun_make_error (err, 0, "invalid container id `%s`: it must not contain `/`",
                                   id);
      if ((unsigned char)*p < 0x20 || *p == 0x7f)
        return libcrun_make_error (err, 0,
                                   "invalid container id: it must not contain control "
                                   "characters (byte 0x%02x)",
                                   (unsigned char)*p);
    }
  return 0;
}

static int
lock_dirfd (int fd, const char *id, libcrun_error_t *err)
{
  while (flock (fd, LOCK_EX) < 0)
    {
      /* A kernel built without CONFIG_FILE_LOCKING (tiny configs) has no
       * flock: commands are then not serialized, which is all we lose. */
      if (errno == ENOSYS)
        {
          libcrun_debug ("no file locking in this kernel: container `%s` is not locked", id);
          return 0;
        }
      if (errno != EINTR)
        return libcrun_make_error (err, errno, "lock the state of container `%s`", id);
    }
  return 0;
}

void
libcrun_state_unlock (int dirfd)
{
  if (dirfd >= 0)
    flock (dirfd, LOCK_UN);
}

/* Where a rootless runtime may not write the state root, what to do about
 * it ("" for root). */
static const char *
rootless_hint (void)
{
  return libcrun_is_rootless () ? " (not root: set XDG_RUNTIME_DIR or give --root)" : "";
}

int
libcrun_state_create_dir (const char *root, const char *id, libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  cleanup_close int fd = -1;

  if (libcrun_validate_id (id, err) < 0)
    return -1;
  if (mkdir_p (root, 0700, err) < 0)
    return libcrun_error_wrap (err, "create the state root%s", rootless_hint ());
  dir = xasprintf ("%s/%s", root, id);
  if (mkdir (dir, 0700) < 0)
    {
      int e = errno;
      if (e == EEXIST)
        return libcrun_make_error (err, 0, "container `%s` already exists", id);
      return libcrun_make_error (err, e, "mkdir `%s`%s", dir, e == EACCES ? rootless_hint () : "");
    }
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open `%s`", dir);
  if (lock_dirfd (fd, id, err) < 0)
    return -1;
  return steal_fd (&fd);
}

int
libcrun_state_open_unlocked (const char *root, const char *id, libcrun_error_t *err)
{
  cleanup_free char *dir = NULL;
  int fd;

  if (libcrun_validate_id (id, err) < 0)
    return -1;
  dir = xasprintf ("%s/%s", root, id);
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return libcrun_make_error (err, 0, "container `%s` does not exist", id);
      return libcrun_make_error (err, errno, "open `%s`", dir);
    }
  return fd;
}

bool
libcrun_state_lock_busy (int dirfd)
{
  /* Another open of the directory: a lock test on our own descriptor
   * would succeed against a lock we hold ourselves. */
  cleanup_close int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_SH | LOCK_NB) == 0)
    return false;
  return errno == EWOULDBLOCK;
}

int
libcrun_state_open (const char *root, const char *id, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;

  fd = libcrun_state_open_unlocked (root, id, err);
  if (fd < 0)
    return -1;
  if (lock_dirfd (fd, id, err) < 0)
    return -1;
  /* A concurrent delete may have removed the directory while we waited for
   * the lock: a removed directory has no links left.  (An empty one is a
   * create that died right after mkdir, and still a container.) */
  if (fstat (fd, &st) == 0 && st.st_nlink == 0)
    return libcrun_make_error (err, 0, "container `%s` does not exist", id);
  return steal_fd (&fd);
}

static void
gen_annotations (yajl_gen g, const struct oci_kv *kv, size_t n)
{
  size_t i;
  json_string (g, "annotations");
  yajl_gen_map_open (g);
  for (i = 0; i < n; i++)
    json_kv_string (g, kv[i].key, kv[i].value);
  yajl_gen_map_close (g);
}

int
libcrun_state_write (int dirfd, const struct libcrun_state *st, libcrun_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *json = NULL;

  yajl_gen_map_open (g);
  json_kv_string (g, "id", st->id);
  json_string (g, "pid");
  yajl_gen_integer (g, st->pid);
  json_string (g, "start_time");
  yajl_gen_integer (g, (long long)st->start_time);
  json_kv_string (g, "bundle", st->bundle);
  json_kv_string (g, "rootfs", st->rootfs);
  json_kv_string (g, "created", st->created);
  json_kv_string (g, "owner", st->owner);
  json_string (g, "detached");
  yajl_gen_bool (g, st->detached);
  json_string (g, "autoreap");
  yajl_gen_integer (g, st->autoreap);
  if (st->cgroup_path)
    json_kv_string (g, "cgroup_path", st->cgroup_path);
  if (st->systemd_unit)
    json_kv_string (g, "systemd_unit", st->systemd_unit);
  if (st->cgroup_planned && st->cgroup_path == NULL)
    json_kv_string (g, "cgroup_planned", st->cgroup_planned);
  if (st->external_descriptors)
    json_kv_string (g, "external_descriptors", st->external_descriptors);
  gen_annotations (g, st->annotations, st->n_annotations);
  yajl_gen_map_close (g);
  json = json_gen_finish (g);

  if (write_file_atomic_at (dirfd, STATUS_FILE, json, strlen (json), err) < 0)
    return libcrun_error_wrap (err, "write the state of container `%s`", st->id);
  return 0;
}

static char *
tree_string (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_integer (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
libcrun_state_read (int dirfd, const char *id, struct libcrun_state *st, libcrun_error_t *err)
{
  cleanup_close int fd = openat (dirfd, STATUS_FILE, O_RDONLY | O_CLOEXEC);
  cleanup_free char *json = NULL;
  char errbuf[256];
  const char *ann_path[] = { "annotations", NULL };
  const char *det_path[] = { "detached", NULL };
  yajl_val root, ann, det;
  size_t i;

  memset (st, 0, sizeof (*st));
  if (fd < 0 && errno == ENOENT)
    {
      /* A create that died before its first write: nothing but the
       * directory (and what the lock guarded) exists. */
      st->id = xstrdup (id);
      return 0;
    }
  if (fd < 0)
    return libcrun_make_error (err, errno, "read the state of container `%s`", id);
  if (read_all_fd (fd, STATUS_FILE, &json, NULL, err) < 0)
    return libcrun_error_wrap (err, "read the state of container `%s`", id);
  if (json_too_deep (json, &(size_t){ 0 }))
    return libcrun_make_error (
        err, 0, "the state of container `%s` is corrupt: nested deeper than %d levels", id,
        JSON_MAX_DEPTH);
  root = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (root == NULL)
    return libcrun_make_error (err, 0, "the state of container `%s` is corrupt: %s", id, errbuf);

  st->id = xstrdup (id);
  st->pid = (pid_t)tree_integer (root, "pid");
  st->start_time = (unsigned long long)tree_integer (root, "start_time");
  st->bundle = tree_string (root, "bundle");
  st->rootfs = tree_string (root, "rootfs");
  st->created = tree_string (root, "created");
  st->owner = tree_string (root, "owner");
  st->autoreap = (int)tree_integer (root, "autoreap");
  st->cgroup_path = tree_string (root, "cgroup_path");
  st->systemd_unit = tree_string (root, "systemd_unit");
  st->cgroup_planned = tree_string (root, "cgroup_planned");
  st->external_descriptors = tree_string (root, "external_descriptors");
  det = yajl_tree_get (root, det_path, yajl_t_any);
  st->detached = det && YAJL_IS_TRUE (det);
  ann = yajl_tree_get (root, ann_path, yajl_t_object);
  if (ann)
    {
      st->n_annotations = YAJL_GET_OBJECT (ann)->len;
      st->annotations = xmalloc0 ((st->n_annotations + 1) * sizeof (struct oci_kv));
      for (i = 0; i < st->n_annotations; i++)
        {
          yajl_val v = YAJL_GET_OBJECT (ann)->values[i];
          st->annotations[i].key = xstrdup (YAJL_GET_OBJECT (ann)->keys[i]);
          st->annotations[i].value = xstrdup (YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : "");
        }
    }
  yajl_tree_free (root);
  return 0;
}

void
libcrun_state_free (struct libcrun_state *st)
{
  size_t i;
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_path);
  free (st->systemd_unit);
  free (st->cgroup_planned);
  free (st->external_descriptors);
  for (i = 0; i < st->n_annotations; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  memset (st, 0, sizeof (*st));
}

int
libcrun_state_read_config (int dirfd, const char *id, char **json, char **origin,
                           libcrun_error_t *err)
{
  cleanup_close int fd = openat (dirfd, "config.json", O_RDONLY | O_CLOEXEC);

  *json = NULL;
  *origin = xasprintf ("config.json of container `%s`", id);
  if (fd < 0)
    return libcrun_make_error (err, errno, "open the %s", *origin);
  return read_all_fd (fd, *origin, json, NULL, err);
}

int
libcrun_state_load_config (int dirfd, const char *id, struct oci_config **out, libcrun_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_free char *origin = NULL;
  if (libcrun_state_read_config (dirfd, id, &json, &origin, err) < 0)
    return -1;
  return libcrun_config_load_string (json, origin, out, err);
}

int
libcrun_state_remove (const char *root, const char *id, libcrun_error_t *err)
{
  cleanup_free char *dir = xasprintf ("%s/%s", root, id);
  return remove_tree (dir, err);
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
libcrun_state_list (const char *root, char ***ids, libcrun_error_t *err)
{
  DIR *d = opendir (root);
  struct dirent *de;
  size_t n = 0;
  char **v = xmalloc0 (sizeof (char *));

  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = v;
          return 0;
        }
      free (v);
      return libcrun_make_error (err, errno, "opendir `%s`", root);
    }
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (de->d_name);
      v[n] = NULL;
    }
  closedir (d);
  qsort (v, n, sizeof (char *), compare_strings);
  *ids = v;
  return 0;
}

unsigned long long
libcrun_process_start_time (pid_t pid)
{
  char path[64];
  cleanup_free char *buf = NULL;
  char *p;
  int field;
  libcrun_error_t err = NULL;

  if (pid <= 0)
    return 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", pid);
  if (read_all_file (path, &buf, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return 0;
    }
  /* The command name (field 2) may contain spaces and parentheses: count
   * fields from the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p++;
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p + 1, ' ');
    }
  return p ? strtoull (p + 1, NULL, 10) : 0;
}

const char *
libcrun_state_status (int dirfd, const struct libcrun_state *st, bool *alive)
{
  unsigned long long start = libcrun_process_start_time (st->pid);
  bool is_alive = start != 0 && start == st->start_time;
  char path[64];
  cleanup_free char *buf = NULL;
  libcrun_error_t err = NULL;

  if (alive)
    *alive = is_alive;
  if (!is_alive)
    return "stopped";

  /* A zombie init has exited: report it stopped like crun does. */
  snprintf (path, sizeof (path), "/proc/%d/stat", st->pid);
  if (read_all_file (path, &buf, NULL, &err) == 0)
    {
      char *p = strrchr (buf, ')');
      if (p && (p[2] == 'Z' || p[2] == 'X'))
        {
          if (alive)
            *alive = false;
          return "stopped";
        }
    }
  libcrun_error_release (&err);

  if (faccessat (dirfd, EXEC_FIFO, F_OK, 0) == 0)
    return "created";
  if (faccessat (dirfd, "paused", F_OK, 0) == 0)
    return "paused";
  return "running";
}

int
libcrun_state_to_json (const struct libcrun_state *st, const char *status, bool pretty, char **json,
                       libcrun_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  (void)err;

  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  yajl_gen_map_open (g);
  json_kv_string (g, "ociVersion", "1.0.0");
  json_kv_string (g, "id", st->id);
  json_string (g, "pid");
  yajl_gen_integer (g, strcmp (status, "stopped") == 0 ? 0 : st->pid);
  json_kv_string (g, "status", status);
  json_kv_string (g, "bundle", st->bundle);
  json_kv_string (g, "rootfs", st->rootfs);
  json_kv_string (g, "created", st->created);
  json_kv_string (g, "systemd-scope", st->systemd_unit); /* as crun prints it */
  json_kv_string (g, "owner", st->owner);
  gen_annotations (g, st->annotations, st->n_annotations);
  yajl_gen_map_close (g);
  *json = json_gen_finish (g);
  return 0;
}

int
libcrun_state_init_pidfd (const struct libcrun_state *st, libcrun_error_t *err)
{
  cleanup_close int pidfd = sys_pidfd_open (st->pid, 0);
  if (pidfd < 0 && errno != ENOSYS)
    {
      if (errno == ESRCH)
        return libcrun_make_error (err, ESRCH, "container `%s` is not running", st->id);
      return libcrun_make_error (err, errno, "pidfd_open %d", st->pid);
    }
  if (libcrun_process_start_time (st->pid) != st->start_time)
    return libcrun_make_error (err, ESRCH, "container `%s` is not running", st->id);
  return steal_fd (&pidfd);
}

char *
libcrun_external_descriptors (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  int fd;

  yajl_gen_array_open (g);
  for (fd = 0; fd < 3; fd++)
    {
      char link[64], target[PATH_MAX];
      ssize_t n;
      snprintf (link, sizeof (link), "/proc/self/fd/%d", fd);
      n = readlink (link, target, sizeof (target) - 1);
      target[n > 0 ? n : 0] = '\0';
      json_string (g, target);
    }
  yajl_gen_array_close (g);
  return json_gen_finish (g);
}
