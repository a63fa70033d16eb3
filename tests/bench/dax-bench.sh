# DAX benchmark row: 4 KiB random reads of one file through the DAX window (vu-bench's
# daxread: the file mapped in 2 MiB ranges, then memcpy at random page offsets) against
# the same reads as FUSE READs at depth 1 (randread), privfsd with --dax=always in the
# VMM flavour DAX_BENCH_VMM (shmem). Prints both in reads/s and their ratio. Not a test:
# it never judges the numbers.
#
#   PRIVFSD_SRCDIR=/work/main PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test bash tests/bench/dax-bench.sh
#
# BENCH_SECONDS (per workload, 2), BENCH_FILE_MIB (256; the window is twice that, at
# least 64 MiB), DAX_BENCH_VMM (shmem or fs-map).
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend

SECS=${BENCH_SECONDS:-2}
FILE_MIB=${BENCH_FILE_MIB:-256}
VMM=${DAX_BENCH_VMM:-shmem}
WIN_MIB=$((FILE_MIB * 2 < 64 ? 64 : (FILE_MIB * 2 + 1) / 2 * 2))
BENCH=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/vu-bench
[ -x "$BENCH" ] || fail "no $BENCH"

mkdir -p "$T/share"
head -c $((FILE_MIB * 1048576)) /dev/urandom >"$T/share/big" || fail "cannot make big"
cat "$T/share/big" >/dev/null
installed_children
DRIVER_PRIVFSD_ARGS="--cache=never --seccomp=kill --dax=always --dax-window=${WIN_MIB}M"
DRIVER_PRIVFSD_ARGS="$DRIVER_PRIVFSD_ARGS --dax-vmm=$VMM"
start_backend "$T/share" "$T/sock" "$T/log"
"$BENCH" --socket="$T/sock" --backend=privfsd --seconds="$SECS" --file-mib="$FILE_MIB" \
    --only=randread,daxread --dax-window="$WIN_MIB" --dax-vmm="$VMM" >"$T/out" 2>"$T/err"
rc=$?
stop_backend
sed 's/^/  /' "$T/err"
[ $rc -eq 0 ] || { tail -n 20 "$T/log"; fail "vu-bench exit $rc"; }
awk -v vmm="$VMM" -v mib="$FILE_MIB" '
$1 == "RESULT" && $3 == "randread_4k_qd1" { fuse = $4 }
$1 == "RESULT" && $3 == "randread_4k_dax" { dax = $4 }
END {
	printf "DAX (%s), %d MiB file, 4 KiB random reads, reads/s:\n", vmm, mib
	printf "%-24s %14s\n", "randread_4k_qd1 (FUSE)", fuse == "" ? "NA" : sprintf("%.0f", fuse)
	printf "%-24s %14s\n", "randread_4k_dax", dax == "" ? "NA" : sprintf("%.0f", dax)
	if (fuse + 0 > 0 && dax + 0 > 0)
		printf "%-24s %14.1f\n", "dax/fuse", dax / fuse
	else
		printf "%-24s %14s\n", "dax/fuse", "NA"
}' "$T/out"
