/* crun update [OPTION...] CONTAINER: change the resources of a container,
 * from --resources (a linux.resources JSON object, "-" for stdin) and/or
 * the individual options, which override the file's values. */
#include "crun.h"

#include <argp.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

enum
{
  OPT_BLKIO_WEIGHT = 6000,
  OPT_CPU_PERIOD,
  OPT_CPU_QUOTA,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPU_SHARE,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_MEMORY,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_PIDS_LIMIT,
};

/* Each option: its key, the linux.resources object and field it sets, and
 * whether the value is a string (cpuset) or a number. */
struct field
{
  int key;
  const char *name;
  const char *section;
  const char *field;
  bool is_string;
};

static const struct field fields[] = {
  { OPT_BLKIO_WEIGHT, "blkio-weight", "blockIO", "weight", false },
  { OPT_CPU_PERIOD, "cpu-period", "cpu", "period", false },
  { OPT_CPU_QUOTA, "cpu-quota", "cpu", "quota", false },
  { OPT_CPU_RT_PERIOD, "cpu-rt-period", "cpu", "realtimePeriod", false },
  { OPT_CPU_RT_RUNTIME, "cpu-rt-runtime", "cpu", "realtimeRuntime", false },
  { OPT_CPU_SHARE, "cpu-share", "cpu", "shares", false },
  { OPT_CPUSET_CPUS, "cpuset-cpus", "cpu", "cpus", true },
  { OPT_CPUSET_MEMS, "cpuset-mems", "cpu", "mems", true },
  { OPT_MEMORY, "memory", "memory", "limit", false },
  { OPT_MEMORY_RESERVATION, "memory-reservation", "memory", "reservation", false },
  { OPT_MEMORY_SWAP, "memory-swap", "memory", "swap", false },
  { OPT_KERNEL_MEMORY, "kernel-memory", "memory", "kernel", false },
  { OPT_KERNEL_MEMORY_TCP, "kernel-memory-tcp", "memory", "kernelTCP", false },
  { OPT_PIDS_LIMIT, "pids-limit", "pids", "limit", false },
};
#define N_FIELDS (sizeof (fields) / sizeof (fields[0]))

static const struct argp_option options[] = {
  { "resources", 'r', "FILE", 0, "linux.resources JSON object (\"-\": stdin)", 0 },
  { "blkio-weight", OPT_BLKIO_WEIGHT, "N", 0, "block IO weight", 0 },
  { "cpu-period", OPT_CPU_PERIOD, "N", 0, "CPU CFS period (us)", 0 },
  { "cpu-quota", OPT_CPU_QUOTA, "N", 0, "CPU CFS quota (us)", 0 },
  { "cpu-rt-period", OPT_CPU_RT_PERIOD, "N", 0, "CPU realtime period (us)", 0 },
  { "cpu-rt-runtime", OPT_CPU_RT_RUNTIME, "N", 0, "CPU realtime runtime (us)", 0 },
  { "cpu-share", OPT_CPU_SHARE, "N", 0, "CPU shares", 0 },
  { "cpuset-cpus", OPT_CPUSET_CPUS, "LIST", 0, "CPUs allowed", 0 },
  { "cpuset-mems", OPT_CPUSET_MEMS, "LIST", 0, "memory nodes allowed", 0 },
  { "memory", OPT_MEMORY, "BYTES", 0, "memory limit (k, m, g suffixes)", 0 },
  { "memory-reservation", OPT_MEMORY_RESERVATION, "BYTES", 0, "memory soft limit", 0 },
  { "memory-swap", OPT_MEMORY_SWAP, "BYTES", 0, "memory + swap limit (-1: unlimited)", 0 },
  { "kernel-memory", OPT_KERNEL_MEMORY, "BYTES", 0, "kernel memory limit (deprecated: ignored)",
    0 },
  { "kernel-memory-tcp", OPT_KERNEL_MEMORY_TCP, "BYTES", 0,
    "kernel memory limit for TCP buffers (cgroup v1)", 0 },
  { "pids-limit", OPT_PIDS_LIMIT, "N", 0, "maximum number of processes", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

struct update_args
{
  const char *id;
  const char *resources;
  const char *values[N_FIELDS];
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct update_args *a = state->input;
  size_t i;
  if (key == 'r')
    {
      a->resources = arg;
      return 0;
    }
  for (i = 0; i < N_FIELDS; i++)
    if (fields[i].key == key)
      {
        a->values[i] = arg;
        return 0;
      }
  return crun_parse_id_argument (&a->id, key, arg, state);
}

/* "64m" -> 67108864; plain numbers, -1, and k/m/g (powers of 1024). */
static int
parse_size (const char *s, long long *out)
{
  char *end;
  long long v;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s)
    return -1;
  switch (tolower ((unsigned char)*end))
    {
    case '\0':
      break;
    case 'k':
      v *= 1024LL;
      end++;
      break;
    case 'm':
      v *= 1024LL * 1024;
      end++;
      break;
    case 'g':
      v *= 1024LL * 1024 * 1024;
      end++;
      break;
    default:
      return -1;
    }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end)
    return -1;
  *out = v;
  return 0;
}

