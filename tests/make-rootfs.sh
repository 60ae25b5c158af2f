#!/bin/sh
# Build a minimal busybox rootfs at DEST without network access.
#   tests/make-rootfs.sh DEST
# Idempotent: if DEST/.rootfs-stamp matches this script's version and the
# busybox binary, nothing is done.  Also installs the static test helpers from
# tests/integration/helpers/*.c (built with gcc -static) into DEST/bin/.
set -eu

DEST=${1:?usage: $0 DEST}
HERE=$(cd "$(dirname "$0")" && pwd)
STAMP_VERSION=2

if ! dpkg -s busybox-static >/dev/null 2>&1; then
    echo "make-rootfs: installing busybox-static" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null 2>&1 || {
        apt-get update >/dev/null 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >/dev/null
    }
fi

HELPERS=$(ls "$HERE"/integration/helpers/*.c 2>/dev/null || true)
# The stamp covers the script version, busybox and helper sources.
want=$( { echo "$STAMP_VERSION"; cksum < /bin/busybox; for h in $HELPERS; do cksum < "$h"; done; } | cksum)
if [ -f "$DEST/.rootfs-stamp" ] && [ "$(cat "$DEST/.rootfs-stamp")" = "$want" ]; then
    exit 0
fi

mkdir -p "$DEST"
cd "$DEST"
mkdir -p bin sbin usr/bin usr/sbin etc tmp proc sys dev root home/user var/tmp run
chmod 1777 tmp var/tmp
cp /bin/busybox bin/busybox
chroot "$DEST" /bin/busybox --install -s /bin

cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
tty:x:5:
user:x:1000:
nogroup:x:65534:
G
: > etc/hostname
chown 1000:1000 home/user

for h in $HELPERS; do
    name=$(basename "$h" .c)
    gcc -static -O2 -o "bin/$name" "$h"
done

echo "$want" > .rootfs-stamp
