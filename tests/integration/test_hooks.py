"""OCI hooks with the real binary: all six stages at the right points and in
the right namespaces, args, env, timeout, the state JSON on stdin, failure
handling per stage, run.oci.hooks.stdout/stderr, and the run.oci.autoreap
annotation (1/true on, 0/false/absent off, `required`, invalid values).

Most tests run twice: without the annotation and with run.oci.autoreap=1.
No test times anything, except that a timeout case bounds the elapsed time
generously."""

import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import DEFAULT_TIMEOUT, procs_rooted_in, wait_for

pytestmark = pytest.mark.ours_only

HERE = os.path.dirname(os.path.abspath(__file__))
RECORD = os.path.join(HERE, "hooks", "record.sh")

STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
# stages run in the container's namespaces (the others in the runtime's)
IN_CONTAINER_NS = {"createContainer", "startContainer"}
# stages whose hook path is resolved inside the container (after pivot_root)
INSIDE_ROOTFS = {"startContainer"}
# as crun 1.8.1 (runc 1.1 says "creating" for the first three and "created"
# for poststart); crun's "starting" for startContainer is not a status of
# the runtime spec, which ours follows there
STATUS = {
    "prestart": "created",
    "createRuntime": "created",
    "createContainer": "created",
    "startContainer": "created",
    "poststart": "running",
    "poststop": "stopped",
}

AUTOREAP_MODES = [None, "1"]


@pytest.fixture(params=AUTOREAP_MODES, ids=["no-annotation", "autoreap=1"])
def autoreap(request):
    return request.param


def set_autoreap(bundle, value):
    ann = bundle.config.setdefault("annotations", {})
    ann.pop("run.oci.autoreap", None)
    if value is not None:
        ann["run.oci.autoreap"] = value


def add_hook(bundle, stage, hook):
    bundle.config.setdefault("hooks", {}).setdefault(stage, []).append(hook)


def sh_hook(script, timeout=None, env=None):
    h = {"path": "/bin/sh", "args": ["sh", "-c", script]}
    if timeout is not None:
        h["timeout"] = timeout
    if env is not None:
        h["env"] = env
    return h


def install_recorder(bundle):
    """record.sh at /hookbin/record.sh in the rootfs; log at /hooklog."""
    d = bundle.rootfs_file("/hookbin")
    os.makedirs(d, exist_ok=True)
    shutil.copy(RECORD, os.path.join(d, "record.sh"))
    os.chmod(os.path.join(d, "record.sh"), 0o755)


def record_hook(bundle, stage, label, env=None, timeout=None):
    """A record.sh hook for `stage`: seen from the host for the stages that
    resolve paths on the host, from the container for startContainer."""
    base = "" if stage in INSIDE_ROOTFS else bundle.rootfs
    h = {"path": base + "/hookbin/record.sh",
         "args": ["record.sh", base + "/hooklog", label, "arg-" + label, "two words"]}
    if env is not None:
        h["env"] = env
    if timeout is not None:
        h["timeout"] = timeout
    return h


def read_records(bundle):
    """[(label, {mnt, pidns, args, env: {..}, state: {..}})] in log order."""
    path = bundle.rootfs_file("/hooklog")
    if not os.path.exists(path):
        return []
    recs, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("BEGIN "):
                cur = {"label": line[6:], "env": {}}
            elif line.startswith("END "):
                recs.append(cur)
                cur = None
            elif cur is not None:
                key, _, val = line.partition(" ")
                if key == "env":
                    k, _, v = val.partition("=")
                    cur["env"][k] = v
                elif key == "state":
                    cur["state"] = json.loads(val) if val.startswith("{") else val
                else:
                    cur[key] = val
    return recs


def host_ns(ns):
    return os.readlink("/proc/self/ns/%s" % ns)


def state_dir_empty(runtime):
    return [e for e in os.listdir(runtime.root)]


