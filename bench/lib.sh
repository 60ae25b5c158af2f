# Shared by bench-run.sh and bench-podman.sh (sourced, not run).  The script
# defines `names` (runtimes, "ours" first) and `one NAME`, which runs one
# timed sample and prints its microseconds; these helpers do the rest.

# -n ROUNDS and --ours PATH; sets ROUNDS (default $1) and OURS.
bench_parse_args() {  # default_rounds "$@"
    ROUNDS=$1
    shift
    OURS=$REPO/crun
    while [ $# -gt 0 ]; do
        case $1 in
        -n) ROUNDS=$2; shift 2 ;;
        --ours) OURS=$2; shift 2 ;;
        *) echo "usage: $0 [-n ROUNDS] [--ours PATH]" >&2; exit 2 ;;
        esac
    done
    [ -x "$OURS" ] || { echo "bench: $OURS is not built" >&2; exit 1; }
    OURS=$(realpath "$OURS")
}

# Debian's crun 1.8.1 refuses hybrid cgroups ("cgroups in hybrid mode not
# supported"): on such a host it runs in a private mount namespace without
# the cgroup2 mount, and that wrapper's own cost is measured too.
HYBRID=0
if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then HYBRID=1; fi

wrapper_us() {
    local t0 t1
    t0=$(date +%s%N)
    unshare -m sh -c 'umount /sys/fs/cgroup/unified && /bin/true'
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000 ))
}

# Each runtime must work once before anything is timed.
bench_check_all() {
    local n
    for n in "${names[@]}"; do
        if ! one "$n" >/dev/null 2>"$WORK/err-$n"; then
            echo "bench: $n fails: $(cat "$WORK/err-$n")" >&2
            exit 1
        fi
    done
}

# ROUNDS rounds, each runtime once per round in rotating order.
declare -A SAMPLES
bench_sample() {
    local r i n k=${#names[@]}
    for ((r = 0; r < ROUNDS; r++)); do
        for ((i = 0; i < k; i++)); do
            n=${names[$(( (i + r) % k ))]}
            SAMPLES[$n]+="$(one "$n") "
        done
        if [ $HYBRID = 1 ]; then SAMPLES[wrapper]+="$(wrapper_us) "; fi
    done
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

bench_report() {  # title who-ran-debian-crun
    local ours_med m w n
    echo "$1, $ROUNDS interleaved rounds (median, ms)"
    ours_med=$(echo "${SAMPLES[ours]}" | median)
    for n in "${names[@]}"; do
        m=$(echo "${SAMPLES[$n]}" | median)
        awk -v n="$n" -v m="$m" -v o="$ours_med" 'BEGIN { printf "  %-12s %8.2f ms   x%.2f vs ours\n", n, m / 1000, m / o }'
    done
    if [ $HYBRID = 1 ]; then
        w=$(echo "${SAMPLES[wrapper]}" | median)
        printf "note: cgroups are hybrid here; Debian's crun 1.8.1 refuses them, so %s inside\n" "$2"
        awk -v w="$w" 'BEGIN { printf "      \"unshare -m\" with /sys/fs/cgroup/unified unmounted (that wrapper alone: %.2f ms median, included above)\n", w / 1000 }'
    fi
}
