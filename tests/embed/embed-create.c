/* An embedder of libcrun (built by tests/integration/test_embed.py against
 * libcrun.a): creates the container of BUNDLE through the library and checks
 * that its own namespaces, the ones its children would get included, are
 * the same afterwards, then deletes it.
 *   embed-create STATE_ROOT BUNDLE ID
 * Prints "ns NAME BEFORE AFTER" per namespace and exits 1 if any changed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libcrun/libcrun.h>

static const char *const names[]
    = { "pid", "pid_for_children", "time", "time_for_children", "mnt", "user", "net", NULL };

static void
read_ns (char out[][128])
{
  int i;
  for (i = 0; names[i]; i++)
    {
      char path[64];
      ssize_t n;
      snprintf (path, sizeof (path), "/proc/thread-self/ns/%s", names[i]);
      n = readlink (path, out[i], 127);
      out[i][n > 0 ? n : 0] = '\0';
    }
}

int
main (int argc, char **argv)
{
  struct libcrun_create_options o;
  libcrun_error_t err = NULL;
  char before[8][128], after[8][128];
  int i, changed = 0;

  if (argc != 4)
    return 2;
  /* The runtime's helper, where the library is not installed at its
   * prefix (the tests install it into a scratch DESTDIR); NULL: the
   * default. */
  libcrun_set_helper (getenv ("CRUN_TEST_HELPER"));
  memset (&o, 0, sizeof (o));
  o.state_root = argv[1];
  o.bundle = argv[2];
  o.id = argv[3];
  read_ns (before);
  if (libcrun_container_create (&o, NULL, &err) < 0)
    {
      printf ("create: %s\n", err->msg);
      return 3;
    }
  read_ns (after);
  for (i = 0; names[i]; i++)
    {
      printf ("ns %s %s %s\n", names[i], before[i], after[i]);
      changed |= strcmp (before[i], after[i]) != 0;
    }
  if (libcrun_container_delete (argv[1], argv[3], true, &err) < 0)
    {
      printf ("delete: %s\n", err->msg);
      return 3;
    }
  return changed;
}