def assert_cleaned_up(runtime, bundle, cid):
    """No state directory, no process left of the container."""
    assert not os.path.exists(os.path.join(runtime.root, cid)), "state of %s left: %s" % (
        cid, os.listdir(runtime.root))
    wait_for(lambda: not procs_rooted_in(bundle.rootfs), 10)
    assert not procs_rooted_in(bundle.rootfs), "container processes left: %s" % procs_rooted_in(bundle.rootfs)
    r = runtime.cmd("state", cid)
    assert r.rc != 0, "`state` still knows the container: %r" % r


def markers_alive(marker):
    """Pids whose command line contains `marker`."""
    res = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if marker.encode() in f.read().replace(b"\0", b" "):
                    res.append(int(p))
        except OSError:
            pass
    return res


def kill_markers(marker):
    for pid in markers_alive(marker):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# ------------------------------------------------------------ all stages


def setup_all_stages(bundle, autoreap, annotations=None):
    install_recorder(bundle)
    for stage in STAGES:
        # #0 with its own env, #1 without (gets the runtime's environment)
        add_hook(bundle, stage, record_hook(bundle, stage, stage + "#0",
                                            env=["HOOK_ENV=%s" % stage, "PATH=/bin:/usr/bin:/sbin:/usr/sbin"],
                                            timeout=20))
        add_hook(bundle, stage, record_hook(bundle, stage, stage + "#1"))
    set_autoreap(bundle, autoreap)
    bundle.config.setdefault("annotations", {}).update(annotations or {"org.test.note": "hello"})
    bundle.sh("echo 'BEGIN process' >> /hooklog; echo 'END process' >> /hooklog")


def check_all_stages(runtime, bundle, cid, recs, runtime_env_mark, pid):
    labels = [r["label"] for r in recs]
    want = []
    for s in STAGES:
        want += [s + "#0", s + "#1"]
    hook_labels = [l for l in labels if l != "process"]
    assert hook_labels == want, "hooks ran in order %s" % labels
    # startContainer before the program; the program before poststop
    assert labels.index("startContainer#1") < labels.index("process") < labels.index("poststop#0"), labels

    for r in recs:
        if r["label"] == "process":
            continue
        stage, idx = r["label"].split("#")
        for ns, key in (("mnt", "mnt"), ("pid", "pidns")):
            if stage in IN_CONTAINER_NS:
                assert r[key] != host_ns(ns), "%s hook ran in the host %s namespace" % (r["label"], ns)
            else:
                assert r[key] == host_ns(ns), "%s hook ran outside the host %s namespace (%s)" % (
                    r["label"], ns, r[key])
        # args: args[1:] of the hook, as given
        assert r["args"].endswith("%s arg-%s two words" % (r["label"], r["label"])), r["args"]
        # env
        if idx == "0":
            assert r["env"].get("HOOK_ENV") == stage, r["env"]
            assert "HOOKTEST_MARK" not in r["env"], "a hook with env got the runtime's environment: %s" % r["env"]
        else:
            assert r["env"].get("HOOKTEST_MARK") == runtime_env_mark, (
                "%s: a hook without env must get the runtime's environment, got %s" % (r["label"], r["env"]))
            assert "HOOK_ENV" not in r["env"]
        # the state on stdin
        st = r["state"]
        assert isinstance(st, dict), "%s: stdin was not the state JSON: %r" % (r["label"], st)
        assert st.get("ociVersion"), st
        assert st["id"] == cid, st
        assert st["status"] == STATUS[stage], "%s: status %s" % (r["label"], st.get("status"))
        assert st["bundle"] == os.path.realpath(bundle.path), st
        assert st["annotations"] == bundle.config["annotations"], st
        if stage != "poststop":
            assert st.get("pid") == pid, "%s: pid %s, the container's is %s" % (r["label"], st.get("pid"), pid)


