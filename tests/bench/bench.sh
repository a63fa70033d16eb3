# Benchmark: the same workloads (bench/vu-bench) against privfsd, the C virtiofsd and the
# Rust virtiofsd, one back-end at a time, then one table. Not a test: it never fails on a
# ratio, only when it cannot run.
#
#   PRIVFSD_SRCDIR=/work/main PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test bash tests/bench/bench.sh
#
# Rows: each workload's throughput or latency, then <workload>_cpu, the CPU time (utime +
# stime) of the back-end's process and all its descendants and their threads over that
# workload, per request answered (us/req); rss_start/rss_end (VmRSS, RssAnon) and, while
# still serving after the workloads, pss and private_dirty (smaps_rollup), all summed over
# the same processes (privfsd: broker, frontend, worker; a peer: its process).
# Columns: a back-end each, privfsd/peer ratios, and p/best: privfsd against the better
# peer of the row, turned for lower-is-better rows (us, us/req, MiB) so that >= 1.00
# always means privfsd is as good or better.
#
# Settings (environment): BENCH_SECONDS (per workload, 2), BENCH_FILE_MIB (256),
# BENCH_DIR_ENTRIES (10000), BENCH_QUEUE_SIZE (128), BENCH_SEQ_DEPTH (1),
# BENCH_MATRIX (1: ignore those two and run queue size 128 and 1024 x depth 1 and 16, a
# table each, headed with its configuration),
# BENCH_BACKENDS ("privfsd virtiofsd virtiofsd-rust"), BENCH_ONLY (workload list),
# BENCH_RUNS (1; with more, the back-ends take turns and the table shows medians),
# BENCH_CONNECTIONS (1; N: N guests at once, each with a back-end of its own on a copy of
# the data set made of hard links; throughput and memory rows are then the sums over the N,
# latency and CPU per request the means),
# BENCH_DIR (where the data set lives; default a scratch dir on the same disk),
# BENCH_CPUS_BACKEND, BENCH_CPUS_DRIVER (taskset CPU lists; default: not pinned),
# BENCH_SCATTER (1: READ and WRITE data pages lie apart in guest memory, one page left out
# after each, as in a guest's page cache; default end to end),
# BENCH_OUT (keep the raw RESULT lines there; with BENCH_MATRIX, in qQ-dD/ under it),
# BENCH_TIMEOUT (ms a request may take before its connection counts as failed and its
# rows NA; default 5000 for one connection, 30000 for more: with eight guests on two CPUs
# an unrelated process waking every 100 ms here waited up to 7 s for a CPU during
# privfsd's runs and 3 s during the C virtiofsd's),
# BENCH_PRIVFSD_ARGS (more privfsd options, for experiments such as
# --thread-pool-size=0; not part of the fair comparison).
#
# Settings of the back-ends, the same for all: no caching (privfsd --cache=never, C -o
# cache=none, Rust --cache never), default sandbox and thread pool, run as root; privfsd
# with --seccomp=kill. Added: -o readdirplus for privfsd and the C virtiofsd, which turn
# READDIRPLUS off with cache=none (the Rust one answers it without negotiating it).
# privfsd uses the installed-style (non-test) frontend and worker
# when they are built, so no test hook is on the data path.
BENCH_NEWEST_RUST=1
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_root

SECS=${BENCH_SECONDS:-2}
FILE_MIB=${BENCH_FILE_MIB:-256}
ENTRIES=${BENCH_DIR_ENTRIES:-10000}
QSIZE=${BENCH_QUEUE_SIZE:-128}
DEPTH=${BENCH_SEQ_DEPTH:-1}
BACKENDS=${BENCH_BACKENDS:-"privfsd virtiofsd virtiofsd-rust"}
BENCH=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/vu-bench
[ -x "$BENCH" ] || fail "no $BENCH"

# The data set: big file, meta/ (1000 names), create/ (empty), dir10k/.
D=${BENCH_DIR:-$T/share}
mkdir -p "$D/meta" "$D/create" "$D/dir10k"
if [ "$(stat -c %s "$D/big" 2>/dev/null)" != $((FILE_MIB * 1048576)) ]; then
	head -c $((FILE_MIB * 1048576)) /dev/urandom >"$D/big" || fail "cannot make $D/big"
fi
[ -e "$D/meta/f0999" ] || (cd "$D/meta" && for i in $(seq -f %04g 0 999); do : >"f$i"; done)
if [ "$(ls -f "$D/dir10k" | wc -l)" -ne $((ENTRIES + 2)) ]; then
	rm -rf "$D/dir10k" && mkdir "$D/dir10k" &&
	(cd "$D/dir10k" && seq -f "entry-%06g" 1 "$ENTRIES" | xargs touch)
