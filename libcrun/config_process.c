/* config.json's `process` (and a lone process object, `crun exec
 * --process`): the command, the user, capabilities, rlimits, and the
 * attributes set with sched_setattr and ioprio_set, checked as the kernel
 * would check them. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"
#include "security.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* user, capabilities, rlimits                                              */

/* user.additionalGids */
static int
parse_additional_gids (struct parser *p, yajl_val obj, struct oci_user *u)
{
  yajl_val gids;
  uint64_t n = 0;
  size_t i, mark, mark2;
  int ret = cfg_get_array (p, obj, "additionalGids", false, &gids);

  if (ret < 0 || gids == NULL)
    return ret;
  u->n_additional_gids = gids->u.array.len;
  u->additional_gids = cfg_alloc_array (u->n_additional_gids, sizeof (gid_t));
  mark = cfg_enter_key (p, "additionalGids");
  for (i = 0; i < gids->u.array.len && ret == 0; i++)
    {
      mark2 = cfg_enter_index (p, i);
      ret = cfg_read_uint (p, gids->u.array.values[i], UINT32_MAX - 1, &n);
      cfg_leave (p, mark2);
      u->additional_gids[i] = (gid_t)n;
    }
  cfg_leave (p, mark);
  return ret;
}

static int
parse_user (struct parser *p, yajl_val obj, struct oci_user *u)
{
  uint64_t n = 0;
  bool has = false;
  int ret;

  /* (uid_t) -1 means "leave unchanged" to setresuid(): as a container user
   * it would silently keep the runtime's identity, so it is out of range. */
  ret = cfg_get_uint (p, obj, "uid", true, UINT32_MAX - 1, &n, NULL);
  if (ret < 0)
    return ret;
  u->uid = (uid_t)n;
  ret = cfg_get_uint (p, obj, "gid", true, UINT32_MAX - 1, &n, NULL);
  if (ret < 0)
    return ret;
  u->gid = (gid_t)n;
  /* umask(2) only looks at the permission bits. */
  ret = cfg_get_uint (p, obj, "umask", false, 0777, &n, &has);
  if (ret < 0)
    return ret;
  u->has_umask = has;
  u->umask = (mode_t)n;

  ret = parse_additional_gids (p, obj, u);
  if (ret < 0)
    return ret;
  return cfg_get_string (p, obj, "username", false, &u->username);
}

static int
parse_capabilities (struct parser *p, yajl_val obj, struct oci_capabilities *c)
{
  int ret;

  ret = cfg_get_strv (p, obj, "bounding", false, &c->bounding);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "effective", false, &c->effective);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "inheritable", false, &c->inheritable);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "permitted", false, &c->permitted);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "ambient", false, &c->ambient);
  return ret;
}

/* rlimits[i]; the ones before it are checked for the same type. */
static int
parse_rlimit (struct parser *p, yajl_val obj, void *array, size_t i)
{
  struct oci_rlimit *prev = array, *r = &prev[i];
  size_t j, mark;
  int ret;

  ret = cfg_get_string (p, obj, "type", true, &r->type);
  if (ret < 0)
    return ret;
  r->resource = libcrun_rlimit_from_name (r->type);
  mark = cfg_enter_key (p, "type");
  if (r->resource < 0)
    ret = cfg_fail (p, "unknown rlimit `%s`", r->type);
  /* The spec requires an error for a type given twice. */
  for (j = 0; ret == 0 && j < i; j++)
    if (prev[j].resource == r->resource)
      ret = cfg_fail (p, "duplicate rlimit `%s`", r->type);
  cfg_leave (p, mark);
  if (ret < 0)
    return ret;

  ret = cfg_get_uint (p, obj, "hard", true, UINT64_MAX, &r->hard, NULL);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "soft", true, UINT64_MAX, &r->soft, NULL);
  if (ret == 0 && r->soft > r->hard)
    {
      /* setrlimit(2) would refuse it with EINVAL in the container. */
      ret = cfg_fail_at (p, "soft", "must not be greater than hard (%" PRIu64 ")", r->hard);
    }
  return ret;
}

/* ------------------------------------------------------------------------ */
/* process.scheduler, process.ioPriority                                    */