def test_all_stages_create_start_delete(runtime, bundle, autoreap):
    setup_all_stages(bundle, autoreap)
    env = dict(os.environ, HOOKTEST_MARK="mark-%d" % os.getpid())
    cid, r = runtime.create(bundle, env=env)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    labels = [x["label"] for x in read_records(bundle)]
    assert labels == ["prestart#0", "prestart#1", "createRuntime#0", "createRuntime#1", "createContainer#0",
                      "createContainer#1"], "after create: %s" % labels
    r = runtime.cmd("start", cid, env=env)
    assert r.rc == 0, r
    labels = [x["label"] for x in read_records(bundle)]
    assert labels[6:8] == ["startContainer#0", "startContainer#1"], "after start: %s" % labels
    assert "poststart#1" in labels and "poststop#0" not in labels, labels
    runtime.wait_status(cid, "stopped")
    r = runtime.cmd("delete", cid, env=env)
    assert r.rc == 0, r
    check_all_stages(runtime, bundle, cid, read_records(bundle), env["HOOKTEST_MARK"], pid)
    assert not os.path.exists(os.path.join(runtime.root, cid))


def test_all_stages_run(runtime, bundle, autoreap):
    setup_all_stages(bundle, autoreap)
    env = dict(os.environ, HOOKTEST_MARK="mark-run-%d" % os.getpid())
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid, env=env)
    assert r.rc == 0, r
    recs = read_records(bundle)
    pids = {x["state"].get("pid") for x in recs if x["label"] not in ("process",) and not x["label"].startswith("poststop")}
    assert len(pids) == 1, "hooks saw different pids: %s" % pids
    check_all_stages(runtime, bundle, cid, recs, env["HOOKTEST_MARK"], pids.pop())
    assert not os.path.exists(os.path.join(runtime.root, cid))


# ------------------------------------------------------------ the rung in --debug


@pytest.mark.parametrize("value,on", [(None, False), ("0", False), ("false", False), ("1", True), ("true", True)])
def test_annotation_values_pick_the_mode(runtime, bundle, value, on):
    add_hook(bundle, "createRuntime", sh_hook("true"))
    add_hook(bundle, "poststop", sh_hook("true"))
    set_autoreap(bundle, value)
    r = runtime.run(bundle, global_args=("--debug",))
    assert r.rc == 0, r
    lines = [l for l in r.err.splitlines() if re.search(r"hook #0 `/bin/sh`: pid \d+, spawner `", l)]
    assert len(lines) == 2, "one --debug line per hook expected: %r" % r.err
    for l in lines:
        rung = re.search(r"spawner `([^`]+)`", l).group(1)
        if on:
            assert "(autoreap mode)" in l, l
            assert rung in ("clone3-autoreap", "clone3-pidfd"), l
        else:
            assert "(autoreap mode)" not in l, l
            assert rung != "clone3-autoreap", "autoreap rung used without the annotation: %s" % l


def kernel_rung(runtime, bundle):
    """The rung the spawner reports in autoreap mode on this kernel."""
    add_hook(bundle, "createRuntime", sh_hook("true"))
    set_autoreap(bundle, "1")
    r = runtime.run(bundle, global_args=("--debug",))
    assert r.rc == 0, r
    m = re.search(r"createRuntime hook #0 `/bin/sh`: pid \d+, spawner `([^`]+)`", r.err)
    assert m, r.err
    bundle.config["hooks"] = {}
    return m.group(1)


@pytest.mark.parametrize("cmd", ["create", "run"])
def test_required_on_this_kernel(runtime, bundle, cmd):
    rung = kernel_rung(runtime, bundle)
    add_hook(bundle, "createRuntime", sh_hook("true"))
    set_autoreap(bundle, "required")
    cid = runtime.new_id()
    if cmd == "create":
        _, r = runtime.create(bundle, cid=cid)
    else:
        r = runtime.run(bundle, cid=cid)
    if rung == "clone3-autoreap":
        assert r.rc == 0, r
        return
    assert r.rc != 0, "`required` must fail on a kernel without CLONE_AUTOREAP: %r" % r
    assert "does not support CLONE_AUTOREAP" in r.err, r
    assert "run.oci.autoreap" in r.err, r
    assert_cleaned_up(runtime, bundle, cid)


