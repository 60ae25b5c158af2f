"""The library leaves its caller's namespaces alone (issue 9): a container
that joins another container's pid (and time) namespace by path is created
by a process whose own children still get its namespaces afterwards.
tests/embed/embed-create.c embeds libcrun.a."""

import os
import subprocess

import pytest

from conftest import HERE, IS_RUNC, REPO


@pytest.fixture
def embedder(workdir):
    if IS_RUNC or not os.path.exists(os.path.join(REPO, "libcrun.a")):
        pytest.skip("needs this tree's libcrun.a")
    out = os.path.join(workdir, "embed-create")
    libs = subprocess.run(["pkg-config", "--libs", "libseccomp", "yajl", "libcap", "libsystemd"],
                          capture_output=True, text=True, check=True).stdout.split()
    cflags = subprocess.run(["pkg-config", "--cflags", "yajl"], capture_output=True, text=True,
                            check=True).stdout.split()
    subprocess.run(["gcc", "-D_GNU_SOURCE", "-I", REPO, *cflags, "-o", out,
                    os.path.join(REPO, "tests", "embed", "embed-create.c"), os.path.join(REPO, "libcrun.a"), *libs],
                   check=True, timeout=120)
    return out


def test_joining_a_pid_namespace_leaves_the_callers(runtime, bundle, embedder, workdir):
    bundle.set_args("sleep", "100")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    second = os.path.join(workdir, "second")
    os.mkdir(second)
    os.symlink(bundle.rootfs, os.path.join(second, "rootfs"))
    cfg = bundle.config
    joined = [dict(n) for n in cfg["linux"]["namespaces"]]
    for n in joined:
        if n["type"] in ("pid",):
            n["path"] = "/proc/%d/ns/pid" % pid
    import json
    c2 = json.loads(json.dumps(cfg))
    c2["linux"]["namespaces"] = joined
    c2["process"]["args"] = ["true"]
    with open(os.path.join(second, "config.json"), "w") as f:
        json.dump(c2, f)
    p = subprocess.run([embedder, runtime.root, second, runtime.new_id("embedded")], capture_output=True,
                       text=True, timeout=60,
                       env=dict(os.environ, CRUN_TEST_HELPER=os.path.join(REPO, "libcrun-init")))
    assert p.returncode == 0, p.stdout + p.stderr
    lines = dict((l.split()[1], l.split()[2:]) for l in p.stdout.splitlines() if l.startswith("ns "))
    assert lines["pid_for_children"][0] == lines["pid_for_children"][1], p.stdout


def test_a_missing_helper_is_a_clear_error(runtime, bundle, embedder):
    """An embedder whose library finds no helper (libcrun_set_helper names
    a missing file): create fails saying which file, and leaves nothing."""
    bundle.set_args("true")
    bundle.write()
    cid = runtime.new_id("nohelper")
    p = subprocess.run([embedder, runtime.root, bundle.path, cid], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, CRUN_TEST_HELPER="/nonexistent/libcrun-init"))
    assert p.returncode == 3, p.stdout + p.stderr
    assert "open the runtime's helper `/nonexistent/libcrun-init`: No such file or directory" in p.stdout, p.stdout
    assert not os.path.exists(os.path.join(runtime.root, cid))
