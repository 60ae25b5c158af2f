/* The OCI runtime configuration (config.json, runtime spec 1.2, Linux part)
 * as typed C structures, and its parser.
 *
 * The parser (config.c and the config_*.c files beside it) reads JSON with
 * yajl, checks every field's type and reports the first problem with the
 * JSON path of the field and, for syntax errors, the line and column:
 * "config.json: `process.user.uid`: expected a non-negative integer".
 * Unknown fields are ignored, as the spec allows.
 *
 * Conventions: string lists are NULL-terminated vectors (NULL when absent);
 * arrays of structs carry an n_ count; optional scalars carry a has_ flag.
 * Everything is owned by the struct and released by libcrun_config_free(). */
#ifndef LIBCRUN_CONFIG_H
#define LIBCRUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>
#include "error.h"

struct oci_kv
{
  char *key;
  char *value;
};

struct oci_user
{
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
  char *username;
};

struct oci_rlimit
{
  char *type;   /* "RLIMIT_NOFILE" as written */
  int resource; /* RLIMIT_NOFILE; the parser rejects unknown names */
  uint64_t hard;
  uint64_t soft;
};

struct oci_capabilities
{
  char **bounding;
  char **effective;
  char **inheritable;
  char **permitted;
  char **ambient;
};

/* process.scheduler (sched_setattr) */
struct oci_scheduler
{
  unsigned int policy; /* SCHED_OTHER ... SCHED_DEADLINE */
  int nice;
  unsigned int priority;
  uint64_t flags; /* SCHED_FLAG_* */
  uint64_t runtime, deadline, period;
};

/* process.ioPriority (ioprio_set) */
struct oci_io_priority
{
  int ioclass; /* IOPRIO_CLASS_RT 1, BE 2, IDLE 3 */
  int priority;
};

/* linux.memoryPolicy (set_mempolicy); nodes as the kernel's bitmap of
 * 1024 nodes, with room for the kernel's off-by-one maxnode */
#define OCI_MAX_NUMA_NODES 1024
struct oci_memory_policy
{
  int mode;           /* MPOL_DEFAULT ... MPOL_WEIGHTED_INTERLEAVE */
  unsigned int flags; /* MPOL_F_* */
  unsigned long nodes[OCI_MAX_NUMA_NODES / (8 * sizeof (unsigned long)) + 1];
  bool has_nodes;
};

struct oci_process
{
  bool terminal;
  bool has_console_size;
  unsigned int console_height;
  unsigned int console_width;
  struct oci_user user;
  char **args; /* at least one element (checked by the parser) */
  char **env;
  char *cwd;                             /* absolute (checked) */
  struct oci_capabilities *capabilities; /* NULL when absent */
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
  bool keep_original_groups;           /* annotation run.oci.keep_original_groups */
  struct oci_scheduler *scheduler;     /* NULL when absent */
  struct oci_io_priority *io_priority; /* NULL when absent */
};

struct oci_id_mapping;

struct oci_mount
{
  char *destination; /* absolute (checked) */
  char *type;        /* may be NULL: bind mounts */
  char *source;
  char **options;
  /* runtime spec 1.1: the mappings of an idmapped bind mount */
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

struct oci_hook
{
  char *path;
  char **args;
  char **env;
  bool has_timeout;
  int timeout; /* seconds, > 0 (checked) */
};

enum oci_hook_stage
{
  OCI_HOOK_PRESTART = 0,
  OCI_HOOK_CREATE_RUNTIME,
  OCI_HOOK_CREATE_CONTAINER,
  OCI_HOOK_START_CONTAINER,
  OCI_HOOK_POSTSTART,
  OCI_HOOK_POSTSTOP,
  OCI_HOOK_STAGES
};

/* "prestart", "createRuntime", ... as in config.json. */
LIBCRUN_PUBLIC const char *oci_hook_stage_name (enum oci_hook_stage stage);

struct oci_namespace
{
  int type;   /* CLONE_NEWPID, CLONE_NEWNS, ... */
  char *path; /* NULL: create a new one */
};

struct oci_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct oci_device
{
  char *path;
  char type; /* 'c', 'b', 'u' or 'p' */
  int64_t major;
  int64_t minor;
  bool has_file_mode;
  mode_t file_mode;
  bool has_uid;
  uid_t uid;
  bool has_gid;
  gid_t gid;
};

struct oci_seccomp_arg
{
  unsigned int index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ", ... */
};

struct oci_seccomp_syscall
{
  char **names;
  char *action; /* "SCMP_ACT_ERRNO", ... */
  bool has_errno_ret;
  unsigned int errno_ret;
  struct oci_seccomp_arg *args;
  size_t n_args;
};

struct oci_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  unsigned int default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64", ... */
  char **flags;         /* "SECCOMP_FILTER_FLAG_LOG", ... */
  char *listener_path;
  char *listener_metadata;
  bool fail_unknown_syscall; /* annotation run.oci.seccomp_fail_unknown_syscall */
  struct oci_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct oci_time_offset
{
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

struct oci_linux
{
  struct oci_memory_policy *memory_policy; /* NULL when absent */
  struct oci_namespace *namespaces;
  size_t n_namespaces;
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct oci_device *devices;
  size_t n_devices;
  char *cgroups_path;
  yajl_val resources; /* raw subtree of linux.resources, or NULL (cgroup manager) */
  struct oci_kv *sysctl;
  size_t n_sysctl;
  struct oci_seccomp *seccomp; /* NULL when absent */
  char *rootfs_propagation;    /* "private", "rprivate", "slave", ... or NULL */
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  struct oci_time_offset time_monotonic;
  struct oci_time_offset time_boottime;
  bool has_personality;      /* linux.personality */
  unsigned long personality; /* its domain: PER_LINUX or PER_LINUX32 */
};

struct oci_config
{
  char *oci_version;
  struct oci_process *process; /* NULL when absent */
  char *root_path;             /* as written; may be relative to the bundle */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct oci_mount *mounts;
  size_t n_mounts;
  struct oci_hook *hooks[OCI_HOOK_STAGES];
  size_t n_hooks[OCI_HOOK_STAGES];
  struct oci_kv *annotations;
  size_t n_annotations;
  struct oci_linux *linux_cfg; /* NULL when absent */