@pytest.mark.parametrize("value", ["yes", "2", "", "TRUE", "required "])
def test_invalid_annotation_value(runtime, bundle, value):
    set_autoreap(bundle, value)
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc != 0, "run.oci.autoreap=%r accepted: %r" % (value, r)
    assert "run.oci.autoreap" in r.err, r
    for word in ("1", "true", "0", "false", "required"):
        assert word in r.err.split("run.oci.autoreap", 1)[1], "accepted value %s not named: %s" % (word, r.err)
    assert_cleaned_up(runtime, bundle, cid)


# ------------------------------------------------------------ failures


FAILING_STAGE_CMD = {
    # stage: (command that fails)
    "prestart": "create",
    "createRuntime": "create",
    "createContainer": "create",
    "startContainer": "start",
}

FAILURES = [
    ("exit 3", "exited with status 3"),
    ("kill -9 $$", "killed by signal 9"),
]


@pytest.mark.parametrize("stage", list(FAILING_STAGE_CMD))
@pytest.mark.parametrize("script,msg", FAILURES, ids=["exit", "signal"])
def test_failing_hook_fails_and_cleans_up(runtime, bundle, autoreap, stage, script, msg):
    add_hook(bundle, stage, sh_hook("true"))
    add_hook(bundle, stage, sh_hook(script))
    # a later hook of the stage must not run
    add_hook(bundle, stage, sh_hook("echo ran > %s" % (
        "/later" if stage in INSIDE_ROOTFS else bundle.rootfs_file("/later"))))
    set_autoreap(bundle, autoreap)
    bundle.sh("sleep 30")
    cid = runtime.new_id()
    _, r = runtime.create(bundle, cid=cid)
    if FAILING_STAGE_CMD[stage] == "start":
        assert r.rc == 0, r
        r = runtime.cmd("start", cid)
    assert r.rc != 0, "a failing %s hook must fail `%s`: %r" % (stage, FAILING_STAGE_CMD[stage], r)
    assert "%s hook #1 `/bin/sh`" % stage in r.err, r
    assert msg in r.err, r
    assert not os.path.exists(bundle.rootfs_file("/later")), "the stage went on after a failure"
    assert_cleaned_up(runtime, bundle, cid)


@pytest.mark.parametrize("stage", list(FAILING_STAGE_CMD))
def test_failing_hook_fails_run(runtime, bundle, autoreap, stage):
    add_hook(bundle, stage, sh_hook("exit 4"))
    set_autoreap(bundle, autoreap)
    bundle.sh("echo should-not-run")
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc != 0, r
    assert "%s hook #0 `/bin/sh`" % stage in r.err and "exited with status 4" in r.err, r
    assert "should-not-run" not in r.out, r
    assert_cleaned_up(runtime, bundle, cid)


def test_failing_poststart_is_a_warning(runtime, bundle, autoreap):
    """Runtime spec: a failing poststart hook is logged as a warning, the
    remaining hooks run and the lifecycle goes on as if it had succeeded."""
    add_hook(bundle, "poststart", sh_hook("exit 6"))
    add_hook(bundle, "poststart", sh_hook("echo ran > %s" % bundle.rootfs_file("/poststart-second")))
    set_autoreap(bundle, autoreap)
    bundle.sh("sleep 30")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("start", cid)
    assert r.rc == 0, "a failing poststart hook must not fail `start`: %r" % r
    assert "poststart hook #0 `/bin/sh`" in r.err and "exited with status 6" in r.err, r
    assert runtime.status(cid) == "running"
    assert os.path.exists(bundle.rootfs_file("/poststart-second")), "the second poststart hook did not run"


