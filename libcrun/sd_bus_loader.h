/* libsystemd's sd-bus, loaded when the systemd cgroup manager is first
 * used rather than linked: libsystemd and the five libraries it pulls in
 * cost every `crun` command about half a millisecond of dynamic loading,
 * and most commands never talk to systemd.  The functions keep their
 * sd-bus types and meaning (<systemd/sd-bus.h>). */
#ifndef LIBCRUN_SD_BUS_LOADER_H
#define LIBCRUN_SD_BUS_LOADER_H

#include <systemd/sd-bus.h>
#include "error.h"

struct libcrun_sd_bus
{
  int (*open_system) (sd_bus **bus);
  sd_bus *(*flush_close_unref) (sd_bus *bus);
  int (*message_new_method_call) (sd_bus *bus, sd_bus_message **m, const char *destination,
                                  const char *path, const char *interface, const char *member);
  int (*message_append) (sd_bus_message *m, const char *types, ...);
  int (*message_open_container) (sd_bus_message *m, char type, const char *contents);
  int (*message_close_container) (sd_bus_message *m);
  int (*message_append_array) (sd_bus_message *m, char type, const void *ptr, size_t size);
  sd_bus_message *(*message_unref) (sd_bus_message *m);
  int (*call) (sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error,
               sd_bus_message **reply);
  int (*call_method) (sd_bus *bus, const char *destination, const char *path, const char *interface,
                      const char *member, sd_bus_error *ret_error, sd_bus_message **reply,
                      const char *types, ...);
  int (*error_is_set) (const sd_bus_error *e);
  int (*error_has_name) (const sd_bus_error *e, const char *name);
  void (*error_free) (sd_bus_error *e);
};

/* The table, loaded on the first call (thread-safe); NULL with an error
 * naming the library when it cannot be loaded. */
const struct libcrun_sd_bus *libcrun_sd_bus_get (libcrun_error_t *err);

#endif
