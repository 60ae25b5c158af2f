/* OCI hooks (runtime spec, config.md "POSIX-platform Hooks") and the
 * run.oci.autoreap annotation that decides how they are spawned.
 *
 * Every hook goes through the spawner (spawn.h) in its own process group,
 * with the state JSON on stdin, its args and env (the runtime's environment
 * when the hook has none), and its timeout as the poll timeout on the pidfd.
 * A hook past its timeout is killed with its whole process group, and the
 * runtime returns at the timeout even if the hook's children still hold its
 * stdout open. */
#ifndef LIBCRUN_HOOKS_H
#define LIBCRUN_HOOKS_H

#include <stdbool.h>
#include "config.h"
#include "error.h"
#include <sys/types.h>
#include <yajl/yajl_gen.h>

#define LIBCRUN_ANNOTATION_AUTOREAP "run.oci.autoreap"
#define LIBCRUN_ANNOTATION_HOOKS_STDOUT "run.oci.hooks.stdout"
#define LIBCRUN_ANNOTATION_HOOKS_STDERR "run.oci.hooks.stderr"

enum libcrun_autoreap_mode
{
  LIBCRUN_AUTOREAP_OFF = 0,
  LIBCRUN_AUTOREAP_ON = 1,       /* "1"/"true": best rung this kernel gives */
  LIBCRUN_AUTOREAP_REQUIRED = 2, /* "required": fail without CLONE_AUTOREAP */
};

/* Read run.oci.autoreap from the annotations.  Any value but 1, true, 0,
 * false and required is an error naming the annotation and the accepted
 * values; "required" on a kernel without CLONE_AUTOREAP is an error too. */
int libcrun_autoreap_mode_from_annotations (const struct oci_kv *annotations, size_t n,
                                            enum libcrun_autoreap_mode *mode, libcrun_error_t *err);

struct libcrun_hook_options
{
  enum libcrun_autoreap_mode autoreap;
  int stdout_fd; /* -1: the runtime's own stdout */
  int stderr_fd;
};

/* Open the files named by run.oci.hooks.stdout/stderr (append mode) into o,
 * -1 when absent. */
int libcrun_hook_options_open (const struct oci_kv *annotations, size_t n,
                               enum libcrun_autoreap_mode autoreap, struct libcrun_hook_options *o,
                               libcrun_error_t *err);
void libcrun_hook_options_close (struct libcrun_hook_options *o);

/* Run the hooks of one stage in order; the first failure stops the stage
 * and is returned as an error naming the stage, the hook's index and path,
 * and its exit code, signal or timeout. */
int libcrun_run_hooks (const struct oci_hook *hooks, size_t n, enum oci_hook_stage stage,
                       const char *state_json, const struct libcrun_hook_options *o,
                       libcrun_error_t *err);

/* The state JSON given to hooks: ociVersion, id, status, pid (when > 0),
 * bundle, annotations. */
/* poststart and poststop: the runtime spec wants a failing hook logged as a
 * warning, the remaining hooks run and the lifecycle go on as if it had
 * succeeded. */
void libcrun_run_hooks_warn (const struct oci_hook *hooks, size_t n, enum oci_hook_stage stage,
                             const char *state_json, const struct libcrun_hook_options *o);

/* The state object of the runtime spec (ociVersion, id, status, pid when
 * > 0, bundle, annotations) into `g`. */
void libcrun_state_gen (yajl_gen g, const char *id, const char *status, pid_t pid,
                        const char *bundle, const struct oci_kv *annotations, size_t n);
char *libcrun_hook_state_json (const char *id, const char *status, pid_t pid, const char *bundle,
                               const struct oci_kv *annotations, size_t n);

#endif
