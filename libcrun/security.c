/* Process security set-up: rlimits, oom_score_adj, user and groups,
 * capabilities and no_new_privileges.  See security.h for the order in which
 * the container's init calls these functions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "security.h"
#include "log.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Older glibc headers lack the ambient capability prctls (Linux 4.3). */
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#endif
#ifndef PR_CAP_AMBIENT_RAISE
#define PR_CAP_AMBIENT_RAISE 2
#endif
#ifndef PR_CAP_AMBIENT_CLEAR_ALL
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* runc and crun both give the container process this umask when the
 * configuration does not set one. */
#define DEFAULT_UMASK 0022

/* ---------------------------------------------------------------- rlimits */

struct rlimit_name
{
  const char *name;
  int resource;
};

static const struct rlimit_name rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

int
libcrun_rlimit_from_name (const char *name)
{
  size_t i;

  if (name == NULL)
    return -1;
  for (i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (strcmp (rlimit_names[i].name, name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static const char *
rlimit_name_of (int resource)
{
  size_t i;

  for (i = 0; i < sizeof (rlimit_names) / sizeof (rlimit_names[0]); i++)
    if (rlimit_names[i].resource == resource)
      return rlimit_names[i].name;
  return "RLIMIT_?";
}

/* Render a limit the way a user writes it: RLIM_INFINITY is the all-ones
 * value in config.json, but "unlimited" reads better in a message. */
static void
format_limit (char *buf, size_t size, uint64_t v)
{
  if (v == (uint64_t)RLIM_INFINITY)
    snprintf (buf, size, "unlimited");
  else
    snprintf (buf, size, "%" PRIu64, v);
}

int
libcrun_apply_rlimits (const struct oci_process *p, libcrun_error_t *err)
{
  size_t i;

  if (p == NULL)
    return 0;

  for (i = 0; i < p->n_rlimits; i++)
    {
      const struct oci_rlimit *r = &p->rlimits[i];
      struct rlimit cur, want;
      char soft[32], hard[32], cur_hard[32];
      const char *name;
      int resource;

      /* The name is what the user wrote; the parser already resolved it, but
       * a hand-built struct may only carry one of the two. */
      resource = r->type ? libcrun_rlimit_from_name (r->type) : r->resource;
      if (resource < 0)
        return libcrun_make_error (err, 0, "`process.rlimits[%zu].type`: unknown rlimit `%s`", i,
                                   r->type ? r->type : "(null)");
      name = r->type ? r->type : rlimit_name_of (resource);

      format_limit (soft, sizeof (soft), r->soft);
      format_limit (hard, sizeof (hard), r->hard);

      if (r->soft > r->hard)
        return libcrun_make_error (err, 0,
                                   "`process.rlimits[%zu]`: %s soft limit %s is above its hard "
                                   "limit %s",
                                   i, name, soft, hard);

      want.rlim_cur = (rlim_t)r->soft;
      want.rlim_max = (rlim_t)r->hard;
      if (setrlimit (resource, &want) == 0)
        continue;

      if (errno == EPERM && getrlimit (resource, &cur) == 0)
        {
          format_limit (cur_hard, sizeof (cur_hard), cur.rlim_max);
          return libcrun_make_error (err, EPERM,
                                     "`process.rlimits[%zu]`: setrlimit %s soft=%s hard=%s: cannot "
                                     "raise the hard limit above the current one (%s) without "
                                     "CAP_SYS_RESOURCE",
                                     i, name, soft, hard, cur_hard);
        }
      return libcrun_make_error (err, errno, "`process.rlimits[%zu]`: setrlimit %s soft=%s hard=%s",
                                 i, name, soft, hard);
    }
  return 0;
}

/* --------------------------------------------------------- oom_score_adj */

/* Written by a process outside the container's user namespace (the runtime
 * for the init, the exec helper before it joins the namespaces): the
 * runtime's processes are not dumpable (src/crun.c), so their /proc files
 * belong to the host's root, which a process inside a new user namespace
 * cannot open for writing.  The value is inherited by fork and kept by
 * setns and execve. */
int
libcrun_apply_oom_score_adj (pid_t pid, const struct oci_process *p, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  char path[64], buf[32];
  int len, ret;

  if (p == NULL || !p->has_oom_score_adj)
    return 0;

  if (pid > 0)
    snprintf (path, sizeof (path), "/proc/%d/oom_score_adj", pid);
  else
    snprintf (path, sizeof (path), "/proc/self/oom_score_adj");
  fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "`process.oomScoreAdj`: open `%s`", path);

  len = snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
  ret = write_all (fd, buf, (size_t)len);
  if (ret < 0)
    {
      /* The kernel refuses to go below the lowest value set by a privileged
       * writer unless the caller has CAP_SYS_RESOURCE: say so. */
      if (-ret == EACCES)
        return libcrun_make_error (err, EACCES,
                                   "`process.oomScoreAdj`: write %d to `%s`: lowering it needs "
                                   "CAP_SYS_RESOURCE",
                                   p->oom_score_adj, path);
      return libcrun_make_error (err, -ret, "`process.oomScoreAdj`: write %d to `%s`",
                                 p->oom_score_adj, path);
    }
  return 0;
}

/* ------------------------------------------------------------ user, groups */

/* In a user namespace whose gid_map was written without privilege,
 * /proc/self/setgroups reads "deny" and setgroups() always fails. */
static bool
setgroups_denied (void)
{
  cleanup_free char *content = NULL;
  libcrun_error_t tmp = NULL;
  size_t len;

  if (read_all_file ("/proc/self/setgroups", &content, &len, &tmp) < 0)
    {
      /* Kernels before 3.19 have no such file: setgroups is allowed. */
      libcrun_error_release (&tmp);
      return false;
    }
  return strncmp (content, "deny", 4) == 0;
}

/* Copy the permitted set into the effective set.  The kernel empties the
 * effective set when all uids become non-zero (even with KEEPCAPS), and the
 * next steps (dropping the bounding set needs CAP_SETPCAP) need them back. */
static int
raise_effective_to_permitted (libcrun_error_t *err)
{
  cap_t caps;
  cap_value_t v;
  cap_value_t max = cap_max_bits ();
  int ret;

  caps = cap_get_proc ();
  if (caps == NULL)
    return libcrun_make_error (err, errno, "read the process capabilities");
  for (v = 0; v < max; v++)
    {
      cap_flag_value_t f = CAP_CLEAR;
      if (cap_get_flag (caps, v, CAP_PERMITTED, &f) == 0 && f == CAP_SET)
        cap_set_flag (caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
    }
  ret = cap_set_proc (caps);
  if (ret < 0)
    ret = libcrun_make_error (err, errno, "restore the effective capabilities");
  cap_free (caps);
  return ret;
}

int
libcrun_set_user (const struct oci_process *p, libcrun_error_t *err)
{
  const struct oci_user *u;
  uid_t uid;
  gid_t gid;
  int ret;

  if (p == NULL)
    return 0;
  u = &p->user;
  uid = u->uid;
  gid = u->gid;

  /* Groups first, while we still have CAP_SETGID; an empty list still has to
   * be set so that the host's supplementary groups do not leak in (unless
   * crun's run.oci.keep_original_groups asks to keep them). */
  if (p->keep_original_groups)
    libcrun_debug ("run.oci.keep_original_groups: setgroups skipped");
  else if (!setgroups_denied ())
    {
      if (setgroups (u->n_additional_gids, u->additional_gids) < 0)
        return libcrun_make_error (err, errno,
                                   "`process.user.additionalGids`: setgroups (%zu groups)",
                                   u->n_additional_gids);
    }
  else if (u->n_additional_gids > 0)
    libcrun_debug ("setgroups is denied in this user namespace: additionalGids ignored");

  if (setresgid (gid, gid, gid) < 0)
    return libcrun_make_error (err, errno, "`process.user.gid`: setresgid (%u)", (unsigned)gid);

  /* Keep the permitted set across the uid change: without KEEPCAPS the
   * kernel clears it when every uid leaves 0, and the capabilities the
   * configuration grants to a non-root user would be lost.  The sets are
   * narrowed to the configuration's ones by libcrun_apply_capabilities,
   * which runs next and needs CAP_SETPCAP to drop the bounding set. */
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return libcrun_make_error (err, errno, "prctl (PR_SET_KEEPCAPS)");

  if (setresuid (uid, uid, uid) < 0)
    {
      int saved = errno;
      prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0);
      return libcrun_make_error (err, saved, "`process.user.uid`: setresuid (%u)", (unsigned)uid);
    }

  /* KEEPCAPS is only needed for the switch itself; leaving it set would let
   * a later setuid in the container keep capabilities unexpectedly. */
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return libcrun_make_error (err, errno, "prctl (PR_SET_KEEPCAPS, 0)");

  ret = raise_effective_to_permitted (err);
  if (ret < 0)
    return libcrun_error_wrap (err, "`process.user.uid`: after setresuid (%u)", (unsigned)uid);

  umask (u->has_umask ? u->umask : DEFAULT_UMASK);
  return 0;
}

/* ----------------------------------------------------------- capabilities */

struct cap_masks
{
  uint64_t bounding;
  uint64_t effective;
  uint64_t inheritable;
  uint64_t permitted;
  uint64_t ambient;
};

/* Resolve one set of names.  A name must be written "CAP_..." (libcap also
 * accepts bare numbers, which config.json must not use) and known to libcap.
 * A capability libcap knows but the running kernel does not is skipped:
 * reported as a warning at validation time (create), quietly afterwards. */
static int
parse_cap_set (char *const *names, const char *set, uint64_t *mask, bool warn, libcrun_error_t *err)
{
  cap_value_t max = cap_max_bits ();
  size_t i;

  *mask = 0;
  for (i = 0; names && names[i]; i++)
    {
      cap_value_t v;

      if (strncmp (names[i], "CAP_", 4) != 0 || cap_from_name (names[i], &v) < 0)
        return libcrun_make_error (err, 0, "`process.capabilities.%s`: unknown capability `%s`",
                                   set, names[i]);
      if (v >= max || v >= 64)
        {
          if (warn)
            libcrun_warning ("`process.capabilities.%s`: capability `%s` is not supported by the "
                             "running kernel, skipped",
                             set, names[i]);
          else
            libcrun_debug ("capability `%s` unknown to the kernel, skipped", names[i]);
          continue;
        }
      *mask |= UINT64_C (1) << v;
    }
  return 0;
}

static int
parse_caps (const struct oci_capabilities *caps, struct cap_masks *m, bool warn,
            libcrun_error_t *err)
{
  int ret;

  memset (m, 0, sizeof (*m));
  /* As crun does: no "capabilities" object means every set is empty. */
  if (caps == NULL)
    return 0;

  ret = parse_cap_set (caps->bounding, "bounding", &m->bounding, warn, err);
  if (ret == 0)
    ret = parse_cap_set (caps->effective, "effective", &m->effective, warn, err);
  if (ret == 0)
    ret = parse_cap_set (caps->inheritable, "inheritable", &m->inheritable, warn, err);
  if (ret == 0)
    ret = parse_cap_set (caps->permitted, "permitted", &m->permitted, warn, err);
  if (ret == 0)
    ret = parse_cap_set (caps->ambient, "ambient", &m->ambient, warn, err);
  return ret;
}

int
libcrun_validate_capabilities (const struct oci_capabilities *caps, libcrun_error_t *err)
{
  struct cap_masks m;

  return parse_caps (caps, &m, true, err);
}

/* A capability's name for messages; cap_to_name allocates. */
static void
cap_name (cap_value_t v, char *buf, size_t size)
{
  char *n = cap_to_name (v);

  size_t i;

  /* libcap spells names in lower case; config.json uses upper case. */
  snprintf (buf, size, "%s", n ? n : "?");
  for (i = 0; buf[i]; i++)
    buf[i] = (char)toupper ((unsigned char)buf[i]);
  if (n)
    cap_free (n);
}

static int
set_flag_from_mask (cap_t c, cap_flag_t flag, uint64_t mask)
{
  cap_value_t v;

  for (v = 0; v < 64; v++)
    if (mask & (UINT64_C (1) << v))
      if (cap_set_flag (c, flag, 1, &v, CAP_SET) < 0)
        return -1;
  return 0;
}

/* Narrow the bounding set to the capabilities in bounding. */
static int
drop_bounding (uint64_t bounding, cap_value_t max, libcrun_error_t *err)
{
  cap_value_t v;

  for (v = 0; v < max && v < 64; v++)
    {
      if (bounding & (UINT64_C (1) << v))
        continue;
      /* Already gone (or unknown to the kernel): nothing to drop. */
      if (cap_get_bound (v) <= 0)
        continue;
      if (cap_drop_bound (v) < 0)
        {
          char name[64];
          cap_name (v, name, sizeof (name));
          return libcrun_make_error (err, errno,
                                     "`process.capabilities.bounding`: drop `%s` from the bounding "
                                     "set",
                                     name);
        }
    }
  return 0;
}

/* The effective, permitted and inheritable sets, in one cap_set_proc. */
static int
set_process_caps (const struct cap_masks *m, libcrun_error_t *err)
{
  cap_t c = cap_init ();

  if (c == NULL)
    return libcrun_make_error (err, errno, "cap_init");
  if (set_flag_from_mask (c, CAP_EFFECTIVE, m->effective) < 0
      || set_flag_from_mask (c, CAP_PERMITTED, m->permitted) < 0
      || set_flag_from_mask (c, CAP_INHERITABLE, m->inheritable) < 0)
    {
      int saved = errno;
      cap_free (c);
      return libcrun_make_error (err, saved, "build the capability sets");
    }
  if (cap_set_proc (c) < 0)
    {
      int saved = errno;
      cap_free (c);
      /* EPERM here means a set asks for more than is allowed: effective
       * outside permitted, or permitted/inheritable outside what the process
       * holds (the bounding set was just narrowed). */
      return libcrun_make_error (err, saved,
                                 "`process.capabilities`: set effective/permitted/inheritable "
                                 "(effective must be within permitted, and permitted within the "
                                 "capabilities the runtime holds)");
    }
  cap_free (c);
  return 0;
}

/* Ambient last: a capability can only be raised there when it is already
 * both permitted and inheritable.  Clear first so nothing inherited from
 * the runtime survives. */
static int
set_ambient (const struct cap_masks *m, cap_value_t max, libcrun_error_t *err)
{
  cap_value_t v;

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    {
      /* Kernels without ambient capabilities: fine if none are wanted. */
      if (errno == EINVAL && m->ambient == 0)
        return 0;
      return libcrun_make_error (err, errno, "clear the ambient capabilities");
    }
  for (v = 0; v < max && v < 64; v++)
    {
      if (!(m->ambient & (UINT64_C (1) << v)))
        continue;
      /* The kernel keeps only ambient capabilities that are also permitted
       * and inheritable.  Configs written for runc/crun list ambient caps
       * without inheritable ones (runc's default spec does): like crun,
       * skip those instead of failing the container. */
      if (!(m->inheritable & m->permitted & (UINT64_C (1) << v)))
        {
          char name[64];
          cap_name (v, name, sizeof (name));
          libcrun_debug ("ambient capability `%s` skipped: not permitted and inheritable", name);
          continue;
        }
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)v, 0, 0) < 0)
        {
          char name[64];
          cap_name (v, name, sizeof (name));
          return libcrun_make_error (err, errno,
                                     "`process.capabilities.ambient`: raise `%s` (an ambient "
                                     "capability must also be permitted and inheritable)",
                                     name);
        }
    }
  return 0;
}

