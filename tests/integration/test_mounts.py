"""Mounts of every kind, created destinations, and symlink escapes."""

import os
import subprocess

import pytest

from conftest import DEFAULT_TIMEOUT, host_mounts


def mountinfo(out):
    """mount point -> (fs type, mount options + super options) from mountinfo text."""
    res = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 10 or "-" not in f:
            continue
        sep = f.index("-")
        res[f[4]] = (f[sep + 1], set(f[5].split(",")) | set(f[sep + 3].split(",")))
    return res


@pytest.fixture
def hostdir(workdir):
    d = os.path.join(workdir, "hostdir")
    os.mkdir(d)
    with open(os.path.join(d, "file"), "w") as f:
        f.write("from-host\n")
    return d


def test_bind_dir_created_destination(runtime, bundle, hostdir):
    bundle.add_mount("/mnt/deep/hd", "bind", hostdir, ["bind"])
    assert not os.path.exists(bundle.rootfs_file("/mnt/deep"))
    assert runtime.sh_ok(bundle, "cat /mnt/deep/hd/file") == "from-host\n"


def test_bind_file(runtime, bundle, hostdir):
    bundle.add_mount("/etc/bound-file", "bind", os.path.join(hostdir, "file"), ["bind"])
    out = runtime.sh_ok(bundle, "cat /etc/bound-file; test -f /etc/bound-file && echo is-file")
    assert out == "from-host\nis-file\n"


def test_bind_is_writable_and_shared_with_host(runtime, bundle, hostdir):
    bundle.add_mount("/mnt/hd", "bind", hostdir, ["rbind", "rw"])
    runtime.sh_ok(bundle, "echo from-container > /mnt/hd/new")
    with open(os.path.join(hostdir, "new")) as f:
        assert f.read() == "from-container\n"


def test_ro_bind(runtime, bundle, hostdir):
    bundle.add_mount("/mnt/hd", "bind", hostdir, ["bind", "ro"])
    out = runtime.sh_ok(bundle, "cat /mnt/hd/file; touch /mnt/hd/new 2>&1; echo rc=$?")
    assert "from-host" in out
    assert "Read-only file system" in out and "rc=1" in out
    assert not os.path.exists(os.path.join(hostdir, "new"))


@pytest.fixture
def hostdir_with_submount(hostdir):
    sub = os.path.join(hostdir, "sub")
    os.mkdir(sub)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", sub], check=True, timeout=DEFAULT_TIMEOUT)
    try:
        with open(os.path.join(sub, "subfile"), "w") as f:
            f.write("in-submount\n")
        yield hostdir
    finally:
        subprocess.run(["umount", sub], timeout=DEFAULT_TIMEOUT)


def test_rbind_includes_submounts(runtime, bundle, hostdir_with_submount):
    bundle.add_mount("/mnt/r", "bind", hostdir_with_submount, ["rbind"])
    out = runtime.sh_ok(bundle, "cat /mnt/r/sub/subfile")
    assert out == "in-submount\n"


def test_bind_excludes_submounts(runtime, bundle, hostdir_with_submount):
    bundle.add_mount("/mnt/b", "bind", hostdir_with_submount, ["bind"])
    out = runtime.sh_ok(bundle, "ls -A /mnt/b/sub | wc -l")
    assert out.strip() == "0"


def test_tmpfs_mode_size(runtime, bundle):
    bundle.add_mount("/scratch", "tmpfs", "tmpfs", ["mode=1750", "size=2m", "nosuid"])
    out = runtime.sh_ok(bundle, "stat -c %a /scratch; cat /proc/self/mountinfo")
    lines = out.splitlines()
    assert lines[0] == "1750"
    mi = mountinfo("\n".join(lines[1:]))
    fstype, opts = mi["/scratch"]
    assert fstype == "tmpfs"
    assert "size=2048k" in opts, opts
    assert "mode=1750" in opts, opts
    assert "nosuid" in opts, opts


def test_standard_filesystems(runtime, bundle):
    mi = mountinfo(runtime.sh_ok(bundle, "cat /proc/self/mountinfo"))
    assert mi["/proc"][0] == "proc"
    assert mi["/sys"][0] == "sysfs"
    assert "ro" in mi["/sys"][1]
    assert mi["/dev"][0] == "tmpfs"
    assert mi["/dev/pts"][0] == "devpts"
    assert "newinstance" in mi["/dev/pts"][1] or "ptmxmode=666" in mi["/dev/pts"][1]
    assert mi["/dev/shm"][0] == "tmpfs"
    assert mi["/dev/mqueue"][0] == "mqueue"


