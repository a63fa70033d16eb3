# shellcheck shell=bash
# Reading the in-guest POSIX suite's output (run-posix.sh leaves root.tap and user.tap in a
# run directory), for the tests that compare two runs (posix/compare.sh,
# e2e/fuse-bindfs.sh).

# results RUNDIR: "run name status" lines, status ok, fail or skip.
results() {
	local run
	for run in root user; do
		awk -v run="$run" '
			/^not ok [0-9]+ / { n = $4; sub(/:$/, "", n); print run, n, "fail"; next }
			/^ok [0-9]+ .*# SKIP/ { print run, $3, "skip"; next }
			/^ok [0-9]+ / { print run, $3, "ok" }' "$1/$run.tap"
	done | LC_ALL=C sort
}

# complete RUNDIR: both runs printed their summary line.
complete() {
	grep -q '^posixsuite: ' "$1/root.tap" 2>/dev/null &&
	    grep -q '^posixsuite: ' "$1/user.tap" 2>/dev/null
}
