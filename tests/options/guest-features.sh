# guest part of features.sh
expect "xattr: set user.x" "^OK" $OPT xset $D/x user.x guestvalue
expect "xattr: get user.x" "^OK guestvalue$" $OPT xget $D/x user.x
expect "xattrmap: list shows user.x, not the host name" "^OK user.x$" $OPT xlist $D/x
expect "posix-acl: uid 1000 sets an ACL on its file" "^OK" $OPT asuser 1000 1000 aclset $D/acl 1234
expect "posix-acl: ls shows the ACL mark" "^-rwxrw-r--\+? " ls -l $D/acl
expect "posix-acl: set-group-ID gone in the guest" "^764$" stat -c %a $D/acl
expect "posix-acl: uid 1234 may write (ACL rw)" "^OK" $OPT asuser 1234 1234 open $D/acl wronly
expect "posix-acl: uid 1235 may not (other r)" "ERR EACCES" $OPT asuser 1235 1235 open $D/acl wronly
expect "security-label: create works" "^OK" $OPT open $D/new/labelled creat wronly
expect "killpriv-v2: uid 1000 appends to a 4777 root file" "^OK" \
	$OPT asuser 1000 1000 append $D/suid "by 1000"
expect "killpriv-v2: set-user-ID gone in the guest" "^777$" stat -c %a $D/suid
step "writeback: write 1 MiB and sync" sh -c "dd if=/dev/zero of=$D/wb bs=64k count=16 2>/dev/null && sync"
expect "writeback: size" "^1048576$" stat -c %s $D/wb
expect "writeback: uid 1000 appends to a root-owned 0666 file" "^OK" \
	$OPT asuser 1000 1000 append $D/shared "by 1000"
expect "preserve-noatime: O_NOATIME read" "^OK" $OPT open $D/atime rdonly noatime
expect "cache=always: first read" "^version 1$" cat $D/changing
# A read marks atime stale, and stat(2) asks for atime: one stat now, before the change.
expect "cache=always: size" "^10$" stat -c %s $D/changing
req change_inplace
expect "cache=always: host rewrite not seen (data)" "^version 1$" cat $D/changing
expect "cache=always: host rewrite not seen (size)" "^10$" stat -c %s $D/changing
expect "allow-direct-io: O_DIRECT write and read" "^OK" $OPT open $D/direct creat rdwr direct
# stat(2) does not trigger an automount: walking into the submount does.
expect "announce-submounts: files inside are read" "^sub1 sub2$" sh -c "cat $D/sub1/a $D/sub2/a | tr '\n' ' ' | sed 's/ \$//'"
expect "announce-submounts: sub1 is a mount" " /mnt/data/sub1 " cat /proc/self/mountinfo
expect "announce-submounts: sub2 is a mount" " /mnt/data/sub2 " cat /proc/self/mountinfo
expect "announce-submounts: sub1 has its own st_dev" "^different$" \
	sh -c "[ \$(stat -c %d $D/sub1) != \$(stat -c %d $D) ] && echo different"
ino1=$(stat -c %i $D/x)
expect "inode-numbers=hashed: not the host number" "^different$" \
	sh -c "[ $ino1 != \$(cat /mnt/.e2e/ino-x) ] && echo different"
echo 3 >/proc/sys/vm/drop_caches
expect "inode-numbers=hashed: stable after a cache drop" "^$ino1\$" stat -c %i $D/x
expect "inode-numbers=hashed: colliding host numbers differ" "^different$" \
	sh -c "[ \$(stat -c %i $D/sub1/a) != \$(stat -c %i $D/sub2/a) ] && echo different"
out=$($OPT lockstall $D/lock $D/other)
val lockms "$(echo "$out" | sed -n 's/.*ms=\([0-9]*\).*/\1/p')"
expect "thread-pool-size=0: SETLKW waiter got the lock, read not stalled" "^OK ms=[0-9]{1,3} " echo "$out"
finish
