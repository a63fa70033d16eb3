#!/bin/bash
# A forbidden syscall kills each role (PRIVFSD_TEST_FORBIDDEN_SYSCALL=role makes it call
# one right after its sandbox is in place), and the daemon goes down cleanly: a dead
# frontend or worker is logged with its signal and the broker exits non-zero at once,
# leaving no process and no socket; a dead broker takes its children down with it.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root

[ -x "$PRIVFSD" ] || fail "no test broker $PRIVFSD"
require_privsep_user
mkdir "$T/share"

# Pids of the children, from the broker's debug log ("started ROLE (pid N)").
child_pids() { sed -n 's/.*started [a-z]* (pid \([0-9]*\)).*/\1/p' "$1"; }

# run ROLE: starts the broker with the hook armed for ROLE, waits up to 5 s for it to end;
# sets STATUS (its exit status, 128 + signal when killed), LOG and ELAPSED (ms).
run() {
	LOG=$T/$1.log
	rm -f "$T/sock"
	start=$(date +%s%N)
	PRIVFSD_TEST_FORBIDDEN_SYSCALL=$1 "$PRIVFSD" --socket-path="$T/sock" \
	    --shared-dir="$T/share" --log-level=debug >"$LOG" 2>&1 &
	pid=$!
	at_exit "kill -9 $pid 2>/dev/null"
	wait_gone $pid 5 || { cat "$LOG"; fail "$1: the broker still runs after 5 s"; }
	wait $pid
	STATUS=$?
	ELAPSED=$(( ($(date +%s%N) - start) / 1000000 ))
}

for role in frontend worker; do
	run $role
	grep -qE "$role.*(signal 31|SIGSYS)" "$LOG" ||
		{ cat "$LOG"; fail "$role: its death by SIGSYS is not logged"; }
	[ $STATUS -ne 0 ] && [ $STATUS -lt 128 ] ||
		{ cat "$LOG"; fail "$role: the broker ended with status $STATUS, want an error exit"; }
	[ ! -e "$T/sock" ] || fail "$role: the socket was left behind"
	# start-up included; waiting for the 5 s hello timeout instead would fail this
	[ $ELAPSED -le 2500 ] || fail "$role: the broker took $ELAPSED ms to go down"
	for p in $(child_pids "$LOG"); do
		dead $p 1 || fail "$role: child $p still runs"
	done
	pass "$role dies of SIGSYS; the broker logs it and exits"
done

run broker
[ $STATUS = $((128 + 31)) ] || { cat "$LOG"; fail "broker: status $STATUS, want SIGSYS (159)"; }
pids=$(child_pids "$LOG")
[ -n "$pids" ] || { cat "$LOG"; fail "broker: no children in the log"; }
for p in $pids; do
	dead $p 1 || { cat "$LOG"; ps -o pid,ppid,stat,args -p $p;
		fail "broker: child $p still runs a second after the broker died"; }
done
pass "the broker dies of SIGSYS; its children follow"
exit 0
