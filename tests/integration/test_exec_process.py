"""The process `exec` runs, compared with crun 1.8.1 (issue 12): the
container's noNewPrivileges is not inherited (--no-new-privs asks for it),
and `exec --cap X` gives X in the bounding, effective and permitted sets,
not in the inheritable and ambient ones."""

import os

import pytest

from conftest import IS_RUNC, wait_for

CAP_SYS_ADMIN = 21


def status_fields(text):
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


@pytest.fixture
def running(runtime, bundle):
    bundle.process["noNewPrivileges"] = True
    bundle.set_args("sleep", "100")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("start", cid)
    assert r.rc == 0, r
    return cid


def exec_status(runtime, cid, *opts):
    r = runtime.cmd("exec", *opts, cid, "cat", "/proc/self/status")
    assert r.rc == 0, r
    return status_fields(r.out)


@pytest.mark.skipif(IS_RUNC, reason="crun's exec defaults")
def test_exec_no_new_privs_only_when_asked(runtime, running):
    assert exec_status(runtime, running)["NoNewPrivs"].strip() == "0"
    assert exec_status(runtime, running, "--no-new-privs")["NoNewPrivs"].strip() == "1"


@pytest.mark.skipif(IS_RUNC, reason="crun's --cap")
def test_exec_cap_sets(runtime, running):
    st = exec_status(runtime, running, "--cap", "CAP_SYS_ADMIN")
    has = {k: bool(int(st[k].strip(), 16) >> CAP_SYS_ADMIN & 1) for k in ("CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb")}
    assert has == {"CapBnd": True, "CapEff": True, "CapPrm": True, "CapInh": False, "CapAmb": False}, st


@pytest.mark.ours_only
@pytest.mark.parametrize("uid,home", [(0, "/root"), (1000, "/home/user"), (4242, "/")])
def test_home_from_passwd(runtime, bundle, uid, home):
    """No HOME in process.env: the container's /etc/passwd entry of the
    process's uid, or /, in run and in exec (issue 12).  crun 1.8.1 does this
    in `run` for uids in /etc/passwd, but its `exec` gave uid 1000 HOME=/root
    and it left HOME empty for a uid without an entry."""
    bundle.process["env"] = ["PATH=/bin"]
    bundle.process["user"] = {"uid": uid, "gid": uid}
    bundle.sh("echo HOME=$HOME")
    assert runtime.run_ok(bundle).strip() == "HOME=" + home
    bundle.set_args("sleep", "100")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.cmd("start", cid)
    assert r.rc == 0, r
    r = runtime.cmd("exec", cid, "sh", "-c", "echo HOME=$HOME")
    assert r.rc == 0, r
    assert r.out.strip() == "HOME=" + home, r


def test_home_kept_when_set(runtime, bundle):
    bundle.process["env"] = ["PATH=/bin", "HOME=/elsewhere"]
    bundle.sh("echo HOME=$HOME")
    assert runtime.run_ok(bundle).strip() == "HOME=/elsewhere"


@pytest.mark.parametrize("cmd", ["create", "run-detach"])
def test_terminal_needs_console_socket_when_detached(runtime, bundle, cmd):
    """crun's rule (issue 12): a terminal without --console-socket is refused
    for create and run --detach, and nothing is left."""
    bundle.process["terminal"] = True
    bundle.set_args("sleep", "5")
    if cmd == "create":
        cid, r = runtime.create(bundle)
    else:
        cid = runtime.new_id()
        r = runtime.run(bundle, cid=cid, opts=("--detach",))
    assert r.rc == 1, r
    assert "--console-socket" in r.err, r
    assert runtime.cmd("state", cid).rc != 0


@pytest.mark.parametrize("field,key", [("hostname", "kernel.hostname"), ("domainname", "kernel.domainname")])
def test_uts_field_and_sysctl_conflict(runtime, bundle, field, key):
    """Both `hostname` and the `kernel.hostname` sysctl (or the domainname
    pair) are refused with an error naming both, as crun (issue 12)."""
    bundle.config[field] = "x1"
    bundle.linux["sysctl"] = {key: "x2"}
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert key in r.err and field in r.err and "conflicts" in r.err, r
    assert runtime.cmd("state", cid).rc != 0


def test_same_domainname_in_both_fields_accepted(runtime, bundle):
    """crun 1.8.1 accepts a domainname and a kernel.domainname that agree."""
    bundle.config["domainname"] = "d1"
    bundle.linux["sysctl"] = {"kernel.domainname": "d1"}
    assert runtime.run_ok(bundle, "true") == ""


@pytest.mark.parametrize("detach", [False, True])
def test_exec_reads_the_callers_stdin(runtime, bundle, workdir, detach):
    """The exec'd process's stdin is the caller's (a pipe here), also with
    --detach (conmon's way), not /dev/null."""
    bundle.set_args("sleep", "60")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    assert runtime.cmd("start", cid).rc == 0
    out = os.path.join(workdir, "got")
    bundle_out = "/got"
    args = ["exec"] + (["--detach"] if detach else []) + [cid, "sh", "-c", "cat > %s" % bundle_out]
    r = runtime.cmd(*args, input="piped-data\n")
    assert r.rc == 0, r
    got = bundle.rootfs_file(bundle_out)
    assert wait_for(lambda: os.path.exists(got) and open(got).read() == "piped-data\n", 10), \
        open(got).read() if os.path.exists(got) else "no file"
    assert runtime.cmd("delete", "--force", cid).rc == 0
