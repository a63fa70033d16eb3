# shellcheck shell=bash
# Helpers for the tests of privfsd started by an unprivileged user; source after
# tests/lib.sh (they run as root, and start only privfsd as that user).
#
#   userns_require       skip unless UNPRIV_USER (default nobody) exists, can run the build
#                        and may make a user namespace; then PRIVFSD is a wrapper that
#                        starts the test broker as that user (no supplementary group):
#                        start_privfsd, start_backend and guest_start then start it so.
#                        UNPRIV_UID, UNPRIV_GID: that user's ids
#   as_unpriv CMD...     run CMD as that user
#   userns_check_procs PIDS   every pid runs as that user on the host (Uid of
#                        /proc/PID/status), all in one user namespace other than ours,
#                        whose uid_map and gid_map are "0 UID 1" and "0 GID 1"
#   userns_sysctls       the sysctls that allow or forbid unprivileged user namespaces

UNPRIV_USER=${UNPRIV_USER:-nobody}

as_unpriv() {
	setpriv --reuid="$UNPRIV_UID" --regid="$UNPRIV_GID" --clear-groups "$@"
}

userns_sysctls() {
	local f out=""
	for f in /proc/sys/kernel/unprivileged_userns_clone /proc/sys/user/max_user_namespaces \
	    /proc/sys/kernel/apparmor_restrict_unprivileged_userns; do
		[ -r "$f" ] && out="$out $(echo "${f#/proc/sys/}" | tr / .)=$(cat "$f")"
	done
	echo "${out# }"
}

userns_require() {
	require_root
	command -v setpriv >/dev/null || skip "no setpriv (util-linux)"
	command -v unshare >/dev/null || skip "no unshare (util-linux)"
	getent passwd "$UNPRIV_USER" >/dev/null || skip "no user $UNPRIV_USER"
	UNPRIV_UID=$(id -u "$UNPRIV_USER")
	UNPRIV_GID=$(id -g "$UNPRIV_USER")
	[ "$UNPRIV_UID" != 0 ] || skip "$UNPRIV_USER is root"
	[ -x "${PRIVFSD:-}" ] || skip "no privfsd test build (PRIVFSD)"
	as_unpriv test -x "$PRIVFSD" -a -x "$PRIVFSD_LIBEXEC_DIR/privfsd-worker" ||
	    skip "$UNPRIV_USER cannot run the build in $(dirname "$PRIVFSD")"
	if ! as_unpriv unshare --user true 2>"$T/unshare.err"; then
		skip "unprivileged user namespaces are not available ($(cat "$T/unshare.err");" \
		    "$(userns_sysctls))"
	fi
	# The wrapper keeps its pid (exec), so $! and PRIVFSD_PID are privfsd's.
	REAL_PRIVFSD=$PRIVFSD
	cat >"$T/privfsd-as-user" <<-EOF
	#!/bin/sh
	exec setpriv --reuid=$UNPRIV_UID --regid=$UNPRIV_GID --clear-groups "$REAL_PRIVFSD" "\$@"
	EOF
	chmod 755 "$T/privfsd-as-user"
	PRIVFSD=$T/privfsd-as-user
}

userns_check_procs() {
	local p uid ours theirs first=""
	ours=$(readlink /proc/self/ns/user)
	for p in "$@"; do
		uid=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$p/status") ||
		    fail "pid $p is gone"
		[ "$uid" = "$UNPRIV_UID $UNPRIV_UID $UNPRIV_UID $UNPRIV_UID" ] ||
		    fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) has uids $uid, not $UNPRIV_UID"
		theirs=$(readlink "/proc/$p/ns/user") || fail "pid $p: no ns/user"
		[ "$theirs" != "$ours" ] || fail "pid $p is in the host's user namespace"
		[ -n "$first" ] || first=$theirs
		[ "$theirs" = "$first" ] || fail "pid $p is in $theirs, the others in $first"
		[ "$(awk '{ print $1, $2, $3 }' "/proc/$p/uid_map")" = "0 $UNPRIV_UID 1" ] ||
		    fail "pid $p: uid_map is $(cat "/proc/$p/uid_map")"
		[ "$(awk '{ print $1, $2, $3 }' "/proc/$p/gid_map")" = "0 $UNPRIV_GID 1" ] ||
		    fail "pid $p: gid_map is $(cat "/proc/$p/gid_map")"
	done
	echo "ok - $# processes run as uid $UNPRIV_UID on the host, in a user namespace of their own"
}