/* v as it is in the file: any JSON value, nested ones included
 * (blockIO.throttleReadBpsDevice is an array of objects). */
static void
gen_value (yajl_gen g, yajl_val v)
{
  size_t i;
  if (YAJL_IS_STRING (v))
    crun_json_string (g, YAJL_GET_STRING (v));
  else if (YAJL_IS_NUMBER (v))
    yajl_gen_number (g, YAJL_GET_NUMBER (v), strlen (YAJL_GET_NUMBER (v)));
  else if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    yajl_gen_bool (g, YAJL_IS_TRUE (v));
  else if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (i = 0; i < YAJL_GET_OBJECT (v)->len; i++)
        {
          crun_json_string (g, YAJL_GET_OBJECT (v)->keys[i]);
          gen_value (g, YAJL_GET_OBJECT (v)->values[i]);
        }
      yajl_gen_map_close (g);
    }
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (i = 0; i < YAJL_GET_ARRAY (v)->len; i++)
        gen_value (g, YAJL_GET_ARRAY (v)->values[i]);
      yajl_gen_array_close (g);
    }
  else
    yajl_gen_null (g);
}

/* Emit one section: the file's fields not overridden, then the options'. */
static int
gen_section (yajl_gen g, const char *section, yajl_val file, const struct update_args *a)
{
  const char *path[] = { section, NULL };
  yajl_val obj = file ? yajl_tree_get (file, path, yajl_t_object) : NULL;
  bool any = obj != NULL;
  size_t i, k;

  for (i = 0; i < N_FIELDS; i++)
    if (a->values[i] && strcmp (fields[i].section, section) == 0)
      any = true;
  if (!any)
    return 0;
  crun_json_string (g, section);
  yajl_gen_map_open (g);
  for (k = 0; obj && k < YAJL_GET_OBJECT (obj)->len; k++)
    {
      const char *key = YAJL_GET_OBJECT (obj)->keys[k];
      yajl_val v = YAJL_GET_OBJECT (obj)->values[k];
      bool overridden = false;
      for (i = 0; i < N_FIELDS; i++)
        if (a->values[i] && strcmp (fields[i].section, section) == 0
            && strcmp (fields[i].field, key) == 0)
          overridden = true;
      if (overridden)
        continue;
      crun_json_string (g, key);
      gen_value (g, v);
    }
  for (i = 0; i < N_FIELDS; i++)
    {
      long long v;
      if (!a->values[i] || strcmp (fields[i].section, section) != 0)
        continue;
      crun_json_string (g, fields[i].field);
      if (fields[i].is_string)
        crun_json_string (g, a->values[i]);
      else if (parse_size (a->values[i], &v) == 0)
        yajl_gen_integer (g, v);
      else
        {
          fprintf (stderr, "crun: option `--%s`: invalid value `%s`\n", fields[i].name,
                   a->values[i]);
          return -1;
        }
    }
  yajl_gen_map_close (g);
  return 0;
}

