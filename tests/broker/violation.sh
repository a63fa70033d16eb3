#!/bin/bash
# A frontend that breaks the rules (tests/broker/fake-frontend.c): the broker names the
# failed check, ends the export with exit 1, kills the worker and removes its socket.
# A well-formed memory region is passed on to the worker and changes nothing.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

fake=$PRIVFSD_TESTS_BUILDDIR/broker/fake-frontend
[ -x "$fake" ] || fail "$fake not built"
mkdir -p "$T/libexec"
ln -s "$fake" "$T/libexec/privfsd-frontend"
ln -s "$PRIVFSD_LIBEXEC_DIR/privfsd-worker" "$T/libexec/privfsd-worker"

# violation CASE EXPECTED-LOG-TEXT SECONDS
violation() {
	S=$T/sock-$1
	log=$T/log-$1
	FAKE_CASE=$1 PRIVFSD_LIBEXEC_DIR=$T/libexec "$PRIVFSD" --socket-path="$S" \
	    --shared-dir="$D" >"$log" 2>&1 &
	pid=$!
	at_exit "kill -9 $pid 2>/dev/null"
	wait_gone "$pid" "$3" || { cat "$log"; fail "$1: broker still running after $3 s"; }
	wait "$pid"; rc=$?
	[ $rc -eq 1 ] || { cat "$log"; fail "$1: exit status $rc, expected 1"; }
	grep -q "$2" "$log" || { cat "$log"; fail "$1: log does not say '$2'"; }
	[ ! -e "$S" ] || fail "$1: socket file left"
	pass "$1: $(grep -m1 "$2" "$log" | sed 's/^privfsd\[[0-9]*\] //')"
}

violation mem-pipe "memory region fd is not a regular file" 3
violation mem-short "memory region extends past the end of its file" 3
violation mem-overflow "memory region range overflows" 3
violation mem-slot "memory slot number out of range" 3
violation backend-not-socket "back-end channel fd is not a socket" 3
violation unknown-type "unexpected message type" 3
violation bad-version "protocol version" 3
violation no-hello "no hello in time" 8

# A good region is forwarded; the export keeps running.
S=$T/sock-good
FAKE_CASE=mem-good PRIVFSD_LIBEXEC_DIR=$T/libexec start_ready "$T/log-good" \
    --socket-path="$S" --shared-dir="$D"
sleep 0.5
kill -0 "$PRIVFSD_PID" 2>/dev/null || { cat "$T/log-good"; fail "mem-good: the broker stopped"; }
kill -0 "$WORKER_PID" 2>/dev/null || { cat "$T/log-good"; fail "mem-good: the worker died"; }
kill -TERM "$PRIVFSD_PID"
wait_gone "$PRIVFSD_PID" 3 || fail "mem-good: no exit after SIGTERM"
pass "mem-good: forwarded to the worker, export still running"
