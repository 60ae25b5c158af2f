"""linux.seccomp."""

import re

import pytest

from conftest import IS_RUNC

EPERM, EACCES = 1, 13


def all_syscalls():
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
        return re.findall(r"#define __NR_(\w+) \d+", f.read())


def profile(rules, default="SCMP_ACT_ALLOW", **kw):
    p = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}
    p.update(kw)
    return p


def test_errno_rule(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                        "errnoRet": EPERM}])
    out = runtime.sh_ok(bundle, "mkdir /tmp/a 2>&1; echo rc=$?; oci-probe mkdir /tmp/b 755; "
                                "test -e /tmp/a || echo no-a; touch /tmp/file && echo touch-ok")
    assert "Operation not permitted" in out
    assert "rc=1" in out
    assert "errno=1" in out
    assert "no-a" in out and "touch-ok" in out


def test_errno_rule_default_errno(runtime, bundle):
    """SCMP_ACT_ERRNO without errnoRet returns EPERM."""
    bundle.linux["seccomp"] = profile([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}])
    assert runtime.sh_ok(bundle, "oci-probe mkdir /tmp/b 755; true").strip() == "errno=1"


def test_default_errno_ret(runtime, bundle):
    """defaultAction ERRNO with defaultErrnoRet: everything not listed fails
    with that errno."""
    allowed = [s for s in all_syscalls() if s not in ("mkdir", "mkdirat")]
    bundle.linux["seccomp"] = profile([{"names": allowed, "action": "SCMP_ACT_ALLOW"}],
                                      default="SCMP_ACT_ERRNO", defaultErrnoRet=EACCES)
    out = runtime.sh_ok(bundle, "oci-probe mkdir /tmp/b 755; echo alive")
    assert out.split() == ["errno=13", "alive"]


def test_args_rule(runtime, bundle):
    """personality(ADDR_NO_RANDOMIZE) denied, personality(0xffffffff) (query) allowed."""
    bundle.linux["seccomp"] = profile([{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM,
                                        "args": [{"index": 0, "value": 0x0040000, "op": "SCMP_CMP_EQ"}]}])
    out = runtime.sh_ok(bundle, "oci-probe personality 0x0040000; oci-probe personality 0xffffffff")
    lines = out.splitlines()
    assert lines[0] == "errno=1"
    assert lines[1].startswith("ok ")


def test_unknown_syscall_name_is_skipped(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["no_such_syscall_xyz", "mkdir", "mkdirat"],
                                        "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}])
    bundle.set_args("oci-probe", "mkdir", "/tmp/b", "755")
    r = runtime.run(bundle)
    assert r.rc == 1, r  # oci-probe exits 1 on error
    assert r.out.strip() == "errno=1", r


@pytest.mark.ours_only  # crun 1.8.1 warns only at debug level, runc is silent
def test_unknown_syscall_name_warns(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["no_such_syscall_xyz", "mkdir", "mkdirat"],
                                        "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}])
    bundle.set_args("true")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert "no_such_syscall_xyz" in r.err, r


@pytest.mark.crun_only
def test_fail_unknown_syscall_annotation(runtime, bundle):
    """run.oci.seccomp_fail_unknown_syscall: an unknown name is an error that
    names it, and nothing is left behind (the runtime fixture checks)."""
    bundle.linux["seccomp"] = profile([{"names": ["mkdir", "no_such_syscall_xyz"],
                                        "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}])
    bundle.config.setdefault("annotations", {})["run.oci.seccomp_fail_unknown_syscall"] = "1"
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "no_such_syscall_xyz" in r.err, r


def test_kill_action(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["getpgid"], "action": "SCMP_ACT_KILL"}])
    bundle.sh("oci-probe getpgid; echo survived")
    r = runtime.run(bundle)
    assert "survived" in r.out  # the shell survives, the probe is killed
    assert "ok" not in r.out.split()


def test_bad_action_is_an_error(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["mkdir"], "action": "SCMP_ACT_NO_SUCH"}])
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "SCMP_ACT_NO_SUCH" in r.err or "action" in r.err.lower(), r
