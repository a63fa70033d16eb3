#!/usr/bin/env bash
# End to end across a guest reboot: the guest mounts and checks, reboots (QEMU stops the
# rings with GET_VRING_BASE, starts them again, and the new kernel sends a fresh FUSE_INIT on
# the same vhost-user connection), mounts again and checks again. The back-end serves both
# boots and ends cleanly when QEMU exits.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
e2e_make_share "$T/share"
touch "$T/share/.e2e/want-reboot"
e2e_run reboot --reboot || fail "reboot on $E2E_BACKEND"
grep -q '^run-guest: PASS boot=2 ' "$T/reboot.out" || fail "the result did not come from the second boot"
[ "$(grep -ac '^E2E-MOUNTED' "$T/reboot/console.log")" = 2 ] || fail "the guest did not mount twice"
pass "mount, reboot, mount again on $E2E_BACKEND"
