#!/usr/bin/env bash
# Options, boot 1 ("what is off or restricted"): --readonly --cache=never --no-readdirplus,
# no --xattr, no --allow-mmap, no --allow-direct-io, no --preserve-noatime, debug log.
#   --readonly          guest writes, creates, removes, chmods, setxattrs get EROFS; the host
#                       tree is byte-for-byte unchanged. Run twice: with the default sandbox
#                       (the worker's mount is read-only too) and with --sandbox=chroot,
#                       where only the worker's own checks stand in the way
#   --cache=never       a host change of size and contents is seen by the very next stat/read
#   --no-readdirplus    the guest lists directories; the log has READDIR, never READDIRPLUS
#   no --xattr          getxattr/listxattr get EOPNOTSUPP although the host file has one
#   no --allow-mmap     (cache=never) MAP_SHARED gets ENODEV, MAP_PRIVATE works
#   no --allow-direct-io  O_DIRECT opens and reads work (the flag is dropped, as virtiofsd)
#   no --preserve-noatime  an O_NOATIME open works (atime itself: limits.sh; a read-only
#                       export never updates atime)
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/options/opt-lib.sh"
opt_setup
printf 'version 1\n' >"$d/changing"
printf 'keep me\n' >"$d/keep"
mkdir "$d/dir" && printf 'x\n' >"$d/dir/a" && printf 'y\n' >"$d/dir/b"
python3 -c "import os; os.setxattr('$d/keep', 'user.host', b'v')" || fail "host setxattr"
head -c 8192 /dev/urandom >"$d/blob"
printf 'atime probe\n' >"$d/atime"
snap() { (cd "$d" && find . -mindepth 1 -path ./changing -prune -o -print0 | sort -z |
	xargs -0 stat -c '%n %a %u %g %s %Y' && cat keep blob dir/* | sha256sum) }
snap >"$T/before"
req_change() { printf 'version 2, longer\n' >"$d/changing.new" && mv "$d/changing.new" "$d/changing"; }
req_change_inplace() { printf 'VERSION 3, longer still\n' >"$d/changing"; }
opt_guest "$OPT_DIR/guest-restrict.sh"
opt_boot restrict --readonly --cache=never --no-readdirplus --log-level=debug
rc=$?
blog=$T/restrict/backend.log
snap >"$T/after"
want "host tree unchanged by the read-only guest" cmp -s "$T/before" "$T/after"
want "log shows READDIR" grep -q 'fuse: READDIR ' "$blog"
want "log never shows READDIRPLUS" sh -c "! grep -q READDIRPLUS '$blog'"
# The same with no read-only mount underneath: the worker alone enforces --readonly.
printf 'version 1\n' >"$d/changing"
opt_boot restrict-chroot --readonly --cache=never --no-readdirplus --sandbox=chroot
rc2=$?
snap >"$T/after2"
want "host tree unchanged by the read-only guest (chroot sandbox)" cmp -s "$T/before" "$T/after2"
[ $rc = 0 ] && rc=$rc2
opt_finish $rc "restricting options seen from the guest"
