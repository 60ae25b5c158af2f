"""containerd (issue 11): Debian's containerd 1.6 with `ctr run --runc-binary
<ours>` (its runc shim, io.containerd.runc.v2, drives the runtime as it
drives runc).  The fixture installs the package if needed, starts a private
containerd (its own config, root, state and socket; the CRI plugin off),
imports the busybox image (an OCI archive written by podman from the test
rootfs), and stops it by pid in teardown, removing what it left."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from test_podman import CRUN, ROOTFS, _apt_install, _ensure_podman

IMAGE = "localhost/busybox:latest"
TIMEOUT = 60


class Ctr:
    def __init__(self, sock):
        self.base = ["ctr", "-a", sock]

    def __call__(self, *args, input=None, wrap=None):
        argv = self.base + list(args)
        if wrap:
            argv = wrap(argv)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(argv, stdout=out, stderr=err, timeout=TIMEOUT, text=True, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, p.returncode, out.read(), err.read())

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, (r.args, r.returncode, r.stdout, r.stderr)
        return r

    def run(self, *args, **kw):
        return self("run", "--runc-binary", CRUN, *args, **kw)


def _ensure_containerd():
    if shutil.which("containerd") and shutil.which("ctr") and shutil.which("containerd-shim-runc-v2"):
        return None
    r = _apt_install("containerd")
    if r.returncode != 0 or not shutil.which("containerd"):
        return "containerd cannot be installed: rc %d: %s" % (r.returncode, (r.stderr or r.stdout)[-300:])
    return None


def _umount_under(path):
    with open("/proc/self/mountinfo") as f:
        mps = [l.split()[4] for l in f]
    for m in sorted((m for m in mps if m == path or m.startswith(path + "/")), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], timeout=30)


@pytest.fixture(scope="module")
def ctr():
    why = _ensure_containerd()
    if why:
        pytest.skip(why)
    podman, why = _ensure_podman()
    if podman is None:
        pytest.skip("the image is written by podman: %s" % why)
    d = tempfile.mkdtemp(prefix="crun-containerd-")
    sock = os.path.join(d, "containerd.sock")
    with open(os.path.join(d, "config.toml"), "w") as f:
        f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                '[grpc]\n  address = "%s"\n[ttrpc]\n  address = "%s.ttrpc"\n' % (d, d, sock, sock))
    log = open(os.path.join(d, "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", os.path.join(d, "config.toml")],
                              stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    c = Ctr(sock)
    try:
        for _ in range(100):
            if os.path.exists(sock) and c("version").returncode == 0:
                break
            time.sleep(0.1)
        pm = [podman, "--root", os.path.join(d, "pm"), "--runroot", os.path.join(d, "pm-run"),
              "--storage-driver", "vfs"]
        tar = subprocess.run(["tar", "-C", ROOTFS, "-c", "."], capture_output=True, check=True)
        subprocess.run(pm + ["import", "-", IMAGE], input=tar.stdout, capture_output=True, check=True,
                       timeout=TIMEOUT)
        archive = os.path.join(d, "busybox.tar")
        subprocess.run(pm + ["save", "--format", "oci-archive", "-o", archive, IMAGE], capture_output=True,
                       check=True, timeout=TIMEOUT)
        c.ok("images", "import", archive)
        yield c
    finally:
        for task in c("task", "ls", "-q").stdout.split():
            c("task", "kill", "-s", "KILL", task)
        time.sleep(0.5)
        for task in c("task", "ls", "-q").stdout.split():
            c("task", "delete", "-f", task)
        for cont in c("container", "ls", "-q").stdout.split():
            c("container", "rm", cont)
        daemon.kill()
        daemon.wait(30)
        subprocess.run(["pkill", "-KILL", "-f", "containerd-shim-runc-v2 -namespace default -address " + sock],
                       timeout=30)
        log.close()
        _umount_under(d)
        shutil.rmtree(d, ignore_errors=True)


def test_run(ctr):
    r = ctr.run("--rm", IMAGE, "c-run", "sh", "-c", "echo hello; id -u")
    assert r.returncode == 0 and r.stdout.split() == ["hello", "0"], r


def test_detached_exec_pause_kill(ctr):
    ctr.run("-d", IMAGE, "c-d", "sleep", "300").check_returncode()
    try:
        r = ctr.ok("task", "exec", "--exec-id", "e1", "c-d", "sh", "-c", "echo exec-ok")
        assert r.stdout == "exec-ok\n", r
        r = ctr.ok("task", "exec", "--exec-id", "e2", "c-d", "cat", input="piped\n")
        assert r.stdout == "piped\n", r
        ctr.ok("task", "pause", "c-d")
        assert re.search(r"c-d\s+\d+\s+PAUSED", ctr.ok("task", "ls").stdout)
        ctr.ok("task", "resume", "c-d")
        assert re.search(r"c-d\s+\d+\s+RUNNING", ctr.ok("task", "ls").stdout)
        ctr.ok("task", "kill", "-s", "KILL", "c-d")
        for _ in range(100):
            if re.search(r"c-d\s+\d+\s+STOPPED", ctr("task", "ls").stdout):
                break
            time.sleep(0.05)
        assert re.search(r"c-d\s+\d+\s+STOPPED", ctr("task", "ls").stdout)
    finally:
        ctr("task", "delete", "-f", "c-d")
        ctr("container", "rm", "c-d")


def test_privileged_and_device(ctr):
    with open("/proc/self/status") as f:
        bounding = [l.split()[1] for l in f if l.startswith("CapBnd:")][0]
    r = ctr.run("--rm", "--privileged", IMAGE, "c-priv", "sh", "-c",
                "grep CapEff /proc/self/status; mkdir /m && mount -t tmpfs none /m && echo mounted")
    assert r.returncode == 0 and r.stdout.split("\n")[0].split()[1] == bounding and "mounted" in r.stdout, r
    r = ctr.run("--rm", "--device", "/dev/fuse", IMAGE, "c-dev", "stat", "-c", "%t:%T", "/dev/fuse")
    assert r.returncode == 0 and r.stdout.strip() == "a:e5", r


def test_rootfs_propagation_shared(ctr):
    """The runtime spec: rootfsPropagation is the container root's.  (runc
    1.1 leaves it private; we follow the spec, as crun does.)"""
    if os.path.basename(CRUN).startswith("runc"):
        pytest.skip("runc 1.1 leaves the root private")
    r = ctr.run("--rm", "--rootfs-propagation", "shared", IMAGE, "c-prop", "grep", " / / ",
                "/proc/self/mountinfo")
    assert r.returncode == 0 and "shared:" in r.stdout, r


def test_memory_limit(ctr):
    ctr.run("-d", "--memory-limit", "67108864", IMAGE, "c-mem", "sleep", "300").check_returncode()
    try:
        pid = int(re.search(r"c-mem\s+(\d+)", ctr.ok("task", "ls").stdout).group(1))
        with open("/proc/%d/cgroup" % pid) as f:
            lines = [l.strip().split(":", 2) for l in f]
        v1 = [p for _, ctrls, p in lines if "memory" in ctrls.split(",")]
        if v1:
            path = "/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % v1[0]
        else:
            path = "/sys/fs/cgroup%s/memory.max" % [p for h, _, p in lines if h == "0"][0]
        with open(path) as f:
            assert f.read().strip() == "67108864"
    finally:
        ctr("task", "kill", "-s", "KILL", "c-mem")
        time.sleep(0.3)
        ctr("task", "delete", "-f", "c-mem")
        ctr("container", "rm", "c-mem")


def test_tty(ctr):
    """-t under a real pty (script): the process has a terminal."""
    r = ctr("run", "--runc-binary", CRUN, "--rm", "-t", IMAGE, "c-tty", "sh", "-c", "tty; echo tty-ok",
            wrap=lambda argv: ["script", "-qec", " ".join("'%s'" % a for a in argv), "/dev/null"])
    out = r.stdout.replace("\r", "")
    assert r.returncode == 0 and re.search(r"/dev/pts/\d+", out) and "tty-ok" in out, r
