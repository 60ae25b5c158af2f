#!/bin/bash
# End-to-end proof of the CLONE_AUTOREAP kernel series (contrib/kernel/).
#
# Run as root, from anywhere. It:
#   1. installs what is missing (linux-source-6.1, qemu, busybox-static,
#      cpio, kernel build dependencies) with apt-get;
#   2. builds two Debian 6.1 kernels from `make tinyconfig` plus
#      contrib/kernel/autoreap.config, one with the series applied and one
#      without, each cached by build-kernel.sh (series, fragment, package
#      version and gcc version form the key);
#   3. builds the series' selftest (pidfd_autoreap_test) with gcc -static;
#   4. boots each kernel under qemu (TCG) with a busybox initramfs whose
#      /init runs the selftest, prints a result line and powers off;
#   5. runs the same selftest on the host kernel.
# Expected: every test passes on the patched kernel; on the unpatched
# kernel and on a host kernel without CLONE_AUTOREAP every test skips
# (none passes). Any other outcome, a boot that does not finish, a missing
# result line or a timeout makes the script exit non-zero.
#
# Environment:
#   CRUN_KERNEL_CACHE, CRUN_KERNEL_WORK  see build-kernel.sh
#   CHECK_KERNEL_BOOT_TIMEOUT            seconds per qemu boot (default 300)
#   CRUN_BINARY                          optional, see "guest-crun hook"
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
kdir=$repo/contrib/kernel
work=${CRUN_KERNEL_WORK:-/var/tmp/crun-autoreap-work}
boot_timeout=${CHECK_KERNEL_BOOT_TIMEOUT:-300}
tarball=/usr/src/linux-source-6.1.tar.xz
result_tag=AUTOREAP-GUEST-RESULT

total_pass=0
total_fail=0
total_skip=0
problems=()

