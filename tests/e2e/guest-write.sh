# shellcheck shell=sh
# Runs inside the end-to-end guest (busybox sh) as /mnt/.e2e/run.sh for the write test:
# changes the tree under /mnt/data/w in ways the host checks afterwards (write.sh), and reads
# its own changes back. One "ok"/"not ok" line per step; exits 0 when all passed.
# Follows guest-lib.sh (step, finish) in run.sh.
W=/mnt/data/w

step "create and write a file" sh -c "echo 'hello from the guest' >$W/new.txt"
step "mkdir" mkdir $W/newdir
step "write 600 KiB" sh -c "seq 1 100000 >$W/newdir/seq.txt"
step "write 4 MiB of random bytes" sh -c "dd if=/dev/urandom of=$W/big.bin bs=1M count=4 2>/dev/null &&
	sha256sum <$W/big.bin | cut -d' ' -f1 >$W/big.sha256"
step "read the 600 KiB back" sh -c "seq 1 100000 | cmp - $W/newdir/seq.txt"
step "rename" mv $W/new.txt $W/renamed.txt
step "create and unlink" sh -c "echo x >$W/gone.txt && rm $W/gone.txt"
step "symlink" ln -s renamed.txt $W/sym
step "hard link" ln $W/renamed.txt $W/hard.txt
step "chmod" chmod 640 $W/renamed.txt
step "truncate" truncate -s 1000 $W/trunc.bin
step "append" sh -c "echo more >>$W/append.txt"
step "overwrite in the middle" sh -c "printf XYZ | dd of=$W/patch.bin bs=1 seek=10 conv=notrunc 2>/dev/null"
step "rmdir" rmdir $W/rmme
step "chown" chown 1000:1000 $W/owned
step "set mtime" touch -d '2002-03-04 05:06:07' $W/renamed.txt
step "fsync" sh -c "sync $W/newdir/seq.txt"
step "listing shows the changes" sh -c "ls $W | tr '\n' ' ' | grep -q 'append.txt big.bin big.sha256 hard.txt newdir owned patch.bin renamed.txt sym trunc.bin'"
step "no virtio or fuse messages in the kernel log" \
	sh -c "! dmesg | grep -iE 'virtio|fuse' | grep -vE 'fuse: init|No cache capability'"
finish