int
libcrun_apply_capabilities (const struct oci_process *p, libcrun_error_t *err)
{
  struct cap_masks m;
  cap_value_t max = cap_max_bits ();
  int ret;

  if (p == NULL)
    return 0;

  ret = parse_caps (p->capabilities, &m, false, err);
  if (ret < 0)
    return ret;

  /* Dropping from the bounding set needs CAP_SETPCAP in the effective set;
   * make sure whatever is permitted is effective before narrowing. */
  ret = raise_effective_to_permitted (err);
  if (ret < 0)
    return ret;

  if (drop_bounding (m.bounding, max, err) < 0 || set_process_caps (&m, err) < 0)
    return -1;
  return set_ambient (&m, max, err);
}

/* -------------------------------------------------------- no_new_privs */

int
libcrun_apply_no_new_privs (const struct oci_process *p, libcrun_error_t *err)
{
  if (p == NULL || !p->no_new_privileges)
    return 0;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return libcrun_make_error (err, errno,
                               "`process.noNewPrivileges`: prctl (PR_SET_NO_NEW_PRIVS)");
  return 0;
}

/* ------------------------------------------------ the runtime binary */

static bool
strv_has (char **v, const char *s)
{
  for (; v && *v; v++)
    if (strcmp (*v, s) == 0)
      return true;
  return false;
}

