/* Unit tests of libcrun/security.c.  Every test runs in its own forked child
 * (tap.h), so it may really change limits, ids and capabilities. */
#include "tap.h"
#include "log_capture.h"
#include "security.h"
#include "log.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#define BIT(cap) (UINT64_C (1) << (cap))

/* A capability mask line of /proc/self/status ("CapEff:\t...") as a number. */
static uint64_t
status_mask (const char *key)
{
  char line[256];
  size_t klen = strlen (key);
  uint64_t v = UINT64_MAX;
  FILE *f = fopen ("/proc/self/status", "re");

  tap_require (f != NULL, "open /proc/self/status");
  while (fgets (line, sizeof (line), f))
    if (strncmp (line, key, klen) == 0 && line[klen] == ':')
      {
        v = strtoull (line + klen + 1, NULL, 16);
        break;
      }
  fclose (f);
  tap_require (v != UINT64_MAX, "%s not found", key);
  return v;
}

/* Make the rlimit/oom tests independent of the privileges they run with:
 * without CAP_SYS_RESOURCE nothing may be raised above the hard limit. */
static void
drop_sys_resource (void)
{
  cap_value_t v = CAP_SYS_RESOURCE;
  cap_t c = cap_get_proc ();

  tap_require (c != NULL, "cap_get_proc");
  cap_set_flag (c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
  cap_set_flag (c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
  tap_require (cap_set_proc (c) == 0, "drop CAP_SYS_RESOURCE: %s", strerror (errno));
  cap_free (c);
}

static void
test_rlimit_from_name (void)
{
  tap_check (libcrun_rlimit_from_name ("RLIMIT_NOFILE") == RLIMIT_NOFILE, "NOFILE");
  tap_check (libcrun_rlimit_from_name ("RLIMIT_RTTIME") == RLIMIT_RTTIME, "RTTIME");
  tap_check (libcrun_rlimit_from_name ("RLIMIT_FOO") == -1, "unknown");
  tap_check (libcrun_rlimit_from_name ("nofile") == -1, "spelled as in config.json only");
  tap_check (libcrun_rlimit_from_name (NULL) == -1, "NULL");
}

static void
test_rlimits_applied (void)
{
  struct oci_rlimit rl[] = {
    { .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = 256, .hard = 512 },
    { .type = "RLIMIT_CORE", .resource = RLIMIT_CORE, .soft = 0, .hard = 4096 },
  };
  struct oci_process p = { .rlimits = rl, .n_rlimits = 2 };
  libcrun_error_t err = NULL;
  struct rlimit r;

  tap_require (libcrun_apply_rlimits (&p, &err) == 0, "apply: %s", err ? err->msg : "?");
  tap_require (getrlimit (RLIMIT_NOFILE, &r) == 0, "getrlimit");
  tap_check (r.rlim_cur == 256 && r.rlim_max == 512, "NOFILE %llu/%llu",
             (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
  tap_require (getrlimit (RLIMIT_CORE, &r) == 0, "getrlimit");
  tap_check (r.rlim_cur == 0 && r.rlim_max == 4096, "CORE %llu/%llu",
             (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
}

static void
test_rlimit_above_hard_limit (void)
{
  struct rlimit cur;
  struct oci_rlimit rl[2];
  struct oci_process p = { .rlimits = rl, .n_rlimits = 2 };
  libcrun_error_t err = NULL;
  char expected[512];
  uint64_t hard;

  drop_sys_resource ();
  tap_require (getrlimit (RLIMIT_NOFILE, &cur) == 0, "getrlimit");
  tap_require (cur.rlim_max != RLIM_INFINITY, "NOFILE hard limit is finite");
  hard = (uint64_t)cur.rlim_max;

  /* The first entry is fine, the second one (index 1) asks too much. */
  rl[0] = (struct oci_rlimit){ .type = "RLIMIT_CORE", .resource = RLIMIT_CORE };
  rl[1] = (struct oci_rlimit){
    .type = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE, .soft = hard, .hard = hard + 1000
  };
  tap_require (libcrun_apply_rlimits (&p, &err) < 0, "raising the hard limit must fail");
  snprintf (expected, sizeof (expected),
            "`process.rlimits[1]`: setrlimit RLIMIT_NOFILE soft=%" PRIu64 " hard=%" PRIu64
            ": cannot raise the hard limit above the current one (%" PRIu64
            ") without CAP_SYS_RESOURCE: %s",
            hard, hard + 1000, hard, strerror (EPERM));
  tap_check (strcmp (err->msg, expected) == 0, "message: %s", err->msg);
  tap_check (err->status == EPERM, "status %d", err->status);
  libcrun_error_release (&err);

  /* soft above hard is refused before the kernel is asked. */
  rl[1].soft = 20;
  rl[1].hard = 10;
  tap_require (libcrun_apply_rlimits (&p, &err) < 0, "soft > hard must fail");
  tap_check (strcmp (err->msg, "`process.rlimits[1]`: RLIMIT_NOFILE soft limit 20 is above its "
                               "hard limit 10")
                 == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);
}

static void
test_oom_score_adj (void)
{
  struct oci_process p = { .has_oom_score_adj = true, .oom_score_adj = 500 };
  libcrun_error_t err = NULL;
  char buf[32] = "";
  int fd;
  ssize_t n;

  tap_require (libcrun_apply_oom_score_adj (0, &p, &err) == 0, "apply: %s", err ? err->msg : "?");
  fd = open ("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  tap_require (fd >= 0, "open");
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  tap_check (n > 0 && atoi (buf) == 500, "oom_score_adj: %s", buf);
}

static void
test_capabilities_applied (void)
{
  char *bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  char *effective[] = { "CAP_CHOWN", NULL };
  char *permitted[] = { "CAP_CHOWN", "CAP_NET_BIND_SERVICE", NULL };
  char *inheritable[] = { "CAP_NET_BIND_SERVICE", NULL };
  char *ambient[] = { "CAP_NET_BIND_SERVICE", NULL };
  struct oci_capabilities caps = { .bounding = bounding,
                                   .effective = effective,
                                   .inheritable = inheritable,
                                   .permitted = permitted,
                                   .ambient = ambient };
  struct oci_process p = { .capabilities = &caps };
  libcrun_error_t err = NULL;

  tap_require (libcrun_apply_capabilities (&p, &err) == 0, "apply: %s", err ? err->msg : "?");
  tap_check (status_mask ("CapBnd")
                 == (BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE)),
             "CapBnd %" PRIx64, status_mask ("CapBnd"));
  tap_check (status_mask ("CapEff") == BIT (CAP_CHOWN), "CapEff %" PRIx64, status_mask ("CapEff"));
  tap_check (status_mask ("CapPrm") == (BIT (CAP_CHOWN) | BIT (CAP_NET_BIND_SERVICE)),
             "CapPrm %" PRIx64, status_mask ("CapPrm"));
  tap_check (status_mask ("CapInh") == BIT (CAP_NET_BIND_SERVICE), "CapInh %" PRIx64,
             status_mask ("CapInh"));
  tap_check (status_mask ("CapAmb") == BIT (CAP_NET_BIND_SERVICE), "CapAmb %" PRIx64,
             status_mask ("CapAmb"));
}

static void
test_capabilities_absent_means_none (void)
{
  struct oci_process p = { .capabilities = NULL };
  libcrun_error_t err = NULL;

  tap_require (libcrun_apply_capabilities (&p, &err) == 0, "apply: %s", err ? err->msg : "?");
  tap_check (status_mask ("CapBnd") == 0, "CapBnd %" PRIx64, status_mask ("CapBnd"));
  tap_check (status_mask ("CapEff") == 0, "CapEff %" PRIx64, status_mask ("CapEff"));
  tap_check (status_mask ("CapPrm") == 0, "CapPrm %" PRIx64, status_mask ("CapPrm"));
  tap_check (status_mask ("CapInh") == 0, "CapInh %" PRIx64, status_mask ("CapInh"));
  tap_check (status_mask ("CapAmb") == 0, "CapAmb %" PRIx64, status_mask ("CapAmb"));
}

static void
test_ambient_without_inheritable_skipped (void)
{
  char *set[] = { "CAP_CHOWN", NULL };
  struct oci_capabilities caps
      = { .bounding = set, .effective = set, .permitted = set, .ambient = set };
  struct oci_process p = { .capabilities = &caps };
  libcrun_error_t err = NULL;

  /* As crun: an ambient capability that is not also inheritable (runc's
   * default spec has such) is skipped, not an error. */
  tap_require (libcrun_apply_capabilities (&p, &err) == 0, "apply: %s", err ? err->msg : "");
  tap_check (status_mask ("CapAmb") == 0, "CapAmb %" PRIx64, status_mask ("CapAmb"));
  tap_check (status_mask ("CapPrm") == BIT (CAP_CHOWN), "CapPrm %" PRIx64, status_mask ("CapPrm"));
}

static void
test_set_user_keeps_caps (void)
{
  gid_t extra[] = { 10, 20 };
  char *bounding[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  char *effective[] = { "CAP_CHOWN", "CAP_KILL", NULL };
  char *permitted[] = { "CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  char *inheritable[] = { "CAP_NET_BIND_SERVICE", NULL };
  char *ambient[] = { "CAP_NET_BIND_SERVICE", NULL };
  struct oci_capabilities caps = { .bounding = bounding,
                                   .effective = effective,
                                   .inheritable = inheritable,
                                   .permitted = permitted,
                                   .ambient = ambient };
  struct oci_process p = { .user = { .uid = 1000,
                                     .gid = 1000,
                                     .has_umask = true,
                                     .umask = 0077,
                                     .additional_gids = extra,
                                     .n_additional_gids = 2 },
                           .capabilities = &caps,
                           .no_new_privileges = true };
  libcrun_error_t err = NULL;
  uid_t ru, eu, su;
  gid_t rg, eg, sg, groups[8];
  mode_t old;
  int n;

  tap_require (libcrun_set_user (&p, &err) == 0, "set_user: %s", err ? err->msg : "?");
  tap_check (getresuid (&ru, &eu, &su) == 0 && ru == 1000 && eu == 1000 && su == 1000,
             "uids %u %u %u", ru, eu, su);
  tap_check (getresgid (&rg, &eg, &sg) == 0 && rg == 1000 && eg == 1000 && sg == 1000,
             "gids %u %u %u", rg, eg, sg);
  n = getgroups (8, groups);
  tap_check (n == 2 && groups[0] == 10 && groups[1] == 20, "groups: %d", n);
  old = umask (0);
  tap_check (old == 0077, "umask %o", (unsigned)old);
  /* Capabilities survive the uid change: CAP_SETPCAP is still effective,
   * which dropping the bounding set needs next. */
  tap_check (status_mask ("CapEff") & BIT (CAP_SETPCAP), "CapEff %" PRIx64 " after set_user",
             status_mask ("CapEff"));

  tap_require (libcrun_apply_capabilities (&p, &err) == 0, "apply caps: %s", err ? err->msg : "?");
  tap_check (status_mask ("CapBnd")
                 == (BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE)),
             "CapBnd %" PRIx64, status_mask ("CapBnd"));
  tap_check (status_mask ("CapEff") == (BIT (CAP_CHOWN) | BIT (CAP_KILL)), "CapEff %" PRIx64,
             status_mask ("CapEff"));
  tap_check (status_mask ("CapPrm")
                 == (BIT (CAP_CHOWN) | BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE)),
             "CapPrm %" PRIx64, status_mask ("CapPrm"));
  tap_check (status_mask ("CapInh") == BIT (CAP_NET_BIND_SERVICE), "CapInh %" PRIx64,
             status_mask ("CapInh"));
  tap_check (status_mask ("CapAmb") == BIT (CAP_NET_BIND_SERVICE), "CapAmb %" PRIx64,
             status_mask ("CapAmb"));
  tap_check (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0, "KEEPCAPS cleared again");

  tap_require (libcrun_apply_no_new_privs (&p, &err) == 0, "no_new_privs: %s",
               err ? err->msg : "?");
  tap_check (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs set");
}

static void
test_default_umask (void)
{
  struct oci_process p = { .user = { .uid = 0, .gid = 0 } };
  libcrun_error_t err = NULL;
  mode_t old;

  umask (0);
  tap_require (libcrun_set_user (&p, &err) == 0, "set_user: %s", err ? err->msg : "?");
  old = umask (0);
  tap_check (old == 0022, "umask %o", (unsigned)old);
  tap_check (getgroups (0, NULL) == 0, "no supplementary groups left: %d", getgroups (0, NULL));
}

/* In a user namespace whose gid_map was written after "deny" went into
 * /proc/self/setgroups, setgroups always fails: set_user must skip it. */
static void
test_setgroups_denied (void)
{
  gid_t extra[] = { 5 };
  struct oci_process p
      = { .user = { .uid = 0, .gid = 0, .additional_gids = extra, .n_additional_gids = 1 } };
  libcrun_error_t err = NULL;
  int fd, ret;

  if (unshare (CLONE_NEWUSER) < 0)
    tap_skip ("unshare (CLONE_NEWUSER): %s", strerror (errno));
  fd = open ("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
  tap_require (fd >= 0 && write (fd, "deny", 4) == 4, "write setgroups");
  close (fd);
  fd = open ("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
  tap_require (fd >= 0 && write (fd, "0 0 1", 5) == 5, "write uid_map: %s", strerror (errno));
  close (fd);
  fd = open ("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
  tap_require (fd >= 0 && write (fd, "0 0 1", 5) == 5, "write gid_map: %s", strerror (errno));
  close (fd);
  tap_require (setgroups (1, extra) < 0 && errno == EPERM, "setgroups is really denied");

  /* Call first: the arguments of tap_check are evaluated in no set order. */
  ret = libcrun_set_user (&p, &err);
  tap_check (ret == 0, "set_user: %s", err ? err->msg : "?");
  libcrun_error_release (&err);
}

static void
test_no_new_privs_off (void)
{
  struct oci_process p = { .no_new_privileges = false };
  libcrun_error_t err = NULL;

  tap_require (libcrun_apply_no_new_privs (&p, &err) == 0, "apply");
  tap_check (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0, "no_new_privs left alone");
}

static void
test_validate_capabilities (void)
{
  char *good[] = { "CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", NULL };
  char *bad[] = { "CAP_CHOWN", "CAP_FOO", NULL };
  char *bare[] = { "chown", NULL };
  char *number[] = { "5", NULL };
  struct oci_capabilities caps = { .bounding = good, .effective = good, .ambient = good };
  libcrun_error_t err = NULL;
  int ret;

  start_capture ();
  ret = libcrun_validate_capabilities (&caps, &err);
  tap_check (ret == 0, "valid: %s", err ? err->msg : "");
  libcrun_error_release (&err);
  tap_check (captured[0] == '\0', "no warning: %s", captured);
  tap_check (libcrun_validate_capabilities (NULL, &err) == 0, "absent is valid");

  caps.bounding = bad;
  tap_require (libcrun_validate_capabilities (&caps, &err) < 0, "CAP_FOO in bounding");
  tap_check (strcmp (err->msg, "`process.capabilities.bounding`: unknown capability `CAP_FOO`")
                 == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);

  caps.bounding = good;
  caps.ambient = bad;
  tap_require (libcrun_validate_capabilities (&caps, &err) < 0, "CAP_FOO in ambient");
  tap_check (strcmp (err->msg, "`process.capabilities.ambient`: unknown capability `CAP_FOO`") == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);

  caps.ambient = NULL;
  caps.permitted = bare;
  tap_require (libcrun_validate_capabilities (&caps, &err) < 0, "name without CAP_");
  tap_check (strcmp (err->msg, "`process.capabilities.permitted`: unknown capability `chown`") == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);

  caps.permitted = NULL;
  caps.inheritable = number;
  tap_require (libcrun_validate_capabilities (&caps, &err) < 0, "a number");
  tap_check (strcmp (err->msg, "`process.capabilities.inheritable`: unknown capability `5`") == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);
}

static void
test_apply_rejects_unknown_capability (void)
{
  char *bad[] = { "CAP_FOO", NULL };
  struct oci_capabilities caps = { .effective = bad };
  struct oci_process p = { .capabilities = &caps };
  libcrun_error_t err = NULL;

  tap_require (libcrun_apply_capabilities (&p, &err) < 0, "must fail");
  tap_check (strcmp (err->msg, "`process.capabilities.effective`: unknown capability `CAP_FOO`")
                 == 0,
             "message: %s", err->msg);
  libcrun_error_release (&err);
  /* Nothing was changed before the names were checked. */
  tap_check (status_mask ("CapBnd") != 0, "bounding set untouched");
}

/* When may a container's process pass the ptrace check on a non-dumpable
 * runtime process (so the front end runs from a sealed copy)? */
static void
test_may_ptrace_host (void)
{
  static const char base[]
      = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"process\":{\"user\":{\"uid\":0,"
        "\"gid\":0},\"args\":[\"x\"],\"cwd\":\"/\","
        "\"capabilities\":{\"bounding\":[%s]}},\"linux\":{\"namespaces\":[%s]}}";
  char *no_ptrace[] = { "CAP_KILL", NULL }, *ptrace[] = { "CAP_SYS_PTRACE", NULL };
  struct oci_capabilities with = { .bounding = ptrace }, without = { .bounding = no_ptrace };
  struct oci_process exec_with = { .capabilities = &with },
                     exec_without = { .capabilities = &without };
  struct
  {
    const char *caps, *ns;
    const struct oci_process *process;
    char **extra;
    bool want;
  } cases[] = {
    { "\"CAP_KILL\"", "{\"type\":\"pid\"}", NULL, NULL, false },
    { "\"CAP_SYS_PTRACE\"", "{\"type\":\"pid\"}", NULL, NULL, true },
    { "\"CAP_SYS_PTRACE\"", "{\"type\":\"user\"}", NULL, NULL, false },
    { "\"CAP_KILL\"", "{\"type\":\"pid\"}", NULL, ptrace, true },
    /* an exec --process file replaces the config's process */
    { "\"CAP_KILL\"", "{\"type\":\"pid\"}", &exec_with, NULL, true },
    { "\"CAP_SYS_PTRACE\"", "{\"type\":\"pid\"}", &exec_without, NULL, false },
    { "\"CAP_KILL\"", "{\"type\":\"user\"}", &exec_with, ptrace, false },
  };
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      char json[512];
      struct oci_config *c = NULL;
      libcrun_error_t err = NULL;
      snprintf (json, sizeof (json), base, cases[i].caps, cases[i].ns);
      tap_require (libcrun_config_load_string (json, "t", &c, &err) == 0, "case %zu: %s", i,
                   err ? err->msg : "?");
      tap_check (libcrun_config_may_ptrace_host (c, cases[i].process, cases[i].extra)
                     == cases[i].want,
                 "case %zu: want %d", i, cases[i].want);
      libcrun_config_free (c);
    }
}

int
main (void)
{
  TAP_RUN (test_rlimit_from_name);
  TAP_RUN (test_rlimits_applied);
  TAP_RUN (test_rlimit_above_hard_limit);
  TAP_RUN (test_oom_score_adj);
  TAP_RUN (test_capabilities_applied);
  TAP_RUN (test_capabilities_absent_means_none);
  TAP_RUN (test_ambient_without_inheritable_skipped);
  TAP_RUN (test_set_user_keeps_caps);
  TAP_RUN (test_default_umask);
  TAP_RUN (test_setgroups_denied);
  TAP_RUN (test_no_new_privs_off);
  TAP_RUN (test_validate_capabilities);
  TAP_RUN (test_apply_rejects_unknown_capability);
  TAP_RUN (test_may_ptrace_host);
  return tap_done ();
}
