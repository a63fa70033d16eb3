# guest part of restrict.sh
expect "readonly: create gets EROFS" "Read-only" sh -c "echo x >$D/new"
expect "readonly: overwrite gets EROFS" "Read-only" sh -c "echo x >$D/keep"
expect "readonly: mkdir gets EROFS" "Read-only" mkdir $D/newdir
expect "readonly: rm gets EROFS" "Read-only" rm -f $D/keep
expect "readonly: chmod gets EROFS" "Read-only" chmod 600 $D/keep
expect "readonly: open O_RDWR gets EROFS" "ERR EROFS" $OPT open $D/keep rdwr
expect "no xattr: getxattr EOPNOTSUPP" "ERR EOPNOTSUPP" $OPT xget $D/keep user.host
expect "no xattr: listxattr EOPNOTSUPP" "ERR EOPNOTSUPP|^OK$" $OPT xlist $D/keep
expect "readonly/no xattr: setxattr refused" "ERR (EOPNOTSUPP|EROFS)" $OPT xset $D/keep user.g v
expect "cache=never: first read" "^version 1$" cat $D/changing
req change
expect "cache=never: renamed-over file seen at once" "^version 2, longer$" cat $D/changing
expect "cache=never: new size seen at once" "^18$" stat -c %s $D/changing
req change_inplace
expect "cache=never: in-place rewrite seen at once (size)" "^24$" stat -c %s $D/changing
expect "cache=never: in-place rewrite seen at once (data)" "^VERSION 3" cat $D/changing
expect "no-readdirplus: ls lists" "^a b$" sh -c "ls $D/dir | tr '\n' ' ' | sed 's/ \$//'"
expect "no-readdirplus: ls -l lists with attributes" "^-rw-r--r-- +1 +0 +0 +2 .* b$" ls -l $D/dir
expect "cache=never, no allow-mmap: MAP_SHARED gets ENODEV" "ERR ENODEV" $OPT mmap $D/blob shared
expect "cache=never: MAP_PRIVATE works" "^OK" $OPT mmap $D/blob private
expect "no allow-direct-io: O_DIRECT read works" "^OK" $OPT open $D/blob rdonly direct
expect "no preserve-noatime: O_NOATIME open and read work" "^OK" $OPT open $D/atime rdonly noatime
finish
