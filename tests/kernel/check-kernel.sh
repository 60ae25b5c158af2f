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
#   4. boots the patched kernel with 2 and with 4 vCPUs and the unpatched
#      one with 2, under qemu (TCG), with a busybox initramfs whose /init
#      runs the selftest (including the PIDFD_GET_INFO stress test), the
#      spawner's unit tests (tests/unit/test_spawn) and, with CRUN_BINARY,
#      tests/kernel/guest-crun.sh, prints result lines and powers off;
#   5. runs the same selftest on the host kernel.
# Expected: every selftest passes on the patched kernel; on the unpatched
# kernel and on a host kernel without CLONE_AUTOREAP every selftest skips
# (none passes). The unit tests pass everywhere, and on the patched kernel
# the autoreap-rung ones must run, not skip. Any other outcome, a boot that
# does not finish, a missing result line or a timeout makes the script
# exit non-zero.
#
# Environment:
#   CRUN_KERNEL_CACHE, CRUN_KERNEL_WORK  see build-kernel.sh
#   CHECK_KERNEL_BOOT_TIMEOUT            seconds per qemu boot (default 900)
#   CHECK_KERNEL_BOOTS                   the boots to run, a subset of
#                                        "patched-smp2 patched-smp4 unpatched-smp2"
#                                        (default: all three)
#   CRUN_BINARY                          optional, see "guest-crun hook"
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=initramfs.sh
. "$here/initramfs.sh"
kdir=$repo/contrib/kernel
work=${CRUN_KERNEL_WORK:-/var/tmp/crun-autoreap-work}
boot_timeout=${CHECK_KERNEL_BOOT_TIMEOUT:-900}
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
stpatches=("$kdir"/[0-9][0-9][0-9][0-9]-selftests-*.patch)
[ -f "${stpatches[0]}" ] || fatal "no selftest patch in $kdir"
for stpatch in "${stpatches[@]}"; do
	patch -d "$st" -p1 --batch --quiet <"$stpatch" || fatal "$stpatch does not apply"
done
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
initramfs_skeleton "$rootfs" || fatal "cannot lay out the initramfs (is busybox-static installed?)"
cp "$testbin" "$rootfs/tests/"

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
	initramfs_add_libs "$rootfs" "$CRUN_BINARY"
	# The seccomp stress of guest-crun.sh: the project's default container
	# profile rendered here (the guest has no python).
	python3 "$repo/contrib/seccomp/render.py" "$repo/contrib/seccomp/default.json" \
		--drop-unknown >"$rootfs/seccomp.json" 2>"$work/render.log" ||
		fatal "cannot render contrib/seccomp/default.json (log: $work/render.log)"
	guest_crun=1
	log "guest-crun hook enabled: $CRUN_BINARY"
fi
# The spawner's unit tests, whose autoreap-rung tests only run on a kernel
# with CLONE_AUTOREAP (they need nothing but libc, /bin/sh, /bin/true...).
unitbin=$repo/tests/unit/test_spawn
if [ ! -x "$unitbin" ] && [ -f "$repo/Makefile" ]; then
	make -C "$repo" --quiet tests/unit/test_spawn >"$work/unit-build.log" 2>&1 ||
		fatal "cannot build tests/unit/test_spawn (log: $work/unit-build.log)"
fi
[ -x "$unitbin" ] || fatal "no $unitbin: build the tree first (contrib/build.sh)"
cp "$unitbin" "$rootfs/tests/test_spawn"
initramfs_add_libs "$rootfs" "$unitbin"
# -------------------------------------------------------------------------

{
	initramfs_init_prologue
	cat <<EOF
echo "guest: kernel \$(uname -r), \$(grep -c ^processor /proc/cpuinfo) cpus"
cd /tmp
/tests/pidfd_autoreap_test
rc=\$?
echo "$result_tag selftest-rc=\$rc"
/tests/test_spawn | sed 's/^/GUEST-UNIT /'
# crun_stress_runs=N on the kernel command line: runs of guest-crun.sh's
# stress part
runs=\$(sed -n 's/.*crun_stress_runs=\([0-9]*\).*/\1/p' /proc/cmdline)
if [ $guest_crun = 1 ] && [ -f /guest-crun.sh ]; then
	STRESS_RUNS=\${runs:-30} sh /guest-crun.sh /usr/local/bin/crun
	echo "GUEST-CRUN-RESULT rc=\$?"
fi
echo "GUEST-DONE"
poweroff -f
EOF
} >"$rootfs/init"
chmod 755 "$rootfs/init"
initrd=$work/initramfs.cpio.gz
initramfs_pack "$rootfs" "$initrd" ||
	fatal "cannot build the initramfs"
log "initramfs: $initrd ($(du -h "$initrd" | cut -f1))"

# ------------------------------------------------------------------- boots
# One boot per (kernel, vCPU count). The PIDFD_GET_INFO race of issue 17
# only shows with several CPUs, so the patched kernel boots with 2 and 4.
# The unpatched kernel runs fewer stress runs: it only has to show that the
# fallback rung never fails.
read -r -a boots <<<"${CHECK_KERNEL_BOOTS:-patched-smp2 patched-smp4 unpatched-smp2}"
declare -A boot_secs boot_variant boot_smp boot_runs
boot_variant=([patched-smp2]=patched [patched-smp4]=patched [unpatched-smp2]=unpatched)
boot_smp=([patched-smp2]=2 [patched-smp4]=4 [unpatched-smp2]=2)
boot_runs=([patched-smp2]=30 [patched-smp4]=30 [unpatched-smp2]=5)

