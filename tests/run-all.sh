#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine as root: installs what
# is missing, builds, then runs the C unit tests, the integration tests
# (pytest, real containers on a busybox rootfs, podman end to end) and the
# kernel proof (the patched 6.1 kernel built and booted under qemu).  Ends
# with one line adding up the three suites.
set -uo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh || exit 1
bash contrib/build.sh || exit 1

logs=$(mktemp -d /tmp/crun-tests.XXXXXX)
status=0

# pipefail: each pipeline fails when make fails.
if ! make -j"$(nproc)" check 2>&1 | tee "$logs/unit"; then
	status=1
	cat tests/unit/*.log 2>/dev/null
fi
make check-integration 2>&1 | tee "$logs/integration" || status=1
make check-kernel 2>&1 | tee "$logs/kernel" || status=1

# Totals: automake's TAP summary, pytest's last line, the kernel proof's.
/usr/bin/python3 - "$logs" <<'PY'
import re, sys
d = sys.argv[1]
tot = {"passed": 0, "failed": 0, "skipped": 0}
unit = open(d + "/unit", errors="replace").read()
for key, name in (("PASS", "passed"), ("FAIL", "failed"), ("ERROR", "failed"), ("SKIP", "skipped")):
    m = re.findall(r"^# %s: +(\d+)" % key, unit, re.M)
    tot[name] += int(m[-1]) if m else 0
for part in ("integration", "kernel"):
    text = open("%s/%s" % (d, part), errors="replace").read()
    lines = [l for l in text.splitlines() if re.search(r"\d+ (passed|failed)", l)]
    if lines:
        for n, what in re.findall(r"(\d+) (passed|failed|skipped|error)", lines[-1]):
            tot["failed" if what == "error" else what] += int(n)
print("total: %d passed, %d failed, %d skipped" % (tot["passed"], tot["failed"], tot["skipped"]))
PY
rm -rf "$logs"
exit $status
