#include "cgroup_systemd.h"
#include "cgroup_systemd_props.h"
#include "sd_bus_loader.h"
#include "utils.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"

bool
libcrun_systemd_booted (void)
{
  return access ("/run/systemd/system", F_OK) == 0;
}

/* Unit name characters systemd accepts without escaping. */
static bool
valid_unit_part (const char *s)
{
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
          || strchr ("-_.:@\\", *s)))
      return false;
  return true;
}

int
libcrun_systemd_unit_names (const char *cgroups_path, const char *id, char **slice, char **unit,
                            libcrun_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *prefix, *name;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      *slice = xstrdup ("machine.slice");
      *unit = xasprintf ("crun-%s.scope", id);
      return 0;
    }
  copy = xstrdup (cgroups_path);
  prefix = strchr (copy, ':');
  name = prefix ? strchr (prefix + 1, ':') : NULL;
  if (prefix == NULL || name == NULL || strchr (name + 1, ':') != NULL)
    return libcrun_make_error (err, 0,
                               "`linux.cgroupsPath` `%s`: the systemd cgroup manager expects "
                               "`slice:prefix:name`",
                               cgroups_path);
  *prefix++ = '\0';
  *name++ = '\0';
  if (*name == '\0' || !valid_unit_part (copy) || !valid_unit_part (prefix)
      || !valid_unit_part (name))
    return libcrun_make_error (err, 0,
                               "`linux.cgroupsPath` `%s`: invalid characters or empty name for a "
                               "systemd unit",
                               cgroups_path);
  if (*copy && strlen (copy) > 6 && strcmp (copy + strlen (copy) - 6, ".slice") != 0)
    return libcrun_make_error (err, 0, "`linux.cgroupsPath` `%s`: `%s` is not a slice name",
                               cgroups_path, copy);
  *slice = xstrdup (*copy ? copy : "machine.slice");
  *unit = *prefix ? xasprintf ("%s-%s.scope", prefix, name) : xasprintf ("%s.scope", name);
  return 0;
}

static int
bus_error (const struct libcrun_sd_bus *sd, libcrun_error_t *err, int r, sd_bus_error *e,
           const char *what)
{
  int ret = libcrun_make_error (err, -r, "systemd: %s%s%s", what, sd->error_is_set (e) ? ": " : "",
                                sd->error_is_set (e) ? e->message : "");
  sd->error_free (e);
  return ret;
}

/* The cgroup of pid if it lies in unit (the v2 "0::" line, else the
 * name=systemd one); NULL if not (yet). */
static char *
cgroup_of_in_unit (pid_t pid, const char *unit)
{
  char path[64];
  cleanup_free char *buf = NULL;
  libcrun_error_t err = NULL;
  char *line, *save = NULL, *found = NULL;

  snprintf (path, sizeof (path), "/proc/%d/cgroup", pid);
  if (read_all_file (path, &buf, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return NULL;
    }
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *p = strrchr (line, ':');
      const char *base;
      if (p == NULL)
        continue;
      p++;
      base = strrchr (p, '/');
      if (base == NULL || strcmp (base + 1, unit) != 0)
        continue;
      if (strncmp (line, "0::", 3) == 0 || strstr (line, ":name=systemd:") != NULL)
        {
          free (found);
          found = xstrdup (p);
          if (strncmp (line, "0::", 3) == 0)
            break;
        }
    }
  return found;
}

static int
append_prop (const struct libcrun_sd_bus *sd, sd_bus_message *m,
             const struct libcrun_systemd_prop *p)
{
  int r;
  if (p->type == 't')
    return sd->message_append (m, "(sv)", p->name, "t", p->value);
  r = sd->message_open_container (m, 'r', "sv");
  if (r >= 0)
    r = sd->message_append (m, "s", p->name);
  if (r >= 0)
    r = sd->message_open_container (m, 'v', "ay");
  if (r >= 0)
    r = sd->message_append_array (m, 'y', p->mask, p->mask_len);
  if (r >= 0)
    r = sd->message_close_container (m);
  if (r >= 0)
    r = sd->message_close_container (m);
  return r;
}

/* The resources' properties, into an open "a(sv)". */
static int
append_resources (const struct libcrun_sd_bus *sd, sd_bus_message *m,
                  const struct libcrun_systemd_props *props)
{
  size_t i;
  int r = 0;
  for (i = 0; r >= 0 && i < props->n; i++)
    r = append_prop (sd, m, &props->p[i]);
  return r;
}

