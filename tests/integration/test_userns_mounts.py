"""Mounts and user namespaces as crun does them (issue 13): default
mappings, bind sources the container's user cannot reach, devices and
locked mount flags in a user namespace, idmapped mounts, recursive mount
attributes, tmpcopyup, copy-symlink, src-/dest-nofollow and per-mount
propagation.  Each case checks the result inside the container (stat,
/proc/self/mountinfo) and that nothing leaked to the host (the runtime
fixture fails a test that leaves a mount under its work directory)."""

import os
import subprocess

import pytest

from conftest import DEFAULT_TIMEOUT, IS_RUNC, host_mounts
from test_mounts import hostdir, hostdir_with_submount, mountinfo  # noqa: F401 (fixtures)
from test_namespaces import MAPPING, add_user_namespace, minimal_mounts

IS_REFERENCE = bool(os.environ.get("CRUN_REFERENCE"))


def userns(bundle, mapping=MAPPING):
    """A user namespace with `mapping`, and a rootfs owned by its root (as
    podman prepares one), so that mount points can be created in it."""
    bundle.add_namespace("user")
    bundle.linux["uidMappings"] = mapping
    bundle.linux["gidMappings"] = mapping
    minimal_mounts(bundle)
    host_root = mapping[0]["hostID"]
    for top, dirs, files in os.walk(bundle.rootfs):
        for n in [top] + [os.path.join(top, x) for x in dirs + files]:
            os.lchown(n, host_root, host_root)


def mount_line(out, dest):
    """The mountinfo line of `dest` (the last one: the mount on top)."""
    lines = [l for l in out.splitlines() if len(l.split()) > 4 and l.split()[4] == dest]
    assert lines, (dest, out)
    return lines[-1]


def optional_fields(line):
    return line.split(" - ")[0].split()[6:]


def mount_opts(line):
    return set(line.split()[5].split(","))


@pytest.fixture
def host_tmpfs(workdir):
    """A host tmpfs mounted nosuid,nodev,noexec with one file, for the
    locked-flag and propagation cases; unmounted afterwards."""
    d = os.path.join(workdir, "locked")
    os.mkdir(d)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,noexec,size=1m", "tmpfs", d], check=True,
                   timeout=DEFAULT_TIMEOUT)
    try:
        with open(os.path.join(d, "file"), "w") as f:
            f.write("locked\n")
        yield d
    finally:
        subprocess.run(["umount", "-l", d], timeout=DEFAULT_TIMEOUT)


# ---------------------------------------------------------------- mappings


@pytest.mark.ours_only  # crun 1.8.1 does not
def test_userns_without_mappings_maps_root_to_the_caller(runtime, bundle):
    bundle.add_namespace("user")
    minimal_mounts(bundle)
    out = runtime.sh_ok(bundle, "cat /proc/self/uid_map /proc/self/gid_map; id -u")
    lines = [l.split() for l in out.splitlines()]
    assert lines[0] == ["0", str(os.geteuid()), "1"], out
    assert lines[1] == ["0", str(os.getegid()), "1"], out
    assert lines[2] == ["0"], out


@pytest.mark.ours_only  # crun 1.8.1 does not
@pytest.mark.parametrize("field", ["uidMappings", "gidMappings"])
def test_mappings_without_a_user_namespace_are_refused(runtime, bundle, field):
    bundle.linux[field] = MAPPING
    r = runtime.run(bundle)
    assert r.rc == 1, r
    if not IS_REFERENCE and not IS_RUNC:
        assert "linux.%s" % field in r.err and "user namespace" in r.err, r


# ------------------------------------------------------- bind sources, devices


def test_bind_source_the_container_user_cannot_reach(runtime, bundle, workdir):
    """The source's parent is 0700 and owned by the host's root, whom the
    user namespace does not map: the runtime opens the source itself."""
    hidden = os.path.join(workdir, "hidden")
    os.mkdir(hidden, 0o700)
    src = os.path.join(hidden, "src")
    os.mkdir(src, 0o755)
    with open(os.path.join(src, "file"), "w") as f:
        f.write("reached\n")
    userns(bundle)
    bundle.add_mount("/mnt/src", "bind", src, ["bind", "ro"])
    out = runtime.sh_ok(bundle, "cat /mnt/src/file; grep ' /mnt/src ' /proc/self/mountinfo")
    assert out.startswith("reached\n"), out
    assert "ro" in mount_opts(mount_line(out, "/mnt/src")), out


