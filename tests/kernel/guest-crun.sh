#!/bin/sh
# Runs inside the qemu guest (tests/kernel/check-kernel.sh), on the patched
# and the unpatched 6.1 kernel: our crun with run.oci.autoreap and hooks.
#   sh guest-crun.sh /usr/local/bin/crun
# Prints one "GUEST-CRUN ok|FAIL <what>" line per check and
# "GUEST-CRUN autoreap=supported|unsupported"; exits non-zero on a failure.
# On a kernel with CLONE_AUTOREAP it also checks that hooks use that rung,
# that a failing hook's status comes through PIDFD_GET_INFO, and that a hook
# orphaned by a SIGKILLed runtime under a subreaper leaves no zombie.
# Under load (STRESS_RUNS, default 30): runs with 100 createRuntime hooks,
# then 100 startContainer hooks under the container seccomp profile.
crun=$1
fails=0
ok() { echo "GUEST-CRUN ok $*"; }
bad() { echo "GUEST-CRUN FAIL $*"; fails=$((fails + 1)); }

work=/tmp/guest-crun
rm -rf $work
mkdir -p $work/bundle/rootfs/bin $work/state
cp /bin/busybox $work/bundle/rootfs/bin/busybox
chroot $work/bundle/rootfs /bin/busybox --install -s /bin
mkdir -p $work/bundle/rootfs/proc $work/bundle/rootfs/tmp

cat > $work/hook.sh <<'HOOK'
#!/bin/sh
# args: NAME EXIT [SLEEP]; appends NAME and the state on stdin to the log
printf '%s %s\n' "$1" "$(cat)" >> /tmp/guest-crun/hooks.log
[ -n "$3" ] && sleep "$3"
exit "$2"
HOOK
chmod +x $work/hook.sh

# config NAME AUTOREAP PRESTART_HOOK_ARGS(JSON array)
config() {
	cat > $work/bundle/config.json <<JSON
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
              "args": ["sh", "-c", "echo in-container-\$\$"], "env": ["PATH=/bin"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "hostname": "guest",
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "hooks": {"prestart": [{"path": "$work/hook.sh", "args": $3, "timeout": 20}],
            "poststop": [{"path": "$work/hook.sh", "args": ["hook.sh", "poststop", "0"]}]},
  "annotations": {"run.oci.autoreap": "$2"},
  "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}]}
}
JSON
}
run() { # ID -> output in $work/out, status in $rc
	$crun --cgroup-manager=disabled --root $work/state --debug run --no-pivot --bundle $work/bundle "$1" > $work/out 2>&1
	rc=$?
}

features=$($crun features)
if echo "$features" | grep -q '"run.oci.autoreap.kernel": "CLONE_AUTOREAP supported"'; then
	supported=1
	echo "GUEST-CRUN autoreap=supported"
	echo "$features" | grep -q '"run.oci.autoreap.spawner": "clone3-autoreap"' &&
		ok "features names the clone3-autoreap rung" || bad "features: $(echo "$features" | grep autoreap)"
else
	supported=0
	echo "GUEST-CRUN autoreap=unsupported"
	echo "$features" | grep -q '"run.oci.autoreap.spawner": "clone3-pidfd"' &&
		ok "features names the clone3-pidfd rung" || bad "features: $(echo "$features" | grep autoreap)"
fi

# 1. hooks in autoreap mode
config c1 1 '["hook.sh", "prestart", "0"]'
run c1
if [ $rc = 0 ] && grep -q in-container $work/out && grep -q '^prestart {.*"status":"created"' $work/hooks.log &&
	grep -q '^poststop {.*"status":"stopped"' $work/hooks.log; then
	ok "run with run.oci.autoreap=1: hooks ran with their state"
else
	bad "run with hooks (rc $rc): $(cat $work/out) / $(cat $work/hooks.log 2>/dev/null)"
fi
want=clone3-pidfd
[ $supported = 1 ] && want=clone3-autoreap
grep -q "prestart hook #0 .*spawner \`$want\` (autoreap mode)" $work/out &&
	ok "hooks spawned through $want" || bad "hook rung, want $want: $(grep 'hook #0' $work/out)"

# 2. a failing hook: its exit status (through PIDFD_GET_INFO with autoreap)
config c2 1 '["hook.sh", "prestart", "7"]'
run c2
if [ $rc != 0 ] && grep -q 'prestart hook #0 .*exited with status 7' $work/out && ! [ -d $work/state/c2 ]; then
	ok "failing prestart hook reported with status 7, container removed"
else
	bad "failing hook (rc $rc): $(cat $work/out)"
fi

# 3. run.oci.autoreap=required
config c3 required '["hook.sh", "prestart", "0"]'
run c3
if [ $supported = 1 ]; then
	[ $rc = 0 ] && ok "required works on this kernel" || bad "required (rc $rc): $(cat $work/out)"
