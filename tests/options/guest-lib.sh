# Start of every option test's guest script (busybox sh, cwd /mnt; see opt-lib.sh), after
# tests/e2e/guest-lib.sh (step, finish). A step's output must not say ERR unless expected.
D=/mnt/data
OPT=/mnt/.e2e/optool
# expect WHAT PATTERN COMMAND...: the command's output matches PATTERN (grep -E).
expect() {
	what=$1
	pat=$2
	shift 2
	n=$((n + 1))
	out=$("$@" 2>&1)
	if echo "$out" | grep -qE "$pat"; then
		echo "ok $n - $what"
	else
		failed=$((failed + 1))
		echo "not ok $n - $what: wanted /$pat/, got: $(echo $out | cut -c1-300)"
	fi
}
# req NAME: ask the host to do NAME and wait for it (30 s).
req() {
	echo "E2E-REQ: $1"
	i=0
	while [ ! -e /mnt/.e2e/ack-$1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /mnt/.e2e/ack-$1 ] || echo "E2E: no ack for $1"
}
val() { echo "VAL $1 $2"; }
