#!/usr/bin/env bash
# End to end, an export that is itself a FUSE file system on the host: bindfs (Debian's
# package, libfuse 2) mounted over a scratch directory, exported by privfsd, with the in-guest
# POSIX suite (tests/posix, booted by posix/run-posix.sh) on it, as root and as uid 1000. The
# same suite also runs on a plain export of a scratch directory, and every check whose result
# differs between the two must be listed, with the status it has on bindfs and the cause, in
# e2e/bindfs-differences.txt. All listed causes are bindfs's and libfuse 2's own (renameat2
# flags, fallocate, SEEK_HOLE, O_TMPFILE, UTIME_NOW, POSIX ACLs) except link_nlink, where
# privfsd's inode identity (st_dev, st_ino) meets a path-based FUSE file system that has one
# host inode per name.
# A check that fails on the plain export too is posix/compare.sh's business: reported here, not
# counted. Needs bindfs and /dev/fuse (contrib/test-all.sh installs bindfs); skipped without.
#   POSIX_KEEP=DIR  keep both runs' output in DIR
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
[ "$E2E_BACKEND" = privfsd ] || skip "privfsd only (run-posix.sh starts the back-end)"
command -v bindfs >/dev/null || skip "no bindfs (apt-get install bindfs)"
[ -c /dev/fuse ] || skip "no /dev/fuse"
[ -x "$PRIVFSD_TESTS_BUILDDIR/posix/posixsuite" ] || fail "no posixsuite in $PRIVFSD_TESTS_BUILDDIR/posix"
posix=$PRIVFSD_SRCDIR/tests/posix
expected=$E2E_DIR/bindfs-differences.txt
out=${POSIX_KEEP:-$T/out}
many=1000	# the big-directory check's entries; the plain run (compare.sh) does 10000
src=$T/src
mnt=$T/mnt
mkdir -p "$out" "$src" "$mnt" || fail mkdir
chmod 755 "$src" "$mnt"

# allow_other: the worker acts with the guest callers' fsuid (1000 in the user run), and a
# FUSE mount without it refuses every process but the mounter's user.
if ! bindfs -o allow_other "$src" "$mnt" 2>"$T/bindfs.err"; then
	skip "bindfs cannot mount here: $(head -c 200 "$T/bindfs.err")"
fi
at_exit "umount '$mnt' || umount -l '$mnt'"
case $(findmnt -n -o FSTYPE --target "$mnt") in
fuse*) ;;
*) fail "$mnt is not a FUSE mount: $(findmnt -n --target "$mnt")" ;;
esac

# results RUNDIR and complete RUNDIR: the suite's output, read as compare.sh reads it.
. "$PRIVFSD_SRCDIR/tests/posix/posix-lib.sh"
# A guest run still going when the test ends (interrupted): run-guest.sh ends QEMU and the
# back-end on TERM; then the bindfs mount can go.
rpid=""
stop_run() {
	local c
	[ -n "$rpid" ] || return 0
	for c in $(children_of "$rpid"); do kill -TERM "$c"; done
	kill -TERM "$rpid"
	wait "$rpid"
}
at_exit stop_run
# run_suite NAME [run-posix options]: one guest run; the back-end must have ended cleanly.
run_suite() {
	local name=$1
	shift
	bash "$posix/run-posix.sh" --out="$out/$name" --many="$many" "$@" privfsd >"$out/$name.txt" 2>&1 &
	rpid=$!
	wait "$rpid"
	rpid=""
	if ! complete "$out/$name" || ! grep -q 'end=clean' "$out/$name/run-guest.out"; then
		cat "$out/$name.txt"
		fail "$name: the suite did not run to the end, or privfsd did not end cleanly"
	fi
	results "$out/$name" >"$out/$name.res"
}

run_suite plain
run_suite bindfs --share="$mnt"
findmnt -n --target "$mnt" | grep -q fuse || fail "the bindfs mount went away during the run"

bad=0
paste -d' ' "$out/plain.res" "$out/bindfs.res" |
    awk '$1 != $4 || $2 != $5 { print "MISALIGNED", $0; next }
	$3 != $6 { print $1, $2, $3, $6 }' >"$out/diff"
grep -q MISALIGNED "$out/diff" && { cat "$out/diff"; fail "the two runs list different checks"; }
# want_status RUN NAME: the status bindfs-differences.txt gives the check, or nothing.
want_status() {
	awk -v run="$1" -v name="$2" -F '\t' '!/^#/ && ($1 == name || $1 == run ":" name) { print $2; exit }' "$expected"
}
while read -r run name plain theirs; do
	want=$(want_status "$run" "$name")
	if [ "$plain" = fail ]; then
		echo "note: $run $name fails on the plain export too (posix/compare.sh's business)"
	elif [ -z "$want" ]; then
		echo "difference NOT LISTED: $run $name: plain $plain, bindfs $theirs"
		bad=1
	elif [ "$want" = "$theirs" ]; then
		echo "difference (listed): $run $name: plain $plain, bindfs $theirs"
	else
		echo "difference with another status: $run $name: plain $plain, bindfs $theirs, listed $want"
		bad=1
	fi
done <"$out/diff"
# A listed difference must show, with its status, in every run it names.
grep -v '^#' "$expected" | awk -F '\t' 'NF { print $1, $2 }' | while read -r entry want; do
	case $entry in
	*:*) runs=${entry%%:*}; name=${entry#*:} ;;
	*) runs="root user"; name=$entry ;;
	esac
	for run in $runs; do
		got=$(awk -v r="$run" -v n="$name" '$1 == r && $2 == n { print $3 }' "$out/bindfs.res")
		if [ "$got" != "$want" ]; then
			echo "listed difference did not show: $run $name: bindfs ${got:-absent}, listed $want"
			echo bad >>"$out/unshown"
		fi
	done
done
[ -e "$out/unshown" ] && bad=1
summary="plain: $(grep -h '^posixsuite:' "$out/plain/root.tap" "$out/plain/user.tap" | tr '\n' ' ')"
summary="$summary bindfs: $(grep -h '^posixsuite:' "$out/bindfs/root.tap" "$out/bindfs/user.tap" | tr '\n' ' ')"
echo "$summary"
[ $bad = 0 ] || fail "bindfs export: differences from a plain export (outputs in $out)"
pass "POSIX suite on a bindfs export: every difference from a plain export is listed"
