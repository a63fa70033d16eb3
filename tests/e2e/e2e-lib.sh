# shellcheck shell=bash
# Helpers for the end-to-end tests; source after tests/lib.sh.
#   E2E_BACKEND  the back-end under test: privfsd (default), virtiofsd or virtiofsd-rust (the
#                peers prove the tests themselves)
#   E2E_TIMEOUT  seconds a guest run may take (default 120)
#   E2E_BACKEND_ARGS  more back-end arguments, split on blanks (e.g. --log-level=debug)
#   E2E_VERBOSE  print the console and the back-end's log even when a run passes

E2E_DIR=$PRIVFSD_SRCDIR/tests/e2e
E2E_BACKEND=${E2E_BACKEND:-privfsd}

# e2e_require [VMM]: skip unless root, the VMM, a kernel and busybox are there.
e2e_require() {
	local vmm=${1:-qemu-system-x86_64}
	require_root
	command -v "$vmm" >/dev/null || skip "no $vmm"
	ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "no kernel in /boot (linux-image-amd64)"
	[ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"
	command -v cpio >/dev/null || skip "no cpio"
	if [ "$E2E_BACKEND" = privfsd ]; then
		[ -x "$PRIVFSD" ] || fail "no test broker at $PRIVFSD"
		[ -x "$PRIVFSD_LIBEXEC_DIR/privfsd-frontend" ] || fail "no frontend in $PRIVFSD_LIBEXEC_DIR"
		[ -x "$PRIVFSD_LIBEXEC_DIR/privfsd-worker" ] || fail "no worker in $PRIVFSD_LIBEXEC_DIR"
	fi
}

# e2e_manifest_line PATH (relative to the data dir, cwd = data dir): type path mode uid gid
# size nlink mtime extra, tab-separated (what guest-checks.sh compares).
e2e_manifest_line() {
	local p=$1 type extra=-
	if [ -L "$p" ]; then type=l; extra=$(readlink "$p")
	elif [ -d "$p" ]; then type=d
	elif [ -f "$p" ]; then type=f; extra=$(sha256sum <"$p" | cut -d' ' -f1)
	elif [ -p "$p" ]; then type=p
	else type=o
	fi
	printf '%s\t%s\t%s\t%s\n' "$type" "$p" "$(stat -c '%a	%u	%g	%s	%h	%Y' "./$p")" "$extra"
}

# e2e_make_share DIR: fills DIR/data with a tree of every kind of name the checks look at
# and DIR/.e2e with the expected manifest, listing and read pieces, and the guest script.
e2e_make_share() {
	local s=$1 d=$1/data e=$1/.e2e i long
	mkdir -p "$d/dir/sub/deeper" "$d/many" "$d/empty-dir" "$e" || fail "mkdir $d"
	chmod 755 "$s" "$d"
	printf 'hello, virtiofs\n' >"$d/hello.txt"
	: >"$d/empty"
	head -c $((4 * 1024 * 1024 + 123)) /dev/urandom >"$d/big.bin"
	head -c 200000 /dev/urandom >"$d/dir/medium.bin"
	printf 'a leaf\n' >"$d/dir/sub/deeper/leaf.txt"
	truncate -s 3M "$d/sparse.bin"
	printf 'end of a sparse file' | dd of="$d/sparse.bin" bs=1 seek=$((2 * 1024 * 1024)) conv=notrunc 2>/dev/null
	printf '#!/bin/sh\necho hi\n' >"$d/script.sh"
	chmod 755 "$d/script.sh"
	printf 'secret\n' >"$d/private.txt"
	chmod 600 "$d/private.txt"
	printf 'set-id bits\n' >"$d/setid"
	chmod 6755 "$d/setid"
	chmod 1777 "$d/empty-dir"
	printf 'owned by 1000\n' >"$d/owned-by-1000"
	chown 1000:1000 "$d/owned-by-1000"
	ln "$d/hello.txt" "$d/hardlink.txt"
	ln -s hello.txt "$d/link-to-hello"
	ln -s dir/sub "$d/link-to-dir"
	ln -s /nonexistent/target "$d/dangling"
	mkfifo "$d/fifo"
	printf 'spaces\n' >"$d/name with spaces"
	printf 'utf-8\n' >"$d/$(printf 'caf\303\251-\344\270\255')"
	printf 'dash\n' >"$d/-leading-dash"
	long=$(printf '%0255d' 0 | tr 0 n)
	printf 'long name\n' >"$d/many/$long"
	for i in $(seq 1 300); do : >"$d/many/file-$i"; done
	touch -h -d '2001-02-03 04:05:06' "$d/hello.txt" "$d/link-to-hello" "$d/dir"
	# The 300 empty files only count in the listing (each name costs the slow guest forks).
	(cd "$d" && find . -mindepth 1 | sed 's|^\./||' | grep -v '^many/file-' | LC_ALL=C sort |
	    while IFS= read -r p; do
		e2e_manifest_line "$p"
	done) >"$e/manifest" || fail "manifest"
	(cd "$d" && find . | LC_ALL=C sort) >"$e/listing"
	{
		for piece in "big.bin 4096 0 1" "big.bin 4096 1 3" "big.bin 65536 37 5" \
			"big.bin 1000 4194 1000" "big.bin 131072 31 2" "dir/medium.bin 512 7 33" \
			"sparse.bin 4096 512 2" "sparse.bin 1048576 1 2"; do
			set -- $piece
			printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" \
				"$(dd if="$d/$1" bs="$2" skip="$3" count="$4" 2>/dev/null | sha256sum | cut -d' ' -f1)"
		done
	} >"$e/pieces"
	cp "$E2E_DIR/guest-checks.sh" "$e/run.sh"
}

# e2e_run NAME [run-guest options]: boots the guest on $E2E_BACKEND serving $T/share (logs in
# $T/NAME), prints the run's output, and on failure the console and the back-end's log.
# Returns run-guest.sh's status.
e2e_run() {
	local name=$1 rc lenient='' a extra=()
	shift
	for a in ${E2E_BACKEND_ARGS:-}; do extra+=(--backend-arg="$a"); done
	# The peers' own shutdown habits (the C virtiofsd leaves its socket) are not under test.
	[ "$E2E_BACKEND" = privfsd ] || lenient=--lenient
	bash "$E2E_DIR/run-guest.sh" $lenient --logdir="$T/$name" --timeout="${E2E_TIMEOUT:-120}" \
		"${extra[@]}" "$@" "$E2E_BACKEND" "$T/share" >"$T/$name.out" 2>&1
	rc=$?
	if [ $rc != 0 ] || [ -n "${E2E_VERBOSE:-}" ]; then
		echo "--- console ($T/$name/console.log):"
		tr -d '\r' <"$T/$name/console.log" 2>/dev/null | tail -n 150
		echo "--- back-end log (last 80 lines):"
		tail -n 80 "$T/$name/backend.log" 2>/dev/null
		echo "--- qemu stderr:"
		cat "$T/$name/qemu.err" 2>/dev/null
		if [ -s "$T/$name/hang.txt" ]; then
			echo "--- at the time-out (hang-report.py):"
			cat "$T/$name/hang.txt"
		fi
	else
		grep -a '^\(not \)\{0,1\}ok ' "$T/$name/console.log" | tr -d '\r' | grep -v '^ok ' 
	fi
	echo "--- run-guest:"
	cat "$T/$name.out"
	return $rc
}

# e2e_initramfs_plus DIR: a cache directory for run-guest.sh (pass it as E2E_CACHE) whose
# initramfs is e2e's (mkinitramfs.sh) with a second cpio archive of DIR's tree appended. The
# kernel unpacks concatenated archives in order and a later file replaces an earlier one, so
# DIR can add programs or replace /init. Prints the directory ($T/cache).
e2e_initramfs_plus() {
	local add=$1 images base
	images=$(bash "$E2E_DIR/mkinitramfs.sh") || return 1
	base=$(echo "$images" | sed -n 2p)
	mkdir -p "$T/cache" || return 1
	cp "$base" "$T/cache/${base##*/}" || return 1
	(cd "$add" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 \
	    >>"$T/cache/${base##*/}" || return 1
	echo "$T/cache"
}
