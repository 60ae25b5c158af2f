#include "hooks.h"
#include "json.h"
#include "log.h"
#include "spawn.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

int
libcrun_autoreap_mode_from_annotations (const struct oci_kv *annotations, size_t n,
                                        enum libcrun_autoreap_mode *mode, libcrun_error_t *err)
{
  const char *v = oci_kv_lookup (annotations, n, LIBCRUN_ANNOTATION_AUTOREAP);
  enum libcrun_spawn_rung rung;
  int b;

  *mode = LIBCRUN_AUTOREAP_OFF;
  if (v == NULL)
    return 0;
  b = parse_bool_word (v);
  if (b >= 0)
    {
      *mode = b ? LIBCRUN_AUTOREAP_ON : LIBCRUN_AUTOREAP_OFF;
    }
  else if (strcmp (v, "required") == 0)
    *mode = LIBCRUN_AUTOREAP_REQUIRED;
  else
    return libcrun_make_error (err, 0,
                               "annotation `%s`: invalid value `%s` (accepted: 1, true, 0, false, "
                               "required)",
                               LIBCRUN_ANNOTATION_AUTOREAP, v);

  if (*mode == LIBCRUN_AUTOREAP_OFF)
    return 0;
  rung = libcrun_spawn_best_rung ();
  libcrun_debug ("autoreap: `%s=%s`, the spawner uses rung %d (%s) on this kernel",
                 LIBCRUN_ANNOTATION_AUTOREAP, v, (int)rung, libcrun_spawn_rung_name (rung));
  if (*mode == LIBCRUN_AUTOREAP_REQUIRED && rung != LIBCRUN_RUNG_AUTOREAP)
    return libcrun_make_error (err, 0,
                               "annotation `%s=required`: this kernel does not support "
                               "CLONE_AUTOREAP (clone3 refuses the flag); the best available "
                               "spawner is `%s`",
                               LIBCRUN_ANNOTATION_AUTOREAP, libcrun_spawn_rung_name (rung));
  return 0;
}

static int
open_output (const struct oci_kv *a, size_t n, const char *key, int *fd, libcrun_error_t *err)
{
  const char *path = oci_kv_lookup (a, n, key);
  *fd = -1;
  if (path == NULL)
    return 0;
  *fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (*fd < 0)
    return libcrun_make_error (err, errno, "annotation `%s`: open `%s`", key, path);
  return 0;
}

int
libcrun_hook_options_open (const struct oci_kv *annotations, size_t n,
                           enum libcrun_autoreap_mode autoreap, struct libcrun_hook_options *o,
                           libcrun_error_t *err)
{
  o->autoreap = autoreap;
  o->stdout_fd = -1;
  o->stderr_fd = -1;
  if (open_output (annotations, n, LIBCRUN_ANNOTATION_HOOKS_STDOUT, &o->stdout_fd, err) < 0)
    return -1;
  if (open_output (annotations, n, LIBCRUN_ANNOTATION_HOOKS_STDERR, &o->stderr_fd, err) < 0)
    {
      libcrun_hook_options_close (o);
      return -1;
    }
  return 0;
}

void
libcrun_hook_options_close (struct libcrun_hook_options *o)
{
  if (o->stdout_fd >= 0)
    close (o->stdout_fd);
  if (o->stderr_fd >= 0)
    close (o->stderr_fd);
  o->stdout_fd = o->stderr_fd = -1;
}

/* How much of a failed hook's stderr its error carries. */
#define HOOK_STDERR_TAIL 1024

/* Where a hook's stderr goes when no run.oci.hooks.stderr file is given: a
 * memfd (a regular file: the hook can write any amount without blocking
 * and without SIGPIPE), so that a failure can say what the hook said, as
 * runc does; crun 1.8.1 drops it.  -1 (inherit ours) without memfds. */
static int
stderr_capture (void)
{
  return memfd_create ("crun-hook-stderr", MFD_CLOEXEC);
}

/* The last HOOK_STDERR_TAIL bytes of the capture, from a line start where
 * there is one, without the final newline; NULL when it is empty. */
static char *
stderr_tail (int fd)
{
  struct stat st;
  off_t from;
  ssize_t n;
  char *buf, *p;

  if (fd < 0 || fstat (fd, &st) < 0 || st.st_size == 0)
    return NULL;
  from = st.st_size > HOOK_STDERR_TAIL ? st.st_size - HOOK_STDERR_TAIL : 0;
  buf = xmalloc (HOOK_STDERR_TAIL + 1);
  n = pread (fd, buf, HOOK_STDERR_TAIL, from);
  if (n <= 0)
    {
      free (buf);
      return NULL;
    }
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  p = from > 0 ? strchr (buf, '\n') : NULL;
  if (p && p[1])
    memmove (buf, p + 1, strlen (p + 1) + 1);
  return buf;
}

