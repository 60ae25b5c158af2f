"""`spec`: the default and rootless configurations."""

import json
import os
import subprocess

import pytest

from conftest import DEFAULT_TIMEOUT, IS_RUNC


def spec(crun, cwd, *args):
    return subprocess.run([crun, "spec", *args], cwd=cwd, capture_output=True, text=True, timeout=DEFAULT_TIMEOUT)


def load(d):
    with open(os.path.join(d, "config.json")) as f:
        return json.load(f)


def test_spec_default(crun_binary, tmp_path):
    r = spec(crun_binary, tmp_path)
    assert r.returncode == 0, r
    c = load(tmp_path)
    assert c["ociVersion"].startswith("1.")
    p = c["process"]
    assert p["terminal"] is True
    assert p["args"] == ["sh"]
    assert p["cwd"] == "/"
    assert p["user"]["uid"] == 0 and p["user"]["gid"] == 0
    assert any(e.startswith("PATH=") for e in p["env"])
    for kind in ("bounding", "effective", "permitted"):
        assert "CAP_KILL" in p["capabilities"][kind], kind
    assert any(r["type"] == "RLIMIT_NOFILE" for r in p["rlimits"])
    assert p["noNewPrivileges"] is True
    assert c["root"]["path"] == "rootfs"
    assert isinstance(c["hostname"], str) and c["hostname"]
    ns = [n["type"] for n in c["linux"]["namespaces"]]
    for t in ("pid", "network", "ipc", "uts", "mount"):
        assert t in ns
    assert "user" not in ns
    dests = {m["destination"]: m for m in c["mounts"]}
    assert dests["/proc"]["type"] == "proc"
    assert dests["/dev"]["type"] == "tmpfs"
    assert dests["/dev/pts"]["type"] == "devpts"
    assert dests["/dev/shm"]["type"] == "tmpfs"
    assert dests["/dev/mqueue"]["type"] == "mqueue"
    assert dests["/sys"]["type"] == "sysfs"
    assert "/sys/fs/cgroup" in dests
    assert "/proc/kcore" in c["linux"]["maskedPaths"]
    assert "/sys/firmware" in c["linux"]["maskedPaths"]
    assert "/proc/sys" in c["linux"]["readonlyPaths"]
    assert "/proc/sysrq-trigger" in c["linux"]["readonlyPaths"]


def test_spec_rootless(crun_binary, tmp_path):
    r = spec(crun_binary, tmp_path, "--rootless")
    assert r.returncode == 0, r
    c = load(tmp_path)
    ns = [n["type"] for n in c["linux"]["namespaces"]]
    assert "user" in ns
    assert "mount" in ns
    # no gid= on devpts: there may be no group 5 in the user namespace
    pts = [m for m in c["mounts"] if m["destination"] == "/dev/pts"][0]
    assert not any(o.startswith("gid=") for o in pts.get("options", []))
    if IS_RUNC:
        # runc writes mappings for the current user and drops the netns;
        # crun leaves mappings to run time and keeps the netns.
        assert c["linux"]["uidMappings"] and c["linux"]["gidMappings"]
        assert "network" not in ns


def test_spec_bundle_option(crun_binary, tmp_path):
    b = tmp_path / "b"
    b.mkdir()
    other = tmp_path / "cwd"
    other.mkdir()
    r = spec(crun_binary, other, "--bundle", str(b))
    assert r.returncode == 0, r
    assert (b / "config.json").exists()
    assert not (other / "config.json").exists()
    load(b)


def test_spec_refuses_to_overwrite(crun_binary, tmp_path):
    (tmp_path / "config.json").write_text("precious")
    r = spec(crun_binary, tmp_path)
    assert r.returncode == 1, r
    assert "config.json" in r.stderr
    assert (tmp_path / "config.json").read_text() == "precious"


@pytest.mark.crun_only
def test_spec_missing_bundle_dir(crun_binary, tmp_path):
    r = spec(crun_binary, tmp_path, "--bundle", str(tmp_path / "nope"))
    assert r.returncode == 1, r
    assert "nope" in r.stderr


def test_spec_file_option(crun_binary, tmp_path):
    """`spec --file PATH` (crun's -f): PATH relative to the bundle, an
    existing file replaced; without it an existing config.json is kept."""
    if IS_RUNC:
        pytest.skip("runc spec has no --file")
    (tmp_path / "b").mkdir()
    r = spec(crun_binary, tmp_path, "-b", "b", "-f", "other.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "b" / "other.json").read_text())["ociVersion"]
    (tmp_path / "b" / "other.json").write_text("old")
    r = spec(crun_binary, tmp_path, "-b", "b", "--file", "other.json")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "b" / "other.json").read_text())["process"]
    assert not (tmp_path / "b" / "config.json").exists()


@pytest.mark.parametrize("value", ["true", "false", "auto"])
def test_global_rootless_option_accepted(crun_binary, tmp_path, value):
    if IS_RUNC:
        pytest.skip("runc's --rootless differs")
    r = subprocess.run([crun_binary, "--rootless=" + value, "--root", str(tmp_path), "list"],
                       capture_output=True, text=True, timeout=DEFAULT_TIMEOUT)
    assert r.returncode == 0, r.stderr
