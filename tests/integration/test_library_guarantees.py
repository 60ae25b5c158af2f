"""The guarantees libcrun.h states, through the installed library (issue
16): 500 containers with hooks created, started, waited for and deleted in
one process leave its open fds, cwd, umask, rlimits, namespaces, signal
dispositions and mask as they were; SIGPIPE keeps its default action and
a hook that closes its stdin at once, with a large state, does not raise it
(tests/embed/guarantees.c)."""

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
