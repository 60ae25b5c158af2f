#!/bin/sh
# OCI hook for the podman tests: always fails.
echo "fail-hook: refusing on purpose" >&2
exit 3
