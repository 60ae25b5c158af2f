#!/bin/bash
# The whole test suite, from a fresh Debian 12 machine as root: installs what
# is missing, builds, then runs the C unit tests, the integration tests
# (pytest, real containers on a busybox rootfs) and the kernel proof (the
# patched 6.1 kernel booted under qemu).
set -euo pipefail
cd "$(dirname "$0")/.."

bash contrib/install-deps.sh
bash contrib/build.sh

status=0
make -j"$(nproc)" check || { status=1; cat tests/unit/*.log 2>/dev/null || true; }
make check-integration || status=1
if [ -f tests/kernel/check-kernel.sh ]; then
  make check-kernel || status=1
fi
exit $status
