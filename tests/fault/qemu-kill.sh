#!/usr/bin/env bash
# QEMU killed (SIGKILL) mid-I/O: the guest writes, fsyncs and reads back 1 MiB files in a
# loop with no pause, so requests are in flight when QEMU dies. privfsd must end by itself
# with status 0 (privfsd(8): the export ends when the connection closes), remove its socket
# file (privfsd(8), --socket-path), and leave no process behind (so no fd either: there is
# no process left to hold one), and none of its processes may have crashed.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"

cat >"$T/guest.sh" <<'GUEST'
i=0
while [ $i -lt 100000 ]; do
	i=$((i + 1))
	dd if=/dev/zero of=/mnt/data/f$((i % 4)) bs=64k count=16 conv=fsync 2>/dev/null || break
	cat /mnt/data/f$(((i + 2) % 4)) >/dev/null 2>&1
	echo "IO-LOOP $i"
done
exit 1
GUEST
guest_start "$T/guest.sh"
console_wait '^IO-LOOP 5$' 150 || { guest_dump; fail "the guest's I/O loop did not run"; }
fds=""
for p in $PRIVFSD_TREE; do fds="$fds $(ls "/proc/$p/fd" 2>/dev/null | wc -l)"; done
kill -9 "$QEMU_PID"
wait "$QEMU_PID" 2>/dev/null
echo "ok - QEMU killed during the guest's I/O loop (privfsd processes $PRIVFSD_TREE held$fds fds)"
backend_exit_status 10
[ "$BACKEND_STATUS" = "exit 0" ] || { guest_dump; fail "privfsd: $BACKEND_STATUS, want exit 0"; }
echo "ok - privfsd ended with status 0"
privfsd_tree_gone
if privfsd_crashes "$T/log" || grep -qE 'fatal|violation' "$T/log"; then
	guest_dump
	fail "a privfsd process crashed or failed"
fi
echo "ok - no crash in privfsd's log"
pass "QEMU killed mid-I/O: privfsd ended cleanly, nothing left"
