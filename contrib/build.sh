#!/bin/bash
# Configure and build crun in the source tree (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure --quiet
make -j"$(nproc)" --quiet
