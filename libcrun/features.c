/* The OCI runtime features document (runtime-spec features.md) of this
 * runtime and this machine: what the parser accepts (mount options, seccomp
 * flags), what libseccomp and the kernel report, the annotations honoured,
 * and the autoreap facts (the kernel's CLONE_AUTOREAP, the spawner rung). */
#include "features.h"
#include "hooks.h"
#include "json.h"
#include "mount_options.h"
#include "sd_bus_loader.h"
#include "seccomp.h"
#include "spawn.h"
#include "utils.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <yajl/yajl_gen.h>

static void
gen_strings (yajl_gen g, const char *key, const char *const *v)
{
  json_string (g, key);
  yajl_gen_array_open (g);
  for (; *v; v++)
    json_string (g, *v);
  yajl_gen_array_close (g);
}

static void
gen_enabled (yajl_gen g, const char *key, bool enabled)
{
  json_string (g, key);
  yajl_gen_map_open (g);
  json_string (g, "enabled");
  yajl_gen_bool (g, enabled);
  yajl_gen_map_close (g);
}

static const char *const hooks[]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL };
static const char *const namespaces[]
    = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL };
static const char *const seccomp_actions[] = { "SCMP_ACT_ALLOW",       "SCMP_ACT_ERRNO",
                                               "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
                                               "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                               "SCMP_ACT_NOTIFY",      "SCMP_ACT_TRACE",
                                               "SCMP_ACT_TRAP",        NULL };
static const char *const seccomp_operators[]
    = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",        "SCMP_CMP_LE",
        "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", NULL };
/* The architectures libseccomp may know: listed only when this libseccomp
 * resolves the name (seccomp_arch_resolve_name). */
static const char *const seccomp_archs[] = {
  "SCMP_ARCH_AARCH64",  "SCMP_ARCH_ARM",         "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",
  "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_PPC",      "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE",     "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_S390",     "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",          "SCMP_ARCH_SHEB",
  "SCMP_ARCH_X32",      "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      NULL
};
static const char *const mpol_modes[]
    = { "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE",          "MPOL_LOCAL",
        "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL };
static const char *const mpol_flags[]
    = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL };

/* crun's annotations this runtime honours, with what they take. */
static const char *const crun_annotations[][2] = {
  { "run.oci.keep_original_groups", "present: setgroups is skipped" },
  { "run.oci.timens_offset", "monotonic|boottime SECONDS NANOSECONDS" },
  { "run.oci.pidfd_receiver", "absolute path of a unix socket" },
  { "run.oci.seccomp.receiver", "absolute path of a unix socket (seccomp listener)" },
  { "run.oci.seccomp_fail_unknown_syscall", "present: unknown syscall names are errors" },
  { "run.oci.hooks.stdout", "file the hooks' stdout is appended to" },
  { "run.oci.hooks.stderr", "file the hooks' stderr is appended to" },
};

/* Annotations that change what the runtime does on the host. */
static const char *const unsafe_annotations[]
    = { LIBCRUN_ANNOTATION_HOOKS_STDOUT, LIBCRUN_ANNOTATION_HOOKS_STDERR, NULL };

static void
gen_capabilities (yajl_gen g)
{
  cap_value_t c;
  json_string (g, "capabilities");
  yajl_gen_array_open (g);
  for (c = 0; c <= CAP_LAST_CAP; c++)
    {
      char *name = cap_to_name (c);
      char upper[64];
      size_t i;
      if (name == NULL)
        continue;
      snprintf (upper, sizeof (upper), "%s", name);
      for (i = 0; upper[i]; i++)
        if (upper[i] >= 'a' && upper[i] <= 'z')
          upper[i] = (char)(upper[i] - 'a' + 'A');
      cap_free (name);
      json_string (g, upper);
    }
  yajl_gen_array_close (g);
}

/* Whether hooks in autoreap mode die with the runtime here
 * (CLONE_PIDFD_AUTOKILL), after the probe of libcrun_spawn_best_rung. */
static const char *
autokill_word (enum libcrun_spawn_rung rung)
{
  int e = libcrun_spawn_autokill_refusal ();
  if (rung != LIBCRUN_RUNG_AUTOREAP)
    return "CLONE_PIDFD_AUTOKILL not used (no CLONE_AUTOREAP)";
  if (e == 0)
    return "CLONE_PIDFD_AUTOKILL supported";
  if (e == EPERM)
    return "CLONE_PIDFD_AUTOKILL refused (needs CAP_SYS_ADMIN)";
  return "CLONE_PIDFD_AUTOKILL not supported";
}

