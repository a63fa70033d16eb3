#!/usr/bin/env bash
# End to end, two virtiofs devices in one VM, each mounted by its own tag: "privfsd" on /mnt
# (the e2e initramfs mounts it) and "second" on /mnt2 (the guest script mounts it). One
# privfsd service serves both, an export each in its privfsd.conf (privfsd --config); the
# peers, which serve one connection per process, run one back-end per device. The guest
# checks that each tag shows its own directory and nothing of the other's, that the two are
# separate file systems (a link between them is EXDEV, mv copies), and writes to both at once;
# the host checks the writes, and both back-ends must end cleanly.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
s1=$T/share
s2=$T/share2
mkdir -p "$s1/.e2e" "$s2" || fail mkdir
chmod 755 "$s1" "$s2"
printf 'device one\n' >"$s1/one.txt"
printf 'device two\n' >"$s2/two.txt"
printf 'moved across\n' >"$s1/move-me.txt"
cat "$E2E_DIR/guest-lib.sh" - >"$s1/.e2e/run.sh" <<'EOF'
# two-devices.sh's guest part: /mnt is the first tag, the second is mounted here.
tag2=""
for a in $(cat /proc/cmdline); do
	case $a in e2e.tag2=*) tag2=${a#e2e.tag2=} ;; esac
done
mkdir -p /mnt2
step "mount -t virtiofs $tag2 /mnt2" mount -t virtiofs "$tag2" /mnt2
step "both tags mounted as virtiofs" sh -c "grep -q '^privfsd /mnt virtiofs ' /proc/mounts &&
	grep -q '^$tag2 /mnt2 virtiofs ' /proc/mounts"
step "each its own device number" [ "$(stat -c %d /mnt)" != "$(stat -c %d /mnt2)" ]
step "the first tag shows its directory" [ "$(cat /mnt/one.txt)" = "device one" ]
step "the second tag shows its directory" [ "$(cat /mnt2/two.txt)" = "device two" ]
step "nothing of the other's" sh -c '[ ! -e /mnt/two.txt ] && [ ! -e /mnt2/one.txt ] && [ ! -e /mnt2/.e2e ]'
step "a hard link across the two is refused (EXDEV)" sh -c 'out=$(ln /mnt/one.txt /mnt2/hard 2>&1);
	[ $? != 0 ] && [ ! -e /mnt2/hard ] && case $out in *cross-device*) ;; *) echo "$out"; false ;; esac'
step "mv across the two copies" sh -c 'mv /mnt/move-me.txt /mnt2/moved.txt &&
	[ ! -e /mnt/move-me.txt ] && [ "$(cat /mnt2/moved.txt)" = "moved across" ]'
step "writes to both at once" sh -c '
	dd if=/dev/zero of=/mnt/w1.bin bs=64k count=64 2>/dev/null & p1=$!
	dd if=/dev/zero of=/mnt2/w2.bin bs=64k count=64 2>/dev/null & p2=$!
	wait $p1 && wait $p2 && sync'
step "names written on each" sh -c 'echo first >/mnt/from-guest && echo second >/mnt2/from-guest'
step "umount /mnt2" umount /mnt2
finish
EOF

if [ "$E2E_BACKEND" = privfsd ]; then
	printf 'seccomp kill\nexport first {\n\tsocket-path %s\n\tshared-dir %s\n}\n' \
	    "$T/first.sock" "$s1" >"$T/privfsd.conf"
	printf 'export second {\n\tsocket-path %s\n\tshared-dir %s\n}\n' \
	    "$T/second.sock" "$s2" >>"$T/privfsd.conf"
	chmod 600 "$T/privfsd.conf"
	"$PRIVFSD" --config="$T/privfsd.conf" >"$T/svc.log" 2>&1 &
	svc=$!
	at_exit "kill $svc 2>/dev/null; sleep 1; kill -9 $svc 2>/dev/null"
	i=0
	until [ -S "$T/first.sock" ] && [ -S "$T/second.sock" ]; do
		i=$((i + 1))
		[ $i -le 100 ] || { cat "$T/svc.log"; fail "the service did not make both sockets"; }
		sleep 0.1
	done
	e2e_run two --tag2=second --second="$s2" --external="$T/first.sock" \
	    --external2="$T/second.sock"
	rc=$?
else
	e2e_run two --tag2=second --second="$s2"
	rc=$?
fi

bad=0
want() {	# want WHAT COMMAND...: one host-side check
	local what=$1
	shift
	if "$@"; then echo "host ok - $what"; else echo "host not ok - $what"; bad=$((bad + 1)); fi
}
want "share/from-guest is the first's" test "$(cat "$s1/from-guest" 2>/dev/null)" = first
want "share2/from-guest is the second's" test "$(cat "$s2/from-guest" 2>/dev/null)" = second
want "w1.bin and w2.bin are 4 MiB each" test "$(stat -c %s "$s1/w1.bin" "$s2/w2.bin" 2>/dev/null | tr '\n' ' ')" = "4194304 4194304 "
want "move-me.txt moved to share2/moved.txt" sh -c "[ ! -e '$s1/move-me.txt' ] && [ \"\$(cat '$s2/moved.txt')\" = 'moved across' ]"
if [ "$E2E_BACKEND" = privfsd ]; then
	for e in first second; do
		want "export $e served a connection to its clean end" \
		    grep -q "vhost-user connection end: export=$e .*result=clean" "$T/svc.log"
	done
	kill $svc
	wait $svc
	want "the service ended with status 0" test $? = 0
	want "no socket left" test ! -e "$T/first.sock" -a ! -e "$T/second.sock"
	log2=$T/svc.log
else
	log2=$T/two/backend2.log
fi

[ $rc = 0 ] || { echo "--- the back-end's log:"; tail -n 40 "$log2"; fail "the guest run failed (status $rc)"; }
[ $bad = 0 ] || { tail -n 40 "$log2"; fail "$bad host-side checks failed"; }
pass "two virtiofs devices in one VM ($E2E_BACKEND)"
