#!/usr/bin/env bash
# End to end, DAX asked for but the VMM has no window: QEMU 7.2's vhost-user-fs-pci does not
# negotiate the SHMEM messages, so privfsd started with --dax=always offers the guest no
# window (INIT without MAP_ALIGNMENT), the guest mounts and reads as usual, and privfsd
# sees no mapping request and asks the VMM for nothing.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
[ "$E2E_BACKEND" = privfsd ] || skip "--dax is privfsd's"
e2e_make_share "$T/share"
E2E_BACKEND_ARGS="${E2E_BACKEND_ARGS:-} --log-level=debug --dax=always"
e2e_run dax-stock || fail "QEMU 7.2 guest with privfsd --dax=always"
log=$T/dax-stock/backend.log
grep -q 'fuse: DAX window 0 bytes' "$log" || fail "privfsd did not see that the VMM has no window"
grep -q 'GET_SHMEM_CONFIG' "$log" && fail "QEMU 7.2 asked for shared memory regions"
grep -q 'SETUPMAPPING\|SHMEM_MAP\|FS_MAP' "$log" && fail "a mapping request with no window"
pass "privfsd --dax=always with QEMU 7.2: no window offered, the guest reads as usual"
