#!/usr/bin/env bash
# Root's privfsd with --worker-userns=BASE:BASE:COUNT: the worker, and each worker the
# respawner starts after it, runs in a user namespace of its own whose ids 0..COUNT-1 are
# host ids BASE..BASE+COUNT-1; broker, frontend and respawner stay where they were. Shown
# from /proc and by what such a worker can do, then through the native driver: files the
# guest writes are BASE's on the host, a file of an id outside the range stays out of
# reach. Bad ranges, a user without subordinate ids and mandatory file handles are refused
# at start. Skipped, saying why, where root cannot make a user namespace.
#   WUSERNS_BASE  first host id of the range (default 200000; nothing on the host may own
#                 ids in BASE..BASE+65535)
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_root
require_backend
for c in nsenter unshare setfattr mkfifo; do
	command -v $c >/dev/null || skip "no $c"
done
[ "$(awk '{ print $1, $2, $3 }' /proc/self/uid_map)" = "0 0 4294967295" ] ||
    skip "not run in the initial user namespace (uid_map $(cat /proc/self/uid_map))"
unshare --user true 2>"$T/unshare.err" ||
    skip "root cannot make a user namespace: $(cat "$T/unshare.err")"
BASE=${WUSERNS_BASE:-200000}
COUNT=65536
OUT=$((BASE + COUNT))		# the first host id past the range

mkdir -p "$T/share/sub"
echo "in the range" >"$T/share/sub/old"
chown -R "$BASE:$BASE" "$T/share"
# Files of ids outside the range: root's (0600) and one of the first id past it (0644).
echo "root's" >"$T/share/roots"
chmod 600 "$T/share/roots"
echo "outsider's" >"$T/share/outside"
chown "$OUT:$OUT" "$T/share/outside"
chmod 644 "$T/share/outside"
# Host files for the worker's namespace to try: root's, and one in the range.
echo "host root's" >"$T/hostfile"
chmod 600 "$T/hostfile"

DRIVER_PRIVFSD_ARGS="--worker-userns=$BASE:$BASE:$COUNT --log-level=debug"
start_backend "$T/share" "$T/sock" "$T/log"
grep -q "the worker runs in a user namespace: uid_map 0 $BASE $COUNT, gid_map 0 $BASE $COUNT" \
    "$T/log" || { cat "$T/log"; fail "no start-up line about the worker's user namespace"; }
! grep -q 'outside the worker.s id range' "$T/log" ||
    fail "warned about a share that is in the range"
echo "ok - the log names the worker's id maps"

for i in $(seq 1 50); do
	[ "$(privfsd_procs)" = "broker frontend respawner worker " ] && break
	sleep 0.1
done
[ "$(privfsd_procs)" = "broker frontend respawner worker " ] || fail "processes: $(privfsd_procs)"
procs=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
role() { for p in $procs; do ps -o pid=,args= -p "$p"; done | awk -v r="privfsd: $1" 'index($0, r) { print $1 }'; }
# Ours is the initial user namespace (checked at the top): the only one mapping every id.
init_ns=$(readlink /proc/self/ns/user)

# check_worker PID: the worker is in a user namespace of its own, over the range.
#
# What /proc shows of capabilities is relative to the process's own user namespace: the
# worker's CapPrm lists its file capabilities, held as root of its namespace. A capability
# counts in another namespace only if that one is the process's own or a descendant of it
# (cap_capable() in the kernel walks from the object's namespace up to the process's,
# never down), so in the initial namespace, an ancestor, the worker has none, whatever the
# bits say. The honest check from /proc is therefore: its ns/user is not the initial
# one, its maps name only the range (no id 0 of the host), its uids are BASE, not 0; and
# its capabilities in the initial namespace, CapEff if ns/user were the initial one and 0
# otherwise, are 0. What such capabilities amount to is shown after, by doing it.
check_worker() {
	local w=$1 ns caps
	ns=$(readlink "/proc/$w/ns/user") || fail "worker $w: no ns/user"
	[ "$ns" != "$init_ns" ] || fail "worker $w is in the initial user namespace"
	[ "$(awk '{ print $1, $2, $3 }' "/proc/$w/uid_map")" = "0 $BASE $COUNT" ] ||
	    fail "worker $w: uid_map is $(cat "/proc/$w/uid_map")"
	[ "$(awk '{ print $1, $2, $3 }' "/proc/$w/gid_map")" = "0 $BASE $COUNT" ] ||
	    fail "worker $w: gid_map is $(cat "/proc/$w/gid_map")"
	[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$w/status")" = \
	    "$BASE $BASE $BASE $BASE" ] || fail "worker $w: $(grep ^Uid: "/proc/$w/status")"
	[ "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$w/status")" = \
	    "$BASE $BASE $BASE $BASE" ] || fail "worker $w: $(grep ^Gid: "/proc/$w/status")"
	[ -z "$(awk '$1 == "Groups:" { $1 = ""; print }' "/proc/$w/status" | tr -d ' ')" ] ||
	    fail "worker $w: $(grep ^Groups: "/proc/$w/status")"
	caps=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$w/status")
	[ "$ns" = "$init_ns" ] || caps=0000000000000000
	[ "$caps" = 0000000000000000 ] || fail "worker $w: CapEff $caps in the initial namespace"
	grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$w/status" || fail "worker $w: no no_new_privs"
	grep -q '^Seccomp:[[:space:]]*2$' "/proc/$w/status" || fail "worker $w: no seccomp filter"
	echo "ok - worker $w: uid $BASE on the host, uid_map and gid_map 0 $BASE $COUNT," \
	    "capabilities in the initial namespace 0 (its own namespace's: CapPrm" \
	    "$(awk '$1 == "CapPrm:" { print $2 }' "/proc/$w/status"))"
}
worker=$(role worker)
[ -n "$worker" ] || fail "no worker"
check_worker "$worker"
for p in $(role broker) $(role frontend) $(role respawner); do
	[ "$(readlink "/proc/$p/ns/user")" = "$init_ns" ] ||
	    fail "$(ps -o args= -p "$p") is not in the initial user namespace"
