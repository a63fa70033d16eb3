# shellcheck shell=sh
# The guest's part of userns.sh (after guest-lib.sh): an export served by an unprivileged
# user's privfsd. Everything the user owns on the host is the guest's root's; guest ids
# other than 0 do not exist.
D=/mnt/data
step "the export is owned by 0:0 (the user on the host)" sh -c "[ \"\$(stat -c %u:%g $D)\" = 0:0 ]"
step "write 600 KiB" sh -c "seq 1 100000 >$D/seq.txt"
step "read it back" sh -c "seq 1 100000 | cmp - $D/seq.txt"
step "new files are owned by 0:0" sh -c "[ \"\$(stat -c %u:%g $D/seq.txt)\" = 0:0 ]"
step "mkdir, rename, symlink, hard link" sh -c "mkdir $D/dir && mv $D/seq.txt $D/dir/seq.txt &&
	ln -s dir/seq.txt $D/sym && ln $D/dir/seq.txt $D/hard && [ \"\$(readlink $D/sym)\" = dir/seq.txt ]"
step "chmod 640" sh -c "chmod 640 $D/dir/seq.txt && [ \"\$(stat -c %a $D/dir/seq.txt)\" = 640 ]"
step "chown to 0:0" chown 0:0 $D/dir/seq.txt
step "chown to 1000 is refused (EPERM)" sh -c "! chown 1000 $D/dir/seq.txt 2>/tmp/err &&
	grep -q 'Operation not permitted' /tmp/err"
step "chgrp to 1000 is refused (EPERM)" sh -c "! chgrp 1000 $D/dir/seq.txt 2>/tmp/err &&
	grep -q 'Operation not permitted' /tmp/err"
step "a file of another host user shows as 65534" sh -c "[ \"\$(stat -c %u:%g $D/roots)\" = 65534:65534 ]"
step "and cannot be written" sh -c "! echo more >>$D/roots"
step "nor read (mode 600)" sh -c "! cat $D/roots"
step "remove" sh -c "rm $D/hard $D/sym && rm -r $D/dir && [ ! -e $D/dir ]"
step "write the file the host checks" sh -c "echo 'from the guest' >$D/hello && sync"
mkdir -p /etc && echo 'u:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd && echo 'u:x:1000:' >>/etc/group
step "guest user 1000 is refused (EPERM)" sh -c "! su -s /bin/sh u -c 'cat $D/hello' 2>/tmp/err &&
	grep -q 'Operation not permitted' /tmp/err"
finish
