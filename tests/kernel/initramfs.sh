# Helpers that fill and pack a busybox initramfs for a qemu guest.  Sourced
# (not run) by tests/kernel/check-kernel.sh and bench/bench-guest-hooks.sh.

# initramfs_skeleton ROOT: the directories, busybox (from busybox-static)
# and the device nodes every guest's /init starts from.
initramfs_skeleton() {
	mkdir -p "$1"/{bin,sbin,dev,proc,sys,tmp,run,tests,usr/bin,usr/sbin,usr/local/bin} || return 1
	cp /bin/busybox "$1/bin/busybox" || return 1
	mknod -m 600 "$1/dev/console" c 5 1 &&
		mknod -m 666 "$1/dev/null" c 1 3
}

# initramfs_add_libs ROOT BINARY...: the shared libraries the binaries need,
# as ldd lists them ("name => /path (addr)" and "/lib64/ld-linux... (addr)"),
# at the same paths under ROOT.
initramfs_add_libs() {
	local root=$1 lib
	shift
	ldd "$@" 2>/dev/null | grep -o '/[^ ]*' | grep -v ':$' | sort -u | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# initramfs_pack ROOT OUT: a gzip'd newc cpio archive of ROOT.
initramfs_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -6) >"$2"
}

# initramfs_init_prologue: the first lines of every guest's /init (busybox's
# applets, /proc, /sys, /dev, /tmp, /run), for a heredoc that writes /init.
initramfs_init_prologue() {
	cat <<'PROLOGUE'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
PROLOGUE
}
