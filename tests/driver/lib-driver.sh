# Helpers for the driver's shell tests. Source after setting DRIVER_BACKEND (privfsd,
# virtiofsd, virtiofsd-rust); sources tests/lib.sh.
#
#   start_backend DIR SOCK LOG   start the chosen back-end on DIR, wait for SOCK; BACKEND_PID
#   stop_backend                 stop it (TERM, then KILL)
#   backend_alive                0 when the back-end (for privfsd: broker, frontend and
#                                worker) is still running
#   privfsd_procs                "broker frontend worker" titles found under BACKEND_PID

. "$PRIVFSD_SRCDIR/tests/lib.sh"

DRIVER_BACKEND=${DRIVER_BACKEND:-privfsd}
DRIVER_BIN=${PRIVFSD_TESTS_BUILDDIR:-.}/driver
VIRTIOFSD_C=${VIRTIOFSD_C:-/usr/lib/qemu/virtiofsd}
# The benchmarks (BENCH_NEWEST_RUST=1) compare with the newest Rust virtiofsd installed;
# the protocol and hostile tests keep the one they were written against.
if [ -z "${VIRTIOFSD_RUST:-}" ] && [ -n "${BENCH_NEWEST_RUST:-}" ] &&
    [ -x /opt/peers/bin/virtiofsd-rust-1.14 ]; then
	VIRTIOFSD_RUST=/opt/peers/bin/virtiofsd-rust-1.14
fi
VIRTIOFSD_RUST=${VIRTIOFSD_RUST:-/opt/peers/bin/virtiofsd-rust}
export VIRTIOFSD_RUST

require_backend() {
	require_root
	case $DRIVER_BACKEND in
	privfsd)
		[ -x "${PRIVFSD:-}" ] || skip "no privfsd test build (PRIVFSD)"
		[ -x "$PRIVFSD_LIBEXEC_DIR/privfsd-frontend" ] || skip "no frontend test build"
		[ -x "$PRIVFSD_LIBEXEC_DIR/privfsd-worker" ] || skip "no worker test build"
		;;
	virtiofsd) [ -x "$VIRTIOFSD_C" ] || skip "no $VIRTIOFSD_C" ;;
	virtiofsd-rust) [ -x "$VIRTIOFSD_RUST" ] || skip "no $VIRTIOFSD_RUST" ;;
	*) fail "unknown DRIVER_BACKEND $DRIVER_BACKEND" ;;
	esac
}

# For benchmarks: privfsd runs the installed-style (non-test) frontend and worker when
# they are built, so no test hook is on the data path (PRIVFSD_LIBEXEC_DIR otherwise).
installed_children() {
	if [ -n "${PRIVFSD_BUILDDIR:-}" ] && [ -x "$PRIVFSD_BUILDDIR/frontend/privfsd-frontend" ] &&
	    [ -x "$PRIVFSD_BUILDDIR/worker/privfsd-worker" ]; then
		mkdir -p "$T/libexec"
		ln -sf "$PRIVFSD_BUILDDIR/frontend/privfsd-frontend" "$T/libexec/privfsd-frontend"
		ln -sf "$PRIVFSD_BUILDDIR/worker/privfsd-worker" "$T/libexec/privfsd-worker"
		PRIVFSD_LIBEXEC_DIR=$T/libexec
		export PRIVFSD_LIBEXEC_DIR
	fi
}

# The benchmarks' settings of back-end $1, the same for all: no caching (privfsd
# --cache=never, C -o cache=none from start_backend, Rust --cache never), default sandbox
# and thread pool; privfsd with --seccomp=kill and BENCH_PRIVFSD_ARGS (experiments); -o
# readdirplus for privfsd and the C virtiofsd, which turn READDIRPLUS off with cache=none
# (the Rust one answers it without negotiating it). 1, saying why, when it is not there.
bench_backend_args() {
	DRIVER_BACKEND=$1
	case $1 in
	privfsd)
		[ -x "${PRIVFSD:-}" ] || { echo "$1: not built"; return 1; }
		DRIVER_PRIVFSD_ARGS="--cache=never --seccomp=kill -o readdirplus ${BENCH_PRIVFSD_ARGS:-}" ;;
	virtiofsd)
		[ -x "$VIRTIOFSD_C" ] || { echo "$1: no $VIRTIOFSD_C"; return 1; }
		DRIVER_PEER_ARGS="-o readdirplus" ;;
	virtiofsd-rust)
		[ -x "$VIRTIOFSD_RUST" ] || { echo "$1: no $VIRTIOFSD_RUST"; return 1; }
		DRIVER_PEER_ARGS="--cache never" ;;
	esac
}