# The unit tests' TAP lines, prefixed GUEST-UNIT by /init: counts, and the
# names of the tests that passed without skipping.
declare -A unit_pass unit_fail unit_skip unit_ran
parse_unit() { # name logfile
	local lines
	lines=$(grep -a '^GUEST-UNIT ' "$2" | sed 's/^GUEST-UNIT //' | tr -d '\r')
	grep -q '^1\.\.[0-9]' <<<"$lines" || return 1
	unit_fail[$1]=$(grep -c '^not ok' <<<"$lines")
	unit_skip[$1]=$(grep -c '^ok .* # SKIP' <<<"$lines")
	unit_pass[$1]=$(($(grep -c '^ok ' <<<"$lines") - unit_skip[$1]))
	unit_ran[$1]=$(grep '^ok ' <<<"$lines" | grep -v '# SKIP' | sed 's/^ok [0-9]* - //' | tr '\n' ' ')
	grep '^not ok\|check failed' <<<"$lines" | sed "s/^/check-kernel: $1: unit: /"
	return 0
}

boot() { # name
	local b=$1 v=${boot_variant[$1]} logf=$work/boot-$1.log start rc
	start=$(date +%s)
	timeout "$boot_timeout" qemu-system-x86_64 -m 512 -smp "${boot_smp[$b]}" \
		-kernel "${bzimage[$v]}" -initrd "$initrd" -nographic \
		-append "console=ttyS0 panic=-1 crun_stress_runs=${boot_runs[$b]}" \
		-no-reboot </dev/null >"$logf" 2>&1
	rc=$?
	boot_secs[$b]=$(($(date +%s) - start))
	if [ $rc -eq 124 ]; then
		problem "$b: qemu timed out after ${boot_timeout}s (log: $logf)"
		return 1
	fi
	if ! grep -aq "^$result_tag" "$logf"; then
		problem "$b: no result line, boot did not finish (qemu rc $rc, log: $logf)"
		tail -n 20 "$logf"
		return 1
	fi
	if ! grep -aq "GUEST-DONE" "$logf"; then
		problem "$b: /init did not finish (log: $logf)"
		return 1
	fi
	grep -a 'cpus\|stress\.\|children\|status at POLLIN' "$logf" | grep -av '^#  *RUN\|^ok\|^not ok' |
		sed "s/^/check-kernel: $b: /"
	if ! parse_totals "$b" "$logf"; then
		problem "$b: selftest printed no totals (log: $logf)"
		return 1
	fi
	if ! parse_unit "$b" "$logf"; then
		problem "$b: the unit tests printed no TAP plan (log: $logf)"
	else
		log "$b: unit tests: ${unit_pass[$b]} passed, ${unit_fail[$b]} failed, ${unit_skip[$b]} skipped"
		[ "${unit_fail[$b]}" -eq 0 ] || problem "$b: unit test failures"
		if [ "$v" = patched ]; then
			local t
			for t in test_rung_autoreap test_rung_cache_normal_then_autoreap \
				test_autoreap_pidfd_info_esrch_once test_autoreap_pidfd_info_esrch_after_hangup; do
				grep -qw "$t" <<<"${unit_ran[$b]}" || problem "$b: unit test $t did not pass"
			done
		fi
	fi
	if [ $guest_crun = 1 ]; then
		grep -a "^GUEST-CRUN" "$logf" | sed "s/^/check-kernel: $b: /"
		if ! grep -aq "^GUEST-CRUN-RESULT rc=0" "$logf"; then
			problem "$b: guest-crun.sh failed: $(grep -a GUEST-CRUN-RESULT "$logf")"
		fi
		# The runtime must see CLONE_AUTOREAP exactly on the patched kernel.
		local want=unsupported
		[ "$v" = patched ] && want=supported
		if ! grep -aq "^GUEST-CRUN autoreap=$want" "$logf"; then
			problem "$b: crun should report CLONE_AUTOREAP $want"
		fi
	fi
	return 0
}

for b in "${boots[@]}"; do
	log "booting $b (${boot_variant[$b]} kernel, ${boot_smp[$b]} vCPUs)"
	if boot "$b"; then
		log "$b: boot+tests took ${boot_secs[$b]}s"
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
for b in "${boots[@]}"; do
	log "$b boot (boot, selftests, unit tests, guest-crun, poweroff): ${boot_secs[$b]:-?}s"
done
for b in "${boots[@]}"; do
	report "$b" "$b selftest, ${boot_variant[$b]} 6.1 ($(basename "$(dirname "${bzimage[${boot_variant[$b]}]}")"))"
	if [ -n "${unit_pass[$b]:-}" ]; then
		total_pass=$((total_pass + unit_pass[$b]))
		total_fail=$((total_fail + unit_fail[$b]))
		total_skip=$((total_skip + unit_skip[$b]))
	fi
done
report host "host kernel $(uname -r)"

for b in "${boots[@]}"; do
	[ -n "${cnt_pass[$b]:-}" ] || continue
	if [ "${boot_variant[$b]}" = patched ]; then
		# Patched: everything must run and pass.
		if [ "${cnt_fail[$b]}" -ne 0 ] || [ "${cnt_skip[$b]}" -ne 0 ] ||
			[ "${cnt_pass[$b]}" -eq 0 ]; then
			problem "$b: expected only selftest passes"
		fi
	else
		# Unpatched 6.1: the flag is unknown, every selftest must skip.
		if [ "${cnt_pass[$b]}" -ne 0 ] || [ "${cnt_skip[$b]}" -eq 0 ]; then
			problem "$b: expected selftest skips and no passes"
		fi
	fi
done
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
