"""Fixtures for the integration tests: they drive the real runtime binary on
real busybox bundles.

The binary is $CRUN_BINARY (default: <repo>/crun).  Most tests also hold for
runc (CRUN_BINARY=$(which runc)); tests of behaviour only crun (and we) have
are marked `crun_only` and skipped on runc, tests of behaviour of our runtime
that neither runc nor Debian's crun 1.8.1 have are marked `ours_only`.

Every test gets its own --root state directory and unique container ids; the
`runtime` fixture force-deletes what it created and then checks that nothing
was left: no state under --root, no mount under the bundle, no process whose
root is in the bundle's rootfs.
"""

import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILD = os.path.join(REPO, "tests", "build")
ROOTFS_TEMPLATE = os.path.join(BUILD, "rootfs")

CRUN = os.path.abspath(os.environ.get("CRUN_BINARY", os.path.join(REPO, "crun")))
IS_RUNC = os.path.basename(CRUN).startswith("runc")
DEFAULT_TIMEOUT = 30

_ids = itertools.count()


def pytest_configure(config):
    config.addinivalue_line("markers", "crun_only: behaviour of crun that runc does not share")
    config.addinivalue_line("markers", "ours_only: behaviour our runtime promises beyond crun 1.8.1 and runc")


def pytest_report_header(config):
    return "runtime under test: %s%s" % (CRUN, " (runc)" if IS_RUNC else "")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if IS_RUNC and (item.get_closest_marker("crun_only") or item.get_closest_marker("ours_only")):
            item.add_marker(pytest.mark.skip(reason="crun-specific behaviour, not runc's"))
        elif os.environ.get("CRUN_REFERENCE") and item.get_closest_marker("ours_only"):
            # CRUN_REFERENCE=1 when validating against Debian's crun 1.8.1
            item.add_marker(pytest.mark.skip(reason="our runtime's behaviour, not crun 1.8.1's"))


# ---------------------------------------------------------------- helpers


def host_mounts():
    """Mount points of the calling process, from /proc/self/mountinfo."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            res.append(fields[4].replace("\\040", " "))
    return res


def procs_rooted_in(path):
    """Pids of processes whose root directory is `path` or below it.

    readlink(/proc/PID/root) is useless for a process that pivoted into
    another mount namespace (it reads "/"), so compare the root's inode, and
    also the source of the root mount in the process's own mountinfo."""
    path = os.path.realpath(path)
    try:
        st = os.stat(path)
        want = (st.st_dev, st.st_ino)
    except OSError:
        want = None
    res = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            rst = os.stat("/proc/%s/root" % p)
            if want is not None and (rst.st_dev, rst.st_ino) == want:
                res.append(int(p))
                continue
            root = os.readlink("/proc/%s/root" % p)
            if root == path or root.startswith(path + "/"):
                res.append(int(p))
                continue
            with open("/proc/%s/mountinfo" % p) as f:
                src = None
                for line in f:
                    fl = line.split()
                    if fl[4] == "/":
                        src = fl[3]
            if src and (src == path or src.startswith(path + "/")):
                res.append(int(p))
        except OSError:
            continue
    return res


def ns_inode(pid_or_self, ns):
    return os.readlink("/proc/%s/ns/%s" % (pid_or_self, ns))


def wait_for(pred, timeout=10.0, interval=0.05):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            return v
        time.sleep(interval)


class Result:
    def __init__(self, argv, rc, out, err):
        self.argv, self.rc, self.out, self.err = argv, rc, out, err

    def __repr__(self):
        return "Result(argv=%r, rc=%r,\n  out=%r,\n  err=%r)" % (self.argv, self.rc, self.out, self.err)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def crun_binary():
    if not os.access(CRUN, os.X_OK):
        pytest.fail("runtime binary %s is missing or not executable (build it or set CRUN_BINARY)" % CRUN)
    return CRUN


@pytest.fixture(scope="session")
def rootfs_template():
    os.makedirs(BUILD, exist_ok=True)
    subprocess.run([os.path.join(REPO, "tests", "make-rootfs.sh"), ROOTFS_TEMPLATE], check=True, timeout=300)
    return ROOTFS_TEMPLATE


