#!/usr/bin/env bash
# Fuzzes for a while: run.sh SECONDS [TARGET...] runs each target (default: all of them)
# for SECONDS on a copy of its seed corpus, so new inputs land in a scratch directory and
# never in the tree. Prints per target the executions and exec/s from libFuzzer's final
# stats; exits 1 if any target crashed, after copying the crashing input to
# $FUZZ_OUT (default ./fuzz-crashes).
#
# The targets come from a --enable-fuzzing build: $FUZZ_BUILD (default build/fuzz of the
# source tree) after "make fuzz". Targets: fuse, chain, xattrmap, idmap, options, brokermsg,
# vhost, wreq, conf (tests/fuzz/README).
# A long search: FUZZ_KEEP=DIR keeps the grown corpora in DIR/<target> across runs, and
# FUZZ_JOBS=N runs N libFuzzer workers per target, e.g.
#	FUZZ_KEEP=/var/tmp/corpora FUZZ_JOBS=4 tests/fuzz/run.sh 3600 fuse
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
secs=$1; shift
targets=${*:-fuse chain xattrmap idmap options brokermsg vhost wreq conf}
build=${FUZZ_BUILD:-$top/build/fuzz}
out=${FUZZ_OUT:-$PWD/fuzz-crashes}
jobs=${FUZZ_JOBS:-1}
scratch=$(mktemp -d) || exit 2
trap 'rm -rf "$scratch"' EXIT

status=0
for t in $targets; do
	bin=$build/tests/fuzz/fuzz-$t
	[ -x "$bin" ] || { echo "$t: no $bin (CC=clang configure --enable-fuzzing; make fuzz)"; status=1; continue; }
	if [ -n "${FUZZ_KEEP:-}" ]; then
		corpus=$FUZZ_KEEP/$t
	else
		corpus=$scratch/corpus-$t
	fi
	mkdir -p "$corpus" "$scratch/art-$t"
	# fuzz-wreq serves requests as user nobody: a crash there is written as nobody,
	# and its export is made under TMPDIR, removed with the rest.
	chmod 711 "$scratch"
	chmod 1777 "$scratch/art-$t"
	export TMPDIR=$scratch
	cp -n "$top/tests/fuzz/corpus/$t/"* "$corpus/"
	log=$scratch/$t.log
	if [ "$jobs" -gt 1 ]; then
		# Workers share the corpus; each one's final stats are in its fuzz-N.log.
		(cd "$scratch" && "$bin" -max_total_time="$secs" -print_final_stats=1 \
		    -jobs="$jobs" -workers="$jobs" -artifact_prefix="$scratch/art-$t/" \
		    -timeout=25 "$corpus" >"$log" 2>&1)
		rc=$?
		cat "$scratch"/fuzz-*.log >>"$log" 2>/dev/null
		rm -f "$scratch"/fuzz-*.log
	else
		"$bin" -max_total_time="$secs" -print_final_stats=1 \
		    -artifact_prefix="$scratch/art-$t/" -timeout=25 "$corpus" >"$log" 2>&1
		rc=$?
	fi
	execs=$(awk '/^stat::number_of_executed_units:/ { n += $2 } END { print n + 0 }' "$log")
	rate=$(awk '/^stat::average_exec_per_sec:/ { n += $2 } END { print n + 0 }' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	printf '%-10s %10s execs %8s exec/s %6ss  %s  corpus %s\n' "$t" "$execs" "$rate" \
	    "$secs" "${cov:-cov: ?}" "$(ls "$corpus" | wc -l)"
	if [ "$rc" -ne 0 ] || [ -n "$(ls "$scratch/art-$t")" ]; then
		status=1
		mkdir -p "$out"
		for a in "$scratch/art-$t"/*; do
			[ -e "$a" ] && cp "$a" "$out/$t-$(basename "$a")"
		done
		echo "$t: CRASHED (exit $rc); inputs in $out:"
		ls "$out" | sed "s/^/  /"
		grep -E -A 12 '^==[0-9]+==ERROR|^SUMMARY|never completed|completed twice|written,' \
		    "$log" | head -n 40
	fi
done
exit $status
