/* Unit tests of libcrun/seccomp.c.  Every test runs in its own forked child
 * (tap.h), so the filters are really loaded and their effect observed. */
#include "tap.h"
#include "log_capture.h"
#include "seccomp.h"
#include "log.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1U << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1U << 2)
#endif

/* Compile then load in this (test) process; the test stops on failure. */
static void
compile_and_load (const struct oci_seccomp *s, int *listener)
{
  struct libcrun_seccomp_program prog;
  libcrun_error_t err = NULL;
  int ret;

  ret = libcrun_seccomp_compile (s, &prog, &err);
  tap_require (ret == 0, "compile: %s", err ? err->msg : "?");
  /* Loading needs no_new_privs or CAP_SYS_ADMIN; set it so that the test
   * does not depend on the privileges it runs with. */
  tap_require (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
  ret = libcrun_seccomp_load (&prog, listener, &err);
  tap_require (ret == 0, "load: %s", err ? err->msg : "?");
  libcrun_seccomp_program_free (&prog);
}

/* Compile a profile that must fail; returns the message (owned by caller). */
static char *
compile_error (const struct oci_seccomp *s)
{
  struct libcrun_seccomp_program prog;
  libcrun_error_t err = NULL;
  char *msg;

  if (libcrun_seccomp_compile (s, &prog, &err) == 0)
    {
      libcrun_seccomp_program_free (&prog);
      return strdup ("(compiled without error)");
    }
  msg = strdup (err->msg);
  libcrun_error_release (&err);
  return msg;
}

static void
test_errno_actions (void)
{
  char *getpid_names[] = { "getpid", NULL };
  char *uname_names[] = { "uname", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = getpid_names, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = 38 },
    /* no errnoRet: EPERM */
    { .names = uname_names, .action = "SCMP_ACT_ERRNO" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 2 };
  struct utsname u;
  long r;

  compile_and_load (&s, NULL);

  errno = 0;
  r = syscall (SYS_getpid);
  tap_check (r == -1 && errno == ENOSYS, "getpid: %ld errno %d", r, errno);
  errno = 0;
  r = syscall (SYS_uname, &u);
  tap_check (r == -1 && errno == EPERM, "uname: %ld errno %d", r, errno);
  r = syscall (SYS_getppid);
  tap_check (r > 0, "getppid still allowed: %ld", r);
}

static void
test_args_rules (void)
{
  char *getpgid_names[] = { "getpgid", NULL };
  char *dup3_names[] = { "dup3", NULL };
  char *getprio_names[] = { "getpriority", NULL };
  /* Same index twice: one rule each, i.e. 111 OR 222. */
  struct oci_seccomp_arg getpgid_args[] = {
    { .index = 0, .value = 111, .op = "SCMP_CMP_EQ" },
    { .index = 0, .value = 222, .op = "SCMP_CMP_EQ" },
  };
  /* Different indexes: ANDed.  MASKED_EQ: value is the mask, valueTwo the
   * datum; the mask has an extra bit so that swapping the two would never
   * match and fail the test. */
  struct oci_seccomp_arg dup3_args[] = {
    { .index = 1, .value = 100, .op = "SCMP_CMP_EQ" },
    { .index = 2, .value = O_CLOEXEC | 1, .value_two = O_CLOEXEC, .op = "SCMP_CMP_MASKED_EQ" },
  };
  struct oci_seccomp_arg getprio_args[] = {
    { .index = 1, .value = 5000, .op = "SCMP_CMP_GT" },
  };
  struct oci_seccomp_syscall calls[] = {
    { .names = getpgid_names,
      .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true,
      .errno_ret = EOPNOTSUPP,
      .args = getpgid_args,
      .n_args = 2 },
    { .names = dup3_names,
      .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true,
      .errno_ret = EXDEV,
      .args = dup3_args,
      .n_args = 2 },
    { .names = getprio_names,
      .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true,
      .errno_ret = EL2HLT,
      .args = getprio_args,
      .n_args = 1 },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 3 };
  long r;

  compile_and_load (&s, NULL);

  errno = 0;
  r = syscall (SYS_getpgid, 111);
  tap_check (r == -1 && errno == EOPNOTSUPP, "getpgid(111): %ld errno %d", r, errno);
  errno = 0;
  r = syscall (SYS_getpgid, 222);
  tap_check (r == -1 && errno == EOPNOTSUPP, "getpgid(222): %ld errno %d", r, errno);
  r = syscall (SYS_getpgid, 0);
  tap_check (r >= 0, "getpgid(0) allowed: %ld errno %d", r, errno);

  errno = 0;
  r = syscall (SYS_dup3, 0, 100, O_CLOEXEC);
  tap_check (r == -1 && errno == EXDEV, "dup3(0, 100, O_CLOEXEC): %ld errno %d", r, errno);
  r = syscall (SYS_dup3, 0, 101, O_CLOEXEC);
  tap_check (r == 101, "dup3(0, 101, O_CLOEXEC) allowed: %ld errno %d", r, errno);
  r = syscall (SYS_dup3, 0, 100, 0);
  tap_check (r == 100, "dup3(0, 100, 0) allowed: %ld errno %d", r, errno);

  errno = 0;
  r = syscall (SYS_getpriority, PRIO_PROCESS, 6000);
  tap_check (r == -1 && errno == EL2HLT, "getpriority(6000): %ld errno %d", r, errno);
  errno = 0;
  r = syscall (SYS_getpriority, PRIO_PROCESS, 0);
  tap_check (r >= 0, "getpriority(0) allowed: %ld errno %d", r, errno);
}

static void
test_unknown_syscall_skipped (void)
{
  char *names[] = { "no_such_syscall_xyz", "getpid", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = names, .action = "SCMP_ACT_ERRNO", .has_errno_ret = true, .errno_ret = ENOSYS },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  long r;

  start_capture ();
  compile_and_load (&s, NULL);
  tap_check (strstr (captured, "1:seccomp: unknown syscall `no_such_syscall_xyz` skipped") != NULL,
             "warning captured: [%s]", captured);
  errno = 0;
  r = syscall (SYS_getpid);
  tap_check (r == -1 && errno == ENOSYS, "the known name still gets its rule: %ld errno %d", r,
             errno);
}

static void
test_errors_name_the_field (void)
{
  char *getpid_names[] = { "getpid", NULL };
  struct oci_seccomp_arg bad_op[] = {
    { .index = 0, .value = 1, .op = "SCMP_CMP_EQ" },
    { .index = 1, .value = 1, .op = "SCMP_CMP_FOO" },
  };
  struct oci_seccomp_arg bad_index[] = {
    { .index = 6, .value = 1, .op = "SCMP_CMP_EQ" },
  };
  struct oci_seccomp_syscall calls[4] = {
    { .names = getpid_names, .action = "SCMP_ACT_ERRNO" },
    { .names = getpid_names, .action = "SCMP_ACT_ERRNO" },
    { .names = getpid_names, .action = "SCMP_ACT_ERRNO" },
    { .names = getpid_names, .action = "SCMP_ACT_FOO" },
  };
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_FOO", NULL };
  char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 4 };
  char *msg;

  msg = compile_error (&s);
  tap_check (strcmp (msg, "`linux.seccomp.syscalls[3].action`: unknown action `SCMP_ACT_FOO`") == 0,
             "action: %s", msg);
  free (msg);

  s.n_syscalls = 1;
  s.default_action = "SCMP_ACT_BAR";
  msg = compile_error (&s);
  tap_check (strcmp (msg, "`linux.seccomp.defaultAction`: unknown action `SCMP_ACT_BAR`") == 0,
             "default action: %s", msg);
  free (msg);
  s.default_action = "SCMP_ACT_ALLOW";

  s.architectures = archs;
  msg = compile_error (&s);
  tap_check (strcmp (msg, "`linux.seccomp.architectures[1]`: unknown architecture "
                          "`SCMP_ARCH_FOO`")
                 == 0,
             "arch: %s", msg);
  free (msg);
  s.architectures = NULL;

  calls[0].args = bad_op;
  calls[0].n_args = 2;
  msg = compile_error (&s);
  tap_check (strcmp (msg, "`linux.seccomp.syscalls[0].args[1].op`: unknown operator "
                          "`SCMP_CMP_FOO`")
                 == 0,
             "op: %s", msg);
  free (msg);

  calls[0].args = bad_index;
  calls[0].n_args = 1;
  msg = compile_error (&s);
  tap_check (strstr (msg, "`linux.seccomp.syscalls[0].args[0].index`: 6 is out of range") == msg,
             "index: %s", msg);
  free (msg);
  calls[0].args = NULL;
  calls[0].n_args = 0;

  s.flags = flags;
  msg = compile_error (&s);
  tap_check (strcmp (msg, "`linux.seccomp.flags[1]`: unknown flag `SECCOMP_FILTER_FLAG_FOO`") == 0,
             "flag: %s", msg);
  free (msg);
  s.flags = NULL;

  calls[0].has_errno_ret = true;
  calls[0].errno_ret = 70000;
  msg = compile_error (&s);
  tap_check (strstr (msg, "`linux.seccomp.syscalls[0].errnoRet`: 70000") == msg, "errnoRet: %s",
             msg);
  free (msg);
}

