"""Crash consistency (issue 10): a runtime SIGKILLed at any instant leaves a
state that `delete -f` removes, and `list` and `state` show it meanwhile.

Each partial state is made deterministic by the library's fault-injection
point: with LIBCRUN_TEST_CRASH_AT=<point> the runtime SIGKILLs itself there
(libcrun_test_crash_point).  The random version, many runs killed at a
random instant, is test_chaos.py.
"""

import json
import os

import pytest

from conftest import procs_rooted_in, host_mounts, wait_for

pytestmark = pytest.mark.ours_only  # the fault-injection points are ours

# In the order create passes them (libcrun/container.c, linux.c).
CREATE_POINTS = [
    "create:dir",        # the state directory, nothing in it
    "create:status",     # a status file naming no process
    "create:config",     # + config.json and the fifos
    "create:cgroup",     # the cgroup made, not yet recorded
    "create:cloned",     # the init cloned (into the cgroup), not recorded
    "create:hooks",      # the createRuntime hooks have run
    "create:ready",      # the init is ready, not recorded
    "create:recorded",   # the init recorded, not yet told
    "create:committed",  # the init told: it outlives us by design
]
DELETE_POINTS = ["delete:killed", "delete:cgroup", "delete:hooks"]


def cgroups_of(cid):
    """Directories named after the container in any cgroup hierarchy."""
    found = []
    roots = ["/sys/fs/cgroup"] + [os.path.join("/sys/fs/cgroup", d) for d in os.listdir("/sys/fs/cgroup")]
    for r in roots:
        p = os.path.join(r, "crun", cid)
        if os.path.isdir(p):
            found.append(p)
    return found


def with_hooks(bundle, marker):
    """Three createRuntime hooks and two poststop hooks that log to marker."""
    def hook(tag):
        return {"path": "/bin/sh", "args": ["sh", "-c", "echo %s >> %s" % (tag, marker)]}
    bundle.config["hooks"] = {
        "createRuntime": [hook("createRuntime")] * 3,
        "poststop": [hook("poststop")] * 2,
    }


def sleeper_with_hooks(runtime, bundle, workdir):
    """The bundle as `sleep 60` with hooks (with_hooks), written; returns
    the hooks' log and a new id."""
    marker = os.path.join(workdir, "hooks.log")
    with_hooks(bundle, marker)
    bundle.set_args("sleep", "60")
    runtime._prepare(bundle)
    return marker, runtime.new_id("crash")


def crash_env(point):
    return dict(os.environ, LIBCRUN_TEST_CRASH_AT=point)


def assert_shown_and_deletable(runtime, bundle, cid):
    r = runtime.cmd("list")
    assert r.rc == 0, r
    assert cid in r.out, "`list` hides the broken container:\n" + r.out
    r = runtime.cmd("list", "--format", "json")
    assert r.rc == 0, r
    assert cid in [e["id"] for e in json.loads(r.out)]
    r = runtime.cmd("state", cid)
    assert r.rc == 0, r
    assert json.loads(r.out)["status"] in ("created", "running", "stopped"), r.out
    r = runtime.cmd("delete", "--force", cid, timeout=20)
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(runtime.root, cid)), "state directory left"
    assert not cgroups_of(cid), "cgroups left: %s" % cgroups_of(cid)
    assert wait_for(lambda: not procs_rooted_in(bundle.rootfs), 5), procs_rooted_in(bundle.rootfs)
    mounts = [m for m in host_mounts() if m.startswith(bundle.path + "/")]
    assert not mounts, mounts


def assert_id_free(runtime, bundle, cid):
    bundle.set_args("true")
    bundle.config.pop("hooks", None)
    r = runtime.run(bundle, cid)
    assert r.rc == 0, "the id is not free again: %r" % r


@pytest.mark.parametrize("command", ["create", "run"])
@pytest.mark.parametrize("point", CREATE_POINTS)
def test_killed_during_create(runtime, bundle, workdir, point, command):
    """`create` (podman's) and `run --detach`, killed at each point.  A
    committed container of `create` waits for a `start` that may come
    from anybody; one of `run` has its start channel in the dead runtime,
    so its init goes too."""
    marker, cid = sleeper_with_hooks(runtime, bundle, workdir)
    argv = [command, "--bundle", bundle.path, cid] if command == "create" else \
        [command, "--detach", "--bundle", bundle.path, cid]
    r = runtime.cmd(*argv, env=crash_env(point), timeout=20)
    assert r.rc == -9, "the runtime did not stop at %s: %r" % (point, r)
    if point == "create:committed" and command == "create":
        assert procs_rooted_in(bundle.rootfs), "a committed container's init must survive its creator"
    else:
        # nothing of the container may outlive a runtime that had not
        # recorded it (or that held its only way to start): its init goes
        assert wait_for(lambda: not procs_rooted_in(bundle.rootfs), 5), \
            "the init outlived its creator (killed at %s)" % point
    assert_shown_and_deletable(runtime, bundle, cid)
    hooks = open(marker).read().split() if os.path.exists(marker) else []
    # poststop hooks belong to containers that were recorded with an init
    want_poststop = point in ("create:recorded", "create:committed")
    assert ("poststop" in hooks) == want_poststop, (point, hooks)
    assert_id_free(runtime, bundle, cid)


