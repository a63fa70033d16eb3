# guest part of limits.sh
expect "cache=auto: first read" "^version 1$" cat $D/changing
expect "cache=auto: size" "^10$" stat -c %s $D/changing
req change_inplace
sleep 1.5
expect "cache=auto: host rewrite seen after 1.5 s (size)" "^18$" stat -c %s $D/changing
expect "cache=auto: host rewrite seen after 1.5 s (data)" "^VERSION 2" cat $D/changing
out=$($OPT lockstall $D/lock $D/other)
val lockms "$(echo "$out" | sed -n 's/.*ms=\([0-9]*\).*/\1/p')"
expect "thread-pool-size=4: SETLKW waiter got the lock, read not stalled" "^OK ms=[0-9]{1,3} " echo "$out"
expect "rlimit-nofile: ENFILE past the budget" "^ERR opened=[0-9]+ first_error=ENFILE" $OPT hold $D/hold 200
expect "rlimit-nofile: still serving afterwards" "^version|^VERSION" cat $D/changing
step "rlimit-nofile: new files after the burst" sh -c "echo again >$D/hold/after && cat $D/hold/after"
step "inode-file-handles: look up 300 files" sh -c "ls -l $D/many | wc -l"
req countfds
expect "inode-file-handles: files still read" "^$" cat $D/many/f1 $D/many/f300
step "inode-file-handles: rename, link, unlink work" sh -c \
	"mv $D/many/f1 $D/many/g1 && ln $D/many/g1 $D/many/h1 && rm $D/many/g1 && [ -f $D/many/h1 ]"
expect "uid-map: guest 1000 creates" "^OK" $OPT asuser 1000 1000 open $D/ids/by-1000 creat wronly
expect "uid-map: the guest sees 1000:1000" "^1000:1000$" stat -c %u:%g $D/ids/by-1000
expect "uid-map: host 101001 is 1001 in the guest" "^1001:1001$" stat -c %u:%g $D/ids/host-owned
expect "uid-map: unmapped host 4242 is 65534 in the guest" "^65534:65534$" stat -c %u:%g $D/ids/unmapped
expect "no allow-direct-io: O_DIRECT write and read" "^OK" $OPT open $D/direct creat rdwr direct
expect "no preserve-noatime: O_NOATIME read" "^OK" $OPT open $D/atime rdonly noatime
finish
