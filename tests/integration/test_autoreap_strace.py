"""`crun run` with hooks in all six stages under `strace -f` (-ff: one file
per process): the hooks are created by clone3 with exit_signal 0 and
CLONE_PIDFD, the CLONE_AUTOREAP attempt is visible with run.oci.autoreap
(and absent without it), and the runtime process makes no rt_sigaction for
SIGCHLD, no rt_sigprocmask touching SIGCHLD and no wildcard wait."""

import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import CRUN, DEFAULT_TIMEOUT

pytestmark = pytest.mark.ours_only

STAGES = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
CLONE_AUTOREAP = 0x400000000

# with --pidns-translation a pid from another pid namespace is followed by
# its value in strace's namespace: "= 2 /* 27267 in strace's PID NS */"
CLONE3_RE = re.compile(r"^clone3\(\{flags=(?P<flags>[^,]*), .*?exit_signal=(?P<sig>[^,}]*)[,}].*\)\s+=\s+"
                       r"(?P<ret>-?\d+)(?: /\* (?P<hostpid>\d+)[^*]*\*/)?(?P<rest>.*)$")


@pytest.fixture(scope="module")
def strace_bin():
    s = shutil.which("strace")
    if not s:
        pytest.skip("strace is not installed")
    return s


def flag_set(flags):
    """{'CLONE_PIDFD', ..., 0x400000000} from strace's flags text."""
    res = set()
    for part in flags.split("|"):
        part = part.strip()
        if part.startswith("0x"):
            v = int(part, 16)
            bit = 1
            while v:
                if v & 1:
                    res.add(bit)
                v >>= 1
                bit <<= 1
        else:
            res.add(part)
    return res


def has_autoreap(fs):
    return "CLONE_AUTOREAP" in fs or any(isinstance(b, int) and b & CLONE_AUTOREAP for b in fs)


def sigset_touches_chld(text):
    """strace prints a set as [A B] or ~[A B] (all but A B)."""
    text = text.strip()
    if text == "NULL":
        return False
    inverted = text.startswith("~")
    names = text.lstrip("~").strip("[]").split()
    return ("CHLD" in names) != inverted


def run_traced(runtime, bundle, strace_bin, annotation, workdir):
    tag = "t%d" % os.getpid()
    hooks = {}
    for s in STAGES:
        hooks[s] = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /dev/null # hook-%s-%s" % (s, tag)]}]
    bundle.config["hooks"] = hooks
    ann = bundle.config.setdefault("annotations", {})
    ann.pop("run.oci.autoreap", None)
    if annotation is not None:
        ann["run.oci.autoreap"] = annotation
    bundle.sh("true")
    tdir = os.path.join(workdir, "trace")
    os.mkdir(tdir)
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid, wrapper=(strace_bin, "-ff", "--pidns-translation", "-o", os.path.join(tdir, "t"),
                                                 "-s", "200",
                                                 "-e", "trace=clone,clone3,fork,vfork,execve,rt_sigaction,"
                                                 "rt_sigprocmask,wait4,waitid"),
                    timeout=120)
    assert r.rc == 0, r
    traces = {}
    for f in glob.glob(os.path.join(tdir, "t.*")):
        with open(f, errors="replace") as fh:
            traces[int(f.rsplit(".", 1)[1])] = fh.read().splitlines()
    runtime_pid = None
    for pid, lines in traces.items():
        if lines and lines[0].startswith('execve("%s"' % CRUN):
            runtime_pid = pid
    assert runtime_pid is not None, "no trace of the runtime process in %s" % sorted(traces)
    # the process that exec'd each hook
    hook_pid = {}
    for pid, lines in traces.items():
        for l in lines:
            m = re.search(r"# hook-(\w+)-%s" % tag, l)
            if l.startswith("execve(") and m:
                hook_pid[m.group(1)] = pid
    assert sorted(hook_pid) == sorted(STAGES), "hooks seen in the trace: %s" % sorted(hook_pid)
    # every clone3 call: (caller, flags, exit_signal, ret, rest)
    clones = []
    for pid, lines in traces.items():
        for l in lines:
            m = CLONE3_RE.match(l)
            if m:
                ret = int(m.group("hostpid") or m.group("ret"))
                clones.append((pid, flag_set(m.group("flags")), m.group("sig"), ret, m.group("rest"), l))
    return runtime_pid, traces, hook_pid, clones


CREATE_RE = re.compile(r"^(clone3?|fork|vfork)\((?P<args>.*)\)\s+=\s+(?P<ret>\d+)(?: /\* (?P<hostpid>\d+)[^*]*\*/)?")


def creators(traces):
    """{child pid: (creator pid, syscall line)} for every process created."""
    res = {}
    for pid, lines in traces.items():
        for l in lines:
            m = CREATE_RE.match(l)
            if m:
                res[int(m.group("hostpid") or m.group("ret"))] = (pid, l)
    return res


