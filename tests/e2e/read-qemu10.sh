#!/usr/bin/env bash
# End to end with a second, current VMM: QEMU 10.0 (/opt/peers/bin/qemu10-system-x86_64,
# installed by the peers' installer that contrib/test-all.sh runs when it is there). The same
# read checks as read-qemu72.sh, and the back-end must end cleanly when QEMU exits.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
q10=/opt/peers/bin/qemu10-system-x86_64
[ -x "$q10" ] || skip "no QEMU 10 at $q10 (the peers are not installed)"
e2e_require "$q10"
e2e_make_share "$T/share"
e2e_run read-qemu10 --qemu="$q10" || fail "QEMU 10 guest on $E2E_BACKEND"
pass "QEMU 10 guest read checks on $E2E_BACKEND"