/* Append the hook's stderr to a failure's message. */
static void
add_stderr (libcrun_error_t *err, int fd)
{
  cleanup_free char *tail = stderr_tail (fd);
  if (tail && *err)
    {
      char *msg = xasprintf ("%s; stderr: %s", (*err)->msg, tail);
      free ((*err)->msg);
      (*err)->msg = msg;
    }
}

static int
run_one_hook (const struct oci_hook *h, size_t index, enum oci_hook_stage stage,
              const char *state_json, const struct libcrun_hook_options *o, libcrun_error_t *err)
{
  const char *stage_name = oci_hook_stage_name (stage);
  struct libcrun_spawn_options so;
  struct libcrun_process p;
  struct libcrun_wait_result r;
  /* in long long: a timeout of INT_MAX seconds does not fit an int in ms */
  long long timeout_ms = h->has_timeout ? (long long)h->timeout * 1000 : -1;
  cleanup_close int capture = o->stderr_fd >= 0 ? -1 : stderr_capture ();
  int ret = 0;

  memset (&so, 0, sizeof (so));
  so.path = h->path;
  so.argv = h->args;
  so.envp = h->env;
  so.stdin_data = state_json;
  so.stdin_len = strlen (state_json);
  so.stdout_fd = o->stdout_fd;
  so.stderr_fd = o->stderr_fd >= 0 ? o->stderr_fd : capture;
  so.new_pgroup = true;
  so.autoreap = o->autoreap != LIBCRUN_AUTOREAP_OFF;

  if (libcrun_spawn (&so, &p, err) < 0)
    return libcrun_error_wrap (err, "%s hook #%zu `%s`", stage_name, index, h->path);
  libcrun_debug ("%s hook #%zu `%s`: pid %d, spawner `%s`%s%s", stage_name, index, h->path, p.pid,
                 libcrun_spawn_rung_name (p.rung), so.autoreap ? " (autoreap mode)" : "",
                 p.autokill ? ", autokill" : "");

  if (libcrun_process_wait (&p, timeout_ms, &r, err) < 0)
    {
      libcrun_process_release (&p);
      return libcrun_error_wrap (err, "%s hook #%zu `%s`", stage_name, index, h->path);
    }
  switch (r.kind)
    {
    case LIBCRUN_WAIT_TIMEOUT:
      /* The whole group: the hook's own children must not outlive it. */
      libcrun_process_kill (&p, SIGKILL, err);
      libcrun_error_release (err);
      ret = libcrun_make_error (err, ETIMEDOUT, "%s hook #%zu `%s`: timed out after %d s",
                                stage_name, index, h->path, h->timeout);
      break;
    case LIBCRUN_WAIT_SIGNALED:
      ret = libcrun_make_error (err, 0, "%s hook #%zu `%s`: killed by signal %d (%s)", stage_name,
                                index, h->path, r.code, strsignal (r.code));
      break;
    case LIBCRUN_WAIT_EXITED:
      if (r.code != 0)
        ret = libcrun_make_error (err, 0, "%s hook #%zu `%s`: exited with status %d", stage_name,
                                  index, h->path, r.code);
      else
        libcrun_debug ("%s hook #%zu `%s`: exited with status 0", stage_name, index, h->path);
      break;
    }
  libcrun_process_release (&p);
  if (ret < 0)
    add_stderr (err, capture);
  return ret;
}

int
libcrun_run_hooks (const struct oci_hook *hooks, size_t n, enum oci_hook_stage stage,
                   const char *state_json, const struct libcrun_hook_options *o,
                   libcrun_error_t *err)
{
  size_t i;
  for (i = 0; i < n; i++)
    if (run_one_hook (&hooks[i], i, stage, state_json, o, err) < 0)
      return -1;
  return 0;
}

void
libcrun_run_hooks_warn (const struct oci_hook *hooks, size_t n, enum oci_hook_stage stage,
                        const char *state_json, const struct libcrun_hook_options *o)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      libcrun_error_t err = NULL;
      if (run_one_hook (&hooks[i], i, stage, state_json, o, &err) < 0)
        {
          libcrun_warning ("%s", err->msg);
          libcrun_error_release (&err);
        }
    }
}

void
libcrun_state_gen (yajl_gen g, const char *id, const char *status, pid_t pid, const char *bundle,
                   const struct oci_kv *annotations, size_t n)
{
  size_t i;

  yajl_gen_map_open (g);
  json_string (g, "ociVersion");
  json_string (g, "1.2.0");
  json_string (g, "id");
  json_string (g, id);
  json_string (g, "status");
  json_string (g, status);
  if (pid > 0)
    {
      json_string (g, "pid");
      yajl_gen_integer (g, pid);
    }
  json_string (g, "bundle");
  json_string (g, bundle);
  json_string (g, "annotations");
  yajl_gen_map_open (g);
  for (i = 0; i < n; i++)
    {
      json_string (g, annotations[i].key);
      json_string (g, annotations[i].value);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

char *
libcrun_hook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                         const struct oci_kv *annotations, size_t n)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  libcrun_state_gen (g, id, status, pid, bundle, annotations, n);
  return json_gen_finish (g);
}
