"""The loop of test_chaos.py, run as its own process so that it can be the
subreaper of everything the runtime leaves behind.

For each iteration: `crun run` (foreground, hooks in the config), SIGKILL
at a random instant with probability --kill-rate, then `crun delete -f`.
Commands are reaped by pid; orphans that reparent to us (inits, hooks,
waiters) are reaped with waitpid(-1) only between commands, so no command's
exit status is ever taken by that.  Prints one JSON object of figures.
"""

import argparse
import ctypes
import json
import os
import random
import signal
import subprocess
import time

PR_SET_CHILD_SUBREAPER = 36


def reap_orphans():
    n = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return n
        if pid == 0:
            return n
        n += 1


def wait_pid(p, timeout):
    """Wait for Popen p by its pid; kill it at the timeout.  True if it
    ended in time."""
    end = time.monotonic() + timeout
    while p.poll() is None:
        if time.monotonic() > end:
            p.kill()
            p.wait()
            return False
        time.sleep(0.005)
    return True


def children_of(pid):
    """(pid, state) of the processes whose parent is pid."""
    res = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rindex(")") + 2:].split()
        if int(rest[1]) == pid:
            res.append((int(d), rest[0]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--crun", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--iterations", type=int, default=50)
    ap.add_argument("--kill-rate", type=float, default=0.9)
    ap.add_argument("--max-delay-ms", type=int, default=150)
    ap.add_argument("--timeout", type=float, default=30)
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("prctl(PR_SET_CHILD_SUBREAPER): %s" % os.strerror(ctypes.get_errno()))
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    rnd = random.Random(seed)
    fig = {"seed": seed, "iterations": a.iterations, "killed": 0, "finished": 0, "run_failed": 0,
           "delete_rc_nonzero": [], "timeouts": [], "orphans_reaped": 0, "kill_delays_ms": []}
    devnull = open(os.devnull, "w")
    for i in range(a.iterations):
        cid = "%s-%d" % (a.prefix, i)
        p = subprocess.Popen([a.crun, "--root", a.root, "run", "--bundle", a.bundle, cid],
                             stdin=subprocess.DEVNULL, stdout=devnull, stderr=devnull)
        if rnd.random() < a.kill_rate:
            delay = rnd.uniform(0, a.max_delay_ms)
            time.sleep(delay / 1000.0)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                fig["killed"] += 1
                fig["kill_delays_ms"].append(round(delay, 1))
        if not wait_pid(p, a.timeout):
            fig["timeouts"].append("run " + cid)
        elif p.returncode == 0:
            fig["finished"] += 1
        elif p.returncode != -signal.SIGKILL:
            fig["run_failed"] += 1
        d = subprocess.Popen([a.crun, "--root", a.root, "delete", "--force", cid],
                             stdin=subprocess.DEVNULL, stdout=devnull, stderr=subprocess.PIPE)
        try:
            _, err = d.communicate(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            d.kill()
            d.communicate()
            fig["timeouts"].append("delete -f " + cid)
        else:
            if d.returncode != 0:
                fig["delete_rc_nonzero"].append("%s rc=%d %s" % (cid, d.returncode, err.decode(errors="replace")[-300:]))
        fig["orphans_reaped"] += reap_orphans()
    # Hooks that were running when their runtime died end by themselves
    # (or by CLONE_PIDFD_AUTOKILL where the kernel has it): give them the
    # time of one hook, then reap and look at what is left under us.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        fig["orphans_reaped"] += reap_orphans()
        if not children_of(os.getpid()):
            break
        time.sleep(0.05)
    fig["orphans_reaped"] += reap_orphans()
    left = children_of(os.getpid())
    fig["children_left"] = [pid for pid, st in left if st != "Z"]
    fig["zombies_left"] = [pid for pid, st in left if st == "Z"]
    print(json.dumps(fig))


if __name__ == "__main__":
    main()
