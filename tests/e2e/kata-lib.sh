# shellcheck shell=bash
# Helpers of the Kata Containers drop-in tests (kata-go.sh, kata-rs.sh); source after
# e2e-lib.sh.

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
