#!/bin/bash
# The running daemon's processes, seen from outside through /proc: ids, groups,
# capabilities, no_new_privs, seccomp, root directory and mount namespace of each (and the
# respawner of --worker-restart, the default; absent with --worker-restart=no).
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root

[ -x "$PRIVFSD" ] || fail "no test broker $PRIVFSD"
require_privsep_user

# CAP_CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID MKNOD SETFCAP, + DAC_READ_SEARCH
# (bit 2) with file handles; the broker: CAP_KILL.
hex() { printf '%016x' "$1"; }
WORKER_CAPS=$(hex $(( (1 << 0) | (1 << 1) | (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) |
	(1 << 27) | (1 << 31) )))
WORKER_CAPS_FH=$(hex $(( 0x$WORKER_CAPS | (1 << 2) )))
BROKER_CAPS=$(hex $(( 1 << 5 )))
# the worker's with file handles, + SETPCAP SYS_CHROOT SYS_ADMIN SYS_RESOURCE, those of
# them this host's bounding set has (containers may lack SYS_RESOURCE)
RESPAWNER_CAPS=$(hex $(( (0x$WORKER_CAPS_FH | (1 << 8) | (1 << 18) | (1 << 21) | (1 << 24)) &
	0x$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status) )))
NO_CAPS=$(hex 0)

field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ +/, ""); print; exit }' "/proc/$1/status"; }
check() {	# check ROLE PID FIELD WANT
	got=$(field "$2" "$3")
	[ "$got" = "$4" ] || fail "$1 (pid $2): $3 is '$got', want '$4'"
}

