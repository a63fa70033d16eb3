#!/usr/bin/env bash
# In-guest benchmark: the e2e guest (QEMU TCG, Debian's kernel, busybox) mounts the export
# and runs bench/guest-load (sequential 1 MiB write and read, random 4 KiB read and write,
# create+stat+unlink, stat) on privfsd and on the Rust virtiofsd, the two taking turns,
# then prints one table: the median of each back-end's runs and privfsd/rust, and for each
# workload the back-end's CPU time per operation (or per MB), all its processes and threads,
# measured from the host by guest-cpu.py. Not a test: it never fails on a ratio, only when
# it cannot run.
#
#   PRIVFSD_SRCDIR=/work/main PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test PRIVFSD_LIBEXEC_DIR=BUILD/tests/libexec \
#   bash tests/bench/guest-bench.sh
#
# Settings (environment): GUEST_BENCH_SECONDS (per workload, 3), GUEST_BENCH_FILE_MIB (32),
# GUEST_BENCH_RUNS (3), GUEST_BENCH_BACKENDS ("privfsd virtiofsd-rust"),
# GUEST_BENCH_PRIVFSD_ARGS (more privfsd options, for experiments), GUEST_BENCH_ACCEL (tcg;
# kvm on a host that has it: a KVM guest's round trip is far shorter), GUEST_BENCH_OUT
# (keep each run's GBENCH lines there), VIRTIOFSD_RUST (default: the newest installed,
# /opt/peers/bin/virtiofsd-rust-1.14, else virtiofsd-rust; tests/driver/lib-driver.sh). Back-ends as in bench.sh: no
# caching (privfsd --cache=never, Rust --cache=never), so every operation reaches them;
# privfsd with --seccomp=kill.
#
# GUEST_BENCH_TRACE=WORKLOAD (randread_4k, stat, ...; needs perf): in each run, a
# whole-host `perf sched record` for GUEST_BENCH_TRACE_SECONDS (2) in the middle of that
# workload, which guest-trace.py turns into four more rows: the medians of the back-end's
# turn (kick to answer), QEMU's (answer to the vCPU woken) and the guest's (to the next
# kick), and the back-end's run time, per request. The trace's own cost lands on every
# back-end alike, so compare these rows with each other, not with an untraced run.
BENCH_NEWEST_RUST=1
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"	# and tests/lib.sh
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64

SECS=${GUEST_BENCH_SECONDS:-3}
MIB=${GUEST_BENCH_FILE_MIB:-32}
RUNS=${GUEST_BENCH_RUNS:-3}
BACKENDS=${GUEST_BENCH_BACKENDS:-"privfsd virtiofsd-rust"}
LOAD=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/guest-load
OUT=${GUEST_BENCH_OUT:-$T/out}
[ -x "$LOAD" ] || fail "no $LOAD"
TRACE=${GUEST_BENCH_TRACE:-}
if [ -n "$TRACE" ]; then
	command -v perf >/dev/null || fail "GUEST_BENCH_TRACE needs perf"
	python3 -c 'import statistics' || fail "GUEST_BENCH_TRACE needs python3"
fi
mkdir -p "$OUT" "$T/share/.e2e" "$T/share/data/load" || fail mkdir
chmod 755 "$T/share" "$T/share/data"
chmod 777 "$T/share/data/load"
cp "$LOAD" "$T/share/.e2e/guest-load" || fail "copy guest-load"
{
	cat "$E2E_DIR/guest-lib.sh"
	# The lines go to the console as they come, for guest-cpu.py to see when each workload
	# begins and ends; the step fails when guest-load did.
	echo "step 'guest-load' sh -c '{ /mnt/.e2e/guest-load /mnt/data/load $SECS $MIB 2>&1;" \
	    "echo \"guest-load exit \$?\"; } | tee /dev/console >/tmp/gb;" \
	    "grep -q \"^guest-load exit 0\" /tmp/gb'"
	echo 'cat /tmp/gb'
	echo 'finish'
} >"$T/share/.e2e/run.sh"
# Four boots' worth of time for one guest run.
E2E_TIMEOUT=$((120 + 8 * SECS))

# The threads of process $1 and of every process below it, one a line.
tree_tids() {
	local pids=$1 more p
	while [ -n "$pids" ]; do
		for p in $pids; do ls "/proc/$p/task" 2>/dev/null; done
		more=
		for p in $pids; do more="$more $(cat "/proc/$p/task/"*/children 2>/dev/null)"; done
		pids=$(echo $more)
	done
}

# GUEST_BENCH_TRACE: wait for the workload's GBEGIN on console $1 (guest-load then waits
# half a second), note the back-end's threads (its pid in $2) in $3.tids and record the
# scheduler in $3.data.
trace_workload() {
	local i=0
	until { tr -d '\r' <"$1"; } 2>/dev/null | grep -aq "^GBEGIN $TRACE\$"; do
		i=$((i + 1))
		[ $i -le $((E2E_TIMEOUT * 10)) ] || return 1
		sleep 0.1
	done
	sleep 1
	tree_tids "$(cat "$2")" >"$3.tids"
	perf sched record -a -o "$3.data" -- sleep "${GUEST_BENCH_TRACE_SECONDS:-2}" \
	    >"$3.perf.log" 2>&1
}

