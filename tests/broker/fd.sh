#!/bin/bash
# --fd=N: an inherited listening socket (as libvirt passes it). The broker serves it, and a
# client that connects and goes away (QEMU quitting) ends the export with exit 0.
# A non-listening fd is refused.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

S=$T/sock

# python3 binds and listens, then execs privfsd with the socket on fd 7.
python3 - "$S" "$PRIVFSD" "$D" >"$T/log" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
os.dup2(s.fileno(), 7); os.set_inheritable(7, True)
os.execv(sys.argv[2], [sys.argv[2], "--fd=7", "--shared-dir=" + sys.argv[3]])
PY
PRIVFSD_PID=$!
at_exit "kill $PRIVFSD_PID 2>/dev/null"
i=0
until grep -q exporting "$T/log"; do
	i=$((i + 1)); [ $i -le 50 ] || { cat "$T/log"; fail "privfsd --fd did not become ready"; }
	sleep 0.1
done
FRONTEND_PID=$(broker_child frontend); WORKER_PID=$(broker_child worker)
[ -n "$FRONTEND_PID" ] && [ -n "$WORKER_PID" ] || fail "children missing with --fd"
pass "--fd=7: ready, three processes"

python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.3); s.close()' "$S" ||
    fail "could not connect to the inherited socket"
wait_gone "$PRIVFSD_PID" 3 || { cat "$T/log"; fail "broker still running after the client left"; }
wait "$PRIVFSD_PID"; rc=$?
[ "$rc" -eq 0 ] || { cat "$T/log"; fail "exit status $rc after the client disconnected"; }
all_gone || fail "a child is left"
grep -q "vhost-user connection" "$T/log" || fail "connection not logged"
[ -S "$S" ] || fail "the broker removed a socket file it did not create"
pass "client disconnected: exit 0; the inherited socket's file left to its owner"

# fd 0 is a terminal or /dev/null, not a listening socket.
out=$("$PRIVFSD" --fd=0 --shared-dir="$D" 2>&1 </dev/null); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q -- "--fd=0" || fail "--fd=0 accepted: $out"
pass "non-socket --fd refused: $(echo "$out" | tail -n 1)"
