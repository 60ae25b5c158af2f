"""Rootless podman (issue 11): a user made for the test runs Debian's podman
with our binary as --runtime (vfs storage, no network, cgroupfs on cgroup
v1, where a rootless container gets no cgroups, as with runc and crun).
The user, its subordinate id ranges, its files and its processes are removed
in teardown, also when a test fails."""

import os
import pwd
import re
import shutil
import subprocess
import tempfile

import pytest

from test_podman import CRUN, PODMAN_DIR, ROOTFS, TIMEOUT, _ensure_podman

USER = "crun-it-rl"
SUBID = "%s:400000:65536\n" % USER


class RootlessPodman:
    def __init__(self, podman, home):
        self.home = home
        self.env = {
            "HOME": home, "PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "XDG_RUNTIME_DIR": os.path.join(home, "xdg"),
            "CONTAINERS_CONF": os.path.join(home, "containers.conf"),
            "CONTAINERS_STORAGE_CONF": os.path.join(home, "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": os.path.join(home, "registries.conf"),
        }
        self.base = [podman, "--runtime", CRUN]

    def __call__(self, *args, input=None, timeout=TIMEOUT):
        argv = ["setpriv", "--reuid=%s" % USER, "--regid=%s" % USER, "--init-groups", "env", "-i"]
        argv += ["%s=%s" % kv for kv in self.env.items()] + self.base + list(args)
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run(argv, stdout=out, stderr=err, timeout=timeout, cwd=self.home,
                               input=input, stdin=None if input is not None else subprocess.DEVNULL,
                               text=True)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(argv, p.returncode, out.read(), err.read())

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        return r


def first_subid_range(path):
    """(start, count) of the user's first range in /etc/subuid or subgid."""
    try:
        with open(path) as f:
            for line in f:
                name, start, count = line.strip().split(":")
                if name == USER:
                    return int(start), int(count)
    except FileNotFoundError:
        pass
    return None


def _drop_line(path, line):
    try:
        with open(path) as f:
            lines = f.readlines()
    except FileNotFoundError:
        return
    with open(path, "w") as f:
        f.writelines(l for l in lines if l != line)


def _remove_user(home):
    subprocess.run(["pkill", "-KILL", "-u", USER], timeout=30)
    subprocess.run(["userdel", USER], capture_output=True, timeout=30)
    for p in ("/etc/subuid", "/etc/subgid"):
        _drop_line(p, SUBID)
    if home:
        # vfs layers may hold files the user's namespace made read-only
        subprocess.run(["chmod", "-R", "u+w", home], capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def rpodman():
    path, why = _ensure_podman()
    if path is None:
        pytest.skip(why)
    if not shutil.which("newuidmap"):
        pytest.skip("newuidmap (Debian's uidmap package) is missing")
    _remove_user(None)
    home = tempfile.mkdtemp(prefix="crun-rootless-podman-", dir="/tmp")
    try:
        subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/sh", USER], check=True, timeout=30)
        # useradd may allocate subordinate ids itself (login.defs); else ours
        for p in ("/etc/subuid", "/etc/subgid"):
            if first_subid_range(p) is None:
                with open(p, "a") as f:
                    f.write(SUBID)
        os.makedirs(os.path.join(home, "xdg"), mode=0o700)
        for d in ("events", "tmp", "net", "hooks.d"):
            os.makedirs(os.path.join(home, d))
        with open(os.path.join(PODMAN_DIR, "containers.conf.in")) as f:
            conf = f.read().replace("@DIR@", home)
        with open(os.path.join(home, "containers.conf"), "w") as f:
            f.write(conf)
        with open(os.path.join(home, "storage.conf"), "w") as f:
            f.write('[storage]\ndriver = "vfs"\ngraphroot = "%s/storage"\nrunroot = "%s/runroot"\n'
                    % (home, home))
        with open(os.path.join(home, "registries.conf"), "w") as f:
            f.write("unqualified-search-registries = []\n")
        subprocess.run(["tar", "-C", ROOTFS, "-cf", os.path.join(home, "rootfs.tar"), "."], check=True,
                       timeout=120)
        pw = pwd.getpwnam(USER)
        for root, dirs, files in os.walk(home):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        pm = RootlessPodman(path, home)
        pm.ok("import", os.path.join(home, "rootfs.tar"), "localhost/busybox")
    except BaseException:
        _remove_user(home)
        raise
    yield pm
    pm("rm", "-a", "-f", "-t", "0")
    _remove_user(home)


IMAGE = "localhost/busybox"


def test_run_rm_id_and_mapping(rpodman):
    r = rpodman.ok("run", "--rm", IMAGE, "sh", "-c", "id -u; cat /proc/self/uid_map")
    lines = r.stdout.split("\n")
    assert lines[0] == "0", r.stdout
    first = lines[1].split()
    assert first[0] == "0" and first[1] == str(pwd.getpwnam(USER).pw_uid), r.stdout
    start, count = first_subid_range("/etc/subuid")
    assert lines[2].split() == ["1", str(start), str(count)], r.stdout


def test_run_d_exec_stop(rpodman):
    rpodman.ok("run", "-d", "--name", "rl-d", IMAGE, "sleep", "300")
    try:
        r = rpodman.ok("exec", "rl-d", "sh", "-c", "echo in-exec; id -u")
        assert r.stdout.split() == ["in-exec", "0"], r.stdout
        r = rpodman("exec", "-i", "rl-d", "cat", input="piped\n")
        assert r.returncode == 0 and r.stdout == "piped\n", r
        r = rpodman.ok("exec", "-t", "rl-d", "tty")
        assert re.fullmatch(r"/dev/pts/\d+", r.stdout.replace("\r", "").strip()), r.stdout
        rpodman.ok("stop", "-t", "2", "rl-d")
        state = rpodman.ok("inspect", "-f", "{{.State.Status}}", "rl-d").stdout.strip()
        assert state == "exited", state
    finally:
        rpodman("rm", "-f", "-t", "0", "rl-d")


def test_keep_id_volume_caps_and_exit_codes(rpodman):
    """Through run -d and exec (a rootless `run --rm` waits 20 s here for
    conmon's exit report, with runc too, so the suite uses it once)."""
    uid = pwd.getpwnam(USER).pw_uid
    vol = os.path.join(rpodman.home, "vol")
    os.makedirs(vol, exist_ok=True)
    os.chown(vol, uid, uid)
    rpodman.ok("run", "-d", "--name", "rl-k", "--userns=keep-id", "-v", "%s:/v" % vol, IMAGE,
               "sleep", "300")
    rpodman.ok("run", "-d", "--name", "rl-c", "--cap-drop", "ALL", "-v", "%s:/bound" % vol,
               "--device", "/dev/fuse", IMAGE, "sleep", "300")
    try:
        r = rpodman.ok("exec", "rl-k", "sh", "-c", "id -u; echo written > /v/f")
        assert r.stdout.split("\n")[0] == str(uid), r.stdout
        assert os.stat(os.path.join(vol, "f")).st_uid == uid
        r = rpodman.ok("exec", "rl-c", "grep", "CapEff", "/proc/self/status")
        assert r.stdout.split()[1] == "0000000000000000", r.stdout
        r = rpodman.ok("exec", "rl-c", "sh", "-c", "cat /bound/f; stat -c '%t:%T' /dev/fuse")
        assert r.stdout.split("\n")[:2] == ["written", "a:e5"], r.stdout
        for code, cmd in ((42, ["sh", "-c", "exit 42"]), (127, ["/nonexistent"]),
                          (137, ["sh", "-c", "kill -9 $$"])):
            r = rpodman("exec", "rl-c", *cmd)
            assert r.returncode == code, (code, r.returncode, r.stderr)
    finally:
        rpodman("rm", "-f", "-t", "0", "rl-k", "rl-c")
