#!/usr/bin/env bash
# End to end with num-request-queues=2: three rings (hiprio and two request queues) are set
# up, started, stopped; the read checks pass and the back-end ends cleanly.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
# Both peers refuse a second request queue (libvhost-user: "Invalid queue index: 2";
# virtiofsd 1.13: InvalidParam), so this one runs on privfsd only.
[ "$E2E_BACKEND" = privfsd ] || skip "$E2E_BACKEND serves one request queue only"
e2e_make_share "$T/share"
# 2 as in the issue; 64 because the frontend must serve whatever QEMU configures.
for q in 2 64; do
	e2e_run multiqueue --queues=$q || fail "num-request-queues=$q on $E2E_BACKEND"
	pass "num-request-queues=$q read checks on $E2E_BACKEND"
done
