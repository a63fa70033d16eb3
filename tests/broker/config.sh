#!/usr/bin/env bash
# privfsd --config (privfsd.conf(5)) with the native driver as the VMM: -n checks a file and
# names the file and line of every mistake; the service serves each export from its own
# directory only, takes a new connection on an export after the last one ended, and SIGHUP
# adds, changes and removes exports (an idle broker of a removed export stops and its socket
# goes; a bad file changes nothing); SIGTERM ends every export.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root
require_privsep_user
VU=${PRIVFSD_TESTS_BUILDDIR:-.}/driver/vu-proto
[ -x "$VU" ] || skip "no $VU"

C=$T/privfsd.conf
mkdir -p "$T/a" "$T/b" "$T/c" "$T/d"

# conf TEXT: the configuration file, mode 0600.
conf() { printf '%s\n' "$1" >"$C"; chmod 600 "$C"; }

# bad TEXT WANT: -n refuses TEXT with a message containing WANT.
bad() {
	conf "$1"
	out=$("$PRIVFSD" --config="$C" -n 2>&1) && fail "-n accepted: $1"
	case $out in *"$2"*) echo "ok - refused: $out" ;;
	*) fail "-n said \"$out\", not \"$2\"" ;; esac
}
bad "export a {
socket-path $T/a.sock
shared-dir $T/nonexistent
}" "$C:3: --shared-dir=$T/nonexistent: No such file or directory"
bad "export a {
socket-path $T/a.sock
shared-dir $T/a
cache sometimes
}" "$C:4: --cache=sometimes: must be"
bad "export a {
socket-path $T/a.sock
}" "$C:1: --shared-dir: missing"
bad "export a {
socket-path $T/a.sock
shared-dir $T/a
frobnicate
}" "$C:4: frobnicate: unknown option"
bad "xattr on" "$C:1: xattr: takes no value"
bad "migration-mode file-handles
export a {
socket-path $T/a.sock
shared-dir $T/a
migration-on-error later
}" "$C:5: --migration-on-error=later: must be abort or guest-error"
conf "migration-mode file-handles
migration-on-error guest-error
export a {
socket-path $T/a.sock
shared-dir $T/a
migration-verify-handles
migration-confirm-paths
}"
out=$("$PRIVFSD" --config="$C" -n 2>&1) || fail "-n refused the --migration-* options: $out"
echo "ok - the --migration-* options in privfsd.conf: $out"
bad "export a {
shared-dir $T/a" "end of file inside export a"
bad "export a b {" "$C:1: export: want"
bad "export a {
socket-path $T/x.sock
shared-dir $T/a
}
export b {
socket-path $T/x.sock
shared-dir $T/b
}" "$C:8: export b: socket-path $T/x.sock is export a's too"
bad "export a {
socket-path $T/a.sock
shared-dir $T/a
}
export a {
socket-path $T/b.sock
shared-dir $T/b
}" "$C:5: export a: declared twice"
bad "fd 3" "$C:1: fd: not allowed in the file"
bad "export a {
socket-path $T/a.sock
shared-dir $T/a
worker-userns 0:0:65536
}" "$C:1: --worker-userns=0:0:65536: the uid range 0+65536 contains uid 0"
bad "export a {
socket-path \"$T/a.sock
}" "$C:2: unterminated quoted word"
bad "# nothing" "no export declared"
conf "export a {
socket-path $T/a.sock
shared-dir $T/a
}"
chmod 0620 "$C"
out=$("$PRIVFSD" --config="$C" -n 2>&1) && fail "-n accepted a group-writable file"
case $out in *"writable by its owner only"*) echo "ok - $out" ;; *) fail "$out" ;; esac
out=$("$PRIVFSD" --config="$C" --cache=auto 2>&1) && fail "--config took another option"
case $out in *"belongs in the file"*) echo "ok - $out" ;; *) fail "$out" ;; esac

# Three exports, a global option for all of them.
three="log-level info
cache auto
export a {
	socket-path $T/a.sock
	shared-dir $T/a
}
export b {
	socket-path \"$T/b.sock\"	# quoted
	shared-dir $T/b
}
export c {
	socket-path $T/c.sock
	shared-dir $T/c
	thread-pool-size 2
}"
conf "$three"
out=$("$PRIVFSD" --config="$C" -n 2>&1) || fail "-n: $out"
[ "$out" = "$C: 3 exports, configuration OK" ] || fail "-n said: $out"

"$PRIVFSD" --config="$C" >"$T/svc.log" 2>&1 &
SVC=$!
at_exit "kill $SVC 2>/dev/null; sleep 1; kill -9 $SVC 2>/dev/null"

# wait_for WHAT COMMAND...: up to 10 s.
wait_for() {
	local what=$1 i=0
	shift
	until "$@"; do
		i=$((i + 1))
		[ $i -le 100 ] || { cat "$T/svc.log"; fail "timed out waiting: $what"; }
		sleep 0.1
	done
}
served() { [ "$(grep -c "exporting $T/$1 on $T/$1.sock" "$T/svc.log")" -ge "$2" ]; }
for e in a b c; do wait_for "export $e served" served "$e" 1; done
[ "$(ps -o pid= --ppid $SVC | wc -l)" = 3 ] || fail "not one broker per export"

