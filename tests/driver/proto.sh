# Protocol tests (driver/vu-proto) against DRIVER_BACKEND, one fresh back-end per case.
# Run through proto-<backend>.sh, or: DRIVER_BACKEND=virtiofsd bash proto.sh [CASE...]
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_backend

cases=${*:-"mount mq indirect event-idx late-used-event unkicked-chain out-of-order reboot enosys before-init second-init add-mem-reg qemu-acks dirty-log"}
failed=""
for c in $cases; do
	mkdir -p "$T/$c/share"
	start_backend "$T/$c/share" "$T/$c/sock" "$T/$c/log"
	"$DRIVER_BIN/vu-proto" --socket="$T/$c/sock" --backend="$DRIVER_BACKEND" \
	    --host-dir="$T/$c/share" $c
	rc=$?
	# like virtiofsd, privfsd ends when QEMU disconnects: it must do so cleanly
	if [ "$DRIVER_BACKEND" = privfsd ]; then
		backend_exit_status 3; st=$BACKEND_STATUS
		echo "privfsd after the disconnection: $st"
		case $st in "exit 0"|running) ;; *) rc=1 ;; esac
	fi
	stop_backend
	# The late look's signal is told to the operator (info, rate-limited).
	if [ "$DRIVER_BACKEND" = privfsd ] && [ "$c" = late-used-event ] &&
	    ! grep -q "asked for a signal after our check; sent late (1 so far)" "$T/$c/log"; then
		echo "FAIL: no log line for the signal sent late"
		rc=1
	fi
	if [ $rc -ne 0 ]; then
		failed="$failed $c"
		echo "--- $DRIVER_BACKEND log of $c:"
		tail -n 30 "$T/$c/log"
	fi
done
[ -z "$failed" ] || fail "$DRIVER_BACKEND: failed:$failed"
pass "$DRIVER_BACKEND: protocol cases $cases"
