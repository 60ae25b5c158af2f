/* What the files of the config.json parser share (private: not installed).
 *
 *   config.c            entry points, the top-level document, the annotations
 *                       that set fields of other sections, release, look-ups
 *   config_json.c       JSON text into a yajl tree (depth limit, syntax
 *                       errors with line and column), reading the file
 *   config_fields.c     the parser state: the JSON path being read, errors
 *                       naming it, typed readers of one field, arrays
 *   config_process.c    process (user, capabilities, rlimits, scheduler,
 *                       ioPriority, ...)
 *   config_mounts.c     mounts
 *   config_hooks.c      hooks, the stage names
 *   config_linux.c      linux (namespaces, id mappings, devices, sysctl,
 *                       memoryPolicy, personality, timeOffsets, paths, ...)
 *   config_resources.c  linux.resources, checked against a schema
 *   config_seccomp.c    linux.seccomp
 *
 * Conventions: a reader returns 0 or, having reported the problem through
 * cfg_fail(), -1.  The path is that of the object being read; readers of a
 * member enter the member's key themselves.  Each structure is allocated
 * zeroed and its element count set before its elements are filled, so that
 * the release functions can free a half-built one.  The shared names carry
 * the cfg_ prefix: libcrun.a is installed, and its objects must not clash
 * with the names of the programs linked with it or of its other files. */
#ifndef LIBCRUN_CONFIG_INTERNAL_H
#define LIBCRUN_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>
#include "config.h"
#include "error.h"
#include "utils.h"

/* ------------------------------------------------------------------------ */
/* Parser state and errors (config_fields.c)                                */

struct parser
{
  const char *origin;
  libcrun_error_t *err;
  char *path; /* "process.user.uid"; "" at the top level */
  size_t len;
  size_t cap;
};

void cfg_parser_init (struct parser *p, const char *origin, libcrun_error_t *err);
void cfg_parser_release (struct parser *p);

/* Enter a child of the current path; the return value is the mark to give
 * back to cfg_leave. */
size_t cfg_enter_key (struct parser *p, const char *key);
size_t cfg_enter_index (struct parser *p, size_t index);
void cfg_leave (struct parser *p, size_t mark);

