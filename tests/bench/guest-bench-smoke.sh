# A short in-guest benchmark (about 30 s): one guest run on each back-end, 1 s per
# workload, must print the table with a number for every workload on every back-end, its
# speed and its CPU time. It
# checks that guest-bench.sh works, never a ratio.
[ -n "${PRIVFSD_SRCDIR:-}" ] || { echo "SKIP: no PRIVFSD_SRCDIR"; exit 77; }
out=$(GUEST_BENCH_SECONDS=1 GUEST_BENCH_FILE_MIB=8 GUEST_BENCH_RUNS=1 GUEST_BENCH_OUT= \
    bash "$PRIVFSD_SRCDIR/tests/bench/guest-bench.sh" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "FAIL: guest-bench.sh exit $rc"; exit 1; }
rows=$(echo "$out" | awk '$1 ~ /^(seqwrite_1m|seqread_1m|randread_4k|randwrite_4k|create_stat_unlink|stat)$/ &&
    $3 + 0 > 0 && $4 + 0 > 0 && $5 + 0 > 0 { n++ } END { print n + 0 }')
[ "$rows" = 6 ] || { echo "FAIL: $rows of 6 workload rows have numbers for both back-ends"; exit 1; }
# The CPU rows: present for every workload; a second's work may round to 0 CPU ticks.
num='^[0-9.]+(e[-+]?[0-9]+)?$'
rows=$(echo "$out" | awk -v num="$num" '$1 ~ /^(seqwrite_1m|seqread_1m|randread_4k|randwrite_4k|create_stat_unlink|stat)_cpu$/ &&
    $3 ~ num && $4 ~ num { n++ } END { print n + 0 }')
[ "$rows" = 6 ] || { echo "FAIL: $rows of 6 CPU rows have numbers for both back-ends"; exit 1; }
echo "PASS: in-guest benchmark smoke run"