def test_failing_poststop_is_a_warning(runtime, bundle, autoreap):
    add_hook(bundle, "poststop", sh_hook("exit 7"))
    add_hook(bundle, "poststop", sh_hook("echo ran > %s" % bundle.rootfs_file("/second")))
    set_autoreap(bundle, autoreap)
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("start", cid)
    assert r.rc == 0, r
    runtime.wait_status(cid, "stopped")
    r = runtime.cmd("delete", cid)
    assert r.rc == 0, "a failing poststop hook must not fail `delete`: %r" % r
    assert "poststop hook #0 `/bin/sh`" in r.err and "exited with status 7" in r.err, r
    assert os.path.exists(bundle.rootfs_file("/second")), "the poststop hook after the failing one did not run"
    assert_cleaned_up(runtime, bundle, cid)


def test_failing_poststop_in_run_is_a_warning(runtime, bundle, autoreap):
    add_hook(bundle, "poststop", sh_hook("exit 8"))
    set_autoreap(bundle, autoreap)
    bundle.sh("exit 0")
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 0, r
    assert "poststop hook #0 `/bin/sh`" in r.err and "exited with status 8" in r.err, r
    assert_cleaned_up(runtime, bundle, cid)


def test_missing_hook_program(runtime, bundle, autoreap):
    add_hook(bundle, "createRuntime", {"path": "/nonexistent/hook-%d" % os.getpid()})
    set_autoreap(bundle, autoreap)
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc != 0, r
    assert "createRuntime hook #0 `/nonexistent/hook-%d`" % os.getpid() in r.err, r
    assert_cleaned_up(runtime, bundle, cid)


# ------------------------------------------------------------ timeouts


@pytest.mark.parametrize("stage", ["prestart", "createRuntime", "createContainer", "startContainer"])
def test_timeout_with_background_child(runtime, bundle, autoreap, stage):
    marker = "3%d.%d" % (os.getpid() % 1000, 101 + STAGES.index(stage))
    add_hook(bundle, stage, sh_hook("sleep %s & sleep %s" % (marker, marker), timeout=1))
    set_autoreap(bundle, autoreap)
    bundle.sh("true")
    cid = runtime.new_id()
    try:
        t0 = time.monotonic()
        r = runtime.run(bundle, cid=cid, timeout=60)
        elapsed = time.monotonic() - t0
        assert r.rc != 0, r
        assert "%s hook #0 `/bin/sh`" % stage in r.err and "timed out" in r.err, r
        assert elapsed < 15, "a 1 s hook timeout returned after %.1f s" % elapsed
        # the hook's own children went with it (its process group)
        assert wait_for(lambda: not markers_alive("sleep " + marker), 10), "the hook's background child survived"
        assert_cleaned_up(runtime, bundle, cid)
    finally:
        kill_markers("sleep " + marker)


@pytest.mark.parametrize("stage", ["prestart", "createRuntime", "poststart"])
def test_timeout_with_escaped_child_holding_stdout(runtime, bundle, autoreap, stage, workdir):
    """The hook's child leaves its process group (setsid) and keeps the
    runtime's stdout open: the runtime still returns at the timeout."""
    marker = "4%d.%d" % (os.getpid() % 1000, 201 + STAGES.index(stage))
    add_hook(bundle, stage, sh_hook("setsid sleep %s & sleep %s" % (marker, marker), timeout=1))
    set_autoreap(bundle, autoreap)
    bundle.sh("sleep 5")
    bundle.write()
    cid = runtime.new_id()
    runtime.bundles.append(bundle)
    errp = os.path.join(workdir, "escaped.err")
    try:
        with open(errp, "w") as err:
            t0 = time.monotonic()
            p = runtime.popen("run", "--bundle", bundle.path, cid, stdout=subprocess.PIPE, stderr=err,
                              stdin=subprocess.DEVNULL)
            try:
                rc = p.wait(60)
            except subprocess.TimeoutExpired:
                rc = "timeout"
            elapsed = time.monotonic() - t0
        with open(errp) as f:
            errtext = f.read()
        assert rc != "timeout", "the runtime did not return"
        # a poststart hook's failure (its timeout too) is a warning
        assert (rc == 0) if stage == "poststart" else (rc != 0), errtext
        assert "%s hook #0 `/bin/sh`" % stage in errtext and "timed out" in errtext, errtext
        assert elapsed < 15, "a 1 s hook timeout returned after %.1f s" % elapsed
        assert_cleaned_up(runtime, bundle, cid)
    finally:
        kill_markers("sleep " + marker)
        if p.stdout:
            p.stdout.close()


