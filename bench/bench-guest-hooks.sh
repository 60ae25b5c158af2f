#!/bin/bash
# Per-hook cost in the patched 6.1 guest (qemu, TCG): ours in autoreap mode
# (hooks on the clone3-autoreap rung) vs ours in fallback mode (the
# clone3-pidfd rung with its waiter, as on a kernel without CLONE_AUTOREAP)
# vs Debian's crun 1.8.1, all in one guest with cgroup2 alone at
# /sys/fs/cgroup.
#
#   bench/bench-guest-hooks.sh [-n ROUNDS] [--hooks N] [--smp CPUS] [--ours PATH]
#
# Defaults: 30 rounds, 50 hooks, 2 vCPUs, ./crun.  Each round runs
# `run` of /bin/true with 0 and with N createRuntime hooks for each runtime,
# interleaved in a rotated order (bench/guest-hooks.sh).  The per-hook cost
# of a runtime is (median with N hooks - median with 0) / N; the report
# gives it with the ratios autoreap/fallback and autoreap/crun.  TCG
# emulates the CPU, so absolute times are several times those of real
# hardware; the ratios are what to read.  The patched kernel comes from
# tests/kernel/build-kernel.sh (cached; a cold build takes ~5 minutes).
# Run as root on an otherwise idle machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=../tests/kernel/initramfs.sh
. "$repo/tests/kernel/initramfs.sh"
rounds=30 hooks=50 smp=2 ours=$repo/crun
while [ $# -gt 0 ]; do
	case $1 in
	-n) rounds=$2; shift 2 ;;
	--hooks) hooks=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--ours) ours=$2; shift 2 ;;
	*) echo "usage: $0 [-n ROUNDS] [--hooks N] [--smp CPUS] [--ours PATH]" >&2; exit 2 ;;
	esac
done
[ -x "$ours" ] || { echo "bench-guest-hooks: $ours is not built (contrib/build.sh)" >&2; exit 1; }
for p in qemu-system-x86 busybox-static cpio crun; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" >/dev/null
done

bz=$(bash "$repo/tests/kernel/build-kernel.sh" patched 2>/dev/null | tail -n1)
[ -s "$bz" ] || { echo "bench-guest-hooks: building the patched kernel failed" >&2; exit 1; }

work=$(mktemp -d /tmp/bench-guest-hooks.XXXXXX)
trap 'rm -rf "$work"' EXIT
ir=$work/initramfs
initramfs_skeleton "$ir"
cp "$ours" "$ir/usr/local/bin/crun"
cp /usr/bin/crun "$ir/usr/local/bin/debian-crun"
cp "$here/guest-hooks.sh" "$ir/guest-hooks.sh"
gcc -static -O2 -o "$ir/usr/local/bin/guest-timer" "$here/guest-timer.c"
initramfs_add_libs "$ir" "$ours" /usr/bin/crun
{
	initramfs_init_prologue
	cat <<INIT
echo "BENCH-GUEST kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) cpus"
sh /guest-hooks.sh $rounds $hooks
poweroff -f
INIT
} >"$ir/init"
chmod 755 "$ir/init"
initramfs_pack "$ir" "$work/initramfs.cpio.gz"

echo "# kernel: $bz"
echo "# $rounds rounds, 0 and $hooks createRuntime hooks (/bin/true), $smp vCPUs, TCG"
start=$(date +%s)
timeout 1800 qemu-system-x86_64 -m 1024 -smp "$smp" -kernel "$bz" -initrd "$work/initramfs.cpio.gz" \
	-nographic -append 'console=ttyS0 panic=-1 quiet' -no-reboot </dev/null >"$work/boot.log" 2>&1 || true
echo "# guest ran $(($(date +%s) - start)) s"
tr -d '\r' <"$work/boot.log" >"$work/out"
grep '^BENCH-\(GUEST\|RUNG\|CRUN\|FAILURES\|LOG\)' "$work/out" | sed 's/^/# /'
grep -q '^BENCH-DONE' "$work/out" || {
	echo "bench-guest-hooks: the guest did not finish; its last lines:" >&2
	tail -n 20 "$work/out" >&2
	exit 1
}

/usr/bin/python3 - "$work/out" "$hooks" <<'PY'
import statistics, sys
path, hooks = sys.argv[1], int(sys.argv[2])
samples, failed = {}, {}
for line in open(path):
    f = line.split()
    if len(f) != 5 or f[0] != "BENCH":
        continue
    rt, n, us, rc = f[1], int(f[2]), int(f[3]), int(f[4])
    if rc != 0:
        failed[(rt, n)] = failed.get((rt, n), 0) + 1
        continue
    samples.setdefault((rt, n), []).append(us)
per_hook = {}
print("%-9s %14s %14s %14s %8s" % ("runtime", "0 hooks (ms)", "%d hooks (ms)" % hooks, "per hook (us)", "failed"))
for rt in ("autoreap", "fallback", "crun"):
    a, b = samples.get((rt, 0)), samples.get((rt, hooks))
    if not a or not b:
        print("%-9s no successful samples" % rt)
        continue
    m0, m1 = statistics.median(a), statistics.median(b)
    per_hook[rt] = (m1 - m0) / hooks
    nf = failed.get((rt, 0), 0) + failed.get((rt, hooks), 0)
    print("%-9s %14.1f %14.1f %14.0f %8d" % (rt, m0 / 1000, m1 / 1000, per_hook[rt], nf))
for other in ("fallback", "crun"):
    if "autoreap" in per_hook and per_hook.get(other):
        print("per-hook ratio autoreap / %s: %.2f" % (other, per_hook["autoreap"] / per_hook[other]))
if len(per_hook) < 3:
    sys.exit(1)
PY