@pytest.fixture
def workdir():
    """A private world-traversable directory (tmp_path is 0700, which a
    container in a user namespace could not traverse)."""
    d = tempfile.mkdtemp(prefix="crun-it-", dir="/tmp")
    os.chmod(d, 0o755)
    yield d
    leftovers = [m for m in host_mounts() if m == d or m.startswith(d + "/")]
    for m in sorted(leftovers, key=len, reverse=True):
        subprocess.run(["umount", "-l", m], timeout=DEFAULT_TIMEOUT)
    if not leftovers:
        shutil.rmtree(d, ignore_errors=True)
    # a leftover mount is reported by the runtime fixture (it names the test);
    # the directory is kept for inspection then.


class Bundle:
    def __init__(self, path, crun):
        self.path = path
        self.rootfs = os.path.join(path, "rootfs")
        self.config_path = os.path.join(path, "config.json")
        with open(self.config_path) as f:
            self.config = json.load(f)

    # shortcuts
    @property
    def process(self):
        return self.config["process"]

    @property
    def linux(self):
        return self.config.setdefault("linux", {})

    def set_args(self, *args):
        self.process["args"] = list(args)

    def sh(self, script):
        self.set_args("sh", "-c", script)

    def namespaces(self):
        return [n["type"] for n in self.linux.get("namespaces", [])]

    def set_namespaces(self, types, paths=None):
        paths = paths or {}
        self.linux["namespaces"] = [dict({"type": t}, **({"path": paths[t]} if t in paths else {})) for t in types]

    def add_namespace(self, t, path=None):
        self.linux.setdefault("namespaces", [])
        self.linux["namespaces"] = [n for n in self.linux["namespaces"] if n["type"] != t]
        n = {"type": t}
        if path:
            n["path"] = path
        self.linux["namespaces"].append(n)

    def remove_namespace(self, t):
        self.linux["namespaces"] = [n for n in self.linux.get("namespaces", []) if n["type"] != t]

    def add_mount(self, destination, type=None, source=None, options=None):
        m = {"destination": destination}
        if type is not None:
            m["type"] = type
        if source is not None:
            m["source"] = source
        if options is not None:
            m["options"] = options
        self.config["mounts"].append(m)

    def remove_mount(self, destination):
        self.config["mounts"] = [m for m in self.config["mounts"] if m["destination"] != destination]

    def write(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)

    def rootfs_file(self, rel):
        return os.path.join(self.rootfs, rel.lstrip("/"))

    def read_rootfs_file(self, rel):
        with open(self.rootfs_file(rel)) as f:
            return f.read()


@pytest.fixture
def bundle(crun_binary, rootfs_template, workdir):
    """A bundle: <workdir>/bundle with a copy of the busybox rootfs and the
    config.json from `$CRUN spec`, edited: terminal false, rootfs writable,
    args `true`.  Edit bundle.config and call bundle.write() (the runtime
    fixture writes it before each create/run if it changed)."""
    path = os.path.join(workdir, "bundle")
    os.mkdir(path)
    subprocess.run(["cp", "-a", rootfs_template, os.path.join(path, "rootfs")], check=True, timeout=60)
    os.unlink(os.path.join(path, "rootfs", ".rootfs-stamp"))
    r = subprocess.run([crun_binary, "spec"], cwd=path, capture_output=True, text=True, timeout=DEFAULT_TIMEOUT)
    if r.returncode != 0:
        pytest.fail("`%s spec` failed (rc %d): %s" % (crun_binary, r.returncode, r.stderr))
    b = Bundle(path, crun_binary)
    b.process["terminal"] = False
    b.config["root"]["readonly"] = False
    b.set_args("true")
    b.write()
    return b