  yajl_val tree; /* the parsed document, kept for linux.resources */
};

/* Parse config.json.  `origin` names the document in error messages (usually
 * the file path). */
LIBCRUN_PUBLIC int libcrun_config_load_file (const char *path, struct oci_config **out,
                                             libcrun_error_t *err);
LIBCRUN_PUBLIC int libcrun_config_load_string (const char *json, const char *origin,
                                               struct oci_config **out, libcrun_error_t *err);

/* Parse a lone OCI "process" object (crun exec --process FILE). */
/* A JSON file's text (at most 64 MiB; a NUL byte in it is an error
 * naming the file and its offset), as the loaders below read it. */
LIBCRUN_PUBLIC int libcrun_json_file_read (const char *path, char **text, libcrun_error_t *err);
/* The same from its text; origin names it in errors (the helper of
 * libcrun_container_exec parses the text the runtime read). */
LIBCRUN_PUBLIC int libcrun_process_load_string (const char *json, const char *origin,
                                                struct oci_process **out, libcrun_error_t *err);
LIBCRUN_PUBLIC int libcrun_process_load_file (const char *path, struct oci_process **out,
                                              libcrun_error_t *err);
/* A JSON object with the `mounts` section of a config (crun mounts
 * add|remove); only mounts is filled in the returned config. */
LIBCRUN_PUBLIC int libcrun_mounts_load_file (const char *path, struct oci_config **out,
                                             libcrun_error_t *err);

LIBCRUN_PUBLIC void libcrun_config_free (struct oci_config *config);
LIBCRUN_PUBLIC void libcrun_process_free (struct oci_process *process);

/* Value of key in a key/value array, or NULL. */
LIBCRUN_PUBLIC const char *oci_kv_lookup (const struct oci_kv *kv, size_t n, const char *key);

/* Annotation value or NULL. */
LIBCRUN_PUBLIC const char *oci_config_annotation (const struct oci_config *config, const char *key);

/* The namespace entry of that CLONE_NEW* type, or NULL when not requested. */
LIBCRUN_PUBLIC const struct oci_namespace *oci_config_namespace (const struct oci_config *config,
                                                                 int type);

/* Map "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" to
 * CLONE_NEW*; -1 when unknown.  And back. */
LIBCRUN_PUBLIC int oci_namespace_type_from_name (const char *name);
LIBCRUN_PUBLIC const char *oci_namespace_type_name (int type);

/* Whether the container's processes can hold CAP_SYS_PTRACE in the
 * runtime's user namespace: no user namespace of their own, and the
 * capability in the process (`process`, an `exec --process` file, when
 * not NULL, else the config's) or among extra_caps (exec --cap).
 * Such a process passes the ptrace check even on a non-dumpable runtime
 * process, so the front end then runs from a sealed copy of its binary
 * (src/crun.c). */
LIBCRUN_PUBLIC bool libcrun_config_may_ptrace_host (const struct oci_config *c,
                                                    const struct oci_process *process,
                                                    char **extra_caps);

#endif
