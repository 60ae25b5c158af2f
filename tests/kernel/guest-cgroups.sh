#!/bin/sh
# Runs inside a qemu guest (tests/kernel/check-cgroups.sh): lays out the
# cgroup file system one way, then drives our crun through the cgroupfs
# manager there.
#   sh guest-cgroups.sh v2|v1|hybrid /usr/local/bin/crun
#   v2      cgroup2 on /sys/fs/cgroup, every controller enabled in the
#           root's cgroup.subtree_control (what systemd does)
#   v1      each controller on its own cgroup v1 hierarchy (cpu and cpuacct
#           together, as systemd mounts them), a name=systemd hierarchy, no
#           cgroup2
#   hybrid  the v1 layout plus cgroup2 on /sys/fs/cgroup/unified
# Prints "GUEST-CG ok|FAIL|skip <what>" per check, the cgroup unit tests'
# TAP lines prefixed "GUEST-CGUNIT ", and last
# "GUEST-CG-TOTAL pass=N fail=N skip=N".
layout=$1
crun=$2
guest=$layout
. "$(dirname "$0")/guest-checks.sh"

cg=/sys/fs/cgroup
v1_hierarchies() {
	mount -t tmpfs -o mode=755 cgroup_root $cg
	for c in cpuset memory pids freezer devices blkio hugetlb; do
		mkdir $cg/$c && mount -t cgroup -o $c cgroup $cg/$c || return 1
	done
	mkdir $cg/cpu,cpuacct && mount -t cgroup -o cpu,cpuacct cgroup $cg/cpu,cpuacct || return 1
	ln -s cpu,cpuacct $cg/cpu && ln -s cpu,cpuacct $cg/cpuacct &&
		mkdir $cg/systemd && mount -t cgroup -o none,name=systemd cgroup $cg/systemd
}
set_up_layout() {
	case $layout in
	v2)
		mount -t cgroup2 cgroup2 $cg || return 1
		for c in $(cat $cg/cgroup.controllers); do
			echo "+$c" >$cg/cgroup.subtree_control || return 1
		done
		;;
	v1) v1_hierarchies ;;
	hybrid) v1_hierarchies && mkdir $cg/unified && mount -t cgroup2 cgroup2 $cg/unified ;;
	*) return 1 ;;
	esac
}
if set_up_layout; then
	ok "layout mounted: $(grep cgroup /proc/mounts | awk '{print $3 ":" $2}' | tr '\n' ' ')"
else
	bad "cannot mount the $layout layout"
	finish
fi