static bool
caps_have (const struct oci_capabilities *c, const char *cap)
{
  return c
         && (strv_has (c->bounding, cap) || strv_has (c->effective, cap)
             || strv_has (c->permitted, cap) || strv_has (c->inheritable, cap)
             || strv_has (c->ambient, cap));
}

int
libcrun_refuse_lsm_labels (const char *apparmor, const char *apparmor_what, const char *label,
                           const char *label_what, libcrun_error_t *err)
{
  if (apparmor)
    {
      if (access ("/sys/kernel/security/apparmor", F_OK) < 0)
        return libcrun_make_error (err, 0, "%s `%s`: AppArmor is not enabled on this kernel",
                                   apparmor_what, apparmor);
      return libcrun_make_error (err, ENOTSUP, "%s `%s`: AppArmor profiles are not supported",
                                 apparmor_what, apparmor);
    }
  if (label)
    {
      if (access ("/sys/fs/selinux", F_OK) < 0)
        return libcrun_make_error (err, 0, "%s `%s`: SELinux is not enabled on this kernel",
                                   label_what, label);
      return libcrun_make_error (err, ENOTSUP, "%s `%s`: SELinux labels are not supported",
                                 label_what, label);
    }
  return 0;
}

bool
libcrun_config_may_ptrace_host (const struct oci_config *c, const struct oci_process *process,
                                char **extra_caps)
{
  const struct oci_process *p = process ? process : c->process;
  if (oci_config_namespace (c, CLONE_NEWUSER) != NULL)
    return false;
  return strv_has (extra_caps, "CAP_SYS_PTRACE")
         || (p && caps_have (p->capabilities, "CAP_SYS_PTRACE"));
}

