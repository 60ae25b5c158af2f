/* `--regex` of delete and kill: the CONTAINER argument is a POSIX extended
 * regular expression, and the command is done for every container whose
 * id it matches (anywhere in the id, as crun matches; anchor it with ^ and
 * $ for a whole id). */
#include "crun.h"

#include <regex.h>

int
crun_for_each_matching (const char *regex,
                        int (*fn) (const char *id, void *arg, libcrun_error_t *err), void *arg)
{
  libcrun_error_t err = NULL;
  char **ids = NULL;
  regex_t re;
  int code = 0, r;
  size_t i;

  r = regcomp (&re, regex, REG_EXTENDED | REG_NOSUB);
  if (r != 0)
    {
      char msg[256];
      regerror (r, &re, msg, sizeof (msg));
      libcrun_make_error (&err, 0, "invalid regular expression `%s`: %s", regex, msg);
      return crun_fail (&err);
    }
  if (libcrun_state_list (crun_options.root, &ids, &err) < 0)
    {
      regfree (&re);
      return crun_fail (&err);
    }
  for (i = 0; ids[i]; i++)
    {
      if (regexec (&re, ids[i], 0, NULL, 0) != 0)
        continue;
      /* Every match is tried; the exit code tells whether one failed. */
      if (fn (ids[i], arg, &err) < 0)
        code = crun_fail (&err);
    }
  strv_free (ids);
  regfree (&re);
  return code;
}
