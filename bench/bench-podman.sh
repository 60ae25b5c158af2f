#!/bin/bash
# Time `podman run --rm IMAGE true` with our crun, Debian's crun 1.8.1 and
# runc as podman's --runtime, rootful and rootless, in one identical
# environment: N rounds (default 20), each round runs each runtime once, in
# rotating order.  Prints the median and the ratio to ours.
#   bench/bench-podman.sh [-n ROUNDS] [--ours PATH] [--mode rootful|rootless|both]
# All runtimes run inside one private mount namespace in which the cgroup2
# mount of a hybrid host (/sys/fs/cgroup/unified) is unmounted: Debian's crun
# refuses the hybrid layout, and so every runtime sees the same (v1) cgroups.
# Ours is also timed rootful on the host's own layout.  Podman's
# configuration and storage are those of the podman tests (tests/podman/*.in:
# cgroupfs, events file, netns none; overlay rootful, vfs rootless) in a
# temporary directory; rootless runs as a user made for the benchmark (with
# subordinate ids), removed at exit with everything podman made.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$HERE")
ROUNDS=20
OURS=$REPO/crun
MODES="rootful rootless"
INSIDE=
while [ $# -gt 0 ]; do
    case $1 in
    -n) ROUNDS=$2; shift 2 ;;
    --ours) OURS=$2; shift 2 ;;
    --mode) case $2 in both) MODES="rootful rootless" ;; rootful|rootless) MODES=$2 ;;
            *) echo "bench-podman: --mode must be rootful, rootless or both" >&2; exit 2 ;; esac
            shift 2 ;;
    --inside) INSIDE=$2; shift 2 ;;  # internal: MODE, in the namespace
    *) echo "usage: $0 [-n ROUNDS] [--ours PATH] [--mode rootful|rootless|both]" >&2; exit 2 ;;
    esac
done
[ -x "$OURS" ] || { echo "bench-podman: $OURS is not built" >&2; exit 1; }
OURS=$(realpath "$OURS")
BENCH_USER=crun-bench-rl

if [ -z "$INSIDE" ]; then
    for p in podman crun runc uidmap; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$p" >/dev/null
    done
    "$REPO/tests/make-rootfs.sh" "$REPO/tests/build/rootfs" >/dev/null
    run_inside() {  # mode [names]
        if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
            BENCH_NAMES=${2:-} unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec bash "$0" --inside "$1" -n "$2" --ours "$3"' \
                "$0" "$1" "$ROUNDS" "$OURS"
        else
            BENCH_NAMES=${2:-} bash "$0" --inside "$1" -n "$ROUNDS" --ours "$OURS"
        fi
    }
    for mode in $MODES; do
        if [ "$mode" = rootful ] && mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
            BENCH_NAMES=ours bash "$0" --inside rootful -n "$ROUNDS" --ours "$OURS" | sed 's/^/host layout: /'
        fi
        run_inside "$mode"
    done
    exit 0
fi

# ---- inside the namespace: one mode
MODE=$INSIDE
read -r -a names <<<"${BENCH_NAMES:-ours debian-crun runc}"
declare -A RT=([ours]=$OURS [debian-crun]=/usr/bin/crun [runc]=/usr/sbin/runc)
HYBRID=0  # lib.sh: no per-call wrapper in here
. "$HERE/lib.sh"
HYBRID=0

WORK=$(mktemp -d /tmp/crun-bench-podman.XXXXXX)
chmod 755 "$WORK"
DRIVER=overlay
[ "$MODE" = rootless ] && DRIVER=vfs
export CONTAINERS_CONF=$WORK/containers.conf CONTAINERS_STORAGE_CONF=$WORK/storage.conf
export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf XDG_RUNTIME_DIR=$WORK/xdg-run
if [ "$MODE" = rootful ]; then
    PODMAN=(podman --root "$WORK/storage" --runroot "$WORK/runroot" --tmpdir "$WORK/tmp")
else
    PODMAN=(setpriv --reuid="$BENCH_USER" --regid="$BENCH_USER" --init-groups env -i HOME="$WORK"
            PATH=/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" CONTAINERS_CONF="$CONTAINERS_CONF"
            CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" CONTAINERS_REGISTRIES_CONF="$CONTAINERS_REGISTRIES_CONF" podman)
fi

# what exists before, so that only what the benchmark made is removed (a
# rootful `podman import` keeps a cache in /var/lib/containers)
had_varlib=0; [ -e /var/lib/containers ] && had_varlib=1
had_cache=0; [ -e /var/lib/containers/cache ] && had_cache=1
had_cg=" "
for h in /sys/fs/cgroup/*/; do [ -d "${h}libpod_parent" ] && had_cg+="${h}libpod_parent "; done

drop_user() {
    pkill -KILL -u "$BENCH_USER" 2>/dev/null || true
    userdel "$BENCH_USER" 2>/dev/null || true
    sed -i "/^$BENCH_USER:/d" /etc/subuid /etc/subgid 2>/dev/null || true
}
cleanup() {
    set +e
    "${PODMAN[@]}" rm -af -t 0 >/dev/null 2>&1
    "${PODMAN[@]}" system reset -f >/dev/null 2>&1
    [ "$MODE" = rootless ] && drop_user
    grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
    chmod -R u+w "$WORK" 2>/dev/null
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

mkdir -p "$WORK"/{hooks.d,net,tmp,events}
mkdir -m 700 "$XDG_RUNTIME_DIR"
sed "s#@DIR@#$WORK#g" "$REPO/tests/podman/containers.conf.in" >"$CONTAINERS_CONF"
sed -e "s#@DIR@#$WORK#g" -e "s#@DRIVER@#$DRIVER#g" "$REPO/tests/podman/storage.conf.in" >"$CONTAINERS_STORAGE_CONF"
echo 'unqualified-search-registries = []' >"$CONTAINERS_REGISTRIES_CONF"
tar -C "$REPO/tests/build/rootfs" -cf "$WORK/rootfs.tar" .
if [ "$MODE" = rootless ]; then
    drop_user
    useradd -M -d "$WORK" -s /bin/sh "$BENCH_USER"
    for f in /etc/subuid /etc/subgid; do
        grep -q "^$BENCH_USER:" "$f" 2>/dev/null || echo "$BENCH_USER:500000:65536" >>"$f"
    done
    chown -R "$BENCH_USER:" "$WORK"
fi
(cd "$WORK" && "${PODMAN[@]}" import "$WORK/rootfs.tar" localhost/busybox) >/dev/null 2>"$WORK/import.err" || {
    cat "$WORK/import.err" >&2; exit 1; }

one() {  # name -> prints elapsed microseconds of `podman run --rm IMAGE true`
    local t0 t1
    t0=$(date +%s%N)
    (cd "$WORK" && "${PODMAN[@]}" --runtime "${RT[$1]}" --cgroup-manager cgroupfs --events-backend file \
        run --rm localhost/busybox true </dev/null >/dev/null)
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
}

bench_check_all
bench_sample
bench_report "$MODE podman run --rm localhost/busybox true ($DRIVER storage)" ""
