#!/usr/bin/env bash
# The socket-activated units, started the way systemd would start them (there is no systemd
# here): the socket of contrib/privfsd@.socket (its ListenStream=, under $T instead of /run)
# is bound and listening on fd 3, and the ExecStart= of the built privfsd@.service runs with
# its EnvironmentFile's PRIVFSD_OPTIONS, LISTEN_FDS=1 and LISTEN_PID = its own pid (python3
# execs it, so the pid stays). The native driver then mounts and reads through the socket.
# Also: the variables do not reach the children, and what is not a single listening unix
# stream socket on fd 3 is refused with a message that says so.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/broker/broker-lib.sh"
command -v python3 >/dev/null || skip "needs python3"
VU=$PRIVFSD_TESTS_BUILDDIR/driver/vu-proto
[ -x "$VU" ] || fail "no $VU"
SOCKET_UNIT=$PRIVFSD_SRCDIR/contrib/privfsd@.socket
SERVICE_UNIT=$PRIVFSD_BUILDDIR/contrib/privfsd@.service
[ -f "$SERVICE_UNIT" ] || fail "no $SERVICE_UNIT (built by make)"
inst=vm1

# What systemd would do with the units, for instance $inst.
listen=$(sed -n 's/^ListenStream=//p' "$SOCKET_UNIT")
case $listen in /run/privfsd/%i.sock) ;; *) fail "unexpected ListenStream=$listen" ;; esac
S=$T/run/privfsd/$inst.sock
mkdir -p "$T/run/privfsd"
exec_start=$(sed -n 's/^ExecStart=//p' "$SERVICE_UNIT")
envfile=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$SERVICE_UNIT" | sed "s/%i/$inst/g")
echo "ExecStart=$exec_start; EnvironmentFile=$envfile"
case $exec_start in
*'/privfsd $PRIVFSD_OPTIONS') ;;
*) fail "ExecStart= is not 'privfsd \$PRIVFSD_OPTIONS': $exec_start" ;;
esac
echo "PRIVFSD_OPTIONS=\"--shared-dir=$D --seccomp=kill\"" >"$T/${envfile##*/}"

# activate LOG FD3 ARGS...: python3 prepares fd 3 (FD3: listen, bound, file), sets
# LISTEN_FDS=${NFDS:-1} and LISTEN_PID (its own pid, or ${OTHER_PID}), and execs the test
# broker with ARGS; PRIVFSD_PID is the broker's pid.
activate() {
	local log=$1 how=$2
	shift 2
	python3 - "$how" "$S" "${NFDS:-1}" "${OTHER_PID:-}" "$PRIVFSD" "$@" >"$log" 2>&1 <<'PY' &
import os, socket, sys
how, path, nfds, other, exe = sys.argv[1:6]
if how == "file":
    fd = os.open("/dev/null", os.O_RDONLY)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    if how == "listen":
        s.listen(16)
    fd = s.fileno()
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = nfds
os.environ["LISTEN_PID"] = other or str(os.getpid())
os.environ["LISTEN_FDNAMES"] = "privfsd"
os.execv(exe, [exe] + sys.argv[6:])
PY
	PRIVFSD_PID=$!
	at_exit "kill $PRIVFSD_PID 2>/dev/null"
}

# ready LOG: the broker serves (or fail with its log).
ready() {
	i=0
	until grep -q exporting "$1"; do
		i=$((i + 1))
		[ $i -le 100 ] && kill -0 "$PRIVFSD_PID" 2>/dev/null || { cat "$1"; fail "privfsd did not become ready"; }
		sleep 0.1
	done
}

# refused LOG WHAT: the broker exited 1 and its log says WHAT.
refused() {
	dead "$PRIVFSD_PID" 10 || { cat "$1"; fail "still running, expected: $2"; }
	wait "$PRIVFSD_PID"; rc=$?
	[ $rc = 1 ] || { cat "$1"; fail "exit status $rc, expected 1 with: $2"; }
	grep -q -- "$2" "$1" || { cat "$1"; fail "no message: $2"; }
	rm -f "$S"
}

# 1. As the unit starts it: the options from the environment file, the socket from systemd.
# The frontend is started through a script that first keeps the environment it was given.
mkdir -p "$T/libexec"
printf '#!/bin/sh\nenv >%s/frontend.env\nexec %s\n' "$T" "$PRIVFSD_LIBEXEC_DIR/privfsd-frontend" \
    >"$T/libexec/privfsd-frontend"
chmod 755 "$T/libexec/privfsd-frontend"
ln -s "$PRIVFSD_LIBEXEC_DIR/privfsd-worker" "$T/libexec/privfsd-worker"
real_libexec=$PRIVFSD_LIBEXEC_DIR
PRIVFSD_LIBEXEC_DIR=$T/libexec
set -f
opts=$(sed -n 's/^PRIVFSD_OPTIONS="\(.*\)"$/\1/p' "$T/${envfile##*/}")
activate "$T/unit.log" listen $opts
set +f
ready "$T/unit.log"
grep -q "exporting $D on the socket from systemd" "$T/unit.log" || { cat "$T/unit.log"; fail "not the socket from systemd"; }
FRONTEND_PID=$(broker_child frontend); WORKER_PID=$(broker_child worker)
[ -n "$FRONTEND_PID" ] && [ -n "$WORKER_PID" ] || fail "children missing"
PRIVFSD_LIBEXEC_DIR=$real_libexec
grep -q '^PRIVFSD_LIBEXEC_DIR=' "$T/frontend.env" || fail "the frontend's environment was not kept"
grep '^LISTEN_' "$T/frontend.env" && fail "the frontend inherited LISTEN_* variables"
"$VU" --socket="$S" --backend=privfsd --host-dir="$D" mount >"$T/vu.out" 2>&1 ||
    { cat "$T/vu.out" "$T/unit.log"; fail "the native driver could not mount through the unit's socket"; }
