#!/usr/bin/env bash
# End to end, DAX through QEMU 11's shared memory regions: the generic
# vhost-user-test-device-pci as a virtio-fs device (privfsd serves its config with --tag),
# privfsd declares a 64 MiB window (GET_SHMEM_CONFIG), the guest mounts with -o dax=inode
# and maps the file the host marked (chattr +x) through the window. Checked: the guest reads
# the file's contents and writes into it through the window, the host file has the write,
# privfsd saw SETUPMAPPING for that file and no READ or WRITE at all; then the guest cuts
# the file to 2 MiB (privfsd removes the mapping past the new end while the guest runs) and
# reads what is left through the window again.
#
# dax=inode, not always: QEMU 11.1 refuses a map that reaches past the end of a file, and
# Linux maps whole 2 MiB ranges, so only files whose size is a multiple of 2 MiB can be
# served through its window (privfsd(8), DAX); the marked file here is 4 MiB.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
qemu11=/opt/peers/bin/qemu11-system-x86_64
e2e_require "$qemu11"
[ "$E2E_BACKEND" = privfsd ] || skip "DAX is privfsd's: the peers answer SETUPMAPPING with ENOSYS"
share=$T/share
mkdir -p "$share/.e2e"
head -c $((4 << 20)) /dev/urandom >"$share/big"
chattr +x "$share/big" 2>/dev/null || skip "$(df --output=fstype "$share" | tail -1) has no per-file DAX flag (chattr +x)"
head -c 4096 /dev/urandom >"$share/pattern"
sum=$(md5sum <"$share/big" | cut -d' ' -f1)
cat >"$share/.e2e/run.sh" <<GUEST
#!/bin/sh
ok=1
grep -q ' /mnt virtiofs .*dax=inode' /proc/mounts || { echo "not dax=inode: \$(grep /mnt /proc/mounts)"; ok=0; }
got=\$(md5sum </mnt/big | cut -d' ' -f1)
[ "\$got" = $sum ] || { echo "read through the window: \$got, want $sum"; ok=0; }
dd if=/mnt/pattern of=/mnt/big bs=4096 seek=256 count=1 conv=notrunc,fsync 2>/dev/null || { echo "write failed"; ok=0; }
truncate -s 2097152 /mnt/big || { echo "truncate failed"; ok=0; }
head -c 2097152 /mnt/big | md5sum | cut -d' ' -f1 >/mnt/.e2e/cut.md5 || ok=0
[ \$ok = 1 ] && echo "E2E-RESULT: PASS" || echo "E2E-RESULT: FAIL"
GUEST
E2E_BACKEND_ARGS="${E2E_BACKEND_ARGS:-} --log-level=debug"
e2e_run dax-qemu11 --qemu="$qemu11" --generic-device --tag=myfs --mount-opts=dax=inode \
	--backend-arg=--tag=myfs --backend-arg=--dax=inode --backend-arg=--dax-window=64M ||
	fail "QEMU 11 guest with a DAX window"
log=$T/dax-qemu11/backend.log
cmp <(dd if="$share/big" bs=4096 skip=256 count=1 2>/dev/null) "$share/pattern" ||
	fail "the guest's write through the window is not in the host file"
[ "$(stat -c %s "$share/big")" = 2097152 ] || fail "the guest's truncate is not on the host"
[ "$(cat "$share/.e2e/cut.md5")" = "$(head -c 2097152 "$share/big" | md5sum | cut -d' ' -f1)" ] ||
	fail "after the truncate the guest read other contents than the host file's"
grep -q 'broker: debug: unmap window 0x200000+0x200000' "$log" ||
	fail "the mapping past the new end of the file was not removed"
node=$(sed -n 's/.*fuse: SETUPMAPPING node \([0-9]*\) .*/\1/p' "$log" | sort -u)
[ -n "$node" ] || fail "privfsd saw no SETUPMAPPING"
[ "$(echo "$node" | wc -l)" = 1 ] || fail "SETUPMAPPING for more than one node: $node"
if grep -E "fuse: (READ|WRITE) node $node " "$log"; then
	fail "the mapped file was also read or written with FUSE requests"
fi
maps=$(grep -c "fuse: SETUPMAPPING node $node " "$log")
pass "QEMU 11 guest read, wrote and cut a 4 MiB file through the DAX window ($maps SETUPMAPPING, no READ/WRITE)"