# proto E DIR: a connection to export E whose test files are made in DIR.
proto() { "$VU" --socket="$T/$1.sock" --host-dir="$T/$2" mount >"$T/proto-$1-$2.log" 2>&1; }
proto a a || { cat "$T/proto-a-a.log"; fail "export a does not serve a"; }
echo "ok - export a serves its directory"
wait_for "a new broker for export a" served a 2
proto a a || { cat "$T/proto-a-a.log"; fail "export a does not serve a second connection"; }
echo "ok - export a serves a second connection"
proto b a && fail "export b serves a's files"
grep -q 'LOOKUP hello.txt: error 2' "$T/proto-b-a.log" || { cat "$T/proto-b-a.log"; fail "b"; }
echo "ok - export b does not see a's files"
wait_for "a new broker for export b" served b 2
proto b b || { cat "$T/proto-b-b.log"; fail "export b does not serve b"; }
proto c c || { cat "$T/proto-c-c.log"; fail "export c does not serve c"; }
echo "ok - exports b and c serve their directories"
grep -q 'connection start: export=b ' "$T/svc.log" || fail "no connection line naming export b"

# A file with a mistake: nothing changes.
cp "$C" "$T/good.conf"
conf "$three
export d {
	socket-path $T/d.sock
	cache bogus
}"
kill -HUP $SVC
wait_for "the reload refused" grep -q 'not reloaded' "$T/svc.log"
grep -q "$C:18: --cache=bogus" "$T/svc.log" ||
    { cat "$T/svc.log"; fail "the refused reload does not name the line"; }
[ ! -e "$T/d.sock" ] || fail "a refused reload started export d"
echo "ok - a bad file on SIGHUP changes nothing"

# Add d, change c, remove b: b's idle broker stops and its socket goes, d starts.
conf "log-level info
cache auto
export a {
	socket-path $T/a.sock
	shared-dir $T/a
}
export c {
	socket-path $T/c.sock
	shared-dir $T/c
	thread-pool-size 3
}
export d {
	socket-path $T/d.sock
	shared-dir $T/d
}"
kill -HUP $SVC
wait_for "export d served" served d 1
wait_for "export b's socket removed" test ! -e "$T/b.sock"
grep -q 'export b: removed' "$T/svc.log" || fail "no line for the removal of b"
grep -q 'export c: changed' "$T/svc.log" || fail "no line for the change of c"
wait_for "export c restarted" served c 2
proto d d || { cat "$T/proto-d-d.log"; fail "export d does not serve d"; }
echo "ok - SIGHUP added d, removed b, restarted an idle c with its new settings"
wait_for "a new broker for export d" served d 2
[ "$(ps -o pid= --ppid $SVC | wc -l)" = 3 ] || { ps f --ppid $SVC; fail "not three brokers"; }

kill $SVC
wait_for "the service ended" sh -c "! kill -0 $SVC 2>/dev/null"
wait $SVC; rc=$?
[ $rc = 0 ] || { cat "$T/svc.log"; fail "the service exited with $rc"; }
for e in a c d; do [ ! -e "$T/$e.sock" ] || fail "socket $e left behind"; done
pgrep -f "exporting|privfsd: (broker|worker|frontend)" -P $SVC >/dev/null && fail "processes left"

# SIGUSR2, what the service sends a removed or changed export: a broker with no VM yet
# stops; one serving a VM goes on until it has gone.
BENCH=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/vu-bench
"$PRIVFSD" --socket-path="$T/u.sock" --shared-dir="$T/a" >"$T/u1.log" 2>&1 &
u=$!
wait_for "the broker listens" grep -q 'Waiting for vhost-user' "$T/u1.log"
kill -USR2 $u
wait $u || fail "SIGUSR2 before any connection: exit status $?"
[ ! -e "$T/u.sock" ] || fail "SIGUSR2 before any connection: socket left"
grep -q 'SIGUSR2 before any connection: stopping' "$T/u1.log" || fail "no SIGUSR2 line"
echo "ok - SIGUSR2 stops a broker with no connection"
if [ -x "$BENCH" ]; then
	head -c 1048576 /dev/zero >"$T/a/big"
	"$PRIVFSD" --socket-path="$T/u.sock" --shared-dir="$T/a" >"$T/u2.log" 2>&1 &
	u=$!
	wait_for "the broker listens" grep -q 'Waiting for vhost-user' "$T/u2.log"
	"$BENCH" --socket="$T/u.sock" --backend=privfsd --seconds=3 --only=latency \
	    --file-mib=1 >"$T/bench.log" 2>&1 &
	b=$!
	wait_for "the connection" grep -q 'connection start' "$T/u2.log"
	sleep 0.5
	kill -USR2 $u
	wait_for "the SIGUSR2 line" grep -q 'SIGUSR2 while serving' "$T/u2.log"
	wait $b || { cat "$T/bench.log"; fail "the connection failed after SIGUSR2"; }
	wait $u || fail "the broker's exit status after its connection: $?"
	grep -q 'connection end: .*result=clean' "$T/u2.log" || fail "no clean end line"
	echo "ok - SIGUSR2 during a connection: served to its end"
fi
pass "privfsd --config: -n, three exports, reconnection, SIGHUP, SIGTERM; SIGUSR2"
