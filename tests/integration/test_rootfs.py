"""root.path, root.readonly, --no-pivot, rootfsPropagation."""

import os
import shutil

import pytest


def root_mountinfo_line(out):
    for line in out.splitlines():
        f = line.split()
        if len(f) > 4 and f[4] == "/":
            last = line
    return last


def test_root_path_relative_other_name(runtime, bundle):
    os.rename(bundle.rootfs, os.path.join(bundle.path, "myroot"))
    bundle.rootfs = os.path.join(bundle.path, "myroot")
    bundle.config["root"]["path"] = "myroot"
    with open(os.path.join(bundle.rootfs, "marker"), "w") as f:
        f.write("in-myroot\n")
    assert runtime.sh_ok(bundle, "cat /marker") == "in-myroot\n"


def test_root_path_absolute(runtime, bundle):
    bundle.config["root"]["path"] = bundle.rootfs
    with open(bundle.rootfs_file("marker"), "w") as f:
        f.write("abs\n")
    assert runtime.sh_ok(bundle, "cat /marker") == "abs\n"


def test_root_readonly(runtime, bundle):
    bundle.config["root"]["readonly"] = True
    bundle.sh("touch /newfile 2>&1; echo rc=$?; touch /tmp/x 2>&1; echo rc=$?")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert "Read-only file system" in r.out
    assert "rc=0" not in r.out
    assert not os.path.exists(bundle.rootfs_file("newfile"))


def test_root_writable(runtime, bundle):
    bundle.config["root"]["readonly"] = False
    runtime.sh_ok(bundle, "echo data > /newfile")
    assert bundle.read_rootfs_file("newfile") == "data\n"


def test_no_pivot(runtime, bundle):
    out = runtime.sh_ok(bundle, "echo ok; ls /; cat /proc/self/mountinfo", opts=["--no-pivot"])
    assert out.startswith("ok\n")
    assert "bin" in out.split()
    # the host's directories are not visible
    assert "work" not in out.split()


def test_pivot_hides_host(runtime, bundle):
    out = runtime.sh_ok(bundle, "ls /")
    assert "bin" in out.split() and "work" not in out.split()


@pytest.mark.parametrize("prop,tag", [
    ("private", None), ("slave", None),
    # runc leaves the new root private even with "shared"
    pytest.param("shared", "shared:", marks=pytest.mark.crun_only)])
def test_rootfs_propagation(runtime, bundle, prop, tag):
    bundle.linux["rootfsPropagation"] = prop
    out = runtime.sh_ok(bundle, "cat /proc/self/mountinfo")
    line = root_mountinfo_line(out)
    if tag is None:
        # the host's / is private here, so a slave of it has no master
        assert "shared:" not in line, line
    else:
        assert tag in line, line


def test_rootfs_missing(runtime, bundle):
    shutil.rmtree(bundle.rootfs)
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "rootfs" in r.err, r


@pytest.mark.parametrize("no_pivot", [False, True])
def test_missing_cwd_on_readonly_root(runtime, bundle, no_pivot):
    """A process.cwd that does not exist is created, also when the root is
    read-only (before it becomes so), as crun does; the root stays
    read-only."""
    bundle.config["root"]["readonly"] = True
    bundle.process["cwd"] = "/does/not/exist"
    bundle.sh("pwd; touch /x 2>&1 || echo ro")
    out = runtime.run_ok(bundle, opts=["--no-pivot"] if no_pivot else [])
    assert out.splitlines()[0] == "/does/not/exist", out
    assert "ro" in out.splitlines()[-1], out
    assert os.path.isdir(bundle.rootfs_file("/does/not/exist"))
