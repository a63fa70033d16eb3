#!/usr/bin/env bash
# Options, boot 4: --cache=metadata --allow-mmap --writeback --inode-file-handles=mandatory.
#   --cache=metadata    attributes stay cached (a host rewrite's new size is not seen) but
#                       data is not (the new contents are read at once)
#   --allow-mmap        has no effect on this guest: it needs FUSE 7.39's
#                       DIRECT_IO_ALLOW_MMAP, which a 6.1 guest (7.38) does not offer, so
#                       MAP_SHARED still gets ENODEV under cache=metadata (as virtiofsd-rust,
#                       which also only acknowledges the flag when offered)
#   --writeback         1 MiB written and synced is on the host
#   --inode-file-handles=mandatory  the export (ext4/tmpfs) has handles: everything works
#   --translate-uid=squash-guest:2000:3000:5  a file guest uid 2001 creates is host uid 3000
#   --translate-uid=forbid-guest:2100:5  guest uid 2101 gets EPERM creating a file
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/options/opt-lib.sh"
opt_setup
printf 'version 1\n' >"$d/changing"
head -c 8192 /dev/urandom >"$d/blob"
mkdir -m 777 "$d/ids"
req_change_inplace() { printf 'VERSION 2, longer\n' >"$d/changing"; }
cat >"$T/guest.sh" <<'EOG'
expect "cache=metadata: first read" "^version 1$" cat $D/changing
expect "cache=metadata: size" "^10$" stat -c %s $D/changing
req change_inplace
expect "cache=metadata: new contents read at once" "^VERSION 2" cat $D/changing
expect "cache=metadata: cached size kept" "^10$" stat -c %s $D/changing
expect "allow-mmap on a 7.38 guest: MAP_SHARED still ENODEV" "ERR ENODEV" $OPT mmap $D/blob shared
expect "cache=metadata: MAP_PRIVATE works" "^OK" $OPT mmap $D/blob private
step "writeback: write 1 MiB and sync" sh -c "dd if=/dev/zero of=$D/wb bs=64k count=16 2>/dev/null && sync"
step "mandatory handles: mkdir, create, rename, remove" sh -c \
	"mkdir $D/d && echo x >$D/d/f && mv $D/d/f $D/d/g && cat $D/d/g && rm $D/d/g && rmdir $D/d"
expect "translate-uid squash-guest: uid 2001 creates" "^OK" $OPT asuser 2001 2001 open $D/ids/sq creat wronly
expect "translate-uid forbid-guest: uid 2101 may not" "ERR EPERM" $OPT asuser 2101 2101 open $D/ids/fb creat wronly
finish
EOG
opt_guest "$T/guest.sh"
opt_boot metadata --cache=metadata --allow-mmap --writeback --inode-file-handles=mandatory \
	--translate-uid=squash-guest:2000:3000:5 --translate-uid=forbid-guest:2100:5 --log-level=debug
rc=$?
want "translate-uid squash-guest: host owner 3000" test "$(stat -c %u "$d/ids/sq" 2>/dev/null)" = 3000
want "translate-uid forbid-guest: nothing created" test ! -e "$d/ids/fb"
want "writeback: 1 MiB on the host" test "$(stat -c %s "$d/wb" 2>/dev/null)" = 1048576
want "allow-mmap: the guest offered no DIRECT_IO_ALLOW_MMAP (FUSE 7.38)" \
	grep -q 'fuse: INIT 7\.38 ' "$T/metadata/backend.log"
opt_finish $rc "cache=metadata, allow-mmap, writeback, mandatory file handles"
