"""CVE-2019-5736: a container's root must never reach the runtime binary
for writing (issue 9).

helpers/exe-attacker.c runs as the container's root (a `crun spec`
container: no user namespace, default capabilities).  It grabs an O_PATH fd
on /proc/PID/exe of every process it can see (the runtime processes that
enter its pid namespace: the `exec` helper, the init of a second container
joining the namespace before its execve) and keeps trying to reopen them
for writing.  The runtime under test is a private copy of the binary, so a
failure damages only the copy; its sha256 must not change and the attacker
must report no write to it.
"""

import hashlib
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import HERE, Runtime, wait_for


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture
def attacker_bundle(bundle):
    """The bundle with exe-attacker in its rootfs, as the container's
    process: it runs until /stop exists, its report goes to /report."""
    src = os.path.join(HERE, "helpers", "exe-attacker.c")
    out = bundle.rootfs_file("/bin/exe-attacker")
    subprocess.run(["gcc", "-static", "-O2", "-o", out, src], check=True, timeout=120)
    bundle.sh("exe-attacker 120 /stop > /report 2>&1")
    return bundle


@pytest.fixture
def host_copy(crun_binary, workdir, request):
    """A Runtime driving a private copy of the binary, named `crun` (so the
    attacker's `seen` lines say crun)."""
    d = os.path.join(workdir, "hostbin")
    os.mkdir(d)
    copy = os.path.join(d, "crun")
    shutil.copy2(crun_binary, copy)
    rt = Runtime(copy, d, request.node.name)
    yield rt, copy
    problems = rt.cleanup()
    assert not problems, "\n".join(problems)


def start_attacker(rt, bundle):
    cid, r = rt.create(bundle, rt.new_id("attacker"))
    assert r.rc == 0, r
    r = rt.cmd("start", cid)
    assert r.rc == 0, r
    assert wait_for(lambda: "ready" in _read(bundle.rootfs_file("/report")), 10), "attacker did not start"
    return cid


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def stop_attacker(rt, bundle, cid):
    open(bundle.rootfs_file("/stop"), "w").close()
    assert wait_for(lambda: "summary" in _read(bundle.rootfs_file("/report")), 20), _read(
        bundle.rootfs_file("/report"))[-2000:]
    rt.cmd("delete", "--force", cid)
    return _read(bundle.rootfs_file("/report"))


def check_report(report, copy, digest_before):
    st = os.stat(copy)
    me = "%d %d" % (st.st_dev, st.st_ino)
    lines = report.splitlines()
    seen_runtime = [l for l in lines if l.startswith("seen ") and l.split()[-1] in ("crun", "memfd:crun")]
    held_runtime = [l for l in lines if l.startswith("held ") and l.endswith(" " + me)]
    wrote_runtime = [l for l in lines if l.startswith("wrote ") and l.endswith(" " + me)]
    summary = [l for l in lines if l.startswith("summary")]
    # The attack must have had something to aim at, or the test proves nothing.
    assert seen_runtime, "the attacker never saw a runtime process:\n%s" % report[-3000:]
    assert not wrote_runtime, "the container wrote to the runtime binary: %s\n%s" % (wrote_runtime, summary)
    assert sha256(copy) == digest_before, "the runtime binary changed"
    assert not held_runtime, "the container opened /proc/PID/exe of a runtime process: %s" % held_runtime[:5]
    return len(seen_runtime)


def attack_during_execs(rt, bundle, copy):
    """30 `exec` calls while the attacker runs; checks and returns its report."""
    before = sha256(copy)
    cid = start_attacker(rt, bundle)
    for i in range(30):
        r = rt.cmd("exec", cid, "true")
        assert r.rc == 0, r
    report = stop_attacker(rt, bundle, cid)
    check_report(report, copy, before)
    return report


def test_exec_helper_unreachable(attacker_bundle, host_copy):
    rt, copy = host_copy
    attack_during_execs(rt, attacker_bundle, copy)


def test_joining_init_unreachable(attacker_bundle, host_copy, workdir):
    """create + start of a second container in the attacker's pid namespace:
    its init runs the runtime binary until its execve."""
    rt, copy = host_copy
    before = sha256(copy)
    cid = start_attacker(rt, attacker_bundle)
    pid = rt.state(cid)["pid"]
    second = os.path.join(workdir, "second")
    os.mkdir(second)
    subprocess.run(["cp", "-a", attacker_bundle.rootfs, os.path.join(second, "rootfs")], check=True, timeout=60)
    cfg = json.loads(json.dumps(attacker_bundle.config))
    cfg["process"]["args"] = ["true"]
    for ns in cfg["linux"]["namespaces"]:
        if ns["type"] == "pid":
            ns["path"] = "/proc/%d/ns/pid" % pid
    with open(os.path.join(second, "config.json"), "w") as f:
        json.dump(cfg, f)
    for i in range(10):
        c2 = rt.new_id("second")
        r = rt.cmd("create", "--bundle", second, c2)
        assert r.rc == 0, r
        time.sleep(0.05)
        r = rt.cmd("start", c2)
        assert r.rc == 0, r
        rt.cmd("delete", "--force", c2)
    report = stop_attacker(rt, attacker_bundle, cid)
    check_report(report, copy, before)