def test_device_in_userns_is_the_hosts_node(runtime, bundle):
    """In a user namespace a device is the host's node bound on an empty
    file.  Its configured owner and mode cannot be applied without changing
    the host's node, so the host's are kept: the host's /dev/fuse and
    /dev/null are left exactly as they were.  (Debian's crun 1.8.1 chowns
    them through the bind: after one of its user-namespace containers the
    host's /dev/null belonged to uid 100000 here.)"""
    userns(bundle)
    bundle.linux["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                                "fileMode": 0o666, "uid": 5, "gid": 5}]
    before = {p: os.stat(p) for p in ("/dev/fuse", "/dev/null")}
    out = runtime.sh_ok(bundle, "stat -c '%t:%T %F' /dev/fuse; stat -c '%t:%T' /dev/null")
    assert out.splitlines() == ["a:e5 character special file", "1:3"], out
    for p, st in before.items():
        now = os.stat(p)
        assert (now.st_uid, now.st_gid, now.st_mode) == (st.st_uid, st.st_gid, st.st_mode), p


@pytest.mark.ours_only  # crun 1.8.1 does not
def test_device_in_userns_missing_on_the_host(runtime, bundle):
    userns(bundle)
    bundle.linux["devices"] = [{"path": "/dev/crun-no-such-device", "type": "c", "major": 1, "minor": 3}]
    r = runtime.run(bundle)
    assert r.rc == 1, r
    assert "/dev/crun-no-such-device" in r.err, r


@pytest.mark.parametrize("options,want", [(["bind"], {"nosuid", "nodev", "noexec"}),
                                          pytest.param(["bind", "ro"], {"ro", "nosuid", "nodev", "noexec"},
                                                       marks=pytest.mark.ours_only),  # crun, runc: EPERM
                                          (["bind", "suid", "dev", "exec"], {"nosuid", "nodev", "noexec"})])
def test_locked_flags_are_kept_in_a_userns(runtime, bundle, host_tmpfs, options, want):
    """A host mount with nosuid,nodev,noexec, bound into a user namespace:
    the kernel locks those flags; the mount works and keeps them."""
    userns(bundle)
    bundle.add_mount("/mnt/l", "bind", host_tmpfs, options)
    out = runtime.sh_ok(bundle, "cat /mnt/l/file; grep ' /mnt/l ' /proc/self/mountinfo")
    assert out.startswith("locked\n"), out
    assert want <= mount_opts(mount_line(out, "/mnt/l")), out


@pytest.mark.parametrize("with_userns", [False, True])
def test_tmpfs_mode_and_size(runtime, bundle, with_userns):
    if with_userns:
        userns(bundle)
    bundle.add_mount("/scratch", "tmpfs", "tmpfs", ["mode=1730", "size=3m", "nodev"])
    out = runtime.sh_ok(bundle, "stat -c '%a %u' /scratch; grep ' /scratch ' /proc/self/mountinfo")
    first, line = out.splitlines()[:2]
    assert first == "1730 0", out
    assert "size=3072k" in line and "mode=1730" in line, out


# ------------------------------------------------------------ idmapped mounts


@pytest.fixture
def owned_dir(workdir):
    """A directory with a file owned by host uid 0 and one by host uid 1000."""
    d = os.path.join(workdir, "owned")
    os.mkdir(d, 0o755)
    for name, uid in (("root-file", 0), ("user-file", 1000)):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(name + "\n")
        os.chown(p, uid, uid)
    return d


@pytest.mark.crun_only  # runc 1.1 has no idmapped mounts
def test_idmap_with_the_containers_user_namespace(runtime, bundle, owned_dir):
    """`idmap`: the mount uses the container's mapping, so the host's
    root-owned file is the container root's, host uid 1000's is 1000's."""
    userns(bundle)
    bundle.add_mount("/idm", "bind", owned_dir, ["bind", "idmap"])
    bundle.add_mount("/plain", "bind", owned_dir, ["bind"])
    out = runtime.sh_ok(bundle, "stat -c %u /idm/root-file /idm/user-file /plain/root-file; "
                                "echo w > /idm/new && stat -c %u /idm/new")
    assert out.split() == ["0", "1000", "65534", "0"], out
    # written through the idmapped mount: the host sees its own root
    assert os.stat(os.path.join(owned_dir, "new")).st_uid == 0


@pytest.mark.crun_only  # runc 1.1 has no idmapped mounts
def test_mount_uid_mappings_without_a_user_namespace(runtime, bundle, owned_dir):
    """Per-mount uidMappings/gidMappings (runtime spec 1.1) without a
    container user namespace: the file system's ids appear mapped."""
    m = [{"containerID": 0, "hostID": 2000, "size": 1}, {"containerID": 1000, "hostID": 3000, "size": 1}]
    bundle.config["mounts"].append({"destination": "/idm", "type": "bind", "source": owned_dir,
                                    "options": ["bind"], "uidMappings": m, "gidMappings": m})
    out = runtime.sh_ok(bundle, "stat -c '%u %g' /idm/root-file /idm/user-file")
    assert out.splitlines() == ["2000 2000", "3000 3000"], out


@pytest.mark.crun_only  # runc 1.1 has no idmapped mounts
def test_idmap_with_custom_ranges(runtime, bundle, owned_dir):
    """crun's `idmap=uids=FS-HOST-LEN;gids=...` form."""
    bundle.add_mount("/idm", "bind", owned_dir, ["bind", "idmap=uids=0-4000-1#1000-5000-1;gids=0-4000-1#1000-5000-1"])
    out = runtime.sh_ok(bundle, "stat -c '%u %g' /idm/root-file /idm/user-file")
    assert out.splitlines() == ["4000 4000", "5000 5000"], out


@pytest.mark.crun_only  # runc 1.1 has no idmapped mounts
def test_idmap_without_any_mapping_is_refused(runtime, bundle, owned_dir):
    bundle.add_mount("/idm", "bind", owned_dir, ["bind", "idmap"])
    r = runtime.run(bundle)
    assert r.rc == 1, r
    if not IS_REFERENCE:
        assert "/idm" in r.err and "idmap" in r.err, r


@pytest.mark.crun_only  # runc 1.1 has no idmapped mounts
def test_idmap_of_a_filesystem_that_cannot_be_idmapped(runtime, bundle):
    userns(bundle)
    bundle.add_mount("/idm", "bind", "/proc/sys", ["rbind", "idmap"])
    r = runtime.run(bundle)
    assert r.rc == 1, r
    if not IS_REFERENCE:
        assert "/idm" in r.err and "idmap" in r.err, r


@pytest.mark.ours_only  # crun 1.8.1 does not
def test_idmap_symlinked_source_is_resolved_on_the_host(runtime, bundle, owned_dir, workdir):
    link = os.path.join(workdir, "owned-link")
    os.symlink(owned_dir, link)
    userns(bundle)
    bundle.add_mount("/idm", "bind", link, ["bind", "idmap"])
    assert runtime.sh_ok(bundle, "stat -c %u /idm/root-file").strip() == "0"


# -------------------------------------------------- recursive attributes & co


# crun 1.8.1 fails these in a user namespace and ignores rnoatime
@pytest.mark.parametrize("with_userns", [False, pytest.param(True, marks=pytest.mark.ours_only)])
@pytest.mark.parametrize("opt,flag", [("rro", "ro"), ("rnosuid", "nosuid"), ("rnodev", "nodev"),
                                      ("rnoexec", "noexec"),
                                      pytest.param("rnoatime", "noatime", marks=pytest.mark.ours_only)])
def test_recursive_attributes_reach_submounts(runtime, bundle, hostdir_with_submount, with_userns, opt, flag):
    if with_userns:
        userns(bundle)
    bundle.add_mount("/r", "bind", hostdir_with_submount, ["rbind", opt])
    out = runtime.sh_ok(bundle, "grep -E ' /r(/sub)? ' /proc/self/mountinfo")
    assert flag in mount_opts(mount_line(out, "/r")), out
    assert flag in mount_opts(mount_line(out, "/r/sub")), out


def test_rbind_with_bind_options_keeps_submounts(runtime, bundle, hostdir_with_submount):
    bundle.add_mount("/r", "bind", hostdir_with_submount, ["rbind", "ro", "nosuid"])
    out = runtime.sh_ok(bundle, "grep -E ' /r(/sub)? ' /proc/self/mountinfo")
    assert {"ro", "nosuid"} <= mount_opts(mount_line(out, "/r")), out
    mount_line(out, "/r/sub")  # the submount is there


def test_recursive_rw_clears_ro_below(runtime, bundle, hostdir_with_submount):
    subprocess.run(["mount", "-o", "remount,ro", os.path.join(hostdir_with_submount, "sub")], check=True)
    bundle.add_mount("/r", "bind", hostdir_with_submount, ["rbind", "rrw"])
    out = runtime.sh_ok(bundle, "grep -E ' /r/sub ' /proc/self/mountinfo")
    assert "rw" in mount_opts(mount_line(out, "/r/sub")), out


@pytest.mark.parametrize("with_userns", [False, True])
def test_tmpcopyup(runtime, bundle, with_userns):
    if with_userns:
        userns(bundle)
    bundle.add_mount("/etc", "tmpfs", "tmpfs", ["tmpcopyup", "mode=755"])
    out = runtime.sh_ok(bundle, "grep -c root /etc/passwd; grep ' /etc ' /proc/self/mountinfo; "
                                "echo x > /etc/new && echo written")
    lines = out.splitlines()
    assert int(lines[0]) >= 1, out
    assert " - tmpfs " in lines[1], out
    assert lines[2] == "written", out
    assert not os.path.exists(bundle.rootfs_file("/etc/new"))


@pytest.mark.ours_only  # crun 1.8.1 does not
@pytest.mark.parametrize("with_userns", [False, True])
def test_copy_symlink(runtime, bundle, workdir, with_userns):
    if with_userns:
        userns(bundle)
    link = os.path.join(workdir, "a-link")
    os.symlink("/crun-test-some/where", link)
    bundle.add_mount("/copied", "bind", link, ["bind", "copy-symlink"])
    assert runtime.sh_ok(bundle, "readlink /copied").strip() == "/crun-test-some/where"
    assert not os.path.lexists("/crun-test-some") and not os.path.lexists("/copied")


@pytest.mark.ours_only  # crun 1.8.1 does not
@pytest.mark.parametrize("with_userns", [False, True])
def test_src_nofollow_binds_the_symlink_itself(runtime, bundle, workdir, hostdir, with_userns):
    if with_userns:
        userns(bundle)
    link = os.path.join(workdir, "src-link")
    os.symlink(os.path.join(hostdir, "file"), link)
    bundle.add_mount("/etc/bound", "bind", link, ["bind", "src-nofollow"])
    out = runtime.sh_ok(bundle, "readlink /etc/bound; grep -c ' /etc/bound ' /proc/self/mountinfo")
    assert out.splitlines() == [os.path.join(hostdir, "file"), "1"], out


@pytest.mark.ours_only  # crun 1.8.1 does not
@pytest.mark.parametrize("with_userns", [False, True])
def test_dest_nofollow_mounts_on_the_symlink(runtime, bundle, hostdir, with_userns):
    """The destination is a symlink to /etc/passwd: the bind covers the
    symlink, neither the container's nor the host's passwd."""
    if with_userns:
        userns(bundle)
    os.symlink("/etc/passwd", bundle.rootfs_file("/etc/dest-link"))
    with open("/etc/passwd") as f:
        host_passwd = f.read()
    bundle.add_mount("/etc/dest-link", "bind", os.path.join(hostdir, "file"), ["bind", "dest-nofollow"])
    out = runtime.sh_ok(bundle, "cat /etc/dest-link; head -1 /etc/passwd")
    lines = out.splitlines()
    assert lines[0] == "from-host" and lines[1].startswith("root:"), out
    with open("/etc/passwd") as f:
        assert f.read() == host_passwd


@pytest.fixture
def shared_host_mount(workdir):
    d = os.path.join(workdir, "shared")
    os.mkdir(d)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], check=True, timeout=DEFAULT_TIMEOUT)
    subprocess.run(["mount", "--make-shared", d], check=True, timeout=DEFAULT_TIMEOUT)
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", d], timeout=DEFAULT_TIMEOUT)


