#!/usr/bin/env bash
# Options, boot 3 ("limits and identities"): --cache=auto --thread-pool-size=4
# --rlimit-nofile=120 --inode-file-handles=prefer --uid-map --translate-gid.
#   --cache=auto        a host rewrite is seen within ~1 s (attribute timeout 1 s)
#   --thread-pool-size=4  a read while another guest process waits in SETLKW is not stalled
#   --rlimit-nofile=120 the guest holding 200 files open gets ENFILE past the budget, and
#                       privfsd goes on serving once they are closed
#   --inode-file-handles=prefer  with 300 files looked up the worker holds far fewer fds
#                       than nodes (counted in /proc/PID/fd), and everything still works
#   (with --writeback the guest keeps its own idea of a file's size: hence not here)
#   --uid-map=:1000:101000:10:, --translate-gid=map:1000:101000:10  a file created by guest
#                       1000:1000 is owned by 101000:101000 on the host and 1000:1000 in
#                       the guest; a host file of 101001 is 1001 in the guest; a host file
#                       of 4242, which no rule maps, is 65534 (root keeps its own rule)
#   no --allow-direct-io  O_DIRECT write and read work (the flag is dropped)
#   no --preserve-noatime  an O_NOATIME read updates the host atime (flag dropped)
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/options/opt-lib.sh"
opt_setup
printf 'version 1\n' >"$d/changing"
printf 'lock\n' >"$d/lock" && chmod 666 "$d/lock"
printf 'other\n' >"$d/other"
mkdir -m 777 "$d/ids" "$d/hold"
printf 'host\n' >"$d/ids/host-owned" && chown 101001:101001 "$d/ids/host-owned"
printf 'unmapped\n' >"$d/ids/unmapped" && chown 4242:4242 "$d/ids/unmapped"
mkdir "$d/many" && for i in $(seq 1 300); do : >"$d/many/f$i"; done
printf 'atime probe\n' >"$d/atime" && touch -a -d '2001-01-01' "$d/atime"
atime0=$(stat -c %X "$d/atime")
req_change_inplace() { printf 'VERSION 2, longer\n' >"$d/changing"; }
req_countfds() {
	local p
	p=$(worker_pid)
	ls "/proc/$p/fd" | wc -l >"$T/fdcount"
	echo "worker $p has $(cat "$T/fdcount") fds"
}
opt_guest "$OPT_DIR/guest-limits.sh"
opt_boot limits --cache=auto --thread-pool-size=4 --rlimit-nofile=120 \
	--inode-file-handles=prefer --uid-map=:0:0:1: --uid-map=:1000:101000:10: \
	--translate-gid=map:0:0:1 --translate-gid=map:1000:101000:10
rc=$?
want "uid-map: guest 1000 created a file owned by 101000:101000" \
	test "$(stat -c %u:%g "$d/ids/by-1000" 2>/dev/null)" = 101000:101000
want "no allow-direct-io: 4 KiB of D on the host" sh -c "head -c 4096 /dev/zero | tr '\\0' D | cmp -s - '$d/direct'"
want "no preserve-noatime: the host atime moved" test "$(stat -c %X "$d/atime")" != "$atime0"
fds=$(cat "$T/fdcount" 2>/dev/null || echo none)
echo "inode-file-handles=prefer: worker fds with 300+ nodes: $fds"
want "inode-file-handles=prefer: fewer than 100 worker fds for 300 nodes" test "$fds" -lt 100
echo "thread-pool-size=4: a read during a waiting SETLKW took $(opt_val limits lockms) ms"
opt_finish $rc "limit and identity options seen from the guest"