def spawned_by(hp, stage, runtime_pid, traces, clones):
    """The clone3 call of the runtime (or the init) that started a hook:
    the hook itself, or a waiter that never execs and forks the hook (the
    spawner's answer to execve resetting the exit signal to SIGCHLD)."""
    # the container's init: created by the runtime with new namespaces
    inits = {c[3] for c in clones if c[0] == runtime_pid and any(str(f).startswith("CLONE_NEW") for f in c[1])}
    made = [c for c in clones if c[3] == hp]
    if made and (made[0][0] == runtime_pid or made[0][0] in inits):
        return made[0], None
    cr = creators(traces).get(hp)
    assert cr, "%s hook (pid %d): no creating call in the trace" % (stage, hp)
    waiter = cr[0]
    assert not any(l.startswith("execve(") for l in traces.get(waiter, [])), (
        "%s hook created by pid %d, which is neither the runtime nor a waiter: %s" % (stage, waiter, cr[1]))
    made = [c for c in clones if c[3] == waiter]
    assert len(made) == 1, "%s hook's waiter (pid %d) was not created by clone3: %s" % (stage, waiter, made)
    return made[0], waiter


def check_hook_clones(hook_pid, clones, runtime_pid, want_autoreap_flag, traces):
    for stage, hp in hook_pid.items():
        (caller, fs, sig, _, _, line), waiter = spawned_by(hp, stage, runtime_pid, traces, clones)
        what = "%s hook%s" % (stage, " (through waiter %d)" % waiter if waiter else "")
        assert sig == "0", "%s: exit_signal %s: %s" % (what, sig, line)
        assert "CLONE_PIDFD" in fs, "%s without CLONE_PIDFD: %s" % (what, line)
        assert "CLONE_THREAD" not in fs and "CLONE_PARENT" not in fs, line
        assert has_autoreap(fs) == want_autoreap_flag, "%s: CLONE_AUTOREAP %s expected: %s" % (
            what, "" if want_autoreap_flag else "not", line)
        if stage in ("createContainer", "startContainer"):
            assert caller != runtime_pid, "%s spawned by the runtime, not the container's init" % what
        else:
            assert caller == runtime_pid, "%s spawned by pid %d, not the runtime" % (what, caller)


def check_runtime_signals(runtime_pid, traces):
    bad = []
    for l in traces[runtime_pid]:
        if l.startswith("rt_sigaction(SIGCHLD"):
            bad.append(l)
        m = re.match(r"rt_sigprocmask\((\w+), (NULL|~?\[[^\]]*\])", l)
        if m and m.group(2) != "NULL":
            if m.group(1) == "SIG_SETMASK" or sigset_touches_chld(m.group(2)):
                bad.append(l)
        if re.match(r"wait4\(-1,", l) or re.match(r"waitid\(P_ALL,", l):
            bad.append(l)
    assert not bad, "the runtime touched SIGCHLD handling or waited for any child:\n" + "\n".join(bad)


def test_strace_with_annotation(runtime, bundle, strace_bin, workdir):
    runtime_pid, traces, hook_pid, clones = run_traced(runtime, bundle, strace_bin, "1", workdir)
    attempts = [c for c in clones if c[0] == runtime_pid and has_autoreap(c[1])]
    assert attempts, "no clone3(CLONE_AUTOREAP) attempt in the runtime"
    for _, fs, sig, ret, rest, line in attempts:
        assert sig == "0" and "CLONE_PIDFD" in fs, line
    kernel_has_it = any(c[3] >= 0 for c in attempts)
    if not kernel_has_it:
        for a in attempts:
            assert "EINVAL" in a[4], "the refused attempt: %s" % a[5]
    check_hook_clones(hook_pid, clones, runtime_pid, kernel_has_it, traces)
    check_runtime_signals(runtime_pid, traces)


def test_strace_without_annotation(runtime, bundle, strace_bin, workdir):
    runtime_pid, traces, hook_pid, clones = run_traced(runtime, bundle, strace_bin, None, workdir)
    attempts = [c[5] for c in clones if has_autoreap(c[1])]
    assert not attempts, "CLONE_AUTOREAP tried without the annotation: %s" % attempts
    check_hook_clones(hook_pid, clones, runtime_pid, False, traces)
    check_runtime_signals(runtime_pid, traces)


def test_sigset_parser():
    assert sigset_touches_chld("[CHLD]")
    assert sigset_touches_chld("[HUP CHLD TERM]")
    assert not sigset_touches_chld("[HUP INT]")
    assert sigset_touches_chld("~[RTMIN RT_1]")
    assert not sigset_touches_chld("~[CHLD RTMIN]")
    assert not sigset_touches_chld("NULL")
    assert has_autoreap(flag_set("CLONE_PIDFD|0x400000000"))
    assert has_autoreap(flag_set("CLONE_PIDFD|CLONE_AUTOREAP"))
    assert not has_autoreap(flag_set("CLONE_PIDFD|CLONE_NEWNS"))
