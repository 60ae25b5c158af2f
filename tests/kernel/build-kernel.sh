#!/bin/bash
# Build (or fetch from cache) a Debian 6.1 bzImage for the autoreap boot test.
#
# usage: build-kernel.sh patched|unpatched
#
# Prints the path of the cached bzImage as the last line of stdout.
# The cache key is the sha256 of: the series files (patched only), the config
# fragment, the Debian linux-source-6.1 package version and the gcc version.
# A patch that touches nothing but tools/ (the selftest patch) cannot change
# the bzImage and is left out of the key, so editing a test does not cost a
# kernel build; it is still applied to the tree that is built.
# A hit skips the build entirely; objects are never cached, only the bzImage
# (touching sched/signal.h or pid.h rebuilds nearly everything anyway).
#
# Environment:
#   BUILD_KERNEL_PRINT_DIR=1  only print the cache directory for the key
#   CRUN_KERNEL_CACHE  cache root (default /var/cache/crun-autoreap/kernel)
#   CRUN_KERNEL_WORK   scratch dir for unpacked sources (default
#                      /var/tmp/crun-autoreap-work)
set -euo pipefail

variant=${1:?usage: build-kernel.sh patched|unpatched}
case $variant in
patched | unpatched) ;;
*)
	echo "build-kernel.sh: unknown variant '$variant'" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
kdir=$repo/contrib/kernel
fragment=$kdir/autoreap.config
tarball=/usr/src/linux-source-6.1.tar.xz
cache_root=${CRUN_KERNEL_CACHE:-/var/cache/crun-autoreap/kernel}
work_root=${CRUN_KERNEL_WORK:-/var/tmp/crun-autoreap-work}

log() { echo "build-kernel[$variant]: $*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

[ -r "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
[ -r "$fragment" ] || die "$fragment missing"

mapfile -t series < <(cd "$kdir" && ls -1 [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | sort)
if [ "$variant" = patched ] && [ "${#series[@]}" -eq 0 ]; then
	die "no patches in $kdir"
fi

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
gccver=$(gcc --version | head -n1)

key=$({
	echo "variant=$variant"
	echo "pkg=$pkgver"
	echo "gcc=$gccver"
	echo "fragment=$(sha256sum <"$fragment")"
	if [ "$variant" = patched ]; then
		for p in "${series[@]}"; do
			# files a patch touches: "+++ b/path" lines
			if ! grep '^+++ b/' "$kdir/$p" | grep -vq '^+++ b/tools/'; then
				continue # tools/ only: not part of the kernel image
			fi
			echo "patch=$p $(sha256sum <"$kdir/$p")"
		done
	fi
} | sha256sum | cut -c1-16)

out=$cache_root/$variant-$key
if [ "${BUILD_KERNEL_PRINT_DIR:-0}" = 1 ]; then
	echo "$out" # where the bzImage for this key lives; nothing is built
	exit 0
fi
if [ -s "$out/bzImage" ]; then
	log "cache hit: $out/bzImage (build skipped)"
	echo "BUILD_SECONDS=0 CACHED=1" >&2
	echo "$out/bzImage"
	exit 0
fi

log "cache miss (key $key), building"
start=$(date +%s)
src=$work_root/$variant-$key
rm -rf "$src"
mkdir -p "$src"
tar -C "$src" --strip-components=1 -xf "$tarball"

if [ "$variant" = patched ]; then
	for p in "${series[@]}"; do
		log "applying $p"
		patch -d "$src" -p1 --forward --batch --quiet <"$kdir/$p" ||
			die "patch $p does not apply"
	done
fi

cd "$src"
make -s tinyconfig >&2
./scripts/kconfig/merge_config.sh -m .config "$fragment" >&2
make -s olddefconfig >&2

# merge_config silently drops options whose dependencies are missing
# (CPUSETS without SMP, for instance): insist on every =y of the fragment.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=y)
		if ! grep -qx "$line" .config; then
			log "option lost in .config: $line"
			missing=1
		fi
		;;
	esac
done <"$fragment"
[ "$missing" -eq 0 ] || die "config fragment not fully applied"

make -j"$(nproc)" -s bzImage >&2 || die "kernel build failed"

mkdir -p "$out"
cp arch/x86/boot/bzImage "$out/bzImage.tmp"
cp .config "$out/config"
mv "$out/bzImage.tmp" "$out/bzImage"
secs=$(($(date +%s) - start))
echo "$secs" >"$out/build-seconds"
cd /
rm -rf "$src"
log "built in ${secs}s: $out/bzImage"
echo "BUILD_SECONDS=$secs CACHED=0" >&2
echo "$out/bzImage"
