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
    {
      g = yajl_gen_alloc (NULL);
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
      yajl_gen_array_open (g);
    }
  else if (!a.quiet)
    printf ("%-20s %-10s %-10s %-40s %-30s %s\n", "NAME", "PID", "STATUS", "BUNDLE PATH", "CREATED",
            "OWNER");

  for (i = 0; ids[i]; i++)
    {
      struct libcrun_state st;
      const char *status;
      /* One broken entry never fails the listing, nor is it hidden: a
       * container whose state cannot be read (corrupt) is shown stopped,
       * with what is known, so that it can be seen and deleted.  Only one
       * deleted in the meantime is left out. */
      if (libcrun_container_read_state (crun_options.root, ids[i], &st, &status, &err) < 0)
        {
          cleanup_free char *dir = xasprintf ("%s/%s", crun_options.root, ids[i]);
          libcrun_error_release (&err);
          if (access (dir, F_OK) < 0)
            continue;
          memset (&st, 0, sizeof (st));
          st.id = xstrdup (ids[i]);
          status = "stopped";
        }
      if (a.quiet)
        printf ("%s\n", ids[i]);
      else if (a.json)
        {
          yajl_gen_map_open (g);
          crun_json_kv (g, "id", st.id);
          yajl_gen_string (g, (const unsigned char *)"pid", 3);
          yajl_gen_integer (g, strcmp (status, "stopped") == 0 ? 0 : st.pid);
          crun_json_kv (g, "status", status);
          crun_json_kv (g, "bundle", st.bundle);
          crun_json_kv (g, "created", st.created);
          crun_json_kv (g, "owner", st.owner);
          yajl_gen_map_close (g);
        }
      else
        printf ("%-20s %-10d %-10s %-40s %-30s %s\n", st.id,
                strcmp (status, "stopped") == 0 ? 0 : st.pid, status, or_empty (st.bundle),
                or_empty (st.created), or_empty (st.owner));
      libcrun_state_free (&st);
    }
  strv_free (ids);

  if (g)
    {
      const unsigned char *buf;
      size_t len;
      yajl_gen_array_close (g);
      yajl_gen_get_buf (g, &buf, &len);
      printf ("%.*s\n", (int)len, buf);
      yajl_gen_free (g);
    }
  return 0;
}
