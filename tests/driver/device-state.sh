#!/usr/bin/env bash
# Live migration's device state through vhost-user (SET_DEVICE_STATE_FD, CHECK_DEVICE_STATE)
# as QEMU 8.2+ drives it: driver/vu-proto saves the state of a privfsd whose guest holds a
# directory, a file and an open handle, then loads it into a second privfsd on the same
# directory (and a damaged copy into a third) and uses the ids and the handle there
# without a new INIT. Both modes of --migration-mode.
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
DRIVER_BACKEND=privfsd
require_backend

export PROTO_STATE_FILE="$T/state"
mkdir -p "$T/share"
failed=""
for mode in find-paths file-handles; do
	DRIVER_PRIVFSD_ARGS="--migration-mode=$mode"
	for c in device-state-save device-state-load device-state-bad; do
		start_backend "$T/share" "$T/$c.sock" "$T/$mode-$c.log"
		"$DRIVER_BIN/vu-proto" --socket="$T/$c.sock" --backend=privfsd \
		    --host-dir="$T/share" $c
		rc=$?
		backend_exit_status 3; st=$BACKEND_STATUS
		case $st in "exit 0"|running) ;; *) rc=1; echo "privfsd: $st" ;; esac
		stop_backend
		if [ $rc -ne 0 ]; then
			failed="$failed $mode/$c"
			echo "--- privfsd log of $mode $c:"
			tail -n 30 "$T/$mode-$c.log"
		fi
	done
	grep -q "migration: sent 2 nodes, 1 handles" "$T/$mode-device-state-save.log" ||
	    failed="$failed $mode/sent-count"
	grep -q "migration: 2 nodes found again, 0 lost, 0 of 1 handles lost" \
	    "$T/$mode-device-state-load.log" || failed="$failed $mode/load-count"
done
# The worker killed in the middle of a save: CHECK_DEVICE_STATE fails at once, with a
# worker restart (the frontend answers) and without (the connection closes).
for restart in yes no; do
	c=device-state-worker-dies
	DRIVER_PRIVFSD_ARGS="--worker-restart=$restart"
	mkdir -p "$T/dies-$restart"
	start_backend "$T/dies-$restart" "$T/$c.sock" "$T/$c-$restart.log"
	"$DRIVER_BIN/vu-proto" --socket="$T/$c.sock" --backend=privfsd \
	    --host-dir="$T/dies-$restart" $c || {
		failed="$failed $c/restart=$restart"
		echo "--- privfsd log:"; tail -n 30 "$T/$c-$restart.log"
	}
	stop_backend
done
[ -z "$failed" ] || fail "device state: failed:$failed"
pass "device state saved by one privfsd, loaded by another, used without INIT (both modes); damaged streams refused; a worker dying in a save fails CHECK_DEVICE_STATE at once"
