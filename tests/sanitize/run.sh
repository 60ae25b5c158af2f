#!/bin/bash
# The unit tests and the integration tests on an ASan+UBSan build.
#   bash tests/sanitize/run.sh
# Builds a copy of the working tree (the tracked files) under
# /var/tmp/crun-sanitize with gcc -fsanitize=address,undefined, runs its
# `make check`, then the integration tests of this tree with that binary.
# A case a sanitizer cannot run skips under it with the reason (a unit test
# whose seccomp filter refuses the sigaltstack ASan calls).  Any sanitizer
# report fails: ASan and UBSan abort the process, whose exit status the
# tests see.  Leak checking is on for the unit tests and off for the runtime
# binary: its processes leave by _exit or execve on purpose, which
# LeakSanitizer cannot follow.  Ends with one "N passed, N failed, N
# skipped" line for both.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${CRUN_SANITIZE_DIR:-/var/tmp/crun-sanitize}
status=0

rm -rf "$dir"
mkdir -p "$dir"
(cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar -C "$dir" -xf - ||
	{ echo "sanitize: cannot copy the tree"; exit 1; }
flags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
(cd "$dir" && ./autogen.sh >/dev/null 2>&1 && ./configure --quiet CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" &&
	make -j"$(nproc)" --quiet >build.log 2>&1) ||
	{ tail -n 30 "$dir/build.log" 2>/dev/null; echo "sanitize: the sanitized build failed"; exit 1; }

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
if ! make -C "$dir" -j"$(nproc)" check >"$dir/unit.out" 2>&1; then
	status=1
	cat "$dir"/tests/unit/*.log 2>/dev/null | grep -B5 -A30 'ERROR\|runtime error\|not ok' | head -n 120
fi
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR)' "$dir/unit.out" | sed 's/^/sanitize: unit /'

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=0
CRUN_BINARY=$dir/crun pytest-3 -q -p no:cacheprovider "$repo/tests/integration" 2>&1 |
	tee "$dir/integration.out" || status=1

/usr/bin/python3 - "$dir" <<'PY'
import re, sys
d = sys.argv[1]
unit = open(d + "/unit.out", errors="replace").read()
it = open(d + "/integration.out", errors="replace").read().splitlines()
tot = {"passed": 0, "failed": 0, "skipped": 0}
for key, name in (("PASS", "passed"), ("FAIL", "failed"), ("ERROR", "failed"), ("SKIP", "skipped")):
    m = re.findall(r"^# %s: +(\d+)" % key, unit, re.M)
    tot[name] += int(m[-1]) if m else 0
last = [l for l in it if re.search(r"\d+ (passed|failed)", l)]
for n, what in re.findall(r"(\d+) (passed|failed|skipped|error)", last[-1] if last else ""):
    tot["failed" if what == "error" else what] += int(n)
print("sanitize: %d passed, %d failed, %d skipped" % (tot["passed"], tot["failed"], tot["skipped"]))
PY
exit $status
