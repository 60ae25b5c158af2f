"""crun's run.oci.* annotations (issue 14): keep_original_groups,
timens_offset, pidfd_receiver and seccomp_fail_unknown_syscall (in
test_seccomp.py) take effect; those needing what this runtime lacks
(handlers, seccomp plugins, raw BPF, systemd sub-cgroups) are refused with
the reason, and nothing is left behind (the runtime fixture checks)."""

import array
import os
import socket
import threading

import pytest



def annotate(bundle, key, value):
    bundle.config.setdefault("annotations", {})[key] = value


@pytest.mark.crun_only
def test_keep_original_groups(runtime, bundle):
    """Without the annotation the process gets only additionalGids; with it
    setgroups is skipped and the runtime's own groups stay."""
    bundle.process["user"] = {"uid": 0, "gid": 0, "additionalGids": [5]}
    assert runtime.sh_ok(bundle, "grep Groups /proc/self/status").split()[1:] == ["5"]
    annotate(bundle, "run.oci.keep_original_groups", "1")
    bundle.write()
    # the runtime itself runs with groups 7 and 8: the container keeps them
    out = runtime.cmd("run", "--bundle", bundle.path, runtime.new_id(), wrapper=("setpriv", "--groups", "7,8"))
    assert out.rc == 0, out
    assert sorted(out.out.split()[1:]) == ["7", "8"], out


@pytest.mark.ours_only  # crun 1.8.1 fails timeOffsets (test_namespaces)
def test_timens_offset(runtime, bundle):
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("kernel has no time namespaces")
    bundle.add_namespace("time")
    annotate(bundle, "run.oci.timens_offset", "boottime 172800 0")
    with open("/proc/uptime") as f:
        host = float(f.read().split()[0])
    inner = float(runtime.sh_ok(bundle, "cat /proc/uptime").split()[0])
    assert 172800 - 60 < inner - host < 172800 + 60, (host, inner)


@pytest.mark.ours_only
def test_timens_offset_malformed(runtime, bundle):
    bundle.add_namespace("time")
    annotate(bundle, "run.oci.timens_offset", "monotonic lots")
    r = runtime.run(bundle)
    assert r.rc == 1 and "run.oci.timens_offset" in r.err, r


@pytest.mark.crun_only
def test_pidfd_receiver(runtime, bundle, workdir):
    """The receiver gets a pidfd of the container's init: its Pid: line in
    /proc/self/fdinfo is the init's pid."""
    path = os.path.join(workdir, "pidfd.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = {}

    def accept():
        conn, _ = srv.accept()
        fds = array.array("i")
        _, anc, _, _ = conn.recvmsg(16, socket.CMSG_SPACE(4))
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:4])
        if fds:
            with open("/proc/self/fdinfo/%d" % fds[0]) as f:
                got["fdinfo"] = f.read()
            os.close(fds[0])
        conn.close()

    t = threading.Thread(target=accept)
    t.start()
    annotate(bundle, "run.oci.pidfd_receiver", path)
    bundle.set_args("sleep", "30")
    cid, r = runtime.create(bundle)
    t.join(10)
    srv.close()
    assert r.rc == 0, r
    pid = runtime.state(cid)["pid"]
    assert "Pid:\t%d\n" % pid in got.get("fdinfo", ""), got


@pytest.mark.ours_only
@pytest.mark.parametrize("key,value", [("run.oci.handler", "krun"), ("run.oci.seccomp.plugins", "/x.so"),
                                       ("run.oci.seccomp_bpf_data", "AAAA"),
                                       ("run.oci.systemd.force_cgroup_v1", "/sys/fs/cgroup/systemd"),
                                       ("run.oci.systemd.subgroup", "sub"),
                                       ("run.oci.delegate-cgroup", "deleg"),
                                       ("run.oci.pidfd_receiver", "relative.sock")])
def test_refused_annotations(runtime, bundle, key, value):
    annotate(bundle, key, value)
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert key in r.err, r
