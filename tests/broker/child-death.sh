#!/bin/bash
# A child killed from outside: the broker logs the death, kills the other child and exits
# non-zero within a second, leaving no process and no socket file. The worker is replaced
# instead with --worker-restart (the default): tested last, down to the burst limit.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

for victim in frontend worker; do
	S=$T/sock-$victim
	log=$T/log-$victim
	start_ready "$log" --socket-path="$S" --shared-dir="$D" --worker-restart=no
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

# --worker-restart: each killed worker is replaced, logged, under the same broker and
# frontend; the sixth death within a minute ends the export as above.
S=$T/sock-restart
log=$T/log-restart
start_ready "$log" --socket-path="$S" --shared-dir="$D"
k=0
while [ $k -lt 5 ]; do
	k=$((k + 1))
	old=$WORKER_PID
	kill -KILL "$old"
	i=0
	until WORKER_PID=$(broker_child worker) && [ -n "$WORKER_PID" ] && [ "$WORKER_PID" != "$old" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || { cat "$log"; fail "kill $k: no new worker 5 s after worker $old died"; }
		sleep 0.1
	done
	kill -0 "$PRIVFSD_PID" && kill -0 "$FRONTEND_PID" || { cat "$log"; fail "kill $k: the export ended"; }
	grep -q "started a new worker (pid $WORKER_PID), restart $k" "$log" ||
	    { cat "$log"; fail "kill $k: the new worker is not logged"; }
done
pass "worker killed 5 times: 5 new workers, broker and frontend kept"
kill -KILL "$WORKER_PID"
wait_gone "$PRIVFSD_PID" 2 || { cat "$log"; fail "the broker still runs after the 6th death"; }
wait "$PRIVFSD_PID"; rc=$?
[ "$rc" -eq 1 ] || { cat "$log"; fail "exit $rc after the 6th death, want 1"; }
grep -q "the worker died 6 times within 60 s: not restarting it again" "$log" ||
    { cat "$log"; fail "the burst limit is not logged"; }
sleep 0.1
all_gone || fail "a privfsd process is left after the 6th death"
pass "the 6th worker death within a minute ends the export (exit 1), nothing left"
