#!/usr/bin/env bash
# The POSIX semantics suite on host-local file systems, the ground truth the guest runs are
# held to: /tmp's file system (ext4 here) and a fresh tmpfs, as root with --uid 1000 and as
# uid 1000. A check that fails here is a wrong check, not a back-end bug.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root
bin=$PRIVFSD_TESTS_BUILDDIR/posix/posixsuite
[ -x "$bin" ] || fail "no $bin"
bad=0
mkdir -p "$T/disk/user" "$T/tmpfs"
chown 1000:1000 "$T/disk/user"
"$bin" "$T/disk" --uid 1000 --gid 1000 --many 2000 || bad=1
"$bin" "$T/disk/user" --uid 1000 --gid 1000 --drop --many 500 || bad=1
if mount -t tmpfs -o size=64m,mode=755 posixsuite "$T/tmpfs"; then
	at_exit "umount '$T/tmpfs'"
	"$bin" "$T/tmpfs" --uid 1000 --gid 1000 --many 2000 || bad=1
else
	echo "# no tmpfs mount here: ext4 only"
fi
[ $bad = 0 ] || fail "posixsuite on a local file system"
pass "posixsuite on local file systems"