def test_hook_within_timeout_passes(runtime, bundle, autoreap):
    add_hook(bundle, "createRuntime", sh_hook("sleep 0.2", timeout=10))
    set_autoreap(bundle, autoreap)
    r = runtime.run(bundle)
    assert r.rc == 0, r


# ------------------------------------------------------------ stdin, volume, output


def test_hooks_that_do_not_read_stdin(runtime, bundle, autoreap):
    """A state document bigger than a pipe buffer (80 KB of annotations)
    and hooks that exit without reading it."""
    set_autoreap(bundle, autoreap)
    bundle.config.setdefault("annotations", {})["org.test.big"] = "x" * 80000
    for stage in STAGES:
        add_hook(bundle, stage, {"path": "/bin/true"})
        add_hook(bundle, stage, sh_hook("exec 0<&-; exit 0"))
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 0, r
    assert_cleaned_up(runtime, bundle, cid)


@pytest.mark.parametrize("size", [80000, 300000])
def test_big_state_is_read_whole(runtime, bundle, autoreap, workdir, size):
    """The whole state reaches the hooks, in the runtime and in the
    container.  (300 KB: the state is far below the runtime's documented
    1 MiB limit for the state documents it hands to the init.)"""
    set_autoreap(bundle, autoreap)
    bundle.config.setdefault("annotations", {})["org.test.big"] = "y" * size
    out = os.path.join(workdir, "big-state.json")
    add_hook(bundle, "createRuntime", sh_hook("cat > %s" % out))
    add_hook(bundle, "createContainer", sh_hook("cat > %s.cc" % out))
    r = runtime.run(bundle)
    assert r.rc == 0, r
    for path in (out, out + ".cc"):
        with open(path) as f:
            st = json.load(f)
        assert st["annotations"]["org.test.big"] == "y" * size


def test_true_hook_200_times(runtime, bundle, autoreap):
    set_autoreap(bundle, autoreap)
    for _ in range(100):
        add_hook(bundle, "createRuntime", {"path": "/bin/true", "args": ["true"]})
        add_hook(bundle, "poststop", {"path": "/bin/true", "args": ["true"], "timeout": 5})
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid, global_args=("--debug",))
    assert r.rc == 0, r
    assert r.err.count("`/bin/true`: exited with status 0") == 200, r.err[-2000:]
    assert_cleaned_up(runtime, bundle, cid)


def test_output_annotations(runtime, bundle, autoreap, workdir):
    outp = os.path.join(workdir, "hooks.out")
    errp = os.path.join(workdir, "hooks.err")
    set_autoreap(bundle, autoreap)
    ann = bundle.config.setdefault("annotations", {})
    ann["run.oci.hooks.stdout"] = outp
    ann["run.oci.hooks.stderr"] = errp
    for stage in STAGES:
        add_hook(bundle, stage, sh_hook("echo out-%s; echo err-%s >&2" % (stage, stage)))
    bundle.sh("echo container-output")
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 0, r
    with open(outp) as f:
        out = f.read().split()
    with open(errp) as f:
        err = f.read().split()
    assert out == ["out-" + s for s in STAGES], out
    assert err == ["err-" + s for s in STAGES], err
    assert "out-" not in r.out and "err-" not in r.err, r
    assert "container-output" in r.out, r
    assert_cleaned_up(runtime, bundle, cid)


