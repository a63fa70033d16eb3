# check-procs.sh PID BACKEND all|broker: run by vu-hostile (DRIVER_CHECK_CMD) after each
# case. all: the back-end runs (privfsd: broker, frontend and worker, and the respawner
# of --worker-restart); broker: only the
# broker must be left (the frontend may have stopped after closing the connection).
pid=$1 backend=$2 mode=$3
if ! kill -0 "$pid" 2>/dev/null || [ "$(sed 's/.*) //' /proc/$pid/stat 2>/dev/null | cut -c1)" = Z ]; then
	echo "check-procs: $backend ($pid) is gone"
	# privfsd ends the export on a vhost-user protocol error, with a log line
	if [ "$backend" = privfsd ] && [ "$mode" = broker ] && [ -n "${DRIVER_BACKEND_LOG:-}" ] &&
	    grep -q 'protocol error' "$DRIVER_BACKEND_LOG"; then
		grep 'protocol error' "$DRIVER_BACKEND_LOG" | sed 's/^/check-procs: /'
		exit 0
	fi
	exit 1
fi
[ "$backend" = privfsd ] || exit 0
titles=$({
	ps -o args= -p "$pid"
	for c in $(ps -o pid= --ppid "$pid"); do ps -o args= -p "$c"; done
} 2>/dev/null | sed -n 's/.*privfsd[-a-z]*: \([a-z]*\).*/\1/p' | sort | tr '\n' ' ')
echo "check-procs: privfsd processes: $titles"
case $mode in
all) [ "$titles" = "broker frontend worker " ] || [ "$titles" = "broker frontend respawner worker " ] ;;
*) case $titles in *broker*) exit 0 ;; *) exit 1 ;; esac ;;
esac