static int
compare_strings (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* What the mount option parser accepts, sorted as crun prints it. */
static void
gen_mount_options (yajl_gen g)
{
  const char *names[128];
  size_t n = 0;

  while (n < sizeof (names) / sizeof (names[0]) - 1 && (names[n] = libcrun_mount_option_name (n)))
    n++;
  qsort (names, n, sizeof (names[0]), compare_strings);
  names[n] = NULL;
  gen_strings (g, "mountOptions", names);
}

/* knownFlags: what the parser takes; supportedFlags: what this kernel
 * takes of those. */
static void
gen_seccomp_flags (yajl_gen g)
{
  const char *name;
  bool supported;
  size_t i;

  json_string (g, "knownFlags");
  yajl_gen_array_open (g);
  for (i = 0; (name = libcrun_seccomp_flag_name (i, &supported)); i++)
    json_string (g, name);
  yajl_gen_array_close (g);
  json_string (g, "supportedFlags");
  yajl_gen_array_open (g);
  for (i = 0; (name = libcrun_seccomp_flag_name (i, &supported)); i++)
    if (supported)
      json_string (g, name);
  yajl_gen_array_close (g);
}

static void
gen_cgroup (yajl_gen g)
{
  libcrun_error_t err = NULL;

  json_string (g, "cgroup");
  yajl_gen_map_open (g);
  json_string (g, "v1");
  yajl_gen_bool (g, 1);
  json_string (g, "v2");
  yajl_gen_bool (g, 1);
  json_string (g, "systemd");
  yajl_gen_bool (g, libcrun_sd_bus_get (&err) != NULL);
  libcrun_error_release (&err);
  json_string (g, "systemdUser");
  yajl_gen_bool (g, 0);
  yajl_gen_map_close (g);
}

/* The entries of seccomp_archs this libseccomp resolves. */
static void
gen_seccomp_archs (yajl_gen g)
{
  size_t i;

  json_string (g, "archs");
  yajl_gen_array_open (g);
  for (i = 0; seccomp_archs[i]; i++)
    {
      char lower[32];
      size_t k;
      snprintf (lower, sizeof (lower), "%s", seccomp_archs[i] + strlen ("SCMP_ARCH_"));
      for (k = 0; lower[k]; k++)
        if (lower[k] >= 'A' && lower[k] <= 'Z')
          lower[k] = (char)(lower[k] - 'A' + 'a');
      if (seccomp_arch_resolve_name (lower) != 0)
        json_string (g, seccomp_archs[i]);
    }
  yajl_gen_array_close (g);
}

static void
gen_seccomp (yajl_gen g)
{
  json_string (g, "seccomp");
  yajl_gen_map_open (g);
  json_string (g, "enabled");
  yajl_gen_bool (g, 1);
  gen_strings (g, "actions", seccomp_actions);
  gen_strings (g, "operators", seccomp_operators);
  gen_seccomp_archs (g);
  gen_seccomp_flags (g);
  yajl_gen_map_close (g);
}

static void
gen_linux (yajl_gen g)
{
  json_string (g, "linux");
  yajl_gen_map_open (g);
  gen_strings (g, "namespaces", namespaces);
  gen_capabilities (g);
  gen_cgroup (g);
  gen_seccomp (g);
  gen_enabled (g, "apparmor", false);
  gen_enabled (g, "selinux", false);
  gen_enabled (g, "intelRdt", false);
  json_string (g, "mountExtensions");
  yajl_gen_map_open (g);
  gen_enabled (g, "idmap", true);
  yajl_gen_map_close (g);
  json_string (g, "memoryPolicy");
  yajl_gen_map_open (g);
  gen_strings (g, "modes", mpol_modes);
  gen_strings (g, "flags", mpol_flags);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

static void
gen_annotations (yajl_gen g, const char *libseccomp_version, enum libcrun_spawn_rung rung)
{
  size_t i;

  json_string (g, "annotations");
  yajl_gen_map_open (g);
  json_string (g, "io.github.seccomp.libseccomp.version");
  json_string (g, libseccomp_version);
  /* Autoreap mode: the annotation's accepted values, whether this kernel
   * has CLONE_AUTOREAP, and the spawner rung hooks will use here. */
  json_string (g, LIBCRUN_ANNOTATION_AUTOREAP);
  json_string (g, "1|true|0|false|required");
  json_string (g, "run.oci.autoreap.kernel");
  json_string (g, rung == LIBCRUN_RUNG_AUTOREAP ? "CLONE_AUTOREAP supported"
                                                : "CLONE_AUTOREAP not supported");
  json_string (g, "run.oci.autoreap.spawner");
  json_string (g, libcrun_spawn_rung_name (rung));
  json_string (g, "run.oci.autoreap.autokill");
  json_string (g, autokill_word (rung));
  for (i = 0; i < sizeof (crun_annotations) / sizeof (crun_annotations[0]); i++)
    {
      json_string (g, crun_annotations[i][0]);
      json_string (g, crun_annotations[i][1]);
    }
  yajl_gen_map_close (g);
}

char *
libcrun_features_json (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const struct scmp_version *v = seccomp_version ();
  char libseccomp_version[32];
  enum libcrun_spawn_rung rung = libcrun_spawn_best_rung ();

  snprintf (libseccomp_version, sizeof (libseccomp_version), "%u.%u.%u", v->major, v->minor,
            v->micro);

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  yajl_gen_map_open (g);
  json_string (g, "ociVersionMin");
  json_string (g, "1.0.0");
  json_string (g, "ociVersionMax");
  json_string (g, "1.2.0");
  gen_strings (g, "hooks", hooks);
  gen_mount_options (g);
  gen_linux (g);
  gen_annotations (g, libseccomp_version, rung);
  gen_strings (g, "potentiallyUnsafeConfigAnnotations", unsafe_annotations);
  yajl_gen_map_close (g);

  return json_gen_finish (g);
}
