#include "json.h"
#include "utils.h"

char *
json_gen_finish (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc (len + 1);
  memcpy (out, buf, len);
  out[len] = '\0';
  yajl_gen_free (g);
  return out;
}

/* A linear scan, aware of strings and of the comments yajl_tree_parse
 * allows, so that the limit holds for what yajl would see. */
bool
json_too_deep (const char *json, size_t *offset)
{
  size_t depth = 0, i;
  bool in_string = false;

  for (i = 0; json[i]; i++)
    {
      char c = json[i];
      if (in_string)
        {
          if (c == '\\' && json[i + 1])
            i++;
          else if (c == '"')
            in_string = false;
          continue;
        }
      if (c == '"')
        in_string = true;
      else if (c == '/' && json[i + 1] == '/')
        {
          while (json[i + 1] && json[i + 1] != '\n')
            i++;
        }
      else if (c == '/' && json[i + 1] == '*')
        {
          const char *end = strstr (json + i + 2, "*/");
          if (end == NULL)
            return false; /* yajl reports the unterminated comment */
          i = (size_t)(end - json) + 1;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > JSON_MAX_DEPTH)
            {
              *offset = i;
              return true;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return false;
}
