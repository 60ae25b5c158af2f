"""Foreground and detached `run`, signal forwarding, terminals."""

import array
import os
import pty
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import DEFAULT_TIMEOUT, wait_for


def test_exit_status_propagated(runtime, bundle):
    bundle.sh("exit 3")
    r = runtime.run(bundle)
    assert r.rc == 3, r


def test_exit_status_zero_and_output(runtime, bundle):
    bundle.sh("echo hello; echo oops >&2")
    r = runtime.run(bundle)
    assert r.rc == 0, r
    assert r.out == "hello\n"
    assert "oops" in r.err


def test_run_removes_container(runtime, bundle):
    bundle.set_args("true")
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid)
    assert r.rc == 0, r
    assert runtime.cmd("state", cid).rc == 1


def test_signal_forwarding(runtime, bundle):
    bundle.sh("trap 'echo got-TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done")
    bundle.write()
    cid = runtime.new_id()
    out = os.path.join(runtime.workdir, "fwd.out")
    with open(out, "w") as o:
        p = runtime.popen("run", "--bundle", bundle.path, cid, stdout=o, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL)
    runtime.bundles.append(bundle)
    assert wait_for(lambda: "ready" in open(out).read()), open(out).read()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(DEFAULT_TIMEOUT)
    text = open(out).read()
    assert "got-TERM" in text
    assert rc == 7, text


def test_detach(runtime, bundle):
    bundle.sh("echo up > /tmp/up; sleep 100")
    cid = runtime.new_id()
    t0 = time.monotonic()
    r = runtime.run(bundle, cid=cid, opts=["--detach"])
    assert r.rc == 0, r
    assert time.monotonic() - t0 < 20
    assert wait_for(lambda: os.path.exists(bundle.rootfs_file("/tmp/up")))
    assert runtime.status(cid) == "running"
    assert runtime.cmd("kill", cid, "KILL").rc == 0
    runtime.wait_status(cid, "stopped")
    assert runtime.cmd("delete", cid).rc == 0


def test_detach_short_option(runtime, bundle):
    bundle.set_args("sleep", "100")
    cid = runtime.new_id()
    r = runtime.run(bundle, cid=cid, opts=["-d"])
    assert r.rc == 0, r
    assert runtime.status(cid) == "running"


def read_until(fd, needle, timeout=DEFAULT_TIMEOUT, proc=None):
    """Read from fd until needle appears, EOF/EIO, or timeout."""
    buf = b""
    end = time.monotonic() + timeout
    while needle.encode() not in buf and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            if proc is not None and proc.poll() is not None and not select.select([fd], [], [], 0.2)[0]:
                break
            continue
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        buf += data
    return buf.decode(errors="replace")


def run_on_pty(runtime, bundle, needle):
    """`run` the bundle with stdio on a new pty (a session of its own), read
    its output until needle; returns (exit code, output)."""
    bundle.write()
    runtime.bundles.append(bundle)
    master, slave = pty.openpty()
    cid = runtime.new_id()
    try:
        p = runtime.popen("run", "--bundle", bundle.path, cid, stdin=slave, stdout=slave, stderr=slave,
                          start_new_session=True)
        os.close(slave)
        text = read_until(master, needle, proc=p)
        rc = p.wait(DEFAULT_TIMEOUT)
    finally:
        os.close(master)
    return rc, text


def test_terminal_proxy(runtime, bundle):
    """process.terminal without --console-socket: the runtime allocates the
    pty and proxies it to its own stdio, which is a tty here."""
    bundle.process["terminal"] = True
    bundle.sh("tty; test -t 0 && test -t 1 && echo stdin-is-tty; test -c /dev/console && echo console-ok; exit 5")
    rc, text = run_on_pty(runtime, bundle, "console-ok")
    assert "stdin-is-tty" in text, text
    assert "/dev/pts/" in text or "/dev/console" in text, text
    assert "console-ok" in text, text
    assert rc == 5, text


def test_console_socket(runtime, bundle):
    bundle.process["terminal"] = True
    bundle.sh("tty; test -t 0 && echo stdin-is-tty; echo hello-console")
    sock_path = os.path.join(runtime.workdir, "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    srv.settimeout(DEFAULT_TIMEOUT)
    got = {}

    def accept():
        try:
            conn, _ = srv.accept()
            conn.settimeout(DEFAULT_TIMEOUT)
            msg, fds, flags, addr = socket.recv_fds(conn, 4096, 4)
            got["fds"] = fds
            got["msg"] = msg
            conn.close()
        except Exception as e:  # reported below
            got["error"] = e

    t = threading.Thread(target=accept)
    t.start()
    cid, r = runtime.create(bundle, opts=["--console-socket", sock_path])
    t.join(DEFAULT_TIMEOUT)
    srv.close()
    assert r.rc == 0, r
    assert "error" not in got, got
    assert len(got["fds"]) == 1, got
    master = got["fds"][0]
    try:
        assert os.isatty(master)
        assert runtime.cmd("start", cid).rc == 0
        text = read_until(master, "hello-console")
    finally:
        os.close(master)
    assert "hello-console" in text, text
    assert "stdin-is-tty" in text, text
    assert "/dev/pts/" in text or "/dev/console" in text, text
    runtime.wait_status(cid, "stopped")
    assert runtime.cmd("delete", cid).rc == 0
