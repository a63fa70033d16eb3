#!/usr/bin/env bash
# EDQUOT: the export is a 32 MiB ext4 image with quotas, and the files the guest writes
# belong to uid 1000, whose block limit is 2 MiB. The guest writes until the quota is
# spent; as for ENOSPC (full_fs in fault-lib.sh) the error must reach it as EDQUOT, what it
# was told was written must be there, and the export keeps serving. The worker holds no
# CAP_SYS_RESOURCE, so the limit holds for it as for any process of that user.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_backend
command -v mkfs.ext4 >/dev/null || skip "no mkfs.ext4 (e2fsprogs)"
command -v setquota >/dev/null || skip "no setquota (Debian package quota)"

img=$T/quota.img
mnt=$T/share
mkdir -p "$mnt"
truncate -s 32M "$img" || fail "truncate"
mkfs.ext4 -q -F -O quota -E quotatype=usrquota "$img" >"$T/mkfs.out" 2>&1 ||
    skip "mkfs.ext4 -O quota failed: $(head -n 1 "$T/mkfs.out")"
if ! mount -o loop,usrquota "$img" "$mnt" 2>"$T/mount.err"; then
	dmesg 2>/dev/null | grep -q 'not built with CONFIG_QUOTA' &&
	    skip "this kernel has no quota support (CONFIG_QUOTA)"
	skip "cannot mount an ext4 image with quotas: $(head -n 1 "$T/mount.err")"
fi
at_exit "umount -l '$mnt'"
chmod 755 "$mnt"
setquota -u 1000 0 2048 0 0 "$mnt" || fail "setquota -u 1000 0 2048 0 0 $mnt"
: >"$mnt/keep"
: >"$mnt/big"
chown 1000:1000 "$mnt/keep" "$mnt/big"
full_fs EDQUOT "$mnt"
pass "EDQUOT reaches the guest, nothing written is lost, the export keeps serving"