class Runtime:
    """Runs the runtime binary with its own --root; remembers the ids it
    created for cleanup."""

    def __init__(self, crun, workdir, name):
        self.crun = crun
        self.root = os.path.join(workdir, "state")
        os.mkdir(self.root)
        self.workdir = workdir
        self.name = name
        self.ids = []
        self.bundles = []
        self.popens = []
        self._n = itertools.count()

    def new_id(self, tag="c"):
        cid = "it-%d-%d-%s" % (os.getpid(), next(_ids), tag)
        self.ids.append(cid)
        return cid

    def argv(self, *args, global_args=()):
        return [self.crun, "--root", self.root, *global_args, *args]

    def cmd(self, *args, timeout=DEFAULT_TIMEOUT, input=None, global_args=(), env=None, wrapper=(), cwd=None):
        """Run the runtime; stdout/stderr go to files (never pipes: a
        detached container would keep a pipe open)."""
        n = next(self._n)
        outp = os.path.join(self.workdir, "cmd%d.out" % n)
        errp = os.path.join(self.workdir, "cmd%d.err" % n)
        argv = list(wrapper) + self.argv(*args, global_args=global_args)
        with open(outp, "w") as o, open(errp, "w") as e:
            try:
                p = subprocess.run(argv, stdout=o, stderr=e, timeout=timeout,
                                   stdin=subprocess.DEVNULL if input is None else None,
                                   input=input.encode() if isinstance(input, str) else input,
                                   env=env, cwd=cwd)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                rc = "timeout"
        with open(outp, errors="replace") as o, open(errp, errors="replace") as e:
            res = Result(argv, rc, o.read(), e.read())
        if rc == "timeout":
            pytest.fail("timed out after %ss: %r" % (timeout, res))
        return res

    def popen(self, *args, global_args=(), **kw):
        argv = self.argv(*args, global_args=global_args)
        p = subprocess.Popen(argv, **kw)
        self.popens.append(p)
        return p

    def _prepare(self, bundle):
        if bundle not in self.bundles:
            self.bundles.append(bundle)
        bundle.write()

    def create(self, bundle, cid=None, opts=(), **kw):
        self._prepare(bundle)
        cid = cid or self.new_id()
        return cid, self.cmd("create", "--bundle", bundle.path, *opts, cid, **kw)

    def run(self, bundle, cid=None, opts=(), **kw):
        """Foreground `run`; returns Result (container output in .out)."""
        self._prepare(bundle)
        cid = cid or self.new_id()
        return self.cmd("run", "--bundle", bundle.path, *opts, cid, **kw)

    def run_ok(self, bundle, *args, opts=(), **kw):
        """Run `args` (or the bundle's args) in the foreground, assert rc 0,
        return stdout."""
        if args:
            bundle.set_args(*args)
        r = self.run(bundle, opts=opts, **kw)
        assert r.rc == 0, r
        return r.out

    def sh_ok(self, bundle, script, **kw):
        bundle.sh(script)
        return self.run_ok(bundle, **kw)

    def state(self, cid):
        r = self.cmd("state", cid)
        assert r.rc == 0, r
        return json.loads(r.out)

    def status(self, cid):
        return self.state(cid)["status"]

    def wait_status(self, cid, want, timeout=10):
        got = wait_for(lambda: self.status(cid) == want, timeout)
        assert got, "container %s never reached status %s (now %s)" % (cid, want, self.status(cid))

    def cleanup(self):
        problems = []
        for p in self.popens:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(DEFAULT_TIMEOUT)
                except subprocess.TimeoutExpired:
                    problems.append("runtime process %d did not exit" % p.pid)
        for cid in self.ids:
            self.cmd("delete", "--force", cid)
        # no state left under --root
        left = [e for e in os.listdir(self.root) if e in self.ids or os.path.isdir(os.path.join(self.root, e))]
        if left:
            problems.append("state left under --root %s: %s" % (self.root, left))
        # no process rooted in a bundle, no mount under a bundle
        for b in self.bundles:
            wait_for(lambda: not procs_rooted_in(b.rootfs), 10)
            procs = procs_rooted_in(b.rootfs)
            if procs:
                for pid in procs:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                problems.append("processes left rooted in %s: %s" % (b.rootfs, procs))
            mounts = [m for m in host_mounts() if m == b.path or m.startswith(b.path + "/")]
            if mounts:
                problems.append("mounts left under bundle %s: %s" % (b.path, mounts))
        return problems


@pytest.fixture
def runtime(crun_binary, workdir, request):
    rt = Runtime(crun_binary, workdir, request.node.name)
    yield rt
    problems = rt.cleanup()
    assert not problems, "\n".join(problems)


HOST_GUARDED = ["/proc/sys/kernel/hostname", "/proc/sys/kernel/domainname", "/proc/sys/kernel/msgmax",
                "/proc/sys/net/ipv4/ip_forward"]


@pytest.fixture(autouse=True)
def host_unchanged():
    """A broken runtime may apply hostname/sysctls to the host: restore them
    and fail the test if it did."""
    before = {}
    for p in HOST_GUARDED:
        with open(p) as f:
            before[p] = f.read()
    yield
    changed = []
    for p, v in before.items():
        with open(p) as f:
            now = f.read()
        if now != v:
            changed.append("%s: %r -> %r" % (p, v.strip(), now.strip()))
            with open(p, "w") as f:
                f.write(v)
    assert not changed, "the host was modified (restored): " + "; ".join(changed)
