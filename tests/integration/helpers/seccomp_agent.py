#!/usr/bin/env python3
"""A seccomp agent for the tests: listens on a unix socket, receives one
container process state with its seccomp notify fd (runtime spec), saves
the state to STATE_FILE, then answers every notification: syscall numbers
in ERRNO_FOR get that errno, the others are let through (CONTINUE).  Exits
when the fd reports the container gone.

    seccomp_agent.py SOCKET STATE_FILE NR=ERRNO...
"""

import array
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys

# struct seccomp_notif: id u64, pid u32, flags u32, seccomp_data (nr s32,
# arch u32, ip u64, args[6] u64): 80 bytes; seccomp_notif_resp: id u64,
# val s64, error s32, flags u32: 24 bytes.  _IOWR('!', n, size)
NOTIF_SIZE, RESP_SIZE = 80, 24
IOCTL_RECV = (3 << 30) | (NOTIF_SIZE << 16) | (ord("!") << 8) | 0
IOCTL_SEND = (3 << 30) | (RESP_SIZE << 16) | (ord("!") << 8) | 1
FLAG_CONTINUE = 1


def receive_state(path):
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("listening", flush=True)
    conn, _ = srv.accept()
    fds = array.array("i")
    data = b""
    while True:
        msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * 4))
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - len(payload) % 4])
        if not msg:
            break
        data += msg
    conn.close()
    srv.close()
    return json.loads(data), list(fds)


def serve(fd, errno_for):
    while True:
        r, _, _ = select.select([fd], [], [])
        buf = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(fd, IOCTL_RECV, buf, True)
        except OSError as e:
            if e.errno in (errno.ENOENT, errno.EINTR):
                continue
            return  # the container is gone
        nid, pid, flags, nr = struct.unpack_from("=QIIi", buf)
        if nr in errno_for:
            resp = struct.pack("=QqiI", nid, 0, -errno_for[nr], 0)
        else:
            resp = struct.pack("=QqiI", nid, 0, 0, FLAG_CONTINUE)
        try:
            fcntl.ioctl(fd, IOCTL_SEND, bytearray(resp), True)
        except OSError:
            pass


def main():
    path, state_file = sys.argv[1], sys.argv[2]
    errno_for = dict(tuple(int(x) for x in a.split("=")) for a in sys.argv[3:])
    state, fds = receive_state(path)
    state["_received_fds"] = len(fds)
    with open(state_file + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(state_file + ".tmp", state_file)
    if fds:
        serve(fds[0], errno_for)


if __name__ == "__main__":
    main()
