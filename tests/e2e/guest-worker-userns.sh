# shellcheck shell=sh
# The guest's part of worker-userns.sh (after guest-lib.sh): root's privfsd with the
# worker in a user namespace over host ids BASE..BASE+65535. Inside the range everything
# behaves as on a local file system; the host's own files (ids outside it) show as 65534
# and give nothing beyond their permission bits for others. (Extended attributes and ACLs:
# the POSIX suite's run after this one; busybox has no setfattr.)
D=/mnt/data
mkdir -p /etc && echo 'u:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd && echo 'u:x:1000:' >>/etc/group
step "the export is owned by 0:0 (BASE on the host)" sh -c "[ \"\$(stat -c %u:%g $D)\" = 0:0 ]"
step "write and read back" sh -c "seq 1 100000 >$D/seq.txt && seq 1 100000 | cmp - $D/seq.txt"
step "chown to 1000:1000 and back" sh -c "chown 1000:1000 $D/seq.txt &&
	[ \"\$(stat -c %u:%g $D/seq.txt)\" = 1000:1000 ] && chown 0:0 $D/seq.txt"
step "chown to 65535, the last id of the range" sh -c "chown 65535:65535 $D/seq.txt &&
	[ \"\$(stat -c %u:%g $D/seq.txt)\" = 65535:65535 ]"
step "chown to 65536, past the range, is refused" sh -c "! chown 65536 $D/seq.txt"
step "set-user-ID and set-group-ID bits" sh -c "chown 1000:1000 $D/seq.txt &&
	chmod 6755 $D/seq.txt && [ \"\$(stat -c %a $D/seq.txt)\" = 6755 ]"
step "the owner's write clears them" sh -c "su -s /bin/sh u -c 'echo more >>$D/seq.txt' &&
	[ \"\$(stat -c %a $D/seq.txt)\" = 755 ]"
step "mkdir with set-group-ID is inherited" sh -c "mkdir $D/sg && chown 0:1000 $D/sg &&
	chmod 2775 $D/sg && touch $D/sg/f && [ \"\$(stat -c %g $D/sg/f)\" = 1000 ]"
step "mknod a FIFO" sh -c "mknod $D/fifo p && [ -p $D/fifo ]"
step "mknod a device node is refused (EPERM: CAP_MKNOD of the host's namespace)" sh -c \
	"! mknod $D/null c 1 3 2>/tmp/err && grep -q 'Operation not permitted' /tmp/err"
step "a file of host root shows as 65534" sh -c "[ \"\$(stat -c %u:%g $D/roots)\" = 65534:65534 ]"
step "and cannot be read (mode 600), written, chmod'ed or chown'ed" sh -c "! cat $D/roots &&
	! echo x >>$D/roots && ! chmod 666 $D/roots && ! chown 0 $D/roots"
step "a file of the first host id past the range shows as 65534" sh -c \
	"[ \"\$(stat -c %u:%g $D/outside)\" = 65534:65534 ]"
step "and is read-only to the guest's root (mode 644)" sh -c "cat $D/outside >/dev/null &&
	! echo x >>$D/outside && ! chmod 666 $D/outside && ! chown 0 $D/outside"
step "write the file the host checks" sh -c "echo 'from the guest' >$D/hello &&
	chown 1000:1000 $D/hello && sync"
finish
