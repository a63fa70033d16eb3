# DAX cases (driver/vu-dax) against privfsd, in both VMM flavours: privfsd with
# --dax=always --dax-vmm=shmem|fs-map and a 128 MiB window, the driver playing that VMM.
# Per flavour, the functional and hostile cases run in order on one connection (the
# driver checks after each that privfsd still serves, its processes live, and nothing
# outside the window reached the VMM); then "off" on a privfsd without --dax.
#
#   DAX_FLAVOURS="shmem fs-map"  which flavours
#   DAX_FRESH=1                  a fresh privfsd for every case (slower; isolates them)
#   bash dax.sh [CASE...]        only these cases
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend

WINDOW=128M
VU_DAX=$DRIVER_BIN/vu-dax
[ -x "$VU_DAX" ] || fail "no $VU_DAX"
all=$("$VU_DAX" --socket=x list | sed -n 's/ (off)$//p;t;p')
cases=${*:-$all}
failed=""

# run_privfsd FLAVOUR on|off CASE...: one privfsd, one connection, the cases in order.
run_privfsd() {
	f=$1 mode=$2; shift 2
	d=$T/$f-$mode-$1
	mkdir -p "$d/share"
	DRIVER_PRIVFSD_ARGS=
	[ "$mode" = off ] ||
	    DRIVER_PRIVFSD_ARGS="--dax=always --dax-window=$WINDOW --dax-vmm=$f"
	start_backend "$d/share" "$d/sock" "$d/log"
	rc=0
	DRIVER_CHECK_CMD="bash $PRIVFSD_SRCDIR/tests/driver/check-procs.sh $BACKEND_PID privfsd" \
	DRIVER_BACKEND_LOG="$d/log" \
	    "$VU_DAX" --socket="$d/sock" --host-dir="$d/share" --dax-window=$WINDOW \
	    --dax-vmm="$f" "$@" || rc=1
	grep -E 'warn|error' "$d/log" | sed 's/^/log: /' | head -n 10
	if privfsd_crashes "$d/log"; then
		echo "FAIL: a privfsd process crashed"; rc=1
	fi
	# the frontend's word for a worker answering one request twice (or a stranger's)
	if grep -q 'matches no request' "$d/log"; then
		echo "FAIL: privfsd's worker answered a request that was no longer waiting"; rc=1
	fi
	stop_backend
	if [ $rc -ne 0 ]; then
		failed="$failed $f:$*"
		echo "--- privfsd log ($f, $mode):"
		tail -n 20 "$d/log"
	fi
}

for f in ${DAX_FLAVOURS:-shmem fs-map}; do
	on="" off=""
	for c in $cases; do
		if [ "$c" = off ]; then off=off; else on="$on $c"; fi
	done
	if [ -n "${DAX_FRESH:-}" ]; then
		for c in $on; do run_privfsd "$f" on "$c"; done
	elif [ -n "$on" ]; then
		run_privfsd "$f" on $on
	fi
	[ -z "$off" ] || run_privfsd "$f" off off
done
[ -z "$failed" ] || fail "DAX cases failed:$failed"
pass "DAX: $(echo $cases | wc -w) cases in each of ${DAX_FLAVOURS:-shmem fs-map}"
