#!/bin/sh
# Build and run the spawner micro-benchmark (bench-spawn.c) against the
# libcrun.a of this tree (build the tree first: `make`).
#   bench/bench-spawn.sh [ROUNDS [BATCH]]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
out=${TMPDIR:-/tmp}/bench-spawn.$$
trap 'rm -f "$out"' EXIT INT TERM

if [ ! -f "$top/libcrun.a" ]; then
    echo "bench-spawn: $top/libcrun.a is missing: run make first" >&2
    exit 1
fi
# shellcheck disable=SC2046
gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -iquote "$top/libcrun" \
    $(pkg-config --cflags libseccomp yajl libcap) \
    -o "$out" "$here/bench-spawn.c" "$top/libcrun.a" \
    $(pkg-config --libs libseccomp yajl libcap)
"$out" "$@"