done
echo "ok - broker, frontend and respawner stay in the initial user namespace"

# A process with every capability of the worker's namespace (a superset of the worker's
# sets; root of the host enters it, as the namespace's owner may) against objects of the
# initial namespace: each of these needs a capability there, and is refused.
in_wns() { nsenter --user="/proc/$worker/ns/user" --setuid=0 --setgid=0 "$@"; }
in_wns true || fail "cannot enter the worker's namespace"
in_wns cat "$T/hostfile" >/dev/null 2>&1 && fail "root's 0600 host file read from the worker's namespace"
in_wns chown 0 "$T/share/roots" 2>/dev/null && fail "root's file was chowned from the worker's namespace"
# Host ids past the range have no name in the namespace: its id COUNT is one of them.
in_wns chown "$COUNT" "$T/share/sub/old" 2>/dev/null && fail "chown out of the range from the worker's namespace"
in_wns touch "$T/share/outside" 2>/dev/null && fail "a file outside the range was written"
in_wns chmod 600 "$T/share/outside" 2>/dev/null && fail "a file outside the range was chmod'ed"
in_wns mknod "$T/share/null" c 1 3 2>/dev/null && fail "a device node was made (CAP_MKNOD)"
in_wns setfattr -n trusted.t -v 1 "$T/share/sub/old" 2>/dev/null &&
    fail "trusted.* was set (CAP_SYS_ADMIN)"
[ "$(stat -c %u "$T/share/sub/old")" = "$BASE" ] || fail "sub/old changed owner"
echo "ok - all capabilities of the worker's namespace give nothing over root's files, ids" \
    "outside the range, device nodes or trusted.*"
# ... and everything over the range: the same as a local root there.
in_wns sh -c "chown 1000:1000 '$T/share/sub/old' && chmod 4755 '$T/share/sub/old' &&
    setfattr -n user.t -v 1 '$T/share/sub/old' && mkfifo '$T/share/sub/fifo'" ||
    fail "the worker's namespace cannot chown, chmod, setfattr or mkfifo in the range"
[ "$(stat -c %u:%g:%a "$T/share/sub/old")" = "$((BASE + 1000)):$((BASE + 1000)):4755" ] ||
    fail "sub/old is $(stat -c %u:%g:%a "$T/share/sub/old") on the host"
chown "$BASE:$BASE" "$T/share/sub/old"
chmod 644 "$T/share/sub/old"
rm -f "$T/share/sub/fifo"
echo "ok - and over the range it chowns (1000 is $((BASE + 1000)) on the host), sets set-id" \
    "bits, user.* attributes and makes FIFOs"

drv_start "$T/sock"
drv_pid=$DRV_PID
want_ok "INIT" init
want_ok "CREATE new" create new
node=$F1 fh=$F2
want_ok "write 1 MiB" write "$node" "$fh" 0 1048576
want_ok "FSYNC" fsync "$node" "$fh"
want_ok "read back" verify "$node" "$fh" 1048576
"$FAULT_BIN" pattern 1048576 | cmp - "$T/share/new" || fail "new on the host is not what was written"
[ "$(stat -c %u:%g "$T/share/new")" = "$BASE:$BASE" ] ||
    fail "new is owned by $(stat -c %u:%g "$T/share/new") on the host"
echo "ok - the guest root's file is $BASE:$BASE on the host"
want_ok "RELEASE new" release "$node" "$fh"
want_ok "LOOKUP sub/old" lookup sub/old
want_ok "OPEN sub/old" open "$F1"
want_ok "LOOKUP roots" lookup roots
want_err EACCES "root's 0600 file is out of reach" open "$F1"
want_ok "LOOKUP outside" lookup outside
want_err EACCES "a 0644 file of an id past the range cannot be opened for writing" open "$F1"
[ "$(cat "$T/share/outside")" = "outsider's" ] || fail "the outsider's file changed"

