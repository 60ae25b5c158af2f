#!/bin/bash
# Runs inside the systemd guest of tests/kernel/check-cgroups.sh: systemd is
# PID 1 (the host's own root file system, read-only over 9p under a tmpfs
# overlay), cgroup v2 only.  It drives our crun's systemd cgroup manager:
#   bash guest-systemd.sh CRUN TEST_SYSTEMD_BINARY
# Prints "GUEST-CG ok|FAIL|skip systemd: <what>" per check, the unit tests'
# TAP lines prefixed "GUEST-CGUNIT ", and last
# "GUEST-CG-TOTAL pass=N fail=N skip=N".
crun=$1
unit_tests=$2
podman_conf=$(cd "$(dirname "$0")/../podman" && pwd)
guest=systemd
. "$(dirname "$0")/guest-checks.sh"

check "PID 1" systemd "$(cat /proc/1/comm)"
check "cgroup layout" cgroup2fs "$(stat -f -c %T /sys/fs/cgroup)"
# the manager must be up and reachable over the system bus
n=0
until busctl status org.freedesktop.systemd1 >/dev/null 2>&1 || [ $n -ge 100 ]; do
	sleep 0.2
	n=$((n + 1))
done
busctl status org.freedesktop.systemd1 >/dev/null 2>&1 && ok "systemd answers on the system bus" ||
	{
		bad "no systemd on the system bus"
		finish
	}

# the systemd manager's unit tests, with a real scope this time
"$unit_tests" 2>&1 | sed 's/^/GUEST-CGUNIT /'

work=/tmp/guest-sd
rm -rf $work
mkdir -p $work/bundle/rootfs/bin $work/bundle/rootfs/proc $work/bundle/rootfs/sys $work/state
cp /bin/busybox $work/bundle/rootfs/bin/busybox
chroot $work/bundle/rootfs /bin/busybox --install -s /bin

# config ARGS_JSON CGROUPS_PATH RESOURCES_JSON
config() {
	cat >$work/bundle/config.json <<JSON
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": $1,
              "env": ["PATH=/bin"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "hostname": "sd",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
             {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}],
  "linux": {"cgroupsPath": "$2",
            "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "cgroup"}],
            "resources": $3}
}
JSON
}
crunc() {
	$crun --systemd-cgroup --root $work/state "$@"
}
prop() { # UNIT PROPERTY
	systemctl show -p "$2" --value "$1" 2>&1
}

# ------------------------------------------------------- scope and limits
unit=crun-guest-c1.scope
scope=/sys/fs/cgroup/machine.slice/$unit
config '["sleep", "1000"]' machine.slice:crun-guest:c1 \
	'{"memory": {"limit": 67108864, "reservation": 16777216}, "pids": {"limit": 50},
	  "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0"}}'
if crunc create --no-pivot --bundle $work/bundle c1 >$work/c1.out 2>&1; then
	ok "create with the systemd manager and cgroupsPath machine.slice:crun-guest:c1"
else
	bad "create: $(cat $work/c1.out)"
	finish
