/* See wire.h.  Strings are JSON strings (null for NULL), numbers
 * integers, byte buffers hex digits, the preserved fds' holes a string of
 * 0 and 1. */
#include "wire.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

yajl_gen
wire_begin (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  return g;
}

void
wire_put_int (yajl_gen g, const char *key, long long v)
{
  json_string (g, key);
  yajl_gen_integer (g, v);
}

void
wire_put_str (yajl_gen g, const char *key, const char *v)
{
  json_string (g, key);
  if (v)
    json_string (g, v);
  else
    yajl_gen_null (g);
}

void
wire_put_strv (yajl_gen g, const char *key, char *const *v)
{
  size_t i;

  json_string (g, key);
  if (v == NULL)
    {
      yajl_gen_null (g);
      return;
    }
  yajl_gen_array_open (g);
  for (i = 0; v[i]; i++)
    json_string (g, v[i]);
  yajl_gen_array_close (g);
}

void
wire_put_hex (yajl_gen g, const char *key, const void *p, size_t n)
{
  static const char digits[] = "0123456789abcdef";
  const unsigned char *b = p;
  cleanup_free char *s = xmalloc (2 * n + 1);
  size_t i;

  for (i = 0; i < n; i++)
    {
      s[2 * i] = digits[b[i] >> 4];
      s[2 * i + 1] = digits[b[i] & 15];
    }
  s[2 * n] = '\0';
  wire_put_str (g, key, s);
}

void
wire_put_holes (yajl_gen g, const struct fd_holes *h)
{
  cleanup_free char *s = xmalloc0 ((size_t)h->n + 1);
  int i;

  for (i = 0; i < h->n; i++)
    s[i] = h->hole[i] ? '1' : '0';
  wire_put_int (g, "holes_from", h->from);
  wire_put_str (g, "holes", s);
}

void
wire_put_seccomp (yajl_gen g, const struct libcrun_seccomp_program *prog)
{
  if (prog == NULL)
    return;
  wire_put_hex (g, "seccomp_bpf", prog->bpf, prog->len);
  wire_put_int (g, "seccomp_flags", prog->flags);
  wire_put_int (g, "seccomp_notify", prog->notify);
}

int
wire_end (yajl_gen g, const char *name, int *fd, libcrun_error_t *err)
{
  cleanup_free char *text = NULL;

  yajl_gen_map_close (g);
  text = json_gen_finish (g);
  *fd = sealed_memfd (name, text, strlen (text));
  if (*fd < 0)
    return libcrun_make_error (err, errno, "write the options of the %s", name);
  return 0;
}

/* ---- the helper's side ----------------------------------------------- */

int
wire_open (int fd, const char *what, yajl_val *doc, libcrun_error_t *err)
{
  cleanup_free char *text = NULL;
  char msg[256] = "";

  if (read_all_fd (fd, what, &text, NULL, err) < 0)
    return -1;
  *doc = yajl_tree_parse (text, msg, sizeof (msg));
  if (*doc == NULL || !YAJL_IS_OBJECT (*doc))
    {
      yajl_tree_free (*doc);
      *doc = NULL;
      return libcrun_make_error (err, EINVAL, "%s: not a JSON object: %s", what, msg);
    }
  return 0;
}

static yajl_val
field (yajl_val doc, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (doc, path, yajl_t_any);
}

bool
wire_has (yajl_val doc, const char *key)
{
  return field (doc, key) != NULL;
}

long long
wire_get_int (yajl_val doc, const char *key, bool *bad)
{
  yajl_val v = field (doc, key);
  if (v == NULL || !YAJL_IS_INTEGER (v))
    {
      *bad = true;
      return -1;
    }
  return YAJL_GET_INTEGER (v);
}

char *
wire_get_str (yajl_val doc, const char *key, bool *bad)
{
  yajl_val v = field (doc, key);
  if (v && YAJL_IS_STRING (v))
    return xstrdup (YAJL_GET_STRING (v));
  if (v == NULL || !YAJL_IS_NULL (v))
    *bad = true;
  return NULL;
}

char **
wire_get_strv (yajl_val doc, const char *key, bool *bad)
{
  yajl_val v = field (doc, key);
  char **out;
  size_t i, n;

  if (v == NULL || !(YAJL_IS_ARRAY (v) || YAJL_IS_NULL (v)))
    *bad = true;
  if (v == NULL || !YAJL_IS_ARRAY (v))
    return NULL;
  n = YAJL_GET_ARRAY (v)->len;
  out = xmalloc0 ((n + 1) * sizeof (char *));
  for (i = 0; i < n; i++)
    {
      yajl_val s = YAJL_GET_ARRAY (v)->values[i];
      out[i] = xstrdup (YAJL_IS_STRING (s) ? YAJL_GET_STRING (s) : "");
    }
  return out;
}

static int
unhex (char c)
{
  return c >= 'a' ? c - 'a' + 10 : c - '0';
}

void *
wire_get_hex (yajl_val doc, const char *key, size_t *n, bool *bad)
{
  cleanup_free char *s = wire_get_str (doc, key, bad);
  unsigned char *p;
  size_t i;

  *n = s ? strlen (s) / 2 : 0;
  if (s == NULL)
    return NULL;
  p = xmalloc (*n ? *n : 1);
  for (i = 0; i < *n; i++)
    p[i] = (unsigned char)(unhex (s[2 * i]) << 4 | unhex (s[2 * i + 1]));
  return p;
}

void
wire_get_holes (yajl_val doc, struct fd_holes *h, bool *bad)
{
  cleanup_free char *s = wire_get_str (doc, "holes", bad);
  size_t i, n = s ? strlen (s) : 0;

  h->from = (int)wire_get_int (doc, "holes_from", bad);
  h->n = (int)n;
  h->hole = n ? xmalloc0 (n) : NULL;
  for (i = 0; i < n; i++)
    h->hole[i] = s[i] == '1';
}

bool
wire_get_seccomp (yajl_val doc, struct libcrun_seccomp_program *prog, bool *bad)
{
  if (!wire_has (doc, "seccomp_bpf"))
    return false;
  prog->bpf = wire_get_hex (doc, "seccomp_bpf", &prog->len, bad);
  prog->flags = (unsigned int)wire_get_int (doc, "seccomp_flags", bad);
  prog->notify = wire_get_int (doc, "seccomp_notify", bad) != 0;
  return prog->bpf != NULL;
}