# Up to 30 s: on a loaded 2-CPU machine a back-end's start can take seconds.
_wait_socket() {
	local i=0 why
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$BACKEND_PID" 2>/dev/null; then
			cat "$2"
			if kill -0 "$BACKEND_PID" 2>/dev/null; then
				why="still running after 30 s"
			else
				wait "$BACKEND_PID"
				why="exited with status $?"
			fi
			fail "$DRIVER_BACKEND did not create $1 ($why)"
		fi
		sleep 0.05
	done
}

start_backend() {
	dir=$1 sock=$2 log=$3
	BACKEND_LOG=$log
	rm -f "$sock"
	case $DRIVER_BACKEND in
	privfsd)
		start_privfsd "$log" --socket-path="$sock" --shared-dir="$dir" \
		    ${DRIVER_PRIVFSD_ARGS:-}
		BACKEND_PID=$PRIVFSD_PID
		return 0
		;;
	virtiofsd)
		"$VIRTIOFSD_C" --socket-path="$sock" -o source="$dir" -o cache=none \
		    ${DRIVER_PEER_ARGS:-} >"$log" 2>&1 &
		;;
	virtiofsd-rust)
		"$VIRTIOFSD_RUST" --socket-path "$sock" --shared-dir "$dir" \
		    ${DRIVER_PEER_ARGS:-} >"$log" 2>&1 &
		;;
	esac
	BACKEND_PID=$!
	at_exit "kill -9 $BACKEND_PID 2>/dev/null"
	_wait_socket "$sock" "$log"
}

stop_backend() {
	[ -n "${BACKEND_PID:-}" ] || return 0
	kill "$BACKEND_PID" 2>/dev/null
	i=0
	while ! _exited "$BACKEND_PID" && [ $i -lt 20 ]; do i=$((i + 1)); sleep 0.1; done
	_exited "$BACKEND_PID" || kill -9 "$BACKEND_PID" 2>/dev/null
	wait "$BACKEND_PID" 2>/dev/null
	BACKEND_PID=
}

# Titles of the broker and its children (broker, frontend, worker).
privfsd_procs() {
	{
		ps -o args= -p "$BACKEND_PID"
		for c in $(children_of "$BACKEND_PID"); do ps -o args= -p "$c"; done
	} 2>/dev/null | sed -n 's/.*privfsd[-a-z]*: \([a-z]*\).*/\1/p' | sort | tr '\n' ' '
}

# backend_alive: the back-end runs; for privfsd all its processes, and no worker of it has
# died (a worker replaced by --worker-restart hides its death from the process list).
backend_alive() {
	kill -0 "$BACKEND_PID" 2>/dev/null || return 1
	[ "$DRIVER_BACKEND" = privfsd ] || return 0
	case $(privfsd_procs) in
	"broker frontend worker "|"broker frontend respawner worker ") ;;
	*) return 1 ;;
	esac
	[ -z "${BACKEND_LOG:-}" ] || ! grep -q 'started a new worker' "$BACKEND_LOG"
}

# backend_exit_status SECONDS: sets BACKEND_STATUS to "exit N" or "running"
# (still up after SECONDS). Not in a subshell: only the parent can wait for the status.
_exited() {	# gone or a zombie waiting for us
	[ -e "/proc/$1/stat" ] || return 0
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}
backend_exit_status() {
	i=0
	while ! _exited "$BACKEND_PID"; do
		i=$((i + 1))
		[ $i -le $(($1 * 10)) ] || { BACKEND_STATUS=running; return 0; }
		sleep 0.1
	done
	wait "$BACKEND_PID" 2>/dev/null
	st=$?
	BACKEND_PID=
	BACKEND_STATUS="exit $st"	# > 128: a signal or such an exit code
}

# privfsd_crashes LOG: lines saying a child died of a signal other than our SIGTERM.
privfsd_crashes() {
	grep -E 'killed by signal|dumped core' "$1" | grep -v 'signal 15 (SIGTERM)'
}
