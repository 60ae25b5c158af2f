/* The systemd cgroup manager: what can be checked without systemd (unit
 * names from linux.cgroupsPath, the clear error when systemd is not PID 1),
 * and a real transient scope when systemd does run here. */
#include "tap.h"
#include "cgroup_systemd.h"
#include "cgroup_systemd_props.h"
#include "sd_bus_loader.h"
#include "utils.h"

#include <stdlib.h>
#include <string.h>

static void
check_names (const char *path, const char *want_slice, const char *want_unit)
{
  libcrun_error_t err = NULL;
  char *slice = NULL, *unit = NULL;
  int r = libcrun_systemd_unit_names (path, "c1", &slice, &unit, &err);
  tap_check (r == 0, "`%s`: %s", path ? path : "(null)", err ? err->msg : "");
  if (r == 0)
    {
      tap_check (strcmp (slice, want_slice) == 0, "`%s`: slice %s, want %s", path, slice,
                 want_slice);
      tap_check (strcmp (unit, want_unit) == 0, "`%s`: unit %s, want %s", path, unit, want_unit);
    }
  free (slice);
  free (unit);
  libcrun_error_release (&err);
}

static void
check_bad (const char *path, const char *fragment)
{
  libcrun_error_t err = NULL;
  char *slice = NULL, *unit = NULL;
  tap_check (libcrun_systemd_unit_names (path, "c1", &slice, &unit, &err) < 0, "`%s` accepted",
             path);
  tap_check (err && strstr (err->msg, fragment), "`%s`: message %s", path,
             err ? err->msg : "(none)");
  libcrun_error_release (&err);
}

static void
test_unit_names (void)
{
  check_names (NULL, "machine.slice", "crun-c1.scope");
  check_names ("", "machine.slice", "crun-c1.scope");
  check_names ("system.slice:libpod:abc", "system.slice", "libpod-abc.scope");
  check_names (":crun:abc", "machine.slice", "crun-abc.scope");
  check_names ("user.slice::abc", "user.slice", "abc.scope");
}

static void
test_bad_unit_names (void)
{
  check_bad ("/crun/c1", "expects `slice:prefix:name`");
  check_bad ("a:b", "expects `slice:prefix:name`");
  check_bad ("a.slice:b:c:d", "expects `slice:prefix:name`");
  check_bad ("system.slice:pre:", "invalid characters or empty name");
  check_bad ("system.slice:pre fix:x", "invalid characters");
  check_bad ("notaslice:pre:x", "is not a slice name");
}

static void
test_without_systemd (void)
{
  libcrun_error_t err = NULL;
  char *path = NULL;
  if (libcrun_systemd_booted ())
    tap_skip ("systemd is running here: the error path cannot be shown");
  tap_check (libcrun_systemd_enter ("machine.slice", "crun-x.scope", getpid (), NULL, &path, &err)
                 < 0,
             "enter without systemd succeeded");
  tap_check (err && strstr (err->msg, "systemd is not running"), "message: %s",
             err ? err->msg : "(none)");
  libcrun_error_release (&err);
  tap_check (libcrun_systemd_stop ("crun-x.scope", &err) < 0, "stop without systemd succeeded");
  libcrun_error_release (&err);
}

static yajl_val
parse (const char *json)
{
  char errbuf[128];
  yajl_val v = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  tap_require (v != NULL, "parse %s: %s", json, errbuf);
  return v;
}

static const struct libcrun_systemd_prop *
find_prop (const struct libcrun_systemd_props *props, const char *name)
{
  size_t i;
  for (i = 0; i < props->n; i++)
    if (strcmp (props->p[i].name, name) == 0)
      return &props->p[i];
  return NULL;
}

static void
check_u64 (const struct libcrun_systemd_props *props, const char *name, uint64_t want)
{
  const struct libcrun_systemd_prop *p = find_prop (props, name);
  tap_check (p && p->type == 't' && p->value == want, "%s = %llu, want %llu", name,
             p ? (unsigned long long)p->value : 0ULL, (unsigned long long)want);
}

