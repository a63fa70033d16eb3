# Hostile-guest cases (driver/vu-hostile) against DRIVER_BACKEND, one fresh back-end per
# case. For privfsd every case must pass; for a peer the outcome is recorded only (the
# test fails only when the driver itself cannot run).
# Run through hostile-<backend>.sh, or: DRIVER_BACKEND=virtiofsd bash hostile.sh [CASE...]
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend

cases=${*:-$("$DRIVER_BIN/vu-hostile" --socket=x list)}
failed="" n=0
for c in $cases; do
	n=$((n + 1))
	mkdir -p "$T/$c/share"
	start_backend "$T/$c/share" "$T/$c/sock" "$T/$c/log"
	DRIVER_CHECK_CMD="bash $PRIVFSD_SRCDIR/tests/driver/check-procs.sh $BACKEND_PID $DRIVER_BACKEND" \
	DRIVER_BACKEND_LOG="$T/$c/log" \
	    "$DRIVER_BIN/vu-hostile" --socket="$T/$c/sock" --backend="$DRIVER_BACKEND" \
	    --host-dir="$T/$c/share" $c
	rc=$?
	# after the disconnection the back-end ends (virtiofsd does too): how?
	backend_exit_status 3; st=$BACKEND_STATUS
	if [ "$DRIVER_BACKEND" = privfsd ]; then
		grep -E 'broken|fatal|refused|killed|signal|exited|protocol error' "$T/$c/log" |
		    sed 's/^/log: /' | head -n 6
		echo "privfsd after the disconnection: $st"
		# a vhost-user protocol error ends the export on purpose (as virtiofsd does)
		case $st in
		"exit 0"|running) ;;
		*) if grep -q 'protocol error' "$T/$c/log"; then
			echo "privfsd stopped the export after a logged protocol error"
		   else
			echo "FAIL: privfsd ended with $st"; rc=1
		   fi ;;
		esac
		if privfsd_crashes "$T/$c/log"; then
			echo "FAIL: a privfsd process crashed during $c"; rc=1
		fi
		if [ $rc -ne 0 ]; then
			failed="$failed $c"
			echo "--- privfsd log of $c:"
			tail -n 20 "$T/$c/log"
		fi
	else
		echo "peer: $DRIVER_BACKEND after the disconnection: $st"
		# crash signatures in the peer's log
		grep -iE 'panic|abort|segmentation|assert|overflow' "$T/$c/log" | sed 's/^/peer log: /' | head -n 3
		[ $rc -le 1 ] || failed="$failed $c"	# 2: usage or unknown case
	fi
	stop_backend
done
[ -z "$failed" ] || fail "$DRIVER_BACKEND: failed:$failed"
pass "$DRIVER_BACKEND: $n hostile cases"