/* Report a problem with the field at the current path.  Returns -1. */
int cfg_fail (struct parser *p, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* cfg_fail() about the member `key` of the current object. */
int cfg_fail_at (struct parser *p, const char *key, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int cfg_fail_missing (struct parser *p, const char *key);

/* ------------------------------------------------------------------------ */
/* Typed readers (config_fields.c)                                          */

/* The value of key in obj, or NULL when absent; a JSON null is absent. */
yajl_val cfg_field (yajl_val obj, const char *key);

/* One value, at the current path. */
int cfg_read_bool (struct parser *p, yajl_val v, bool *out);
int cfg_read_uint (struct parser *p, yajl_val v, uint64_t max, uint64_t *out);
int cfg_read_int (struct parser *p, yajl_val v, int64_t min, int64_t max, int64_t *out);

/* The member obj.key.  Absent: 0 and *out untouched, or the "required field
 * is missing" error.  *present (may be NULL) tells whether it was there. */
int cfg_get_string (struct parser *p, yajl_val obj, const char *key, bool required, char **out);
/* A string that must be an absolute path. */
int cfg_get_abs_path (struct parser *p, yajl_val obj, const char *key, bool required, char **out);
int cfg_get_bool (struct parser *p, yajl_val obj, const char *key, bool *out);
int cfg_get_uint (struct parser *p, yajl_val obj, const char *key, bool required, uint64_t max,
                  uint64_t *out, bool *present);
int cfg_get_int (struct parser *p, yajl_val obj, const char *key, bool required, int64_t min,
                 int64_t max, int64_t *out, bool *present);
/* An array of strings, as a NULL-terminated vector (empty array: empty
 * vector, so that "present but empty" differs from "absent"). */
int cfg_get_strv (struct parser *p, yajl_val obj, const char *key, bool required, char ***out);
/* *out is the object (array), or NULL when absent. */
int cfg_get_object (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out);
int cfg_get_array (struct parser *p, yajl_val obj, const char *key, bool required, yajl_val *out);
/* An object of strings (annotations, sysctl) into key/value pairs. */
int cfg_get_string_map (struct parser *p, yajl_val obj, const char *key, struct oci_kv **out,
                        size_t *n_out);

/* Fails unless the value (an array element) is an object. */
int cfg_check_element_object (struct parser *p, yajl_val item);

struct named_value
{
  const char *name;
  uint64_t value;
};
#define CFG_N_NAMES(names) (sizeof (names) / sizeof ((names)[0]))

/* The value of the string obj.key among `names`; the error lists them. */
int cfg_get_named (struct parser *p, yajl_val obj, const char *key, bool required,
                   const struct named_value *names, size_t n, uint64_t *out, bool *present);
/* An array of names from `names`, OR-ed. */
int cfg_get_named_flags (struct parser *p, yajl_val obj, const char *key,
                         const struct named_value *names, size_t n, uint64_t *out);

/* The elements of an array of objects v (the member `key` of the current
 * object) into `array`, already allocated with room for all of them: fn
 * reads element i at the path key[i], and may look at the elements before
 * it.  CFG_PARSE_ARRAY below also allocates. */
typedef int (*cfg_element_fn) (struct parser *p, yajl_val item, void *array, size_t i);
int cfg_parse_elements (struct parser *p, yajl_val v, const char *key, void *array,
                        cfg_element_fn fn);

/* A zeroed array of n elements of `size` bytes (at least one, so that an
 * empty array is not NULL). */
void *cfg_alloc_array (size_t n, size_t size);

/* obj.key, an array of objects, into a new array *out of *n_out elements
 * read by fn (cfg_parse_elements); both left alone when absent. */
#define CFG_PARSE_ARRAY(p, obj, key, out, n_out, fn)                                               \
  ({                                                                                               \
    yajl_val a_ = NULL;                                                                            \
    int r_ = cfg_get_array ((p), (obj), (key), false, &a_);                                        \
    if (r_ == 0 && a_)                                                                             \
      {                                                                                            \
        *(n_out) = a_->u.array.len;                                                                \
        *(out) = cfg_alloc_array (*(n_out), sizeof (**(out)));                                     \
        r_ = cfg_parse_elements ((p), a_, (key), *(out), (fn));                                    \
      }                                                                                            \
    r_;                                                                                            \
  })

/* The object obj.key read by fn (p, object, arg) at the path obj.key;
 * nothing when absent (unless required). */
#define CFG_PARSE_OBJECT(p, obj, key, required, fn, arg)                                           \
  ({                                                                                               \
    yajl_val v_ = NULL;                                                                            \
    int r_ = cfg_get_object ((p), (obj), (key), (required), &v_);                                  \
    if (r_ == 0 && v_)                                                                             \
      {                                                                                            \
        size_t m_ = cfg_enter_key ((p), (key));                                                    \
        r_ = fn ((p), v_, (arg));                                                                  \
        cfg_leave ((p), m_);                                                                       \
      }                                                                                            \
    r_;                                                                                            \
  })

/* obj.key parsed into a new *out by fn, or *out left NULL when absent. */
#define CFG_PARSE_OPTIONAL_OBJECT(p, obj, key, out, fn)                                            \
  ({                                                                                               \
    yajl_val v_ = NULL;                                                                            \
    int r_ = cfg_get_object ((p), (obj), (key), false, &v_);                                       \
    if (r_ == 0 && v_)                                                                             \
      {                                                                                            \
        size_t m_ = cfg_enter_key ((p), (key));                                                    \
        *(out) = xmalloc0 (sizeof (**(out)));                                                      \
        r_ = fn ((p), v_, *(out));                                                                 \
        cfg_leave ((p), m_);                                                                       \
      }                                                                                            \
    r_;                                                                                            \
  })

/* ------------------------------------------------------------------------ */
/* JSON text (config_json.c)                                                */

/* Parse text into a tree whose top level is an object. */
int cfg_parse_tree (const char *json, const char *origin, yajl_val *out, libcrun_error_t *err);
/* Read a whole file that must not contain NUL bytes (yajl reads C strings). */
int cfg_read_json_file (const char *path, char **out, libcrun_error_t *err);

/* ------------------------------------------------------------------------ */
/* The sections: each reads its object (the path at it) and releases what
 * it allocated                                                             */

int cfg_parse_process (struct parser *p, yajl_val obj, struct oci_process *proc);
/* top.mounts */
int cfg_parse_mounts (struct parser *p, yajl_val top, struct oci_config *c);
void cfg_free_mounts (struct oci_mount *mounts, size_t n);
/* top.hooks */
int cfg_parse_hooks (struct parser *p, yajl_val top, struct oci_config *c);
void cfg_free_hooks (struct oci_config *c);
int cfg_parse_linux (struct parser *p, yajl_val lx, struct oci_linux *l);
void cfg_free_linux (struct oci_linux *l);
/* obj.key, an array of id mappings (linux and mounts) */
int cfg_parse_id_mappings (struct parser *p, yajl_val obj, const char *key,
                           struct oci_id_mapping **out, size_t *n_out);
/* linux.resources: checked against the schema, *out is then the object. */
int cfg_check_resources (struct parser *p, yajl_val obj, yajl_val *out);
int cfg_parse_seccomp (struct parser *p, yajl_val obj, struct oci_seccomp *s);
void cfg_free_seccomp (struct oci_seccomp *s);
void cfg_free_kv (struct oci_kv *kv, size_t n);

#endif
