"""Rootless podman (issue 11): a user made for the test runs Debian's podman
with our binary as --runtime (vfs storage, no network, cgroupfs on cgroup
v1, where a rootless container gets no cgroups, as with runc and crun).
Besides its own cases, the module runs again every row of test_podman's
matrix that podman allows rootless on cgroup v1.  The user, its subordinate
id ranges, its files and its processes are removed in teardown, also when a
test fails."""

import os
import pwd
import re
import shutil
import subprocess
import tempfile

import time

import pytest

import test_podman
from test_podman import CRUN, PODMAN_DIR, ROOTFS, TIMEOUT, Result, _ensure_podman

USER = "crun-it-rl"
SUBID = "%s:400000:65536\n" % USER
PATH = "/usr/bin:/bin:/usr/sbin:/sbin"


class RootlessPodman(test_podman.Podman):
    """test_podman.Podman for the test user: every call runs podman through
    setpriv with only the user's environment."""

    def __init__(self, podman, home):  # pylint: disable=super-init-not-called
        self.dir = self.home = home
        self.driver = "vfs"
        self.seen_ids = set()
        self.state_root = os.path.join(home, "xdg", "crun")  # $XDG_RUNTIME_DIR/crun
        self.rootless = True
        user_env = {
            "HOME": home, "PATH": PATH, "XDG_RUNTIME_DIR": os.path.join(home, "xdg"),
            "CONTAINERS_CONF": os.path.join(home, "containers.conf"),
            "CONTAINERS_STORAGE_CONF": os.path.join(home, "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": os.path.join(home, "registries.conf"),
        }
        # the environment of the process that execs `base` (test_podman's
        # pty helper execs it directly)
        self.env = {"PATH": PATH}
        self.base = (["setpriv", "--reuid=%s" % USER, "--regid=%s" % USER, "--init-groups", "env", "-i"]
                     + ["%s=%s" % kv for kv in user_env.items()] + [podman, "--runtime", CRUN])

    def __call__(self, *args, pre=(), input=None, timeout=TIMEOUT):
        argv = self.base + list(pre) + list(args)
        t0 = time.monotonic()
        # files, not pipes: a detached conmon inherits podman's stdout
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            try:
                p = subprocess.run(argv, stdout=out, stderr=err, timeout=timeout, cwd=self.home,
                                   input=input, stdin=None if input is not None else subprocess.DEVNULL,
                                   text=True)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
            out.seek(0)
            err.seek(0)
            return Result(argv, rc, out.read(), err.read(), time.monotonic() - t0)

    def userdata(self, cid):
        return os.path.join(self.home, "xdg", "containers", "vfs-containers", cid, "userdata")

    def scratch_dir(self, prefix):
        """A new directory the test user (the containers' root) owns."""
        d = tempfile.mkdtemp(prefix=prefix, dir=self.home)
        pw = pwd.getpwnam(USER)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        return d



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
def podman():
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
        with open(os.path.join(PODMAN_DIR, "storage.conf.in")) as f:
            conf = f.read().replace("@DIR@", home).replace("@DRIVER@", "vfs")
        with open(os.path.join(home, "storage.conf"), "w") as f:
            f.write(conf)
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

# The rows of test_podman's matrix that podman allows rootless on this
# machine's cgroup v1 layout, run again as the test user.  Left out, because
# podman itself refuses or ignores them rootless on cgroup v1 with any
# runtime: pause/unpause, stats, --memory/--cpus/--pids-limit (there are no
# cgroups for a rootless container).
from test_podman import (  # noqa: E402,F401  (collected here with this module's fixture)
    test_autoreap_hook, test_device_from_podman, test_exec_i_with_piped_stdin,
    test_failed_start_leaves_nothing, test_failing_prestart_hook, test_init_and_exit_codes, test_kill,
    test_logs_restart_cp, test_named_volume_and_cap_changes, test_personality_linux32, test_pid_host,
    test_podman_seccomp_default_and_unconfined, test_prestart_and_poststop_hooks_dir, test_privileged,
    test_run_it_and_exec_it_on_a_pty, test_run_options_in_the_container, test_run_rm_echo, test_stop_graceful,
    test_volume_propagation)


def test_run_rm_id_and_mapping(podman):
    r = podman.ok("run", "--rm", IMAGE, "sh", "-c", "id -u; cat /proc/self/uid_map")
    lines = r.out.split("\n")
    assert lines[0] == "0", r
    first = lines[1].split()
    assert first[0] == "0" and first[1] == str(pwd.getpwnam(USER).pw_uid), r
    start, count = first_subid_range("/etc/subuid")
    assert lines[2].split() == ["1", str(start), str(count)], r


def test_run_d_exec_stop(podman):
    podman.ok("run", "-d", "--name", "rl-d", IMAGE, "sleep", "300")
    try:
        r = podman.ok("exec", "rl-d", "sh", "-c", "echo in-exec; id -u")
        assert r.out.split() == ["in-exec", "0"], r
        r = podman.ok("exec", "-t", "rl-d", "tty")
        assert re.fullmatch(r"/dev/pts/\d+", r.out.replace("\r", "").strip()), r
        r = podman("stop", "-t", "2", "rl-d")
        assert r.rc == 0 and 1.5 < r.elapsed < 20, r
        assert podman.inspect("rl-d", "{{.State.Status}}") == "exited"
        assert podman.inspect("rl-d", "{{.State.ExitCode}}") == "137"
    finally:
        podman("rm", "-f", "-t", "0", "rl-d")


def test_keep_id_volume_caps_and_exit_codes(podman):
    uid = pwd.getpwnam(USER).pw_uid
    vol = podman.scratch_dir("vol-")
    r = podman.ok("run", "--rm", "--userns=keep-id", "-v", "%s:/v" % vol, IMAGE,
                  "sh", "-c", "id -u; echo written > /v/f")
    assert r.out.split("\n")[0] == str(uid), r
    assert os.stat(os.path.join(vol, "f")).st_uid == uid
    r = podman.ok("run", "--rm", "--cap-drop", "ALL", "-v", "%s:/bound" % vol, IMAGE,
                  "sh", "-c", "grep CapEff /proc/self/status; cat /bound/f")
    assert r.out.split("\n")[:2] == ["CapEff:\t0000000000000000", "written"], r
    for code, cmd in ((42, ["sh", "-c", "exit 42"]), (127, ["/nonexistent"]), (126, ["/etc"]),
                      # not the container's pid 1: its own SIGKILL is ignored
                      (137, ["sh", "-c", "sh -c 'kill -9 $$'; exit $?"])):
        r = podman("run", "--rm", IMAGE, *cmd)
        assert r.rc == code, (code, r)


@pytest.fixture
def host_mqueue():
    """Rootless `--ipc host` binds the host's /dev/mqueue (podman refuses
    without it: `statfs /dev/mqueue`); this machine has none mounted, so the
    test mounts one for its duration."""
    if os.path.ismount("/dev/mqueue"):
        yield
        return
    made = not os.path.isdir("/dev/mqueue")
    if made:
        os.mkdir("/dev/mqueue")
    r = subprocess.run(["mount", "-t", "mqueue", "mqueue", "/dev/mqueue"], capture_output=True, text=True)
    if r.returncode != 0:
        if made:
            os.rmdir("/dev/mqueue")
        pytest.skip("cannot mount mqueue on /dev/mqueue: %s" % r.stderr.strip())
    try:
        yield
    finally:
        subprocess.run(["umount", "/dev/mqueue"])
        if made:
            os.rmdir("/dev/mqueue")


def test_ipc_host_rootless(podman, host_mqueue):
    test_podman.test_ipc_host(podman)