@pytest.fixture
def ptrace_attacker_bundle(attacker_bundle):
    """The attacker with CAP_SYS_PTRACE and no user namespace: it passes the
    ptrace check even on non-dumpable processes, so the runtime must run
    from a sealed copy of its binary."""
    caps = attacker_bundle.process["capabilities"]
    for s in ("bounding", "effective", "permitted"):
        caps[s] = sorted(set(caps.get(s, [])) | {"CAP_SYS_PTRACE"})
    attacker_bundle.write()
    return attacker_bundle


def test_exec_helper_unreachable_with_cap_sys_ptrace(ptrace_attacker_bundle, host_copy):
    rt, copy = host_copy
    # it may open /proc/PID/exe now, but that is the sealed copy
    report = attack_during_execs(rt, ptrace_attacker_bundle, copy)
    assert "held " in report, "CAP_SYS_PTRACE should let the attacker open exe links:\n" + report[-2000:]


def test_later_execs_protected_after_exec_with_cap_sys_ptrace(attacker_bundle, host_copy, workdir):
    """The attacker is not the init but a process started by `exec --process`
    with CAP_SYS_PTRACE (a file the config knows nothing of).  The plain
    `exec` calls that follow carry no such capability themselves, yet the
    attacker already in the container could open their /proc/PID/exe: they
    too must run from the sealed copy."""
    rt, copy = host_copy
    before = sha256(copy)
    attacker_bundle.sh("sleep 120")
    cid, r = rt.create(attacker_bundle, rt.new_id("victim"))
    assert r.rc == 0, r
    r = rt.cmd("start", cid)
    assert r.rc == 0, r
    proc = json.loads(json.dumps(attacker_bundle.process))
    proc["args"] = ["sh", "-c", "exe-attacker 120 /stop > /report 2>&1"]
    caps = proc["capabilities"]
    for s in ("bounding", "effective", "permitted"):
        caps[s] = sorted(set(caps.get(s, [])) | {"CAP_SYS_PTRACE"})
    pfile = os.path.join(workdir, "attacker-process.json")
    with open(pfile, "w") as f:
        json.dump(proc, f)
    r = rt.cmd("exec", "--detach", "--process", pfile, cid)
    assert r.rc == 0, r
    assert wait_for(lambda: "ready" in _read(attacker_bundle.rootfs_file("/report")), 10), "attacker did not start"
    for i in range(30):
        r = rt.cmd("exec", cid, "true")
        assert r.rc == 0, r
    report = stop_attacker(rt, attacker_bundle, cid)
    check_report(report, copy, before)
    assert "held " in report, "CAP_SYS_PTRACE should let the attacker open exe links:\n" + report[-2000:]


@pytest.mark.ours_only
@pytest.mark.parametrize("owner,sealed", [("nobody", True), ("root", False)])
def test_rootless_caller_protected_when_it_may_write_the_binary(crun_binary, workdir, owner, sealed):
    """Rootless, the container's root is the calling user: a binary that user
    may write (their own build) is reached through /proc/PID/exe of a runtime
    process in the container's user namespace, so the runtime re-executes
    from a sealed copy; root's binary, which the user cannot write, needs
    nothing.  Checked on the decision, by `--debug`, for a user `nobody`."""
    d = os.path.join(workdir, "rootless-" + owner)
    os.mkdir(d)
    copy = os.path.join(d, "crun")
    shutil.copy2(crun_binary, copy)
    os.chmod(d, 0o755)
    os.chmod(copy, 0o755)
    shutil.chown(copy, user=owner)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy, "--debug",
                        "--root", os.path.join(d, "state"), "create", "--bundle", "/nonexistent", "x"],
                       capture_output=True, text=True, timeout=30, cwd="/")
    assert r.returncode == 1, r
    assert "bundle `/nonexistent`" in r.stderr, r.stderr
    said = "running from a sealed copy of the binary: the binary is writable by the rootless caller" in r.stderr
    assert said == sealed, r.stderr
