"""Cgroup membership: the container's init, and what it runs, is in the
container's cgroup in every hierarchy of the host's layout (v1 controllers
and, on a hybrid host, the unified one), with or without a user namespace
(the init joins v1 hierarchies itself through files the runtime opened,
see libcrun_cgroup_open_join), and an exec'd process joins it too."""

import os
import re
import shutil

import pytest

from test_namespaces import add_user_namespace, minimal_mounts


def hierarchies():
    """(mount point, v1 controllers or '' for the unified one) of the
    cgroup mounts of the host."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ")
            fstype, _, opts = right.split()[:3]
            mnt = left.split()[4]
            if fstype == "cgroup2":
                res.append((mnt, ""))
            elif fstype == "cgroup":
                ctrls = [o for o in opts.split(",") if o not in ("rw", "ro", "nosuid", "nodev", "noexec", "relatime")]
                res.append((mnt, ",".join(ctrls)))
    return res


def assert_member(runtime, pid, cid):
    """pid is listed in every hierarchy's cgroup of the container."""
    for mnt, ctrls in hierarchies():
        if not os.path.isdir(os.path.join(mnt, "crun")):
            continue  # a hierarchy the runtime does not use (none here)
        procs = os.path.join(mnt, "crun", cid, "cgroup.procs")
        with open(procs) as f:
            members = [int(x) for x in f.read().split()]
        assert pid in members, "pid %d not in %s (%s): %s" % (pid, procs, ctrls or "unified", members)


@pytest.mark.ours_only  # the default path /crun/<id> is ours (crun 1.8.1 and runc use others)
@pytest.mark.parametrize("userns", [False, True])
def test_init_and_exec_in_every_hierarchy(runtime, bundle, userns):
    if userns:
        add_user_namespace(bundle)
        minimal_mounts(bundle)
    bundle.set_args("sleep", "60")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    # before `start`: the init is placed before it could run anything
    assert_member(runtime, pid, cid)
    assert runtime.cmd("start", cid).rc == 0
    r = runtime.cmd("exec", "--detach", "--pid-file", os.path.join(runtime.workdir, "exec.pid"), cid,
                    "sleep", "30")
    assert r.rc == 0, r
    with open(os.path.join(runtime.workdir, "exec.pid")) as f:
        assert_member(runtime, int(f.read()), cid)
    assert_member(runtime, pid, cid)
    assert runtime.cmd("delete", "--force", cid).rc == 0


def container_cgroup_file(pid, controller, name):
    """The host path of `name` in the v1 `controller` cgroup of pid."""
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if controller in ctrls.split(","):
                return os.path.join("/sys/fs/cgroup", ctrls, path.lstrip("/"), name)
    return None


def test_kernel_tcp_applied_on_v1(runtime, bundle):
    """linux.resources.memory.kernelTCP goes to memory.kmem.tcp.limit_in_bytes
    where cgroup v1 has it (crun 1.8.1 does the same)."""
    probe = container_cgroup_file(os.getpid(), "memory", "memory.kmem.tcp.limit_in_bytes")
    if probe is None or not os.path.exists(probe):
        pytest.skip("no v1 memory.kmem.tcp.limit_in_bytes on this machine")
    bundle.linux.setdefault("resources", {})["memory"] = {"kernelTCP": 16777216}
    bundle.set_args("sleep", "30")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    with open(container_cgroup_file(pid, "memory", "memory.kmem.tcp.limit_in_bytes")) as f:
        assert f.read().strip() == "16777216"
    assert runtime.cmd("delete", "--force", cid).rc == 0


def test_update_kernel_memory_tcp(runtime, bundle):
    """`update --kernel-memory-tcp` (crun's option) sets the same file as
    linux.resources.memory.kernelTCP; `--kernel-memory` is accepted."""
    probe = container_cgroup_file(os.getpid(), "memory", "memory.kmem.tcp.limit_in_bytes")
    if probe is None or not os.path.exists(probe):
        pytest.skip("no v1 memory.kmem.tcp.limit_in_bytes on this machine")
    bundle.set_args("sleep", "30")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("update", "--kernel-memory-tcp", "33554432", cid)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    with open(container_cgroup_file(pid, "memory", "memory.kmem.tcp.limit_in_bytes")) as f:
        assert f.read().strip() == "33554432"
    assert runtime.cmd("delete", "--force", cid).rc == 0


@pytest.mark.ours_only  # crun 1.8.1 writes them after the clone, with its init still waiting
def test_device_rules_in_place_before_the_init_exists(runtime, bundle, tmp_path):
    """The device rules go into the new cgroup before the init is cloned.
    On v1 they are written as devices.deny "a" and then the allow list; the
    init, which makes its /dev nodes and opens its pty while the runtime
    places it, got EPERM when it did so between the two writes (`ctr run
    -t`: open `.../rootfs/dev/ptmx`: Operation not permitted).  Checked on
    the runtime's own system calls: every write of a device rule (v1 files,
    or the eBPF program's attach on v2) comes before the init's clone3."""
    strace = shutil.which("strace")
    if not strace:
        pytest.skip("strace is not installed")
    bundle.config["process"]["terminal"] = False
    out = str(tmp_path / "trace")
    r = runtime.run(bundle, wrapper=(strace, "-o", out, "-s", "200", "-e", "trace=openat,clone3,bpf"),
                    timeout=120)
    assert r.rc == 0, r
    with open(out) as f:
        lines = f.read().splitlines()
    inits = [i for i, l in enumerate(lines) if l.startswith("clone3(") and "CLONE_NEW" in l]
    rules = [i for i, l in enumerate(lines)
             if re.search(r'devices\.(deny|allow)"', l) or "BPF_PROG_ATTACH" in l]
    assert len(inits) == 1, "the init's clone3 in the trace: %s" % [lines[i] for i in inits]
    assert rules, "no device rule written: %s" % lines[-40:]
    late = [lines[i] for i in rules if i > inits[0]]
    assert not late, "device rules written with the init in the cgroup: %s" % late[:4]
