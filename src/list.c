/* crun list [-q] [--format table|json] */
#include "crun.h"

#include <argp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

struct list_args
{
  bool quiet;
  bool json;
};

static const struct argp_option options[] = {
  { "quiet", 'q', NULL, 0, "show only the container ids", 0 },
  { "format", 'f', "FORMAT", 0, "table (default) or json", 0 },
  { NULL, 0, NULL, 0, NULL, 0 },
};

static error_t
parse_opt (int key, char *arg, struct argp_state *state)
{
  struct list_args *a = state->input;
  switch (key)
    {
    case 'q':
      a->quiet = true;
      return 0;
    case 'f':
      a->json = crun_parse_format (arg, state);
      return 0;
    case ARGP_KEY_ARG:
      argp_error (state, "too many arguments");
      return 0;
    default:
      return ARGP_ERR_UNKNOWN;
    }
}

static const char *
or_empty (const char *s)
{
  return s ? s : "";
}

/* A stopped container shows no pid: the one in its state is stale. */
static int
shown_pid (const struct libcrun_state *st, const char *status)
{
  return strcmp (status, "stopped") == 0 ? 0 : st->pid;
}

/* The JSON array the entries go in, indented as `crun list -f json`. */
static yajl_gen
open_json_list (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_array_open (g);
  return g;
}

static void
print_json_list (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  printf ("%.*s\n", (int)len, buf);
  yajl_gen_free (g);
}

static void
print_table_header (void)
{
  printf ("%-20s %-10s %-10s %-40s %-30s %s\n", "NAME", "PID", "STATUS", "BUNDLE PATH", "CREATED",
          "OWNER");
}

/* One broken entry never fails the listing, nor is it hidden: a
 * container whose state cannot be read (corrupt) is shown stopped,
 * with what is known, so that it can be seen and deleted.  Only one
 * deleted in the meantime is left out: returns false for it. */
static bool
read_entry (const char *id, struct libcrun_state *st, const char **status)
{
  libcrun_error_t err = NULL;
  cleanup_free char *dir = NULL;

  if (libcrun_container_read_state (crun_options.root, id, st, status, &err) >= 0)
    return true;
  dir = xasprintf ("%s/%s", crun_options.root, id);
  libcrun_error_release (&err);
  if (access (dir, F_OK) < 0)
    return false;
  memset (st, 0, sizeof (*st));
  st->id = xstrdup (id);
  *status = "stopped";
  return true;
}

static void
gen_json_entry (yajl_gen g, const struct libcrun_state *st, const char *status)
{
  yajl_gen_map_open (g);
  crun_json_kv (g, "id", st->id);
  yajl_gen_string (g, (const unsigned char *)"pid", 3);
  yajl_gen_integer (g, shown_pid (st, status));
  crun_json_kv (g, "status", status);
  crun_json_kv (g, "bundle", st->bundle);
  crun_json_kv (g, "created", st->created);
  crun_json_kv (g, "owner", st->owner);
  yajl_gen_map_close (g);
}

static void
print_table_row (const struct libcrun_state *st, const char *status)
{
  printf ("%-20s %-10d %-10s %-40s %-30s %s\n", st->id, shown_pid (st, status), status,
          or_empty (st->bundle), or_empty (st->created), or_empty (st->owner));
}

/* Show the container `id` as the options ask (g: the JSON list, or NULL). */
static void
list_entry (const struct list_args *a, yajl_gen g, const char *id)
{
  struct libcrun_state st;
  const char *status;

  if (!read_entry (id, &st, &status))
    return;
  if (a->quiet)
    printf ("%s\n", id);
  else if (a->json)
    gen_json_entry (g, &st, status);
  else
    print_table_row (&st, status);
  libcrun_state_free (&st);
}

int
crun_command_list (int argc, char **argv)
{
  struct argp argp
      = { options, parse_opt, NULL, "crun list - list known containers", NULL, NULL, NULL };
  struct list_args a = { false, false };
  libcrun_error_t err = NULL;
  char **ids = NULL;
  size_t i;
  yajl_gen g = NULL;

  crun_argp_parse (&argp, argc, argv, &a);
  if (libcrun_state_list (crun_options.root, &ids, &err) < 0)
    return crun_fail (&err);

  if (a.json)
    g = open_json_list ();
  else if (!a.quiet)
    print_table_header ();
  for (i = 0; ids[i]; i++)
    list_entry (&a, g, ids[i]);
  strv_free (ids);
  if (g)
    print_json_list (g);
  return 0;
}