static const struct named_value sched_policies[]
    = { { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },      { "SCHED_BATCH", 3 },
        { "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 } };
static const struct named_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

/* A sysctl of the deadline scheduler in microseconds, or `dflt`. */
static uint64_t
dl_sysctl_us (const char *name, uint64_t dflt)
{
  cleanup_free char *path = xasprintf ("/proc/sys/kernel/%s", name);
  char buf[32] = { 0 };
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0 || read (fd, buf, sizeof (buf) - 1) <= 0)
    return dflt;
  return strtoull (buf, NULL, 10);
}

/* What sched_setattr would refuse for SCHED_DEADLINE (kernel
 * __checkparam_dl): said before the container starts, naming the field. */
static int
check_deadline (struct parser *p, const struct oci_scheduler *s)
{
  uint64_t period = s->period ? s->period : s->deadline;
  uint64_t min_ns = dl_sysctl_us ("sched_deadline_period_min_us", 100) * 1000;
  uint64_t max_ns = dl_sysctl_us ("sched_deadline_period_max_us", 4194304) * 1000;
  const char *key = NULL, *why = NULL;

  if (s->deadline == 0)
    key = "deadline", why = "must be set (non-zero) for SCHED_DEADLINE";
  else if (s->runtime < 1024)
    key = "runtime", why = "must be at least 1024 (ns) for SCHED_DEADLINE";
  else if (s->runtime > s->deadline)
    key = "runtime", why = "must not exceed deadline (runtime <= deadline <= period)";
  else if (s->period && s->period < s->deadline)
    key = "period", why = "must not be below deadline (runtime <= deadline <= period)";
  else if ((s->deadline | s->period) >> 63)
    key = s->deadline >> 63 ? "deadline" : "period", why = "must be below 2^63";
  else if (period < min_ns || period > max_ns)
    key = s->period ? "period" : "deadline",
    why = "outside the kernel's sched_deadline_period_min_us .. sched_deadline_period_max_us";
  if (key == NULL)
    return 0;
  return cfg_fail_at (p, key, "%s", why);
}

/* The fields of the scheduler object, each as sched_setattr takes it. */
static int
read_scheduler_fields (struct parser *p, yajl_val obj, struct oci_scheduler *s)
{
  uint64_t v = 0;
  int64_t sn = 0;
  int ret = cfg_get_named (p, obj, "policy", true, sched_policies, CFG_N_NAMES (sched_policies), &v,
                           NULL);

  s->policy = (unsigned int)v;
  if (ret == 0 && s->policy == 4)
    ret = cfg_fail_at (p, "policy", "SCHED_ISO is not implemented by Linux");
  if (ret == 0)
    ret = cfg_get_int (p, obj, "nice", false, -20, 19, &sn, NULL);
  s->nice = (int)sn;
  sn = 0;
  if (ret == 0)
    ret = cfg_get_int (p, obj, "priority", false, 0, 99, &sn, NULL);
  s->priority = (unsigned int)sn;
  if (ret == 0)
    ret = cfg_get_named_flags (p, obj, "flags", sched_flags, CFG_N_NAMES (sched_flags), &s->flags);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "runtime", false, UINT64_MAX, &s->runtime, NULL);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "deadline", false, UINT64_MAX, &s->deadline, NULL);
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "period", false, UINT64_MAX, &s->period, NULL);
  return ret;
}

static int
parse_scheduler (struct parser *p, yajl_val obj, struct oci_scheduler *s)
{
  int ret = read_scheduler_fields (p, obj, s);

  if (ret < 0)
    return ret;
  /* sched_setattr: FIFO and RR take a priority of 1..99, the others 0 */
  if ((s->policy == 1 || s->policy == 2) != (s->priority != 0))
    return cfg_fail_at (p, "priority", "%s",
                        s->priority ? "must be 0 unless the policy is SCHED_FIFO or SCHED_RR"
                                    : "must be 1..99 for SCHED_FIFO and SCHED_RR");
  if (s->policy == 6)
    return check_deadline (p, s);
  return 0;
}

static const struct named_value io_classes[]
    = { { "IOPRIO_CLASS_RT", 1 }, { "IOPRIO_CLASS_BE", 2 }, { "IOPRIO_CLASS_IDLE", 3 } };