log() { echo "check-kernel: $*"; }
problem() {
	log "FAIL: $*"
	problems+=("$*")
	total_fail=$((total_fail + 1))
}
fatal() {
	log "FATAL: $*"
	echo "$total_pass passed, $((total_fail + 1)) failed, $total_skip skipped"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fatal "must run as root"

# ---------------------------------------------------------------- packages
ensure_packages() {
	local want=(linux-source-6.1 qemu-system-x86 busybox-static cpio
		build-essential bc bison flex libelf-dev libssl-dev perl
		python3 xz-utils patch gzip kmod)
	local missing=() p
	for p in "${want[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed"; then
			missing+=("$p")
		fi
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	apt-get update -q || fatal "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" || fatal "apt-get install failed"
}
ensure_packages

mkdir -p "$work"

# ----------------------------------------------------------------- kernels
declare -A bzimage build_secs
for variant in patched unpatched; do
	start=$(date +%s)
	out=$(bash "$here/build-kernel.sh" "$variant" 2>"$work/build-$variant.log" | tail -n1)
	rc=$?
	build_secs[$variant]=$(($(date +%s) - start))
	if [ $rc -ne 0 ] || [ ! -s "$out" ]; then
		tail -n 30 "$work/build-$variant.log"
		fatal "building the $variant kernel failed (log: $work/build-$variant.log)"
	fi
	bzimage[$variant]=$out
	if grep -q "cache hit" "$work/build-$variant.log"; then
		log "$variant kernel: cached $out (lookup ${build_secs[$variant]}s; built in $(cat "$(dirname "$out")/build-seconds" 2>/dev/null || echo '?')s originally)"
	else
		log "$variant kernel: built in ${build_secs[$variant]}s -> $out"
	fi
done

# --------------------------------------------------------------- selftest
# Only the selftest files are needed: unpack them and apply the series'
# selftest patch, which also proves that it applies on its own.
st=$work/selftest
rm -rf "$st"
mkdir -p "$st"
tar -C "$st" --strip-components=1 -xf "$tarball" \
	--wildcards 'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
	'linux-source-6.1/tools/testing/selftests/pidfd/*' ||
	fatal "cannot unpack selftests from $tarball"
stpatch=$(ls "$kdir"/[0-9][0-9][0-9][0-9]-selftests-*.patch 2>/dev/null | head -n1)
[ -n "$stpatch" ] || fatal "no selftest patch in $kdir"
patch -d "$st" -p1 --batch --quiet <"$stpatch" || fatal "$stpatch does not apply"
testbin=$st/pidfd_autoreap_test
gcc -static -O2 -g -Wall -pthread -o "$testbin" \
	"$st/tools/testing/selftests/pidfd/pidfd_autoreap_test.c" ||
	fatal "building the selftest failed"
log "selftest built: $testbin"

# Parse the harness' "# Totals: pass:N fail:N ... skip:N" line from a log.
declare -A cnt_pass cnt_fail cnt_skip
parse_totals() { # name logfile
	local line
	line=$(grep -a '# Totals: pass:' "$2" | tail -n1)
	if [ -z "$line" ]; then
		return 1
	fi
	# careful: "xpass:" and "xfail:" follow; anchor on the leading space
	cnt_pass[$1]=$(sed -n 's/.*Totals: pass:\([0-9]*\).*/\1/p' <<<"$line")
	cnt_fail[$1]=$(sed -n 's/.* fail:\([0-9]*\).*/\1/p' <<<"$line")
	cnt_skip[$1]=$(sed -n 's/.* skip:\([0-9]*\).*/\1/p' <<<"$line")
	local err
	err=$(sed -n 's/.* error:\([0-9]*\).*/\1/p' <<<"$line")
	cnt_fail[$1]=$((cnt_fail[$1] + ${err:-0}))
}

# --------------------------------------------------------------- initramfs
guest_crun=0
rootfs=$work/initramfs
rm -rf "$rootfs"
mkdir -p "$rootfs"/{bin,sbin,dev,proc,sys,tmp,tests,usr/bin,usr/sbin}
cp /bin/busybox "$rootfs/bin/busybox" || fatal "no /bin/busybox (busybox-static)"
cp "$testbin" "$rootfs/tests/"
mknod -m 600 "$rootfs/dev/console" c 5 1
mknod -m 666 "$rootfs/dev/null" c 1 3

# ---- guest-crun hook (optional extension point) -------------------------
# When CRUN_BINARY names a runnable crun and tests/kernel/guest-crun.sh
# exists, both go into the initramfs with the shared libraries the binary
# needs (libseccomp, libyajl, libcap, libc... as listed by ldd), and /init
# runs `sh /guest-crun.sh /usr/local/bin/crun` after the selftests. The
# script's exit code is reported as GUEST-CRUN-RESULT and must be 0.
if [ -n "${CRUN_BINARY:-}" ] && [ -f "$here/guest-crun.sh" ]; then
	[ -x "$CRUN_BINARY" ] || fatal "CRUN_BINARY=$CRUN_BINARY is not executable"
	mkdir -p "$rootfs/usr/local/bin"
	cp "$CRUN_BINARY" "$rootfs/usr/local/bin/crun"
	cp "$here/guest-crun.sh" "$rootfs/guest-crun.sh"
	# The zombie check of guest-crun.sh runs crun under a subreaper.
	gcc -static -O2 -o "$rootfs/usr/local/bin/subreaper" "$repo/tests/guest/subreaper.c" ||
		fatal "cannot build tests/guest/subreaper.c"
	# ldd prints "name => /path (addr)" and "/lib64/ld-linux... (addr)".
	ldd "$CRUN_BINARY" 2>/dev/null | grep -o '/[^ ]*' | sort -u | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$rootfs$(dirname "$lib")"
		cp -L "$lib" "$rootfs$lib"
	done
	guest_crun=1
	log "guest-crun hook enabled: $CRUN_BINARY"
fi
# -------------------------------------------------------------------------

cat >"$rootfs/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
echo "guest: kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) cpus"
cd /tmp
/tests/pidfd_autoreap_test
rc=\$?
echo "$result_tag selftest-rc=\$rc"
if [ $guest_crun = 1 ] && [ -f /guest-crun.sh ]; then
	sh /guest-crun.sh /usr/local/bin/crun
	echo "GUEST-CRUN-RESULT rc=\$?"
fi
echo "GUEST-DONE"
poweroff -f
EOF
chmod 755 "$rootfs/init"
initrd=$work/initramfs.cpio.gz
(cd "$rootfs" && find . | cpio -o -H newc --quiet | gzip -9) >"$initrd" ||
	fatal "cannot build the initramfs"
log "initramfs: $initrd ($(du -h "$initrd" | cut -f1))"

# ------------------------------------------------------------------- boots
declare -A boot_secs
boot() { # variant
	local v=$1 logf=$work/boot-$1.log start rc
	start=$(date +%s)
	timeout "$boot_timeout" qemu-system-x86_64 -m 512 -smp 2 \
		-kernel "${bzimage[$v]}" -initrd "$initrd" -nographic \
		-append 'console=ttyS0 panic=-1' -no-reboot </dev/null >"$logf" 2>&1
	rc=$?
	boot_secs[$v]=$(($(date +%s) - start))
	if [ $rc -eq 124 ]; then
		problem "$v kernel: qemu timed out after ${boot_timeout}s (log: $logf)"
		return 1
	fi
	if ! grep -aq "^$result_tag" "$logf"; then
		problem "$v kernel: no result line, boot did not finish (qemu rc $rc, log: $logf)"
		tail -n 20 "$logf"
		return 1
	fi
	if ! grep -aq "GUEST-DONE" "$logf"; then
		problem "$v kernel: /init did not finish (log: $logf)"
		return 1
	fi
	if ! parse_totals "$v" "$logf"; then
		problem "$v kernel: selftest printed no totals (log: $logf)"
		return 1
	fi
	if [ $guest_crun = 1 ]; then
		grep -a "^GUEST-CRUN" "$logf" | sed "s/^/check-kernel: $v: /"
		if ! grep -aq "^GUEST-CRUN-RESULT rc=0" "$logf"; then
			problem "$v kernel: guest-crun.sh failed: $(grep -a GUEST-CRUN-RESULT "$logf")"
		fi
		# The runtime must see CLONE_AUTOREAP exactly on the patched kernel.
		local want=unsupported
		[ "$v" = patched ] && want=supported
		if ! grep -aq "^GUEST-CRUN autoreap=$want" "$logf"; then
			problem "$v kernel: crun should report CLONE_AUTOREAP $want"
		fi
	fi
	return 0
}

for variant in patched unpatched; do
	log "booting the $variant kernel"
	if boot "$variant"; then
		log "$variant kernel: boot+tests took ${boot_secs[$variant]}s"
	fi
done

# ---------------------------------------------------------------- host run
"$testbin" >"$work/host.log" 2>&1
if ! parse_totals host "$work/host.log"; then
	problem "host kernel: selftest printed no totals (log: $work/host.log)"
fi

# ------------------------------------------------------------- verdicts
report() { # name description
	local n=$1
	if [ -z "${cnt_pass[$n]:-}" ]; then
		log "$2: no results"
		return
	fi
	log "$2: ${cnt_pass[$n]} passed, ${cnt_fail[$n]} failed, ${cnt_skip[$n]} skipped"
	total_pass=$((total_pass + cnt_pass[$n]))
	total_fail=$((total_fail + cnt_fail[$n]))
	total_skip=$((total_skip + cnt_skip[$n]))
}

echo
log "---------------- summary ----------------"
for variant in patched unpatched; do
	log "$variant kernel build: ${build_secs[$variant]}s$(grep -q 'cache hit' "$work/build-$variant.log" && echo ' (cached)')"
done
for variant in patched unpatched; do
	log "$variant kernel boot (boot, selftests, poweroff): ${boot_secs[$variant]:-?}s"
done
report patched "patched 6.1 ($(basename "$(dirname "${bzimage[patched]}")"))"
report unpatched "unpatched 6.1"
report host "host kernel $(uname -r)"

# Patched: everything must run and pass.
if [ -n "${cnt_pass[patched]:-}" ]; then
	if [ "${cnt_fail[patched]}" -ne 0 ] || [ "${cnt_skip[patched]}" -ne 0 ] ||
		[ "${cnt_pass[patched]}" -eq 0 ]; then
		problem "patched kernel: expected only passes"
	fi
fi
# Unpatched 6.1: the flag is unknown, every test must skip.
if [ -n "${cnt_pass[unpatched]:-}" ]; then
	if [ "${cnt_pass[unpatched]}" -ne 0 ] || [ "${cnt_skip[unpatched]}" -eq 0 ]; then
		problem "unpatched kernel: expected skips and no passes"
	fi
fi
# Host: skips are expected on kernels before 7.1 (where CLONE_AUTOREAP was
# merged); a newer host kernel only has to pass.
host_ver=$(uname -r | sed 's/^\([0-9]*\)\.\([0-9]*\).*/\1 \2/')
read -r hmaj hmin <<<"$host_ver"
if [ -n "${cnt_pass[host]:-}" ]; then
	if [ "$hmaj" -lt 7 ] || { [ "$hmaj" -eq 7 ] && [ "$hmin" -lt 1 ]; }; then
		if [ "${cnt_pass[host]}" -ne 0 ] || [ "${cnt_skip[host]}" -eq 0 ]; then
			problem "host kernel $(uname -r): expected skips and no passes"
		fi
	elif [ "${cnt_fail[host]}" -ne 0 ]; then
		problem "host kernel $(uname -r): failures"
	fi
fi

for p in "${problems[@]}"; do
	log "problem: $p"
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "${#problems[@]}" -eq 0 ] && [ "$total_fail" -eq 0 ]
