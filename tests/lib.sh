# Shared helpers for the shell tests. Source it: . "$PRIVFSD_SRCDIR/tests/lib.sh"
# Tests need root (namespaces, pivot_root, setuid); without it they are skipped (77).

set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "PASS: $*"; }

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }

# require_privsep_user: the unprivileged user exists; sets user (its name), uid and gid.
require_privsep_user() {
	user=${PRIVSEP_USER:-privfsd}
	getent passwd "$user" >/dev/null ||
	    skip "no user $user (contrib/test-all.sh creates it)"
	uid=$(id -u "$user")
	gid=$(id -g "$user")
}

# A scratch directory removed at exit, plus the exit hooks of the test.
T=$(mktemp -d /tmp/privfsd-test.XXXXXX)
chmod 755 "$T"
_cleanups=""
at_exit() { _cleanups="$*; $_cleanups"; }
_run_cleanups() {
	eval "$_cleanups" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap _run_cleanups EXIT

# start_privfsd LOG ARGS...: runs the test broker in the background, sets PRIVFSD_PID,
# waits until the socket given with --socket-path exists (5 s).
start_privfsd() {
	log=$1; shift
	"$PRIVFSD" "$@" >"$log" 2>&1 &
	PRIVFSD_PID=$!
	at_exit "kill $PRIVFSD_PID 2>/dev/null; sleep 0.2; kill -9 $PRIVFSD_PID 2>/dev/null"
	sock=""
	for a in "$@"; do
		case $a in --socket-path=*) sock=${a#--socket-path=} ;; esac
	done
	[ -n "$sock" ] || return 0
	i=0
	while [ ! -S "$sock" ]; do
		i=$((i + 1))
		[ $i -le 50 ] || { cat "$log"; fail "privfsd did not create $sock"; }
		kill -0 "$PRIVFSD_PID" 2>/dev/null || { cat "$log"; fail "privfsd exited early"; }
		sleep 0.1
	done
}

# children_of PID: pids of the direct children.
children_of() { ps -o pid= --ppid "$1" | tr -d ' '; }

# role_pid ROLE: pid of the running privfsd process whose title names the role.
role_pid() {
	for p in $(pgrep -f "privfsd: $1"); do echo "$p"; return 0; done
	return 1
}

# wait_gone PID SECONDS: 0 when the process is gone within the time.
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
	return 0
}

# dead PID SECONDS: 0 once the process has ended within the time. A zombie counts as
# ended: orphans go to a PID 1 that may be slow to reap them (containers).
dead() {
	i=0
	while [ -e /proc/$1 ] &&
	    [ "$(awk '$1 == "State:" { print $2 }' /proc/$1/status 2>/dev/null)" != Z ]; do
		i=$((i + 1))
		[ $i -le $(($2 * 10)) ] || return 1
		sleep 0.1
	done
	return 0
}
