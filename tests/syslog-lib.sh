# shellcheck shell=bash
# A private syslog for the tests of --syslog (broker/syslog.sh, e2e/kata-go.sh). Source it
# first and call own_mount_namespace "$0" "$@" before sourcing lib.sh: the test re-runs
# itself in a mount namespace of its own, where private_syslog puts a /dev/log that nobody
# else sees (an overlay on /dev). No syslogd is needed, and none on the machine gets the
# test's lines.

# own_mount_namespace SCRIPT ARGS...: re-runs the test in a new mount namespace.
own_mount_namespace() {
	[ -n "${PRIVFSD_OWN_NS:-}" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	unshare -m --propagation private true 2>/dev/null ||
	    { echo "SKIP: cannot make a mount namespace (unshare -m)"; exit 77; }
	PRIVFSD_OWN_NS=1 exec unshare -m --propagation private bash "$@"
}

# private_syslog FILE: our own /dev/log, and a receiver that appends each message it gets
# to FILE as one line ("<PRIORITY>TIMESTAMP privfsd[PID]: ...").
private_syslog() {
	local out=$1 i=0
	[ -n "${PRIVFSD_OWN_NS:-}" ] || fail "private_syslog outside own_mount_namespace"
	command -v python3 >/dev/null || skip "needs python3 (the syslog receiver)"
	mkdir -p "$T/devlog" || fail "mkdir"
	mount -t tmpfs tmpfs "$T/devlog" || fail "tmpfs for the /dev overlay"
	mkdir "$T/devlog/upper" "$T/devlog/work"
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=$T/devlog/upper,workdir=$T/devlog/work" \
	    /dev 2>/dev/null || skip "cannot mount an overlay on /dev (no overlayfs?)"
	at_exit "umount /dev; umount $T/devlog"
	rm -f /dev/log
	: >"$out"
	python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536).rstrip(b"\n") + b"\n")' "$out" &
	at_exit "kill $!; wait $! 2>/dev/null"
	while [ ! -S /dev/log ]; do
		i=$((i + 1))
		[ $i -le 100 ] || fail "the syslog receiver did not start"
		sleep 0.05
	done
}
