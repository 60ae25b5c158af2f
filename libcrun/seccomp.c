/* linux.seccomp compiled with libseccomp into a BPF program, and loaded with
 * seccomp(2).  See seccomp.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "seccomp.h"
#include "log.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
/* libseccomp's header.  The build reaches libcrun/ headers with -iquote
 * only, so the angle form cannot find this module's own seccomp.h. */
#include <seccomp.h>
#ifndef SCMP_VER_MAJOR
#error "libseccomp's seccomp.h was not found"
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Guarded so that newer kernel headers win (values from linux/seccomp.h). */
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef __NR_seccomp
#define __NR_seccomp 317
#endif

/* seccomp(2) takes at most this many instructions (BPF_MAXINSNS). */
#define MAX_BPF_INSNS 4096
/* The errno of SCMP_ACT_ERRNO and the value of SCMP_ACT_TRACE live in the
 * low 16 bits of the action (SECCOMP_RET_DATA). */
#define MAX_ACTION_DATA 0xffffU
/* Syscall arguments a filter can compare: seccomp_data.args[6]. */
#define MAX_ARG_INDEX 5

static void
cleanup_seccomp_ctxp (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}
#define cleanup_seccomp_ctx __attribute__ ((cleanup (cleanup_seccomp_ctxp)))

/* ---------------------------------------------------------------- names */

struct name_value
{
  const char *name;
  unsigned int value;
};

