#!/bin/bash
# Build the libFuzzer harness (tests/fuzz/fuzz_config.c, with the library's
# sources, under ASan and UBSan) with Debian's clang and run it for SECONDS
# on a copy of the seed corpus (tests/fuzz/corpus plus the deep and wide
# seeds of make-seeds.py).
#   bash tests/fuzz/run-fuzz.sh [SECONDS]      (default 120; `make fuzz` runs 600)
# Prints the executions, the coverage and the crashes; a crash, a leak or a
# timeout of one input fails the run, and the input is kept under
# tests/fuzz/build/ (its path is printed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-120}
build=$repo/tests/fuzz/build
mkdir -p "$build"

for p in clang-14 libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" >/dev/null
done
bin=$build/fuzz_config
# shellcheck disable=SC2046
clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -std=gnu11 -iquote "$repo/libcrun" -DCRUN_VERSION='"fuzz"' \
	"$here/fuzz_config.c" "$repo"/libcrun/*.c \
	$(pkg-config --cflags --libs libseccomp yajl libcap) $(pkg-config --cflags libsystemd) -o "$bin" ||
	{ echo "run-fuzz: building the harness failed"; exit 1; }

corpus=$(mktemp -d /tmp/crun-fuzz.XXXXXX)
trap 'rm -rf "$corpus"' EXIT
cp "$here"/corpus/* "$corpus/"
/usr/bin/python3 "$here/make-seeds.py" "$corpus"
echo "run-fuzz: $(ls "$corpus" | wc -l) seeds, ${secs}s"
start=$(date +%s)
# Every seed once at its full size first (libFuzzer truncates corpus inputs
# to -max_len when it fuzzes): the 300,000-level text is the nesting bug.
(cd "$build" && "$bin" -timeout=30 -rss_limit_mb=4096 "$corpus"/*) >"$build/seeds.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	# Then mutation, on inputs of up to 64 KiB (32,000 levels, far past the
	# depth limit), which keeps executions fast.
	(cd "$build" && "$bin" -max_total_time="$secs" -max_len=65536 -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 "$corpus") >"$build/fuzz.log" 2>&1
	rc=$?
else
	cp "$build/seeds.log" "$build/fuzz.log"
fi
elapsed=$(($(date +%s) - start))
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz.log")
cov=$(grep -o 'cov: [0-9]*' "$build/fuzz.log" | tail -n1)
ft=$(grep -o 'ft: [0-9]*' "$build/fuzz.log" | tail -n1)
crashes=$(ls "$build" | grep -c '^\(crash\|leak\|timeout\|oom\)-')
echo "run-fuzz: ${elapsed}s, ${execs:-?} executions, ${cov:-cov: ?}, ${ft:-ft: ?}, corpus $(ls "$corpus" | wc -l) inputs, crash/leak/timeout files: $crashes"
if [ $rc -ne 0 ]; then
	grep -A 30 'ERROR: \|SUMMARY' "$build/fuzz.log" | head -n 60
	ls "$build" | grep '^\(crash\|leak\|timeout\|oom\)-' | sed "s|^|run-fuzz: kept $build/|"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