static void
test_clone3_eperm_warning (void)
{
  char *clone3_names[] = { "clone3", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = clone3_names, .action = "SCMP_ACT_ERRNO" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  struct libcrun_seccomp_program prog;
  libcrun_error_t err = NULL;

  /* clone3 -> ERRNO with the default errno (EPERM). */
  start_capture ();
  tap_require (libcrun_seccomp_compile (&s, &prog, &err) == 0, "compile");
  libcrun_seccomp_program_free (&prog);
  tap_check (strstr (captured, "clone3 answered with EPERM: glibc only falls back to clone on "
                               "ENOSYS")
                 != NULL,
             "warning for the rule: [%s]", captured);
  tap_check (strstr (captured, "linux.seccomp.syscalls[0].action") != NULL, "names the field: [%s]",
             captured);

  /* clone3 -> ENOSYS: what glibc expects, no warning. */
  calls[0].has_errno_ret = true;
  calls[0].errno_ret = ENOSYS;
  start_capture ();
  tap_require (libcrun_seccomp_compile (&s, &prog, &err) == 0, "compile");
  libcrun_seccomp_program_free (&prog);
  tap_check (captured[0] == '\0', "no warning with ENOSYS: [%s]", captured);

  /* No clone3 rule, default action ERRNO (EPERM): clone3 gets EPERM too. */
  s.n_syscalls = 0;
  s.default_action = "SCMP_ACT_ERRNO";
  start_capture ();
  tap_require (libcrun_seccomp_compile (&s, &prog, &err) == 0, "compile");
  libcrun_seccomp_program_free (&prog);
  tap_check (strstr (captured, "linux.seccomp.defaultAction") != NULL
                 && strstr (captured, "clone3 answered with EPERM") != NULL,
             "warning for the default action: [%s]", captured);

  /* Default ERRNO with defaultErrnoRet ENOSYS: fine. */
  s.has_default_errno_ret = true;
  s.default_errno_ret = ENOSYS;
  start_capture ();
  tap_require (libcrun_seccomp_compile (&s, &prog, &err) == 0, "compile");
  libcrun_seccomp_program_free (&prog);
  tap_check (captured[0] == '\0', "no warning with defaultErrnoRet ENOSYS: [%s]", captured);
}

static void
test_clone3_args_error (void)
{
  char *names[] = { "clone3", NULL };
  struct oci_seccomp_arg args[] = {
    { .index = 0, .value = 0x10000000, .value_two = 0x10000000, .op = "SCMP_CMP_MASKED_EQ" },
  };
  struct oci_seccomp_syscall calls[] = {
    { .names = names,
      .action = "SCMP_ACT_ERRNO",
      .has_errno_ret = true,
      .errno_ret = ENOSYS,
      .args = args,
      .n_args = 1 },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  char *msg = compile_error (&s);

  tap_check (strstr (msg, "`linux.seccomp.syscalls[0].args`: clone3 passes its flags in a struct")
                 == msg,
             "message: %s", msg);
  tap_check (strstr (msg, "cannot read") != NULL, "explains why: %s", msg);
  free (msg);
}

static void
test_default_errno_ret (void)
{
  /* What this process needs after the filter is loaded: report a failure
   * (stdio) and exit. */
  char *allowed[] = { "write", "exit_group", "exit",  "brk",          "mmap",  "munmap",
                      "fstat", "newfstatat", "ioctl", "rt_sigreturn", "lseek", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = allowed, .action = "SCMP_ACT_ALLOW" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ERRNO",
                           .has_default_errno_ret = true,
                           .default_errno_ret = EL3HLT,
                           .syscalls = calls,
                           .n_syscalls = 1 };
  long r;

#if defined(__SANITIZE_ADDRESS__)
  /* ASan calls sigaltstack (and LeakSanitizer ptrace) at exit, which this
   * filter answers with an errno; the plain build runs the test. */
  tap_skip ("under AddressSanitizer: the filter refuses the sigaltstack and ptrace calls ASan "
            "makes at exit");
#endif
  compile_and_load (&s, NULL);
  errno = 0;
  r = syscall (SYS_getppid);
  tap_check (r == -1 && errno == EL3HLT, "getppid: %ld errno %d", r, errno);
  errno = 0;
  r = syscall (SYS_getuid);
  tap_check (r == -1 && errno == EL3HLT, "getuid: %ld errno %d", r, errno);
}

static void
test_actions_flags_archs (void)
{
  char *n_kill[] = { "acct", NULL }, *n_killp[] = { "swapon", NULL };
  char *n_killt[] = { "swapoff", NULL }, *n_trap[] = { "syslog", NULL };
  char *n_trace[] = { "vhangup", NULL }, *n_log[] = { "getcpu", NULL };
  char *n_notify[] = { "setdomainname", NULL }, *n_allow[] = { "getpid", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = n_kill, .action = "SCMP_ACT_KILL" },
    { .names = n_killp, .action = "SCMP_ACT_KILL_PROCESS" },
    { .names = n_killt, .action = "SCMP_ACT_KILL_THREAD" },
    { .names = n_trap, .action = "SCMP_ACT_TRAP" },
    { .names = n_trace, .action = "SCMP_ACT_TRACE", .has_errno_ret = true, .errno_ret = 7 },
    { .names = n_log, .action = "SCMP_ACT_LOG" },
    { .names = n_notify, .action = "SCMP_ACT_NOTIFY" },
    /* Same as the default action: skipped, libseccomp would refuse it. */
    { .names = n_allow, .action = "SCMP_ACT_ALLOW" },
  };
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
  char *flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW",
                           .architectures = archs,
                           .flags = flags,
                           .syscalls = calls,
                           .n_syscalls = sizeof (calls) / sizeof (calls[0]) };
  struct libcrun_seccomp_program prog;
  libcrun_error_t err = NULL;
  int listener = -1, fdflags;

  tap_require (libcrun_seccomp_compile (&s, &prog, &err) == 0, "compile: %s", err ? err->msg : "?");
  tap_check (prog.notify, "notify detected");
  tap_check (prog.flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW), "flags 0x%x",
             prog.flags);
  tap_check (prog.len > 0 && prog.len % 8 == 0, "bpf length %zu", prog.len);
  libcrun_seccomp_program_free (&prog);
  tap_check (prog.bpf == NULL && prog.len == 0, "freed");

  s.architectures = NULL;
  compile_and_load (&s, &listener);
  tap_check (listener >= 0, "listener fd %d", listener);
  fdflags = fcntl (listener, F_GETFD);
  tap_check (fdflags >= 0 && (fdflags & FD_CLOEXEC), "listener is close-on-exec");
  tap_check (syscall (SYS_getpid) > 0, "getpid allowed");
}

