"""process: args, env, cwd, user, umask, capabilities, rlimits,
noNewPrivileges, fds."""

import os
import resource

import pytest

from conftest import IS_RUNC

CAP = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_SYS_ADMIN": 21}


def status_fields(text):
    return dict(l.split(":\t", 1) for l in text.splitlines() if ":\t" in l)


def test_args(runtime, bundle):
    out = runtime.run_ok(bundle, "sh", "-c", 'for a in "$@"; do echo "[$a]"; done', "argv0", "a b", "", "c")
    assert out == "[a b]\n[]\n[c]\n"


def test_env(runtime, bundle):
    bundle.process["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    out = runtime.run_ok(bundle, "env")
    lines = out.splitlines()
    assert "FOO=bar baz" in lines
    assert "EMPTY=" in lines
    assert "PATH=/bin" in lines


def test_cwd(runtime, bundle):
    bundle.process["cwd"] = "/tmp"
    assert runtime.sh_ok(bundle, "pwd").strip() == "/tmp"


def test_cwd_created_if_missing(runtime, bundle):
    bundle.process["cwd"] = "/new/work/dir"
    assert runtime.sh_ok(bundle, "pwd").strip() == "/new/work/dir"


def test_user_uid_gid_additional(runtime, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}
    out = runtime.sh_ok(bundle, "id -u; id -g; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status")
    lines = out.splitlines()
    assert lines[0] == "1000" and lines[1] == "1000"
    assert set(lines[2].split()) == {"1000", "5", "100"}
    st = status_fields("\n".join(lines[3:]))
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1000"] * 4
    assert set(st["Groups"].split()) == {"5", "100"}


def test_user_no_additional_gids_clears_groups(runtime, bundle):
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    out = runtime.sh_ok(bundle, "grep '^Groups:' /proc/self/status")
    assert out.split()[1:] == [] or out.split()[1:] == ["1000"]


def test_umask(runtime, bundle):
    bundle.process["user"]["umask"] = 0o027
    out = runtime.sh_ok(bundle, "umask; touch /tmp/f; stat -c %a /tmp/f")
    assert out.split() == ["0027", "640"]


def capmask(names):
    v = 0
    for n in names:
        v |= 1 << CAP[n]
    return v


def read_caps(runtime, bundle):
    st = status_fields(runtime.sh_ok(bundle, "cat /proc/self/status"))
    return {k: int(st[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}


CAPS = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
    "inheritable": ["CAP_CHOWN", "CAP_KILL"],
    "ambient": ["CAP_KILL"],
}


def test_capabilities_non_root(runtime, bundle):
    """Non-root after execve: permitted = effective = ambient."""
    bundle.process["capabilities"] = CAPS
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    c = read_caps(runtime, bundle)
    assert c["CapBnd"] == capmask(CAPS["bounding"]), hex(c["CapBnd"])
    assert c["CapInh"] == capmask(CAPS["inheritable"]), hex(c["CapInh"])
    assert c["CapAmb"] == capmask(CAPS["ambient"]), hex(c["CapAmb"])
    assert c["CapPrm"] == capmask(CAPS["ambient"]), hex(c["CapPrm"])
    assert c["CapEff"] == capmask(CAPS["ambient"]), hex(c["CapEff"])


def test_capabilities_root(runtime, bundle):
    caps = dict(CAPS, effective=["CAP_KILL"], permitted=["CAP_KILL", "CAP_CHOWN"], ambient=[],
                inheritable=["CAP_KILL"])
    bundle.process["capabilities"] = caps
    c = read_caps(runtime, bundle)
    assert c["CapBnd"] == capmask(caps["bounding"]), hex(c["CapBnd"])
    assert c["CapInh"] == capmask(caps["inheritable"]), hex(c["CapInh"])
    assert c["CapAmb"] == 0
    # uid 0 exec: the kernel grants the bounding set
    assert c["CapPrm"] & ~capmask(caps["bounding"]) == 0
    assert c["CapEff"] & ~capmask(caps["bounding"]) == 0


def test_capabilities_enforced(runtime, bundle):
    bundle.process["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "permitted", "effective")}
    out = runtime.sh_ok(bundle, "chown 1000 /tmp 2>&1; echo rc=$?; hostname foo 2>&1; echo rc=$?")
    assert "rc=0" not in out
    assert "Operation not permitted" in out


def test_rlimits(runtime, bundle):
    hard_nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    bundle.process["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 1000, "hard": min(2000, hard_nofile)},
        {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    ]
    out = runtime.sh_ok(bundle, "ulimit -n; ulimit -Hn; ulimit -u; ulimit -Hu; "
                                "grep -E 'Max (open files|processes|core)' /proc/self/limits")
    lines = out.splitlines()
    assert lines[:4] == ["1000", str(min(2000, hard_nofile)), "500", "600"]
    core = [l for l in lines if l.startswith("Max core")][0].split()
    assert core[4:6] == ["0", "0"], core


def test_rlimit_above_hard_limit_fails(runtime, bundle):
    """Root here lacks CAP_SYS_RESOURCE: raising nofile over the hard limit
    is EPERM, and the runtime must say so and fail."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("no finite hard nofile limit")
    bundle.process["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": hard + 1, "hard": hard + 1}]
    r = runtime.run(bundle)
    if r.rc == 0:
        pytest.skip("this root may raise rlimits (has CAP_SYS_RESOURCE)")
    assert r.rc == 1, r
    assert "RLIMIT_NOFILE" in r.err or "rlimit" in r.err.lower(), r


@pytest.mark.parametrize("nnp", [True, False])
def test_no_new_privileges(runtime, bundle, nnp):
    bundle.process["noNewPrivileges"] = nnp
    out = runtime.sh_ok(bundle, "grep NoNewPrivs /proc/self/status")
    assert out.split() == ["NoNewPrivs:", "1" if nnp else "0"]


def wrapped(runtime, bundle, opts=(), fds="exec 3<$F3 4<$F4;", env=None):
    """Run with fds 3 and 4 open in the runtime's environment."""
    f3 = os.path.join(runtime.workdir, "fd3")
    f4 = os.path.join(runtime.workdir, "fd4")
    with open(f3, "w") as f:
        f.write("content-of-fd3\n")
    with open(f4, "w") as f:
        f.write("content-of-fd4\n")
    e = dict(os.environ, F3=f3, F4=f4, **(env or {}))
    return runtime.run(bundle, opts=opts, env=e,
                       wrapper=["sh", "-c", fds + ' exec "$@"', "sh"])


def test_preserve_fds(runtime, bundle):
    bundle.sh("cat /proc/self/fd/3; oci-probe fds | tr '\\n' ' '; echo; echo LISTEN_FDS=$LISTEN_FDS")
    r = wrapped(runtime, bundle, opts=["--preserve-fds", "1"])
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "content-of-fd3"
    assert lines[1].split() == ["0", "1", "2", "3"]


def test_other_fds_closed(runtime, bundle):
    bundle.set_args("oci-probe", "fds")
    r = wrapped(runtime, bundle)
    assert r.rc == 0, r
    assert r.out.split() == ["0", "1", "2"]


@pytest.mark.crun_only  # runc passes LISTEN_FDS only from systemd activation
def test_listen_fds(runtime, bundle):
    """LISTEN_FDS=N in the runtime's environment: fds 3..3+N-1 are passed
    and LISTEN_FDS/LISTEN_PID are set inside."""
    bundle.sh("cat /proc/self/fd/3; oci-probe fds | tr '\\n' ' '; echo; echo LISTEN_FDS=$LISTEN_FDS")
    r = wrapped(runtime, bundle, env={"LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid())})
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0] == "content-of-fd3"
    assert lines[1].split() == ["0", "1", "2", "3"]
    # crun 1.8.1 passes the fds but not always LISTEN_FDS; not asserted


def test_stdio_file_belongs_to_the_user(runtime, bundle, workdir):
    """stdout/stderr that are regular files are handed to the process's user
    (crun does), so a process that is not root can reopen its own log
    through /proc/self/fd/1; /dev/null (stdin here) is left alone."""
    bundle.process["user"] = {"uid": 1000, "gid": 1000}
    bundle.sh("echo reopened >> /proc/self/fd/1 && echo ok >> /proc/self/fd/1")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert "reopened" in r.out and "ok" in r.out, r
    out_files = sorted(f for f in os.listdir(workdir) if f.startswith("cmd") and f.endswith(".out"))
    st = os.stat(os.path.join(workdir, out_files[-1]))
    assert (st.st_uid, st.st_gid) == (1000, 1000), (st.st_uid, st.st_gid)
    assert os.stat("/dev/null").st_uid == 0


@pytest.mark.parametrize("domain,machine", [("LINUX32", "i686"), ("LINUX", "x86_64")])
def test_personality(runtime, bundle, domain, machine):
    """linux.personality: the init's program and an exec'd process both see
    the domain (uname -m), as with crun."""
    if os.uname().machine != "x86_64":
        pytest.skip("the expected machine names are x86_64's")
    if IS_RUNC:
        pytest.skip("runc 1.1 has no linux.personality")
    bundle.linux["personality"] = {"domain": domain}
    bundle.set_args("sh", "-c", "uname -m; sleep 30")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    assert runtime.cmd("start", cid).rc == 0
    r = runtime.cmd("exec", cid, "uname", "-m")
    assert r.rc == 0 and r.out.strip() == machine, r
    assert runtime.cmd("delete", "--force", cid).rc == 0


def test_personality_unknown_domain(runtime, bundle):
    if IS_RUNC:
        pytest.skip("runc 1.1 has no linux.personality")
    bundle.linux["personality"] = {"domain": "SVR4"}
    r = runtime.run(bundle)
    assert r.rc == 1, r
    if not os.environ.get("CRUN_REFERENCE"):
        assert "`linux.personality.domain`: unknown domain `SVR4`" in r.err, r
