"""File descriptors (issue 9): no fd of the runtime reaches a container or a
hook, the preserved range (--preserve-fds, LISTEN_FDS) holds the caller's
fds only, and no command blocks on a lock a container process holds.

`oci-probe fds` (in the test rootfs) lists its open fds, one per line.
"""

import json
import os
import subprocess

import pytest

from conftest import DEFAULT_TIMEOUT, IS_RUNC


def fds(text):
    return sorted(int(l) for l in text.split() if l.isdigit())


def commands_still_work(runtime):
    """list and delete -f return (bounded by cmd's timeout: it fails the
    test on a hang)."""
    r = runtime.cmd("list", timeout=10)
    assert r.rc == 0, r
    for cid in runtime.ids:
        runtime.cmd("delete", "--force", cid, timeout=10)


@pytest.mark.skipif(IS_RUNC, reason="crun's --preserve-fds")
def test_preserve_fds_beyond_the_callers_fds(runtime, bundle):
    """--preserve-fds 100 while the caller has only 0-2 open: the runtime's
    own fds (the state lock, fifos, sockets) used to land in the range and
    reach the container, and `run` then waited forever for the lock."""
    bundle.set_args("oci-probe", "fds")
    r = runtime.run(bundle, opts=("--preserve-fds", "100"), timeout=30)
    assert r.rc == 0, r
    assert fds(r.out) == [0, 1, 2], r
    commands_still_work(runtime)


@pytest.mark.skipif(IS_RUNC, reason="crun's LISTEN_FDS handling")
def test_listen_fds_without_the_fd(runtime, bundle):
    """LISTEN_FDS=1 for the runtime's own pid, fd 3 not open in the caller."""
    bundle.set_args("oci-probe", "fds")
    bundle.write()
    cid = runtime.new_id()
    runtime.bundles.append(bundle)
    argv = " ".join("'%s'" % a for a in runtime.argv("run", "--bundle", bundle.path, cid))
    p = subprocess.run(["sh", "-c", "LISTEN_FDS=1 LISTEN_PID=$$ exec %s" % argv], capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p
    assert fds(p.stdout) == [0, 1, 2], p
    commands_still_work(runtime)


@pytest.mark.skipif(IS_RUNC, reason="runc")
@pytest.mark.parametrize("preserve", [0, 50])
def test_seccomp_refusing_close(runtime, bundle, preserve):
    """A profile that refuses close and close_range (defaultAction errno):
    the init cannot close the lock fd it inherited, and `start` used to
    wait for that lock forever."""
    profile = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
                           "contrib", "seccomp")
    out = subprocess.run(["/usr/bin/python3", os.path.join(profile, "render.py"),
                          os.path.join(profile, "default.json"), "--drop-unknown",
                          "--caps", "CAP_AUDIT_WRITE,CAP_KILL,CAP_NET_BIND_SERVICE"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    seccomp = json.loads(out)
    for rule in seccomp["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in ("close", "close_range")]
    bundle.linux["seccomp"] = seccomp
    bundle.set_args("oci-probe", "fds")
    opts = ("--preserve-fds", str(preserve)) if preserve else ()
    r = runtime.run(bundle, opts=opts, timeout=30)
    assert r.rc == 0, r
    assert fds(r.out) == [0, 1, 2], r
    commands_still_work(runtime)


@pytest.mark.skipif(IS_RUNC, reason="our hooks")
def test_hooks_get_only_stdio(runtime, bundle, workdir):
    """An fd the caller left open without close-on-exec reaches neither a
    hook in the runtime's namespaces nor one in the container's."""
    probe = bundle.rootfs_file("/bin/oci-probe")
    out = {}
    for stage in ("createRuntime", "createContainer", "poststop"):
        out[stage] = os.path.join(workdir, stage + ".fds")
        bundle.config.setdefault("hooks", {})[stage] = [
            {"path": "/bin/sh", "args": ["sh", "-c", "exec %s fds > %s" % (probe, out[stage])]}]
    bundle.write()
    cid = runtime.new_id()
    runtime.bundles.append(bundle)
    stray = os.open("/dev/null", os.O_RDONLY)  # not close-on-exec in the child
    try:
        p = subprocess.run(runtime.argv("run", "--bundle", bundle.path, cid), pass_fds=(stray,),
                           capture_output=True, text=True, timeout=DEFAULT_TIMEOUT,
                           stdin=subprocess.DEVNULL)
    finally:
        os.close(stray)
    assert p.returncode == 0, p
    for stage, path in out.items():
        with open(path) as f:
            assert fds(f.read()) == [0, 1, 2], "%s hook fds (stray fd %d)" % (stage, stray)
