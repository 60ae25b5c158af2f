#!/bin/bash
# Time `run` of /bin/true followed by `delete` (a `run --rm`) for our crun,
# Debian's crun (/usr/bin/crun) and runc, interleaved: N rounds (default 30),
# each round runs each runtime once, in rotating order.  Prints the median and
# the ratio to ours.
#   bench/bench-run.sh [-n ROUNDS] [--ours PATH]
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/lib.sh"
bench_parse_args 30 "$@"
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

bench_check_all
bench_sample
bench_report "run /bin/true + delete, busybox bundle" "it ran"
