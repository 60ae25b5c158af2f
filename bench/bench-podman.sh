#!/bin/bash
# Time `podman run --rm IMAGE true` with our crun, Debian's crun
# (/usr/bin/crun, inside the private mount namespace it needs on a hybrid
# machine) and runc as podman's --runtime, interleaved: N rounds (default 20),
# each round runs each runtime once, in rotating order.  Prints the median and
# the ratio to ours.
#   bench/bench-podman.sh [-n ROUNDS] [--ours PATH]
# Podman's configuration and storage live in a temporary directory (the
# templates of tests/podman), networking is off; everything is removed at exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
. "$HERE/lib.sh"
bench_parse_args 20 "$@"

install() {  # package...
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 || {
        apt-get update >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null; }
}
command -v podman >/dev/null || install podman
[ -x /usr/bin/crun ] || install crun
RUNC=$(command -v runc || true)

# what exists before, so that only what the benchmark made is removed
had_varlib=0; [ -e /var/lib/containers ] && had_varlib=1
had_cache=0; [ -e /var/lib/containers/cache ] && had_cache=1
had_cg=" "
for h in /sys/fs/cgroup/*/; do [ -d "${h}libpod_parent" ] && had_cg+="${h}libpod_parent "; done

WORK=$(mktemp -d /tmp/crun-bench-podman.XXXXXX)
chmod 755 "$WORK"
export CONTAINERS_CONF=$WORK/containers.conf CONTAINERS_STORAGE_CONF=$WORK/storage.conf
export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf
export XDG_RUNTIME_DIR=$WORK/xdg-run XDG_CONFIG_HOME=$WORK/xdg-config XDG_DATA_HOME=$WORK/xdg-data
PODMAN=(podman --root "$WORK/storage" --runroot "$WORK/runroot" --tmpdir "$WORK/tmp"
        --storage-driver overlay --cgroup-manager cgroupfs --events-backend file)

cleanup() {
    set +e
    "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1
    "${PODMAN[@]}" system reset -f >/dev/null 2>&1
    grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf "$WORK"
    for h in /sys/fs/cgroup/*/; do
        p=${h}libpod_parent
        case $had_cg in *" $p "*) continue ;; esac
        [ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    [ $had_varlib = 0 ] && rm -rf /var/lib/containers
    [ $had_varlib = 1 ] && [ $had_cache = 0 ] && rm -rf /var/lib/containers/cache
}
trap cleanup EXIT

mkdir -p "$WORK"/{hooks.d,net,tmp,events,xdg-config,xdg-data}
mkdir -m 700 "$WORK/xdg-run"
sed "s#@DIR@#$WORK#g" "$REPO/tests/podman/containers.conf.in" > "$CONTAINERS_CONF"
sed -e "s#@DIR@#$WORK#g" -e "s#@DRIVER@#overlay#g" "$REPO/tests/podman/storage.conf.in" > "$CONTAINERS_STORAGE_CONF"
echo 'unqualified-search-registries = []' > "$CONTAINERS_REGISTRIES_CONF"
"$REPO/tests/make-rootfs.sh" "$REPO/tests/build/rootfs"
tar -C "$REPO/tests/build/rootfs" -c . | "${PODMAN[@]}" import - localhost/busybox >/dev/null 2>"$WORK/import.err" || {
    cat "$WORK/import.err" >&2; exit 1; }

# Debian's crun 1.8.1 refuses hybrid cgroups ("cgroups in hybrid mode not
# supported"): podman and it run in a private mount namespace without the
# cgroup2 mount.

names=(ours debian-crun)
declare -A RT=([ours]=$OURS [debian-crun]=/usr/bin/crun)
if [ -n "$RUNC" ]; then names+=(runc); RT[runc]=$RUNC; fi

one() {  # name -> prints elapsed microseconds of `podman run --rm IMAGE true`
    local name=$1 t0 t1
    t0=$(date +%s%N)
    if [ "$name" = debian-crun ] && [ $HYBRID = 1 ]; then
        unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec "$@"' sh \
            "${PODMAN[@]}" --runtime "${RT[$name]}" run --rm localhost/busybox true </dev/null >/dev/null
    else
        "${PODMAN[@]}" --runtime "${RT[$name]}" run --rm localhost/busybox true </dev/null >/dev/null
    fi
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
}

bench_check_all
bench_sample
bench_report "podman run --rm localhost/busybox true" "podman ran it"
