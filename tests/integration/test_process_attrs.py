"""process.scheduler, process.ioPriority and linux.memoryPolicy (issue 14):
each applied to the container's process (read back inside: /proc/self/sched,
/proc/self/stat, ioprio_get, /proc/self/numa_maps) and each validation rule
refused before the container starts, naming the field."""

import os

import pytest

pytestmark = pytest.mark.ours_only  # crun 1.8.1 and runc 1.1 have none of the three


def sched_fields(out):
    d = {}
    for line in out.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            d[k.strip()] = v.strip()
    return d


@pytest.mark.parametrize("sched,policy", [({"policy": "SCHED_BATCH", "nice": 5}, "3"),
                                          ({"policy": "SCHED_IDLE"}, "5"),
                                          ({"policy": "SCHED_OTHER", "nice": -3}, "0")])
def test_scheduler_applied(runtime, bundle, sched, policy):
    bundle.process["scheduler"] = sched
    out = runtime.sh_ok(bundle, "cat /proc/self/sched; echo nice=$(cut -d' ' -f19 /proc/self/stat)")
    f = sched_fields(out)
    assert f["policy"] == policy, out
    want_nice = sched.get("nice", 0)
    assert "nice=%d" % want_nice in out, out


@pytest.mark.parametrize("policy,number", [("SCHED_FIFO", "1"), ("SCHED_RR", "2")])
def test_scheduler_realtime_with_realtime_runtime(runtime, bundle, policy, number):
    """SCHED_FIFO and SCHED_RR need real-time bandwidth in the container's
    cgroup on a kernel with RT group scheduling: given with
    linux.resources.cpu (the parent cgroup is raised to allow it)."""
    bundle.process["scheduler"] = {"policy": policy, "priority": 10}
    if os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"):
        bundle.linux.setdefault("resources", {})["cpu"] = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}
    out = runtime.sh_ok(bundle, "cat /proc/self/sched")
    f = sched_fields(out)
    assert f["policy"] == number and f["prio"] == str(99 - 10), out


@pytest.mark.skipif(not os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_runtime_us"),
                    reason="no cgroup v1 real-time group scheduling here")
def test_two_realtime_containers_at_once(runtime, bundle):
    """The parent's real-time budget must cover every child's: with one
    container holding 10000 us, a second one raises /crun to the sum, not
    to its own 10000 (which the kernel refuses)."""
    bundle.process["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    bundle.linux.setdefault("resources", {})["cpu"] = {"realtimeRuntime": 10000, "realtimePeriod": 1000000}
    bundle.set_args("sleep", "60")
    ids = []
    for _ in range(2):
        cid, r = runtime.create(bundle)
        assert r.rc == 0, r
        ids.append(cid)
    for cid in ids:
        with open("/sys/fs/cgroup/cpu/crun/%s/cpu.rt_runtime_us" % cid) as f:
            assert f.read().strip() == "10000"
    with open("/sys/fs/cgroup/cpu/crun/cpu.rt_runtime_us") as f:
        assert int(f.read()) >= 20000


def test_scheduler_deadline(runtime, bundle):
    bundle.process["scheduler"] = {"policy": "SCHED_DEADLINE", "runtime": 10_000_000,
                                   "deadline": 30_000_000, "period": 30_000_000}
    bundle.set_args("cat", "/proc/self/sched")
    r = runtime.run(bundle)
    if r.rc != 0 and "sched_setattr" in r.err and ("Operation not permitted" in r.err or "busy" in r.err):
        # the deadline class cannot be admitted from a non-root cgroup with
        # RT group scheduling; the refusal must name the field
        assert "process.scheduler" in r.err, r
        return
    assert r.rc == 0, r
    f = sched_fields(r.out)
    assert f["policy"] == "6", r


@pytest.mark.parametrize("sched,field", [
    ({"policy": "SCHED_NOPE"}, "policy"),
    ({"policy": "SCHED_ISO"}, "policy"),
    ({"policy": "SCHED_OTHER", "priority": 5}, "priority"),
    ({"policy": "SCHED_FIFO"}, "priority"),
    ({"policy": "SCHED_RR", "priority": 100}, "priority"),
    ({"policy": "SCHED_OTHER", "nice": 20}, "nice"),
    ({"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_NOPE"]}, "flags"),
    ({"policy": "SCHED_DEADLINE", "runtime": 10_000_000}, "deadline"),
    ({"policy": "SCHED_DEADLINE", "runtime": 100, "deadline": 30_000_000}, "runtime"),
    ({"policy": "SCHED_DEADLINE", "runtime": 40_000_000, "deadline": 30_000_000}, "runtime"),
    ({"policy": "SCHED_DEADLINE", "runtime": 10_000_000, "deadline": 30_000_000, "period": 20_000_000}, "period"),
    ({"policy": "SCHED_DEADLINE", "runtime": 10_000, "deadline": 50_000}, "deadline"),
])
def test_scheduler_refused(runtime, bundle, sched, field):
    bundle.process["scheduler"] = sched
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "process.scheduler.%s" % field in r.err, r


