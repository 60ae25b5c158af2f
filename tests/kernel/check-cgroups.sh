#!/bin/bash
# The cgroupfs manager proven on every cgroup layout (issue 15): the
# patched 6.1 kernel that tests/kernel/check-kernel.sh builds (cached by
# build-kernel.sh; contrib/kernel/autoreap.config has the controllers) is
# booted under qemu once per layout, v2, v1 and hybrid, with a busybox
# initramfs whose /init runs tests/kernel/guest-cgroups.sh with our crun
# (and the cgroup unit tests, tests/unit/test_cgroup); then once more with
# systemd as PID 1 on pure cgroup v2, where tests/kernel/guest-systemd.sh
# drives the systemd cgroup manager (and tests/unit/test_systemd).  That
# guest's root is this machine's own root file system, shared read-only
# over 9p (virtio) under a tmpfs overlay: nothing to build or cache, and the
# guest sees this tree, our crun and Debian's systemd at their own paths.
#
# Run as root from a built tree: CRUN_BINARY names the crun to test.
# Environment:
#   CRUN_KERNEL_CACHE, CRUN_KERNEL_WORK  see build-kernel.sh
#   CHECK_CGROUPS_LAYOUTS   the guests to boot (default "v2 v1 hybrid systemd")
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
read -r -a layouts <<<"${CHECK_CGROUPS_LAYOUTS:-v2 v1 hybrid systemd}"

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
for t in test_cgroup test_systemd; do
	if [ ! -x "$repo/tests/unit/$t" ]; then
		make -C "$repo" --quiet "tests/unit/$t" >/dev/null 2>&1 || fatal "cannot build tests/unit/$t"
	fi
done
unitbin=$repo/tests/unit/test_cgroup
crun=$(realpath "$crun")
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
cp "$here/guest-cgroups.sh" "$here/guest-checks.sh" "$root/"
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

# The systemd guest's initramfs only mounts the host's root (9p) under a
# tmpfs overlay, writes the guest's own units into the overlay and hands
# over to systemd; crun-guest.target pulls in sysinit, the bus and
# crun-guest.service, which runs guest-systemd.sh and powers off.
sdroot=$work/initramfs-systemd
rm -rf "$sdroot"
initramfs_skeleton "$sdroot" || fatal "cannot lay out the systemd initramfs"
cat >"$sdroot/init" <<INIT
#!/bin/busybox sh
b=/bin/busybox
\$b mkdir -p /lower /upper /newroot
fail() { echo "GUEST-CG FAIL systemd: \$*"; echo "GUEST-DONE"; \$b poweroff -f; }
\$b mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /lower ||
	fail "cannot mount the host's root over 9p"
\$b mount -t tmpfs -o size=512m tmpfs /upper && \$b mkdir /upper/u /upper/w
\$b mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
	fail "cannot mount the overlay"
: >/newroot/etc/fstab
# This machine may itself be a container: its marker files would make the
# guest's systemd believe it runs in one (and ignore the kernel command line).
\$b rm -f /newroot/.dockerenv /newroot/run/.containerenv
\$b mkdir -p /newroot/etc/systemd/system
# what would walk the host's trees over 9p for minutes (tmpfiles, the hwdb,
# ldconfig) or cannot work in a guest (sysctl)
for u in systemd-tmpfiles-setup.service systemd-tmpfiles-clean.timer systemd-hwdb-update.service \
	ldconfig.service systemd-update-done.service systemd-journal-catalog-update.service \
	systemd-sysctl.service; do
	\$b ln -sf /dev/null /newroot/etc/systemd/system/\$u
done
\$b cat >/newroot/etc/systemd/system/crun-guest.target <<'UNIT'
[Unit]
Description=crun's systemd guest
Requires=sysinit.target dbus.socket crun-guest.service
After=sysinit.target dbus.socket
AllowIsolate=yes
UNIT
\$b cat >/newroot/etc/systemd/system/crun-guest.service <<'UNIT'
[Unit]
Description=crun's systemd cgroup manager checks
Requires=dbus.socket
After=dbus.socket
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'bash $here/guest-systemd.sh $crun $repo/tests/unit/test_systemd; echo "GUEST-CG-RESULT rc=\$\$?"; echo GUEST-DONE; systemctl poweroff -ff'
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
# SuccessAction= did not power the guest off here: the command does, with
# reboot(2) itself (-ff); this is the fallback should the shell fail
FailureAction=poweroff-immediate
UNIT
exec \$b switch_root /newroot /lib/systemd/systemd
INIT
chmod 755 "$sdroot/init"
sdinitrd=$work/initramfs-systemd.cpio.gz
initramfs_pack "$sdroot" "$sdinitrd" || fatal "cannot pack the systemd initramfs"

declare -a summary
for layout in "${layouts[@]}"; do
	logf=$work/boot-$layout.log
	start=$SECONDS
	if [ "$layout" = systemd ]; then
		args=(-m 1024 -initrd "$sdinitrd"
			-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
			-append "console=ttyS0 panic=-1 systemd.unit=crun-guest.target systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 systemd.log_color=0 loglevel=4")
	else
		args=(-m 512 -initrd "$initrd" -append "console=ttyS0 panic=-1 cg_layout=$layout")
	fi
	timeout "$timeout_s" qemu-system-x86_64 -smp 2 -kernel "$kernel" "${args[@]}" \
		-nographic -no-reboot </dev/null >"$logf" 2>&1
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
