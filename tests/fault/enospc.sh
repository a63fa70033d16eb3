#!/usr/bin/env bash
# ENOSPC: the export is a 2 MiB tmpfs. The guest fills it; the error reaches the guest as
# ENOSPC, what it was told was written is there, the daemon keeps serving, and writing
# works again once the guest removes the big file (full_fs in fault-lib.sh).
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_backend

mkdir -p "$T/share"
mount -t tmpfs -o size=2m,mode=755 fault-enospc "$T/share" || skip "cannot mount a tmpfs"
at_exit "umount -l '$T/share'"
: >"$T/share/keep"
: >"$T/share/big"
full_fs ENOSPC "$T/share"
pass "ENOSPC reaches the guest, nothing written is lost, the export keeps serving"