wait_gone "$PRIVFSD_PID" 5 || { cat "$T/unit.log"; fail "privfsd still running after the driver left"; }
wait "$PRIVFSD_PID"; rc=$?
[ $rc = 0 ] || { cat "$T/unit.log"; fail "exit status $rc after the driver left"; }
[ -S "$S" ] || fail "privfsd removed systemd's socket file"
pass "privfsd@$inst: started as systemd would, served a mount and reads, exit 0, socket left to systemd"
rm -f "$S"

# 2. The unit's explicit form (--fd=3) agrees with the variables.
activate "$T/fd3.log" listen --shared-dir="$D" --fd=3
ready "$T/fd3.log"
kill "$PRIVFSD_PID"; wait "$PRIVFSD_PID"
rm -f "$S"
pass "--fd=3 with LISTEN_FDS=1: accepted"

# 3. Two sockets from systemd: the first is served, the log says the other is not.
NFDS=2 activate "$T/two.log" listen --shared-dir="$D"
ready "$T/two.log"
grep -q 'LISTEN_FDS=2: only fd 3 is served' "$T/two.log" || { cat "$T/two.log"; fail "no warning about LISTEN_FDS=2"; }
kill "$PRIVFSD_PID"; wait "$PRIVFSD_PID"
rm -f "$S"
pass "LISTEN_FDS=2: fd 3 served, a warning for the other"

# 4. What is refused, and why.
activate "$T/bad1.log" bound --shared-dir="$D"
refused "$T/bad1.log" "LISTEN_FDS (fd 3): not a listening socket"
activate "$T/bad2.log" file --shared-dir="$D"
refused "$T/bad2.log" "LISTEN_FDS (fd 3): "
activate "$T/bad4.log" listen --shared-dir="$D" --socket-path="$T/other.sock"
refused "$T/bad4.log" "cannot be combined with a socket from systemd"
activate "$T/bad5.log" listen --shared-dir="$D" --fd=4
refused "$T/bad5.log" "systemd passed its socket as fd 3"
# LISTEN_PID of another process: the variables are not ours, so there is no socket.
OTHER_PID=1 activate "$T/bad6.log" listen --shared-dir="$D"
refused "$T/bad6.log" "a socket path or --fd is required"
pass "refused: a bound but not listening socket, a file, --socket-path, --fd=4, another process's LISTEN_PID"

# privfsd.service: its ExecStartPre= checks the configuration file and its ExecStart=
# serves it; both run here with the test broker and a file under $T.
UNIT=$PRIVFSD_BUILDDIR/contrib/privfsd.service
[ -f "$UNIT" ] || fail "no $UNIT (built by make)"
pre=$(sed -n 's/^ExecStartPre=//p' "$UNIT")
start=$(sed -n 's/^ExecStart=//p' "$UNIT")
case "$pre|$start" in
*'/privfsd --config='*'/privfsd.conf -n|'*'/privfsd --config='*'/privfsd.conf') ;;
*) fail "privfsd.service: unexpected ExecStartPre=$pre ExecStart=$start" ;;
esac
grep -q '^ExecReload=/bin/kill -HUP $MAINPID$' "$UNIT" || fail "privfsd.service: no ExecReload"
printf 'export vm1 {\n\tsocket-path %s\n\tshared-dir %s\n}\n' "$T/svc.sock" "$D" >"$T/privfsd.conf"
chmod 600 "$T/privfsd.conf"
unit_cmd() { echo "$1" | sed "s|^[^ ]*/privfsd |$PRIVFSD |; s|--config=[^ ]*|--config=$T/privfsd.conf|"; }
out=$($(unit_cmd "$pre") 2>&1) || fail "ExecStartPre failed: $out"
[ "$out" = "$T/privfsd.conf: 1 export, configuration OK" ] || fail "ExecStartPre said: $out"
$(unit_cmd "$start") >"$T/svc.log" 2>&1 &
svc=$!
at_exit "kill $svc 2>/dev/null"
i=0
until grep -q "exporting $D on $T/svc.sock" "$T/svc.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 100 ] || { cat "$T/svc.log"; fail "privfsd.service: no export"; }
	sleep 0.1
done
"$VU" --socket="$T/svc.sock" --host-dir="$D" mount >"$T/svc-vu.log" 2>&1 ||
    { cat "$T/svc-vu.log"; fail "privfsd.service: the export does not serve"; }
kill $svc
wait $svc || fail "privfsd.service: the service did not end cleanly"
pass "privfsd.service: ExecStartPre= checks privfsd.conf, ExecStart= serves it"
