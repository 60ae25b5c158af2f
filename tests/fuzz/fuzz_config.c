/* libFuzzer harness: config.json text -> the config parser
 * (libcrun_config_load_string), the mount option parser for every mount
 * (libcrun_parse_mount_options: r* options, idmap=, crun's words) and, when
 * the text has linux.seccomp, the seccomp compile step (libcrun_seccomp_compile, which builds the
 * filter with libseccomp and never loads it).  Any size reaches the parser: deep and wide texts are
 * part of the seed corpus (tests/fuzz/make-seeds.py). Built and run by tests/fuzz/run-fuzz.sh
 * (`make fuzz`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "mount_options.h"
#include "seccomp.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_config *config = NULL;
  libcrun_error_t err = NULL;
  char *text = malloc (size + 1);

  if (text == NULL)
    return 0;
  memcpy (text, data, size);
  text[size] = '\0';
  if (libcrun_config_load_string (text, "fuzz.json", &config, &err) == 0)
    {
      size_t i;
      for (i = 0; i < config->n_mounts; i++)
        {
          struct libcrun_mount_flags mf;
          if (libcrun_parse_mount_options (config->mounts[i].options, &mf, &err) == 0)
            libcrun_mount_flags_release (&mf);
          libcrun_error_release (&err);
        }
      if (config->linux_cfg && config->linux_cfg->seccomp)
        {
          struct libcrun_seccomp_program prog = { 0 };
          if (libcrun_seccomp_compile (config->linux_cfg->seccomp, &prog, &err) == 0)
            libcrun_seccomp_program_free (&prog);
        }
      libcrun_config_free (config);
    }
  libcrun_error_release (&err);
  free (text);
  return 0;
}
