#!/bin/bash
# The cgroupfs manager proven on every cgroup layout (issue 15): the
# patched 6.1 kernel that tests/kernel/check-kernel.sh builds (cached by
# build-kernel.sh; contrib/kernel/autoreap.config has the controllers) is
# booted under qemu once per layout, v2, v1 and hybrid, with a busybox
# initramfs whose /init runs tests/kernel/guest-cgroups.sh with our crun
# (and the cgroup unit tests, tests/unit/test_cgroup).
#
# Run as root from a built tree: CRUN_BINARY names the crun to test.
# Environment:
#   CRUN_KERNEL_CACHE, CRUN_KERNEL_WORK  see build-kernel.sh
#   CHECK_CGROUPS_LAYOUTS   the layouts to boot (default "v2 v1 hybrid")
#   CHECK_CGROUPS_TIMEOUT   seconds per boot (default 600)
# Prints each guest's check lines and its "passed, failed, skipped" line,
# and last one line adding them up; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=initramfs.sh
. "$here/initramfs.sh"
work=${CRUN_KERNEL_WORK:-/var/tmp/crun-autoreap-work}/cgroups
timeout_s=${CHECK_CGROUPS_TIMEOUT:-600}
read -r -a layouts <<<"${CHECK_CGROUPS_LAYOUTS:-v2 v1 hybrid}"

total_pass=0 total_fail=0 total_skip=0
log() { echo "check-cgroups: $*"; }
fatal() {
	log "FATAL: $*"
	echo "$total_pass passed, $((total_fail + 1)) failed, $total_skip skipped"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fatal "must run as root"
crun=${CRUN_BINARY:-$repo/crun}
[ -x "$crun" ] || fatal "no crun at $crun: build the tree first (contrib/build.sh)"
unitbin=$repo/tests/unit/test_cgroup
if [ ! -x "$unitbin" ]; then
	make -C "$repo" --quiet tests/unit/test_cgroup >/dev/null 2>&1 ||
		fatal "cannot build tests/unit/test_cgroup"
fi
mkdir -p "$work"

t0=$SECONDS
kernel=$(bash "$here/build-kernel.sh" patched 2>"$work/build.log" | tail -n1)
[ -s "$kernel" ] || {
	tail -n 20 "$work/build.log"
	fatal "building the patched kernel failed (log: $work/build.log)"
}
grep -q "cache hit" "$work/build.log" && how=cached || how=built
log "kernel: $how $kernel in $((SECONDS - t0))s"

root=$work/initramfs
rm -rf "$root"
initramfs_skeleton "$root" || fatal "cannot lay out the initramfs (is busybox-static installed?)"
cp "$crun" "$root/usr/local/bin/crun"
cp "$unitbin" "$root/tests/test_cgroup"
cp "$here/guest-cgroups.sh" "$root/guest-cgroups.sh"
initramfs_add_libs "$root" "$crun" "$unitbin"
{
	initramfs_init_prologue
	cat <<'EOF'
layout=$(sed -n 's/.*cg_layout=\([a-z0-9]*\).*/\1/p' /proc/cmdline)
echo "guest: kernel $(uname -r), layout $layout"
cd /tmp
sh /guest-cgroups.sh "$layout" /usr/local/bin/crun
echo "GUEST-CG-RESULT rc=$?"
echo "GUEST-DONE"
poweroff -f
EOF
} >"$root/init"
chmod 755 "$root/init"
initrd=$work/initramfs.cpio.gz
initramfs_pack "$root" "$initrd" || fatal "cannot pack the initramfs"

# The unit tests' TAP lines: passes, failures, skips.
count_unit() { # logfile -> "pass fail skip"
	local lines
	lines=$(grep -a '^GUEST-CGUNIT ' "$1" | sed 's/^GUEST-CGUNIT //' | tr -d '\r')
	echo "$(grep '^ok ' <<<"$lines" | grep -vc '# SKIP') $(grep -c '^not ok' <<<"$lines")" \
		"$(grep -c '^ok .*# SKIP' <<<"$lines")"
}

declare -a summary
for layout in "${layouts[@]}"; do
	logf=$work/boot-$layout.log
	start=$SECONDS
	timeout "$timeout_s" qemu-system-x86_64 -m 512 -smp 2 -kernel "$kernel" -initrd "$initrd" \
		-nographic -append "console=ttyS0 panic=-1 cg_layout=$layout" -no-reboot \
		</dev/null >"$logf" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	grep -a '^GUEST-CG \|^GUEST-CGUNIT not ok' "$logf" | tr -d '\r' | sed "s/^/check-cgroups: /"
	if [ $rc -eq 124 ] || ! grep -aq GUEST-DONE "$logf"; then
		tail -n 20 "$logf"
		log "$layout: the guest did not finish (qemu rc $rc, log: $logf)"
		total_fail=$((total_fail + 1))
		summary+=("$layout: did not finish in ${secs}s")
		continue
	fi
	line=$(grep -a '^GUEST-CG-TOTAL' "$logf" | tr -d '\r' | tail -n1)
	p=$(sed -n 's/.*pass=\([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*fail=\([0-9]*\).*/\1/p' <<<"$line")
	s=$(sed -n 's/.*skip=\([0-9]*\).*/\1/p' <<<"$line")
	read -r up uf us <<<"$(count_unit "$logf")"
	if [ -z "$p" ] || ! grep -aq '^GUEST-CGUNIT 1\.\.[0-9]' "$logf"; then
		log "$layout: no totals or no unit-test plan (log: $logf)"
		f=$((${f:-0} + 1))
	fi
	grep -aq '^GUEST-CG-RESULT rc=0' "$logf" || [ "${f:-0}" -gt 0 ] || f=1
	log "$layout guest: $p passed, $f failed, $s skipped; unit tests: $up passed, $uf failed, $us skipped (${secs}s)"
	summary+=("$layout: checks $p/$f/$s, unit $up/$uf/$us, ${secs}s")
	total_pass=$((total_pass + ${p:-0} + up))
	total_fail=$((total_fail + ${f:-0} + uf))
	total_skip=$((total_skip + ${s:-0} + us))
done

log "---------------- summary (passed/failed/skipped) ----------------"
printf 'check-cgroups:   %s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
