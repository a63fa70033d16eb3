# shellcheck shell=sh
# Start of a guest script made of steps (busybox sh): put before the test's own part in
# /mnt/.e2e/run.sh (write.sh, tests/options/opt-lib.sh). One "ok N - what" or
# "not ok N - what: output" line per step; finish leaves "n=N failed=F" in /tmp/e2e-summary
# and exits 0 when all passed.
n=0
failed=0
# step WHAT COMMAND...: one check, passed when the command succeeds.
step() {
	what=$1
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what: $(echo $out | cut -c1-300)"
	fi
}
finish() {
	echo "n=$n failed=$failed" >/tmp/e2e-summary
	[ $failed = 0 ]
	exit $?
}
