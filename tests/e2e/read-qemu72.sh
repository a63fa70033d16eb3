#!/usr/bin/env bash
# End to end, QEMU 7.2 (Debian 12's): a Debian kernel mounts the export by tag and checks the
# listing, stat (type, mode, owner, size, links, mtime), symlink targets and contents (whole
# files and pieces at offsets) against what the host wrote; then the back-end must end
# cleanly when QEMU exits (exit 0, socket removed, no process left).
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
e2e_make_share "$T/share"
e2e_run read-qemu72 || fail "QEMU 7.2 guest on $E2E_BACKEND"
pass "QEMU 7.2 guest read checks on $E2E_BACKEND"
