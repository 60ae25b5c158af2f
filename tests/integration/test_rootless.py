"""The runtime run by a user that is not root (as rootless podman runs it):
state under $XDG_RUNTIME_DIR/crun, a user namespace mapping the user to
root, and no cgroups where the user may not create them (cgroup v1 here),
as crun and runc do.  The user is `nobody` (65534), through setpriv."""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import CRUN, DEFAULT_TIMEOUT, ROOTFS_TEMPLATE, IS_RUNC

NOBODY = 65534


def as_nobody(argv, env, cwd):
    """Run argv as nobody; output through files, never pipes (a detached
    container would hold a pipe open)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.run(["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                            "env", "-i"] + ["%s=%s" % kv for kv in env.items()] + argv,
                           stdin=subprocess.DEVNULL, stdout=out, stderr=err, timeout=DEFAULT_TIMEOUT,
                           cwd=cwd)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(p.args, p.returncode, out.read(), err.read())


@pytest.fixture
def rootless_bundle():
    if IS_RUNC:
        pytest.skip("checked on ours and crun")
    d = tempfile.mkdtemp(prefix="crun-rootless-", dir="/tmp")  # pytest's tmp is 0700
    os.chmod(d, 0o755)
    b = os.path.join(d, "bundle")
    xdg = os.path.join(d, "xdg")
    os.makedirs(xdg)
    os.mkdir(b)
    subprocess.run(["cp", "-a", ROOTFS_TEMPLATE, os.path.join(b, "rootfs")], check=True, timeout=60)
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), NOBODY, NOBODY)
    os.chown(d, NOBODY, NOBODY)
    env = {"PATH": "/usr/bin:/bin", "HOME": d, "XDG_RUNTIME_DIR": xdg}
    r = as_nobody([CRUN, "spec", "--rootless"], env, b)
    assert r.returncode == 0, r
    yield d, b, xdg, env
    as_nobody([CRUN, "delete", "--force", "rl-1"], env, b)
    shutil.rmtree(d, ignore_errors=True)


def set_args(bundle, *args):
    p = os.path.join(bundle, "config.json")
    with open(p) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    c["process"]["args"] = list(args)
    with open(p, "w") as f:
        json.dump(c, f)


def test_rootless_run(rootless_bundle):
    d, b, xdg, env = rootless_bundle
    set_args(b, "sh", "-c", "id -u; cat /proc/self/uid_map; ls -d /run/crun 2>&1 | head -1")
    before = set(os.listdir("/sys/fs/cgroup/memory/crun")) if os.path.isdir("/sys/fs/cgroup/memory/crun") else set()
    r = as_nobody([CRUN, "run", "--bundle", b, "rl-1"], env, b)
    assert r.returncode == 0, r
    lines = r.stdout.split("\n")
    assert lines[0] == "0", r.stdout
    assert lines[1].split() == ["0", str(NOBODY), "1"], r.stdout
    after = set(os.listdir("/sys/fs/cgroup/memory/crun")) if os.path.isdir("/sys/fs/cgroup/memory/crun") else set()
    assert after == before, "a cgroup was left: %s" % (after - before)
    assert os.listdir(os.path.join(xdg, "crun")) == [], "state left under XDG_RUNTIME_DIR"


def test_rootless_state_lives_under_xdg_runtime_dir(rootless_bundle):
    d, b, xdg, env = rootless_bundle
    set_args(b, "sleep", "30")
    r = as_nobody([CRUN, "create", "--bundle", b, "rl-1"], env, b)
    assert r.returncode == 0, r
    assert os.path.isdir(os.path.join(xdg, "crun", "rl-1"))
    r = as_nobody([CRUN, "list", "-q"], env, b)
    assert r.stdout.split() == ["rl-1"], r
    r = as_nobody([CRUN, "delete", "--force", "rl-1"], env, b)
    assert r.returncode == 0, r
    assert not os.path.exists(os.path.join(xdg, "crun", "rl-1"))


@pytest.mark.ours_only
def test_rootless_without_xdg_runtime_dir_says_so(rootless_bundle):
    d, b, xdg, env = rootless_bundle
    set_args(b, "true")
    env = dict(env)
    del env["XDG_RUNTIME_DIR"]
    r = as_nobody([CRUN, "run", "--bundle", b, "rl-1"], env, b)
    if r.returncode == 0:
        pytest.skip("the default state root is writable by nobody here")
    assert r.returncode == 1 and "set XDG_RUNTIME_DIR or give --root" in r.stderr, r


@pytest.mark.ours_only
def test_rootless_impossible_mapping_names_it(rootless_bundle):
    """Mappings nobody may write (no subordinate ids): the error names the
    field and the mappings, and nothing is left."""
    d, b, xdg, env = rootless_bundle
    p = os.path.join(b, "config.json")
    with open(p) as f:
        c = json.load(f)
    c["process"]["terminal"] = False
    c["process"]["args"] = ["true"]
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 65536}]
    with open(p, "w") as f:
        json.dump(c, f)
    r = as_nobody([CRUN, "run", "--bundle", b, "rl-1"], env, b)
    assert r.returncode == 1, r
    assert "linux.uidMappings" in r.stderr and "0:300000:65536" in r.stderr, r
    assert os.listdir(os.path.join(xdg, "crun")) == [], "state left under XDG_RUNTIME_DIR"
