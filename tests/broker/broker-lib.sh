# Helpers of the broker tests. Source after tests/lib.sh: needs root, and makes D, the
# shared directory the tests export.
# Only ever look at the processes of *our* broker (other test runs may be going on).
require_root
D=$T/share
mkdir -p "$D"

# broker_child ROLE: pid of our broker's child titled "privfsd: ROLE".
broker_child() {
	ps -o pid=,args= --ppid "$PRIVFSD_PID" 2>/dev/null |
	    awk -v r="privfsd: $1" 'index($0, r) { print $1; exit }'
}

# start_ready LOG ARGS...: start_privfsd, then wait (5 s) until the broker reports that it
# serves the export (both children said hello and the broker is sandboxed).
start_ready() {
	_log=$1
	start_privfsd "$@"
	i=0
	until grep -q 'exporting' "$_log"; do
		i=$((i + 1))
		[ $i -le 50 ] || { cat "$_log"; fail "privfsd did not become ready"; }
		kill -0 "$PRIVFSD_PID" 2>/dev/null || { cat "$_log"; fail "privfsd exited early"; }
		sleep 0.1
	done
	FRONTEND_PID=$(broker_child frontend)
	WORKER_PID=$(broker_child worker)
	[ -n "$FRONTEND_PID" ] && [ -n "$WORKER_PID" ] || {
		ps -o pid,args --ppid "$PRIVFSD_PID"; fail "children not found by title"; }
}


# all_gone: broker and both children have exited.
all_gone() {
	for p in $PRIVFSD_PID $FRONTEND_PID $WORKER_PID; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}
