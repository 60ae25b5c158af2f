#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine as root: installs what
# is missing, builds, checks the formatting, then runs the C unit tests, the integration tests
# (pytest, real containers on a busybox rootfs, podman end to end), both
# again on an ASan+UBSan build, a fixed-time libFuzzer run (FUZZ_SECONDS, default 120), the kernel proof
# (the patched 6.1 kernel built and booted under qemu) and the cgroup guests (that kernel booted once
# per cgroup layout).  Prints how long each
# part took and ends with one line adding up the suites.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d /tmp/crun-tests.XXXXXX)
status=0
declare -a timings
# part NAME CMD...: run one part of the suite and note how long it took.
part() {
	local name=$1 t0=$SECONDS
	shift
	"$@" || status=1
	timings+=("$(printf '%-12s %5ds' "$name" $((SECONDS - t0)))")
}

part setup bash -c 'bash contrib/install-deps.sh && bash contrib/build.sh' || exit 1
[ $status = 0 ] || exit 1

unit() {
	# pipefail: each pipeline fails when make fails.
	if ! make -j"$(nproc)" check 2>&1 | tee "$logs/unit"; then
		cat tests/unit/*.log 2>/dev/null
		return 1
	fi
}
# the sources formatted as .clang-format says (make check-format)
format() {
	if make check-format >"$logs/format.out" 2>&1; then
		echo "check-format: 1 passed" | tee "$logs/format"
	else
		tail -n 40 "$logs/format.out"
		echo "check-format: 1 failed (run \`make format\`)" | tee "$logs/format"
		return 1
	fi
}
part format format
part unit unit
part integration bash -c "set -o pipefail; make check-integration 2>&1 | tee '$logs/integration'"
# the unit and integration tests again on an ASan+UBSan build
part sanitize bash -c "set -o pipefail; bash tests/sanitize/run.sh 2>&1 | tee '$logs/sanitize'"
# libFuzzer on the config parser and seccomp compile step, fixed time
part fuzz bash -c "set -o pipefail; bash tests/fuzz/run-fuzz.sh \${FUZZ_SECONDS:-120} 2>&1 | tee '$logs/fuzz'"
part kernel bash -c "set -o pipefail; make check-kernel 2>&1 | tee '$logs/kernel'"
# the cgroupfs manager in qemu guests, one per cgroup layout (v2, v1, hybrid)
part guests bash -c "set -o pipefail; make check-cgroups 2>&1 | tee '$logs/guests'"

echo "time per part:"
printf '  %s\n' "${timings[@]}"

# Totals: automake's TAP summary, pytest's last line, the kernel proof's.
/usr/bin/python3 - "$logs" <<'PY'
import re, sys
d = sys.argv[1]
tot = {"passed": 0, "failed": 0, "skipped": 0}
unit = open(d + "/unit", errors="replace").read()
for key, name in (("PASS", "passed"), ("FAIL", "failed"), ("ERROR", "failed"), ("SKIP", "skipped")):
    m = re.findall(r"^# %s: +(\d+)" % key, unit, re.M)
    tot[name] += int(m[-1]) if m else 0
for part in ("format", "integration", "sanitize", "fuzz", "kernel", "guests"):
    text = open("%s/%s" % (d, part), errors="replace").read()
    lines = [l for l in text.splitlines() if re.search(r"\d+ (passed|failed)", l)]
    if lines:
        for n, what in re.findall(r"(\d+) (passed|failed|skipped|error)", lines[-1]):
            tot["failed" if what == "error" else what] += int(n)
print("total: %d passed, %d failed, %d skipped" % (tot["passed"], tot["failed"], tot["skipped"]))
PY
rm -rf "$logs"
exit $status
