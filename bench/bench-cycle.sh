#!/bin/bash
# Run cycle and exec cost: ours vs Debian's crun 1.8.1 vs runc in one
# identical environment.
#
#   bench/bench-cycle.sh [-n ROUNDS] [--ours PATH]
#
# Two measures, each interleaved (every round runs every runtime once, in a
# rotated order; default 30 rounds), medians in ms:
#   cycle  `run` of /bin/true in a busybox bundle, then `delete`
#   exec   `exec` of /bin/true in a running container (one per runtime)
# All three runtimes run inside one private mount namespace in which the
# cgroup2 mount of a hybrid host (/sys/fs/cgroup/unified) is unmounted, so
# that Debian's crun, which refuses the hybrid layout, needs no per-call
# wrapper and every runtime sees the same (v1) cgroups.  Ours is also
# measured outside that namespace, on the host's layout as it is.  Ratios
# are ours / other: below 1 means ours is faster.  Run as root on an idle
# machine.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
ROUNDS=30
OURS=$REPO/crun
while [ $# -gt 0 ]; do
	case $1 in
	-n) ROUNDS=$2; shift 2 ;;
	--ours) OURS=$2; shift 2 ;;
	--inside) INSIDE=1; shift ;;
	*) echo "usage: $0 [-n ROUNDS] [--ours PATH]" >&2; exit 2 ;;
	esac
done
[ -x "$OURS" ] || { echo "bench-cycle: $OURS is not built" >&2; exit 1; }
OURS=$(realpath "$OURS")

if [ -z "${INSIDE:-}" ]; then
	for p in crun runc; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >/dev/null
	done
	"$REPO/tests/make-rootfs.sh" "$REPO/tests/build/rootfs" >/dev/null
	# ours on the host's own layout first, then everything in the namespace
	BENCH_NAMES="ours" bash "$0" --inside -n "$ROUNDS" --ours "$OURS" | sed 's/^/host layout: /'
	if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
		exec unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec bash "$0" --inside -n "$1" --ours "$2"' \
			"$0" "$ROUNDS" "$OURS"
	fi
	exec bash "$0" --inside -n "$ROUNDS" --ours "$OURS"
fi

# ---- inside: the measurement proper
WORK=$(mktemp -d /tmp/bench-cycle.XXXXXX)
declare -A BIN=([ours]=$OURS [crun]=/usr/bin/crun [runc]=/usr/sbin/runc)
read -r -a names <<<"${BENCH_NAMES:-ours crun runc}"
cleanup() {
	local n
	for n in "${names[@]}"; do
		"${BIN[$n]}" --root "$WORK/root-$n" delete -f "sleeper-$n" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir "$WORK/bundle"
cp -a "$REPO/tests/build/rootfs" "$WORK/bundle/rootfs"
cp -a "$REPO/tests/build/rootfs" "$WORK/bundle-sleep-rootfs"
(cd "$WORK/bundle" && "$OURS" spec >/dev/null)
/usr/bin/python3 - "$WORK/bundle" <<'PY'
import copy, json, os, sys
d = sys.argv[1]
c = json.load(open(d + "/config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(d + "/config.json", "w"), indent=2)
os.mkdir(d + "-sleep")
s = copy.deepcopy(c)
s["process"]["args"] = ["sleep", "3600"]
json.dump(s, open(d + "-sleep/config.json", "w"), indent=2)
PY
mv "$WORK/bundle-sleep-rootfs" "$WORK/bundle-sleep/rootfs"

now_us() { echo $(($(date +%s%N) / 1000)); }
k=0
cycle() { # NAME -> microseconds
	local n=$1 id="b$$-$((k += 1))" t0
	t0=$(now_us)
	"${BIN[$n]}" --root "$WORK/root-$n" run --bundle "$WORK/bundle" "$id" </dev/null >/dev/null
	"${BIN[$n]}" --root "$WORK/root-$n" delete "$id" >/dev/null 2>&1 || true
	echo $(($(now_us) - t0))
}
execd() { # NAME -> microseconds
	local n=$1 t0
	t0=$(now_us)
	"${BIN[$n]}" --root "$WORK/root-$n" exec "sleeper-$n" /bin/true </dev/null >/dev/null
	echo $(($(now_us) - t0))
}

for n in "${names[@]}"; do
	"${BIN[$n]}" --root "$WORK/root-$n" run -d --bundle "$WORK/bundle-sleep" "sleeper-$n" </dev/null >/dev/null ||
		{ echo "bench-cycle: $n cannot run a container here" >&2; exit 1; }
	cycle "$n" >/dev/null && execd "$n" >/dev/null ||
		{ echo "bench-cycle: $n fails" >&2; exit 1; }
done

declare -A CYC EXE
for ((r = 0; r < ROUNDS; r++)); do
	for ((i = 0; i < ${#names[@]}; i++)); do
		n=${names[$(((i + r) % ${#names[@]}))]}
		CYC[$n]+="$(cycle "$n") "
		EXE[$n]+="$(execd "$n") "
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }
layout=$(if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then echo hybrid; elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2; else echo v1; fi)
echo "cgroups: $layout, $ROUNDS interleaved rounds, medians"
declare -A MC ME
for n in "${names[@]}"; do
	MC[$n]=$(echo "${CYC[$n]}" | median)
	ME[$n]=$(echo "${EXE[$n]}" | median)
	awk -v n="$n" -v c="${MC[$n]}" -v e="${ME[$n]}" \
		'BEGIN { printf "  %-5s run+delete %7.2f ms   exec %7.2f ms\n", n, c / 1000, e / 1000 }'
done
for n in "${names[@]}"; do
	[ "$n" = ours ] && continue
	awk -v n="$n" -v oc="${MC[ours]}" -v c="${MC[$n]}" -v oe="${ME[ours]}" -v e="${ME[$n]}" \
		'BEGIN { printf "  ours / %-5s run+delete x%.2f   exec x%.2f\n", n, oc / c, oe / e }'
done
