#!/bin/bash
# privfsd --socket-path=S --shared-dir=D: a 0600 socket, three processes titled by role,
# and SIGTERM / SIGINT end everything cleanly (exit 0, socket file removed).
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"

for sig in TERM INT; do
	S=$T/sock-$sig
	start_ready "$T/log-$sig" --socket-path="$S" --shared-dir="$D"

	mode=$(stat -c %a "$S")
	[ "$mode" = 600 ] || fail "socket mode $mode, expected 600"
	[ "$(stat -c %U "$S")" = root ] || fail "socket owner $(stat -c %U "$S")"

	for role in broker frontend worker; do
		case $role in
		broker) p=$PRIVFSD_PID ;; frontend) p=$FRONTEND_PID ;; worker) p=$WORKER_PID ;;
		esac
		# "privfsd: ROLE", possibly followed by more words
		title=$(ps -o args= -p "$p" | sed 's/ *$//')
		case $title in
		"privfsd: $role" | "privfsd: $role "*) ;;
		*) fail "pid $p is titled '$title', not 'privfsd: $role'" ;;
		esac
	done
	[ "$(children_of "$PRIVFSD_PID" | wc -l)" -eq 2 ] || fail "broker has not exactly 2 children"
	pass "SIG$sig run: socket 0600, titles privfsd: broker/frontend/worker"

	kill -"$sig" "$PRIVFSD_PID"
	wait_gone "$PRIVFSD_PID" 3 || fail "broker still running 3 s after SIG$sig"
	wait "$PRIVFSD_PID"; rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/log-$sig"; fail "exit status $rc after SIG$sig"; }
	all_gone || fail "a child outlived the broker after SIG$sig"
	[ ! -e "$S" ] || fail "socket file left after SIG$sig"
	pass "SIG$sig: exit 0, children gone, socket removed"
done
