#!/usr/bin/env bash
# End to end, one privfsd service for many exports (privfsd --config, privfsd.conf(5)): a
# file with three exports; three guests, one after another, each mounts its export by the
# usual tag and must see its own directory and nothing of the others', and write to it. A
# SIGHUP after a fourth export was added to the file starts it, and a fourth guest uses it;
# a second guest on the first export shows that an export takes a new VM after the first
# one stopped. A reload of a file with a mistake is refused with its file and line and
# changes nothing. Only privfsd has a configuration file.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
[ "$E2E_BACKEND" = privfsd ] || skip "privfsd.conf is privfsd's"

C=$T/privfsd.conf
# share NAME: a directory with a marker file only it has, and the guest's checks.
share() {
	local d=$T/$1 other
	mkdir -p "$d/.e2e"
	chmod 755 "$d"
	printf 'export %s\n' "$1" >"$d/marker-$1"
	{
		cat "$E2E_DIR/guest-lib.sh"
		echo "me=$1"
		cat <<'EOF'
step "this export's marker" [ "$(cat /mnt/marker-$me)" = "export $me" ]
step "only this export's marker" sh -c 'set -- /mnt/marker-*; [ $# = 1 ] && [ "$1" = /mnt/marker-'$me' ]'
step "write a file" sh -c 'echo "written by the guest of $0" >/mnt/from-guest && sync' "$me"
step "read it back" [ "$(cat /mnt/from-guest)" = "written by the guest of $me" ]
finish
EOF
	} >"$d/.e2e/run.sh"
}
# block NAME: its lines in the file.
block() { printf 'export %s {\n\tsocket-path %s\n\tshared-dir %s\n}\n' "$1" "$T/$1.sock" "$T/$1"; }
for e in one two three four; do share $e; done
{ echo "seccomp kill"; block one; block two; block three; } >"$C"
chmod 600 "$C"

"$PRIVFSD" --config="$C" >"$T/svc.log" 2>&1 &
SVC=$!
at_exit "kill $SVC 2>/dev/null; sleep 1; kill -9 $SVC 2>/dev/null"

# ready NAME N: the Nth broker of export NAME waits for its VM.
ready() {
	local i=0
	until [ "$(grep -c "exporting $T/$1 on $T/$1.sock" "$T/svc.log")" -ge "$2" ]; do
		i=$((i + 1))
		[ $i -le 150 ] || { cat "$T/svc.log"; fail "export $1 not served"; }
		sleep 0.1
	done
}
# guest NAME: boots a guest on export NAME's socket; its result must be a pass.
guest() {
	bash "$E2E_DIR/run-guest.sh" --external="$T/$1.sock" --logdir="$T/run-$1-$2" \
	    --timeout="${E2E_TIMEOUT:-120}" privfsd "$T/$1" >"$T/run-$1-$2.out" 2>&1 || {
		cat "$T/run-$1-$2.out"
		tr -d '\r' <"$T/run-$1-$2/console.log" | tail -n 40
		tail -n 40 "$T/svc.log"
		fail "the guest on export $1 failed"
	}
	grep -a '^ok ' "$T/run-$1-$2/console.log" | tr -d '\r' | sed "s/^/export $1: /"
	[ "$(cat "$T/$1/from-guest" 2>/dev/null)" = "written by the guest of $1" ] ||
	    fail "export $1: the guest's file is not in $T/$1"
}

for e in one two three; do ready $e 1; done
for e in one two three; do guest $e 1; done
ready one 2
guest one 2
echo "ok - a second VM on export one, after the first stopped"

# A mistake in the file: refused with its line, nothing changes.
{ echo "seccomp kill"; block one; block two; block three; block four | sed '$d'
  printf '\tcache sometimes\n}\n'; } >"$C"
kill -HUP $SVC
i=0
until grep -q 'not reloaded' "$T/svc.log"; do
	i=$((i + 1)); [ $i -le 100 ] || fail "no word on the refused reload"; sleep 0.1
done
grep -q "$C:17: --cache=sometimes" "$T/svc.log" || { tail "$T/svc.log"; fail "the error does not name line 17"; }
[ ! -e "$T/four.sock" ] || fail "a refused reload started export four"
echo "ok - a reload of a file with a mistake is refused with its file and line"

{ echo "seccomp kill"; block one; block two; block three; block four; } >"$C"
kill -HUP $SVC
ready four 1
guest four 1
echo "ok - SIGHUP added export four"

kill $SVC
i=0
while kill -0 $SVC 2>/dev/null; do
	i=$((i + 1)); [ $i -le 100 ] || fail "the service did not end"; sleep 0.1
done
wait $SVC; rc=$?
[ $rc = 0 ] || { tail -n 30 "$T/svc.log"; fail "the service exited with $rc"; }
for e in one two three four; do [ ! -e "$T/$e.sock" ] || fail "socket of $e left behind"; done
pass "one privfsd service, four exports from privfsd.conf, four guests each on its own"
