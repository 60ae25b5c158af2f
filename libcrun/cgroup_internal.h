/* Shared by the files of the cgroupfs manager, not installed:
 *
 *   cgroup.c              the entry points: paths, create, load, join, destroy
 *   cgroup_layout.c       the hierarchies mounted (mountinfo), where a
 *                         controller lives for a cgroup
 *   cgroup_files.c        reading and writing cgroupfs files, polling
 *   cgroup_resources*.c   linux.resources (cgroup_resources.h)
 *   cgroup_ops.c          pids, kill, freeze
 *
 * The names here start with cg_; the library exports none of them (hidden
 * visibility). */
#ifndef LIBCRUN_CGROUP_INTERNAL_H
#define LIBCRUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup.h"
#include "error.h"

/* Return from the calling function when x fails. */
#define TRY(x)                                                                                     \
  do                                                                                               \
    {                                                                                              \
      int try_ret_ = (x);                                                                          \
      if (try_ret_ < 0)                                                                            \
        return try_ret_;                                                                           \
    }                                                                                              \
  while (0)

/* ------------------------------------------------------------------ */
/* The hierarchies (cgroup_layout.c). */

struct cg_hierarchy
{
  char *mnt;   /* mount point */
  char *ctrls; /* v1: "cpu,cpuacct" or "name=systemd"; unified: NULL */
  bool unified;
};

struct cg_hierarchies
{
  struct cg_hierarchy *v;
  size_t n;
  enum libcrun_cgroup_layout layout;
  bool has_unified;
};

/* The cgroup and cgroup2 mounts of /proc/self/mountinfo, each hierarchy
 * once, and the layout they make. */
int cg_hierarchies_read (struct cg_hierarchies *h, libcrun_error_t *err);
void cg_hierarchies_free (struct cg_hierarchies *h);
#define cleanup_hierarchies __attribute__ ((cleanup (cg_hierarchies_free)))

const struct cg_hierarchy *cg_find_unified (const struct cg_hierarchies *h);
/* The v1 hierarchy that has controller (or "name=..."), NULL if none. */
const struct cg_hierarchy *cg_find_v1 (const struct cg_hierarchies *h, const char *ctrl);
/* The directory of cgroup `path` in hierarchy hi (malloc'ed). */
char *cg_dir (const struct cg_hierarchy *hi, const char *path);

enum cg_loc
{
  CG_LOC_NONE = 0,
  CG_LOC_V1,
  CG_LOC_V2,
};

/* Where a controller lives for cgroup `path`: the v1 hierarchy that has
 * v1name, else the unified hierarchy when v2name is in the cgroup's
 * cgroup.controllers; *dir is its directory (NULL with CG_LOC_NONE). */
enum cg_loc cg_locate (const struct cg_hierarchies *h, const char *path, const char *v1name,
                       const char *v2name, char **dir);

/* ------------------------------------------------------------------ */
/* Files (cgroup_files.c).  cgroupfs wants one value per write(). */

/* 0 or -errno. */
int cg_write_raw (const char *dir, const char *file, const char *value);
/* On failure the error names `what` (the OCI field) and the file. */
int cg_write (const char *dir, const char *file, const char *value, const char *what,
              libcrun_error_t *err);
int cg_write_i64 (const char *dir, const char *file, int64_t value, const char *what,
                  libcrun_error_t *err);
int cg_read (const char *dir, const char *file, char **out, libcrun_error_t *err);
bool cg_has_file (const char *dir, const char *file);
void cg_strip_trailing (char *s);

/* For the loops that wait for the kernel to report a new state. */
void cg_sleep_ms (long ms);
int64_t cg_now_ms (void);

#endif
