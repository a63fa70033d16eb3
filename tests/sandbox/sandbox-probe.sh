#!/bin/bash
# sandbox_frontend() and sandbox_worker() in a forked probe (sandbox-probe.c), for every
# sandbox mode: ids, capabilities, limits, what "/" holds, that the ways back to privilege
# fail, and that a forbidden syscall kills (or is logged / trapped) as --seccomp says.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root

PROBE=$PRIVFSD_TESTS_BUILDDIR/sandbox/sandbox-probe
[ -x "$PROBE" ] || fail "no $PROBE"
require_privsep_user
export PRIVSEP_USER=$user

SHARE=$T/share
mkdir "$SHARE"
echo probe >"$SHARE/probe-file"
ln -s probe-file "$SHARE/probe-link"
share_id=$(stat -L -c %d:%i "$SHARE")
host_root_id=$(stat -L -c %d:%i /)
# CAP_CHOWN DAC_OVERRIDE FOWNER FSETID SETGID SETUID MKNOD SETFCAP; + DAC_READ_SEARCH
WORKER_CAPS=880000db
WORKER_CAPS_FH=880000df

# probe NAME ARGS...: runs the probe with stdout and stderr on a pipe (as a daemon's are
# when the broker relays them), output in $OUT.
probe() {
	name=$1; shift
	OUT=$T/$name.out
	"$PROBE" "$@" 2>&1 | cat >"$OUT"
}
expect() {
	grep -qxF "$1=$2" "$OUT" && return 0
	cat "$OUT"
	fail "$name: want $1=$2, got '$(grep "^$1=" "$OUT")'"
}
expect_not() {
	grep -qxF "$1=$2" "$OUT" || return 0
	cat "$OUT"
	fail "$name: $1 must not be $2"
}

# ---- frontend --------------------------------------------------------------------------
for mode in namespace chroot none; do
	probe "frontend-$mode" frontend $mode none
	expect status exit:0
	expect uid "$uid/$uid/$uid"
	expect gid "$gid/$gid/$gid"
	expect groups 0
	for c in eff prm inh bnd amb; do expect cap.$c 0; done
	expect nnp 1
	expect dumpable 0
	expect rlim.nproc 0/0
	expect rlim.fsize 0/0
	expect rlim.nofile 1024/1024
	for e in setuid0 setgid0 capset.sys_admin mount unshare chroot create.root; do
		expect_not $e ok
	done
	case $mode in
	namespace)
		expect root.entries 0
		expect root.dotdot_same 1
		expect open.etc_passwd ENOENT
		expect stat.proc_self ENOENT
		expect create.root EROFS
		expect outside.same_mntns 0
		;;
	chroot)
		# a removed directory, 0700 root's: nothing to list, nothing reachable
		expect root.list EACCES
		expect_not open.etc_passwd ok
		expect_not stat.proc_self ok
		expect outside.same_mntns 1
		[ "$(grep '^outside.root_dev_ino=' "$OUT")" != "outside.root_dev_ino=$host_root_id" ] ||
			fail "$name: root did not change"
		;;
	none)
		expect outside.root_dev_ino "$host_root_id"
		expect outside.same_mntns 1
		;;
	esac
	pass "frontend --sandbox=$mode"
done

# A log file as stderr: RLIMIT_FSIZE 0 would kill the first log line, so it stays.
# The broker relays the children's stderr through a pipe, so the frontend can always take
# RLIMIT_FSIZE 0; a frontend whose stderr is a regular file was not started by the broker
# and refuses to run rather than die of SIGXFSZ at its first log line.
name=frontend-stderr-file
OUT=$T/$name.out
"$PROBE" frontend namespace none 2>"$T/$name.err" | cat >"$OUT"
expect status exit:1
grep -q "stderr is a regular file" "$T/$name.err" || fail "$name: no log line naming the refusal"
pass "frontend with stderr on a regular file refuses to run"

