#!/bin/bash
# privfsd --socket-path=S --shared-dir=D: a 0600 socket, four processes titled by role
# (the respawner of --worker-restart, the default, among them; three without it), and
# SIGTERM / SIGINT end everything cleanly (exit 0, socket file removed).
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

for sig in TERM INT; do
	S=$T/sock-$sig
	case $sig in TERM) restart=yes nchildren=3 ;; INT) restart=no nchildren=2 ;; esac
	start_ready "$T/log-$sig" --socket-path="$S" --shared-dir="$D" --worker-restart=$restart
	RESPAWNER_PID=$(broker_child respawner)

	mode=$(stat -c %a "$S")
	[ "$mode" = 600 ] || fail "socket mode $mode, expected 600"
	[ "$(stat -c %U "$S")" = root ] || fail "socket owner $(stat -c %U "$S")"

	roles="broker frontend worker"
	[ $restart = yes ] && roles="$roles respawner"
	for role in $roles; do
		case $role in
		broker) p=$PRIVFSD_PID ;; frontend) p=$FRONTEND_PID ;; worker) p=$WORKER_PID ;;
		respawner) p=$RESPAWNER_PID ;;
		esac
		[ -n "$p" ] || fail "no $role process"
		# "privfsd: ROLE", possibly followed by more words
		title=$(ps -o args= -p "$p" | sed 's/ *$//')
		case $title in
		"privfsd: $role" | "privfsd: $role "*) ;;
		*) fail "pid $p is titled '$title', not 'privfsd: $role'" ;;
		esac
	done
	[ "$(children_of "$PRIVFSD_PID" | wc -l)" -eq $nchildren ] ||
	    fail "broker has not exactly $nchildren children (--worker-restart=$restart)"
	pass "SIG$sig run (--worker-restart=$restart): socket 0600, titles privfsd: $roles"

	kill -"$sig" "$PRIVFSD_PID"
	wait_gone "$PRIVFSD_PID" 3 || fail "broker still running 3 s after SIG$sig"
	wait "$PRIVFSD_PID"; rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/log-$sig"; fail "exit status $rc after SIG$sig"; }
	all_gone || fail "a child outlived the broker after SIG$sig"
	[ -z "$RESPAWNER_PID" ] || wait_gone "$RESPAWNER_PID" 1 ||
	    fail "the respawner outlived the broker after SIG$sig"
	[ ! -e "$S" ] || fail "socket file left after SIG$sig"
	pass "SIG$sig: exit 0, children gone, socket removed"
done
