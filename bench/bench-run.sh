#!/bin/bash
# Time `run` of /bin/true followed by `delete` (a `run --rm`) for our crun,
# Debian's crun (/usr/bin/crun) and runc, interleaved: N rounds (default 30),
# each round runs each runtime once, in rotating order.  Prints the median and
# the ratio to ours.
#   bench/bench-run.sh [-n ROUNDS] [--ours PATH]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
ROUNDS=30
OURS=$REPO/crun
while [ $# -gt 0 ]; do
    case $1 in
    -n) ROUNDS=$2; shift 2 ;;
    --ours) OURS=$2; shift 2 ;;
    *) echo "usage: $0 [-n ROUNDS] [--ours PATH]" >&2; exit 2 ;;
    esac
done

[ -x "$OURS" ] || { echo "bench: $OURS is not built" >&2; exit 1; }
if [ ! -x /usr/bin/crun ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y crun >/dev/null 2>&1 || {
        apt-get update >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y crun >/dev/null; }
fi
RUNC=$(command -v runc || true)

WORK=$(mktemp -d /tmp/crun-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$REPO/tests/make-rootfs.sh" "$REPO/tests/build/rootfs"
mkdir "$WORK/bundle"
cp -a "$REPO/tests/build/rootfs" "$WORK/bundle/rootfs"
(cd "$WORK/bundle" && "$OURS" spec)
/usr/bin/python3 - "$WORK/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
json.dump(c, open(p, "w"), indent=2)
PY

# Debian's crun 1.8.1 refuses hybrid cgroups ("cgroups in hybrid mode not
# supported"): it runs in a private mount namespace without the cgroup2 mount.
HYBRID=0
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then HYBRID=1; fi

names=(ours)
declare -A CMD
CMD[ours]="$OURS"
names+=(debian-crun)
CMD[debian-crun]=/usr/bin/crun
if [ -n "$RUNC" ]; then names+=(runc); CMD[runc]="$RUNC"; fi

one() {  # name -> prints elapsed seconds of run+delete
    local name=$1
    local id="bench-$$-$name-$RANDOM" root="$WORK/root-$name"
    local t0 t1
    # the unshare wrapper's cost is measured too; it is reported below
    t0=$(date +%s%N)
    if [ $name = debian-crun ] && [ $HYBRID = 1 ]; then
        unshare -m sh -c 'umount /sys/fs/cgroup/unified && /usr/bin/crun --root "$1" run --bundle "$2" "$3" && /usr/bin/crun --root "$1" delete "$3" 2>/dev/null; true' \
            sh "$root" "$WORK/bundle" "$id" </dev/null >/dev/null
    else
        "${CMD[$name]}" --root "$root" run --bundle "$WORK/bundle" "$id" </dev/null >/dev/null
        "${CMD[$name]}" --root "$root" delete "$id" >/dev/null 2>&1 || true
    fi
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
}

# cost of the unshare+umount wrapper alone, to subtract mentally
wrapper_us() {
    local t0 t1
    t0=$(date +%s%N)
    unshare -m sh -c 'umount /sys/fs/cgroup/unified && /bin/true'
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
}

# check each runtime works once before timing
for n in "${names[@]}"; do
    if ! one "$n" >/dev/null 2>"$WORK/err-$n"; then
        echo "bench: $n fails to run the bundle: $(cat "$WORK/err-$n")" >&2
        exit 1
    fi
done

declare -A SAMPLES
k=${#names[@]}
for ((r = 0; r < ROUNDS; r++)); do
    for ((i = 0; i < k; i++)); do
        n=${names[$(( (i + r) % k ))]}
        SAMPLES[$n]+="$(one "$n") "
    done
    [ $HYBRID = 1 ] && SAMPLES[wrapper]+="$(wrapper_us) "
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "run /bin/true + delete, busybox bundle, $ROUNDS interleaved rounds (median, ms)"
ours_med=$(echo "${SAMPLES[ours]}" | median)
for n in "${names[@]}"; do
    m=$(echo "${SAMPLES[$n]}" | median)
    awk -v n="$n" -v m="$m" -v o="$ours_med" 'BEGIN { printf "  %-12s %8.2f ms   x%.2f vs ours\n", n, m / 1000, m / o }'
done
if [ $HYBRID = 1 ]; then
    w=$(echo "${SAMPLES[wrapper]}" | median)
    printf "note: cgroups are hybrid here; Debian's crun 1.8.1 refuses them, so it ran inside\n"
    awk -v w="$w" 'BEGIN { printf "      \"unshare -m\" with /sys/fs/cgroup/unified unmounted (that wrapper alone: %.2f ms median, included above)\n", w / 1000 }'
fi
