#!/usr/bin/env bash
# What management tools read about privfsd: --print-capabilities and the built descriptor
# (contrib/50-privfsd.json) follow QEMU's vhost-user.json schema for type "fs", claim
# migration ("migrate-precopy": the device state moves with SET_DEVICE_STATE_FD, tested by
# tests/driver device-state and tests/e2e/migrate.sh), and "separate-options" holds:
# privfsd serves with exactly the long options libvirt passes once it sees that feature.
# And the lock switches libvirt passes without it are logged once as ignored.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"
command -v python3 >/dev/null || skip "needs python3"

"$PRIVFSD" --print-capabilities >"$T/caps" || fail "--print-capabilities exit status $?"
python3 - "$T/caps" "$PRIVFSD_BUILDDIR/contrib/50-privfsd.json" "$PRIVFSD_BUILDDIR/Makefile" <<'PY' ||
import json, re, sys
caps = json.load(open(sys.argv[1]))
assert caps.get("type") == "fs", caps
# The schema's features for "fs" (docs/interop/vhost-user.json, VHostUserBackendFsFeature).
known = {"migrate-precopy", "separate-options"}
feats = caps.get("features", [])
assert set(feats) <= known, "unknown features %s" % (set(feats) - known)
assert feats == ["migrate-precopy", "separate-options"], feats
desc = json.load(open(sys.argv[2]))
assert desc.get("type") == "fs" and desc.get("description"), desc
mk = open(sys.argv[3]).read()
prefix = re.search(r"^prefix = (.*)$", mk, re.M).group(1)
sbindir = re.search(r"^sbindir = (.*)$", mk, re.M).group(1)
sbindir = sbindir.replace("${exec_prefix}", prefix)
assert desc.get("binary") == sbindir + "/privfsd", (desc.get("binary"), sbindir)
print("capabilities", feats, "descriptor binary", desc["binary"])
PY
    fail "capabilities or descriptor wrong: $(cat "$T/caps")"
pass "--print-capabilities: type fs, features [migrate-precopy, separate-options]; 50-privfsd.json names the installed privfsd"

# libvirt's command line with "separate-options" (qemuVirtioFSBuildCommandLine): values as
# separate arguments. python3 binds the socket and execs privfsd with it on fd 3.
python3 - "$T/sock" "$PRIVFSD" "$D" >"$T/log" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1)
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
exe = sys.argv[2]
os.execv(exe, [exe, "--fd=3", "--shared-dir", sys.argv[3], "--cache", "never",
    "--sandbox", "chroot", "--xattr", "--thread-pool-size=4", "--rlimit-nofile=4096",
    "--log-level", "debug"])
PY
PRIVFSD_PID=$!
at_exit "kill $PRIVFSD_PID 2>/dev/null"
i=0
until grep -q exporting "$T/log"; do
	i=$((i + 1))
	[ $i -le 100 ] && kill -0 "$PRIVFSD_PID" 2>/dev/null || { cat "$T/log"; fail "privfsd refused libvirt's separate options"; }
	sleep 0.1
done
kill "$PRIVFSD_PID"
wait "$PRIVFSD_PID"
pass "libvirt's separate-options command line is served"

# libvirt's <lock> element: the C virtiofsd's lock switches, each form, one given twice.
# privfsd ignores them and says so in one line.
start_privfsd "$T/locks.log" --socket-path="$T/locks.sock" \
    -o source="$D",flock,no_flock,posix_lock -o no_posix_lock,flock
kill "$PRIVFSD_PID"
wait "$PRIVFSD_PID"
n=$(grep -c 'accepted for compatibility and ignored' "$T/locks.log")
[ "$n" = 1 ] || { cat "$T/locks.log"; fail "the ignored switches logged $n times, not once"; }
grep -q -- '-o flock, no_flock, posix_lock, no_posix_lock: accepted for compatibility and ignored (POSIX and flock(2) locks are always served)' \
    "$T/locks.log" || { cat "$T/locks.log"; fail "the line does not name the four switches"; }
pass "-o [no_]flock, [no_]posix_lock: one log line names them as ignored"
