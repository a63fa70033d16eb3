#!/usr/bin/env bash
# 50 guest reboots on one privfsd, through the native driver: each reboot stops the rings,
# resets the device (RESET_DEVICE), moves guest memory to a new file (a new memory table)
# and starts a new FUSE session that looks up, opens, locks and writes and then walks away
# from all of it, as a rebooting guest does. The memory, fds, maps and threads of every
# privfsd process after boot 1 and after boot 50 are printed; vu-fault fails if any grew
# past its tolerance (fault/fault.c). A few real reboots: e2e/reboot.sh.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_backend

n=${FAULT_REBOOTS:-50}
# Sanitizer builds: a small quarantine, so freed memory comes back as it would otherwise.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
export ASAN_OPTIONS
mkdir -p "$T/share"
start_backend "$T/share" "$T/sock" "$T/log"
rc=0
FAULT_BROKER_PID=$BACKEND_PID "$FAULT_BIN" --socket="$T/sock" --host-dir="$T/share" \
    reboots "$n" || rc=1
if privfsd_crashes "$T/log"; then
	echo "a privfsd process crashed"; rc=1
fi
backend_exit_status 10
[ "$BACKEND_STATUS" = "exit 0" ] || { echo "privfsd: $BACKEND_STATUS after the last boot"; rc=1; }
if [ $rc -ne 0 ]; then
	echo "--- privfsd log:"
	tail -n 30 "$T/log"
	fail "$n reboots"
fi
pass "$n reboots: fds, maps and threads as after boot 1, memory within tolerance"
