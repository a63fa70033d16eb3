#!/usr/bin/env bash
# Kata Containers' Go runtime as it starts virtiofsd: it makes the listening socket itself,
# passes it as fd 3, reads nothing of the daemon's stderr and starts QEMU at once, with
#   --syslog --cache=auto --shared-dir=D --fd=3 --thread-pool-size=1 --announce-submounts
# The guest reads and writes a file. With --syslog every line goes to syslog (a private
# /dev/log here), from all three processes, each naming its role, pid and the export; the
# connection's start and end lines are there; nobody died (the frontend used to die of
# SIGSYS at its first syslog line); and stderr carries only the ready line.
. "$PRIVFSD_SRCDIR/tests/syslog-lib.sh"
own_mount_namespace "$0" "$@"
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/kata-lib.sh"
e2e_require qemu-system-x86_64
case $E2E_BACKEND in virtiofsd) skip "the C virtiofsd has no --shared-dir" ;; esac
S=$T/syslog
private_syslog "$S"
kata_share

e2e_run kata-go --listen-fd=3 \
    --args="--syslog --cache=auto --shared-dir=@SHARE@ --fd=3 --thread-pool-size=1 --announce-submounts" ||
    { echo "--- syslog:"; cat "$S"; fail "Kata Go runtime's command line"; }
kata_check_written
if [ "$E2E_BACKEND" != privfsd ]; then	# the syslog lines checked below are privfsd's own
	pass "Kata Go runtime's command line on $E2E_BACKEND: guest reads and writes"
	exit 0
fi

share=$(cd "$T/share" && pwd -P)
bad=0
want() {	# want WHAT COMMAND...: one check of what syslog got
	local what=$1
	shift
	if "$@"; then echo "ok - $what"; else echo "not ok - $what"; bad=$((bad + 1)); fi
}
for role in broker frontend worker; do
	want "syslog has $role lines with pid and export" \
	    grep -qE "privfsd\[[0-9]+\]: $role\[[1-9][0-9]*\] export=$share: (info|warn|error|debug): " "$S"
done
want "every line names a role, a pid and the export" \
    sh -c "! grep -vE '^<[0-9]+>.* privfsd\[[0-9]+\]: (broker|frontend|worker)\[[1-9][0-9]*\] export=$share: ' '$S'"
want "connection start line with the peer" \
    grep -qE "vhost-user connection start: export=$share peer_pid=[1-9][0-9]* peer_uid=0 peer_gid=0" "$S"
want "connection end line: clean, QEMU disconnected" \
    grep -qE "vhost-user connection end: export=$share peer_pid=[1-9][0-9]* duration=[0-9.]+s result=clean cause=\"QEMU disconnected" "$S"
# The broker's own SIGTERM to the worker at the end of the export is not a death: the
# worker may still be on its way out by itself when the stop begins.
want "no process died of a signal" \
    sh -c "! grep -E 'killed by signal|SIGSYS' '$S' | grep -v 'signal 15 (SIGTERM)' | grep -q ."
want "the worker says it serves one request thread" grep -q "worker.*serving $share with 1 request threads" "$S"
want "stderr has the ready line and nothing else" \
    sh -c "[ \"\$(grep -vc 'Waiting for vhost-user socket connection' '$T/kata-go/backend.log')\" = 0 ] &&
	grep -q 'Waiting for vhost-user socket connection' '$T/kata-go/backend.log'"
if [ $bad != 0 ]; then
	echo "--- syslog:"
	cat "$S"
	echo "--- stderr:"
	cat "$T/kata-go/backend.log"
	fail "$bad syslog checks failed"
fi
pass "Kata Go runtime's command line: guest reads and writes, $(wc -l <"$S") syslog lines from all three roles"
