#!/usr/bin/env bash
# End to end, root's privfsd with --worker-userns=BASE:BASE:65536 on a share owned by BASE:
# the guest chowns within the range, sets and loses set-id bits, makes FIFOs and is
# refused device nodes; files of host ids outside the range show as 65534 and stay out of
# reach (guest-worker-userns.sh), and the host sees the guest's ids shifted by BASE. Then
# the in-guest POSIX suite (tests/posix/run-posix.sh) runs as in posix/compare.sh and must
# pass every check but those listed in tests/posix/worker-userns-differences.txt, each of
# which must fail (what the kernel refuses in any user namespace). Skipped, saying why,
# where root cannot make a user namespace.
#   WUSERNS_BASE  first host id of the range (default 200000)
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
. "$PRIVFSD_SRCDIR/tests/posix/posix-lib.sh"
require_root
unshare --user true 2>"$T/unshare.err" ||
    skip "root cannot make a user namespace: $(cat "$T/unshare.err")"
BASE=${WUSERNS_BASE:-200000}
COUNT=65536

mkdir -p "$T/share/.e2e" "$T/share/data"
chown -R "$BASE:$BASE" "$T/share"
echo "root's" >"$T/share/data/roots"
chmod 600 "$T/share/data/roots"
echo "outsider's" >"$T/share/data/outside"
chown $((BASE + COUNT)):$((BASE + COUNT)) "$T/share/data/outside"
cat "$PRIVFSD_SRCDIR/tests/e2e/guest-lib.sh" "$PRIVFSD_SRCDIR/tests/e2e/guest-worker-userns.sh" \
    >"$T/guest.sh" || fail "guest script"
GUEST_PRIVFSD_ARGS="--worker-userns=$BASE:$BASE:$COUNT"
guest_start "$T/guest.sh"
grep -q "the worker runs in a user namespace: uid_map 0 $BASE $COUNT" "$T/log" ||
    { cat "$T/log"; fail "no line about the worker's user namespace"; }
console_wait '^E2E-RESULT:' 240 || { guest_dump; fail "no result from the guest"; }
tr -d '\r' <"$T/console.log" | grep -a '^\(not \)\{0,1\}ok '
tr -d '\r' <"$T/console.log" | grep -aq '^E2E-RESULT: PASS' || { guest_dump; fail "the guest's checks failed"; }
[ "$(cat "$T/share/data/hello" 2>/dev/null)" = "from the guest" ] || fail "the guest's file is not on the host"
[ "$(stat -c %u:%g "$T/share/data/hello")" = "$((BASE + 1000)):$((BASE + 1000))" ] ||
    fail "the guest's file (1000:1000) is $(stat -c %u:%g "$T/share/data/hello") on the host"
echo "ok - guest ids 1000:1000 are $((BASE + 1000)):$((BASE + 1000)) on the host"
[ "$(cat "$T/share/data/roots")" = "root's" ] && [ "$(stat -c %u:%a "$T/share/data/roots")" = 0:600 ] ||
    fail "root's file was changed"
[ "$(cat "$T/share/data/outside")" = "outsider's" ] || fail "the outsider's file was changed"
echo "ok - the files outside the range are as they were"
guest_end_clean
privfsd_tree_gone

# The POSIX suite, on a share of the range (run-posix.sh: POSIX_ID_BASE).
out=${POSIX_KEEP:-$T/posix}
POSIX_ID_BASE=$BASE POSIX_BACKEND_ARGS="--worker-userns=$BASE:$BASE:$COUNT" \
    bash "$PRIVFSD_SRCDIR/tests/posix/run-posix.sh" --out="$out" privfsd >"$T/posix.txt" 2>&1
prc=$?
[ $prc != 77 ] || { cat "$T/posix.txt"; skip "the POSIX suite cannot run here"; }
complete "$out" || { cat "$T/posix.txt"; fail "the suite did not run to the end (run-posix status $prc)"; }
grep -q 'the worker runs in a user namespace' "$out/backend.log" ||
    fail "the suite's privfsd did not run its worker in a user namespace"
results "$out" >"$T/posix.res"
listed="$PRIVFSD_SRCDIR/tests/posix/worker-userns-differences.txt"
bad=0
while read -r run name st; do
	if grep -Eq "^${run}:${name}[[:space:]]" "$listed"; then
		[ "$st" = fail ] || { echo "listed difference $run:$name did not show ($st)"; bad=1; }
		[ "$st" != fail ] || echo "ok - $run:$name fails, as listed: $(grep -E "^${run}:${name}[[:space:]]" "$listed" | cut -f2- | cut -c1-90)"
	elif [ "$st" = fail ]; then
		echo "not ok - $run:$name fails, and is not listed"
		bad=1
	fi
done <"$T/posix.res"
[ $bad = 0 ] || { cat "$T/posix.txt"; fail "the POSIX suite with --worker-userns (outputs in $out)"; }
echo "ok - the POSIX suite passes $(grep -c ' ok$' "$T/posix.res") checks; it fails only the listed ones"
pass "a guest served by a worker in a user namespace over a host id range"
