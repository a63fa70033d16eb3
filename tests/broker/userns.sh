#!/usr/bin/env bash
# privfsd started by an unprivileged user (nobody, no supplementary group) on a share that
# user owns: the broker makes a user namespace in which the user is uid 0, and the broker,
# frontend, worker and respawner all run there, as that user on the host. The native driver
# (fault/vu-fault) then creates, writes, fsyncs, reads back, lists and removes files; the
# host sees them owned by the user. A killed worker is replaced by the respawner in the
# same namespace and serving goes on. The export ends cleanly when the driver leaves.
# Skipped, saying why, where unprivileged user namespaces are disabled.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/userns-lib.sh"
require_backend
userns_require

# The user's own directory for the share and the socket; $T itself is root's (0755).
U=$T/u
mkdir -p "$U/share/sub"
echo "the user's file" >"$U/share/sub/old"
chown -R "$UNPRIV_UID:$UNPRIV_GID" "$U"
chmod 700 "$U"
# A file the user does not own: it must stay out of reach, as for the user's own processes.
echo "root's" >"$U/share/roots"
chmod 600 "$U/share/roots"

start_backend "$U/share" "$U/sock" "$T/log"
grep -q 'not root: in a user namespace of our own' "$T/log" ||
    { cat "$T/log"; fail "no start-up line about the user namespace"; }
[ "$(grep -c 'not root: in a user namespace of our own' "$T/log")" = 1 ] ||
    fail "the user namespace line is not said once"
echo "ok - the log says once that the frontend stays uid 0 in a user namespace"
[ "$(stat -c %u "$U/sock")" = "$UNPRIV_UID" ] || fail "socket owned by $(stat -c %u "$U/sock")"
echo "ok - the socket is the user's"

# All four, once the respawner is up (the broker forks it just before it serves).
for i in $(seq 1 50); do
	procs=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
	[ "$(echo $procs | wc -w)" -ge 4 ] && break
	sleep 0.1
done
[ "$(privfsd_procs)" = "broker frontend respawner worker " ] ||
    fail "processes: $(privfsd_procs)"
userns_check_procs $procs

drv_start "$U/sock"
want_ok "INIT" init
want_ok "CREATE new" create new
node=$F1 fh=$F2
want_ok "write 1 MiB" write "$node" "$fh" 0 1048576
want_ok "FSYNC" fsync "$node" "$fh"
want_ok "read back" verify "$node" "$fh" 1048576
want_ok "GETATTR new" getattr "$node"
[ "$F1" = 1048576 ] || fail "new is $F1 bytes"
"$FAULT_BIN" pattern 1048576 | cmp - "$U/share/new" || fail "new on the host is not what was written"
[ "$(stat -c %u:%g "$U/share/new")" = "$UNPRIV_UID:$UNPRIV_GID" ] ||
    fail "new is owned by $(stat -c %u:%g "$U/share/new") on the host"
echo "ok - the host sees the file, owned by $UNPRIV_USER"
want_ok "MKDIR d" mkdir d
want_ok "LOOKUP sub/old" lookup sub/old
want_ok "listing" ls 1
case ",${ANS#ok }," in *,new,*) ;; *) fail "listing: $ANS" ;; esac
want_ok "LOOKUP roots" lookup roots
want_err EACCES "root's file is out of reach" open "$F1"
want_ok "RELEASE new" release "$node" "$fh"

# The respawner starts the next worker, in the same namespace.
old_worker=$(for p in $procs; do ps -o pid=,args= -p "$p"; done | awk '/privfsd: worker/ { print $1 }')
[ -n "$old_worker" ] || fail "no worker"
kill -9 "$old_worker"
for i in $(seq 1 100); do grep -q 'started a new worker' "$T/log" && break; sleep 0.1; done
grep -q 'started a new worker' "$T/log" || { tail -n 20 "$T/log"; fail "no new worker"; }
echo "ok - the respawner started a new worker"
for i in $(seq 1 50); do drv lookup sub/old && break; sleep 0.1; done
want_ok "LOOKUP after the restart" lookup sub/old
want_ok "UNLINK new" unlink new
[ ! -e "$U/share/new" ] || fail "new is still on the host"
procs=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
userns_check_procs $procs

drv quit
wait "$DRV_PID" 2>/dev/null
backend_exit_status 10
[ "$BACKEND_STATUS" = "exit 0" ] || { tail -n 20 "$T/log"; fail "privfsd: $BACKEND_STATUS after the driver left"; }
if privfsd_crashes "$T/log" | grep -v "pid $old_worker"; then
	tail -n 20 "$T/log"
	fail "a privfsd process crashed"
fi
[ ! -e "$U/sock" ] || fail "the socket was left behind"
echo "ok - privfsd ended cleanly and removed its socket"
pass "an unprivileged user's privfsd serves requests from a user namespace"