def test_proc_is_container_pid_ns(runtime, bundle):
    out = runtime.sh_ok(bundle, "ls /proc | grep -E '^[0-9]+$' | wc -l")
    assert 1 <= int(out) <= 5


def test_mqueue_usable(runtime, bundle):
    out = runtime.sh_ok(bundle, "ls -A /dev/mqueue | wc -l")
    assert out.strip() == "0"


def test_cgroup_readonly_view(runtime, bundle):
    """The default /sys/fs/cgroup mount ("ro"): the controllers (v1 here, or
    the cgroup2 tree) are visible and cannot be written."""
    out = runtime.sh_ok(bundle, "ls /sys/fs/cgroup | wc -l; "
                                "for d in /sys/fs/cgroup/*/; do mkdir $d/x-it 2>&1; echo rc=$?; done; "
                                "grep ' /sys/fs/cgroup' /proc/self/mountinfo")
    lines = out.splitlines()
    assert int(lines[0]) > 0
    assert "rc=0" not in out
    assert "Read-only file system" in out
    assert any(" cgroup " in l or " cgroup2 " in l for l in lines), out
    mi = mountinfo(out)
    for mp, (fstype, opts) in mi.items():
        if fstype in ("cgroup", "cgroup2"):
            assert "ro" in opts, (mp, opts)


def check_no_host_mount(target):
    assert not any(m == target or m.startswith(target + "/") for m in host_mounts()), target


@pytest.mark.parametrize("precreate", [True, False])
def test_mount_destination_symlink_absolute_escape(runtime, bundle, workdir, precreate):
    """rootfs/escape -> <host dir>: nothing may be mounted on the host dir.
    When <rootfs>/<host dir> exists the mount lands there; when it does not,
    the runtime either creates it or fails cleanly (crun 1.8.1 fails with
    "openat2 `escape`: No such file or directory")."""
    target = os.path.join(workdir, "victim")
    os.mkdir(target)
    with open(os.path.join(target, "keep"), "w") as f:
        f.write("host\n")
    os.symlink(target, bundle.rootfs_file("escape"))
    if precreate:
        os.makedirs(bundle.rootfs_file(target))
    bundle.add_mount("/escape", "tmpfs", "tmpfs", ["size=1m"])
    bundle.sh("touch /escape/written && ls -A %s && grep ' %s ' /proc/self/mountinfo" % (target, target))
    r = runtime.run(bundle)
    assert os.listdir(target) == ["keep"]
    check_no_host_mount(target)
    if precreate:
        assert r.rc == 0, r
    if r.rc == 0:
        assert "written" in r.out.split(), r
        assert "tmpfs" in r.out, r
        assert os.path.isdir(bundle.rootfs_file(target))
    else:
        assert r.rc == 1, r
        assert "escape" in r.err, r


@pytest.mark.parametrize("precreate", [True, False])
def test_mount_destination_symlink_relative_escape(runtime, bundle, workdir, precreate):
    """rootfs/escape2 -> ../../../..<host dir>: resolved as if / were the rootfs."""
    target = os.path.join(workdir, "victim2")
    os.mkdir(target)
    rel = "../" * 12 + target.lstrip("/")
    os.symlink(rel, bundle.rootfs_file("escape2"))
    if precreate:
        os.makedirs(bundle.rootfs_file(target))
    src = os.path.join(workdir, "hostsrc")
    os.mkdir(src)
    with open(os.path.join(src, "src-file"), "w") as f:
        f.write("src\n")
    bundle.add_mount("/escape2", "bind", src, ["bind"])
    bundle.sh("ls -A %s" % target)
    r = runtime.run(bundle)
    assert os.listdir(target) == []
    check_no_host_mount(target)
    if precreate:
        assert r.rc == 0, r
    if r.rc == 0:
        assert "src-file" in r.out.split(), r
    else:
        assert r.rc == 1, r
        assert "escape2" in r.err, r


def test_mount_destination_symlinked_parent(runtime, bundle, workdir):
    """A symlinked parent directory (rootfs/lnk -> <host dir>) must not lead
    outside either."""
    target = os.path.join(workdir, "victim3")
    os.mkdir(target)
    os.symlink(target, bundle.rootfs_file("lnk"))
    os.makedirs(bundle.rootfs_file(target))
    bundle.add_mount("/lnk/sub", "tmpfs", "tmpfs", ["size=1m"])
    runtime.sh_ok(bundle, "touch /lnk/sub/x && ls %s/sub/x" % target)
    assert os.listdir(target) == []
    check_no_host_mount(target)
    assert os.path.isdir(bundle.rootfs_file(target + "/sub"))
