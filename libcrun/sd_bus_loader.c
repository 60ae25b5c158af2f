#include "sd_bus_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

#define LIBSYSTEMD "libsystemd.so.0"

static struct libcrun_sd_bus table;
static const char *load_failure = "not loaded"; /* dlerror() text; NULL once loaded */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Each symbol by name into its slot of the table. */
static const struct
{
  const char *name;
  size_t offset;
} symbols[] = {
  { "sd_bus_open_system", offsetof (struct libcrun_sd_bus, open_system) },
  { "sd_bus_flush_close_unref", offsetof (struct libcrun_sd_bus, flush_close_unref) },
  { "sd_bus_message_new_method_call", offsetof (struct libcrun_sd_bus, message_new_method_call) },
  { "sd_bus_message_append", offsetof (struct libcrun_sd_bus, message_append) },
  { "sd_bus_message_open_container", offsetof (struct libcrun_sd_bus, message_open_container) },
  { "sd_bus_message_close_container", offsetof (struct libcrun_sd_bus, message_close_container) },
  { "sd_bus_message_append_array", offsetof (struct libcrun_sd_bus, message_append_array) },
  { "sd_bus_message_unref", offsetof (struct libcrun_sd_bus, message_unref) },
  { "sd_bus_call", offsetof (struct libcrun_sd_bus, call) },
  { "sd_bus_call_method", offsetof (struct libcrun_sd_bus, call_method) },
  { "sd_bus_error_is_set", offsetof (struct libcrun_sd_bus, error_is_set) },
  { "sd_bus_error_has_name", offsetof (struct libcrun_sd_bus, error_has_name) },
  { "sd_bus_error_free", offsetof (struct libcrun_sd_bus, error_free) },
};

static void
load (void)
{
  void *h = dlopen (LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);
  size_t i;

  if (h == NULL)
    {
      load_failure = dlerror ();
      return;
    }
  for (i = 0; i < sizeof (symbols) / sizeof (symbols[0]); i++)
    {
      void *f = dlsym (h, symbols[i].name);
      if (f == NULL)
        {
          load_failure = dlerror ();
          return;
        }
      /* A data pointer into a function pointer slot: what POSIX's dlsym
       * promises to work. */
      *(void **)((char *)&table + symbols[i].offset) = f;
    }
  load_failure = NULL;
}

const struct libcrun_sd_bus *
libcrun_sd_bus_get (libcrun_error_t *err)
{
  pthread_once (&once, load);
  if (load_failure)
    {
      libcrun_make_error (err, 0, "systemd cgroup manager: cannot load " LIBSYSTEMD ": %s",
                          load_failure);
      return NULL;
    }
  return &table;
}
