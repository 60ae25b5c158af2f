"""Cgroup membership: the container's init, and what it runs, is in the
container's cgroup in every hierarchy of the host's layout (v1 controllers
and, on a hybrid host, the unified one), with or without a user namespace
(the init joins v1 hierarchies itself through files the runtime opened,
see libcrun_cgroup_open_v1_tasks), and an exec'd process joins it too."""

import os

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
