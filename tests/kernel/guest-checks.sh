# The check lines of the cgroup guests (guest-cgroups.sh, guest-systemd.sh),
# sourced by both after they set $guest (the layout, or "systemd"):
# "GUEST-CG ok|FAIL|skip <guest>: <what>" per check, counted, and
# "GUEST-CG-TOTAL pass=N fail=N skip=N" from finish, which ends the script
# (non-zero on a failure).  check-cgroups.sh reads both.
pass=0 fails=0 skips=0
ok() {
	echo "GUEST-CG ok $guest: $*"
	pass=$((pass + 1))
}
bad() {
	echo "GUEST-CG FAIL $guest: $*"
	fails=$((fails + 1))
}
skip() {
	echo "GUEST-CG skip $guest: $*"
	skips=$((skips + 1))
}
# check WHAT WANT GOT
check() {
	if [ "$2" = "$3" ]; then ok "$1 = $2"; else bad "$1: want '$2', got '$3'"; fi
}
finish() {
	echo "GUEST-CG-TOTAL pass=$pass fail=$fails skip=$skips"
	[ $fails = 0 ]
	exit
}
