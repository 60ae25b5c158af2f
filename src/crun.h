/* The crun command-line front end: global options and one entry point per
 * command (one file each under src/). */
#ifndef CRUN_H
#define CRUN_H

#include <argp.h>
#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include "libcrun.h"

/* The library's helpers (helpers.h) under the short names the library
 * uses inside. */
#define xmalloc libcrun_xmalloc
#define xmalloc0 libcrun_xmalloc0
#define xstrdup libcrun_xstrdup
#define xasprintf libcrun_xasprintf
#define strv_free libcrun_strv_free
#define strv_append libcrun_strv_append
#define read_all_file libcrun_read_all_file
#define read_all_fd libcrun_read_all_fd
#define write_all libcrun_write_all
#define parse_long libcrun_parse_long
#define cleanup_free __attribute__ ((cleanup (libcrun_cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (libcrun_cleanup_closep)))
#define cleanup_strv __attribute__ ((cleanup (libcrun_cleanup_strvp)))

/* A JSON string, and "key": "value" (NULL written as ""), into g. */
static inline void
crun_json_string (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

static inline void
crun_json_kv (yajl_gen g, const char *key, const char *value)
{
  crun_json_string (g, key);
  crun_json_string (g, value ? value : "");
}

struct crun_global_options
{
  const char *root; /* --root, default /run/crun */
  const char *log;  /* --log PATH (the file: prefix stripped) */
  bool log_json;    /* --log-format=json */
  int log_level;    /* enum libcrun_log_level */
  bool debug;
  const char *cgroup_manager; /* cgroupfs | disabled | systemd */
};

extern struct crun_global_options crun_options;

/* Each command gets argv starting at its own name and returns the process
 * exit code (crun's: 0 success, 1 failure; `run` the container's status). */
/* argp_parse for a command's arguments (argv[0] is the command's name):
 * usage lines read as crun's, `Usage: crun [OPTION...] start CONTAINER`. */
void crun_argp_parse (const struct argp *argp, int argc, char **argv, void *input);

/* Call fn for every container whose id matches regex (delete/kill
 * --regex, src/matching.c); failures are reported as they come.  Returns
 * the exit code: 0, or crun_fail's for the last failure. */
int crun_for_each_matching (const char *regex,
                            int (*fn) (const char *id, void *arg, libcrun_error_t *err), void *arg);

int crun_command_spec (int argc, char **argv);
int crun_command_create (int argc, char **argv);
int crun_command_start (int argc, char **argv);
int crun_command_run (int argc, char **argv);
int crun_command_state (int argc, char **argv);
int crun_command_kill (int argc, char **argv);
int crun_command_delete (int argc, char **argv);
int crun_command_list (int argc, char **argv);
int crun_command_features (int argc, char **argv);
int crun_command_exec (int argc, char **argv);
int crun_command_ps (int argc, char **argv);
int crun_command_pause (int argc, char **argv);
int crun_command_resume (int argc, char **argv);
int crun_command_update (int argc, char **argv);
int crun_command_mounts (int argc, char **argv);

/* Wait in the foreground for the process of h (signals forwarded, terminal
 * proxied); returns its exit code, 128+N when killed by signal N. */
int crun_foreground_wait (struct libcrun_container_handle *h);

/* Report an error the way crun does (stderr, or the --log file), release it
 * and return the exit code 1. */
int crun_fail (libcrun_error_t *err);

/* CVE-2019-5736 where the dumpable mark is not enough (see crun.c): when the
 * container of config_path may hold CAP_SYS_PTRACE in the host's user
 * namespace (or extra_caps, exec --cap, give it), re-execute from a sealed
 * memfd copy of the binary.  Exits on failure; call before anything is
 * created. */
/* Re-execute from a sealed copy of the binary when a process of the
 * container could otherwise reach it (see src/crun.c).  ptrace_mark: for
 * exec, a file in the container's state directory that records that a
 * process with CAP_SYS_PTRACE was exec'd into it. */
void crun_protect_binary_for (const char *config_path, const char *process_file, char **extra_caps,
                              const char *ptrace_mark);
int crun_run_from_sealed_copy (libcrun_error_t *err);

/* Parse a non-negative integer option; exits with a usage error naming the
 * option otherwise. */
int crun_parse_count (const char *option, const char *value);

/* The CONTAINER argument of commands that take exactly one id: handles
 * ARGP_KEY_ARG and ARGP_KEY_NO_ARGS, ARGP_ERR_UNKNOWN for anything else. */
int crun_parse_id_argument (const char **id, int key, char *arg, struct argp_state *state);

/* --format for list and ps: true for json, false for table; anything else
 * is a usage error naming the option. */
bool crun_parse_format (const char *arg, struct argp_state *state);

/* Options shared by create and run. */
struct crun_create_args
{
  struct libcrun_create_options o;
  const char *id;
};
extern const struct argp_option crun_create_argp_options[];
int crun_parse_create_option (struct crun_create_args *a, int key, char *arg);
void crun_create_args_finish (struct crun_create_args *a);

#endif
