# A quick run of the benchmark (< 20 s): it must run against every back-end present and
# print its table. It checks that the benchmark works, never a ratio: privfsd has a
# number in every workload row, in the first CPU row and in the pss row; and a run with two
# connections at once merges into one table.
[ -n "${PRIVFSD_SRCDIR:-}" ] || { echo "SKIP: no PRIVFSD_SRCDIR"; exit 77; }
out=$(BENCH_SECONDS=0.2 BENCH_FILE_MIB=8 BENCH_DIR_ENTRIES=300 BENCH_DIR= BENCH_OUT= \
    bash "$PRIVFSD_SRCDIR/tests/bench/bench.sh" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL: bench.sh exit $rc"; exit 1; }
echo "$out" | grep -q '^seqread_128k ' || { echo "FAIL: no table"; exit 1; }
# privfsd's column (the third) must have a number in every row
if echo "$out" | grep -E '^(seqread|randread|seqwrite|lookup|create|readdirplus|getattr)' |
    awk '$3 == "NA" { bad = 1 } END { exit !bad }'; then
	echo "FAIL: a workload failed on privfsd"; exit 1
fi
# the CPU and memory sums walk privfsd's process tree; an empty walk prints NA
for row in "$(echo "$out" | awk '$1 ~ /_cpu$/ { print $1; exit }')" pss; do
	[ -n "$row" ] || { echo "FAIL: no _cpu row"; exit 1; }
	echo "$out" | awk -v r="$row" '$1 == r && $3 ~ /^[0-9.e+-]+$/ { ok = 1 } END { exit !ok }' ||
	    { echo "FAIL: privfsd has no number in $row"; exit 1; }
done
# Two connections at once (two back-ends, two drivers), merged into one row each; data
# pages apart (BENCH_SCATTER).
out=$(BENCH_SECONDS=0.2 BENCH_FILE_MIB=8 BENCH_DIR_ENTRIES=300 BENCH_DIR= BENCH_OUT= \
    BENCH_CONNECTIONS=2 BENCH_BACKENDS=privfsd BENCH_ONLY=latency,randread,seqread1m,seqwrite \
    BENCH_SCATTER=1 bash "$PRIVFSD_SRCDIR/tests/bench/bench.sh" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: bench.sh with two connections: exit $rc"; exit 1; }
for row in getattr_p50 randread_4k_qd1 seqread_1024k seqwrite_1024k pss; do
	echo "$out" | awk -v r="$row" '$1 == r && $3 ~ /^[0-9.e+-]+$/ { ok = 1 } END { exit !ok }' ||
	    { echo "FAIL: two connections: privfsd has no number in $row"; exit 1; }
done
echo "$out" | grep -q '^== queue size 128, seq depth 1, 2 connection(s) ==' ||
    { echo "FAIL: two connections: no table header"; exit 1; }
echo "PASS: benchmark smoke run"