else
	if [ $rc != 0 ] && grep -q 'does not support CLONE_AUTOREAP' $work/out; then
		ok "required refused on this kernel"
	else
		bad "required should fail (rc $rc): $(cat $work/out)"
	fi
fi

# 4. the runtime SIGKILLed while a hook runs, under a subreaper: once the
# hook ends, no zombie is left (the kernel autoreaps it).
config c4 1 '["hook.sh", "prestart", "0", "2"]'
out=$(/usr/local/bin/subreaper 5 sh -c "$crun --cgroup-manager=disabled --root $work/state run --no-pivot --bundle $work/bundle c4 >/dev/null 2>&1 & p=\$!; sleep 1; kill -9 \$p; wait \$p; exit 0")
echo "$out" | sed 's/^/GUEST-CRUN subreaper: /'
# The container's init, killed with the runtime, is a zombie of the
# subreaper as it should be (it is never autoreaped); the hook must not be.
hook_zombies=$(echo "$out" | grep -c '^zombie [0-9]* hook.sh$')
if [ $supported = 1 ]; then
	[ "$hook_zombies" = 0 ] && ok "orphaned autoreap hook left no zombie" ||
		bad "orphaned hook left $hook_zombies zombie(s)"
else
	ok "without CLONE_AUTOREAP the orphaned hook left $hook_zombies zombie(s) (informational)"
fi

# 4b. CLONE_PIDFD_AUTOKILL (issue 10): the runtime SIGKILLed while an
# autoreap hook sleeps.  The hook is the sleeping process itself (busybox
# sleep, no shell: AUTOKILL kills the spawned process, not what it forked).
# Where features says AUTOKILL is supported the hook must be gone within a
# second of the kill and leave no zombie; elsewhere it sleeps on
# (informational) and is killed here.
config c5 1 '["hook.sh", "prestart", "0"]'
sed -i "s|\"path\": \"$work/hook.sh\", \"args\": \[\"hook.sh\", \"prestart\", \"0\"\]|\"path\": \"/bin/busybox\", \"args\": [\"sleep\", \"37\"]|" $work/bundle/config.json
cat > $work/sleepers.sh <<'SLEEPERS'
# pids of the hook "sleep 37" (its exact command line: nothing else matches)
sleepers() {
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' < $p/cmdline 2>/dev/null)" = "sleep 37 " ] && echo ${p#/proc/}
	done
}
SLEEPERS
cat > $work/kill-during-hook.sh <<'KILL'
# CRUN STATE BUNDLE ID: run, wait until the hook sleeps, SIGKILL the runtime
. /tmp/guest-crun/sleepers.sh
$1 --cgroup-manager=disabled --root $2 run --no-pivot --bundle $3 $4 > /dev/null 2>&1 &
p=$!
i=0
while [ $i -lt 100 ] && [ -z "$(sleepers)" ]; do sleep 0.05; i=$((i + 1)); done
echo "hook-before: $(sleepers | tr '\n' ' ')"
kill -9 $p
wait $p
sleep 1
exit 0
KILL
. $work/sleepers.sh
out=$(/usr/local/bin/subreaper 2 sh $work/kill-during-hook.sh $crun $work/state $work/bundle c5)
before=$(echo "$out" | sed -n 's/^hook-before: *//p')
left=$(sleepers)
autokill=$(echo "$features" | grep -o '"run.oci.autoreap.autokill": "[^"]*"')
echo "GUEST-CRUN autokill: $autokill; hook running before the kill: ${before:-none}; after: ${left:-none}; $(echo "$out" | grep zombies=)"
if [ -z "$before" ]; then
	bad "the hook never ran before the runtime was killed: $out"
elif echo "$autokill" | grep -q 'AUTOKILL supported'; then
	# (the container's init, killed with its runtime before it was
	# recorded, is a zombie of the subreaper as it should be)
	if [ -z "$left" ] && ! echo "$out" | grep -q '^zombie [0-9]* busybox$'; then
		ok "autoreap hook killed with its SIGKILLed runtime (CLONE_PIDFD_AUTOKILL), no zombie"
	else
		bad "hook outlived its runtime (left: $left) or a zombie: $out"
	fi
else
	ok "without CLONE_PIDFD_AUTOKILL the orphaned hook sleeps on: ${left:-none} (informational)"
fi
[ -n "$left" ] && kill -9 $left
$crun --root $work/state delete -f c5 > /dev/null 2>&1

