"""The example embedder (contrib/embedder/supervisor.c, issue 16), built
against the installed libcrun with pkg-config: a supervisor with its own
SIGCHLD handler and waitpid(-1) runs 12 containers with hooks in 3 threads
(half with a failing createRuntime hook) while it forks children of its own;
it must reap exactly its children and the containers' inits, never a hook
or a process between a hook and libcrun, and get each failing hook's status
through libcrun's error.  It also must not hang: its threads create while
the others allocate and fork, with no lock of its own around the creates
(before the init executed the runtime's helper right after its clone,
about one run in five hung on an allocator lock)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import REPO
from test_library_install import build_against_installed, installed  # noqa: F401 (fixture)


def hook(cmd):
    return {"path": "/bin/sh", "args": ["sh", "-c", cmd]}


@pytest.mark.parametrize("autoreap", ["0", "1"])
def test_supervisor_never_sees_hooks(installed, runtime, bundle, workdir, autoreap):
    exe = os.path.join(workdir, "supervisor")
    run_env = build_against_installed(installed, os.path.join(REPO, "contrib", "embedder", "supervisor.c"), exe,
                                      "-lpthread")

    log = os.path.join(workdir, "hooks.log")
    record = hook("echo $$ $PPID >> %s" % log)
    bundle.config["hooks"] = {s: [record] for s in ("prestart", "createRuntime", "poststart", "poststop")}
    bundle.config.setdefault("annotations", {})["run.oci.autoreap"] = autoreap
    bundle.set_args("true")
    bundle.write()
    bad = os.path.join(workdir, "bad")
    os.mkdir(bad)
    os.symlink(bundle.rootfs, os.path.join(bad, "rootfs"))
    cfg = json.loads(json.dumps(bundle.config))
    cfg["hooks"]["createRuntime"] = [record, hook("exit 3")]
    cfg["root"]["path"] = os.path.join(bad, "rootfs")
    with open(os.path.join(bad, "config.json"), "w") as f:
        json.dump(cfg, f)

    r = subprocess.run([exe, runtime.root, bundle.path, bad, log, "12", "3"], env=run_env,
                       capture_output=True, text=True, timeout=120)  # a hang is a failure
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert r.stdout.startswith("ok containers=12 threads=3"), r.stdout
    assert os.listdir(runtime.root) == [], "state left behind"
