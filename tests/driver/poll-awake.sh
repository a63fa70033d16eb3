# --poll-max-ns: with one request in flight at a time, the worker's leading thread waits
# for the next one awake and does not sleep between them, and the frontend looks at the
# empty avail ring awake for the guest's next chain; with --poll-max-ns=0 each sleeps
# once a request. Counted, not timed: the voluntary context switches of the worker's
# threads and of the frontend (/proc/PID/task/*/status) per GETATTR of the benchmark's
# latency loop. The window given, 1 ms, is twenty times a round trip here, so that a slow
# (sanitizer) build still sees every request come within it. And awake, a request must
# be taken as soon as the frontend has sent it (its count of records sent, in the page
# the two share), not when the window ends: the awake run answers at least half as many
# GETATTRs as the asleep one (a worker that missed the count would answer one a
# millisecond).
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend
BENCH=$PRIVFSD_TESTS_BUILDDIR/bench/vu-bench
[ -x "$BENCH" ] || skip "no bench/vu-bench"

mkdir -p "$T/share"
truncate -s 1M "$T/share/big"
SECS=3

switches() {	# all threads of a process
	cat /proc/"$1"/task/*/status 2>/dev/null |
	    awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}

# switches_per_request NS: prints the worker's and the frontend's sleeps per GETATTR with
# --poll-max-ns=NS, and the GETATTRs answered
switches_per_request() {
	DRIVER_PRIVFSD_ARGS="--poll-max-ns=$1" start_backend "$T/share" "$T/sock" "$T/log.$1"
	"$BENCH" --socket="$T/sock" --backend=privfsd --seconds=$SECS --file-mib=1 \
	    --only=latency >"$T/res.$1" 2>"$T/err.$1" &
	bpid=$!
	w= f=
	for i in $(seq 50); do
		for c in $(children_of "$BACKEND_PID"); do
			ps -o args= -p "$c" | grep -q 'privfsd[-a-z]*: worker' && w=$c
			ps -o args= -p "$c" | grep -q 'privfsd[-a-z]*: frontend' && f=$c
		done
		[ -n "$w" ] && [ -n "$f" ] && break
		sleep 0.1
	done
	[ -n "$w" ] || fail "--poll-max-ns=$1: no worker"
	[ -n "$f" ] || fail "--poll-max-ns=$1: no frontend"
	sleep 0.5
	s0=$(switches "$w") f0=$(switches "$f")
	t0=$(date +%s%N)
	sleep 1.5
	s1=$(switches "$w") f1=$(switches "$f")
	t1=$(date +%s%N)
	wait $bpid || fail "--poll-max-ns=$1: vu-bench failed: $(cat "$T/err.$1")"
	stop_backend
	n=$(awk '$1 == "COUNT" && $3 == "getattr" { print $4 }' "$T/res.$1")
	[ -n "$n" ] && [ "$n" -gt 1000 ] || fail "--poll-max-ns=$1: only '$n' GETATTRs"
	# requests in the window sampled, at the run's average rate
	awk -v s=$((s1 - s0)) -v f=$((f1 - f0)) -v n="$n" -v dt=$((t1 - t0)) -v secs=$SECS \
	    'BEGIN { r = n * dt / 1e9 / secs; printf "%.3f %.3f %d\n", s / r, f / r, n }'
}

set -- $(switches_per_request 1000000)
awake=$1 fe_awake=$2 n_awake=$3
set -- $(switches_per_request 0)
asleep=$1 fe_asleep=$2 n_asleep=$3
echo "sleeps per GETATTR, worker / frontend: --poll-max-ns=1000000 $awake / $fe_awake" \
    "($n_awake GETATTRs), --poll-max-ns=0 $asleep / $fe_asleep ($n_asleep GETATTRs)"
[ $((n_awake * 2)) -ge "$n_asleep" ] ||
    fail "awake: $n_awake GETATTRs against $n_asleep asleep: requests wait for the window's end"
awk -v a="$awake" 'BEGIN { exit !(a < 0.3) }' ||
    fail "awake: the worker slept $awake times per request"
awk -v a="$asleep" 'BEGIN { exit !(a > 0.7) }' ||
    fail "--poll-max-ns=0: the worker slept only $asleep times per request"
awk -v a="$fe_awake" 'BEGIN { exit !(a < 0.3) }' ||
    fail "awake: the frontend slept $fe_awake times per request"
awk -v a="$fe_asleep" 'BEGIN { exit !(a > 0.7) }' ||
    fail "--poll-max-ns=0: the frontend slept only $fe_asleep times per request"
pass "the worker and the frontend wait awake for the next request ($awake and $fe_awake" \
    "sleeps a request), and sleep with 0 ($asleep and $fe_asleep)"