@pytest.mark.parametrize("prop,want", [("slave", "master:"), ("rslave", "master:"), ("shared", "shared:"),
                                       ("private", None)])
@pytest.mark.ours_only  # crun 1.8.1 does not
@pytest.mark.parametrize("with_userns", [False, True])
def test_per_mount_propagation(runtime, bundle, shared_host_mount, prop, want, with_userns):
    """A bind of a shared host mount with its own propagation; in a user
    namespace `shared` is a new peer group that is a slave of the host's."""
    if with_userns:
        userns(bundle)
    bundle.add_mount("/p", "bind", shared_host_mount, ["rbind", prop])
    out = runtime.sh_ok(bundle, "grep ' /p ' /proc/self/mountinfo")
    fields = " ".join(optional_fields(mount_line(out, "/p")))
    if want:
        assert want in fields, (prop, out)
    else:
        assert fields == "", (prop, out)


@pytest.mark.ours_only  # crun 1.8.1 does not
def test_mounts_in_a_userns_do_not_reach_the_host(runtime, bundle, shared_host_mount):
    """Even with a shared host mount bound `shared` into a user namespace,
    a mount the container makes below it does not appear on the host (a
    user namespace's mount namespace receives, it does not send)."""
    userns(bundle)
    bundle.add_mount("/p", "bind", shared_host_mount, ["rbind", "shared"])
    bundle.process["capabilities"] = {k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")}
    before = host_mounts()
    runtime.sh_ok(bundle, "mkdir -p /p/inner && mount -t tmpfs none /p/inner && echo done")
    assert host_mounts() == before


@pytest.mark.ours_only  # crun 1.8.1 does not
def test_unknown_mount_option_is_refused(runtime, bundle, hostdir):
    """A word that is neither a mount flag crun knows nor file-system data
    of a bind mount (which takes none): refused, naming it."""
    bundle.add_mount("/mnt/x", "bind", hostdir, ["bind", "no-such-option"])
    r = runtime.run(bundle)
    assert r.rc == 1, r
    if not IS_REFERENCE and not IS_RUNC:
        assert "no-such-option" in r.err and "/mnt/x" in r.err, r


REFUSED_FS_FLAGS = {"rsync", "rasync", "rdirsync", "rmand", "rnomand"}


@pytest.mark.ours_only
def test_mount_options_cover_crun_and_are_documented(crun_binary):
    """`features` lists every option crun 1.8.1's man page documents (its
    r$FLAG list, tmpcopyup, idmap) except the file-system flags, which are
    refused; and our crun.1 names each option `features` lists.  (crun
    1.8.1 has no `features` command to compare with.)"""
    import gzip
    import json
    import re
    from conftest import REPO
    ours = json.loads(subprocess.run([crun_binary, "features"], capture_output=True, text=True,
                                     check=True, timeout=DEFAULT_TIMEOUT).stdout)["mountOptions"]
    for word in ("idmap", "ridmap", "tmpcopyup", "copy-symlink", "src-nofollow", "dest-nofollow"):
        assert word in ours, word
    assert not REFUSED_FS_FLAGS & set(ours)
    with open(os.path.join(REPO, "crun.1")) as f:
        man = f.read().replace("\\-", "-")
    missing = [o for o in ours if "\\fB%s\\fR" % o not in man and "\\fB%s=" % o not in man]
    assert not missing, missing
    theirs_man = "/usr/share/man/man1/crun.1.gz"
    if not os.path.exists(theirs_man):
        pytest.skip("Debian's crun man page is not installed: not compared")
    with gzip.open(theirs_man, "rt") as f:
        text = f.read()
    section = text[text.index("r$FLAG mount options"):text.index("idmap mount options")]
    rflags = set(re.findall(r'"(r[a-z]+)"', section))
    assert len(rflags) > 15, rflags
    assert rflags - REFUSED_FS_FLAGS <= set(ours), rflags - REFUSED_FS_FLAGS - set(ours)
