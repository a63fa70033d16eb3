# flood.sh WORKLOAD: a guest hammers one queue with WORKLOAD (forget, lookup, opendir,
# readdir) for FLOOD_SECONDS (driver/vu-flood's default: 60, 10 in a sanitizer build);
# every privfsd process must stay under its documented memory bound (privfsd(8), "Bounds
# against a hostile guest"), and none may crash.
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend

w=$1
# Sanitizer builds: a quarantine of freed memory this size instead of 256 MiB, so what is
# measured is still privfsd's memory (vu-flood allows ASan its share; ignored otherwise).
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16:thread_local_quarantine_size_kb=256"
export ASAN_OPTIONS
mkdir -p "$T/share"
start_backend "$T/share" "$T/sock" "$T/log"
rc=0
FLOOD_BROKER_PID=$BACKEND_PID "$DRIVER_BIN/vu-flood" --socket="$T/sock" \
    --host-dir="$T/share" "$w" || rc=1
if privfsd_crashes "$T/log"; then
	echo "FAIL: a privfsd process crashed"; rc=1
fi
if [ $rc -ne 0 ]; then
	echo "--- privfsd log:"
	tail -n 20 "$T/log"
fi
stop_backend
[ $rc -eq 0 ] || fail "flood $w"
pass "flood $w: every process under its bound"
