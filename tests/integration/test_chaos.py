"""The chaos test of issue 10: `crun run` of a container with three
createRuntime and two poststop hooks, SIGKILLed at a random instant (spread
over create, the hooks, start, the wait and the delete that `run` does),
then `crun delete -f`, about 60 times per mode, with and without
run.oci.autoreap=1.  The loop runs in chaos_harness.py, a subreaper of its
own, so whatever the runtime leaves behind is counted there.  After it:
no state directory, no cgroup of the test's containers in any hierarchy,
no mount under the bundle, no process rooted in the rootfs, no hook
running, nothing left and no zombie under the subreaper, every `delete -f`
exited 0 and no command ran past its timeout.
"""

import json
import os
import subprocess
import sys

import pytest

from conftest import HERE, host_mounts, procs_rooted_in, wait_for
from test_crash import cgroups_of
from test_hooks import markers_alive

ITERATIONS = int(os.environ.get("CHAOS_ITERATIONS", "60"))


@pytest.mark.parametrize("autoreap", ["0", "1"])
def test_chaos_kill_then_delete_force(runtime, bundle, workdir, autoreap, capsys):
    mark = "chaos-hook-%d-%s" % (os.getpid(), autoreap)
    hook = {"path": "/bin/sh", "args": ["sh", "-c", "sleep 0.02", mark]}
    bundle.config["hooks"] = {"createRuntime": [hook] * 3, "poststop": [hook] * 2}
    bundle.config.setdefault("annotations", {})["run.oci.autoreap"] = autoreap
    bundle.set_args("true")
    runtime._prepare(bundle)
    prefix = runtime.new_id("chaos")  # the ids are <prefix>-<n>
    r = subprocess.run([sys.executable, os.path.join(HERE, "chaos_harness.py"), "--crun", runtime.crun,
                        "--root", runtime.root, "--bundle", bundle.path, "--prefix", prefix,
                        "--iterations", str(ITERATIONS)],
                       capture_output=True, text=True, timeout=ITERATIONS * 70)
    assert r.returncode == 0, r.stderr
    fig = json.loads(r.stdout.strip().splitlines()[-1])
    ids = ["%s-%d" % (prefix, i) for i in range(ITERATIONS)]
    fig["state_dirs_left"] = sorted(os.listdir(runtime.root))
    fig["cgroups_left"] = [c for cid in ids for c in cgroups_of(cid)]
    fig["mounts_left"] = [m for m in host_mounts() if m.startswith(bundle.path + "/")]
    wait_for(lambda: not procs_rooted_in(bundle.rootfs), 2)
    fig["procs_rooted_left"] = procs_rooted_in(bundle.rootfs)
    fig["hooks_running"] = markers_alive(mark)
    delays = fig.pop("kill_delays_ms")
    with capsys.disabled():  # the figures belong in the suite's log
        print("\nchaos (autoreap=%s): %d runs, %d killed (at %s..%s ms), %d finished, figures %s" % (
            autoreap, ITERATIONS, fig["killed"], min(delays, default="-"), max(delays, default="-"),
            fig["finished"], json.dumps({k: v for k, v in fig.items() if k not in ("killed", "finished")})))
    assert fig["killed"] >= ITERATIONS * 0.4, "too few kills to mean anything: %s" % fig
    for k in ("delete_rc_nonzero", "timeouts", "state_dirs_left", "cgroups_left", "mounts_left",
              "procs_rooted_left", "hooks_running", "children_left", "zombies_left"):
        assert not fig[k], "%s: %s" % (k, fig[k])
    assert fig["run_failed"] == 0, fig