/* Connect to the system bus, where systemd runs. */
static const struct libcrun_sd_bus *
connect_systemd (sd_bus **bus, libcrun_error_t *err)
{
  const struct libcrun_sd_bus *sd;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r;

  if (!libcrun_systemd_booted ())
    {
      libcrun_make_error (err, 0, "systemd cgroup manager: systemd is not running");
      return NULL;
    }
  sd = libcrun_sd_bus_get (err);
  if (sd == NULL)
    return NULL;
  r = sd->open_system (bus);
  if (r < 0)
    {
      bus_error (sd, err, r, &e, "connect to the system bus");
      return NULL;
    }
  return sd;
}

/* Send m (a method call of the manager), free it, close the bus. */
static int
call_and_close (const struct libcrun_sd_bus *sd, sd_bus *bus, sd_bus_message *m, int r,
                const char *what, libcrun_error_t *err)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  if (r >= 0)
    r = sd->call (bus, m, 0, &e, &reply);
  sd->message_unref (m);
  sd->message_unref (reply);
  sd->flush_close_unref (bus);
  if (r < 0)
    return bus_error (sd, err, r, &e, what);
  return 0;
}

static int
start_scope (const char *slice, const char *unit, pid_t pid,
             const struct libcrun_systemd_props *props, libcrun_error_t *err)
{
  sd_bus *bus = NULL;
  sd_bus_message *m = NULL;
  const struct libcrun_sd_bus *sd = connect_systemd (&bus, err);
  int r;

  if (sd == NULL)
    return -1;
  r = sd->message_new_method_call (bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "StartTransientUnit");
  if (r >= 0)
    r = sd->message_append (m, "ss", unit, "fail");
  if (r >= 0)
    r = sd->message_open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = sd->message_append (m, "(sv)(sv)(sv)(sv)", "Description", "s", "crun container", "Slice",
                            "s", slice, "Delegate", "b", 1, "PIDs", "au", 1, (uint32_t)pid);
  if (r >= 0)
    r = append_resources (sd, m, props);
  if (r >= 0)
    r = sd->message_close_container (m);
  if (r >= 0)
    r = sd->message_append (m, "a(sa(sv))", 0);
  return call_and_close (sd, bus, m, r, "StartTransientUnit", err);
}

int
libcrun_systemd_enter (const char *slice, const char *unit, pid_t pid, yajl_val resources,
                       char **cgroup_path, libcrun_error_t *err)
{
  struct timespec ts = { 0, 10 * 1000 * 1000 };
  struct libcrun_systemd_props props;
  int i;

  if (libcrun_systemd_props_from_resources (resources, &props, err) < 0
      || start_scope (slice, unit, pid, &props, err) < 0)
    return -1;

  /* The job runs asynchronously: the move is done when /proc says so. */
  for (i = 0; i < 500; i++)
    {
      char *p = cgroup_of_in_unit (pid, unit);
      if (p)
        {
          *cgroup_path = p;
          return 0;
        }
      nanosleep (&ts, NULL);
    }
  return libcrun_make_error (err, ETIMEDOUT, "systemd: process %d did not appear in `%s`", pid,
                             unit);
}

int
libcrun_systemd_update (const char *unit, yajl_val resources, libcrun_error_t *err)
{
  struct libcrun_systemd_props props;
  sd_bus *bus = NULL;
  sd_bus_message *m = NULL;
  const struct libcrun_sd_bus *sd;
  int r;

  if (libcrun_systemd_props_from_resources (resources, &props, err) < 0)
    return -1;
  if (props.n == 0)
    return 0;
  sd = connect_systemd (&bus, err);
  if (sd == NULL)
    return -1;
  r = sd->message_new_method_call (bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                   "SetUnitProperties");
  if (r >= 0)
    r = sd->message_append (m, "sb", unit, 1);
  if (r >= 0)
    r = sd->message_open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = append_resources (sd, m, &props);
  if (r >= 0)
    r = sd->message_close_container (m);
  return call_and_close (sd, bus, m, r, "SetUnitProperties", err);
}

int
libcrun_systemd_stop (const char *unit, libcrun_error_t *err)
{
  sd_bus *bus = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  const struct libcrun_sd_bus *sd = connect_systemd (&bus, err);
  int r;

  if (sd == NULL)
    return -1;
  r = sd->call_method (bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "StopUnit", &e, &reply,
                       "ss", unit, "replace");
  sd->message_unref (reply);
  sd->flush_close_unref (bus);
  if (r < 0 && sd->error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      sd->error_free (&e);
      return 0;
    }
  if (r < 0)
    return bus_error (sd, err, r, &e, "StopUnit");
  return 0;
}