/* linux.resources as unit properties: the translation crun and runc make. */
static void
test_resources_as_properties (void)
{
  libcrun_error_t err = NULL;
  struct libcrun_systemd_props props;
  const struct libcrun_systemd_prop *cpus;
  yajl_val r = parse ("{\"memory\": {\"limit\": 67108864, \"reservation\": 1048576, \"swap\": "
                      "100663296}, \"pids\": {\"limit\": -1}, \"cpu\": {\"shares\": 512, "
                      "\"quota\": 50000, \"period\": 200000, \"cpus\": \"0-2,9\", \"mems\": "
                      "\"0\"}}");
  tap_require (libcrun_systemd_props_from_resources (r, &props, &err) == 0, "translate: %s",
               err ? err->msg : "");
  check_u64 (&props, "MemoryMax", 67108864);
  check_u64 (&props, "MemoryLow", 1048576);
  check_u64 (&props, "MemorySwapMax", 100663296 - 67108864);
  check_u64 (&props, "TasksMax", UINT64_MAX);
  check_u64 (&props, "CPUWeight", 59); /* 1024 -> 100 */
  check_u64 (&props, "CPUQuotaPeriodUSec", 200000);
  check_u64 (&props, "CPUQuotaPerSecUSec", 250000);
  cpus = find_prop (&props, "AllowedCPUs");
  tap_check (cpus && cpus->type == 'y' && cpus->mask_len == 2 && cpus->mask[0] == 0x07
                 && cpus->mask[1] == 0x02,
             "AllowedCPUs 0-2,9: %zu bytes %02x %02x", cpus ? cpus->mask_len : 0,
             cpus ? cpus->mask[0] : 0, cpus ? cpus->mask[1] : 0);
  tap_check (find_prop (&props, "AllowedMemoryNodes") != NULL, "AllowedMemoryNodes");
  yajl_tree_free (r);

  /* unset values give no property; NULL resources none at all */
  r = parse ("{\"memory\": {\"limit\": 0}, \"cpu\": {\"shares\": 0, \"cpus\": \"\"}}");
  tap_check (libcrun_systemd_props_from_resources (r, &props, &err) == 0 && props.n == 0,
             "unset values: %zu properties", props.n);
  yajl_tree_free (r);
  tap_check (libcrun_systemd_props_from_resources (NULL, &props, &err) == 0 && props.n == 0,
             "no resources");

  /* a hostile quota: no property computed from an overflowed product */
  r = parse ("{\"cpu\": {\"quota\": 9223372036854775807, \"period\": 100000}}");
  tap_check (libcrun_systemd_props_from_resources (r, &props, &err) == 0
                 && find_prop (&props, "CPUQuotaPerSecUSec") == NULL,
             "huge quota: %zu properties", props.n);
  yajl_tree_free (r);

  r = parse ("{\"cpu\": {\"cpus\": \"1-x\"}}");
  tap_check (libcrun_systemd_props_from_resources (r, &props, &err) < 0, "bad cpu list accepted");
  tap_check (err && strstr (err->msg, "linux.resources.cpu.cpus") && strstr (err->msg, "1-x"),
             "message: %s", err ? err->msg : "(none)");
  libcrun_error_release (&err);
  yajl_tree_free (r);
}

/* the first line of a cgroup file of the scope (pure cgroup v2) */
static char *
scope_file (const char *path, const char *file)
{
  cleanup_free char *p = xasprintf ("/sys/fs/cgroup%s/%s", path, file);
  libcrun_error_t err = NULL;
  char *content = NULL;
  if (read_all_file (p, &content, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return xstrdup ("(missing)");
    }
  content[strcspn (content, "\n")] = '\0';
  return content;
}

static void
check_scope_file (const char *path, const char *file, const char *want)
{
  cleanup_free char *got = scope_file (path, file);
  tap_check (strcmp (got, want) == 0, "%s: %s, want %s", file, got, want);
}

static void
test_transient_scope (void)
{
  libcrun_error_t err = NULL;
  char *path = NULL, unit[64];
  yajl_val r, u;
  pid_t pid;
  if (!libcrun_systemd_booted ())
    tap_skip ("systemd is not PID 1 on this machine: no D-Bus manager to create a scope");
  pid = fork ();
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  r = parse ("{\"memory\": {\"limit\": 33554432}, \"pids\": {\"limit\": 33}}");
  u = parse ("{\"memory\": {\"limit\": 50331648}, \"pids\": {\"limit\": 44}}");
  snprintf (unit, sizeof (unit), "crun-test-%d.scope", (int)pid);
  tap_check (libcrun_systemd_enter ("machine.slice", unit, pid, r, &path, &err) == 0, "enter: %s",
             err ? err->msg : "");
  tap_check (path && strstr (path, unit), "cgroup %s", path ? path : "(none)");
  if (path && access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    {
      /* systemd wrote the properties to the scope's files */
      check_scope_file (path, "memory.max", "33554432");
      check_scope_file (path, "pids.max", "33");
      tap_check (libcrun_systemd_update (unit, u, &err) == 0, "update: %s", err ? err->msg : "");
      check_scope_file (path, "memory.max", "50331648");
      check_scope_file (path, "pids.max", "44");
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  libcrun_error_release (&err);
  tap_check (libcrun_systemd_stop (unit, &err) == 0, "stop: %s", err ? err->msg : "");
  libcrun_error_release (&err);
  yajl_tree_free (r);
  yajl_tree_free (u);
  free (path);
}

/* libsystemd is loaded on first use, not linked: the table is complete,
 * its functions work, and loading twice gives the same table. */
static void
test_sd_bus_loaded_on_demand (void)
{
  libcrun_error_t err = NULL;
  const struct libcrun_sd_bus *sd = libcrun_sd_bus_get (&err);
  sd_bus_error e = SD_BUS_ERROR_NULL;
  tap_require (sd != NULL, "load: %s", err ? err->msg : "?");
  tap_check (sd->open_system && sd->flush_close_unref && sd->message_new_method_call
                 && sd->message_append && sd->message_open_container && sd->message_close_container
                 && sd->message_append_array && sd->message_unref && sd->call && sd->call_method
                 && sd->error_is_set && sd->error_has_name && sd->error_free,
             "every function resolved");
  tap_check (!sd->error_is_set (&e), "a null error is not set");
  tap_check (libcrun_sd_bus_get (&err) == sd, "the same table on the second call");
}

int
main (void)
{
  TAP_RUN (test_unit_names);
  TAP_RUN (test_sd_bus_loaded_on_demand);
  TAP_RUN (test_bad_unit_names);
  TAP_RUN (test_without_systemd);
  TAP_RUN (test_resources_as_properties);
  TAP_RUN (test_transient_scope);
  return tap_done ();
}
