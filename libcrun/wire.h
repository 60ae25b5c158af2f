/* A flat JSON object in a sealed memfd: how the runtime hands options to
 * a helper across its execve (init_wire.h, exec_wire.h).  The writer
 * works in the runtime before the clone; the reader in the helper, in a
 * fresh process image.  A reader marks *bad for a missing or mistyped
 * field instead of failing at once, and the caller checks it once. */
#ifndef LIBCRUN_WIRE_H
#define LIBCRUN_WIRE_H

#include <stdbool.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>
#include "error.h"
#include "seccomp.h"
#include "utils.h"

yajl_gen wire_begin (void);
void wire_put_int (yajl_gen g, const char *key, long long v);
void wire_put_str (yajl_gen g, const char *key, const char *v);   /* NULL: null */
void wire_put_strv (yajl_gen g, const char *key, char *const *v); /* NULL: null */
void wire_put_hex (yajl_gen g, const char *key, const void *p, size_t n);
void wire_put_holes (yajl_gen g, const struct fd_holes *h);
void wire_put_seccomp (yajl_gen g, const struct libcrun_seccomp_program *prog); /* NULL: none */
/* The object closed, into a new sealed memfd *fd named `name`. */
int wire_end (yajl_gen g, const char *name, int *fd, libcrun_error_t *err);

/* The object in fd (from offset 0); *doc is the caller's (yajl_tree_free). */
int wire_open (int fd, const char *what, yajl_val *doc, libcrun_error_t *err);
bool wire_has (yajl_val doc, const char *key);
long long wire_get_int (yajl_val doc, const char *key, bool *bad);
char *wire_get_str (yajl_val doc, const char *key, bool *bad);
char **wire_get_strv (yajl_val doc, const char *key, bool *bad);
void *wire_get_hex (yajl_val doc, const char *key, size_t *n, bool *bad);
void wire_get_holes (yajl_val doc, struct fd_holes *h, bool *bad);
/* false when the object has no program */
bool wire_get_seccomp (yajl_val doc, struct libcrun_seccomp_program *prog, bool *bad);

#endif
