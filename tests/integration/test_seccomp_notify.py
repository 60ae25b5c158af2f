"""Seccomp user notification (issue 14): a rule with SCMP_ACT_NOTIFY and
linux.seccomp.listenerPath.  A small agent (helpers/seccomp_agent.py)
receives the container process state with the notify fd, saves it and
answers mkdir with EXDEV; the container sees that errno, the agent's saved
state is checked, and other notifying syscalls go through."""

import json
import os
import subprocess
import sys

import pytest

from conftest import HERE
from test_seccomp import profile

EXDEV = 18
NR_MKDIR, NR_MKDIRAT = 83, 258
AGENT = os.path.join(HERE, "helpers", "seccomp_agent.py")


@pytest.fixture
def agent(workdir):
    sock = os.path.join(workdir, "agent.sock")
    state = os.path.join(workdir, "agent-state.json")
    p = subprocess.Popen([sys.executable, AGENT, sock, state, "%d=%d" % (NR_MKDIR, EXDEV),
                          "%d=%d" % (NR_MKDIRAT, EXDEV)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "listening"
    yield sock, state
    p.kill()
    p.wait()


def notify_profile(bundle, sock, metadata=None):
    bundle.linux["seccomp"] = profile([{"names": ["mkdir", "mkdirat", "getpgid"], "action": "SCMP_ACT_NOTIFY"}],
                                      listenerPath=sock)
    if metadata is not None:
        bundle.linux["seccomp"]["listenerMetadata"] = metadata


# crun 1.8.1: the agent's answer reaches the container, then `run` hangs
# (30 s); runc 1.1 sends its own state
@pytest.mark.ours_only
def test_notify_agent_answers_and_gets_the_state(runtime, bundle, agent):
    sock, state_file = agent
    notify_profile(bundle, sock, metadata="answer=EXDEV")
    bundle.config.setdefault("annotations", {})["org.test.key"] = "value"
    out = runtime.sh_ok(bundle, "oci-probe mkdir /tmp/x 755; test -e /tmp/x || echo no-x; "
                                "oci-probe getpgid; echo done")
    lines = out.splitlines()
    assert lines[0] == "errno=%d" % EXDEV and "no-x" in lines, out
    assert lines[-1] == "done" and lines[-2].startswith("ok "), out  # getpgid went through
    with open(state_file) as f:
        st = json.load(f)
    assert st["fds"] == ["seccompFd"] and st["_received_fds"] == 1, st
    assert st["metadata"] == "answer=EXDEV", st
    assert st["ociVersion"].startswith("1."), st
    assert st["state"]["status"] == "creating", st
    assert st["state"]["pid"] == st["pid"] > 0, st
    assert os.path.realpath(st["state"]["bundle"]) == os.path.realpath(bundle.path), st
    assert st["state"]["annotations"]["org.test.key"] == "value", st


@pytest.mark.ours_only
def test_notify_via_the_receiver_annotation(runtime, bundle, agent):
    """crun's run.oci.seccomp.receiver annotation instead of listenerPath."""
    sock, state_file = agent
    notify_profile(bundle, None)
    del bundle.linux["seccomp"]["listenerPath"]
    bundle.config.setdefault("annotations", {})["run.oci.seccomp.receiver"] = sock
    out = runtime.sh_ok(bundle, "oci-probe mkdir /tmp/x 755; true")
    assert out.strip() == "errno=%d" % EXDEV, out
    assert os.path.exists(state_file)


@pytest.mark.ours_only
def test_notify_without_a_listener_is_refused(runtime, bundle):
    bundle.linux["seccomp"] = profile([{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}])
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "SCMP_ACT_NOTIFY" in r.err and "listenerPath" in r.err, r


@pytest.mark.ours_only
def test_listener_that_is_not_there_is_an_error(runtime, bundle, workdir):
    notify_profile(bundle, os.path.join(workdir, "no-agent.sock"))
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "no-agent.sock" in r.err and "listenerPath" in r.err, r


@pytest.mark.parametrize("seccomp,word", [({"listenerMetadata": "x"}, "listenerMetadata"),
                                          ({"listenerPath": "relative.sock"}, "listenerPath")])
@pytest.mark.ours_only
def test_listener_fields_are_checked(runtime, bundle, seccomp, word):
    bundle.linux["seccomp"] = profile([], **seccomp)
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "linux.seccomp.%s" % word in r.err, r
