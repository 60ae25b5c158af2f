"""Errors and bad input: exit code 1, one clear message naming the thing,
nothing left behind (the runtime fixture checks state, mounts, processes)."""

import json
import os
import re
import shutil

import pytest

from conftest import IS_RUNC


def assert_clean(runtime, cid):
    assert cid not in os.listdir(runtime.root)
    assert runtime.cmd("state", cid).rc == 1


@pytest.mark.parametrize("command", ["create", "run"])
def test_missing_bundle(runtime, command, workdir):
    cid = runtime.new_id()
    missing = os.path.join(workdir, "no-such-bundle")
    r = runtime.cmd(command, "--bundle", missing, cid)
    assert r.rc == 1, r
    assert "no-such-bundle" in r.err, r
    assert_clean(runtime, cid)


def test_missing_config(runtime, bundle):
    os.unlink(bundle.config_path)
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, cid)
    assert r.rc == 1, r
    assert "config.json" in r.err, r
    assert_clean(runtime, cid)


def test_unreadable_config(runtime, bundle):
    os.unlink(bundle.config_path)
    os.mkdir(bundle.config_path)  # a directory: read fails even for root
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, cid)
    assert r.rc == 1, r
    assert "config.json" in r.err, r
    assert_clean(runtime, cid)
    os.rmdir(bundle.config_path)


@pytest.mark.crun_only  # runc has no --config
def test_config_option(runtime, bundle, workdir):
    bundle.sh("echo from-other-config")
    other = os.path.join(workdir, "other.json")
    with open(other, "w") as f:
        json.dump(bundle.config, f)
    with open(bundle.config_path, "w") as f:
        f.write("not json")
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, "--config", other, cid)
    assert r.rc == 0, r
    assert r.out == "from-other-config\n"


def test_invalid_json(runtime, bundle):
    with open(bundle.config_path, "w") as f:
        f.write('{\n  "ociVersion": "1.0.0",\n  "process": {\n    "args": ["true"],,\n  }\n}\n')
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, cid)
    assert r.rc == 1, r
    assert r.err.strip(), r
    assert_clean(runtime, cid)


@pytest.mark.ours_only  # DESIGN/config.h: syntax errors give line and column
def test_invalid_json_line_column(runtime, bundle):
    with open(bundle.config_path, "w") as f:
        f.write('{\n  "ociVersion": "1.0.0",\n  "process": {\n    "args": ["true"],,\n  }\n}\n')
    cid = runtime.new_id()
    r = runtime.cmd("run", "--bundle", bundle.path, cid)
    assert r.rc == 1, r
    assert "config.json" in r.err, r
    assert re.search(r"line\s*:?\s*4", r.err, re.I) or re.search(r":4:\d+", r.err), r
    assert re.search(r"col(umn)?\s*:?\s*\d+", r.err, re.I) or re.search(r":4:\d+", r.err), r


@pytest.mark.ours_only  # "config.json: `process.user.uid`: expected a non-negative integer"
def test_wrong_type_names_json_path(runtime, bundle):
    bundle.process["user"]["uid"] = "zero"
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert "process.user.uid" in r.err, r
    assert_clean(runtime, cid)


def test_wrong_type_fails(runtime, bundle):
    bundle.process["args"] = "true"  # must be an array
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert r.err.strip(), r
    assert_clean(runtime, cid)


def test_rootfs_missing(runtime, bundle):
    shutil.rmtree(bundle.rootfs)
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert "rootfs" in r.err, r
    assert_clean(runtime, cid)


@pytest.mark.parametrize("command", ["create", "run"])
def test_command_not_found(runtime, bundle, command):
    bundle.set_args("/bin/no-such-command-xyz")
    cid = runtime.new_id()
    if command == "create":
        _, r = runtime.create(bundle, cid=cid)
    else:
        r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert "no-such-command-xyz" in r.err, r
    assert_clean(runtime, cid)


def test_command_not_in_path(runtime, bundle):
    bundle.set_args("no-such-command-xyz")
    cid = runtime.new_id()
    _, r = runtime.create(bundle, cid=cid)
    assert r.rc == 1, r
    assert "no-such-command-xyz" in r.err, r
    assert_clean(runtime, cid)


def test_failing_mount(runtime, bundle, workdir):
    missing = os.path.join(workdir, "no-such-source")
    bundle.add_mount("/mnt/x", "bind", missing, ["bind"])
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    assert "no-such-source" in r.err or "/mnt/x" in r.err, r
    assert_clean(runtime, cid)


def test_failing_mount_create(runtime, bundle, workdir):
    bundle.add_mount("/mnt/x", "bind", os.path.join(workdir, "no-such-source"), ["bind"])
    cid, r = runtime.create(bundle)
    assert r.rc == 1, r
    assert_clean(runtime, cid)


@pytest.mark.parametrize("command", ["state", "start", "kill", "delete"])
def test_unknown_container(runtime, command):
    cid = runtime.new_id("unknown")
    r = runtime.cmd(command, cid)
    assert r.rc == 1, r
    if not IS_RUNC:
        assert cid in r.err, r


def test_duplicate_id(runtime, bundle):
    bundle.set_args("sleep", "100")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 1, r
    if not IS_RUNC:
        assert cid in r.err, r
    assert runtime.status(cid) == "created"


@pytest.mark.crun_only
def test_unknown_command(runtime):
    r = runtime.cmd("frobnicate")
    assert r.rc == 1, r
    assert "frobnicate" in r.err, r


