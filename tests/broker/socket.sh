#!/bin/bash
# --socket-group makes the socket 0660 and owned by the group; a live socket is refused
# (without connecting to it), a stale one is replaced, anything else is left alone.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

S=$T/sock
group=$(getent group "$PRIVSEP_USER" >/dev/null && echo "$PRIVSEP_USER" || echo daemon)

start_ready "$T/log" --socket-path="$S" --shared-dir="$D" --socket-group="$group"
mode=$(stat -c %a "$S")
[ "$mode" = 660 ] || fail "socket mode $mode with --socket-group, expected 660"
[ "$(stat -c %G "$S")" = "$group" ] || fail "socket group $(stat -c %G "$S"), expected $group"
pass "--socket-group=$group: 0660 root:$group"

# A second instance on the same path must refuse, and must not disturb the first.
out=$("$PRIVFSD" --socket-path="$S" --shared-dir="$D" 2>&1); rc=$?
[ $rc -ne 0 ] || fail "second privfsd started on a live socket"
echo "$out" | grep -q "live socket" || fail "no 'live socket' message: $out"
kill -0 "$PRIVFSD_PID" 2>/dev/null || fail "the first privfsd died"
[ -S "$S" ] || fail "the live socket was removed"
pass "live socket refused: $(echo "$out" | tail -n 1)"
kill -TERM "$PRIVFSD_PID"
wait_gone "$PRIVFSD_PID" 3 || fail "no exit after SIGTERM"

# A stale socket (nobody listening) is replaced.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$S"
[ -S "$S" ] || fail "could not make a stale socket"
start_ready "$T/log2" --socket-path="$S" --shared-dir="$D"
grep -q "removing stale socket" "$T/log2" || fail "stale socket not reported"
pass "stale socket replaced"
kill -TERM "$PRIVFSD_PID"
wait_gone "$PRIVFSD_PID" 3 || fail "no exit after SIGTERM"

# A regular file is never removed.
echo keep > "$S"
"$PRIVFSD" --socket-path="$S" --shared-dir="$D" >/dev/null 2>&1 && fail "started over a regular file"
[ "$(cat "$S")" = keep ] || fail "regular file at the socket path was touched"
pass "regular file at the socket path left alone"
