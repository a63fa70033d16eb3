#!/usr/bin/env bash
# End to end, privfsd started by an unprivileged user (nobody, no supplementary group;
# QEMU stays root's): the guest boots on an export that user owns and writes, reads,
# renames, links, chmods and removes there as root, which is that user on the host; chown
# to other ids and a guest user other than root are refused (EPERM), and a file of another
# host user (root's) shows as 65534 and stays out of reach (guest-userns.sh). Meanwhile
# every privfsd process runs as that user on the host, in a user namespace of its own.
# When QEMU goes, privfsd ends cleanly. A second boot squashes every guest id to 0, as
# privfsd(8) suggests: then guest user 1000 writes as the invoking user
# (guest-userns-squash.sh). Skipped, saying why, without unprivileged user namespaces.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/userns-lib.sh"
userns_require

# The socket goes in $T and the share is $T/share (guest_start): both the user's.
mkdir -p "$T/share/.e2e" "$T/share/data"
echo "root's" >"$T/share/data/roots"
chmod 600 "$T/share/data/roots"
chown "$UNPRIV_UID:$UNPRIV_GID" "$T" "$T/share" "$T/share/.e2e" "$T/share/data"
cat "$PRIVFSD_SRCDIR/tests/e2e/guest-lib.sh" "$PRIVFSD_SRCDIR/tests/e2e/guest-userns.sh" \
    >"$T/guest.sh" || fail "guest script"
guest_start "$T/guest.sh"
for i in $(seq 1 50); do
	PRIVFSD_TREE=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
	[ "$(echo $PRIVFSD_TREE | wc -w)" -ge 4 ] && break
	sleep 0.1
done
userns_check_procs $PRIVFSD_TREE
grep -q 'not root: in a user namespace of our own' "$T/log" || { cat "$T/log"; fail "no line about the user namespace"; }

console_wait '^E2E-RESULT:' 240 || { guest_dump; fail "no result from the guest"; }
tr -d '\r' <"$T/console.log" | grep -a '^\(not \)\{0,1\}ok '
tr -d '\r' <"$T/console.log" | grep -aq '^E2E-RESULT: PASS' || { guest_dump; fail "the guest's checks failed"; }
[ "$(cat "$T/share/data/hello" 2>/dev/null)" = "from the guest" ] || fail "the guest's file is not on the host"
[ "$(stat -c %u:%g "$T/share/data/hello")" = "$UNPRIV_UID:$UNPRIV_GID" ] ||
    fail "the guest's file is owned by $(stat -c %u:%g "$T/share/data/hello") on the host"
echo "ok - the host has the guest's file, owned by $UNPRIV_USER"
[ "$(cat "$T/share/data/roots")" = "root's" ] || fail "root's file was changed"
echo "ok - root's file is as it was"
guest_end_clean
! grep 'did not take' "$T/log" || fail "the worker tried ids the namespace does not have"
echo "ok - guest user 1000 was refused before the worker tried its id"
privfsd_tree_gone

# Second boot: with every guest id squashed to 0, a guest user acts as the invoking user.
cat "$PRIVFSD_SRCDIR/tests/e2e/guest-lib.sh" "$PRIVFSD_SRCDIR/tests/e2e/guest-userns-squash.sh" \
    >"$T/guest.sh" || fail "guest script"
rm -f "$T/console.log"
GUEST_PRIVFSD_ARGS="--translate-uid=squash-guest:0:0:4294967295 --translate-gid=squash-guest:0:0:4294967295"
guest_start "$T/guest.sh"
console_wait '^E2E-RESULT:' 240 || { guest_dump; fail "no result from the second guest"; }
tr -d '\r' <"$T/console.log" | grep -a '^\(not \)\{0,1\}ok '
tr -d '\r' <"$T/console.log" | grep -aq '^E2E-RESULT: PASS' || { guest_dump; fail "the second guest's checks failed"; }
[ "$(stat -c %u:%g "$T/share/data/pub/by-1000")" = "$UNPRIV_UID:$UNPRIV_GID" ] ||
    fail "guest user 1000's file is owned by $(stat -c %u:%g "$T/share/data/pub/by-1000") on the host"
echo "ok - guest user 1000's file is $UNPRIV_USER's on the host"
guest_end_clean
privfsd_tree_gone
pass "a guest served by an unprivileged user's privfsd"
