"""maskedPaths, readonlyPaths, hostname, domainname, sysctl, oomScoreAdj."""

import pytest

from conftest import IS_RUNC


def test_masked_file(runtime, bundle):
    """Masked files are covered by /dev/null (/proc/kcore is in the default
    list but this kernel has none; /proc/timer_list and a custom file are)."""
    bundle.linux["maskedPaths"] = ["/proc/kcore", "/proc/timer_list", "/etc/passwd"]
    out = runtime.sh_ok(bundle, "for f in /proc/timer_list /etc/passwd; do "
                                "echo $f $(cat $f 2>/dev/null | wc -c) $(stat -c '%t:%T' $f); done; "
                                "cat /proc/kcore 2>/dev/null | wc -c")
    lines = out.splitlines()
    assert lines[0] == "/proc/timer_list 0 1:3", out
    assert lines[1] == "/etc/passwd 0 1:3", out
    assert lines[2] == "0"


def test_masked_dir(runtime, bundle):
    bundle.linux["maskedPaths"] = ["/sys/firmware", "/etc"]
    out = runtime.sh_ok(bundle, "ls -A /sys/firmware | wc -l; ls -A /etc | wc -l; "
                                "touch /etc/x 2>&1; echo rc=$?")
    lines = out.splitlines()
    assert lines[0] == "0" and lines[1] == "0"
    assert "rc=0" not in out


def test_masked_nonexistent_is_ignored(runtime, bundle):
    bundle.linux["maskedPaths"] = ["/does/not/exist", "/proc/kcore"]
    assert runtime.sh_ok(bundle, "echo ok") == "ok\n"


def test_readonly_paths(runtime, bundle):
    assert "/proc/sys" in bundle.linux["readonlyPaths"]
    out = runtime.sh_ok(bundle, "{ echo x > /proc/sys/kernel/domainname; } 2>&1; echo rc=$?")
    assert "Read-only file system" in out and "rc=1" in out


def test_readonly_custom_dir(runtime, bundle):
    bundle.linux["readonlyPaths"] = ["/home"]
    out = runtime.sh_ok(bundle, "touch /home/x 2>&1; echo rc=$?; touch /root/y && echo root-rw")
    assert "Read-only file system" in out and "rc=1" in out
    assert "root-rw" in out


def test_hostname(runtime, bundle):
    bundle.config["hostname"] = "it-host"
    assert runtime.sh_ok(bundle, "hostname").strip() == "it-host"


@pytest.mark.crun_only  # runc 1.1 ignores domainname
def test_domainname(runtime, bundle):
    bundle.config["domainname"] = "it.example"
    assert runtime.sh_ok(bundle, "cat /proc/sys/kernel/domainname").strip() == "it.example"


def test_sysctl_net(runtime, bundle):
    assert "network" in bundle.namespaces()
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "1"}
    assert runtime.sh_ok(bundle, "cat /proc/sys/net/ipv4/ip_forward").strip() == "1"
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        host = f.read()  # unchanged on the host (whatever it is)
    bundle.linux["sysctl"] = {"net.ipv4.ip_forward": "0"}
    assert runtime.sh_ok(bundle, "cat /proc/sys/net/ipv4/ip_forward").strip() == "0"
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == host


def test_sysctl_ipc(runtime, bundle):
    assert "ipc" in bundle.namespaces()
    bundle.linux["sysctl"] = {"kernel.msgmax": "12345"}
    assert runtime.sh_ok(bundle, "cat /proc/sys/kernel/msgmax").strip() == "12345"
    with open("/proc/sys/kernel/msgmax") as f:
        assert f.read().strip() != "12345"


def test_sysctl_without_namespace_fails(runtime, bundle):
    bundle.remove_namespace("ipc")
    bundle.linux["sysctl"] = {"kernel.msgmax": "12345"}
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "msgmax" in r.err or "ipc" in r.err.lower(), r


def test_oom_score_adj(runtime, bundle):
    bundle.process["oomScoreAdj"] = 123
    assert runtime.sh_ok(bundle, "cat /proc/self/oom_score_adj").strip() == "123"
