/* /proc/self/mountinfo (mountinfo.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "mountinfo.h"
#include "utils.h"

#include <stdlib.h>
#include <string.h>

void
libcrun_mountinfo_free (struct mountinfo_entry *v, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      free (v[i].root);
      free (v[i].mountpoint);
      free (v[i].fstype);
      free (v[i].super_opts);
    }
  free (v);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_octal (const char *s)
{
  char *r = xmalloc (strlen (s) + 1), *w = r;
  while (*s)
    {
      if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0'
          && s[3] <= '7')
        {
          *w++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
          s += 4;
        }
      else
        *w++ = *s++;
    }
  *w = '\0';
  return r;
}

int
libcrun_read_mountinfo (struct mountinfo_entry **out, size_t *n_out, libcrun_error_t *err)
{
  cleanup_free char *buf = NULL;
  struct mountinfo_entry *v = NULL;
  size_t n = 0, len;
  char *line, *save = NULL;

  if (read_all_file ("/proc/self/mountinfo", &buf, &len, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - TYPE SOURCE SUPER */
      char *fields[64];
      size_t nf = 0, i, dash = 0;
      char *tok, *s2 = NULL;

      for (tok = strtok_r (line, " ", &s2); tok && nf < 64; tok = strtok_r (NULL, " ", &s2))
        fields[nf++] = tok;
      for (i = 6; i < nf; i++)
        if (strcmp (fields[i], "-") == 0)
          {
            dash = i;
            break;
          }
      if (dash == 0 || dash + 1 >= nf)
        continue;
      v = xrealloc (v, (n + 1) * sizeof (*v));
      v[n].root = unescape_octal (fields[3]);
      v[n].mountpoint = unescape_octal (fields[4]);
      v[n].fstype = xstrdup (fields[dash + 1]);
      v[n].super_opts = xstrdup (dash + 3 < nf ? fields[dash + 3] : "");
      n++;
    }
  *out = v;
  *n_out = n;
  return 0;
}
