#!/usr/bin/env bash
# End to end, writes: the guest creates, writes, renames, links, truncates, appends, patches,
# removes, chmods, chowns and touches under data/w (guest-write.sh); after QEMU exits the host
# checks every change, and the back-end must have ended cleanly.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
w=$T/share/data/w
mkdir -p "$w/rmme" "$T/share/.e2e" || fail mkdir
chmod 755 "$T/share" "$T/share/data"
head -c 5000 /dev/urandom >"$w/trunc.bin"
printf 'start\n' >"$w/append.txt"
printf '0123456789abcdefghij' >"$w/patch.bin"
: >"$w/owned"
cat "$E2E_DIR/guest-lib.sh" "$E2E_DIR/guest-write.sh" >"$T/share/.e2e/run.sh" || fail "guest script"
head -c 1000 "$w/trunc.bin" >"$T/trunc.want"

e2e_run write
rc=$?

bad=0
want() {	# want WHAT COMMAND...: one host-side check
	local what=$1
	shift
	if "$@"; then echo "host ok - $what"; else echo "host not ok - $what"; bad=$((bad + 1)); fi
}
want "renamed.txt has the guest's line" test "$(cat "$w/renamed.txt" 2>/dev/null)" = "hello from the guest"
want "new.txt is gone (renamed)" test ! -e "$w/new.txt"
want "newdir/seq.txt has seq 1 100000" sh -c "seq 1 100000 | cmp -s - '$w/newdir/seq.txt'"
want "big.bin: 4 MiB with the sha256 the guest saw" sh -c "[ \$(stat -c %s '$w/big.bin') = 4194304 ] &&
	[ \"\$(sha256sum <'$w/big.bin' | cut -d' ' -f1)\" = \"\$(cat '$w/big.sha256')\" ]"
want "gone.txt is gone" test ! -e "$w/gone.txt"
want "sym -> renamed.txt" test "$(readlink "$w/sym" 2>/dev/null)" = renamed.txt
want "hard.txt is renamed.txt" test "$(stat -c %i "$w/hard.txt" 2>/dev/null)" = "$(stat -c %i "$w/renamed.txt")"
want "renamed.txt mode 640" test "$(stat -c %a "$w/renamed.txt")" = 640
want "renamed.txt mtime" test "$(stat -c %Y "$w/renamed.txt")" = "$(date -d '2002-03-04 05:06:07' +%s)"
want "trunc.bin cut to 1000 bytes" cmp -s "$T/trunc.want" "$w/trunc.bin"
want "append.txt appended" test "$(cat "$w/append.txt")" = "$(printf 'start\nmore')"
want "patch.bin patched" test "$(cat "$w/patch.bin")" = 0123456789XYZdefghij
want "rmme removed" test ! -e "$w/rmme"
want "owned chowned to 1000:1000" test "$(stat -c %u:%g "$w/owned")" = 1000:1000
want "files the guest created are owned by root" test "$(stat -c %u:%g "$w/newdir/seq.txt" 2>/dev/null)" = 0:0

[ $rc = 0 ] || fail "the guest run failed (status $rc)"
[ $bad = 0 ] || fail "$bad host-side checks failed"
pass "guest writes seen on the host ($E2E_BACKEND)"
