#!/usr/bin/env bash
# privfsd started by an unprivileged user (nobody, no supplementary group) on a share that
# user owns: the broker makes a user namespace in which the user is uid 0, and the broker,
# frontend, worker and respawner all run there, as that user on the host. The native driver
# (fault/vu-fault) then creates, writes, fsyncs, reads back, lists and removes files; the
# host sees them owned by the user. A killed worker is replaced by the respawner in the
# same namespace and serving goes on. The export ends cleanly when the driver leaves.
# Id rules to host ids other than the user's and mandatory file handles are refused at
# start; where it cannot make a user namespace, privfsd says why and exits 1, leaving
# nothing behind. Skipped, saying why, where unprivileged user namespaces are disabled.
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
role() { for p in $procs; do ps -o pid=,args= -p "$p"; done | awk -v r="privfsd: $1" 'index($0, r) { print $1 }'; }
fe=$(role frontend) worker=$(role worker)
# In the namespace: no capability in any set, no_new_privs, a seccomp filter, no group.
[ "$(awk '$1 ~ /^Cap(Inh|Prm|Eff|Bnd|Amb):$/ { print $2 }' "/proc/$fe/status" | sort -u)" = \
    0000000000000000 ] || { grep ^Cap "/proc/$fe/status"; fail "the frontend has capabilities"; }
grep -q '^NoNewPrivs:[[:space:]]*1$' "/proc/$fe/status" || fail "frontend: no no_new_privs"
grep -q '^Seccomp:[[:space:]]*2$' "/proc/$fe/status" || fail "frontend: no seccomp filter"
echo "ok - the frontend holds no capability in any set, with no_new_privs and seccomp"
# What a process of the frontend's ids without capabilities could do to the worker (the
# frontend itself has no open and no ptrace at all): the worker is not dumpable, so its
# /proc files are closed to it, while its own are not.
if as_unpriv nsenter --user --preserve-credentials --target "$BACKEND_PID" \
    setpriv --bounding-set=-all --inh-caps=-all sh -c \
    "cat /proc/self/environ >/dev/null && ! cat /proc/$worker/environ >/dev/null 2>&1 &&
     ! cat /proc/$worker/mem >/dev/null 2>&1"; then
	echo "ok - uid 0 in the namespace without capabilities cannot read the worker's /proc files"
else
	fail "a process as the frontend could read the worker's /proc/PID/environ or mem"
fi

drv_start "$U/sock"
drv_pid=$DRV_PID	# bash unsets DRV_PID as soon as the coprocess ends
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
old_worker=$worker
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

drv_end_clean "$old_worker"
[ ! -e "$U/sock" ] || fail "the socket was left behind"
echo "ok - privfsd ended cleanly and removed its socket"

# What such a privfsd cannot do is refused at start when asked for: host ids other than the
# user's own in id rules, and file handles (open_by_handle_at needs CAP_DAC_READ_SEARCH in
# the host's user namespace).
refused() {	# refused WHAT PATTERN ARGS...
	local what=$1 pattern=$2
	shift 2
	as_unpriv "$REAL_PRIVFSD" --socket-path="$U/sock3" --shared-dir="$U/share" "$@" \
	    >"$T/log3" 2>&1 </dev/null
	rc=$?
	[ $rc = 1 ] && grep -q -- "$pattern" "$T/log3" || { cat "$T/log3"; fail "$what: status $rc"; }
	[ ! -e "$U/sock3" ] || fail "$what: the socket was left behind"
	echo "ok - $what is refused: $(tail -n 1 "$T/log3" | cut -c1-120)"
}
refused "a uid rule to host uid 1000" "host ids other than 0" --translate-uid=map:0:1000:1
refused "a gid squash to host gid 5" "host id other than 0" --translate-gid=squash-guest:0:5:10
refused "--inode-file-handles=mandatory" "CAP_DAC_READ_SEARCH" --inode-file-handles=mandatory
refused "--migration-mode=file-handles" "migration-mode=file-handles: .*CAP_DAC_READ_SEARCH" \
    --migration-mode=file-handles

# No user namespace to be had: a namespace whose limit (user.max_user_namespaces is per
# namespace and counts every nested one) allows only the one privfsd is started in, as
# uid 65534 there. (--map-user: util-linux 2.38.)
if unshare --help 2>/dev/null | grep -q -- --map-user=; then
	mkdir -p "$T/share2"
	unshare --user --map-root-user sh -c "echo 1 >/proc/sys/user/max_user_namespaces &&
	    exec unshare --user --map-user=65534 --map-group=65534 '$REAL_PRIVFSD' \
	    --socket-path='$T/sock2' --shared-dir='$T/share2'" >"$T/log2" 2>&1 </dev/null
	rc=$?
	[ $rc = 1 ] || { cat "$T/log2"; fail "privfsd without a user namespace: status $rc"; }
	grep -q 'cannot make the user namespace privfsd then needs: unshare(CLONE_NEWUSER): No space left on device (sysctl user.max_user_namespaces)' "$T/log2" ||
	    { cat "$T/log2"; fail "privfsd without a user namespace did not say why"; }
	[ ! -e "$T/sock2" ] || fail "privfsd without a user namespace left its socket"
	echo "ok - without a user namespace privfsd says why and exits 1: $(tail -n 1 "$T/log2")"
else
	echo "# skipped: no user namespace to be had (unshare has no --map-user)"
fi
pass "an unprivileged user's privfsd serves requests from a user namespace"
