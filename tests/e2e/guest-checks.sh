# shellcheck shell=sh
# Runs inside the end-to-end guest (busybox sh) as /mnt/.e2e/run.sh: checks what the guest
# sees under /mnt/data against what the host wrote into /mnt/.e2e (see e2e-lib.sh:
# e2e_make_share). Prints one "ok N - what" or "not ok N - what: why" line per check, leaves
# "n=N failed=F" in /tmp/e2e-summary, exits 0 when all passed. With /mnt/.e2e/want-reboot on
# the first boot it exits 100 after passing, so the init reboots the guest and runs it again.

E=/mnt/.e2e
D=/mnt/data
n=0
failed=0
tab=$(printf '\t')

quiet=0
ok() { n=$((n + 1)); [ $quiet = 1 ] || echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {	# check WHAT COMMAND...: one check from a command's status
	what=$1
	shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}
same() {	# same WHAT GOT WANT
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: got '$2', want '$3'"; fi
}
ftype() {
	if [ -L "$1" ]; then echo l
	elif [ -d "$1" ]; then echo d
	elif [ -f "$1" ]; then echo f
	elif [ -p "$1" ]; then echo p
	elif [ -e "$1" ]; then echo o
	else echo missing
	fi
}

echo "E2E: boot $E2E_BOOT: checking $D"
check "mounted as virtiofs" grep -q ' /mnt virtiofs ' /proc/mounts
check "statfs" stat -f /mnt >/dev/null

# The whole tree, names only (readdir of every directory).
got=$(cd $D && find . | sort)
want=$(cat $E/listing)
if [ "$got" = "$want" ]; then
	ok "listing: $(echo "$want" | wc -l) names"
else
	notok "listing differs"
	echo "$got" >/tmp/got-listing
	diff $E/listing /tmp/got-listing | head -n 20
fi
check "ls -l of every directory" sh -c "ls -lR $D >/dev/null"

# Per name: type, mode, owner, size, links, mtime, and content or target.
# Fields: type path mode uid gid size nlink mtime extra. Only failures are printed.
quiet=1
n0=$n
f0=$failed
while IFS="$tab" read -r type path mode uid gid size nlink mtime extra; do
	p=$D/$path
	t=$(ftype "$p")
	if [ "$t" != "$type" ]; then
		notok "$path: type $t, want $type"
		continue
	fi
	st=$(stat -c '%a %u %g %s %h %Y' "$p")
	same "$path: stat" "$st" "$mode $uid $gid $size $nlink $mtime"
	case $type in
	f) same "$path: sha256" "$(sha256sum <"$p" | cut -d' ' -f1)" "$extra" ;;
	l) same "$path: readlink" "$(readlink "$p")" "$extra" ;;
	esac
done <$E/manifest
quiet=0
echo "E2E: manifest: $((n - n0)) checks of $(wc -l <$E/manifest) names, $((failed - f0)) failed"

# Reads at offsets: dd pieces of files.  Fields: path bs skip count sha256.
while IFS="$tab" read -r path bs skip count sum; do
	got=$(dd if="$D/$path" bs="$bs" skip="$skip" count="$count" 2>/dev/null | sha256sum | cut -d' ' -f1)
	same "$path: read bs=$bs skip=$skip count=$count" "$got" "$sum"
done <$E/pieces

# Two readers at once (requests in flight together).
big=$(awk -F "$tab" '$2 == "big.bin" { print $9 }' $E/manifest)
med=$(awk -F "$tab" '$2 == "dir/medium.bin" { print $9 }' $E/manifest)
sha256sum <$D/big.bin >/tmp/s1 &
sha256sum <$D/dir/medium.bin >/tmp/s2
wait
same "parallel reads" "$(cut -d' ' -f1 /tmp/s1) $(cut -d' ' -f1 /tmp/s2)" "$big $med"

# Through symlinks, and names that must not exist.
same "read through a symlink" "$(cat $D/link-to-hello)" "$(cat $D/hello.txt)"
check "walk through a directory symlink" test -f $D/link-to-dir/deeper/leaf.txt
check "hard links share an inode" test "$(stat -c %i $D/hello.txt)" = "$(stat -c %i $D/hardlink.txt)"
check "a missing name is ENOENT" sh -c "! stat $D/no-such-file 2>/dev/null"
check "a dangling symlink does not resolve" sh -c "! cat $D/dangling 2>/dev/null"

# The guest kernel had nothing to complain about (a bad reply makes virtio_fs/fuse log).
complaints=$(dmesg | grep -iE 'virtio|fuse' | grep -vE 'fuse: init|No cache capability')
same "no virtio or fuse messages in the kernel log" "$complaints" ""

echo "n=$n failed=$failed" >/tmp/e2e-summary
[ $failed = 0 ] || exit 1
if [ "${E2E_BOOT:-1}" = 1 ] && [ -e $E/want-reboot ]; then
	exit 100
fi
exit 0