def test_hook_output_without_annotations(runtime, bundle, autoreap):
    """Without run.oci.hooks.* a hook's stdout is the runtime's; its stderr
    is kept for the error of a failure (as runc does; crun 1.8.1 drops it),
    so a hook that succeeds prints nothing there."""
    set_autoreap(bundle, autoreap)
    add_hook(bundle, "createRuntime", sh_hook("echo rt-out; echo rt-err >&2"))
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert "rt-out" in r.out and "rt-err" not in r.err, r


@pytest.mark.ours_only
@pytest.mark.parametrize("stage", list(FAILING_STAGE_CMD) + ["poststart", "poststop"])
def test_failing_hook_error_carries_its_stderr_tail(runtime, bundle, autoreap, stage):
    """A failing hook's error ends with the last KiB of what it wrote to
    stderr (from a line start): the cause, where the hook said it."""
    noise = "for i in $(seq 1 300); do echo noise-line-$i >&2; done"
    add_hook(bundle, stage, sh_hook("%s; echo the-real-cause >&2; exit 5" % noise))
    set_autoreap(bundle, autoreap)
    bundle.sh("true")
    r = runtime.run(bundle)
    if stage in ("poststart", "poststop"):
        assert r.rc == 0, r  # a warning (runtime spec)
    else:
        assert r.rc != 0, r
    head = "exited with status 5; stderr: "
    assert head in r.err, r
    tail = r.err.split(head, 1)[1].split("\ncrun: ", 1)[0].rstrip("\n")
    assert tail.endswith("\nthe-real-cause"), tail[-300:]
    assert 900 < len(tail) <= 1024 and tail.startswith("noise-line-"), tail[:80]
    assert "noise-line-1\n" not in r.err, "the whole stderr instead of its tail"


@pytest.mark.parametrize("timeout", [4294968, 2147483647])
def test_huge_timeout_does_not_overflow(runtime, bundle, autoreap, timeout):
    """A hook timeout is seconds in an int; in milliseconds it needs more
    (issue 9).  4294968 s is 4294968000 ms, which wraps to 704 ms in 32
    bits: a hook that sleeps 2 s must still succeed."""
    add_hook(bundle, "createRuntime", sh_hook("sleep 2", timeout=timeout))
    set_autoreap(bundle, autoreap)
    runtime.run_ok(bundle, "true")


@pytest.mark.parametrize("stage", STAGES)
def test_state_readable_through_dev_stdin(runtime, bundle, autoreap, stage, workdir):
    """Hook authors read the state with `cat /dev/stdin` or `read x
    </dev/stdin`: that needs stdin to be something /dev/stdin can be opened
    on (a pipe or a file; a socket gives ENXIO), as with crun and runc."""
    inside = stage in INSIDE_ROOTFS
    out = "/hook-stdin.out" if inside else os.path.join(workdir, "hook-stdin.out")
    add_hook(bundle, stage, sh_hook("cat /dev/stdin > %s.1; read x </proc/self/fd/0; "
                                    "echo \"$x\" > %s.2" % (out, out)))
    set_autoreap(bundle, autoreap)
    runtime.run_ok(bundle, "true")
    host = bundle.rootfs_file(out) if inside else out
    for suffix in (".1", ".2"):
        with open(host + suffix) as f:
            state = json.loads(f.read())
        assert state["id"] and state["ociVersion"], state


@pytest.mark.parametrize("script", ["exit 0", "exec 0<&-; sleep 1; exit 0"], ids=["exits-unread", "closes-stdin-sleeps"])
def test_big_state_not_read(runtime, bundle, autoreap, script):
    """A hook that exits at once without reading a 300 kB state, or closes
    its stdin and sleeps, makes nothing fail (issue 12)."""
    add_hook(bundle, "createRuntime", sh_hook(script))
    set_autoreap(bundle, autoreap)
    bundle.config.setdefault("annotations", {})["big"] = "x" * 300000
    runtime.run_ok(bundle, "true")
