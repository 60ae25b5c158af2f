#!/bin/sh
# Runs inside the qemu guest of bench-guest-hooks.sh (patched 6.1 kernel):
#   sh guest-hooks.sh ROUNDS HOOKS
# Times `run` of /bin/true with 0 and with HOOKS createRuntime hooks
# (/bin/true each) for
#   autoreap  our crun, run.oci.autoreap=1 (hooks on the clone3-autoreap rung)
#   fallback  our crun, run.oci.autoreap=0 (clone3-pidfd rung with its waiter,
#             what ours does on a kernel without CLONE_AUTOREAP)
#   crun      Debian's crun 1.8.1
# All three run with cgroup2 alone mounted at /sys/fs/cgroup (crun 1.8.1
# refuses the hybrid layout), the cgroupfs manager and --no-pivot (the
# guest's root is an initramfs).  Each round runs every (runtime, hook
# count) pair once in a rotated order.  Prints one line per sample:
#   BENCH RUNTIME HOOKS MICROSECONDS RC
rounds=$1
hooks=$2
w=/tmp/bench
mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "BENCH-ERROR cannot mount cgroup2"; exit 1; }
# the controllers a container's cgroup gets on a systemd-less v2 host
echo "+cpu +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p $w/rootfs/bin $w/rootfs/proc $w/state /run
cp /bin/busybox $w/rootfs/bin/busybox
chroot $w/rootfs /bin/busybox --install -s /bin

hook_array() { # COUNT
	i=0 sep=
	printf '['
	while [ $i -lt $1 ]; do
		printf '%s{"path": "/bin/true"}' "$sep"
		sep=', ' i=$((i + 1))
	done
	printf ']'
}
bundle() { # NAME HOOKS AUTOREAP
	mkdir -p $w/$1
	ln -sfn $w/rootfs $w/$1/rootfs
	cat > $w/$1/config.json <<JSON
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["true"],
              "env": ["PATH=/bin"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "hooks": {"createRuntime": $(hook_array $2)},
  "annotations": {"run.oci.autoreap": "$3"},
  "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}]}
}
JSON
}
for n in 0 $hooks; do
	bundle autoreap-$n $n 1
	bundle fallback-$n $n 0
	bundle crun-$n $n 0
done

bin() { # RUNTIME
	case $1 in
	crun) echo /usr/local/bin/debian-crun ;;
	*) echo /usr/local/bin/crun ;;
	esac
}
k=0
sample() { # RUNTIME HOOKS
	k=$((k + 1))
	t=$(/usr/local/bin/guest-timer $w/log "$(bin $1)" --cgroup-manager=cgroupfs --root $w/state \
		run --no-pivot --bundle $w/$1-$2 b$k)
	rc=$?
	echo "BENCH $1 $2 $t $rc"
	# a failed run may leave its container: remove it before the next
	[ $rc = 0 ] || "$(bin $1)" --root $w/state delete -f b$k > /dev/null 2>&1
}

# the rung each mode really uses, from our debug log
/usr/local/bin/crun --cgroup-manager=cgroupfs --root $w/state --debug run --no-pivot \
	--bundle $w/autoreap-$hooks probe-a 2>&1 | grep -m1 'hook #0' | sed 's/^/BENCH-RUNG autoreap: /'
/usr/local/bin/crun --cgroup-manager=cgroupfs --root $w/state --debug run --no-pivot \
	--bundle $w/fallback-$hooks probe-f 2>&1 | grep -m1 'hook #0' | sed 's/^/BENCH-RUNG fallback: /'
/usr/local/bin/debian-crun --version | head -n1 | sed 's/^/BENCH-CRUN /'

set -- autoreap fallback crun
r=0
while [ $r -lt $rounds ]; do
	# rotate the order every round so that drift hits all alike
	for rt in "$@"; do
		sample $rt 0
		sample $rt $hooks
	done
	set -- "$2" "$3" "$1"
	r=$((r + 1))
done
echo "BENCH-FAILURES $(grep -ci 'error\|fail' $w/log)"
grep -i 'error\|fail' $w/log | sort | uniq -c | head -n 5 | sed 's/^/BENCH-LOG /'
echo "BENCH-DONE"
