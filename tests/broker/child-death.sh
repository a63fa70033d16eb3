#!/bin/bash
# A child killed from outside: the broker logs the death, kills the other child and exits
# non-zero within a second, leaving no process and no socket file.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

for victim in frontend worker; do
	S=$T/sock-$victim
	log=$T/log-$victim
	start_ready "$log" --socket-path="$S" --shared-dir="$D"
	case $victim in frontend) v=$FRONTEND_PID ;; worker) v=$WORKER_PID ;; esac

	kill -KILL "$v"
	wait_gone "$PRIVFSD_PID" 1 || { cat "$log"; fail "broker still running 1 s after the $victim died"; }
	wait "$PRIVFSD_PID"; rc=$?
	[ "$rc" -ne 0 ] || { cat "$log"; fail "broker exited 0 after the $victim was killed"; }
	grep -q "$victim (pid $v) killed by signal 9 (SIGKILL)" "$log" ||
	    { cat "$log"; fail "the $victim's death is not logged"; }
	sleep 0.1
	all_gone || fail "a privfsd process is left after the $victim died"
	[ ! -e "$S" ] || fail "socket file left after the $victim died"
	pass "$victim killed: logged, broker exit $rc within 1 s, nothing left"
done
