#!/usr/bin/env bash
# Options, boot 2 ("features on"): --xattr --xattrmap --posix-acl --security-label
# --killpriv-v2 --preserve-noatime --cache=always --writeback --allow-direct-io
# --announce-submounts --inode-numbers=hashed, thread pool 0, debug log.
#   --xattr/--xattrmap  the guest sets and reads user.x; the host stores user.mapped.user.x
#   --posix-acl         an ACL set by guest uid 1000 is stored and enforced; the set-group-ID
#                       bit of a group it is not in goes (guest and host)
#   --security-label    INIT acknowledges SECURITY_CTX; creating works (this guest has no
#                       SELinux/Smack, so its requests carry an empty context list)
#   --killpriv-v2       guest uid 1000 writing a root-owned 4777 file clears set-user-ID
#   --writeback         1 MiB written and synced is on the host; guest uid 1000 appending to
#                       a root-owned 0666 file works (the guest then sends its own mtime
#                       and ctime, which a non-owner may not set on the host: fixed in
#                       worker/ops_attr.c, as virtiofsd, which sets them as root)
#   --preserve-noatime  an O_NOATIME read leaves the host atime alone
#   --cache=always      a host rewrite of a file the guest has cached is not seen
#   --allow-direct-io   O_DIRECT write and read work; the host got the data
#   --announce-submounts  two host tmpfs mounts are mounts in the guest, own st_dev each
#   --inode-numbers=hashed  guest st_ino is not the host's, is stable across a cache drop,
#                       and differs for two host files with the same inode number on two
#                       submounts
#   --thread-pool-size=0  a SETLKW waiting in one guest process does not stall a read in
#                       another (waits have their own thread); the time is printed
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/options/opt-lib.sh"
opt_setup
e=$T/share/.e2e
printf 'version 1\n' >"$d/changing"
: >"$d/x"
printf 'acl\n' >"$d/acl" && chown 1000:0 "$d/acl" && chmod 2775 "$d/acl"
printf 'suid\n' >"$d/suid" && chmod 4777 "$d/suid"
printf 'shared\n' >"$d/shared" && chmod 666 "$d/shared"
printf 'atime probe\n' >"$d/atime" && touch -a -d '2001-01-01' "$d/atime"
atime0=$(stat -c %X "$d/atime")
printf 'lock\n' >"$d/lock" && chmod 666 "$d/lock"
printf 'other\n' >"$d/other"
mkdir -m 777 "$d/new"
mkdir "$d/sub1" "$d/sub2"
for s in sub1 sub2; do
	mount -t tmpfs -o size=1m,mode=755 "opt-$s" "$d/$s" || skip "cannot mount tmpfs"
	at_exit "umount -l '$d/$s'"
	printf '%s\n' "$s" >"$d/$s/a"
done
stat -c %i "$d/x" >"$e/ino-x"
[ "$(stat -c %i "$d/sub1/a")" = "$(stat -c %i "$d/sub2/a")" ] ||
	echo "note: the two tmpfs files do not share an inode number here"
req_change_inplace() { printf 'VERSION 2, longer\n' >"$d/changing"; }
opt_guest "$OPT_DIR/guest-features.sh"
rules=':prefix:all:user.x:user.mapped.::ok:all:::'
opt_boot features --xattr --xattrmap="$rules" --posix-acl --security-label --killpriv-v2 \
	--preserve-noatime --cache=always --writeback --allow-direct-io --announce-submounts \
	--inode-numbers=hashed --thread-pool-size=0 --log-level=debug
rc=$?
blog=$T/features/backend.log
hx() { python3 -c "import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())" "$@" 2>&1; }
want "xattrmap: host stores user.mapped.user.x" test "$(hx "$d/x" user.mapped.user.x)" = guestvalue
want "xattrmap: host has no plain user.x" sh -c "! getfattr -n user.x '$d/x' 2>/dev/null && ! python3 -c \"import os; os.getxattr('$d/x','user.x')\" 2>/dev/null"
want "posix-acl: host file has the ACL" python3 -c "import os; assert len(os.getxattr('$d/acl','system.posix_acl_access')) == 44"
want "posix-acl: host mode lost set-group-ID" test "$(stat -c %a "$d/acl")" = 764
want "killpriv-v2: host mode lost set-user-ID" test "$(stat -c %a "$d/suid")" = 777
want "killpriv-v2: the write is there" grep -q 'by 1000' "$d/suid"
want "writeback: 1 MiB on the host" test "$(stat -c %s "$d/wb" 2>/dev/null)" = 1048576
want "writeback: uid 1000's line in the root-owned file" grep -q 'by 1000' "$d/shared"
want "preserve-noatime: host atime unchanged" test "$(stat -c %X "$d/atime")" = "$atime0"
want "allow-direct-io: 4 KiB of D on the host" sh -c "head -c 4096 /dev/zero | tr '\\0' D | cmp -s - '$d/direct'"
want "security-label: SECURITY_CTX acknowledged in INIT" sh -c "grep 'fuse: INIT 7' '$blog' | head -n 1 | awk '{ print \$NF }' | python3 -c 'import sys; sys.exit(0 if int(sys.stdin.read(), 16) >> 32 & 1 else 1)'"
want "security-label: the guest's new file exists" test -f "$d/new/labelled"
want "announce-submounts: INIT acknowledges SUBMOUNTS" sh -c "grep 'fuse: INIT 7' '$blog' | head -n 1 | awk '{ print \$NF }' | python3 -c 'import sys; sys.exit(0 if int(sys.stdin.read(), 16) >> 27 & 1 else 1)'"
echo "thread-pool-size=0: a read during a waiting SETLKW took $(opt_val features lockms) ms"
opt_finish $rc "feature options seen from the guest"
