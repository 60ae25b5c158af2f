"""/dev: default devices, linux.devices, symlinks, console."""


import pytest


DEFAULT_DEVICES = {
    "/dev/null": (1, 3),
    "/dev/zero": (1, 5),
    "/dev/full": (1, 7),
    "/dev/random": (1, 8),
    "/dev/urandom": (1, 9),
    "/dev/tty": (5, 0),
}


def stat_devices(runtime, bundle, paths):
    script = "; ".join("stat -c '%%n %%F %%t %%T %%a %%u %%g' %s" % p for p in paths)
    out = runtime.sh_ok(bundle, script)
    res = {}
    for line in out.splitlines():
        f = line.split()
        # name, "character", "special", "file", major(hex), minor(hex), mode, uid, gid
        res[f[0]] = {"type": " ".join(f[1:-5]), "major": int(f[-5], 16), "minor": int(f[-4], 16),
                     "mode": f[-3], "uid": int(f[-2]), "gid": int(f[-1])}
    return res


def test_default_devices(runtime, bundle):
    st = stat_devices(runtime, bundle, DEFAULT_DEVICES)
    for path, (maj, mnr) in DEFAULT_DEVICES.items():
        assert st[path]["type"] == "character special file", (path, st[path])
        assert (st[path]["major"], st[path]["minor"]) == (maj, mnr), (path, st[path])


def test_default_devices_work(runtime, bundle):
    out = runtime.sh_ok(bundle, "echo x > /dev/null && echo null-ok; head -c 4 /dev/zero | od -An -tx1; "
                                "head -c 16 /dev/urandom | wc -c; echo x > /dev/full 2>&1 || echo full-fails")
    assert "null-ok" in out
    assert "00 00 00 00" in out
    assert "16" in out.split()
    assert "full-fails" in out


def test_linux_devices_entry(runtime, bundle):
    bundle.linux["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
                                "fileMode": 0o640, "uid": 0, "gid": 0}]
    bundle.linux.setdefault("resources", {}).setdefault("devices", []).append(
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"})
    st = stat_devices(runtime, bundle, ["/dev/mynull"])["/dev/mynull"]
    assert st["type"] == "character special file"
    assert (st["major"], st["minor"]) == (1, 3)
    assert st["mode"] == "640"
    assert runtime.sh_ok(bundle, "echo hi > /dev/mynull && echo wrote") == "wrote\n"


def test_linux_devices_in_subdir_with_owner(runtime, bundle):
    bundle.linux["devices"] = [{"path": "/dev/sub/dir/myzero", "type": "c", "major": 1, "minor": 5,
                                "fileMode": 0o600, "uid": 1000, "gid": 1000}]
    bundle.linux.setdefault("resources", {}).setdefault("devices", []).append(
        {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"})
    st = stat_devices(runtime, bundle, ["/dev/sub/dir/myzero"])["/dev/sub/dir/myzero"]
    assert (st["major"], st["minor"]) == (1, 5)
    assert st["mode"] == "600"
    assert (st["uid"], st["gid"]) == (1000, 1000)


def test_dev_symlinks(runtime, bundle):
    out = runtime.sh_ok(bundle, "for l in fd stdin stdout stderr; do echo $l $(readlink /dev/$l); done; "
                                "test -e /dev/ptmx && echo ptmx-ok; ls -l /dev/ptmx")
    links = dict(l.split(" ", 1) for l in out.splitlines() if len(l.split()) == 2)
    assert links["fd"] == "/proc/self/fd"
    assert links["stdin"] == "/proc/self/fd/0"
    assert links["stdout"] == "/proc/self/fd/1"
    assert links["stderr"] == "/proc/self/fd/2"
    assert "ptmx-ok" in out


def test_ptmx_allocates(runtime, bundle):
    # busybox has no pty allocator command; open /dev/ptmx and list /dev/pts
    out = runtime.sh_ok(bundle, "exec 3<>/dev/ptmx && ls /dev/pts")
    assert "0" in out.split() and "ptmx" in out.split()


def test_no_console_without_terminal(runtime, bundle):
    out = runtime.sh_ok(bundle, "test -e /dev/console && echo has-console || echo no-console")
    # runc and crun only create /dev/console for a terminal
    assert out.strip() == "no-console"


def test_console_with_terminal(runtime, bundle):
    bundle.process["terminal"] = True
    bundle.sh("stat -c '%F %t' /dev/console; readlink /proc/self/fd/0")
    from test_run import run_on_pty
    rc, text = run_on_pty(runtime, bundle, "/dev/pts")
    assert rc == 0, text
    assert "character special file 88" in text, text  # a pts (major 136 = 0x88)
    assert "/dev/pts/" in text, text
