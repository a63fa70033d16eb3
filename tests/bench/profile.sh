# Look inside one benchmark workload on one back-end: start the back-end, run vu-bench
# --only=WORKLOAD for BENCH_SECONDS (default 6), and after 1 s run a command against
# its processes; in the command, @B is the back-end's pid, @F privfsd's frontend, @W
# its worker (for a peer, @F and @W are the sandboxed child that does the work). Examples:
#   bash tests/bench/profile.sh latency strace -c -f -p @W -p @F
#   bash tests/bench/profile.sh randread16 perf record -g -o /tmp/w.data -p @W -- sleep 4
#   DRIVER_BACKEND=virtiofsd bash tests/bench/profile.sh latency perf stat -p @B -- sleep 4
# Same settings as bench.sh (BENCH_QUEUE_SIZE, BENCH_SEQ_DEPTH, BENCH_SCATTER); the data
# set is made as bench.sh makes it (BENCH_DIR).
BENCH_NEWEST_RUST=1
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"
require_root
[ $# -ge 2 ] || fail "usage: profile.sh WORKLOAD COMMAND..."
work=$1; shift
SECS=${BENCH_SECONDS:-6}
FILE_MIB=${BENCH_FILE_MIB:-256}
D=${BENCH_DIR:?set BENCH_DIR to a data set made by bench.sh}
BENCH=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/vu-bench
if [ -n "${PRIVFSD_BUILDDIR:-}" ] && [ -x "$PRIVFSD_BUILDDIR/worker/privfsd-worker" ]; then
	mkdir -p "$T/libexec"
	ln -sf "$PRIVFSD_BUILDDIR/frontend/privfsd-frontend" "$T/libexec/privfsd-frontend"
	ln -sf "$PRIVFSD_BUILDDIR/worker/privfsd-worker" "$T/libexec/privfsd-worker"
	PRIVFSD_LIBEXEC_DIR=$T/libexec
	export PRIVFSD_LIBEXEC_DIR
fi
case $DRIVER_BACKEND in
privfsd) DRIVER_PRIVFSD_ARGS="--cache=never --seccomp=kill -o readdirplus ${PROFILE_ARGS:-}" ;;
virtiofsd) DRIVER_PEER_ARGS="-o readdirplus ${PROFILE_ARGS:-}" ;;
virtiofsd-rust) DRIVER_PEER_ARGS="--cache never ${PROFILE_ARGS:-}" ;;
esac
rm -f "$D"/write.* "$D"/create/*
cat "$D/big" >/dev/null
start_backend "$D" "$T/sock" "$T/log"
"$BENCH" --socket="$T/sock" --backend="$DRIVER_BACKEND" --pid="$BACKEND_PID" \
    --seconds="$SECS" --file-mib="$FILE_MIB" --only="$work" \
    --queue-size="${BENCH_QUEUE_SIZE:-128}" --seq-depth="${BENCH_SEQ_DEPTH:-1}" \
    ${BENCH_SCATTER:+--scatter} &
bpid=$!
sleep 1
F=$BACKEND_PID W=$BACKEND_PID
if [ "$DRIVER_BACKEND" != privfsd ]; then
	# both virtiofsd fork into their sandbox; the parent only waits
	for c in $(children_of "$BACKEND_PID"); do F=$c W=$c; done
else
	for c in $(children_of "$BACKEND_PID"); do
		case $(ps -o args= -p "$c") in
		*frontend*) F=$c ;;
		*worker*) W=$c ;;
		esac
	done
fi
cmd=""
for a in "$@"; do
	a=$(printf "%s\n" "$a" | sed "s/@B/$BACKEND_PID/g; s/@F/$F/g; s/@W/$W/g")
	cmd="$cmd '$a'"
done
echo "profile: $DRIVER_BACKEND $work: broker $BACKEND_PID frontend $F worker $W: $cmd"
eval "$cmd"
wait $bpid
stop_backend
exit 0
