#!/bin/sh
# record.sh LOG LABEL [ARGS...]: append a record of this hook run to LOG:
# its label, mount and pid namespaces, arguments, environment and the state
# JSON read from stdin.  Works on the host and inside a busybox rootfs.
log=$1
label=$2
state=$(cat)
rec="BEGIN $label
mnt $(readlink /proc/self/ns/mnt)
pidns $(readlink /proc/self/ns/pid)
args $*
$(env | sed 's/^/env /')
state $state
END $label"
printf '%s\n' "$rec" >> "$log"
