#!/usr/bin/env bash
# The POSIX semantics suite in the e2e guest on privfsd and on the reference back-end, the
# Rust virtiofsd: passes when privfsd passes every check (as root and as uid 1000) and every
# check whose result differs between the two is listed in deliberate-differences.txt.
# Without the Rust virtiofsd only the privfsd half runs.
#   POSIX_KEEP=DIR  keep both runs' output (TAP, console, back-end logs) in DIR
. "$PRIVFSD_SRCDIR/tests/lib.sh"
here=$PRIVFSD_SRCDIR/tests/posix
require_root
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot"
[ -x /bin/busybox ] || skip "no /bin/busybox"
[ -x "$PRIVFSD" ] || fail "no test broker at $PRIVFSD"
out=${POSIX_KEEP:-$T/out}
mkdir -p "$out"

# results RUNDIR and complete RUNDIR: the suite's output, read as compare.sh reads it.
. "$PRIVFSD_SRCDIR/tests/posix/posix-lib.sh"

bash "$here/run-posix.sh" --out="$out/privfsd" privfsd
prc=$?
complete "$out/privfsd" || fail "privfsd: the suite did not run to the end (run-posix status $prc)"
results "$out/privfsd" >"$out/privfsd.res"

bad=0
if grep ' fail$' "$out/privfsd.res" >"$out/privfsd.fail"; then
	echo "privfsd fails:"
	sed 's/^/  /' "$out/privfsd.fail"
	bad=1
fi
[ $prc = 0 ] || [ $bad = 1 ] || { echo "privfsd: run-posix status $prc (see $out/privfsd)"; bad=1; }

if [ -x /opt/peers/bin/virtiofsd-rust ]; then
	bash "$here/run-posix.sh" --out="$out/rust" virtiofsd-rust >"$out/rust.txt" 2>&1
	complete "$out/rust" || { cat "$out/rust.txt"; fail "virtiofsd-rust: the suite did not run to the end"; }
	results "$out/rust" >"$out/rust.res"
	# Every check whose status differs must be a deliberate difference.
	paste -d' ' "$out/privfsd.res" "$out/rust.res" |
	    awk '$1 != $4 || $2 != $5 { print "MISALIGNED", $0; next }
		$3 != $6 { print $1, $2, $3, $6 }' >"$out/diff"
	grep -q MISALIGNED "$out/diff" && { cat "$out/diff"; fail "the two runs list different checks"; }
	while read -r run name ours theirs; do
		if grep -Eq "^(${run}:)?${name}[[:space:]]" "$here/deliberate-differences.txt"; then
			echo "difference (listed): $run $name: privfsd $ours, virtiofsd-rust $theirs"
		else
			echo "difference NOT LISTED: $run $name: privfsd $ours, virtiofsd-rust $theirs"
			bad=1
		fi
	done <"$out/diff"
	# Listed differences that no longer show are worth knowing about, not a failure.
	grep -v '^#' "$here/deliberate-differences.txt" | awk 'NF { print $1 }' |
	    while read -r entry; do
		name=${entry#*:}
		grep -q " $name " "$out/diff" || echo "note: listed difference $entry did not show"
	done
else
	echo "no /opt/peers/bin/virtiofsd-rust: privfsd's half only"
fi
[ $bad = 0 ] || fail "POSIX semantics (outputs in $out)"
pass "POSIX semantics: privfsd passes, differences from virtiofsd-rust are deliberate"
