# shellcheck shell=bash
# Helpers of the Kata Containers drop-in tests (kata-go.sh, kata-rs.sh); source first, call
# kata_own_namespace, then source lib.sh and e2e-lib.sh. Each test runs itself in a mount
# namespace of its own, so that its /dev/log is private: no syslogd is needed, and none on
# the machine sees the test's lines.

# kata_own_namespace SCRIPT ARGS...: run first; re-runs the test in a new mount namespace.
kata_own_namespace() {
	[ -n "${KATA_OWN_NS:-}" ] && return 0
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	unshare -m --propagation private true 2>/dev/null ||
	    { echo "SKIP: cannot make a mount namespace (unshare -m)"; exit 77; }
	KATA_OWN_NS=1 exec unshare -m --propagation private bash "$@"
}

# kata_syslog FILE: a /dev/log of our own (an overlay on /dev, in our namespace only) and a
# receiver that appends each message it gets to FILE as one line.
kata_syslog() {
	local out=$1 i=0
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

# kata_share: $T/share with a file for the guest to read, and a guest script that reads it,
# writes kata-out.txt and reads that back.
kata_share() {
	mkdir -p "$T/share/data" "$T/share/.e2e" || fail "mkdir"
	chmod 755 "$T/share" "$T/share/data"
	head -c 3000 /dev/urandom | base64 >"$T/share/data/kata-in.txt"
	sha256sum <"$T/share/data/kata-in.txt" | cut -d' ' -f1 >"$T/share/.e2e/in.sha256"
	{
		cat "$E2E_DIR/guest-lib.sh"
		cat <<'EOF'
D=/mnt/data
step "read a file the host wrote" sh -c \
	"[ \"\$(sha256sum <$D/kata-in.txt | cut -d' ' -f1)\" = \"\$(cat /mnt/.e2e/in.sha256)\" ]"
step "write a file" sh -c "(echo 'written by the guest'; cat $D/kata-in.txt) >$D/kata-out.txt && sync"
step "read it back" sh -c "[ \"\$(head -n 1 $D/kata-out.txt)\" = 'written by the guest' ]"
finish
EOF
	} >"$T/share/.e2e/run.sh"
}

# kata_check_written: the host sees what the guest wrote.
kata_check_written() {
	{ echo 'written by the guest'; cat "$T/share/data/kata-in.txt"; } |
	    cmp -s - "$T/share/data/kata-out.txt" || fail "the guest's kata-out.txt is not on the host"
}
