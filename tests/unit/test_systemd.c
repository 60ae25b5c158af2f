/* The systemd cgroup manager: what can be checked without systemd (unit
 * names from linux.cgroupsPath, the clear error when systemd is not PID 1),
 * and a real transient scope when systemd does run here. */
#include "tap.h"
#include "cgroup_systemd.h"
#include "sd_bus_loader.h"

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
  tap_check (libcrun_systemd_enter ("machine.slice", "crun-x.scope", getpid (), &path, &err) < 0,
             "enter without systemd succeeded");
  tap_check (err && strstr (err->msg, "systemd is not running"), "message: %s",
             err ? err->msg : "(none)");
  libcrun_error_release (&err);
  tap_check (libcrun_systemd_stop ("crun-x.scope", &err) < 0, "stop without systemd succeeded");
  libcrun_error_release (&err);
}

static void
test_transient_scope (void)
{
  libcrun_error_t err = NULL;
  char *path = NULL, unit[64];
  pid_t pid;
  if (!libcrun_systemd_booted ())
    tap_skip ("systemd is not PID 1 on this machine: no D-Bus manager to create a scope");
  pid = fork ();
  if (pid == 0)
    {
      pause ();
      _exit (0);
    }
  snprintf (unit, sizeof (unit), "crun-test-%d.scope", (int)pid);
  tap_check (libcrun_systemd_enter ("machine.slice", unit, pid, &path, &err) == 0, "enter: %s",
             err ? err->msg : "");
  tap_check (path && strstr (path, unit), "cgroup %s", path ? path : "(none)");
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  libcrun_error_release (&err);
  tap_check (libcrun_systemd_stop (unit, &err) == 0, "stop: %s", err ? err->msg : "");
  libcrun_error_release (&err);
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
                 && sd->message_unref && sd->call && sd->call_method && sd->error_is_set
                 && sd->error_has_name && sd->error_free,
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
  TAP_RUN (test_transient_scope);
  return tap_done ();
}
