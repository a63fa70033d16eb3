#!/usr/bin/env bash
# System calls per request: each back-end (privfsd, the C and the Rust virtiofsd) serves
# one workload of bench/vu-bench while strace -f -c counts the calls of every process and
# thread it has; the total over the requests answered (vu-bench's COUNT line) is printed,
# with the eight commonest calls. Not a test: run by hand on an idle machine, as root.
#
#   PRIVFSD_SRCDIR=SRC PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test bash tests/bench/syscalls.sh
#
# Settings (environment): SYSCALLS_WORKLOAD (a vu-bench --only name; default latency,
# i.e. GETATTR one at a time), BENCH_SECONDS (2), BENCH_BACKENDS (all three),
# BENCH_QUEUE_SIZE (128), BENCH_SEQ_DEPTH (1), BENCH_CONNECTIONS (1; N: N guests at once,
# each with a back-end of its own on a hard-linked copy of the data set, all counted
# together).
BENCH_NEWEST_RUST=1
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_root
command -v strace >/dev/null || skip "no strace"

installed_children
W=${SYSCALLS_WORKLOAD:-latency}
SECS=${BENCH_SECONDS:-2}
BENCH=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/vu-bench
[ -x "$BENCH" ] || fail "no $BENCH"
D=$T/share
mkdir -p "$D/meta" "$D/create" "$D/dir10k"
head -c $((8 * 1048576)) /dev/urandom >"$D/big"
(cd "$D/meta" && for i in $(seq -f %04g 0 999); do : >"f$i"; done)
(cd "$D/dir10k" && seq -f "entry-%06g" 1 1000 | xargs touch)
CONNS=${BENCH_CONNECTIONS:-1}
for c in $(seq 2 "$CONNS"); do cp -al "$D" "$D-c$c" || fail "cannot copy the data set"; done
conn_dir() {
	if [ "$1" = 1 ]; then echo "$D"; else echo "$D-c$1"; fi
}

# The back-end's processes and threads (strace -f follows the threads of each pid).
tree() {
	echo "$1"
	for c in $(children_of "$1"); do tree "$c"; done
}

printf '%-16s %10s %12s %10s  %s\n' backend requests syscalls "per req" "commonest calls"
for be in ${BENCH_BACKENDS:-privfsd virtiofsd virtiofsd-rust}; do
	bench_backend_args "$be" || continue
	args="" pids=""
	for c in $(seq 1 "$CONNS"); do
		start_backend "$(conn_dir "$c")" "$T/$be.$c.sock" "$T/$be.$c.log"
		pids="$pids $BACKEND_PID"
		for p in $(tree "$BACKEND_PID"); do args="$args -p $p"; done
	done
	# strace can hang detaching from a thread group that is exiting: bounded.
	timeout -s KILL $((${SECS%.*} + 120)) strace -f -c -o "$T/$be.strace" $args 2>/dev/null &
	sp=$!
	sleep 1		# attached before the first request
	c=0 vpids=""
	for BACKEND_PID in $pids; do
		c=$((c + 1))
		"$BENCH" --socket="$T/$be.$c.sock" --backend="$be" --pid="$BACKEND_PID" \
		    --seconds="$SECS" --queue-size="${BENCH_QUEUE_SIZE:-128}" \
		    --seq-depth="${BENCH_SEQ_DEPTH:-1}" --file-mib=8 --only="$W" \
		    >"$T/$be.$c.out" 2>"$T/$be.$c.err" &
		vpids="$vpids $!"
	done
	for p in $vpids; do wait "$p" || echo "$be: vu-bench failed"; done
	kill -INT $sp 2>/dev/null; wait $sp 2>/dev/null
	for BACKEND_PID in $pids; do stop_backend; done
	cat "$T/$be".*.out >"$T/$be.out"
	n=$(awk '$1 == "COUNT" { n += $4 } END { print n + 0 }' "$T/$be.out")
	# columns: % time, seconds, usecs/call, calls, [errors,] syscall
	total=$(awk '$NF == "total" { print $4 }' "$T/$be.strace")
	if [ -z "$total" ]; then
		echo "$be: strace left no summary (killed while detaching?)"
		continue
	fi
	top=$(awk 'NR > 2 && $1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF ":" $4 }' \
	    "$T/$be.strace" | sort -t: -k2 -nr | head -8 | tr '\n' ' ')
	awk -v be="$be" -v n="$n" -v t="$total" -v top="$top" 'BEGIN {
		printf "%-16s %10d %12d %10.2f  %s\n", be, n, t, n ? t / n : 0, top }'
done
echo "syscalls: workload $W, $SECS s, $CONNS connection(s); strace slows every back-end alike, so compare counts, not rates"
