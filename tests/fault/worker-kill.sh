#!/usr/bin/env bash
# The worker killed (SIGKILL) during a stream of fsync'ed writes from a real guest: the
# guest writes 512-byte records one by one, each with dd conv=fsync, and prints
# "FSYNCED n" once record n's fsync has returned. After 30 records the test kills the
# worker. Every record the guest saw fsync'ed must be in the file on the host, whole and in
# its place. With --worker-restart=no privfsd must then end by itself (the broker ends the
# export when a child dies: status 1), with none of its processes and no socket left; QEMU,
# whose back-end is gone, is killed by the test. (worker-restart.sh: the default, where a
# new worker takes over.)
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
GUEST_PRIVFSD_ARGS=--worker-restart=no

cat >"$T/guest.sh" <<'GUEST'
F=/mnt/data/records
i=0
while [ $i -lt 100000 ]; do
	i=$((i + 1))
	printf 'record %08d %0495d\n' $i 0 |
	    dd of=$F bs=512 seek=$((i - 1)) conv=notrunc,fsync 2>/dev/null || break
	echo "FSYNCED $i"
done
echo "WRITER-STOPPED at $i"
exit 1
GUEST
guest_start "$T/guest.sh"
console_wait '^FSYNCED 30$' 150 || { guest_dump; fail "the guest did not fsync 30 records"; }
worker=$(ps -o pid=,args= --ppid "$BACKEND_PID" | awk '/worker/ { print $1; exit }')
[ -n "$worker" ] || fail "no worker under $BACKEND_PID"
kill -9 "$worker"
echo "ok - worker $worker killed after $(tr -d '\r' <"$T/console.log" | grep -ac '^FSYNCED') records"
backend_exit_status 10
[ "$BACKEND_STATUS" = "exit 1" ] || { guest_dump; fail "privfsd: $BACKEND_STATUS, want exit 1"; }
echo "ok - privfsd ended with status 1"
grep -q 'killed by signal 9' "$T/log" || { guest_dump; fail "the broker did not log the worker's death"; }
echo "ok - the broker logged: $(grep -m1 'killed by signal 9' "$T/log" | cut -c1-100)"
privfsd_tree_gone
sleep 1	# the guest's console catches up: any line it printed was fsync'ed before the kill
kill -9 "$QEMU_PID" 2>/dev/null
wait "$QEMU_PID" 2>/dev/null
n=$(tr -d '\r' <"$T/console.log" | sed -n 's/^FSYNCED \([0-9]*\)$/\1/p' | tail -n 1)
i=1
while [ "$i" -le "$n" ]; do printf 'record %08d %0495d\n' $i 0; i=$((i + 1)); done >"$T/want"
head -c $((n * 512)) "$T/share/data/records" | cmp - "$T/want" ||
    fail "the first $n records on the host are not what the guest fsync'ed"
echo "ok - all $n fsync'ed records are in the file ($(stat -c %s "$T/share/data/records") bytes)"
pass "worker killed mid-stream: every fsync'ed byte kept, privfsd gone cleanly"
