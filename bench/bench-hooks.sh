#!/bin/bash
# Hooks benchmark: `RUNTIME run` of /bin/true with 0, 5 and 20 createRuntime
# hooks (/bin/true each), for
#   ours        this tree's crun, no run.oci.autoreap
#   ours-ar     this tree's crun, run.oci.autoreap=1
#   crun-deb    Debian's /usr/bin/crun (skipped if it cannot run here, e.g.
#               "cgroups in hybrid mode not supported")
#   runc        Debian's runc
# Runs are interleaved (each iteration runs every runtime x hook count once,
# in a rotated order); the report gives medians and ratios to `ours`.
#
#   bench/bench-hooks.sh [ITERATIONS]        (default 15)
# Needs root and the test rootfs (tests/make-rootfs.sh tests/build/rootfs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
iters=${1:-15}
ours=${CRUN_BINARY:-$top/crun}
rootfs_src=${ROOTFS:-$top/tests/build/rootfs}
PY=/usr/bin/python3

if [ ! -x "$ours" ]; then echo "bench-hooks: $ours missing: run make" >&2; exit 1; fi
if [ ! -d "$rootfs_src" ]; then
    "$top/tests/make-rootfs.sh" "$rootfs_src"
fi

work=$(mktemp -d /tmp/bench-hooks.XXXXXX)
chmod 755 "$work"
cleanup() {
    for r in "$work"/state-*; do
        [ -d "$r" ] || continue
        rt=${r##*/state-}
        bin=${bins[$rt]:-}
        [ -n "$bin" ] || continue
        for c in $("$bin" --root "$r" list -q 2>/dev/null || true); do
            "$bin" --root "$r" delete -f "$c" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$work"
}
declare -A bins=([ours]=$ours [ours-ar]=$ours [crun-deb]=/usr/bin/crun [runc]=/usr/sbin/runc)
trap cleanup EXIT

# Debian's crun 1.8.1 refuses hybrid cgroups ("cgroups in hybrid mode not
# supported"): on such a host it runs in a private mount namespace with the
# cgroup2 mount at /sys/fs/cgroup/unified unmounted (the wrapper's cost is
# part of its times, as in bench-run.sh).
if [ -x /usr/bin/crun ] && grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
    cat > "$work/crun-deb" <<'WRAP'
#!/bin/sh
exec unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/crun "$@"' sh "$@"
WRAP
    chmod +x "$work/crun-deb"
    bins[crun-deb]=$work/crun-deb
    echo "# crun-deb: Debian's crun run under unshare -m with /sys/fs/cgroup/unified unmounted (hybrid cgroups)"
fi

cp -a "$rootfs_src" "$work/rootfs"
rm -f "$work/rootfs/.rootfs-stamp"

# one bundle per (annotation, hook count), sharing the rootfs
make_bundle() { # name annotate nhooks
    local d=$work/b-$1
    mkdir -p "$d"
    (cd "$d" && "$ours" spec)
    $PY - "$d/config.json" "$2" "$3" "$work/rootfs" <<'EOF'
import json, sys
path, annotate, n = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
c = json.load(open(path))
c["root"]["path"] = sys.argv[4]  # absolute: runc refuses a symlinked rootfs
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"]["readonly"] = False
if n:
    c["hooks"] = {"createRuntime": [{"path": "/bin/true", "args": ["true"]} for _ in range(n)]}
if annotate:
    c.setdefault("annotations", {})["run.oci.autoreap"] = "1"
json.dump(c, open(path, "w"), indent=1)
EOF
}

counts=(0 5 20)
for n in "${counts[@]}"; do
    make_bundle "plain-$n" 0 "$n"
    make_bundle "ar-$n" 1 "$n"
done

runtimes=()
for rt in ours ours-ar crun-deb runc; do
    bin=${bins[$rt]}
    if [ ! -x "$bin" ]; then echo "# $rt: $bin not installed, skipped"; continue; fi
    mkdir -p "$work/state-$rt"
    b=$work/b-plain-0
    [ "$rt" = ours-ar ] && b=$work/b-ar-0
    if ! out=$("$bin" --root "$work/state-$rt" run --bundle "$b" probe-$$ 2>&1 </dev/null); then
        echo "# $rt ($bin): cannot run here, skipped: $(echo "$out" | tail -1)"
        "$bin" --root "$work/state-$rt" delete -f probe-$$ >/dev/null 2>&1 || true
        continue
    fi
    runtimes+=("$rt")
done
echo "# $iters iterations, interleaved; runtimes: ${runtimes[*]}"

data=$work/times.tsv
: > "$data"
: > "$work/failures"
k=0
for ((i = 0; i < iters; i++)); do
    cells=()
    for rt in "${runtimes[@]}"; do
        for n in "${counts[@]}"; do cells+=("$rt:$n"); done
    done
    m=${#cells[@]}
    for ((j = 0; j < m; j++)); do
        cell=${cells[$(((j + i) % m))]}
        rt=${cell%%:*}; n=${cell##*:}
        b=$work/b-plain-$n
        [ "$rt" = ours-ar ] && b=$work/b-ar-$n
        id=bh-$$-$((k++))
        t0=$(date +%s%N)
        if ! "${bins[$rt]}" --root "$work/state-$rt" run --bundle "$b" "$id" >/dev/null 2>"$work/err" </dev/null; then
            # Ours must never fail; the others' failures are counted (crun
            # 1.8.1 sometimes fails a /bin/true hook that does not read its
            # stdin: "writing to pipe: Broken pipe").
            echo "bench-hooks: $rt with $n hooks failed: $(tr '\n' ' ' < "$work/err")" >&2
            case $rt in ours*) exit 1 ;; esac
            "${bins[$rt]}" --root "$work/state-$rt" delete -f "$id" >/dev/null 2>&1 || true
            printf '%s\t%s\n' "$rt" "$n" >> "$work/failures"
            continue
        fi
        t1=$(date +%s%N)
        printf '%s\t%s\t%s\n' "$rt" "$n" $(((t1 - t0) / 1000)) >> "$data"
    done
done

$PY - "$data" "${runtimes[*]}" "${counts[*]}" <<'EOF'
import statistics, sys
path, rts, counts = sys.argv[1], sys.argv[2].split(), [int(x) for x in sys.argv[3].split()]
t = {}
for line in open(path):
    rt, n, us = line.split()
    t.setdefault((rt, int(n)), []).append(int(us) / 1000.0)
med = {k: statistics.median(v) for k, v in t.items()}
print("median wall time of `run` (ms), /bin/true with N createRuntime hooks")
print("%-10s" % "runtime" + "".join("%12s" % ("N=%d" % n) for n in counts)
      + "".join("%14s" % ("ratio N=%d" % n) for n in counts) + "%16s" % "per hook (ms)")
for rt in rts:
    if any((rt, n) not in med for n in counts):
        print("%-10s (no successful run for some N)" % rt)
        continue
    row = "%-10s" % rt + "".join("%12.1f" % med[(rt, n)] for n in counts)
    row += "".join("%14.3f" % (med[(rt, n)] / med[("ours", n)]) for n in counts)
    row += "%16.2f" % ((med[(rt, counts[-1])] - med[(rt, counts[0])]) / (counts[-1] - counts[0]))
    print(row)
print("(ratio: against `ours` without the annotation at the same N)")
EOF
if [ -s "$work/failures" ]; then
    echo "failed runs (not timed), by runtime and hook count:"
    sort "$work/failures" | uniq -c | sed 's/^/  /'
fi
