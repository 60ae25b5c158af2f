#!/bin/sh
# OCI hook for the podman tests: save the state JSON read on stdin to $1.
set -e
cat > "$1.tmp"
mv "$1.tmp" "$1"