@pytest.mark.parametrize("io,want", [({"class": "IOPRIO_CLASS_BE", "priority": 6}, "class 2 prio 6"),
                                     ({"class": "IOPRIO_CLASS_IDLE"}, "class 3 prio 0"),
                                     ({"class": "IOPRIO_CLASS_RT", "priority": 1}, "class 1 prio 1")])
def test_io_priority_applied(runtime, bundle, io, want):
    bundle.process["ioPriority"] = io
    assert runtime.sh_ok(bundle, "oci-probe ioprio").strip() == want


@pytest.mark.parametrize("io,field", [({"class": "IOPRIO_CLASS_NOPE"}, "class"),
                                      ({"class": "IOPRIO_CLASS_BE", "priority": 8}, "priority"),
                                      ({"priority": 1}, "class")])
def test_io_priority_refused(runtime, bundle, io, field):
    bundle.process["ioPriority"] = io
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "process.ioPriority" in r.err and field in r.err, r


def numa_policy(runtime, bundle):
    out = runtime.sh_ok(bundle, "head -1 /proc/self/numa_maps; grep Mems_allowed_list /proc/self/status")
    first, mems = out.splitlines()[:2]
    return first.split()[1], mems


@pytest.mark.skipif(not os.path.exists("/proc/self/numa_maps"), reason="kernel without NUMA")
@pytest.mark.parametrize("policy,shown", [({"mode": "MPOL_BIND", "nodes": "0"}, "bind:0"),
                                          ({"mode": "MPOL_INTERLEAVE", "nodes": "0"}, "interleave:0"),
                                          ({"mode": "MPOL_PREFERRED", "nodes": "0"}, "prefer:0"),
                                          ({"mode": "MPOL_LOCAL"}, "local"),
                                          ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]},
                                           "bind=static:0")])
def test_memory_policy_applied(runtime, bundle, policy, shown):
    bundle.linux["memoryPolicy"] = policy
    got, mems = numa_policy(runtime, bundle)
    assert got == shown, (got, mems)
    assert mems.split()[-1].startswith("0"), mems


@pytest.mark.parametrize("policy,field", [
    ({"mode": "MPOL_NOPE"}, "mode"),
    ({"mode": "MPOL_LOCAL", "nodes": "0"}, "nodes"),
    ({"mode": "MPOL_DEFAULT", "nodes": "0"}, "nodes"),
    ({"mode": "MPOL_BIND"}, "nodes"),
    ({"mode": "MPOL_BIND", "nodes": "0-"}, "nodes"),
    ({"mode": "MPOL_BIND", "nodes": "5000"}, "nodes"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}, "flags"),
    ({"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]}, "flags"),
    ({"mode": "MPOL_LOCAL", "flags": ["MPOL_F_STATIC_NODES"]}, "flags"),
    ({"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]}, "flags"),
])
def test_memory_policy_refused(runtime, bundle, policy, field):
    bundle.linux["memoryPolicy"] = policy
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "linux.memoryPolicy.%s" % field in r.err, r


@pytest.mark.skipif(not os.path.exists("/sys/devices/system/node/node0")
                    or os.path.exists("/sys/devices/system/node/node7"), reason="needs node 7 absent")
def test_memory_policy_offline_node_is_an_error(runtime, bundle):
    bundle.linux["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "7"}
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "linux.memoryPolicy" in r.err and "not online" in r.err, r