fi
pid=$(crunc state c1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
check "the scope unit is active" active "$(prop $unit ActiveState)"
check "the scope's slice" machine.slice "$(prop $unit Slice)"
check "Delegate" yes "$(prop $unit Delegate)"
check "Delegate (busctl)" "b true" "$(busctl get-property org.freedesktop.systemd1 \
	/org/freedesktop/systemd1/unit/crun_2dguest_2dc1_2escope org.freedesktop.systemd1.Scope Delegate 2>&1)"
check "the init in the scope" "0::/machine.slice/$unit" "$(cat /proc/$pid/cgroup)"
check "MemoryMax property" 67108864 "$(prop $unit MemoryMax)"
check "MemoryLow property" 16777216 "$(prop $unit MemoryLow)"
check "TasksMax property" 50 "$(prop $unit TasksMax)"
check "CPUWeight property (shares 1024)" 100 "$(prop $unit CPUWeight)"
check "CPUQuotaPerSecUSec property" 500ms "$(prop $unit CPUQuotaPerSecUSec)"
check "AllowedCPUs property" 0 "$(prop $unit AllowedCPUs)"
check "memory.max" 67108864 "$(cat $scope/memory.max 2>&1)"
check "memory.low" 16777216 "$(cat $scope/memory.low 2>&1)"
check "pids.max" 50 "$(cat $scope/pids.max 2>&1)"
check "cpu.max" "50000 100000" "$(cat $scope/cpu.max 2>&1)"
check "cpu.weight" 100 "$(cat $scope/cpu.weight 2>&1)"
check "cpuset.cpus" 0 "$(cat $scope/cpuset.cpus 2>&1)"

# ------------------------------------------------------------------ update
if crunc update --memory 128M --pids-limit 60 --cpu-quota 20000 c1 >$work/update.out 2>&1; then
	ok "update"
else
	bad "update: $(cat $work/update.out)"
fi
check "MemoryMax after update" 134217728 "$(prop $unit MemoryMax)"
check "TasksMax after update" 60 "$(prop $unit TasksMax)"
check "CPUQuotaPerSecUSec after update" 200ms "$(prop $unit CPUQuotaPerSecUSec)"
check "memory.max after update" 134217728 "$(cat $scope/memory.max 2>&1)"
check "pids.max after update" 60 "$(cat $scope/pids.max 2>&1)"
check "cpu.max after update" "20000 100000" "$(cat $scope/cpu.max 2>&1)"
# a daemon-reload makes systemd rewrite the files of its units: the limits
# it knows as properties stay
systemctl daemon-reload
check "memory.max after daemon-reload" 134217728 "$(cat $scope/memory.max 2>&1)"
check "pids.max after daemon-reload" 60 "$(cat $scope/pids.max 2>&1)"

# --------------------------------------------------------------- delete
crunc start c1 >/dev/null 2>&1
crunc delete -f c1 >$work/delete.out 2>&1 && ok "delete -f" || bad "delete -f: $(cat $work/delete.out)"
n=0
while systemctl is-active -q $unit && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
systemctl is-active -q $unit && bad "the scope is still active after delete" || ok "the scope is stopped after delete"
check "the scope's cgroup after delete" "" "$([ -d $scope ] && echo "$scope exists")"
check "units left after delete" "" "$(systemctl list-units --all --no-legend 'crun-guest-*' | tr -s ' ')"

# ------------------------------------------------ a failing create
config '["/no/such/program"]' machine.slice:crun-guest:c2 '{"pids": {"limit": 10}}'
crunc run --no-pivot --bundle $work/bundle c2 >$work/c2.out 2>&1
rc=$?
[ $rc != 0 ] && ok "run of a missing program fails (exit $rc)" || bad "run of a missing program succeeded"
n=0
while [ -n "$(systemctl list-units --all --no-legend 'crun-guest-c2*')" ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
check "units left after a failed create" "" "$(systemctl list-units --all --no-legend 'crun-guest-*' | tr -s ' ')"
check "cgroup left after a failed create" "" \
	"$([ -d /sys/fs/cgroup/machine.slice/crun-guest-c2.scope ] && echo exists)"
check "state left after a failed create" "" "$(ls $work/state)"

# --------------------------------------------- default unit, own slice
config '["true"]' "" '{}'
crunc run --no-pivot --bundle $work/bundle c3 >$work/c3.out 2>&1
check "run without cgroupsPath (machine.slice, crun-c3.scope): exit status" 0 $?
config '["sh", "-c", "cat /proc/self/cgroup"]' "crunguest.slice::c4" '{}'
sed -i 's/, {"type": "cgroup"}//' $work/bundle/config.json
crunc run --no-pivot --bundle $work/bundle c4 >$work/c4.out 2>&1
check "run in a slice of its own (crunguest.slice::c4)" "0::/crunguest.slice/c4.scope" "$(cat $work/c4.out)"
check "units left after the runs" "" "$(systemctl list-units --all --no-legend 'crun-c3*' 'c4.scope' | tr -s ' ')"

# ------------------------------------ podman, cgroup_manager = "systemd"
# podman's own containers.conf and storage.conf of the podman tests, with
# the storage on a tmpfs; podman runs conmon in a scope of its own and
# hands us "machine.slice:libpod:<id>" with --systemd-cgroup.
podman_checks() {
	local pd=/var/tmp/guest-podman id scope pm
	mkdir -p $pd && mount -t tmpfs tmpfs $pd || return 1
	mkdir -p $pd/hooks.d $pd/net $pd/tmp $pd/events $pd/xdg-run
	for f in containers.conf storage.conf; do
		sed "s|@DIR@|$pd|g; s|@DRIVER@|overlay|g" "$podman_conf/$f.in" >$pd/$f
	done
	sed -i 's/^cgroup_manager = .*/cgroup_manager = "systemd"/' $pd/containers.conf
	echo 'unqualified-search-registries = []' >$pd/registries.conf
	pm() {
		CONTAINERS_CONF=$pd/containers.conf CONTAINERS_STORAGE_CONF=$pd/storage.conf \
			CONTAINERS_REGISTRIES_CONF=$pd/registries.conf XDG_RUNTIME_DIR=$pd/xdg-run \
			podman --root $pd/storage --runroot $pd/runroot --tmpdir $pd/tmp \
			--cgroup-manager systemd --events-backend file --runtime "$crun" "$@"
	}
	tar -C $work/bundle/rootfs -c . | pm import - localhost/busybox >$work/pm.out 2>&1 ||
		{
			bad "podman import: $(cat $work/pm.out)"
			return 0
		}
	check "podman run --rm --memory 64m: memory.max seen inside" 67108864 \
		"$(pm run --rm --memory 64m localhost/busybox cat /sys/fs/cgroup/memory.max 2>&1)"
	id=$(pm run -d --pids-limit 33 localhost/busybox sleep 1000 2>$work/pm.out)
	if [ -z "$id" ]; then
		bad "podman run -d: $(cat $work/pm.out)"
		return 0
	fi
	check "podman's container scope is active" active "$(prop libpod-$id.scope ActiveState)"
	check "podman's container scope's slice" machine.slice "$(prop libpod-$id.scope Slice)"
	check "podman's container scope's TasksMax" 33 "$(prop libpod-$id.scope TasksMax)"
	check "podman's container pids.max" 33 \
		"$(cat /sys/fs/cgroup/machine.slice/libpod-$id.scope/pids.max 2>&1)"
	pm rm -f -t 0 $id >$work/pm.out 2>&1 || bad "podman rm -f: $(cat $work/pm.out)"
	n=0
	while systemctl is-active -q libpod-$id.scope && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check "podman rm -f: the scope is gone" inactive "$(systemctl is-active libpod-$id.scope)"
}
if command -v podman >/dev/null && command -v conmon >/dev/null; then
	podman_checks || bad "cannot set up podman's storage"
else
	skip "podman: podman or conmon is not installed here"
fi

finish
