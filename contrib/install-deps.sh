#!/bin/bash
# Install, from Debian's registry, what building and testing this project
# needs on a fresh Debian 12 machine.  Installs only what is missing.
set -euo pipefail

packages=(
  build-essential autoconf automake libtool pkg-config debhelper dpkg-dev
  libseccomp-dev libyajl-dev libcap-dev libsystemd-dev
  busybox-static python3-pytest strace iproute2 uidmap
  crun runc clang-14 libclang-rt-14-dev clang-format podman containerd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