static void
test_wait_killable_needs_notify (void)
{
  char *flags[] = { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .flags = flags };
  char *msg = compile_error (&s);

  tap_check (strstr (msg, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a rule with "
                          "SCMP_ACT_NOTIFY")
                 != NULL,
             "message: %s", msg);
  free (msg);
}

static void
test_kill_process (void)
{
  char *names[] = { "getppid", NULL };
  struct oci_seccomp_syscall calls[] = {
    { .names = names, .action = "SCMP_ACT_KILL_PROCESS" },
  };
  struct oci_seccomp s = { .default_action = "SCMP_ACT_ALLOW", .syscalls = calls, .n_syscalls = 1 };
  int status = 0;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  tap_require (pid >= 0, "fork");
  if (pid == 0)
    {
      compile_and_load (&s, NULL);
      syscall (SYS_getppid);
      _exit (0);
    }
  tap_require (waitpid (pid, &status, 0) == pid, "waitpid");
  tap_check (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS, "killed by SIGSYS: status 0x%x",
             status);
}

static void
test_load_rejects_garbage (void)
{
  char bytes[12] = { 0 };
  struct libcrun_seccomp_program prog = { .bpf = bytes, .len = sizeof (bytes) };
  libcrun_error_t err = NULL;

  tap_check (libcrun_seccomp_load (&prog, NULL, &err) < 0 && err != NULL, "truncated program");
  libcrun_error_release (&err);
}

int
main (void)
{
  TAP_RUN (test_errno_actions);
  TAP_RUN (test_args_rules);
  TAP_RUN (test_unknown_syscall_skipped);
  TAP_RUN (test_errors_name_the_field);
  TAP_RUN (test_clone3_eperm_warning);
  TAP_RUN (test_clone3_args_error);
  TAP_RUN (test_default_errno_ret);
  TAP_RUN (test_actions_flags_archs);
  TAP_RUN (test_wait_killable_needs_notify);
  TAP_RUN (test_kill_process);
  TAP_RUN (test_load_rejects_garbage);
  return tap_done ();
}
