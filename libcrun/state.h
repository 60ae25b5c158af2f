/* Container state on disk.
 *
 * Each container has a directory <root>/<id> (root defaults to /run/crun):
 *   status       JSON written by the runtime: pid, process start time,
 *                bundle, rootfs, creation time, annotations, settings
 *   config.json  the config the container was created from (for delete's
 *                poststop hooks and for exec)
 *   exec.fifo    exists while the container is "created": `start` writes
 *                one byte into it to release the init's execve
 * The directory itself is the lock: commands on one container take flock()
 * on it, so concurrent commands are serialized. */
#ifndef LIBCRUN_STATE_H
#define LIBCRUN_STATE_H

#include <stdbool.h>
#include <sys/types.h>
#include "config.h"
#include "error.h"

#define LIBCRUN_DEFAULT_STATE_ROOT "/run/crun"

struct libcrun_state
{
  char *id;
  pid_t pid;
  unsigned long long start_time; /* /proc/PID/stat field 22: detects pid reuse */
  char *bundle;
  char *rootfs;
  char *created; /* RFC 3339 */
  char *owner;
  bool detached;
  int autoreap;         /* enum libcrun_autoreap_mode value (hooks.h) */
  char *cgroup_path;    /* the container's cgroup, NULL with no cgroup manager */
  char *cgroup_planned; /* the cgroup a create was about to make, until cgroup_path */
  /* What fds 0-2 of the creating runtime were (readlink of /proc/self/fd),
   * as a JSON array in a string, as crun and runc keep it for tools that
   * restore a container's stdio. */
  char *external_descriptors;
  char *systemd_unit; /* its scope unit with the systemd manager, else NULL */
  struct oci_kv *annotations;
  size_t n_annotations;
};

/* Ids (crun's rule): non-empty, at most 1024 bytes, no `/`, no control
 * characters, not starting with `.`. */
LIBCRUN_PUBLIC int libcrun_validate_id (const char *id, libcrun_error_t *err);

/* Create <root>/<id> (and root); EEXIST becomes "container `id` already
 * exists".  Returns an O_DIRECTORY fd, locked. */
LIBCRUN_PUBLIC int libcrun_state_create_dir (const char *root, const char *id,
                                             libcrun_error_t *err);

/* Open and lock <root>/<id>; ENOENT becomes "container `id` does not exist".
 * Returns an O_DIRECTORY fd that holds the lock until closed. */
LIBCRUN_PUBLIC int libcrun_state_open (const char *root, const char *id, libcrun_error_t *err);

/* Open <root>/<id> without locking it, for readers of the status file
 * (replaced whole, never written in place). */
LIBCRUN_PUBLIC int libcrun_state_open_unlocked (const char *root, const char *id,
                                                libcrun_error_t *err);

/* Does a command hold the lock of this directory right now?  (A state
 * that names no init is "creating" while its create runs, else a create
 * that died: "stopped".) */
LIBCRUN_PUBLIC bool libcrun_state_lock_busy (int dirfd);

/* Drop the lock of a dirfd from the two calls above.  A flock belongs to the
 * open file description, which a child keeps until it closes its copy or
 * execs: the container's init holds one until `start` (longer when its
 * seccomp profile refuses close), so the commands that fork into a
 * container unlock before they return instead of relying on close. */
LIBCRUN_PUBLIC void libcrun_state_unlock (int dirfd);

LIBCRUN_PUBLIC int libcrun_state_write (int dirfd, const struct libcrun_state *st,
                                        libcrun_error_t *err);
LIBCRUN_PUBLIC int libcrun_state_read (int dirfd, const char *id, struct libcrun_state *st,
                                       libcrun_error_t *err);
LIBCRUN_PUBLIC void libcrun_state_free (struct libcrun_state *st);

/* The config.json the container was created from (its copy in the state
 * directory). */
/* The text of the state's config.json and the name errors give it. */
LIBCRUN_PUBLIC int libcrun_state_read_config (int dirfd, const char *id, char **json, char **origin,
                                              libcrun_error_t *err);
LIBCRUN_PUBLIC int libcrun_state_load_config (int dirfd, const char *id, struct oci_config **out,
                                              libcrun_error_t *err);

/* Remove <root>/<id> and everything in it. */
LIBCRUN_PUBLIC int libcrun_state_remove (const char *root, const char *id, libcrun_error_t *err);

/* Ids of all containers under root, sorted; *ids is a NULL-terminated vector
 * (empty when root does not exist). */
LIBCRUN_PUBLIC int libcrun_state_list (const char *root, char ***ids, libcrun_error_t *err);

/* "created", "running", "paused" or "stopped", from the process and the
 * fifo; *alive tells whether the init still exists (same pid, same start). */
LIBCRUN_PUBLIC const char *libcrun_state_status (int dirfd, const struct libcrun_state *st,
                                                 bool *alive);

/* A pidfd of the container's init, opened and then checked against the
 * recorded start time (a recycled pid is never taken for it).  -1 with
 * *err set when it is not running; -1 with *err NULL on a kernel without
 * pidfds, after the same check on the pid. */
LIBCRUN_PUBLIC int libcrun_state_init_pidfd (const struct libcrun_state *st, libcrun_error_t *err);

/* The external_descriptors value for a container created now. */
LIBCRUN_PUBLIC char *libcrun_external_descriptors (void);

/* Start time of a process (field 22 of /proc/PID/stat); 0 if gone. */
LIBCRUN_PUBLIC unsigned long long libcrun_process_start_time (pid_t pid);

/* The OCI state JSON: ociVersion, id, status, pid, bundle, annotations
 * (+ rootfs, created, owner as crun prints them when pretty). */
LIBCRUN_PUBLIC int libcrun_state_to_json (const struct libcrun_state *st, const char *status,
                                          bool pretty, char **json, libcrun_error_t *err);

/* Is this process rootless: not root, or root only inside a user
 * namespace that does not map the whole id range (rootless podman runs the
 * runtime as uid 0 of its own user namespace)? */
LIBCRUN_PUBLIC bool libcrun_is_rootless (void);

#endif
