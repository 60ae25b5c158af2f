"""The seccomp profiles of contrib/seccomp (default.json, strict.json) with
the real binary, the renderer (render.py) that turns them into
linux.seccomp, the runtime's clone3 checks (EPERM warning, args error), and
startContainer hooks under each profile.

The probe (tests/seccomp/clone3-probe.c, static) prints one line per call:
clone3(CLONE_AUTOREAP|CLONE_PIDFD, exit_signal 0), clone3(CLONE_NEWUSER),
legacy clone(CLONE_NEWUSER), unshare(CLONE_NEWUSER) and pthread_create.
Containers run with the busybox spec's capabilities (no CAP_SYS_ADMIN),
with and without a user namespace (0 -> 100000, 65536 ids).  What each case
gives is the table in contrib/seccomp/README.md; the expected values below
are that table, asserted exactly for this host (kernel without
CLONE_AUTOREAP, unprivileged user namespaces allowed on the host)."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import REPO
from test_namespaces import add_user_namespace

pytestmark = pytest.mark.ours_only

SECCOMP_DIR = os.path.join(REPO, "contrib", "seccomp")
RENDER = os.path.join(SECCOMP_DIR, "render.py")
PROBE_SRC = os.path.join(REPO, "tests", "seccomp", "clone3-probe.c")
PYTHON = "/usr/bin/python3"
PROFILES = ["default", "strict"]
EPERM, ENOSYS = 1, 38

EPERM_WARNING = "clone3 answered with EPERM"
ARGS_ERROR = "clone3 passes its flags in a struct in memory (struct clone_args) that a seccomp filter cannot read"


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def probe_binary():
    """clone3-probe built static, in a private directory."""
    d = tempfile.mkdtemp(prefix="clone3-probe-")
    out = os.path.join(d, "clone3-probe")
    r = subprocess.run(["gcc", "-static", "-pthread", "-O2", "-Wall", "-o", out, PROBE_SRC],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        pytest.fail("building %s failed: %s" % (PROBE_SRC, r.stderr))
    yield out
    shutil.rmtree(d, ignore_errors=True)


def parse_probe(out):
    res = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            res[k.strip()] = v.strip()
    return res


@pytest.fixture(scope="session")
def host_answers(probe_binary):
    """What this kernel answers the probe without any filter (as root on the
    host): the kernel's own answer to the AUTOREAP clone3."""
    r = subprocess.run([probe_binary], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r
    res = parse_probe(r.stdout)
    assert res["clone3_autoreap"] in ("OK", "EINVAL"), res
    if os.uname().release.startswith("6.18."):
        # this machine's kernel lacks CLONE_AUTOREAP (DESIGN.md §2)
        assert res["clone3_autoreap"] == "EINVAL", res
    return res


def host_allows_userns():
    """Whether a process without CAP_SYS_ADMIN in a container without its
    own user namespace can create one, as far as the host's sysctls say."""
    try:
        with open("/proc/sys/kernel/unprivileged_userns_clone") as f:
            if f.read().strip() == "0":
                return False
    except FileNotFoundError:
        pass
    with open("/proc/sys/user/max_user_namespaces") as f:
        return int(f.read()) > 0


def render(profile, caps, extra=()):
    r = subprocess.run([PYTHON, RENDER, os.path.join(SECCOMP_DIR, profile + ".json"),
                        "--caps", ",".join(caps), "--drop-unknown", *extra],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def bounding(bundle):
    return list(bundle.process["capabilities"]["bounding"])


def use_profile(bundle, profile):
    bundle.linux["seccomp"] = render(profile, bounding(bundle))


def install_probe(bundle, probe_binary):
    dst = bundle.rootfs_file("/bin/clone3-probe")
    shutil.copy(probe_binary, dst)
    os.chmod(dst, 0o755)


def use_userns(bundle):
    add_user_namespace(bundle)
    # sysfs and mqueue cannot be mounted from a user namespace that does not
    # own the network/ipc namespace of the runtime... keep the mounts that can
    for d in ("/sys", "/sys/fs/cgroup", "/dev/mqueue"):
        bundle.remove_mount(d)


def set_autoreap(bundle, value="1"):
    bundle.config.setdefault("annotations", {})["run.oci.autoreap"] = value


def add_hook(bundle, stage, script):
    bundle.config.setdefault("hooks", {}).setdefault(stage, []).append(
        {"path": "/bin/sh", "args": ["sh", "-c", script]})


def assert_no_seccomp_warning(r):
    assert EPERM_WARNING not in r.err, r
    assert "unknown syscall" not in r.err, r
    assert "warning" not in r.err.lower(), r


def expected(profile, userns, host):
    """The README's table for a container without CAP_SYS_ADMIN."""
    if profile == "strict":
        return {
            "clone3_autoreap": "ENOSYS",  # hidden by the filter
            "clone3_newuser": "ENOSYS",
            "clone_newuser": "EPERM",  # clone's flags are checked by the filter
            "unshare_newuser": "EPERM",
            "pthread": "OK",  # glibc falls back to clone on ENOSYS
        }
    return {
        "clone3_autoreap": host["clone3_autoreap"],  # the kernel's own answer
        # own user namespace: user.max_user_namespaces=0 there (the runtime);
        # none: whatever the host allows (the README's stated cost)
        "clone3_newuser": "ENOSPC" if userns else ("OK" if host_allows_userns() else "ENOSPC"),
        "clone_newuser": "EPERM",
        "unshare_newuser": "EPERM",
        "pthread": "OK",
    }


# ---------------------------------------------------------------- the profiles


def test_strict_is_default_with_clone3_hidden():
    """strict.json is generated from default.json (render.py --derive-strict)
    and differs only in its clone3 rules."""
    r = subprocess.run([PYTHON, RENDER, os.path.join(SECCOMP_DIR, "default.json"), "--derive-strict"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(SECCOMP_DIR, "strict.json")) as f:
        assert f.read() == r.stdout, "strict.json is stale: regenerate it with render.py --derive-strict"
    with open(os.path.join(SECCOMP_DIR, "default.json")) as f:
        default = json.load(f)
    strict = json.loads(r.stdout)
    drop3 = lambda p: [x for x in p["syscalls"] if "clone3" not in x["names"]]
    assert drop3(default) == drop3(strict)


@pytest.mark.parametrize("profile", PROFILES)
def test_rendered_without_cap_sys_admin(profile):
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    oci = render(profile, caps)
    assert oci["defaultAction"] == "SCMP_ACT_ERRNO" and oci["defaultErrnoRet"] == ENOSYS
    assert oci["architectures"][0] == "SCMP_ARCH_X86_64"
    by_name = {}
    for rule in oci["syscalls"]:
        assert set(rule) <= {"names", "action", "errnoRet", "args"}, rule
        for n in rule["names"]:
            by_name.setdefault(n, []).append(rule)
    c3 = by_name["clone3"]
    assert len(c3) == 1 and "args" not in c3[0]
    if profile == "default":
        assert c3[0]["action"] == "SCMP_ACT_ALLOW"
    else:
        assert (c3[0]["action"], c3[0]["errnoRet"]) == ("SCMP_ACT_ERRNO", ENOSYS)
    for n in ("clone", "unshare"):
        assert sorted((r["action"], r["args"][0]["valueTwo"]) for r in by_name[n]) == [
            ("SCMP_ACT_ALLOW", 0), ("SCMP_ACT_ERRNO", 0x10000000)], by_name[n]
    for n in ("mount", "setns", "bpf", "keyctl", "open_by_handle_at"):
        assert [(r["action"], r.get("errnoRet")) for r in by_name[n]] == [("SCMP_ACT_ERRNO", EPERM)], n


@pytest.mark.parametrize("profile", PROFILES)
def test_rendered_with_cap_sys_admin(profile):
    oci = render(profile, ["CAP_SYS_ADMIN", "CAP_KILL"])
    by_name = {}
    for rule in oci["syscalls"]:
        for n in rule["names"]:
            by_name.setdefault(n, []).append(rule)
    for n in ("clone3", "clone", "unshare", "setns", "mount", "bpf", "perf_event_open"):
        assert [(r["action"], r.get("args")) for r in by_name[n]] == [("SCMP_ACT_ALLOW", None)], n
    assert [r["action"] for r in by_name["chroot"]] == ["SCMP_ACT_ERRNO"]


def test_render_errors_on_conflicting_rules(workdir):
    p = os.path.join(workdir, "bad.json")
    with open(p, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                   "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                                {"names": ["read"], "action": "SCMP_ACT_ERRNO"}]}, f)
    r = subprocess.run([PYTHON, RENDER, p], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "`read` already has the unconditional action SCMP_ACT_ALLOW" in r.stderr, r


# ---------------------------------------------------------------- the probe matrix


@pytest.mark.parametrize("userns", [True, False], ids=["userns", "no-userns"])
@pytest.mark.parametrize("profile", PROFILES)
def test_probe(runtime, bundle, probe_binary, host_answers, profile, userns):
    assert "CAP_SYS_ADMIN" not in bounding(bundle)
    install_probe(bundle, probe_binary)
    if userns:
        use_userns(bundle)
    use_profile(bundle, profile)
    bundle.sh("clone3-probe; echo max_user_namespaces=$(cat /proc/sys/user/max_user_namespaces)")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert_no_seccomp_warning(r)
    got = parse_probe(r.out)
    with open("/proc/sys/user/max_user_namespaces") as f:
        host_max = f.read().strip()
    assert got.pop("max_user_namespaces") == ("0" if userns else host_max), r
    assert got == expected(profile, userns, host_answers), r
    if profile == "default":
        # never an answer of the filter
        assert got["clone3_autoreap"] not in ("ENOSYS", "EPERM")


@pytest.mark.parametrize("userns", [True, False], ids=["userns", "no-userns"])
@pytest.mark.parametrize("profile", PROFILES)
def test_probe_in_exec(runtime, bundle, probe_binary, host_answers, profile, userns):
    """`crun exec` processes get the container's filter and the same answers."""
    install_probe(bundle, probe_binary)
    if userns:
        use_userns(bundle)
    use_profile(bundle, profile)
    bundle.set_args("sleep", "60")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("start", cid)
    assert r.rc == 0, r
    r = runtime.cmd("exec", cid, "clone3-probe")
    assert r.rc == 0, r
    assert_no_seccomp_warning(r)
    assert parse_probe(r.out) == expected(profile, userns, host_answers), r


def test_probe_exact_on_this_host(host_answers):
    """The values the matrix asserts, spelled out for this machine (kernel
    6.18 without CLONE_AUTOREAP, unprivileged user namespaces allowed)."""
    if not os.uname().release.startswith("6.18.") or not host_allows_userns():
        pytest.skip("the table below is this machine's")
    assert expected("default", True, host_answers) == {
        "clone3_autoreap": "EINVAL", "clone3_newuser": "ENOSPC", "clone_newuser": "EPERM",
        "unshare_newuser": "EPERM", "pthread": "OK"}
    assert expected("default", False, host_answers) == {
        "clone3_autoreap": "EINVAL", "clone3_newuser": "OK", "clone_newuser": "EPERM",
        "unshare_newuser": "EPERM", "pthread": "OK"}
    for userns in (True, False):
        assert expected("strict", userns, host_answers) == {
            "clone3_autoreap": "ENOSYS", "clone3_newuser": "ENOSYS", "clone_newuser": "EPERM",
            "unshare_newuser": "EPERM", "pthread": "OK"}


def test_strict_with_cap_sys_admin_lets_clone3_through(runtime, bundle, probe_binary, host_answers):
    """With CAP_SYS_ADMIN the strict profile allows clone3 (and everything
    else namespace-related), as Docker's does."""
    install_probe(bundle, probe_binary)
    for k in ("bounding", "effective", "permitted"):
        bundle.process["capabilities"][k].append("CAP_SYS_ADMIN")
    use_profile(bundle, "strict")
    bundle.set_args("clone3-probe")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    got = parse_probe(r.out)
    assert got["clone3_autoreap"] == host_answers["clone3_autoreap"], r
    assert got["pthread"] == "OK", r
    assert got["unshare_newuser"] == "OK" and got["clone_newuser"] == "OK", r


def test_busybox_workload_under_default(runtime, bundle):
    """The default profile is enough for an ordinary shell workload."""
    use_profile(bundle, "default")
    out = runtime.sh_ok(bundle, "mkdir -p /tmp/x && echo hi > /tmp/x/f && cat /tmp/x/f | tr a-z A-Z; "
                                "ls /tmp/x; sleep 0.1 & wait; id -u; hostname >/dev/null && echo host-ok; "
                                "mount -t tmpfs none /mnt 2>&1; echo mount-rc=$?")
    assert out.splitlines() == ["HI", "f", "0", "host-ok", "mount: permission denied (are you root?)", "mount-rc=1"]


# ---------------------------------------------------------------- the compiler's clone3 checks


def test_clone3_eperm_warns(runtime, bundle, probe_binary):
    """A profile answering clone3 with EPERM runs, with a warning; the probe
    shows why it is wrong: threads cannot be created (glibc only falls back
    on ENOSYS)."""
    install_probe(bundle, probe_binary)
    seccomp = render("default", bounding(bundle))
    for rule in seccomp["syscalls"]:
        if "clone3" in rule["names"]:
            rule["action"], rule["errnoRet"] = "SCMP_ACT_ERRNO", EPERM
    bundle.linux["seccomp"] = seccomp
    bundle.set_args("clone3-probe")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    i = [n for n, rule in enumerate(seccomp["syscalls"]) if "clone3" in rule["names"]][0]
    assert "`linux.seccomp.syscalls[%d].action`: %s" % (i, EPERM_WARNING) in r.err, r
    assert "errnoRet 38 (ENOSYS)" in r.err, r
    got = parse_probe(r.out)
    assert got["clone3_autoreap"] == "EPERM" and got["pthread"] == "EPERM", r


def test_clone3_eperm_by_default_action_warns(runtime, bundle):
    """defaultAction ERRNO/EPERM with clone3 not listed: the warning names
    the default action."""
    seccomp = render("default", bounding(bundle))
    seccomp["defaultErrnoRet"] = EPERM
    seccomp["syscalls"] = [r for r in seccomp["syscalls"] if "clone3" not in r["names"]]
    bundle.linux["seccomp"] = seccomp
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert "`linux.seccomp.defaultAction`: %s" % EPERM_WARNING in r.err, r


@pytest.mark.parametrize("cmd", ["run", "create"])
def test_clone3_args_rule_is_an_error(runtime, bundle, cmd):
    seccomp = render("default", bounding(bundle))
    i = [n for n, rule in enumerate(seccomp["syscalls"]) if "clone3" in rule["names"]][0]
    # "allow clone3 unless CLONE_NEWUSER" is what one would like to write
    seccomp["syscalls"][i]["args"] = [{"index": 0, "value": 0x10000000, "valueTwo": 0,
                                       "op": "SCMP_CMP_MASKED_EQ"}]
    bundle.linux["seccomp"] = seccomp
    bundle.sh("echo should-not-run")
    cid = runtime.new_id()
    if cmd == "run":
        r = runtime.run(bundle, cid=cid)
    else:
        _, r = runtime.create(bundle, cid=cid)
    assert r.rc != 0, r
    assert "`linux.seccomp.syscalls[%d].args`: %s" % (i, ARGS_ERROR) in r.err, r
    assert "match clone3 without args" in r.err, r
    assert "should-not-run" not in r.out
    assert not os.path.exists(os.path.join(runtime.root, cid))


# ---------------------------------------------------------------- startContainer hooks


@pytest.mark.parametrize("userns", [True, False], ids=["userns", "no-userns"])
@pytest.mark.parametrize("profile", PROFILES)
def test_start_container_hook_runs(runtime, bundle, profile, userns):
    """run.oci.autoreap=1: the startContainer hook runs inside the container,
    under its filter, and the container's program runs after it."""
    if userns:
        use_userns(bundle)
    use_profile(bundle, profile)
    set_autoreap(bundle)
    add_hook(bundle, "createRuntime", "true")
    add_hook(bundle, "startContainer", "echo hook-ran > /dev/shm/hook; exit 0")
    bundle.sh("cat /dev/shm/hook")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert r.out.split() == ["hook-ran"], r
    assert_no_seccomp_warning(r)


SPAWN_RE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>clone3?)\((?P<args>.*)\)\s+=\s+(?P<ret>-?\d+)(?P<rest>.*)$")


@pytest.mark.parametrize("profile", PROFILES)
def test_start_container_hook_spawn_under_filter(runtime, bundle, host_answers, profile):
    """`crun run` under strace -f: how the container's init spawns its
    startContainer hook.  The runtime has probed (and cached) its rung
    outside the filter before it created the init; under strict.json the
    init's clone3 gets ENOSYS and it falls back to legacy clone with
    CLONE_PIDFD (exit signal 0); under default.json clone3 reaches the
    kernel."""
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed")
    use_profile(bundle, profile)
    set_autoreap(bundle)
    add_hook(bundle, "startContainer", "exit 0")
    bundle.set_args("true")
    trace = os.path.join(runtime.workdir, "trace")
    r = runtime.run(bundle, wrapper=(strace, "-f", "-qq", "-e", "trace=clone,clone3,execve", "-o", trace))
    assert r.rc == 0, r
    with open(trace) as f:
        lines = f.read().splitlines()
    init = [l.split()[0] for l in lines if 'execve("/bin/true"' in l]
    assert len(init) == 1, lines
    spawns = [m.groupdict() for m in map(SPAWN_RE.match, lines) if m and m.group("pid") == init[0]]
    assert spawns, lines
    first, last = spawns[0], spawns[-1]
    assert first["call"] == "clone3" and "exit_signal=0" in first["args"], spawns
    if profile == "strict":
        assert first["ret"] == "-1" and "ENOSYS" in first["rest"], spawns
        assert len(spawns) == 2, spawns
        assert last["call"] == "clone" and "CLONE_PIDFD" in last["args"] and int(last["ret"]) > 0, spawns
        assert "SIGCHLD" not in last["args"], spawns
    else:
        # the cached rung: clone3-autoreap on a kernel with the flag, else
        # clone3 with CLONE_PIDFD (exit signal 0)
        assert len(spawns) == 1, spawns
        assert int(first["ret"]) > 0 and "CLONE_PIDFD" in first["args"], spawns
        has_autoreap = "0x400000000" in first["args"] or "CLONE_AUTOREAP" in first["args"]
        assert has_autoreap == (host_answers["clone3_autoreap"] == "OK"), spawns


@pytest.mark.parametrize("cmd", ["run", "start"])
@pytest.mark.parametrize("profile", PROFILES)
def test_failing_start_container_hook(runtime, bundle, profile, cmd):
    use_profile(bundle, profile)
    set_autoreap(bundle)
    add_hook(bundle, "startContainer", "exit 3")
    bundle.sh("echo should-not-run")
    cid = runtime.new_id()
    if cmd == "run":
        r = runtime.run(bundle, cid=cid)
    else:
        _, r = runtime.create(bundle, cid=cid)
        assert r.rc == 0, r
        r = runtime.cmd("start", cid)
    assert r.rc != 0, "a failing startContainer hook must fail `%s`: %r" % (cmd, r)
    assert "startContainer hook #0 `/bin/sh`" in r.err and "exited with status 3" in r.err, r
    assert "should-not-run" not in r.out, r
