#!/bin/bash
# --syslog: the broker alone talks to syslog (a private /dev/log here). Every line names
# its role, pid and export, a child's under the pid the broker knows and at its own level;
# stderr gets only the ready line. The connection's start line names the peer, and its end
# line says how it ended: a client that goes away (clean), a worker killed (failed, with
# the signal), SIGTERM (clean). Without a connection there is neither.
. "$PRIVFSD_SRCDIR/tests/syslog-lib.sh"
own_mount_namespace "$0" "$@"
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"
command -v python3 >/dev/null || skip "needs python3"
L=$T/syslog
private_syslog "$L"
SHARE=$(cd "$D" && pwd -P)
READY="Waiting for vhost-user socket connection..."

# start NAME ARGS...: privfsd --syslog, ready once its stderr says so (5 s).
start() {
	NAME=$1
	shift
	S=$T/sock-$NAME
	ERR=$T/stderr-$NAME
	: >"$ERR"	# before the background shell opens it: we grep it at once
	"$PRIVFSD" --syslog --socket-path="$S" --shared-dir="$D" "$@" >"$ERR" 2>&1 &
	PRIVFSD_PID=$!
	at_exit "kill -9 $PRIVFSD_PID 2>/dev/null"
	i=0
	until grep -qF "$READY" "$ERR"; do
		i=$((i + 1))
		[ $i -le 50 ] && kill -0 "$PRIVFSD_PID" 2>/dev/null ||
		    { cat "$ERR" "$L"; fail "$NAME: no ready line on stderr"; }
		sleep 0.1
	done
	FRONTEND_PID=$(broker_child frontend)
	WORKER_PID=$(broker_child worker)
}

# connect SECONDS: a client that holds the connection that long; CLIENT_PID.
connect() {
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(float(sys.argv[2]))' \
	    "$S" "$1" &
	CLIENT_PID=$!
	at_exit "kill $CLIENT_PID 2>/dev/null"
}

# lines: what this run's broker sent to syslog.
lines() { grep -F "privfsd[$PRIVFSD_PID]: " "$L"; }

# wait_line ERE: until one of this run's lines matches (5 s).
wait_line() {
	i=0
	until lines | grep -qE "$1"; do
		i=$((i + 1))
		[ $i -le 50 ] || { cat "$L"; fail "$NAME: no syslog line matching: $1"; }
		sleep 0.1
	done
}

# ended STATUS: the broker exits with STATUS within 5 s, children gone.
ended() {
	wait_gone "$PRIVFSD_PID" 5 || { cat "$L"; fail "$NAME: the broker still runs"; }
	wait "$PRIVFSD_PID"
	rc=$?
	[ $rc = "$1" ] || { cat "$ERR" "$L"; fail "$NAME: exit status $rc, want $1"; }
	all_gone || fail "$NAME: a child is left"
}

# A client connects and goes away (QEMU quitting).
start clean
connect 0.3
ended 0
for r in "broker\[$PRIVFSD_PID\]" "frontend\[$FRONTEND_PID\]" "worker\[$WORKER_PID\]"; do
	lines | grep -qE "^<30>.* privfsd\[$PRIVFSD_PID\]: $r export=$SHARE: info: " ||
	    { cat "$L"; fail "no info line of $r with the export"; }
done
lines | grep -vE "privfsd\[$PRIVFSD_PID\]: (broker|frontend|worker)\[[1-9][0-9]*\] export=$SHARE: (error|warn|info|debug): " &&
    fail "a line without role, pid, export or level"
lines | grep -qE "vhost-user connection start: export=$SHARE peer_pid=$CLIENT_PID peer_uid=0 peer_gid=0$" ||
    { cat "$L"; fail "no start line naming the client"; }
lines | grep -qE "vhost-user connection end: export=$SHARE peer_pid=$CLIENT_PID duration=[0-9]+\.[0-9]s result=clean cause=\"QEMU disconnected" ||
    { cat "$L"; fail "no clean end line"; }
[ "$(cat "$ERR")" = "privfsd[$PRIVFSD_PID] broker: info: $READY" ] ||
    { cat "$ERR"; fail "stderr has more than the ready line"; }
pass "a client came and went: roles, pids and export in syslog, start and clean end lines"

# The worker is killed under a connection (and not replaced).
start killed --worker-restart=no
connect 30
wait_line "vhost-user connection start: .* peer_pid=$CLIENT_PID "
kill -9 "$WORKER_PID"
ended 1
# The frontend may see the closed channel and exit before the worker is reaped: both named.
wait_line "vhost-user connection end: .* result=failed cause=\"([^\"]*; )?worker \(pid $WORKER_PID\) killed by signal 9 \(SIGKILL\)(; [^\"]*)?\"$"
[ "$(lines | grep -c 'vhost-user connection end')" = 1 ] || { cat "$L"; fail "not one end line"; }
pass "worker killed: the end line says failed, and by which signal"

# SIGTERM under a connection.
start term
connect 30
wait_line "vhost-user connection start: .* peer_pid=$CLIENT_PID "
kill -TERM "$PRIVFSD_PID"
ended 0
wait_line "vhost-user connection end: .* result=clean cause=\"received SIGTERM\"$"
pass "SIGTERM: the end line says so"

# A child's warning keeps its level (daemon.warning is <28>); no connection, no lines of one.
PRIVFSD_TEST_FORBIDDEN_SYSCALL=frontend start warn --seccomp=log
wait_line "^<28>.* frontend\[$FRONTEND_PID\] export=$SHARE: warn: test hook: forbidden socket\(\)"
kill -TERM "$PRIVFSD_PID"
ended 0
lines | grep -q "vhost-user connection" && { cat "$L"; fail "connection lines without a connection"; }
pass "a frontend warning reaches syslog as a warning; no connection, no connection lines"