# The respawner's worker: the same maps, a namespace of its own.
kill -9 "$worker"
for i in $(seq 1 100); do grep -q 'started a new worker' "$T/log" && break; sleep 0.1; done
grep -q 'started a new worker' "$T/log" || { tail -n 20 "$T/log"; fail "no new worker"; }
procs=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
worker2=$(role worker)
[ -n "$worker2" ] && [ "$worker2" != "$worker" ] || fail "no new worker in $procs"
check_worker "$worker2"
# (Its ns/user may show the old one's number: that namespace died with the old worker,
# and the kernel reuses namespace inode numbers.)
for i in $(seq 1 50); do drv lookup sub/old && break; sleep 0.1; done
want_ok "LOOKUP after the restart" lookup sub/old
want_ok "UNLINK new" unlink new
[ ! -e "$T/share/new" ] || fail "new is still on the host"
drv_end_clean "$worker"
echo "ok - privfsd ended cleanly"

# A share owned outside the range: started, with a warning that says what to do.
mkdir -p "$T/rootshare"
start_backend "$T/rootshare" "$T/sock4" "$T/log4"
grep -q "is owned by 0:0, outside the worker's id range (--worker-userns).*chown -R $BASE:$BASE" \
    "$T/log4" || { cat "$T/log4"; fail "no warning about a share owned by root"; }
stop_backend
echo "ok - a share owned outside the range is warned about"

# What cannot be is refused at start, naming the input.
refused() {	# refused WHAT PATTERN ARGS...
	local what=$1 pattern=$2
	shift 2
	"$PRIVFSD" --socket-path="$T/sock3" --shared-dir="$T/share" "$@" >"$T/log3" 2>&1 </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q -- "$pattern" "$T/log3" || { cat "$T/log3"; fail "$what: status $rc"; }
	[ ! -e "$T/sock3" ] || fail "$what: the socket was left behind"
	echo "ok - $what is refused: $(head -n 1 "$T/log3" | cut -c1-160)"
}
refused "a range with host id 0" "worker-userns=0:$BASE:10: the uid range 0+10 contains uid 0" \
    --worker-userns=0:$BASE:10
refused "a gid range with host id 0" "the gid range 0+1 contains gid 0" --worker-userns=$BASE:0:1
privsep_uid=$(id -u "$PRIVSEP_USER")
refused "a range with the privsep user" "contains uid $privsep_uid of the privilege separation user" \
    --worker-userns=$((privsep_uid - 1)):$BASE:2
refused "a range past 32 bits" "the uid range 4294967290+10 reaches past id 4294967294" \
    --worker-userns=4294967290:$BASE:10
refused "garbage" "worker-userns=1:2: expected UID:GID:COUNT" --worker-userns=1:2
refused "a user that does not exist" "no user privfsd-no-such-user" \
    --worker-userns=privfsd-no-such-user
printf 'someone:100000:65536\n' >"$T/subuid"
printf 'daemon:300000:1000\n' >"$T/subgid"
PRIVFSD_TEST_SUBUID=$T/subuid PRIVFSD_TEST_SUBGID=$T/subgid \
    refused "a user without subordinate uids" "user daemon has no range in $T/subuid" \
    --worker-userns=daemon
refused "a uid rule past the range" "outside the worker's user namespace" \
    --worker-userns=$BASE:$BASE:100 --translate-uid=map:0:100:1
refused "--inode-file-handles=mandatory" "CAP_DAC_READ_SEARCH" \
    --worker-userns=$BASE:$BASE:$COUNT --inode-file-handles=mandatory
refused "--migration-mode=file-handles" "migration-mode=file-handles: .*CAP_DAC_READ_SEARCH" \
    --worker-userns=$BASE:$BASE:$COUNT --migration-mode=file-handles
# Started by another user than root (who runs everything in a namespace of its own).
if command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PRIVFSD" 2>/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$PRIVFSD" --socket-path="$T/sock6" \
	    --shared-dir="$T/share" --worker-userns=$BASE:$BASE:$COUNT >"$T/log6" 2>&1 </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q 'worker-userns=.*needs privfsd started as root' "$T/log6" ||
	    { cat "$T/log6"; fail "an unprivileged start with --worker-userns: status $rc"; }
	echo "ok - an unprivileged start with --worker-userns is refused: $(head -n 1 "$T/log6" | cut -c1-120)"
else
	echo "# skipped the unprivileged start: uid 65534 cannot run $PRIVFSD"
fi
# A user's ranges from the subordinate id files (the test build reads these instead).
printf '# comment\nsomeone:100000:65536\n%s:%s:%s\n' "$(id -u daemon)" "$BASE" "$COUNT" \
    >"$T/subuid"
printf 'daemon:%s:%s\n' "$BASE" "$COUNT" >"$T/subgid"
PRIVFSD_TEST_SUBUID=$T/subuid PRIVFSD_TEST_SUBGID=$T/subgid DRIVER_PRIVFSD_ARGS="--worker-userns=daemon" \
    start_backend "$T/share" "$T/sock5" "$T/log5"
grep -q "uid_map 0 $BASE $COUNT, gid_map 0 $BASE $COUNT" "$T/log5" ||
    { cat "$T/log5"; fail "--worker-userns=daemon did not take daemon's ranges"; }
stop_backend
echo "ok - --worker-userns=daemon takes daemon's ranges from the subordinate id files"
pass "root's privfsd runs its worker in a user namespace over a host id range"