for r in $(seq 1 "$RUNS"); do
	for b in $BACKENDS; do
		case $b in
		privfsd) E2E_BACKEND_ARGS="--cache=never ${GUEST_BENCH_PRIVFSD_ARGS:-}" ;;
		*) E2E_BACKEND_ARGS="" ;;
		esac
		E2E_BACKEND=$b
		rm -rf "$T/share/data/load"/*
		python3 "$PRIVFSD_SRCDIR/tests/bench/guest-cpu.py" "$T/$b-$r/backend.pid" \
		    "$T/$b-$r/console.log" "$T/$b-$r.cpu" &
		cpu_pid=$!
		if [ -n "$TRACE" ]; then
			trace_workload "$T/$b-$r/console.log" "$T/$b-$r/backend.pid" \
			    "$T/$b-$r.trace" &
			trace_pid=$!
		fi
		e2e_run "$b-$r" --accel="${GUEST_BENCH_ACCEL:-tcg}" >"$T/$b-$r.log" 2>&1
		rc=$?
		# Stopped before any fail: it would otherwise wait for an E2E-END forever.
		kill "$cpu_pid" 2>/dev/null
		wait "$cpu_pid" 2>/dev/null
		# And the trace for a GBEGIN that a failed run never printed.
		[ -z "$TRACE" ] || [ $rc = 0 ] || kill "$trace_pid" 2>/dev/null
		if [ $rc = 77 ]; then
			skip "$b: $(tail -n 1 "$T/$b-$r.out")"
		elif [ $rc != 0 ]; then
			cat "$T/$b-$r.log"
			fail "$b: the guest run failed"
		fi
		tr -d '\r' <"$T/$b-$r/console.log" | grep -a '^GBENCH ' | sort -u >"$OUT/$b.$r"
		[ -s "$OUT/$b.$r" ] || fail "$b: no GBENCH lines in $T/$b-$r/console.log"
		# CPU per operation: a workload's CPU seconds over what it did in SECS.
		awk -v secs="$SECS" 'FNR == NR { cpu[$2] = $3; next }
		    ($2 in cpu) && $4 > 0 {
			printf "GBENCH %s_cpu us/%s %.4g\n", $2, ($3 == "MB/s" ? "MB" : "op"),
			    cpu[$2] * 1e6 / ($4 * secs)
		    }' "$T/$b-$r.cpu" "$OUT/$b.$r" >>"$OUT/$b.$r"
		if [ -n "$TRACE" ]; then
			wait "$trace_pid" || fail "$b: no trace of $TRACE ($T/$b-$r.trace.perf.log)"
			perf sched timehist -w -i "$T/$b-$r.trace.data" 2>/dev/null |
			    python3 "$PRIVFSD_SRCDIR/tests/bench/guest-trace.py" \
			    "$T/$b-$r.trace.tids" >>"$OUT/$b.$r" || fail "$b: guest-trace.py"
			rm -f "$T/$b-$r.trace.data"
		fi
		echo "guest-bench: run $r $b: $(awk '{ printf "%s=%s ", $2, $4 }' "$OUT/$b.$r")"
	done
done

# The table: workload, unit, each back-end's median, privfsd/peer.
awk -v backends="$BACKENDS" -v runs="$RUNS" -v out="$OUT" '
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 1; i <= n; i++)
		for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
BEGIN {
	nb = split(backends, B, " ")
	for (b = 1; b <= nb; b++)
		for (r = 1; r <= runs; r++) {
			f = out "/" B[b] "." r
			while ((getline line < f) > 0) {
				split(line, w, " ")
				if (!(w[2] in unit)) { order[++nw] = w[2]; unit[w[2]] = w[3] }
				v[w[2], B[b]] = v[w[2], B[b]] " " w[4]
			}
			close(f)
		}
	printf "%-20s %-9s", "workload", "unit"
	for (b = 1; b <= nb; b++) printf " %15s", B[b]
	for (b = 2; b <= nb; b++) printf " %10s", "p/" B[b]
	printf "\n"
	for (i = 1; i <= nw; i++) {
		k = order[i]
		printf "%-20s %-9s", k, unit[k]
		for (b = 1; b <= nb; b++) { m[b] = median(v[k, B[b]]); printf " %15.6g", m[b] }
		# CPU rows (us/...) the other way round: >= 1.00 is privfsd as good or better.
		for (b = 2; b <= nb; b++)
			if (unit[k] ~ /^us\//)
				printf " %10.2f", (m[1] > 0 ? m[b] / m[1] : 0)
			else
				printf " %10.2f", (m[b] > 0 ? m[1] / m[b] : 0)
		printf "\n"
	}
}'
echo "guest-bench: median of $RUNS run(s) of ${SECS}s per workload, file ${MIB} MiB, QEMU TCG;" \
    "higher is better; p/peer >= 1.00 means privfsd is as fast or faster"
echo "guest-bench: *_cpu: the back-end's CPU time (all its processes) per operation or MB;" \
    "there p/peer is peer/privfsd, so >= 1.00 again means privfsd is as good or better"
echo "guest-bench: rust is $VIRTIOFSD_RUST"
exit 0
