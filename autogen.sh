#!/bin/sh
# Generate ./configure from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
# automake does not copy the TAP driver on its own.
cp -f "$(ls -d /usr/share/automake-*/ | tail -n 1)tap-driver.sh" build-aux/tap-driver.sh
