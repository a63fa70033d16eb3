#!/usr/bin/env bash
# Worker crash recovery with a real guest (--worker-restart, the default): a shell loop in
# the guest writes, reads back and lists files on the mount while the test kills the
# worker (SIGKILL) three times. After each kill the broker must start a new worker, the
# frontend must keep QEMU's connection and the guest's session, and the loop must go on in
# the same mount (no remount, no reboot). What the loop may see is an error on the
# requests that were in flight at the kill (EIO): at most a few per kill, never a wrong
# byte. At the end a file written by the guest is on the host, and privfsd ends cleanly
# when QEMU goes.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
KILLS=3
MAX_ERRORS_PER_KILL=4

cat >"$T/guest.sh" <<'GUEST'
D=/mnt/data
mkdir -p $D/w
exec 3<$D/kept
i=0
errs=0
while [ ! -e $D/stop ]; do
	i=$((i + 1))
	f=$D/w/f$((i % 8))
	# A failed write may or may not have reached the file: only a written line is checked.
	if echo "iter $i" >$f; then
		read -r line <$f || line="(read failed)"
		[ "$line" = "iter $i" ] || { echo "ERR read $i: $line"; errs=$((errs + 1)); }
	else
		echo "ERR write $i"
		errs=$((errs + 1))
	fi
	ls $D/w >/dev/null || { echo "ERR ls $i"; errs=$((errs + 1)); }
	echo "ITER $i"
done
read -r kept <&3 2>/dev/null && echo "KEPT-FD read: $kept" || echo "KEPT-FD failed"
echo "LOOP-END $i errors $errs"
echo "written after $i iterations" >$D/final && sync && echo FINAL-WRITTEN
exit 1
GUEST
mkdir -p "$T/share/data"
echo "opened before the kills" >"$T/share/data/kept"
guest_start "$T/guest.sh"
console_wait '^ITER 20$' 150 || { guest_dump; fail "the guest loop did not start"; }
iters() { tr -d '\r' <"$T/console.log" | sed -n 's/^ITER \([0-9]*\)$/\1/p' | tail -n 1; }
k=0
while [ $k -lt $KILLS ]; do
	k=$((k + 1))
	worker=$(ps -o pid=,args= --ppid "$BACKEND_PID" | awk '/worker/ { print $1; exit }')
	[ -n "$worker" ] || { guest_dump; fail "kill $k: no worker under $BACKEND_PID"; }
	before=$(iters)
	kill -9 "$worker"
	# The loop must go on: 20 more iterations after the kill.
	console_wait "^ITER $((before + 20))\$" 120 ||
	    { guest_dump; fail "kill $k: the guest loop stopped at $(iters) (worker $worker killed at $before)"; }
	echo "ok - kill $k: worker $worker killed at iteration $before, the loop is at $(iters)"
done
n=$(grep -c 'started a new worker' "$T/log")
[ "$n" -eq $KILLS ] || { guest_dump; fail "the broker started $n new workers, want $KILLS"; }
echo "ok - the broker started $KILLS new workers: $(grep 'started a new worker' "$T/log" | tail -n 1 | cut -c1-90)"
# Every privfsd process now (the guest powers off after its last line): none may be left.
PRIVFSD_TREE="$BACKEND_PID $(children_of "$BACKEND_PID" | tr '\n' ' ')"
touch "$T/share/data/stop"
console_wait '^FINAL-WRITTEN$' 120 || { guest_dump; fail "the guest did not finish its loop"; }
end=$(tr -d '\r' <"$T/console.log" | grep -a '^LOOP-END')
errs=$(echo "$end" | awk '{ print $4 }')
echo "ok - $end"
tr -d '\r' <"$T/console.log" | grep -a '^ERR' | head -n 20
[ "$errs" -le $((KILLS * MAX_ERRORS_PER_KILL)) ] ||
    { guest_dump; fail "$errs errors in the guest loop, more than $MAX_ERRORS_PER_KILL per kill"; }
tr -d '\r' <"$T/console.log" | grep -a '^ERR read' | grep -v 'read failed' &&
    { guest_dump; fail "the guest read back a wrong line"; }
echo "ok - no wrong byte read back"
# What the loop saw is EIO on what was in flight, never a stale or unknown file.
others=$(tr -d '\r' <"$T/console.log" | grep -aE '(run\.sh: line [0-9]+|^ls): ' |
    grep -avE 'Input/output error$')
[ -z "$others" ] || { guest_dump; fail "errors other than EIO in the guest loop: $others"; }
echo "ok - every error the loop saw was EIO ($(tr -d '\r' <"$T/console.log" | grep -acE 'Input/output error$') lines)"
echo "ok - $(tr -d '\r' <"$T/console.log" | grep -a '^KEPT-FD')"
grep -q '^written after' "$T/share/data/final" || fail "the guest's last file is not on the host"
echo "ok - the guest's last write is on the host: $(cat "$T/share/data/final")"
kill -9 "$QEMU_PID" 2>/dev/null
wait "$QEMU_PID" 2>/dev/null
backend_exit_status 10
[ "$BACKEND_STATUS" = "exit 0" ] || { guest_dump; fail "privfsd: $BACKEND_STATUS, want exit 0"; }
echo "ok - privfsd ended with status 0 when QEMU went"
privfsd_tree_gone
pass "three worker kills: the guest's loop went on in the same mount"