# The pid among the broker's children titled "privfsd: ROLE" (or still named privfsd-ROLE).
pid_of() {
	for p in $(children_of "$PRIVFSD_PID"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE "(: |privfsd-)$1( |$)" &&
			{ echo "$p"; return 0; }
	done
	return 1
}

check_worker() {	# check_worker PID: the worker's confinement
	w=$1
	# worker: root, file capabilities only, the shared directory as "/"
	check worker $w Uid "0 0 0 0"
	check worker $w Gid "0 0 0 0"
	check worker $w Groups ""
	# permitted: the file capabilities; effective: none on the loop thread, which acts
	# for nobody, and on a pool thread only its caller's (never CAP_SETUID/SETGID, which
	# are raised only inside a credential switch)
	for c in CapPrm CapBnd; do check worker $w $c "$want_worker"; done
	check worker $w CapEff $NO_CAPS
	for t in /proc/$w/task/*/status; do
		eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$t")
		[ $(( 0x$eff & 0xc0 )) -eq 0 ] ||
			fail "$name: worker thread ${t%/status} idles with CAP_SETUID/SETGID ($eff)"
	done
	check worker $w CapInh $NO_CAPS
	check worker $w CapAmb $NO_CAPS
	check worker $w NoNewPrivs 1
	check worker $w Seccomp 2
	[ "$(stat -L -c %d:%i /proc/$w/root/)" = "$(stat -L -c %d:%i "$T/share")" ] ||
		fail "$name: worker root is not the shared directory"
	[ "$(readlink /proc/$w/ns/mnt)" != "$broker_ns" ] ||
		fail "$name: worker shares the broker's mount namespace"
	! grep -q ' - proc ' /proc/$w/mountinfo ||
		{ cat /proc/$w/mountinfo; fail "$name: a proc is mounted in the worker's view"; }
	[ ! -e /proc/$w/root/proc ] || fail "$name: /proc reachable in the worker"
}

run_case() {	# run_case NAME EXPECTED_WORKER_CAPS yes|no(respawner) BROKER_ARGS...
	name=$1 want_worker=$2 respawner=$3; shift 3
	rm -rf "$T/share" "$T/sock"
	mkdir "$T/share"
	start_privfsd "$T/$name.log" --socket-path="$T/sock" --shared-dir="$T/share" "$@"
	# The broker seals itself after both children answered from inside their sandboxes.
	i=0
	until [ "$(field "$PRIVFSD_PID" Seccomp 2>/dev/null)" = 2 ]; do
		i=$((i + 1))
		[ $i -le 50 ] || { cat "$T/$name.log"; fail "$name: broker never sandboxed"; }
		sleep 0.1
	done
	b=$PRIVFSD_PID
	f=$(pid_of frontend) || { cat "$T/$name.log"; fail "$name: no frontend"; }
	w=$(pid_of worker) || { cat "$T/$name.log"; fail "$name: no worker"; }
	broker_ns=$(readlink /proc/$b/ns/mnt)

	# frontend: privsep user, nothing else
	check frontend $f Uid "$uid $uid $uid $uid"
	check frontend $f Gid "$gid $gid $gid $gid"
	check frontend $f Groups ""
	for c in CapInh CapPrm CapEff CapBnd CapAmb; do check frontend $f $c $NO_CAPS; done
	check frontend $f NoNewPrivs 1
	check frontend $f Seccomp 2
	[ -z "$(ls -A /proc/$f/root/)" ] || fail "$name: frontend root is not empty"
	[ "$(readlink /proc/$f/ns/mnt)" != "$broker_ns" ] ||
		fail "$name: frontend shares the broker's mount namespace"
	[ "$(wc -l </proc/$f/mountinfo)" = 1 ] || { cat /proc/$f/mountinfo;
		fail "$name: the frontend sees more than its empty root"; }
	grep -q ' / / ro,.* - tmpfs ' /proc/$f/mountinfo ||
		{ cat /proc/$f/mountinfo; fail "$name: frontend root is not a read-only tmpfs"; }
	grep -qE '^Max processes +0 +0 ' /proc/$f/limits ||
		fail "$name: frontend RLIMIT_NPROC is not 0"
	# the test's log file is the broker's stderr: the frontend's reaches it by the relay
	grep -qE '^Max file size +0 +0 ' /proc/$f/limits ||
		fail "$name: frontend RLIMIT_FSIZE is not 0"
	[ "$(stat -L -c %F /proc/$f/fd/2)" = fifo ] ||
		fail "$name: frontend stderr is not the broker's relay pipe"
	pass "$name: frontend"

	check_worker "$w"
	pass "$name: worker"
	# A worker started by the respawner is confined the same way.
	if [ "$respawner" = yes ]; then
		old=$w
		kill -KILL "$old"
		i=0
		until w=$(pid_of worker) && [ "$w" != "$old" ] && [ "$(field "$w" Seccomp 2>/dev/null)" = 2 ]; do
			i=$((i + 1))
			[ $i -le 50 ] || { cat "$T/$name.log"; fail "$name: no new worker after $old died"; }
			sleep 0.1
		done
		sleep 0.2	# its threads start after its seccomp filter
		check_worker "$w"
		pass "$name: the restarted worker"
	fi

	# respawner: what starting a worker takes, no seccomp (it would be the workers' too)
	if r=$(pid_of respawner); then
		[ "$respawner" = yes ] || fail "$name: a respawner with --worker-restart=no"
		check respawner $r Uid "0 0 0 0"
		check respawner $r Groups ""
		for c in CapPrm CapEff CapBnd; do check respawner $r $c $RESPAWNER_CAPS; done
		check respawner $r CapInh $NO_CAPS
		check respawner $r CapAmb $NO_CAPS
		check respawner $r NoNewPrivs 1
		check respawner $r Seccomp 0
		# fd 5: the used-ring page the frontend shares with each worker
		[ "$(ls /proc/$r/fd | wc -l)" = 6 ] &&
		    readlink /proc/$r/fd/5 | grep -q '^/memfd:privfsd-used-rings' ||
			{ ls -l /proc/$r/fd; fail "$name: the respawner holds more than stdio, its channel, the state memfd and the used-ring page"; }
		pass "$name: respawner"
	else
		[ "$respawner" = no ] || fail "$name: no respawner"
	fi

	# broker: CAP_KILL only
	for c in CapPrm CapEff CapBnd; do check broker $b $c $BROKER_CAPS; done
	check broker $b CapAmb $NO_CAPS
	check broker $b Groups ""
	check broker $b NoNewPrivs 1
	check broker $b Seccomp 2
	pass "$name: broker"

	kill "$PRIVFSD_PID"
	wait_gone "$PRIVFSD_PID" 5 || fail "$name: broker did not stop on SIGTERM"
	wait "$PRIVFSD_PID" 2>/dev/null
	for p in $f $w $r; do dead $p 2 || fail "$name: child $p left behind"; done
}

run_case default "$WORKER_CAPS" yes
run_case file-handles "$WORKER_CAPS_FH" yes --inode-file-handles=prefer
run_case no-restart "$WORKER_CAPS" no --worker-restart=no
exit 0
