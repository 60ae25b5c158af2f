/* config.json's text into a yajl tree, for the parser (config_internal.h):
 * the depth limit, and syntax errors given with a line and a column. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"
#include "json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

/* Line and column (1-based, in bytes) of a byte offset. */
static void
offset_to_line_column (const char *text, size_t offset, size_t *line, size_t *column)
{
  size_t i;
  *line = 1;
  *column = 1;
  for (i = 0; i < offset && text[i]; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else
        (*column)++;
    }
}

/* The first byte of the token at which yajl stopped, `consumed` bytes into
 * the text.  yajl stops a little after the start of the offending token, and
 * how far after depends on the token: usually just past its first byte,
 * right before it for numbers and literals (the lexer needs lookahead), one
 * byte into it for strings.  Bring the position back to the token's first
 * byte in each case. */
static size_t
offending_token (const char *json, size_t len, size_t consumed)
{
  size_t offset = consumed > len ? len : consumed;

  if (offset > 0)
    offset--;
  while (offset < len && isspace ((unsigned char)json[offset]))
    offset++;
  if (offset > 0 && json[offset - 1] == '"'
      && (offset == 1 || isspace ((unsigned char)json[offset - 2])
          || strchr (",:[{", json[offset - 2])))
    offset--;
  return offset;
}

/* The first line of a message. */
static char *
first_line_of (const char *msg)
{
  char *line = xstrdup (msg);
  line[strcspn (line, "\n")] = '\0';
  return line;
}

/* Parse the text with yajl's stream API, configured as yajl_tree_parse
 * configures it (comments allowed): false when it parses after all, else
 * where it fails and yajl's message. */
static bool
locate_syntax_error (const char *json, size_t *offset, char **message)
{
  yajl_handle h = yajl_alloc (NULL, NULL, NULL);
  size_t len = strlen (json);
  yajl_status st;
  unsigned char *msg;

  if (h == NULL)
    abort ();
  yajl_config (h, yajl_allow_comments, 1);
  st = yajl_parse (h, (const unsigned char *)json, len);
  if (st == yajl_status_ok)
    {
      /* The text ended too early: point just past its end. */
      st = yajl_complete_parse (h);
      *offset = len;
    }
  else
    *offset = offending_token (json, len, yajl_get_bytes_consumed (h));
  if (st == yajl_status_ok)
    {
      yajl_free (h);
      return false;
    }
  msg = yajl_get_error (h, 0, NULL, 0);
  *message = first_line_of (msg ? (const char *)msg : "parse error");
  if (msg)
    yajl_free_error (h, msg);
  yajl_free (h);
  return true;
}

/* yajl_tree_parse only gives a message with a drawing of the position; to
 * report "line L, column C" the text is parsed again with the stream API,
 * which tells how many bytes it consumed before failing. */
static int
syntax_error (const char *json, const char *origin, const char *tree_msg, libcrun_error_t *err)
{
  cleanup_free char *message = NULL;
  size_t offset, line, column;

  if (!locate_syntax_error (json, &offset, &message))
    {
      /* Should not happen; fall back on yajl_tree_parse's own text. */
      message = first_line_of (tree_msg && *tree_msg ? tree_msg : "invalid JSON");
      return libcrun_make_error (err, 0, "`%s`: %s", origin, message);
    }
  offset_to_line_column (json, offset, &line, &column);
  return libcrun_make_error (err, 0, "`%s`: line %zu, column %zu: %s", origin, line, column,
                             message);
}

int
cfg_parse_tree (const char *json, const char *origin, yajl_val *out, libcrun_error_t *err)
{
  char errbuf[1024];
  yajl_val tree;
  size_t offset;

  errbuf[0] = '\0';
  if (json_too_deep (json, &offset))
    {
      size_t line, column;
      offset_to_line_column (json, offset, &line, &column);
      return libcrun_make_error (err, 0, "`%s`: line %zu, column %zu: nested deeper than %d levels",
                                 origin, line, column, JSON_MAX_DEPTH);
    }
  tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (tree == NULL)
    return syntax_error (json, origin, errbuf, err);
  if (!YAJL_IS_OBJECT (tree))
    {
      yajl_tree_free (tree);
      return libcrun_make_error (err, 0, "`%s`: expected a JSON object at the top level", origin);
    }
  *out = tree;
  return 0;
}

int
cfg_read_json_file (const char *path, char **out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  int ret = read_all_file (path, &buf, &len, err);

  if (ret < 0)
    return ret;
  if (strlen (buf) != len)
    return libcrun_make_error (err, 0, "`%s`: contains a NUL byte at offset %zu", path,
                               strlen (buf));
  *out = steal_pointer (&buf);
  return 0;
}

int
libcrun_json_file_read (const char *path, char **text, libcrun_error_t *err)
{
  return cfg_read_json_file (path, text, err);
}
