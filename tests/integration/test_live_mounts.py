"""`crun mounts add|remove CONTAINER FILE` (crun's experimental command):
mounts changed in a running container from outside.  FILE is a JSON object
with a `mounts` array as in config.json."""

import json
import os
import time

import pytest

from conftest import host_mounts

pytestmark = pytest.mark.ours_only  # not in crun 1.8.1


def write_mounts(workdir, name, mounts):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        json.dump({"mounts": mounts}, f)
    return path


@pytest.fixture
def running(runtime, bundle):
    bundle.set_args("sleep", "60")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    assert runtime.cmd("start", cid).rc == 0
    return cid


def test_add_and_remove(runtime, bundle, workdir, running):
    src = os.path.join(workdir, "shared")
    os.mkdir(src)
    with open(os.path.join(src, "f"), "w") as f:
        f.write("from-host\n")
    one_file = os.path.join(workdir, "one-file")
    with open(one_file, "w") as f:
        f.write("single\n")
    mounts = [
        {"destination": "/mnt/added", "type": "bind", "source": src, "options": ["rbind", "ro"]},
        {"destination": "/mnt/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/new/dir/file", "type": "bind", "source": one_file, "options": ["bind"]},
    ]
    path = write_mounts(workdir, "m.json", mounts)
    r = runtime.cmd("mounts", "add", running, path)
    assert r.rc == 0, r
    r = runtime.cmd("exec", running, "sh", "-c",
                    "cat /mnt/added/f /new/dir/file; touch /mnt/added/x 2>&1; "
                    "echo t > /mnt/tmp/t && cat /mnt/tmp/t; grep -c ' /mnt/tmp ' /proc/self/mountinfo")
    assert r.rc == 0, r
    assert "from-host" in r.out and "single" in r.out and "Read-only" in r.out, r.out
    assert r.out.splitlines()[-2:] == ["t", "1"], r.out
    # the host's own mount table is untouched
    assert not [m for m in host_mounts() if m.endswith("/mnt/added") or m.endswith("/mnt/tmp")]
    r = runtime.cmd("mounts", "remove", running, path)
    assert r.rc == 0, r
    r = runtime.cmd("exec", running, "sh", "-c", "grep -c -e ' /mnt/added ' -e ' /mnt/tmp ' "
                    "-e ' /new/dir/file ' /proc/self/mountinfo || true")
    assert r.out.strip() == "0", r


def test_destination_symlink_stays_in_the_container(runtime, bundle, workdir, running):
    """A destination through a symlink that points at a host path is
    resolved inside the container's root, never on the host."""
    target = os.path.join(workdir, "host-target")
    os.mkdir(target)
    os.makedirs(bundle.rootfs_file("/mnt"), exist_ok=True)
    os.symlink(target, bundle.rootfs_file("/mnt/esc"))
    path = write_mounts(workdir, "esc.json", [{"destination": "/mnt/esc/sub", "type": "tmpfs",
                                               "source": "tmpfs", "options": []}])
    r = runtime.cmd("mounts", "add", running, path)
    assert not os.path.exists(os.path.join(target, "sub")), "created on the host"
    assert not [m for m in host_mounts() if m.startswith(target)], "mounted on the host"
    if r.rc == 0:
        inside = runtime.cmd("exec", running, "grep", "-c", "%s/sub" % target, "/proc/self/mountinfo")
        assert inside.out.strip() == "1", inside


def test_errors(runtime, bundle, workdir, running):
    bad = os.path.join(workdir, "bad.json")
    with open(bad, "w") as f:
        f.write('{"mounts": [{"destination": "relative"}]}')
    r = runtime.cmd("mounts", "add", running, bad)
    assert r.rc == 1 and "mounts[0].destination" in r.err, r
    missing = write_mounts(workdir, "missing.json", [{"destination": "/mnt/x", "type": "bind",
                                                      "source": "/does/not/exist", "options": ["bind"]}])
    r = runtime.cmd("mounts", "add", running, missing)
    assert r.rc == 1 and "/does/not/exist" in r.err, r
    r = runtime.cmd("mounts", "frobnicate", running, missing)
    assert r.rc != 0 and "add or remove" in r.err, r
    assert runtime.cmd("kill", running, "KILL").rc == 0
    ok = write_mounts(workdir, "ok.json", [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"}])

    for _ in range(100):
        if runtime.state(running)["status"] == "stopped":
            break
        time.sleep(0.05)
    r = runtime.cmd("mounts", "add", running, ok)
    assert r.rc == 1 and "is not running" in r.err, r


def test_a_failure_in_the_container_names_the_mount_and_the_step(runtime, workdir, running):
    """The child that joins the container reports without allocating
    (libcrun.h); its message still names the mount, the step and why."""
    path = write_mounts(workdir, "bad.json", [{"destination": "/proc/sys/zz/yy", "type": "tmpfs",
                                                "source": "tmpfs", "options": ["size=1m"]}])
    r = runtime.cmd("mounts", "add", running, path)
    assert r.rc == 1, r
    assert ("`mounts[0]` `/proc/sys/zz/yy`: mkdir `/proc/sys/zz`: No such file or directory" in r.err
            or "`mounts[0]` `/proc/sys/zz/yy`: mkdir `/proc/sys/zz`: Read-only file system" in r.err), r