# ---- worker ----------------------------------------------------------------------------
for mode in namespace chroot none; do
	probe "worker-$mode" -d "$SHARE" -f 100 worker $mode none
	expect status exit:0
	expect uid 0/0/0
	expect gid 0/0/0
	expect groups 0
	for c in eff prm bnd; do expect cap.$c $WORKER_CAPS; done
	expect cap.inh 0
	expect cap.amb 0
	expect nnp 1
	expect dumpable 0
	for e in capset.sys_admin mount unshare chroot; do expect $e EPERM; done
	expect proc_self_fd open
	expect reopen ok
	case $mode in
	namespace|chroot)
		expect root.dev_ino "$share_id"
		expect outside.root_dev_ino "$share_id"
		expect root.dotdot_same 1
		expect root.entries 2
		expect open.etc_passwd ENOENT
		expect stat.proc_self ENOENT
		expect create.root ok
		;;
	none)
		expect outside.root_dev_ino "$host_root_id"
		;;
	esac
	case $mode in
	namespace)
		expect outside.same_mntns 0
		# per-mount flags of the bind: no symlink followed, no device node opened
		expect symlink.follow ELOOP
		expect devnode.open EACCES
		;;
	*)
		expect outside.same_mntns 1
		;;
	esac
	pass "worker --sandbox=$mode"
done
[ -z "$(ls -A "$SHARE" | grep -v '^probe-\(file\|link\)$')" ] || fail "probe left files in $SHARE"

probe worker-fh -h -r -d "$SHARE" worker namespace none
for c in eff prm bnd; do expect cap.$c $WORKER_CAPS_FH; done
expect create.root EROFS
pass "worker with file handles keeps CAP_DAC_READ_SEARCH; --readonly mounts read-only"

# fd budget: soft limit raised to budget + headroom (MEM_MAX_SLOTS + 64), clamped to the
# hard limit with a warning (no CAP_SYS_RESOURCE to go past it)
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -gt 1000 ]; then
	(ulimit -Sn 256 && probe worker-nofile -d "$SHARE" -f 100 worker namespace none)
	name=worker-nofile OUT=$T/$name.out
	expect rlim.nofile "673/$hard"
	(ulimit -Sn 256 && probe worker-nofile-big -d "$SHARE" -f $((hard * 2)) worker namespace none)
	name=worker-nofile-big OUT=$T/$name.out
	expect rlim.nofile "$hard/$hard"
	grep -q 'above the hard limit' "$OUT" || fail "no warning when the fd budget is clamped"
	pass "worker RLIMIT_NOFILE follows the fd budget, within the hard limit"
fi

# ---- seccomp ---------------------------------------------------------------------------
sanitizers=false
grep -q '^#define PRIVFSD_SANITIZERS 1' "$PRIVFSD_BUILDDIR/config.h" 2>/dev/null && sanitizers=true
for role in frontend worker; do
	probe "$role-kill-ok" -d "$SHARE" $role namespace kill
	expect status exit:0
	expect survived 1
	probe "$role-kill" -x -d "$SHARE" $role namespace kill
	expect status signal:31
	expect_not survived 1
	probe "$role-log" -x -d "$SHARE" $role namespace log
	expect status exit:0
	expect survived 1
	probe "$role-trap" -x -d "$SHARE" $role namespace trap
	expect status exit:159
	grep -q "privfsd $role: seccomp trapped syscall [0-9]" "$OUT" ||
		fail "$name: no trap message"
	pass "$role seccomp kill/log/trap"

	# no exec for anyone; no open for the frontend (a sanitizer build makes open fail
	# with ENOENT instead of killing, so that its reports can try /proc/self/maps)
	probe "$role-execve" -a execve -d "$SHARE" $role namespace kill
	expect status signal:31
	if [ $role = frontend ]; then
		probe "$role-openat" -a openat -d "$SHARE" $role namespace kill
		expect_not openat ok
		$sanitizers || expect status signal:31
	fi

	# exit() through the atexit handlers (LeakSanitizer's in a sanitizer build)
	probe "$role-exit" -a exit -d "$SHARE" $role namespace kill
	expect status exit:0
	pass "$role exits cleanly under the filter"
done

# A sanitizer build: its reports must get out under --seccomp=kill, not die of SIGSYS.
if $sanitizers; then
	for role in frontend worker; do
		probe "$role-asan" -a asan -d "$SHARE" $role namespace kill
		expect status exit:1
		grep -q 'ERROR: AddressSanitizer: heap-buffer-overflow' "$OUT" ||
			{ cat "$OUT"; fail "$name: no ASan report"; }
		probe "$role-ubsan" -a ubsan -d "$SHARE" $role namespace kill
		expect status exit:1
		grep -q 'runtime error: signed integer overflow' "$OUT" ||
			{ cat "$OUT"; fail "$name: no UBSan report"; }
		pass "$role sanitizer reports under --seccomp=kill"
	done
fi
exit 0