fi
rm -f "$D"/write.* "$D"/create/*
CONNS=${BENCH_CONNECTIONS:-1}
if [ "$CONNS" -gt 1 ]; then TIMEOUT=${BENCH_TIMEOUT:-30000}; else TIMEOUT=${BENCH_TIMEOUT:-5000}; fi
# Connection c > 1 serves its own copy (hard links: no data copied, page cache shared).
conn_dir() {
	if [ "$1" = 1 ]; then echo "$D"; else echo "${D%/}-conn$1"; fi
}
for c in $(seq 2 "$CONNS"); do
	cd_=$(conn_dir "$c")
	if [ ! -e "$cd_/dir10k" ] || [ "$(stat -c %i "$cd_/big")" != "$(stat -c %i "$D/big")" ]; then
		rm -rf "$cd_" && cp -al "$D" "$cd_" || fail "cannot make $cd_"
	fi
	rm -f "$cd_"/write.* "$cd_"/create/*
	[ -n "${BENCH_DIR:-}" ] || at_exit "rm -rf '$cd_'"
done

installed_children

# BENCH_CPUS_BACKEND: pin the back-end (every process and thread, and what it forks later)
# to these CPUs; BENCH_CPUS_DRIVER: the same for vu-bench (the "guest").
pin_tree() {
	[ -n "${BENCH_CPUS_BACKEND:-}" ] || return 0
	taskset -a -c -p "$BENCH_CPUS_BACKEND" "$1" >/dev/null || fail "taskset $1"
	for c in $(children_of "$1"); do pin_tree "$c"; done
}

# One back-end per connection, one run of vu-bench against each (all at once), into $1 (the
# configuration's directory) as $be.$run.out: each connection's lines go to
# $be.$run.c<c>.res and merge_connections() makes the .out.
bench_one() {
	local c pids="" bpids="" rc=0 f
	bench_backend_args "$be" || { echo "bench: $be skipped"; return; }
	sync
	cat "$D/big" >/dev/null		# the host page cache holds the file for everyone
	for c in $(seq 1 "$CONNS"); do
		start_backend "$(conn_dir "$c")" "$T/$be.$c.sock" "$1/$be.$run.c$c.log"
		bpids="$bpids $BACKEND_PID"
		pin_tree "$BACKEND_PID"
	done
	echo "bench: $be (pid$bpids), run $run of $RUNS, $SECS s per workload," \
	    "queue $QSIZE, seq depth $DEPTH, $CONNS connection(s)"
	c=0
	for BACKEND_PID in $bpids; do
		c=$((c + 1))
		f=$1/$be.$run.c$c
		${BENCH_CPUS_DRIVER:+taskset -c "$BENCH_CPUS_DRIVER"} "$BENCH" --socket="$T/$be.$c.sock" \
		    --backend="$be" --pid="$BACKEND_PID" \
		    --seconds="$SECS" --file-mib="$FILE_MIB" --queue-size="$QSIZE" \
		    --seq-depth="$DEPTH" ${BENCH_ONLY:+--only="$BENCH_ONLY"} \
		    ${BENCH_SCATTER:+--scatter} --timeout="$TIMEOUT" \
		    >"$f.res" 2>"$f.err" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || rc=$?; done
	c=0
	for BACKEND_PID in $bpids; do
		c=$((c + 1))
		sed "s/^/  /" "$1/$be.$run.c$c.err"
		stop_backend
		rm -f "$(conn_dir "$c")"/write.* "$(conn_dir "$c")"/create/*
	done
	merge_connections "$1/$be.$run"
	[ $rc -eq 0 ] || { echo "bench: $be: vu-bench exit $rc"; tail -n 20 "$1/$be.$run.c1.log"; }
	ran="$ran $be"
}

# $1.c1.res .. $1.c$CONNS.res into $1.out: throughput and memory summed over the
# connections, rows in us and us/req (latency, CPU per request) their mean; NA when any
# connection had NA.
merge_connections() {
	if [ "$CONNS" = 1 ]; then
		mv "$1.c1.res" "$1.out"
		return
	fi
	cat "$1".c*.res | awk -v n="$CONNS" '
	$1 == "RESULT" {
		k = $2 SUBSEP $3
		if (!(k in seen)) { seen[k] = 1; order[m++] = k; unit[k] = $5 }
		if ($4 == "NA") bad[k] = 1; else { sum[k] += $4; cnt[k]++ }
		next
	}
	{ other[$0] = 1 }
	END {
		for (i = 0; i < m; i++) {
			k = order[i]; split(k, p, SUBSEP)
			if ((k in bad) || cnt[k] != n) { print "RESULT", p[1], p[2], "NA", unit[k]; continue }
			v = (unit[k] == "us" || unit[k] == "us/req") ? sum[k] / n : sum[k]
			print "RESULT", p[1], p[2], v, unit[k]
		}
		for (l in other) print l
	}' >"$1.out"
	rm -f "$1".c*.res
}

# Table of the RESULT lines in $1: rows in workload order, a column per back-end (the
# median of the runs; NA when any run failed), privfsd/peer ratios, and p/best.
# Rows in us, us/req or MiB (latency, CPU per request, memory) are lower-is-better.
table() {
	cat "$1"/*.out | awk '
$1 == "RESULT" {
	if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 }
	k = $2 SUBSEP $3
	if ($4 == "NA") bad[k] = 1
	else { unit[$3] = $5; nv[k]++; v[k, nv[k]] = $4 + 0 }
}
function median(k,   i, j, t, m, a) {
	if (k in bad) return "NA"
	m = nv[k]
	if (m == 0) return ""
	for (i = 1; i <= m; i++) a[i] = v[k, i]
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function fmt(v) { return v == "" ? "-" : v == "NA" ? "NA" : sprintf("%.4g", v) }
function num(v) { return v != "" && v != "NA" }
function ratio(a, b) {
	if (!num(a) || !num(b) || b + 0 == 0)
		return "-"
	return sprintf("%.2f", a / b)
}
function lower(u) { return u == "us" || u == "us/req" || u == "MiB" }
# privfsd against the better peer, turned so that >= 1.00 means privfsd is as good
function best(k, p, c, r,   b) {
	if (!num(c)) b = r
	else if (!num(r)) b = c
	else if (lower(unit[k])) b = c < r ? c : r
	else b = c > r ? c : r
	return lower(unit[k]) ? ratio(b, p) : ratio(p, b)
}
END {
	printf "%-26s %-9s %12s %12s %14s %9s %9s %7s\n", "workload", "unit", "privfsd",
	    "virtiofsd-C", "virtiofsd-rust", "p/C", "p/rust", "p/best"
	for (i = 0; i < n; i++) {
		k = order[i]; p = median("privfsd" SUBSEP k); c = median("virtiofsd" SUBSEP k)
		r = median("virtiofsd-rust" SUBSEP k)
		printf "%-26s %-9s %12s %12s %14s %9s %9s %7s\n", k, unit[k], fmt(p), fmt(c),
		    fmt(r), ratio(p, c), ratio(p, r), best(k, p, c, r)
	}
}'
	grep -h '^INFO' "$1"/*.out | sort -u | sed 's/^INFO /bench: /'
}

# All back-ends, RUNS times, with queue size $QSIZE and depth $DEPTH, then the table.
bench_config() {
	out=$1
	mkdir -p "$out"
	ran=""
	run=0
	while [ $run -lt "$RUNS" ]; do
		run=$((run + 1))
		for be in $BACKENDS; do bench_one "$out"; done
	done
	[ -n "$ran" ] || skip "no back-end to measure"
	echo
	echo "== queue size $QSIZE, seq depth $DEPTH, $CONNS connection(s) =="
	table "$out"
}

OUT=${BENCH_OUT:-$T/out}
mkdir -p "$OUT"
RUNS=${BENCH_RUNS:-1}
if [ "${BENCH_MATRIX:-0}" = 1 ]; then
	# every configuration in its own directory, so a table mixes no runs
	for QSIZE in 128 1024; do
		for DEPTH in 1 16; do bench_config "$OUT/q$QSIZE-d$DEPTH"; done
	done
else
	bench_config "$OUT"
fi
echo
echo "bench: higher is better except getattr_p50/p99, getattr_spaced_p50/p99 (us), rss, pss,"
echo "bench: private_dirty (MiB) and *_cpu (us/req: CPU time of the back-end, all its processes"
echo "bench: and threads, per request answered). getattr_spaced: one GETATTR every 200 us."
echo "bench: p/C and p/rust are privfsd/peer as is. p/best compares privfsd with the"
echo "bench: better peer on that row, the higher for higher-is-better rows (privfsd/peer) and the"
echo "bench: lower for lower-is-better ones (peer/privfsd): >= 1.00 always means privfsd is as"
echo "bench: good or better. File in host page cache (read once before each back-end);"
echo "bench: median of $RUNS run(s), back-ends taking turns; CPUs: back-end" \
    "${BENCH_CPUS_BACKEND:-any}, driver ${BENCH_CPUS_DRIVER:-any}"
echo "bench: virtiofsd-C is $VIRTIOFSD_C, virtiofsd-rust is $VIRTIOFSD_RUST"
exit 0