/* The sections the options set fields of (gen_section). */
static const char *const sections[] = { "memory", "cpu", "pids", "blockIO" };
#define N_SECTIONS (sizeof (sections) / sizeof (sections[0]))

static bool
is_option_section (const char *key)
{
  bool handled = false;
  size_t k;
  for (k = 0; k < N_SECTIONS; k++)
    handled |= strcmp (key, sections[k]) == 0;
  return handled;
}

/* --resources: read the file (or stdin) into `json` and parse it into
 * `file`, which must be a JSON object. */
static int
load_resources_file (const char *resources, char **json, yajl_val *file, libcrun_error_t *err)
{
  char errbuf[256];
  int r = strcmp (resources, "-") == 0 ? read_all_fd (0, "stdin", json, NULL, err)
                                       : read_all_file (resources, json, NULL, err);
  if (r < 0)
    return r;
  *file = yajl_tree_parse (*json, errbuf, sizeof (errbuf));
  if (*file == NULL || !YAJL_IS_OBJECT (*file))
    {
      libcrun_make_error (err, 0, "option `--resources`: `%s` is not a JSON object %s", resources,
                          *file ? "" : errbuf);
      if (*file)
        yajl_tree_free (*file);
      *file = NULL;
      return -1;
    }
  return 0;
}

/* The linux.resources object the container is updated with, from the file
 * and the options; returns -1 after reporting an invalid option value. */
static int
gen_resources (yajl_gen g, yajl_val file, const struct update_args *a)
{
  size_t i;

  yajl_gen_map_open (g);
  /* Sections the options do not touch pass through from the file as is
   * (hugepageLimits, devices, unified...: crun applies the whole file). */
  for (i = 0; file && i < YAJL_GET_OBJECT (file)->len; i++)
    {
      const char *key = YAJL_GET_OBJECT (file)->keys[i];
      if (!is_option_section (key))
        {
          crun_json_string (g, key);
          gen_value (g, YAJL_GET_OBJECT (file)->values[i]);
        }
    }
  for (i = 0; i < N_SECTIONS; i++)
    if (gen_section (g, sections[i], file, a) < 0)
      return -1;
  yajl_gen_map_close (g);
  return 0;
}

/* Apply the JSON generated in g to the container `id`; returns the exit code. */
static int
update_container (yajl_gen g, const char *id)
{
  libcrun_error_t err = NULL;
  const unsigned char *buf;
  size_t len;
  cleanup_free char *json = NULL;

  yajl_gen_get_buf (g, &buf, &len);
  json = xmalloc (len + 1);
  memcpy (json, buf, len);
  json[len] = '\0';
  if (libcrun_container_update (crun_options.root, id, json, &err) < 0)
    return crun_fail (&err);
  return 0;
}

int
crun_command_update (int argc, char **argv)
{
  struct argp argp = { options,     parse_opt,
                       "CONTAINER", "crun update - update the resource limits of a container",
                       NULL,        NULL,
                       NULL };
  struct update_args a;
  libcrun_error_t err = NULL;
  cleanup_free char *file_json = NULL;
  yajl_val file = NULL;
  yajl_gen g;
  int ret;

  memset (&a, 0, sizeof (a));
  crun_argp_parse (&argp, argc, argv, &a);
  if (a.resources && load_resources_file (a.resources, &file_json, &file, &err) < 0)
    return crun_fail (&err);

  g = yajl_gen_alloc (NULL);
  if (gen_resources (g, file, &a) < 0)
    ret = 1;
  else
    ret = update_container (g, a.id);
  yajl_gen_free (g);
  if (file)
    yajl_tree_free (file);
  return ret;
}
