#!/usr/bin/env bash
# The fd budget exhausted: with --rlimit-nofile=64 the guest looks up files and opens one
# file again and again until privfsd refuses; each refusal must be a clean ENFILE (the
# daemon alive, other requests still answered), and once the guest forgets and releases
# what it holds, lookups and opens succeed again. Then the same with no budget
# (--rlimit-nofile=0) under a low RLIMIT_NOFILE: the worker then derives its budget from
# that limit less its own reserve, so the guest gets ENFILE again, never the kernel's EMFILE
# (which would also starve the worker's own fds).
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_backend

budget=64
mkdir -p "$T/share"
for i in $(seq 0 199); do echo "file $i" >"$T/share/g$i"; done

# phase NAME ERR: one export, exhausted by lookups, then by opens, with recovery after each.
phase() {
	local name=$1 err=$2 node held
	echo "# $name"
	drv_start "$T/sock"
	want_ok "INIT" init
	want_err "$err" "lookups until the budget is spent" lookupmany g 200
	held=$F1
	[ "$held" -gt 10 ] || fail "only $held lookups before $err"
	echo "  $held files looked up before $err"
	backend_alive || fail "privfsd died at the limit"
	want_ok "GETATTR still answered" getattr 1
	want_ok "STATFS still answered" statfs
	want_err "$err" "one more lookup still refused" lookup g199
	want_ok "FORGET of everything looked up" forgetall
	# FORGETs go to the worker on another channel than LOOKUPs, with no order between
	# the two (doc/architecture.md), so give them a moment, as a guest would.
	for i in $(seq 1 50); do drv lookup g199 && break; sleep 0.1; done
	want_ok "a lookup succeeds again" lookup g198
	want_ok "and another" lookup g0
	node=$F1
	want_err "$err" "opens of one file until the budget is spent" openmany "$node" 200
	echo "  $F1 handles open before $err"
	[ "$F1" -gt 10 ] || fail "only $F1 opens before $err"
	want_err "$err" "a lookup at the limit is refused" lookup g150
	want_ok "the open file still answers GETATTR" getattr "$node"
	want_ok "RELEASE of every handle" releaseall
	want_ok "an open succeeds again" open "$node"
	want_ok "a lookup succeeds again" lookup g150
	backend_alive || fail "privfsd is not running after the limit"
	drv quit
	wait "$DRV_PID" 2>/dev/null
	backend_exit_status 10
	[ "$BACKEND_STATUS" = "exit 0" ] || fail "privfsd: $BACKEND_STATUS after the guest left"
	if privfsd_crashes "$T/log" || grep -q 'fatal\|violation' "$T/log"; then
		tail -n 20 "$T/log"
		fail "privfsd logged a crash"
	fi
}

DRIVER_PRIVFSD_ARGS=--rlimit-nofile=$budget
start_backend "$T/share" "$T/sock" "$T/log"
phase "--rlimit-nofile=$budget: ENFILE from the budget" ENFILE

# No budget given: the inherited RLIMIT_NOFILE (200 here) less the worker's reserve is the
# bound, and the guest still gets ENFILE.
(ulimit -n 200 && exec "$PRIVFSD" --socket-path="$T/sock" --shared-dir="$T/share" \
    --rlimit-nofile=0 >"$T/log" 2>&1) &
BACKEND_PID=$!
at_exit "kill $BACKEND_PID 2>/dev/null"
i=0
while [ ! -S "$T/sock" ]; do
	i=$((i + 1)); [ $i -le 100 ] || { cat "$T/log"; fail "no socket"; }; sleep 0.05
done
phase "--rlimit-nofile=0 under RLIMIT_NOFILE 200" ENFILE
pass "fd budget: clean errors at the limit, recovery after forget and release"
