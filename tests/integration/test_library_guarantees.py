"""The guarantees libcrun.h states, through the installed library (issue
16): 500 containers with hooks created, started, waited for and deleted in
one process leave its open fds, cwd, umask, rlimits, namespaces, signal
dispositions and mask as they were; SIGPIPE keeps its default action and
a hook that closes its stdin at once, with a large state, does not raise it
(tests/embed/guarantees.c)."""

import json
import os
import subprocess

import pytest

from conftest import REPO
from test_library_install import build_against_installed, installed  # noqa: F401 (fixture)


def test_500_runs_leave_the_process_as_it_was(installed, runtime, bundle, workdir):
    exe = os.path.join(workdir, "guarantees")
    run_env = build_against_installed(installed, os.path.join(REPO, "tests", "embed", "guarantees.c"), exe)
    closes_stdin = {"path": "/bin/sh", "args": ["sh", "-c", "exec 0<&-; exit 0"]}
    bundle.config["hooks"] = {"createRuntime": [closes_stdin], "poststart": [closes_stdin],
                              "poststop": [closes_stdin]}
    # a state document larger than any pipe buffer
    bundle.config.setdefault("annotations", {}).update({"big.%d" % i: "x" * 1000 for i in range(200)})
    bundle.set_args("true")
    bundle.write()
    r = subprocess.run([exe, runtime.root, bundle.path, "500"], cwd=workdir, env=run_env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert r.stdout.startswith("ok runs=500"), r.stdout
    assert os.listdir(runtime.root) == []


def build_against_the_tree(source, out):
    """Compile `source` against this tree's libcrun.a."""
    if not os.path.exists(os.path.join(REPO, "libcrun.a")):
        pytest.skip("needs this tree's libcrun.a")
    libs = subprocess.run(["pkg-config", "--libs", "libseccomp", "yajl", "libcap"], capture_output=True,
                          text=True, check=True).stdout.split()
    cflags = subprocess.run(["pkg-config", "--cflags", "yajl"], capture_output=True, text=True,
                            check=True).stdout.split()
    subprocess.run(["gcc", "-D_GNU_SOURCE", "-O1", "-I", REPO, *cflags, "-o", out, source,
                    os.path.join(REPO, "libcrun.a"), "-lpthread", *libs], check=True, timeout=120)
    return dict(os.environ, CRUN_TEST_HELPER=os.path.join(REPO, "libcrun-init"))


def test_init_and_exec_never_allocate_between_clone_and_execve(runtime, bundle, workdir):
    """libcrun.h: the container's init and the exec'd process call only
    system calls between their clone and the execve of the runtime's
    helper, nor does the child of `mounts add|remove`.  30 containers are
    created, started, exec'd into, given mounts and deleted
    while four threads allocate with one arena; every allocator call made
    in another process is counted (tests/embed/threads-create.c): none,
    and no run hangs.  (Before the helper, the init ran the library's
    set-up, malloc included, in the clone: thousands of calls.)"""
    exe = os.path.join(workdir, "threads-create")
    env = build_against_the_tree(os.path.join(REPO, "tests", "embed", "threads-create.c"), exe)
    bundle.set_args("sleep", "100")
    bundle.write()
    # and `mounts add|remove`, whose child joins the container's namespace
    src = os.path.join(workdir, "bind-src")
    os.mkdir(src)
    mounts = os.path.join(workdir, "mounts.json")
    with open(mounts, "w") as f:
        json.dump({"mounts": [{"destination": "/mnt/tc/tmp", "type": "tmpfs", "source": "tmpfs",
                               "options": ["nosuid", "size=1m"]},
                              {"destination": "/mnt/tc/bind", "source": src, "options": ["rbind", "ro"]}]}, f)
    r = subprocess.run([exe, runtime.root, bundle.path, "30", mounts], cwd=workdir, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip() == "ok runs=30 foreign=0", (r.returncode, r.stdout[-2000:],
                                                                              r.stderr[-2000:])
    assert os.listdir(runtime.root) == []