static const struct name_value flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const struct name_value op_names[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static bool
lookup_name (const struct name_value *table, size_t n, const char *name, unsigned int *out)
{
  size_t i;

  if (name == NULL)
    return false;
  for (i = 0; i < n; i++)
    if (strcmp (table[i].name, name) == 0)
      {
        *out = table[i].value;
        return true;
      }
  return false;
}

/* Resolve an OCI action name.  errnoRet (default EPERM, as runc and crun)
 * is the errno of SCMP_ACT_ERRNO and the value SCMP_ACT_TRACE hands the
 * tracer; other actions carry no data, so it is ignored for them. */
static int
parse_action (const char *name, bool has_errno, unsigned int errno_ret, const char *field,
              const char *errno_field, uint32_t *out, libcrun_error_t *err)
{
  unsigned int data = has_errno ? errno_ret : EPERM;

  if (name == NULL)
    return libcrun_make_error (err, 0, "`%s`: missing action", field);

  if (strcmp (name, "SCMP_ACT_ERRNO") == 0 || strcmp (name, "SCMP_ACT_TRACE") == 0)
    {
      if (data > MAX_ACTION_DATA)
        return libcrun_make_error (err, 0, "`%s`: %u does not fit the 16 bits seccomp keeps",
                                   errno_field, data);
      if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
        *out = SCMP_ACT_ERRNO (data);
      else
        *out = SCMP_ACT_TRACE (data);
      return 0;
    }
  if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (name, "SCMP_ACT_NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return libcrun_make_error (err, 0, "`%s`: unknown action `%s`", field, name);
  return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64": the OCI names are libseccomp's
 * names upper-cased behind a prefix, for every architecture it supports. */
static int
parse_arch (const char *name, size_t idx, uint32_t *out, libcrun_error_t *err)
{
  static const char prefix[] = "SCMP_ARCH_";
  char lower[32];
  size_t i, n;

  if (name == NULL || strncmp (name, prefix, sizeof (prefix) - 1) != 0)
    goto unknown;
  n = strlen (name + sizeof (prefix) - 1);
  if (n == 0 || n >= sizeof (lower))
    goto unknown;
  for (i = 0; i <= n; i++)
    lower[i] = (char)tolower ((unsigned char)name[sizeof (prefix) - 1 + i]);
  *out = seccomp_arch_resolve_name (lower);
  if (*out == 0)
    goto unknown;
  return 0;

unknown:
  return libcrun_make_error (err, 0,
                             "`linux.seccomp.architectures[%zu]`: unknown architecture `%s`", idx,
                             name ? name : "(null)");
}

/* ----------------------------------------------------------- clone3 */

/* glibc's clone3-based fork and pthread_create only fall back to clone when
 * clone3 fails with ENOSYS; EPERM makes them fail outright. */
static void
warn_if_clone3_eperm (uint32_t action, const char *field)
{
  if (action == SCMP_ACT_ERRNO (EPERM))
    libcrun_warning ("seccomp: `%s`: clone3 answered with EPERM: glibc only falls back to clone "
                     "on ENOSYS, so fork and thread creation will fail; answer clone3 with "
                     "SCMP_ACT_ERRNO and errnoRet 38 (ENOSYS)",
                     field);
}

static bool
names_contain (char *const *names, const char *wanted)
{
  size_t i;

  for (i = 0; names && names[i]; i++)
    if (strcmp (names[i], wanted) == 0)
      return true;
  return false;
}

/* ------------------------------------------------------------- compile */

/* Check and convert the args of syscalls[i].  Returns the number of
 * comparisons and whether an argument index appears more than once. */
static int
parse_args (const struct oci_seccomp_syscall *sc, size_t i, struct scmp_arg_cmp *cmp,
            bool *repeated_index, libcrun_error_t *err)
{
  bool seen[MAX_ARG_INDEX + 1] = { false };
  size_t k;

  *repeated_index = false;
  for (k = 0; k < sc->n_args; k++)
    {
      const struct oci_seccomp_arg *a = &sc->args[k];
      unsigned int op;

      if (!lookup_name (op_names, sizeof (op_names) / sizeof (op_names[0]), a->op, &op))
        return libcrun_make_error (err, 0,
                                   "`linux.seccomp.syscalls[%zu].args[%zu].op`: unknown "
                                   "operator `%s`",
                                   i, k, a->op ? a->op : "(null)");
      if (a->index > MAX_ARG_INDEX)
        return libcrun_make_error (err, 0,
                                   "`linux.seccomp.syscalls[%zu].args[%zu].index`: %u is out of "
                                   "range (a syscall has arguments 0 to %d)",
                                   i, k, a->index, MAX_ARG_INDEX);
      if (seen[a->index])
        *repeated_index = true;
      seen[a->index] = true;

      cmp[k].arg = a->index;
      cmp[k].op = (enum scmp_compare)op;
      /* For SCMP_CMP_MASKED_EQ the OCI spec puts the mask in `value` and the
       * datum in `valueTwo`, which is libseccomp's datum_a/datum_b order:
       * (arg & datum_a) == datum_b.  Other operators only use datum_a. */
      cmp[k].datum_a = a->value;
      cmp[k].datum_b = a->value_two;
    }
  return 0;
}

static int
add_rules (scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *cmp, size_t n,
           bool repeated_index)
{
  size_t k;
  int ret;

  if (n == 0)
    return seccomp_rule_add (ctx, action, nr, 0);
  /* Comparisons of one rule are ANDed, and libseccomp refuses two of them
   * on the same argument.  Like runc, a profile that repeats an index gets
   * one rule per comparison, i.e. the comparisons are ORed. */
  if (repeated_index)
    {
      for (k = 0; k < n; k++)
        {
          ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmp[k]);
          if (ret < 0)
            return ret;
        }
      return 0;
    }
  return seccomp_rule_add_array (ctx, action, nr, (unsigned int)n, cmp);
}

/* The filter being compiled and what the syscall rules tell about it. */
struct seccomp_build
{
  scmp_filter_ctx ctx;
  uint32_t def_action;
  bool fail_unknown; /* run.oci.seccomp_fail_unknown_syscall */
  bool notify;       /* some action is SCMP_ACT_NOTIFY */
  bool clone3_seen;  /* some rule names clone3 */
};

/* One entry of linux.seccomp.syscalls, converted: its action and the
 * comparisons every one of its names gets. */
struct syscall_rule
{
  uint32_t action;
  const struct scmp_arg_cmp *cmp;
  size_t n_cmp;
  bool repeated_index;
};

/* clone3 can only be matched without args; a rule for it also decides
 * whether the default action needs the EPERM warning. */
static int
check_clone3 (struct seccomp_build *b, const struct oci_seccomp_syscall *sc, size_t i,
              uint32_t action, const char *field, libcrun_error_t *err)
{
  if (!names_contain (sc->names, "clone3"))
    return 0;
  /* The flags of clone3 are in a struct clone_args in the caller's
   * memory; seccomp only sees the syscall's register arguments (a
   * pointer and a size), so any comparison would be meaningless. */
  if (sc->n_args > 0)
    return libcrun_make_error (err, 0,
                               "`linux.seccomp.syscalls[%zu].args`: clone3 passes its flags "
                               "in a struct in memory (struct clone_args) that a seccomp "
                               "filter cannot read; match clone3 without args",
                               i);
  b->clone3_seen = true;
  warn_if_clone3_eperm (action, field);
  return 0;
}

/* The rule of syscalls[i] for its j-th name. */
static int
add_syscall_name (struct seccomp_build *b, const struct oci_seccomp_syscall *sc, size_t i, size_t j,
                  const struct syscall_rule *rule, libcrun_error_t *err)
{
  const char *name = sc->names[j];
  int nr = seccomp_syscall_resolve_name (name);
  int ret;

  if (nr == __NR_SCMP_ERROR)
    {
      if (b->fail_unknown)
        return libcrun_make_error (err, EINVAL,
                                   "`linux.seccomp.syscalls[%zu].names[%zu]`: unknown syscall "
                                   "`%s` (annotation run.oci.seccomp_fail_unknown_syscall)",
                                   i, j, name);
      /* Profiles list syscalls of newer kernels and other
       * architectures; crun skips what libseccomp does not know. */
      libcrun_warning ("seccomp: unknown syscall `%s` skipped", name);
      return 0;
    }
  /* libseccomp refuses a rule that repeats the default action, and it
   * would change nothing. */
  if (rule->action == b->def_action)
    {
      libcrun_debug ("seccomp: `%s` has the default action, no rule needed", name);
      return 0;
    }
  ret = add_rules (b->ctx, rule->action, nr, rule->cmp, rule->n_cmp, rule->repeated_index);
  if (ret < 0)
    return libcrun_make_error (err, -ret, "`linux.seccomp.syscalls[%zu]`: add rule for `%s`", i,
                               name);
  if (rule->action == SCMP_ACT_NOTIFY)
    b->notify = true;
  return 0;
}

static int
compile_syscall (struct seccomp_build *b, const struct oci_seccomp_syscall *sc, size_t i,
                 libcrun_error_t *err)
{
  cleanup_free struct scmp_arg_cmp *cmp = NULL;
  char field[64], errno_field[64];
  struct syscall_rule rule = { .n_cmp = sc->n_args };
  size_t j;
  int ret;

  snprintf (field, sizeof (field), "linux.seccomp.syscalls[%zu].action", i);
  snprintf (errno_field, sizeof (errno_field), "linux.seccomp.syscalls[%zu].errnoRet", i);
  ret = parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, field, errno_field,
                      &rule.action, err);
  if (ret < 0)
    return ret;

  cmp = xmalloc0 (sizeof (*cmp) * (sc->n_args ? sc->n_args : 1));
  ret = parse_args (sc, i, cmp, &rule.repeated_index, err);
  if (ret < 0)
    return ret;
  rule.cmp = cmp;

  ret = check_clone3 (b, sc, i, rule.action, field, err);
  if (ret < 0)
    return ret;

  for (j = 0; sc->names && sc->names[j]; j++)
    {
      ret = add_syscall_name (b, sc, i, j, &rule, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, void **out, size_t *len, libcrun_error_t *err)
{
  cleanup_close int fd = -1;
  char *buf = NULL;
  int ret;

  /* libseccomp 2.5 only exports to an fd; an anonymous memory file avoids
   * touching the file system. */
  fd = memfd_create ("seccomp-bpf", MFD_CLOEXEC);
  if (fd < 0)
    return libcrun_make_error (err, errno, "memfd_create for the seccomp program");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return libcrun_make_error (err, -ret, "seccomp_export_bpf");
  if (lseek (fd, 0, SEEK_SET) < 0)
    return libcrun_make_error (err, errno, "lseek on the seccomp program");
  ret = read_all_fd (fd, "seccomp program", &buf, len, err);
  if (ret < 0)
    return ret;
  *out = buf;
  return 0;
}

static int
parse_flags (const struct oci_seccomp *s, unsigned int *flags, libcrun_error_t *err)
{
  size_t i;

  for (i = 0; s->flags && s->flags[i]; i++)
    {
      unsigned int f;
      if (!lookup_name (flag_names, sizeof (flag_names) / sizeof (flag_names[0]), s->flags[i], &f))
        return libcrun_make_error (err, 0, "`linux.seccomp.flags[%zu]`: unknown flag `%s`", i,
                                   s->flags[i]);
      *flags |= f;
    }
  return 0;
}

/* A new filter with the default action, in *ctx (which the caller
 * releases). */
static int
new_filter (const struct oci_seccomp *s, struct seccomp_build *b, scmp_filter_ctx *ctx,
            libcrun_error_t *err)
{
  int ret;

  ret = parse_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                      "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet",
                      &b->def_action, err);
  if (ret < 0)
    return ret;

  *ctx = seccomp_init (b->def_action);
  if (*ctx == NULL)
    return libcrun_make_error (err, 0, "`linux.seccomp.defaultAction`: libseccomp refuses `%s`",
                               s->default_action);
  b->ctx = *ctx;
  if (b->def_action == SCMP_ACT_NOTIFY)
    b->notify = true;

  /* The runtime sets no_new_privs itself when the configuration asks for
   * it; libseccomp must not force it (it only matters for seccomp_load, but
   * say it explicitly). */
  ret = seccomp_attr_set (*ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    return libcrun_make_error (err, -ret, "seccomp_attr_set (SCMP_FLTATR_CTL_NNP)");
  return 0;
}

static int
add_architectures (scmp_filter_ctx ctx, const struct oci_seccomp *s, libcrun_error_t *err)
{
  size_t i;
  int ret;

  for (i = 0; s->architectures && s->architectures[i]; i++)
    {
      uint32_t arch;
      ret = parse_arch (s->architectures[i], i, &arch, err);
      if (ret < 0)
        return ret;
      ret = seccomp_arch_add (ctx, arch);
      /* The native architecture is always in a new filter. */
      if (ret < 0 && ret != -EEXIST)
        return libcrun_make_error (err, -ret, "`linux.seccomp.architectures[%zu]`: add `%s`", i,
                                   s->architectures[i]);
    }
  return 0;
}

int
libcrun_seccomp_compile (const struct oci_seccomp *s, struct libcrun_seccomp_program *out,
                         libcrun_error_t *err)
{
  cleanup_seccomp_ctx scmp_filter_ctx ctx = NULL;
  struct seccomp_build b = { 0 };
  unsigned int flags = 0;
  size_t i;
  int ret;

  memset (out, 0, sizeof (*out));
  if (s == NULL)
    return libcrun_make_error (err, 0, "`linux.seccomp`: no profile to compile");
  b.fail_unknown = s->fail_unknown_syscall;

  ret = parse_flags (s, &flags, err);
  if (ret < 0)
    return ret;
  ret = new_filter (s, &b, &ctx, err);
  if (ret < 0)
    return ret;
  ret = add_architectures (ctx, s, err);
  if (ret < 0)
    return ret;

  for (i = 0; i < s->n_syscalls; i++)
    {
      ret = compile_syscall (&b, &s->syscalls[i], i, err);
      if (ret < 0)
        return ret;
    }

  if (!b.clone3_seen)
    warn_if_clone3_eperm (b.def_action, "linux.seccomp.defaultAction");

  /* The kernel only accepts this flag together with a listener. */
  if ((flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) && !b.notify)
    return libcrun_make_error (err, 0,
                               "`linux.seccomp.flags`: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV "
                               "needs a rule with SCMP_ACT_NOTIFY");

  ret = export_bpf (ctx, &out->bpf, &out->len, err);
  if (ret < 0)
    return ret;
  out->flags = flags;
  out->notify = b.notify;
  return 0;
}

/* ---------------------------------------------------------------- load */

int
libcrun_seccomp_load (const struct libcrun_seccomp_program *prog, int *listener_fd,
                      libcrun_error_t *err)
{
  struct sock_fprog fprog;
  unsigned int flags;
  size_t n;
  long ret;

  if (listener_fd)
    *listener_fd = -1;
  if (prog == NULL || prog->bpf == NULL || prog->len == 0
      || prog->len % sizeof (struct sock_filter) != 0)
    return libcrun_make_error (err, EINVAL, "load seccomp: the program is empty or truncated");
  n = prog->len / sizeof (struct sock_filter);
  if (n > MAX_BPF_INSNS)
    return libcrun_make_error (err, E2BIG,
                               "load seccomp: the program has %zu instructions, the kernel takes "
                               "at most %d",
                               n, MAX_BPF_INSNS);

  fprog.len = (unsigned short)n;
  fprog.filter = prog->bpf;

  flags = prog->flags;
  if (prog->notify)
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      /* TSYNC reports a failing thread through the return value, which the
       * listener fd also uses; the kernel only takes both with TSYNC_ESRCH. */
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }

  ret = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (ret < 0)
    {
      if (errno == EACCES)
        return libcrun_make_error (err, errno,
                                   "load seccomp: needs no_new_privileges or CAP_SYS_ADMIN");
      if (errno == EINVAL)
        return libcrun_make_error (err, errno,
                                   "load seccomp with flags 0x%x (a flag the running kernel "
                                   "does not support, or an invalid program)",
                                   flags);
      return libcrun_make_error (err, errno, "load seccomp");
    }

  if (prog->notify)
    {
      /* The kernel creates the listener with O_CLOEXEC already. */
      if (listener_fd)
        *listener_fd = (int)ret;
      else
        close ((int)ret);
      return 0;
    }
  if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && ret > 0)
    return libcrun_make_error (err, 0, "load seccomp: thread %ld could not be synchronized", ret);
  return 0;
}

const char *
libcrun_seccomp_flag_name (size_t i, bool *supported)
{
  unsigned int f;
  long r;

  if (i >= sizeof (flag_names) / sizeof (flag_names[0]))
    return NULL;
  /* The kernel checks the flags before it reads the (NULL) program: an
   * unknown one is EINVAL, a known one gets further (EFAULT, EACCES). */
  f = flag_names[i].value;
  if (f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    f |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  r = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, f, NULL);
  *supported = r < 0 && errno != EINVAL;
  return flag_names[i].name;
}

void
libcrun_seccomp_program_free (struct libcrun_seccomp_program *prog)
{
  if (prog == NULL)
    return;
  free (prog->bpf);
  prog->bpf = NULL;
  prog->len = 0;
  prog->flags = 0;
  prog->notify = false;
}