# 5. under load (issue 17): STRESS_RUNS runs of a container with 100
# createRuntime hooks each, in autoreap mode.  Every run must succeed and
# every hook must be spawned on the best rung ($want).
runs=${STRESS_RUNS:-30}
hooks_json() { # COUNT PATH ARGS_JSON -> a JSON array of COUNT hooks
	i=0 sep=
	printf '['
	while [ $i -lt $1 ]; do
		printf '%s{"path": "%s", "args": %s}' "$sep" "$2" "$3"
		sep=', ' i=$((i + 1))
	done
	printf ']'
}
stress_config() { # HOOKS_OBJECT SECCOMP_MEMBER ARGS_JSON
	cat > $work/bundle/config.json <<JSON
{
  "ociVersion": "1.0.0",
  "process": {"terminal": false, "user": {"uid": 0, "gid": 0},
              "args": $3, "env": ["PATH=/bin"], "cwd": "/"},
  "root": {"path": "rootfs"},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "hooks": $1,
  "annotations": {"run.oci.autoreap": "1"},
  "linux": {$2"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}]}
}
JSON
}
stress_config "{\"createRuntime\": $(hooks_json 100 /bin/true '["true"]')}" "" '["true"]'
bad_runs=0 bad_rungs=0 first=
i=0
while [ $i -lt $runs ]; do
	run stress-$i
	n=$(grep -c "createRuntime hook #[0-9]* \`/bin/true\`: pid [0-9]*, spawner \`$want\` (autoreap mode)" $work/out)
	if [ $rc != 0 ]; then
		bad_runs=$((bad_runs + 1))
		[ -n "$first" ] || first="run $i rc $rc: $(grep -v 'level=debug\|^\[debug\]' $work/out | head -n 3)"
	fi
	[ "$n" = 100 ] || bad_rungs=$((bad_rungs + 1))
	i=$((i + 1))
done
echo "GUEST-CRUN stress createRuntime: $runs runs x 100 hooks: $bad_runs failed runs, $bad_rungs runs with a hook off $want ${first:+(first: $first)}"
[ $bad_runs = 0 ] && [ $bad_rungs = 0 ] &&
	ok "$runs runs x 100 createRuntime hooks in autoreap mode, all on $want" ||
	bad "createRuntime stress: $bad_runs failed runs, $bad_rungs runs off $want; $first"

# 6. the same with startContainer hooks, which run in the container's init
# under the container's seccomp profile (contrib/seccomp/default.json,
# rendered on the host to /seccomp.json; clone3 reaches the kernel).  The
# init logs nothing by then, so each hook tells its rung itself: an
# autoreaped hook is the init's own child (parent pid 1 in the container),
# a hook on a lower rung is the child of a waiter.
if [ -s /seccomp.json ]; then
	stress_config "{\"startContainer\": $(hooks_json 100 /bin/sh '["sh", "-c", "echo $PPID >> /ppids"]')}" \
		"\"seccomp\": $(cat /seccomp.json), " '["sh", "-c", "grep ^Seccomp: /proc/self/status"]'
	bad_runs=0 bad_rungs=0 first= filtered=0
	i=0
	while [ $i -lt $runs ]; do
		rm -f $work/bundle/rootfs/ppids
		run sstress-$i
		if [ $rc != 0 ]; then
			bad_runs=$((bad_runs + 1))
			[ -n "$first" ] || first="run $i rc $rc: $(grep -v 'level=debug\|^\[debug\]' $work/out | head -n 3)"
		fi
		grep -q '^Seccomp:[[:space:]]*2' $work/out && filtered=$((filtered + 1))
		# (grep -c prints 0 itself when nothing matches)
		total=$(cat $work/bundle/rootfs/ppids 2>/dev/null | wc -l)
		direct=$(grep -cx 1 $work/bundle/rootfs/ppids 2>/dev/null)
		direct=${direct:-0}
		[ $i = 0 ] && echo "GUEST-CRUN startContainer hooks' parent pids, first run: $(sort $work/bundle/rootfs/ppids 2>/dev/null | uniq -c | head -n 3 | tr '\n' ' ')"
		if [ $supported = 1 ]; then
			[ "$total" = 100 ] && [ "$direct" = 100 ] || bad_rungs=$((bad_rungs + 1))
		else
			[ "$total" = 100 ] && [ "$direct" = 0 ] || bad_rungs=$((bad_rungs + 1))
		fi
		i=$((i + 1))
	done
	echo "GUEST-CRUN stress startContainer+seccomp: $runs runs x 100 hooks: $bad_runs failed runs, $bad_rungs runs with a hook off $want, $filtered runs under a filter ${first:+(first: $first)}"
	[ $bad_runs = 0 ] && [ $bad_rungs = 0 ] && [ $filtered = $runs ] &&
		ok "$runs runs x 100 startContainer hooks under the seccomp profile, all on $want" ||
		bad "startContainer stress: $bad_runs failed runs, $bad_rungs runs off $want, $filtered/$runs filtered; $first"
else
	bad "no /seccomp.json in the guest: the seccomp stress cannot run"
fi

echo "GUEST-CRUN fails=$fails"
[ $fails = 0 ]