@pytest.mark.parametrize("point", DELETE_POINTS)
def test_killed_during_delete(runtime, bundle, workdir, point):
    marker, cid = sleeper_with_hooks(runtime, bundle, workdir)
    r = runtime.cmd("run", "--detach", "--bundle", bundle.path, cid)
    assert r.rc == 0, r
    r = runtime.cmd("delete", "--force", cid, env=crash_env(point), timeout=20)
    assert r.rc == -9, r
    assert_shown_and_deletable(runtime, bundle, cid)
    assert_id_free(runtime, bundle, cid)


def test_killed_during_start(runtime, bundle, workdir):
    bundle.set_args("sleep", "60")
    cid, r = runtime.create(bundle, runtime.new_id("crash"))
    assert r.rc == 0, r
    r = runtime.cmd("start", cid, env=crash_env("start:released"), timeout=20)
    assert r.rc == -9, r
    # released before the crash: the container runs on, as after a start
    assert procs_rooted_in(bundle.rootfs)
    r = runtime.cmd("state", cid)
    assert r.rc == 0, r
    r = runtime.cmd("delete", "--force", cid, timeout=20)
    assert r.rc == 0, r
    assert not os.path.exists(os.path.join(runtime.root, cid))
    assert not cgroups_of(cid)
    assert wait_for(lambda: not procs_rooted_in(bundle.rootfs), 5)
    assert_id_free(runtime, bundle, cid)


@pytest.mark.parametrize("content", ["", "{not json", "[" * 5000])
def test_unreadable_status(runtime, bundle, content):
    """A status file that cannot be parsed: `list` shows the container
    stopped, `delete -f` removes it; plain `delete` says why it cannot."""
    bundle.set_args("true")
    cid, r = runtime.create(bundle, runtime.new_id("corrupt"))
    assert r.rc == 0, r
    r = runtime.cmd("delete", "--force", cid)
    assert r.rc == 0, r
    d = os.path.join(runtime.root, cid)
    os.mkdir(d, 0o700)
    with open(os.path.join(d, "status"), "w") as f:
        f.write(content)
    r = runtime.cmd("list")
    assert r.rc == 0 and cid in r.out, r
    r = runtime.cmd("delete", cid)
    assert r.rc == 1 and cid in r.err, r
    r = runtime.cmd("delete", "--force", cid)
    assert r.rc == 0, r
    assert not os.path.exists(d)


@pytest.mark.parametrize("point", ["exec:spawned", "exec:started"])
def test_killed_during_exec(runtime, bundle, point):
    """`exec` killed after its process exists (before it is in the cgroup
    and released, or after): the process either never runs the program or
    is the container's; `delete -f` leaves nothing either way."""
    bundle.set_args("sleep", "60")
    cid = runtime.new_id("crash")
    runtime._prepare(bundle)
    r = runtime.cmd("run", "--detach", "--bundle", bundle.path, cid)
    assert r.rc == 0, r
    r = runtime.cmd("exec", cid, "sleep", "61", env=crash_env(point), timeout=20)
    assert r.rc == -9, r
    if point == "exec:spawned":
        # never released: it must not linger outside the container's cgroup
        assert wait_for(lambda: len(procs_rooted_in(bundle.rootfs)) == 1, 5), procs_rooted_in(bundle.rootfs)
    r = runtime.cmd("exec", cid, "true")
    assert r.rc == 0, "the container is unusable after a killed exec: %r" % r
    assert_shown_and_deletable(runtime, bundle, cid)
    assert_id_free(runtime, bundle, cid)


def test_killed_during_kill(runtime, bundle):
    """`kill` has no state of its own to leave: a kill killed right after
    its signal changes nothing but the container's life."""
    bundle.set_args("sleep", "60")
    cid = runtime.new_id("crash")
    runtime._prepare(bundle)
    r = runtime.cmd("run", "--detach", "--bundle", bundle.path, cid)
    assert r.rc == 0, r
    r = runtime.cmd("kill", cid, "KILL", env=crash_env("kill:signalled"), timeout=20)
    assert r.rc == -9, r
    assert wait_for(lambda: json.loads(runtime.cmd("state", cid).out)["status"] == "stopped", 5)
    assert_shown_and_deletable(runtime, bundle, cid)


def test_state_from_a_create_hook(runtime, bundle, workdir):
    """`state` and `list` read without the lock: a createRuntime hook that
    asks about its own container gets an answer at once (`creating`, since
    no init is recorded yet), not a wait on the create it is part of."""
    out = os.path.join(workdir, "state-from-hook")
    cid = runtime.new_id("hookstate")
    script = "%s --root %s state %s > %s 2>&1; %s --root %s list >> %s 2>&1" % (
        runtime.crun, runtime.root, cid, out, runtime.crun, runtime.root, out)
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", script], "timeout": 10}]}
    bundle.set_args("true")
    runtime._prepare(bundle)
    r = runtime.cmd("run", "--bundle", bundle.path, cid, timeout=20)
    assert r.rc == 0, r
    text = open(out).read()
    assert '"status": "creating"' in text, text
    assert cid in text.split("}")[-1], "`list` from the hook does not show the container:\n" + text
