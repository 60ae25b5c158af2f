"""Podman end to end: Debian's podman 4.3 drives the runtime under test
(`--runtime $CRUN_BINARY`) through run/exec/top/pause/stop/rm, OCI hooks
(with run.oci.autoreap) and resource limits.

Everything podman creates lives under one private directory: its
containers.conf and storage.conf (tests/podman/*.in, through CONTAINERS_CONF
and CONTAINERS_STORAGE_CONF), graph root, run root, tmp dir, events log,
network config and hooks.  Networking is off (netns "none"): bridge
networking would change the host's firewall.  The session fixture removes
every container and image, the storage (unmounting what podman left mounted),
the runtime state of podman's containers and the cgroups podman made, also
when a test fails.  The one thing podman 4.3 writes outside that directory
that no option moves is the blob info cache of `podman import`
(/var/lib/containers/cache): it is removed too if the tests created it.

The tests are skipped, with the reason printed, only when podman cannot be
installed with apt-get.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PODMAN_DIR = os.path.join(REPO, "tests", "podman")
ROOTFS = os.path.join(REPO, "tests", "build", "rootfs")
CRUN = os.path.abspath(os.environ.get("CRUN_BINARY", os.path.join(REPO, "crun")))
IS_RUNC = os.path.basename(CRUN).startswith("runc")
IMAGE = "localhost/busybox"
TIMEOUT = 120
CGROUP_ROOT = "/sys/fs/cgroup"
BLOB_CACHE = "/var/lib/containers"


class Result:
    def __init__(self, argv, rc, out, err, elapsed):
        self.argv, self.rc, self.out, self.err, self.elapsed = argv, rc, out, err, elapsed

    def __repr__(self):
        return "Result(argv=%r, rc=%r, elapsed=%.2fs,\n  out=%r,\n  err=%r)" % (
            self.argv, self.rc, self.elapsed, self.out, self.err)


def _apt_install(pkg):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", pkg]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    return r


def _ensure_podman():
    """Path of podman, installing Debian's package if needed; None (and the
    reason) if it cannot be had."""
    if shutil.which("podman") and shutil.which("conmon"):
        return shutil.which("podman"), None
    if os.geteuid() != 0:
        return None, "podman is not installed and installing it needs root"
    r = _apt_install("podman")
    if r.returncode != 0 or not shutil.which("podman"):
        return None, "podman cannot be installed: apt-get install podman: rc %d: %s" % (
            r.returncode, (r.stderr or r.stdout).strip()[-500:])
    return shutil.which("podman"), None


def _mounts_under(path):
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].replace("\\040", " ")
            if mp == path or mp.startswith(path + "/"):
                res.append(mp)
    return res


def _cgroup_hierarchies():
    try:
        names = os.listdir(CGROUP_ROOT)
    except OSError:
        return []
    res = [os.path.join(CGROUP_ROOT, n) for n in names
           if os.path.isdir(os.path.join(CGROUP_ROOT, n)) and not os.path.islink(os.path.join(CGROUP_ROOT, n))]
    if os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers")):
        res.append(CGROUP_ROOT)  # cgroup v2 only
    return res


def _rmdir_cgroup_tree(path):
    """rmdir a cgroup and its (empty) children, deepest first."""
    for dirpath, dirnames, _ in sorted(os.walk(path), key=lambda t: -t[0].count("/")):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


class Podman:
    def __init__(self, podman, workdir, driver):
        self.podman = podman
        self.dir = workdir
        self.driver = driver
        self.hooks_dir = os.path.join(workdir, "hooks.d")
        self.env = dict(
            os.environ,
            CONTAINERS_CONF=os.path.join(workdir, "containers.conf"),
            CONTAINERS_STORAGE_CONF=os.path.join(workdir, "storage.conf"),
            CONTAINERS_REGISTRIES_CONF=os.path.join(workdir, "registries.conf"),
            XDG_RUNTIME_DIR=os.path.join(workdir, "xdg-run"),
            XDG_CONFIG_HOME=os.path.join(workdir, "xdg-config"),
            XDG_DATA_HOME=os.path.join(workdir, "xdg-data"),
        )
        self.base = [podman, "--root", os.path.join(workdir, "storage"),
                     "--runroot", os.path.join(workdir, "runroot"),
                     "--tmpdir", os.path.join(workdir, "tmp"),
                     "--storage-driver", driver,
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--runtime", CRUN]
        self.seen_ids = set()
        self.state_root = "/run/crun"  # the runtime's default --root
        self.rootless = False

    def scratch_dir(self, prefix):
        """A new directory under the work directory that the containers'
        root may read."""
        d = tempfile.mkdtemp(prefix=prefix, dir=self.dir)
        os.chmod(d, 0o755)
        return d

    def state_dirs(self):
        return set(os.listdir(self.state_root)) if os.path.isdir(self.state_root) else set()

    def __call__(self, *args, pre=(), timeout=TIMEOUT, input=None):
        """podman [pre...] SUBCOMMAND args...: `pre` are global options."""
        argv = self.base + list(pre) + list(args)
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                               timeout=timeout, input=input, stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            return Result(argv, "timeout", e.stdout or "", e.stderr or "", time.monotonic() - t0)
        return Result(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)

    def ok(self, *args, **kw):
        r = self(*args, **kw)
        assert r.rc == 0, r
        return r

    def container_ids(self):
        r = self("ps", "-aq", "--no-trunc", timeout=60)
        ids = r.out.split() if r.rc == 0 else []
        self.seen_ids.update(ids)
        return ids

    def inspect(self, name, fmt):
        return self.ok("inspect", "-f", fmt, name).out.strip()

    def userdata(self, cid):
        return os.path.join(self.dir, "runroot", "%s-containers" % self.driver, cid, "userdata")

    def hooks(self, template, **subst):
        """A fresh hooks directory holding tests/podman/TEMPLATE.json.in."""
        d = self.scratch_dir("hooks-")
        with open(os.path.join(PODMAN_DIR, template + ".json.in")) as f:
            text = f.read().replace("@HOOKS@", PODMAN_DIR)
        for k, v in subst.items():
            text = text.replace("@%s@" % k, v)
        with open(os.path.join(d, template + ".json"), "w") as f:
            f.write(text)
        return d


def _teardown(pm, before):
    problems = []
    # containers, then images and the rest of podman's world
    ids = pm.container_ids()
    if ids:
        r = pm("rm", "-af", "-t", "0", timeout=120)
        if r.rc != 0:
            problems.append("podman rm -af: %r" % r)
    pm("rmi", "-af", timeout=120)
    r = pm("system", "reset", "-f", timeout=180)
    if r.rc != 0:
        problems.append("podman system reset -f: %r" % r)
    # runtime state of podman's containers (podman uses the runtime's
    # default --root); `delete --force` of a container that is gone is a no-op
    for cid in sorted(pm.seen_ids):
        subprocess.run([CRUN, "delete", "--force", cid], capture_output=True, timeout=60)
    # overlay and shm mounts left behind would make rmtree fail or recurse
    # into the image layers: unmount them, deepest first
    for mp in sorted(_mounts_under(pm.dir), key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)
    shutil.rmtree(pm.dir, ignore_errors=True)
    if os.path.exists(pm.dir):
        problems.append("could not remove %s" % pm.dir)
    # cgroups podman made (libpod_parent/{conmon,libpod-ID}) if they were new
    for h in _cgroup_hierarchies():
        p = os.path.join(h, "libpod_parent")
        if p not in before["cgroups"] and os.path.isdir(p):
            _rmdir_cgroup_tree(p)
            if os.path.isdir(p):
                problems.append("cgroup %s is still in use" % p)
    # the blob info cache of `podman import`
    if not before["blob_cache_root"]:
        shutil.rmtree(BLOB_CACHE, ignore_errors=True)
    elif not before["blob_cache"]:
        shutil.rmtree(os.path.join(BLOB_CACHE, "cache"), ignore_errors=True)
    return problems


@pytest.fixture(scope="module")
def podman():
    path, why = _ensure_podman()
    if path is None:
        print("\nSKIP podman tests: %s" % why, file=sys.stderr)
        pytest.skip(why)
    if not os.access(CRUN, os.X_OK):
        pytest.fail("runtime binary %s is missing (build it or set CRUN_BINARY)" % CRUN)
    subprocess.run([os.path.join(REPO, "tests", "make-rootfs.sh"), ROOTFS], check=True, timeout=300)

    before = {
        "cgroups": {os.path.join(h, "libpod_parent") for h in _cgroup_hierarchies()
                    if os.path.isdir(os.path.join(h, "libpod_parent"))},
        "blob_cache_root": os.path.exists(BLOB_CACHE),
        "blob_cache": os.path.exists(os.path.join(BLOB_CACHE, "cache")),
    }
    workdir = tempfile.mkdtemp(prefix="crun-podman-")
    os.chmod(workdir, 0o755)
    driver = os.environ.get("PODMAN_STORAGE_DRIVER", "overlay")
    pm = Podman(path, workdir, driver)
    try:
        for d in ("hooks.d", "net", "tmp", "events", "xdg-config", "xdg-data"):
            os.makedirs(os.path.join(workdir, d))
        os.makedirs(pm.env["XDG_RUNTIME_DIR"], mode=0o700)
        for name in ("containers.conf", "storage.conf"):
            with open(os.path.join(PODMAN_DIR, name + ".in")) as f:
                text = f.read().replace("@DIR@", workdir).replace("@DRIVER@", driver)
            with open(os.path.join(workdir, name), "w") as f:
                f.write(text)
        with open(pm.env["CONTAINERS_REGISTRIES_CONF"], "w") as f:
            f.write("unqualified-search-registries = []\n")

        tar = subprocess.run(["tar", "-C", ROOTFS, "-c", "."], capture_output=True, check=True)
        r = subprocess.run(pm.base + ["import", "-", IMAGE], input=tar.stdout, env=pm.env,
                           capture_output=True, timeout=TIMEOUT)
        assert r.returncode == 0, "podman import: %s" % r.stderr.decode(errors="replace")
        assert IMAGE in pm.ok("images", "--format", "{{.Repository}}").out
    except BaseException:
        _teardown(pm, before)
        raise
    yield pm
    problems = _teardown(pm, before)
    assert not problems, problems


def _names_gone(pm, name):
    r = pm.ok("ps", "-a", "--format", "{{.Names}}")
    return name not in r.out.split()


# ---------------------------------------------------------------- tests


def test_run_rm_echo(podman):
    r = podman("run", "--rm", "--name", "pm-echo", IMAGE, "echo", "hi")
    assert r.rc == 0 and r.out == "hi\n", r
    assert _names_gone(podman, "pm-echo")


def test_detached_exec_top_pause_stop_rm(podman):
    name = "pm-detached"
    r = podman.ok("run", "-d", "--name", name, IMAGE, "sleep", "1000")
    cid = r.out.strip().splitlines()[-1]
    podman.seen_ids.add(cid)
    assert re.fullmatch(r"[0-9a-f]{64}", cid), r
    assert podman.inspect(name, "{{.State.Status}}") == "running"
    pid = int(podman.inspect(name, "{{.State.Pid}}"))
    assert pid > 0 and os.path.exists("/proc/%d" % pid)

    # exec without a terminal: output, exit code, no tty
    r = podman("exec", name, "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.rc == 7 and r.out == "out\n" and "err" in r.err, r
    r = podman("exec", name, "tty")
    assert r.rc == 1 and "not a tty" in r.out, r
    # exec -t: a pty inside the container (podman's stdout is not a tty:
    # output comes back with \r\n)
    r = podman("exec", "-t", name, "sh", "-c", "tty; echo $TERM")
    assert r.rc == 0, r
    lines = r.out.replace("\r", "").split("\n")
    assert re.fullmatch(r"/dev/pts/\d+", lines[0]) and lines[1] == "xterm", r
    # exec as another user in another directory
    r = podman.ok("exec", "-u", "1000", "-w", "/tmp", name, "sh", "-c", "id -u; pwd")
    assert r.out == "1000\n/tmp\n", r

    # top: the default format and chosen descriptors
    r = podman.ok("top", name)
    head, *rows = r.out.strip().splitlines()
    assert head.split()[:3] == ["USER", "PID", "PPID"], r
    assert any(row.split()[1] == "1" and "sleep 1000" in row for row in rows), r
    r = podman.ok("top", name, "pid", "args")
    assert any(re.match(r"\s*1\s+sleep 1000", row) for row in r.out.splitlines()[1:]), r

    # pause / unpause: podman's status and the process's state on the host
    podman.ok("pause", name)
    assert podman.inspect(name, "{{.State.Status}}") == "paused"
    with open("/proc/%d/stat" % pid) as f:
        state = f.read().rsplit(")", 1)[1].split()[0]
    assert state in ("D", "S"), state  # frozen tasks sleep in the freezer
    r = podman("exec", name, "true")
    assert r.rc != 0, r  # podman refuses exec in a paused container
    podman.ok("unpause", name)
    assert podman.inspect(name, "{{.State.Status}}") == "running"
    assert podman.ok("exec", name, "echo", "again").out == "again\n"

    # stop -t 2: sleep as pid 1 ignores SIGTERM, so SIGKILL after 2 s
    r = podman("stop", "-t", "2", name)
    assert r.rc == 0 and r.out.strip() == name, r
    assert 1.5 < r.elapsed < 20, r
    assert podman.inspect(name, "{{.State.Status}}") == "exited"
    assert podman.inspect(name, "{{.State.ExitCode}}") == "137"
    assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"

    podman.ok("rm", name)
    assert _names_gone(podman, name)
    assert cid not in podman.state_dirs(), "runtime state left for %s" % cid
    for h in _cgroup_hierarchies():
        assert not os.path.exists(os.path.join(h, "libpod_parent", "libpod-" + cid)), h


def test_stop_graceful(podman):
    """A container that handles SIGTERM stops with its own exit code."""
    name = "pm-graceful"
    cid = podman.ok("run", "-d", "--name", name, IMAGE, "sh", "-c",
                    "trap 'exit 3' TERM; while :; do sleep 0.1; done").out.strip()
    podman.seen_ids.add(cid)
    time.sleep(0.5)
    r = podman("stop", "-t", "10", name)
    assert r.rc == 0 and r.elapsed < 8, r
    assert podman.inspect(name, "{{.State.ExitCode}}") == "3"
    podman.ok("rm", name)


def _oci_log_lines(podman, cid):
    path = os.path.join(podman.userdata(cid), "oci-log")
    with open(path) as f:
        text = f.read()
    msgs = []
    for line in text.splitlines():
        if line.strip():
            msgs.append(json.loads(line)["msg"])  # podman asks crun for --log-format=json
    return msgs


@pytest.mark.ours_only
def test_autoreap_hook(podman):
    out = os.path.join(podman.dir, "autoreap-state.json")
    hooks = podman.hooks("save-state", OUT=out)
    hook = os.path.join(PODMAN_DIR, "save-state.sh")
    name = "pm-autoreap"
    r = podman("run", "--name", name, "--annotation", "run.oci.autoreap=1", IMAGE, "echo", "hi",
               pre=("--hooks-dir", hooks, "--runtime-flag", "debug"))
    assert r.rc == 0 and r.out == "hi\n", r
    cid = podman.inspect(name, "{{.Id}}")
    podman.seen_ids.add(cid)

    # the hook ran and got the state of the container being created
    with open(out) as f:
        state = json.load(f)
    assert state["id"] == cid, state
    assert state["status"] in ("creating", "created"), state
    assert isinstance(state["pid"], int) and state["pid"] > 0, state
    assert os.path.realpath(state["bundle"]) == os.path.realpath(
        os.path.join(podman.dir, "storage", "%s-containers" % podman.driver, cid, "userdata")), state
    assert state["annotations"]["run.oci.autoreap"] == "1", state
    assert state["annotations"]["io.container.manager"] == "libpod", state
    assert state["ociVersion"].startswith("1."), state

    # and the runtime's debug log (podman passes --log-format=json --log
    # <userdata>/oci-log to a runtime named crun) says it went through the
    # autoreap spawner
    msgs = _oci_log_lines(podman, cid)
    pat = re.compile(r"prestart hook #0 `%s`: pid (\d+), spawner `([a-z0-9-]+)` \(autoreap mode\)$" % re.escape(hook))
    hits = [m for m in map(pat.search, msgs) if m]
    assert hits, msgs
    assert any("prestart hook #0 `%s`: exited with status 0" % hook in m for m in msgs), msgs
    podman.ok("rm", name)

    # control: without the annotation the hook runs, but not in autoreap mode
    os.unlink(out)
    name = "pm-noautoreap"
    r = podman("run", "--name", name, IMAGE, "true", pre=("--hooks-dir", hooks, "--runtime-flag", "debug"))
    assert r.rc == 0, r
    cid = podman.inspect(name, "{{.Id}}")
    podman.seen_ids.add(cid)
    assert os.path.exists(out)
    msgs = _oci_log_lines(podman, cid)
    lines = [m for m in msgs if m.startswith("prestart hook #0 `%s`: pid" % hook)]
    assert lines and not any("autoreap mode" in m for m in lines), msgs
    podman.ok("rm", name)


def test_failing_prestart_hook(podman):
    hooks = podman.hooks("fail-hook")
    hook = os.path.join(PODMAN_DIR, "fail-hook.sh")
    name = "pm-failhook"
    r = podman("run", "--rm", "--name", name, IMAGE, "echo", "hi", pre=("--hooks-dir", hooks))
    assert r.rc != 0, r
    assert "hi" not in r.out, r
    if IS_RUNC:  # runc says "error running hook #0: ... exit status 3"
        assert "hook #0" in r.err and "exit status 3" in r.err, r
    else:
        assert hook in r.err and "prestart" in r.err, r
    # podman's delete --force after the failed create must not complain
    assert "does not exist" not in r.err, r
    podman.container_ids()
    assert _names_gone(podman, name)
    assert not podman.state_dirs() & podman.seen_ids, "runtime state left behind"


def test_memory_and_pids_limits(podman):
    script = (
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; "
        "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; "
        # 60 background sleeps under a limit of 50 tasks: some forks fail
        # (in a subshell: a failed fork is fatal to a non-interactive ash)
        "i=0; n=0; while [ $i -lt 60 ]; do if (sleep 5 &) 2>/dev/null; then n=$((n+1)); fi; "
        "i=$((i+1)); done; echo started $n; "
        "cat /sys/fs/cgroup/pids/pids.current 2>/dev/null || cat /sys/fs/cgroup/pids.current"
    )
    r = podman("run", "--rm", "--memory", "64m", "--pids-limit", "50", IMAGE, "sh", "-c", script)
    assert r.rc == 0, r
    lines = r.out.split("\n")
    assert lines[0] == str(64 * 1024 * 1024), r
    assert lines[1] == "50", r
    m = re.match(r"started (\d+)$", lines[2])
    assert m and 40 <= int(m.group(1)) < 50, r
    assert int(lines[3]) <= 50, r


# ---------------------------------------------------------- seccomp profiles


@pytest.fixture(scope="module")
def clone3_probe():
    """tests/seccomp/clone3-probe.c built static, to bind into containers."""
    d = tempfile.mkdtemp(prefix="clone3-probe-")
    os.chmod(d, 0o755)
    out = os.path.join(d, "clone3-probe")
    src = os.path.join(REPO, "tests", "seccomp", "clone3-probe.c")
    r = subprocess.run(["gcc", "-static", "-pthread", "-O2", "-o", out, src],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    yield out
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("profile,autoreap_answer", [("default", "EINVAL"), ("strict", "ENOSYS")])
def test_seccomp_profile(podman, clone3_probe, profile, autoreap_answer):
    """podman --security-opt seccomp=contrib/seccomp/PROFILE.json: with the
    default profile the AUTOREAP clone3 reaches the kernel (EINVAL: this
    kernel lacks the flag), with the strict one seccomp answers ENOSYS; in
    both, threads work (glibc falls back from clone3 to clone)."""
    if not os.uname().release.startswith("6.18."):
        pytest.skip("expected answers are those of this machine's 6.18 kernel")
    prof = os.path.join(REPO, "contrib", "seccomp", profile + ".json")
    r = podman("run", "--rm", "--security-opt", "seccomp=" + prof,
               "-v", "%s:/clone3-probe:ro" % clone3_probe, IMAGE, "/clone3-probe")
    assert r.rc == 0, r
    got = dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)
    assert got["clone3_autoreap"] == autoreap_answer, r
    assert got["pthread"] == "OK", r
    # without a user namespace, the README's table: clone/unshare with
    # CLONE_NEWUSER refused by the filter
    assert got["unshare_newuser"] == "EPERM" and got["clone_newuser"] == "EPERM", r


# ---------------------------------------------------------- issue 11 rows


def test_device_from_podman(podman):
    """podman writes linux.devices[].fileMode with the file-type bits
    (020666): the device exists in the container with its numbers."""
    r = podman("run", "--rm", "--device", "/dev/fuse", IMAGE, "sh", "-c",
               "stat -c '%t:%T %a' /dev/fuse; echo x > /dev/null && echo null-ok")
    assert r.rc == 0, r
    host_mode = "%o" % (os.stat("/dev/fuse").st_mode & 0o7777)
    assert r.out.split("\n")[0] == "a:e5 " + host_mode and "null-ok" in r.out, r


def test_cpus_limit(podman):
    """--cpus 0.5: the CFS quota is half of the period, in the cgroup the
    container sees."""
    r = podman("run", "--rm", "--cpus", "0.5", IMAGE, "sh", "-c",
               "cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null "
               "|| cat /sys/fs/cgroup/cpu.max")
    assert r.rc == 0, r
    quota, period = r.out.split()[:2]
    assert int(quota) * 2 == int(period), r


@pytest.mark.parametrize("userns", [None, "0:100000:65536"])
def test_device_null_and_fuse(podman, userns):
    """--device /dev/null and /dev/fuse, also with --uidmap (a user
    namespace, where the host's node is bound): the nodes are there with the
    host's numbers and modes; /dev/null is writable, and /dev/fuse opens as
    root without a user namespace (in one the host's root owner is unmapped,
    and this host's node has mode 0600)."""
    pre = ["--uidmap", userns, "--gidmap", userns] if userns else []
    r = podman("run", "--rm", *pre, "--device", "/dev/null", "--device", "/dev/fuse", IMAGE, "sh", "-c",
               "stat -c '%t:%T %a' /dev/null /dev/fuse; echo x > /dev/null && echo null-ok; "
               "(exec 3</dev/fuse) 2>/dev/null && echo fuse-open; cat /proc/self/uid_map")
    assert r.rc == 0, r
    lines = r.out.split("\n")
    modes = ["%o" % (os.stat(p).st_mode & 0o7777) for p in ("/dev/null", "/dev/fuse")]
    assert lines[:3] == ["1:3 " + modes[0], "a:e5 " + modes[1], "null-ok"], r
    if userns:
        assert lines[-2].split() == ["0", "100000", "65536"], r
    else:
        assert lines[3] == "fuse-open", r


def test_privileged(podman):
    """--privileged: every capability, host devices, and a mount inside
    works."""
    r = podman("run", "--rm", "--privileged", IMAGE, "sh", "-c",
               "grep CapEff /proc/self/status; ls /dev | grep -c .; "
               "mkdir /m && mount -t tmpfs none /m && echo mounted")
    assert r.rc == 0, r
    lines = r.out.split("\n")
    if podman.rootless:
        # a new user namespace starts with every capability in its bounding
        # set, whatever the bounding set of its creator
        with open("/proc/sys/kernel/cap_last_cap") as f:
            want = "%016x" % ((1 << (int(f.read()) + 1)) - 1)
    else:
        with open("/proc/self/status") as f:
            want = [l.split()[1] for l in f if l.startswith("CapBnd:")][0]
    assert lines[0].split()[1] == want, (r, "expected", want)
    assert int(lines[1]) > 20, r
    assert "mounted" in r.out, r


def test_personality_linux32(podman):
    if os.uname().machine != "x86_64":
        pytest.skip("LINUX32 is checked on x86_64")
    r = podman("run", "--rm", "--personality", "LINUX32", IMAGE, "uname", "-m")
    assert r.rc == 0 and r.out.strip() == "i686", r


@pytest.mark.parametrize("mode", ["rshared", "shared", "slave", "rslave", "private"])
def test_volume_propagation(podman, mode):
    """-v SRC:DST:<propagation> (podman then asks for a matching
    rootfsPropagation): pivot_root works and the volume is mounted with it."""
    src = podman.scratch_dir("vol-")
    with open(os.path.join(src, "f"), "w") as f:
        f.write("vol\n")
    r = podman("run", "--rm", "-v", "%s:/b:%s" % (src, mode), IMAGE, "sh", "-c",
               "cat /b/f; grep ' /b ' /proc/self/mountinfo")
    assert r.rc == 0, r
    assert r.out.startswith("vol\n"), r
    fields = r.out.split("\n")[1].split(" - ")[0].split()
    optional = " ".join(fields[6:])
    if mode.endswith("shared"):
        assert "shared:" in optional, (mode, r.out)
    else:
        # a slave of a private host mount (this machine's /) is private, as
        # under runc; it must not be shared
        assert "shared:" not in optional, (mode, r.out)


def test_exec_i_with_piped_stdin(podman):
    """`podman exec -i` (conmon runs `exec --detach` with its pipes as
    stdio): 100 kB piped in arrive whole, 20 times in a row."""
    name = "pm-exec-i"
    podman.ok("run", "-d", "--name", name, IMAGE, "sleep", "120")
    try:
        data = "".join("line %05d of the piped input\n" % i for i in range(3500))
        assert len(data) > 100000
        for i in range(20):
            r = podman("exec", "-i", name, "sh", "-c", "cat | md5sum", input=data)
            assert r.rc == 0, r
            import hashlib
            assert r.out.split()[0] == hashlib.md5(data.encode()).hexdigest(), (i, r)
        r = podman("exec", "-i", name, "cat", input="hi\n")
        assert r.rc == 0 and r.out == "hi\n", r
    finally:
        podman("rm", "-f", "-t", "0", name)


# ---------------------------------------------------------- the podman matrix


def test_run_options_in_the_container(podman):
    """--env, --workdir, --hostname, --user, --read-only, --tmpfs,
    --shm-size, --ulimit, --sysctl and no-new-privileges, each read back
    inside the container."""
    script = ("echo env=$FOO; pwd; hostname; id -u; touch /ro 2>/dev/null || echo ro; "
              "echo t > /scratch/t && echo tmpfs-ok; df -k /dev/shm | tail -1 | awk '{print $2}'; "
              "ulimit -n; cat /proc/sys/net/ipv4/ip_unprivileged_port_start; "
              "grep NoNewPrivs /proc/self/status | awk '{print $2}'")
    r = podman("run", "--rm", "--env", "FOO=bar", "--workdir", "/tmp", "--hostname", "pm-host",
               "--user", "1000", "--read-only", "--tmpfs", "/scratch:mode=1777", "--shm-size", "8m",
               # both: an --ulimit replaces containers.conf's defaults, and
               # podman's own nproc default is above this machine's limit
               "--ulimit", "nofile=512:512", "--ulimit", "nproc=1024:1024", "--sysctl", "net.ipv4.ip_unprivileged_port_start=1024",
               "--security-opt", "no-new-privileges", IMAGE, "sh", "-c", script)
    assert r.rc == 0, r
    assert r.out.split("\n")[:11] == ["env=bar", "/tmp", "pm-host", "1000", "ro", "tmpfs-ok", "8192",
                                      "512", "1024", "1", ""][:11], r


def test_pid_host(podman):
    r = podman("run", "--rm", "--pid", "host", IMAGE, "sh", "-c",
               "readlink /proc/self/ns/pid; ls /proc | grep -c '^[0-9]'")
    assert r.rc == 0, r
    pidns, nprocs = r.out.split("\n")[:2]
    assert pidns == os.readlink("/proc/self/ns/pid"), r
    assert int(nprocs) > 5, r  # the host's processes are visible


def test_ipc_host(podman):
    r = podman("run", "--rm", "--ipc", "host", IMAGE, "readlink", "/proc/self/ns/ipc")
    assert r.rc == 0, r
    assert r.out.strip() == os.readlink("/proc/self/ns/ipc"), r


def test_init_and_exit_codes(podman):
    if not os.path.exists("/usr/libexec/podman/catatonit"):
        _apt_install("catatonit")
    if os.path.exists("/usr/libexec/podman/catatonit"):
        r = podman("run", "--rm", "--init", IMAGE, "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
        assert r.rc == 0 and "init" in r.out, r
    else:
        print("\nSKIP --init: catatonit cannot be installed", file=sys.stderr)
    for code, cmd in ((42, ["sh", "-c", "exit 42"]), (127, ["/nonexistent"]), (126, ["/etc"]),
                      (137, ["sh", "-c", "sh -c 'kill -9 $$'; exit $?"])):
        r = podman("run", "--rm", IMAGE, *cmd)
        assert r.rc == code, (code, r)


def test_logs_restart_cp(podman):
    name = "pm-logs"
    podman.ok("run", "-d", "--name", name, IMAGE, "sh", "-c", "echo started; sleep 300")
    try:
        for _ in range(50):
            if "started" in podman("logs", name).out:
                break
            time.sleep(0.1)
        assert podman.ok("logs", name).out.count("started") == 1
        src = os.path.join(podman.dir, "cp-in")
        with open(src, "w") as f:
            f.write("copied-in\n")
        podman.ok("cp", src, "%s:/tmp/in" % name)
        assert podman.ok("exec", name, "cat", "/tmp/in").out == "copied-in\n"
        podman.ok("exec", name, "sh", "-c", "echo copied-out > /tmp/out")
        dst = os.path.join(podman.dir, "cp-out")
        podman.ok("cp", "%s:/tmp/out" % name, dst)
        assert open(dst).read() == "copied-out\n"
        podman.ok("restart", "-t", "1", name)
        assert podman.inspect(name, "{{.State.Status}}") == "running"
        for _ in range(50):
            if podman("logs", name).out.count("started") == 2:
                break
            time.sleep(0.1)
        assert podman.ok("logs", name).out.count("started") == 2
    finally:
        podman("rm", "-f", "-t", "0", name)


def test_named_volume_and_cap_changes(podman):
    podman.ok("volume", "create", "pm-vol")
    try:
        podman.ok("run", "--rm", "-v", "pm-vol:/data", IMAGE, "sh", "-c", "echo kept > /data/f")
        r = podman.ok("run", "--rm", "-v", "pm-vol:/data", "--cap-drop", "ALL", "--cap-add", "NET_RAW",
                      IMAGE, "sh", "-c", "cat /data/f; grep CapEff /proc/self/status")
        lines = r.out.split("\n")
        assert lines[0] == "kept", r
        assert lines[1].split()[1] == "%016x" % (1 << 13), r  # CAP_NET_RAW only
    finally:
        podman("volume", "rm", "-f", "pm-vol")


def test_failed_start_leaves_nothing(podman):
    """A container whose process cannot start: podman reports it, and no
    runtime state, cgroup or process is left."""
    before = podman.state_dirs()
    r = podman("run", "--rm", "--name", "pm-fail", IMAGE, "/no/such/program")
    assert r.rc == 127, r
    assert _names_gone(podman, "pm-fail")
    after = podman.state_dirs()
    assert after <= before, after - before


def _on_pty(argv, env, script, rows=33, cols=111, timeout=60):
    """Run argv on a new pty of rows x cols, type `script` (a list of
    (text, wait-for-output[, seconds to wait first])), return (exit code,
    output)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    out = b""
    deadline = time.monotonic() + timeout

    def read_until(marker):
        nonlocal out
        while marker.encode() not in out and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                out += chunk

    for step in script:
        text, wait = step[0], step[1]
        if len(step) > 2:
            time.sleep(step[2])  # let the typed command start
        if text:
            os.write(fd, text.encode())
        if wait:
            read_until(wait)
    status = None
    while status is None and time.monotonic() < deadline:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        select.select([fd], [], [], 0.1)
        try:
            out += os.read(fd, 4096) if select.select([fd], [], [], 0)[0] else b""
        except OSError:
            pass
    if status is None:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace").replace("\r", "")


def test_run_it_and_exec_it_on_a_pty(podman):
    """podman run -it / exec -it as a user types them: the size of the
    user's terminal, typed input, Ctrl-C, and the exit code."""
    argv = podman.base + ["run", "-it", "--rm", "--name", "pm-tty", IMAGE, "sh"]
    code, out = _on_pty(argv, podman.env, [
        (None, "# "), ("stty size; tty\n", "/dev/pts/"), ("sleep 100\n", "sleep 100"), ("\x03", "# ", 1.0),
        ("exit 5\n", None)])
    assert code == 5, (code, out)
    assert "33 111" in out, out
    podman.ok("run", "-d", "--name", "pm-tty2", IMAGE, "sleep", "300")
    try:
        argv = podman.base + ["exec", "-it", "pm-tty2", "sh"]
        code, out = _on_pty(argv, podman.env, [(None, "# "), ("stty size\n", "21 77"), ("exit 6\n", None)],
                            rows=21, cols=77)
        assert code == 6 and "21 77" in out, (code, out)
    finally:
        podman("rm", "-f", "-t", "0", "pm-tty2")


def test_stats(podman):
    podman.ok("run", "-d", "--name", "pm-stats", IMAGE, "sleep", "300")
    try:
        r = podman("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "pm-stats")
        assert r.rc == 0 and r.out.split()[:2] == ["pm-stats", "1"], r
    finally:
        podman("rm", "-f", "-t", "0", "pm-stats")


def test_kill(podman):
    podman.ok("run", "-d", "--name", "pm-kill", IMAGE, "sleep", "300")
    try:
        r = podman("kill", "-s", "TERM", "pm-kill")  # pid 1 ignores it
        assert r.rc == 0, r
        time.sleep(0.3)
        assert podman.inspect("pm-kill", "{{.State.Status}}") == "running"
        podman.ok("kill", "-s", "KILL", "pm-kill")
        for _ in range(100):
            if podman.inspect("pm-kill", "{{.State.Status}}") == "exited":
                break
            time.sleep(0.05)
        assert podman.inspect("pm-kill", "{{.State.ExitCode}}") == "137"
    finally:
        podman("rm", "-f", "-t", "0", "pm-kill")


@pytest.mark.parametrize("opt,mode", [(None, "2"), ("seccomp=unconfined", "0")])
def test_podman_seccomp_default_and_unconfined(podman, opt, mode):
    """podman's own default profile filters (Seccomp: 2) and unconfined
    does not (0); the filter refuses what the profile denies."""
    pre = ["--security-opt", opt] if opt else []
    r = podman("run", "--rm", *pre, IMAGE, "sh", "-c",
               "grep '^Seccomp:' /proc/self/status | awk '{print $2}'; "
               "unshare -m true 2>/dev/null && echo unshare-ok || echo unshare-refused")
    assert r.rc == 0, r
    lines = r.out.split("\n")
    assert lines[0] == mode, r
    # the default capability set lacks CAP_SYS_ADMIN either way
    assert lines[1] == "unshare-refused", r


@pytest.mark.parametrize("autoreap", [None, "1"])
def test_prestart_and_poststop_hooks_dir(podman, autoreap):
    """--hooks-dir with a prestart and a poststop hook, with and without
    run.oci.autoreap=1: each gets its state (created, stopped)."""
    pre_out = os.path.join(podman.dir, "pre-%s.json" % autoreap)
    post_out = os.path.join(podman.dir, "post-%s.json" % autoreap)
    hooks = podman.hooks("save-state", OUT=pre_out)
    post = podman.hooks("save-poststop", OUT=post_out)
    shutil.copy(os.path.join(post, "save-poststop.json"), hooks)
    ann = ["--annotation", "run.oci.autoreap=" + autoreap] if autoreap else []
    r = podman("run", "--rm", *ann, IMAGE, "true", pre=("--hooks-dir", hooks))
    assert r.rc == 0, r
    with open(pre_out) as f:
        pre_state = json.load(f)
    for _ in range(100):  # podman's cleanup (delete) runs the poststop hook
        if os.path.exists(post_out):
            break
        time.sleep(0.05)
    with open(post_out) as f:
        post_state = json.load(f)
    assert pre_state["id"] == post_state["id"], (pre_state, post_state)
    assert pre_state["status"] in ("creating", "created") and post_state["status"] == "stopped", post_state