# The layout's file for a v1 controller's file or its v2 counterpart:
# cgfile PATH V1_CONTROLLER V1_FILE V2_FILE
cgfile() {
	if [ $layout = v2 ]; then echo "$cg$1/$4"; else echo "$cg/$2$1/$3"; fi
}
# cgread PATH V1_CONTROLLER V1_FILE V2_FILE: the file's first line
cgread() {
	head -n1 "$(cgfile "$@")" 2>&1
}
# every directory that is the cgroup PATH on some hierarchy
cgdirs() {
	if [ $layout = v2 ]; then
		[ -d "$cg$1" ] && echo "$cg$1"
	else
		for h in $cg/*/; do
			[ -L "${h%/}" ] && continue
			[ -d "$h${1#/}" ] && echo "$h${1#/}"
		done
	fi
}

# the cgroup unit tests (tests/unit/test_cgroup.c) on this layout
if [ -x /tests/test_cgroup ]; then
	/tests/test_cgroup 2>&1 | sed 's/^/GUEST-CGUNIT /'
fi

work=/tmp/guest-cg
rm -rf $work
mkdir -p $work/bundle/rootfs/bin $work/bundle/rootfs/proc $work/bundle/rootfs/sys $work/state
cp /bin/busybox $work/bundle/rootfs/bin/busybox
chroot $work/bundle/rootfs /bin/busybox --install -s /bin
ncpu=$(grep -c ^processor /proc/cpuinfo)

# The block device of the I/O limits: null_blk's nullb0.
blk=$(cat /sys/block/nullb0/dev 2>/dev/null)
blk_major=${blk%:*}
blk_minor=${blk#*:}
# hugetlb: the 2MB page size the controller offers here
hugetlb=""
if [ $layout = v2 ]; then
	grep -qw hugetlb $cg/cgroup.controllers && hugetlb=1
else
	[ -e $cg/hugetlb/hugetlb.2MB.limit_in_bytes ] && hugetlb=1
fi

# check_read_bps WHAT RATE: the read throttle of nullb0 in the layout's file
check_read_bps() {
	if [ $layout = v2 ]; then
		check "io.max$1" "$blk rbps=$2 wbps=max riops=max wiops=max" "$(cgread $p blkio - io.max)"
	else
		check "blkio read bps$1" "$blk $2" "$(cgread $p blkio blkio.throttle.read_bps_device -)"
	fi
}

# config ARGS_JSON RESOURCES_JSON [CGROUPS_PATH] [EXTRA_LINUX_JSON]
config() {
	path_line=""
	[ -n "$3" ] && path_line="\"cgroupsPath\": \"$3\","
	cat >$work/bundle/config.json <<JSON
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $1,
              "env": ["PATH=/bin"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "hostname": "cg",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
             {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["ro"]},
             {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}],
  "linux": {$path_line $4
            "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "cgroup"}],
            "resources": $2}
}
JSON
}
crunc() {
	$crun --root $work/state "$@"
}
init_pid() {
	crunc state "$1" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p'
}
status_of() {
	crunc state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'
}
# wait_status ID STATUS: up to 10 s
wait_status() {
	n=0
	while [ "$(status_of "$1")" != "$2" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ "$(status_of "$1")" = "$2" ]
}

# ---------------------------------------------------------------- limits
# Inside, the container reads its own cgroup files through its cgroup
# namespace; outside, the same files at /crun/<id>.
if [ $layout = v2 ]; then
	inside='cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpuset.cpus'
else
	inside='cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpuset/cpuset.cpus'
fi
res='{"memory": {"limit": 67108864, "reservation": 33554432},
      "pids": {"limit": 50},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}'
[ -n "$blk" ] && res="$res, \"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $blk_major, \"minor\": $blk_minor, \"rate\": 1048576}]}"
[ -n "$hugetlb" ] && res="$res, \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]"
res="$res}"
config "[\"sh\", \"-c\", \"$inside; exec sleep 1000\"]" "$res"
id=limits
p=/crun/$id
if crunc create --no-pivot --bundle $work/bundle $id >$work/limits.out 2>&1; then
	ok "create with memory, pids, cpu, cpuset${blk:+, io}${hugetlb:+, hugetlb} limits"
else
	bad "create with limits: $(cat $work/limits.out)"
fi
check "memory limit" 67108864 "$(cgread $p memory memory.limit_in_bytes memory.max)"
check "memory reservation" 33554432 "$(cgread $p memory memory.soft_limit_in_bytes memory.low)"
check "pids limit" 50 "$(cgread $p pids pids.max pids.max)"
if [ $layout = v2 ]; then
	check "cpu quota/period" "50000 100000" "$(cgread $p cpu - cpu.max)"
	# shares to weight as crun >= 1.23 converts them (1024 -> 100):
	# ceil(10^((l^2 + 125 l)/612 - 7/34)), l = log2(512) = 9
	check "cpu weight from shares" 59 "$(cgread $p cpu - cpu.weight)"
else
	check "cpu quota" 50000 "$(cgread $p cpu cpu.cfs_quota_us -)"
	check "cpu period" 100000 "$(cgread $p cpu cpu.cfs_period_us -)"
	check "cpu shares" 512 "$(cgread $p cpu cpu.shares -)"
fi
check "cpuset cpus" 0 "$(cgread $p cpuset cpuset.cpus cpuset.cpus)"
check "cpuset mems" 0 "$(cgread $p cpuset cpuset.mems cpuset.mems)"
if [ -n "$blk" ]; then
	check_read_bps "" 1048576
else
	skip "io limits: no /sys/block/nullb0 (null_blk) in this kernel"
fi
if [ -n "$hugetlb" ]; then
	check "hugetlb 2MB limit" 4194304 "$(cgread $p hugetlb hugetlb.2MB.limit_in_bytes hugetlb.2MB.max)"
else
	skip "hugetlb: no 2MB hugetlb controller files in this kernel"
fi
crunc start $id >>$work/limits.out 2>&1
pid=$(init_pid $id)
n=0
while [ "$(grep -c . $work/limits.out)" -lt 4 ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
check "limits seen inside the container" "67108864 50 $([ $layout = v2 ] && echo '50000 100000' || echo 50000) 0" \
	"$(tr '\n' ' ' <$work/limits.out | sed 's/ $//')"
grep -qx "0::/" /proc/$pid/cgroup 2>/dev/null && [ $layout = v1 ] && bad "v1: the init is in a cgroup2 hierarchy"
cgpid=$(grep -c "^$pid\$" "$(cgfile $p memory cgroup.procs cgroup.procs)")
check "init in the container's cgroup.procs" 1 "$cgpid"

# ---------------------------------------------------------------- update
if crunc update --memory 128M --memory-reservation 64M --pids-limit 60 --cpu-quota 20000 \
	--cpu-period 100000 --cpuset-cpus $((ncpu - 1)) $id >$work/update.out 2>&1; then
	ok "update with options"
else
	bad "update: $(cat $work/update.out)"
fi
check "updated memory limit" 134217728 "$(cgread $p memory memory.limit_in_bytes memory.max)"
check "updated pids limit" 60 "$(cgread $p pids pids.max pids.max)"
if [ $layout = v2 ]; then
	check "updated cpu.max" "20000 100000" "$(cgread $p cpu - cpu.max)"
else
	check "updated cpu quota" 20000 "$(cgread $p cpu cpu.cfs_quota_us -)"
fi
check "updated cpuset cpus" $((ncpu - 1)) "$(cgread $p cpuset cpuset.cpus cpuset.cpus)"
upd='{"pids": {"limit": 70}'
[ -n "$blk" ] && upd="$upd, \"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $blk_major, \"minor\": $blk_minor, \"rate\": 2097152}]}"
[ -n "$hugetlb" ] && upd="$upd, \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 8388608}]"
upd="$upd}"
if echo "$upd" | crunc update -r - $id >$work/update.out 2>&1; then
	ok "update -r with a resources object"
else
	bad "update -r: $(cat $work/update.out)"
fi
check "pids limit from update -r" 70 "$(cgread $p pids pids.max pids.max)"
if [ -n "$blk" ]; then
	check_read_bps " from update -r" 2097152
fi
[ -n "$hugetlb" ] &&
	check "hugetlb limit from update -r" 8388608 "$(cgread $p hugetlb hugetlb.2MB.limit_in_bytes hugetlb.2MB.max)"

# ---------------------------------------------------------- pause/resume
frozen() {
	if [ $layout = v2 ]; then
		sed -n 's/^frozen //p' $cg$p/cgroup.events
	else
		cat $cg/freezer$p/freezer.state
	fi
}
want_frozen=1 want_thawed=0
[ $layout = v2 ] || {
	want_frozen=FROZEN
	want_thawed=THAWED
}
crunc pause $id >$work/pause.out 2>&1 || bad "pause: $(cat $work/pause.out)"
check "status after pause" paused "$(status_of $id)"
check "freezer after pause" $want_frozen "$(frozen)"
crunc resume $id >$work/pause.out 2>&1 || bad "resume: $(cat $work/pause.out)"
check "status after resume" running "$(status_of $id)"
check "freezer after resume" $want_thawed "$(frozen)"

# ---------------------------------------------------- exec, kill --all
crunc exec -d --pid-file $work/exec1.pid $id sleep 1001 >$work/exec.out 2>&1
crunc exec -d --pid-file $work/exec2.pid $id sleep 1002 >>$work/exec.out 2>&1
e1=$(cat $work/exec1.pid 2>/dev/null)
e2=$(cat $work/exec2.pid 2>/dev/null)
if [ -n "$e1" ] && [ -n "$e2" ]; then
	check "exec'd process in the init's cgroups" "$(cat /proc/$pid/cgroup)" "$(cat /proc/$e1/cgroup 2>&1)"
	check "processes in cgroup.procs" 3 "$(grep -c . "$(cgfile $p pids cgroup.procs cgroup.procs)")"
else
	bad "exec -d: $(cat $work/exec.out)"
fi
crunc kill --all $id KILL >$work/kill.out 2>&1 || bad "kill --all: $(cat $work/kill.out)"
wait_status $id stopped && ok "kill --all KILL stopped the container" || bad "status after kill --all: $(status_of $id)"
n=0
while [ -d /proc/$e1 ] || [ -d /proc/$e2 ]; do
	[ $n -ge 50 ] && break
	sleep 0.1
	n=$((n + 1))
done
[ ! -d /proc/$e1 ] && [ ! -d /proc/$e2 ] && ok "kill --all killed the exec'd processes" ||
	bad "exec'd processes alive after kill --all"
check "cgroup.procs after kill --all" 0 "$(grep -c . "$(cgfile $p pids cgroup.procs cgroup.procs)")"
crunc delete $id >$work/delete.out 2>&1 || bad "delete: $(cat $work/delete.out)"
left=$(cgdirs $p)
check "cgroups left after delete" "" "$left"

# --------------------------------------------------------------- devices
# /dev/nullb0 exists in the container (linux.devices) but the rules allow
# only /dev/null and /dev/full.
if [ -n "$blk" ]; then
	config '["sh", "-c", "echo x > /dev/null && echo null-ok; echo x > /dev/full; head -c1 /dev/nullb0 >/dev/null && echo nullb0-opened; exit 0"]' \
		'{"devices": [{"allow": false, "access": "rwm"},
		  {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
		  {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "rwm"}]}' "" \
		"\"devices\": [{\"path\": \"/dev/nullb0\", \"type\": \"b\", \"major\": $blk_major, \"minor\": $blk_minor}],"
	crunc run --no-pivot --bundle $work/bundle devices >$work/dev.out 2>&1
	rc=$?
	check "device rules: exit status" 0 $rc
	grep -q '^null-ok$' $work/dev.out && ok "allowed /dev/null writes" || bad "/dev/null: $(cat $work/dev.out)"
	grep -q 'No space left on device' $work/dev.out && ok "allowed /dev/full opens (ENOSPC on write)" ||
		bad "/dev/full: $(cat $work/dev.out)"
	if grep -q nullb0-opened $work/dev.out; then
		bad "denied /dev/nullb0 could be opened"
	elif grep -q 'nullb0: Operation not permitted' $work/dev.out; then
		ok "denied /dev/nullb0 fails to open with EPERM"
	else
		bad "denied /dev/nullb0: $(cat $work/dev.out)"
	fi
else
	skip "device rules: no block device to deny"
fi

# ----------------------------------------------------------- OOM kill
config '["tail", "/dev/zero"]' '{"memory": {"limit": 16777216}}'
crunc run --no-pivot --bundle $work/bundle oom >$work/oom.out 2>&1
check "OOM-killed container's exit status" 137 $?
# the cgroup is gone with the container: the kernel's log says who died
dmesg | grep -q 'Memory cgroup out of memory' && ok "the kernel logged a memory cgroup OOM kill" ||
	bad "no memory cgroup OOM in dmesg"
check "OOM container's cgroups removed" "" "$(cgdirs /crun/oom)"

# ------------------------------------------------ cgroup-manager disabled
config '["cat", "/proc/self/cgroup"]' '{}'
sed -i 's/{"type": "cgroup"}, //; s/, {"type": "cgroup"}//' $work/bundle/config.json
crunc --cgroup-manager=disabled run --no-pivot --bundle $work/bundle nocg >$work/nocg.out 2>&1
check "--cgroup-manager=disabled: exit status" 0 $?
check "--cgroup-manager=disabled: the container stays in the caller's cgroups" \
	"$(cat /proc/self/cgroup | tr '\n' ' ')" "$(tr '\n' ' ' <$work/nocg.out)"
check "--cgroup-manager=disabled: no cgroup made" "" "$(cgdirs /crun/nocg)"

# ------------------------------------------ relative and absolute paths
# A relative cgroupsPath is under the caller's own cgroup: the caller
# (the subshell that runs crun) is moved into /caller first.
for d in $(cgdirs /) ; do
	mkdir -p $d/caller
done
# On v2 the caller's own cgroup holds the caller: no controller can be
# enabled below it (no internal processes), so the container gets none.
rel_res='{"pids": {"limit": 20}}'
[ $layout = v2 ] && rel_res='{}'
config '["sleep", "1000"]' "$rel_res" "rel/c1"
if DIRS="$(cgdirs /caller)" sh -c 'for d in $DIRS; do echo $$ >$d/cgroup.procs; done; exec "$@"' \
	sh $crun --root $work/state create --no-pivot --bundle $work/bundle rel >$work/rel.out 2>&1; then
	pid=$(init_pid rel)
	check "relative cgroupsPath: the init is in /caller/rel/c1" 1 \
		"$(grep -c "^$pid\$" "$(cgfile /caller/rel/c1 pids cgroup.procs cgroup.procs)")"
	if [ $layout = v2 ]; then
		check "relative cgroupsPath: no controllers below the caller's cgroup" "" \
			"$(cat $cg/caller/rel/c1/cgroup.controllers)"
	else
		check "relative cgroupsPath: its pids limit" 20 "$(cgread /caller/rel/c1 pids pids.max pids.max)"
	fi
	crunc delete -f rel >$work/rel.out 2>&1
	check "relative cgroupsPath: cgroups left after delete -f" "" "$(cgdirs /caller/rel/c1)"
else
	bad "create with a relative cgroupsPath: $(cat $work/rel.out)"
fi
config '["sleep", "1000"]' '{"pids": {"limit": 21}}' "/abs/c2"
if crunc create --no-pivot --bundle $work/bundle abs >$work/abs.out 2>&1; then
	pid=$(init_pid abs)
	check "absolute cgroupsPath: the init is in /abs/c2" 1 \
		"$(grep -c "^$pid\$" "$(cgfile /abs/c2 pids cgroup.procs cgroup.procs)")"
	check "absolute cgroupsPath: its pids limit" 21 "$(cgread /abs/c2 pids pids.max pids.max)"
	crunc delete -f abs >$work/abs.out 2>&1
	check "absolute cgroupsPath: cgroups left after delete -f" "" "$(cgdirs /abs/c2)"
else
	bad "create with an absolute cgroupsPath: $(cat $work/abs.out)"
fi

finish
