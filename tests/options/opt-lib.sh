# Helpers for the option tests (tests/options/); source after tests/lib.sh and e2e-lib.sh.
# A test fills $T/share, writes its guest part (OPT_DIR/guest-lib.sh + its own steps) to
# $T/share/.e2e/run.sh, and boots the e2e guest once with the options under test.
#
# Host <-> guest rendezvous: the guest prints "E2E-REQ: NAME" on the console and waits for
# $T/share/.e2e/ack-NAME; opt_watch runs the host's function req_NAME meanwhile and creates
# the ack. The guest's "ok"/"not ok" lines and "VAL name value" lines are in the console log.

OPT_DIR=$PRIVFSD_SRCDIR/tests/options

# opt_setup: the share, the static guest tool in $T/share/.e2e/optool; sets d, the
# directory the guest sees as /mnt/data.
opt_setup() {
	e2e_require qemu-system-x86_64
	d=$T/share/data
	mkdir -p "$T/share/data" "$T/share/.e2e" || fail "mkdir"
	chmod 755 "$T/share" "$T/share/data" "$T/share/.e2e"
	${CC:-cc} -static -O2 -o "$T/share/.e2e/optool" "$OPT_DIR/optool.c" 2>"$T/cc.log" ||
		skip "cannot build a static optool (libc.a missing?): $(head -c 300 "$T/cc.log")"
	cp "$T/share/.e2e/optool" "$T/optool"
}

# opt_guest FILE: the guest script is e2e/guest-lib.sh, guest-lib.sh, then FILE.
opt_guest() {
	cat "$E2E_DIR/guest-lib.sh" "$OPT_DIR/guest-lib.sh" "$1" >"$T/share/.e2e/run.sh" ||
		fail "guest script"
}

# opt_watch NAME: serve the guest's requests of run NAME in the background.
opt_watch() {
	local name=$1
	(
		done_reqs=" "
		while :; do
			for r in $(tr -d '\r' <"$T/$name/console.log" 2>/dev/null |
			    sed -n 's/^E2E-REQ: \([a-z0-9_]*\)$/\1/p'); do
				case $done_reqs in *" $r "*) continue ;; esac
				done_reqs="$done_reqs$r "
				"req_$r" >>"$T/host-req.log" 2>&1
				touch "$T/share/.e2e/ack-$r"
			done
			sleep 0.2
		done
	) &
	OPT_WATCH_PID=$!
	at_exit "kill $OPT_WATCH_PID"
}

# opt_boot NAME OPTION...: one guest run with these privfsd options; the console's ok/not ok
# lines are printed. Returns run-guest's status.
opt_boot() {
	local name=$1 rc
	shift
	rm -f "$T/share/.e2e"/ack-*
	opt_watch "$name"
	E2E_BACKEND_ARGS="${E2E_BACKEND_ARGS:-} $*" e2e_run "$name"
	rc=$?
	kill "$OPT_WATCH_PID" 2>/dev/null
	tr -d '\r' <"$T/$name/console.log" | grep -a '^\(not \)\{0,1\}ok \|^VAL ' 
	return $rc
}

# opt_val NAME KEY: a "VAL KEY value" line the guest printed.
opt_val() {
	tr -d '\r' <"$T/$1/console.log" | sed -n "s/^VAL $2 //p" | tail -n 1
}

# worker_pid: the worker serving $T/share (its title names the share).
worker_pid() {
	pgrep -f "^privfsd: worker $T/share\$" | head -n 1
}

HOST_BAD=0
# want WHAT COMMAND...: one host-side check.
want() {
	local what=$1
	shift
	if "$@"; then
		echo "host ok - $what"
	else
		echo "host not ok - $what"
		HOST_BAD=$((HOST_BAD + 1))
	fi
}

# opt_finish RC WHAT: fail on a failed guest run or host check, else pass.
opt_finish() {
	# OPT_KEEP=DIR keeps the run's logs (console, back-end) for a look afterwards.
	[ -n "${OPT_KEEP:-}" ] && mkdir -p "$OPT_KEEP" && cp -r "$T"/*/ "$OPT_KEEP"/ 2>/dev/null
	[ "$1" = 0 ] || fail "the guest run failed (status $1)"
	[ $HOST_BAD = 0 ] || fail "$HOST_BAD host-side checks failed"
	pass "$2"
}