def test_version_and_help(runtime):
    r = runtime.cmd("--version")
    assert r.rc == 0 and r.out.strip(), r
    r = runtime.cmd("--help")
    assert r.rc == 0 and "create" in r.out, r


@pytest.mark.ours_only  # crun 1.8.1 has no `features`; later crun has
def test_features(runtime):
    r = runtime.cmd("features")
    assert r.rc == 0, r
    f = json.loads(r.out)
    assert "ociVersionMin" in f and "ociVersionMax" in f
    assert "namespaces" in f["linux"]


@pytest.mark.ours_only
def test_features_shape(runtime):
    """The runtime spec's features.md document: every member it defines,
    seccomp's lists as libseccomp and the kernel report them, and the
    annotations this runtime honours."""
    f = json.loads(runtime.cmd("features").out)
    for k in ("ociVersionMin", "ociVersionMax", "hooks", "mountOptions", "linux", "annotations",
              "potentiallyUnsafeConfigAnnotations"):
        assert k in f, k
    lx = f["linux"]
    for k in ("namespaces", "capabilities", "cgroup", "seccomp", "apparmor", "selinux", "intelRdt",
              "mountExtensions"):
        assert k in lx, k
    assert set(lx["cgroup"]) >= {"v1", "v2", "systemd", "systemdUser"}
    sc = lx["seccomp"]
    assert sc["enabled"] is True and "SCMP_ACT_NOTIFY" in sc["actions"]
    assert "SCMP_ARCH_X86_64" in sc["archs"] and "SCMP_CMP_MASKED_EQ" in sc["operators"]
    assert set(sc["supportedFlags"]) <= set(sc["knownFlags"]) and "SECCOMP_FILTER_FLAG_LOG" in sc["supportedFlags"]
    assert lx["mountExtensions"]["idmap"]["enabled"] is True
    assert "MPOL_BIND" in lx["memoryPolicy"]["modes"]
    assert "CAP_SYS_ADMIN" in lx["capabilities"]
    for a in ("run.oci.autoreap", "run.oci.autoreap.spawner", "run.oci.keep_original_groups",
              "run.oci.seccomp.receiver", "run.oci.pidfd_receiver", "run.oci.timens_offset"):
        assert a in f["annotations"], a


@pytest.mark.parametrize("cid", ["a:b", "a b", "caf\u00e9", "a@b,c=d", "x" * 200])
def test_container_id_characters_accepted(runtime, bundle, cid):
    """crun's id rule: anything that names one directory (runc is stricter)."""
    if IS_RUNC:
        pytest.skip("runc allows only [\\w+.-]")
    runtime.ids.append(cid)
    r = runtime.run(bundle, cid)
    assert r.rc == 0, r
    assert cid not in os.listdir(runtime.root)


@pytest.mark.parametrize("cid,why", [("a/b", "`/`"), (".hidden", "start with `.`"),
                                     ("a\nb", "control characters")])
def test_container_id_refused(runtime, bundle, cid, why):
    """An id with `/`, a leading `.` (crun fails on it later) or a control
    character (crun takes it: a deviation, for `list` and logs) is refused
    before anything exists."""
    if "\n" in cid and os.environ.get("CRUN_REFERENCE"):
        pytest.skip("crun 1.8.1 accepts control characters in ids")
    r = runtime.run(bundle, cid)
    assert r.rc == 1, r
    if not os.environ.get("CRUN_REFERENCE") and not IS_RUNC:
        assert why in r.err, r
    assert os.listdir(runtime.root) == [], os.listdir(runtime.root)


@pytest.mark.parametrize("field,value,lsm", [("apparmorProfile", "unconfined-please", "AppArmor"),
                                             ("selinuxLabel", "system_u:system_r:container_t:s0", "SELinux")])
def test_lsm_label_refused_without_the_lsm(runtime, bundle, field, value, lsm):
    """A profile or label the runtime cannot apply is refused by `run` (as by
    crun 1.8.1 and runc), not ignored, and nothing is left behind."""
    if os.path.exists({"AppArmor": "/sys/kernel/security/apparmor", "SELinux": "/sys/fs/selinux"}[lsm]):
        pytest.skip("%s is enabled on this kernel" % lsm)
    bundle.process[field] = value
    bundle.sh("echo ran")
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "ran" not in r.out, r
    if not os.environ.get("CRUN_REFERENCE") and not IS_RUNC:
        assert "`process.%s` `%s`: %s is not enabled on this kernel" % (field, value, lsm) in r.err, r
    assert os.listdir(runtime.root) == [], os.listdir(runtime.root)


@pytest.mark.ours_only
@pytest.mark.parametrize("opt,lsm", [("--apparmor", "AppArmor"), ("--process-label", "SELinux")])
def test_exec_lsm_option_refused(runtime, bundle, opt, lsm):
    bundle.sh("sleep 30")
    cid, r = runtime.create(bundle)
    assert r.rc == 0, r
    assert runtime.cmd("start", cid).rc == 0
    r = runtime.cmd("exec", opt, "x", cid, "true")
    assert r.rc == 1 and "option `%s` `x`: %s is not enabled" % (opt, lsm) in r.err, r


def test_directory_as_program_is_permission_denied(runtime, bundle):
    """process.args[0] naming a directory cannot be executed: the error says
    "Permission denied" (crun 1.8.1: "Operation not permitted"; podman turns
    either into 126) and nothing is left."""
    bundle.set_args("/etc")
    r = runtime.run(bundle)
    assert r.rc != 0, r
    assert "ermission denied" in r.err or "not permitted" in r.err, r
    assert os.listdir(runtime.root) == [], os.listdir(runtime.root)