/* ------------------------------------------------------------------ HOME */

/* The home directory of uid in the container's /etc/passwd, read as a plain
 * file (getpwuid would load the container's NSS modules into the runtime);
 * "/" when there is none. */
static char *
home_for_uid (uid_t uid)
{
  cleanup_free char *content = NULL;
  libcrun_error_t err = NULL;
  char *line, *save = NULL;

  if (read_all_file ("/etc/passwd", &content, NULL, &err) < 0)
    {
      libcrun_error_release (&err);
      return xstrdup ("/");
    }
  for (line = strtok_r (content, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* name:password:uid:gid:gecos:home:shell */
      char *f[7] = { NULL };
      char *p = line;
      long id;
      int i;
      for (i = 0; i < 7 && p; i++)
        {
          f[i] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (i >= 6 && parse_long (f[2], &id) == 0 && id == (long)uid && f[5][0] == '/')
        return xstrdup (f[5]);
    }
  return xstrdup ("/");
}

char **
libcrun_env_with_home (char *const *env, uid_t uid)
{
  char **out = strv_dup (env);

  if (env_lookup (env, "HOME"))
    return out;
  {
    cleanup_free char *home = home_for_uid (uid);
    cleanup_free char *kv = xasprintf ("HOME=%s", home);
    strv_append (&out, kv);
  }
  return out;
}