static int
parse_io_priority (struct parser *p, yajl_val obj, struct oci_io_priority *io)
{
  uint64_t v = 0;
  int64_t sn = 0;
  int ret = cfg_get_named (p, obj, "class", true, io_classes, CFG_N_NAMES (io_classes), &v, NULL);

  io->ioclass = (int)v;
  if (ret == 0)
    ret = cfg_get_int (p, obj, "priority", false, 0, 7, &sn, NULL);
  io->priority = (int)sn;
  return ret;
}

/* ------------------------------------------------------------------------ */
/* The process object                                                       */

static int
parse_console_size (struct parser *p, yajl_val obj, struct oci_process *proc)
{
  uint64_t n = 0;
  int ret = cfg_get_uint (p, obj, "height", true, UINT_MAX, &n, NULL);

  proc->console_height = (unsigned int)n;
  if (ret == 0)
    ret = cfg_get_uint (p, obj, "width", true, UINT_MAX, &n, NULL);
  proc->console_width = (unsigned int)n;
  if (ret == 0)
    proc->has_console_size = true;
  return ret;
}

/* What runs, as whom and where. */
static int
parse_command (struct parser *p, yajl_val obj, struct oci_process *proc)
{
  int ret = cfg_get_bool (p, obj, "terminal", &proc->terminal);

  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, obj, "consoleSize", false, parse_console_size, proc);
  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, obj, "user", true, parse_user, &proc->user);
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "args", true, &proc->args);
  if (ret == 0 && proc->args[0] == NULL)
    ret = cfg_fail_at (p, "args", "must not be empty");
  if (ret == 0)
    ret = cfg_get_strv (p, obj, "env", false, &proc->env);
  if (ret == 0)
    ret = cfg_get_abs_path (p, obj, "cwd", true, &proc->cwd);
  return ret;
}

/* Privileges, limits and the attributes of the process. */
static int
parse_attributes (struct parser *p, yajl_val obj, struct oci_process *proc)
{
  int64_t sn = 0;
  bool has = false;
  int ret;

  ret = CFG_PARSE_OPTIONAL_OBJECT (p, obj, "capabilities", &proc->capabilities, parse_capabilities);
  if (ret == 0)
    ret = CFG_PARSE_ARRAY (p, obj, "rlimits", &proc->rlimits, &proc->n_rlimits, parse_rlimit);
  if (ret == 0)
    ret = cfg_get_bool (p, obj, "noNewPrivileges", &proc->no_new_privileges);
  /* The range /proc/PID/oom_score_adj accepts. */
  if (ret == 0)
    ret = cfg_get_int (p, obj, "oomScoreAdj", false, -1000, 1000, &sn, &has);
  if (ret < 0)
    return ret;
  proc->has_oom_score_adj = has;
  proc->oom_score_adj = (int)sn;

  ret = cfg_get_string (p, obj, "apparmorProfile", false, &proc->apparmor_profile);
  if (ret == 0)
    ret = cfg_get_string (p, obj, "selinuxLabel", false, &proc->selinux_label);
  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, obj, "scheduler", &proc->scheduler, parse_scheduler);
  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, obj, "ioPriority", &proc->io_priority, parse_io_priority);
  return ret;
}

int
cfg_parse_process (struct parser *p, yajl_val obj, struct oci_process *proc)
{
  int ret = parse_command (p, obj, proc);

  if (ret == 0)
    ret = parse_attributes (p, obj, proc);
  return ret;
}

void
libcrun_process_free (struct oci_process *proc)
{
  size_t i;

  if (proc == NULL)
    return;
  free (proc->user.additional_gids);
  free (proc->user.username);
  strv_free (proc->args);
  strv_free (proc->env);
  free (proc->cwd);
  if (proc->capabilities)
    {
      strv_free (proc->capabilities->bounding);
      strv_free (proc->capabilities->effective);
      strv_free (proc->capabilities->inheritable);
      strv_free (proc->capabilities->permitted);
      strv_free (proc->capabilities->ambient);
      free (proc->capabilities);
    }
  for (i = 0; i < proc->n_rlimits; i++)
    free (proc->rlimits[i].type);
  free (proc->rlimits);
  free (proc->apparmor_profile);
  free (proc->selinux_label);
  free (proc->scheduler);
  free (proc->io_priority);
  free (proc);
}
