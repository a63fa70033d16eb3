#!/bin/bash
# Bad command lines: each prints "privfsd: ARG: WHY" naming the argument and exits 1;
# --help, --version and --print-capabilities exit 0. Nothing here starts a child.
. "$PRIVFSD_SRCDIR/tests/lib.sh"

D=$T/share
mkdir -p "$D"

# bad EXPECTED-IN-MESSAGE ARGS...
bad() {
	want=$1; shift
	out=$("$PRIVFSD" "$@" 2>&1 >/dev/null); rc=$?
	[ $rc -eq 1 ] || fail "$*: exit status $rc, expected 1 ($out)"
	printf '%s\n' "$out" | grep -qF -- "privfsd: $want" ||
	    fail "$*: message does not name '$want': $out"
	printf '%s\n' "$out" | grep -q -- "--help" || fail "$*: no usage hint: $out"
	pass "$(printf "%s\n" "$out" | head -n 1 | cut -c1-120)"
}

bad "--bogus" --bogus --shared-dir="$D" --socket-path="$T/s"
bad "-z" -z
bad "--sandbox=jail" --sandbox=jail --shared-dir="$D" --socket-path="$T/s"
bad "--seccomp=maybe" --shared-dir="$D" --socket-path="$T/s" --seccomp=maybe
bad "--thread-pool-size=lots" --thread-pool-size=lots --shared-dir="$D" --socket-path="$T/s"
bad "--rlimit-nofile -5" --rlimit-nofile -5 --shared-dir="$D" --socket-path="$T/s"
bad "--memory-budget=abc" --memory-budget=abc --shared-dir="$D" --socket-path="$T/s"
bad "--memory-budget=4194304" --memory-budget=4194304 --shared-dir="$D" --socket-path="$T/s"
bad "--poll-max-ns=fast" --poll-max-ns=fast --shared-dir="$D" --socket-path="$T/s"
bad "--poll-max-ns=1000001" --poll-max-ns=1000001 --shared-dir="$D" --socket-path="$T/s"
bad "--fd=3x" --fd=3x --shared-dir="$D"
bad "--shared-dir" --socket-path="$T/s"
bad "--shared-dir=$T/nonexistent" --shared-dir="$T/nonexistent" --socket-path="$T/s"
touch "$T/file"
bad "--shared-dir=$T/file" --shared-dir="$T/file" --socket-path="$T/s"
bad "--socket-path" --shared-dir="$D"
bad "--cache" --shared-dir="$D" --socket-path="$T/s" --cache
bad "--xattr=yes" --xattr=yes
bad "-o cache=sometimes" -o "source=$D,cache=sometimes" --socket-path="$T/s"
bad "-o frobnicate" -o "source=$D,frobnicate" --socket-path="$T/s"
bad "--translate-uid=map:0:1000" --translate-uid=map:0:1000 --shared-dir="$D" --socket-path="$T/s"
bad "--uid-map=0:1000:1" --uid-map=0:1000:1 --shared-dir="$D" --socket-path="$T/s"
bad "--inode-numbers=random" --inode-numbers=random --shared-dir="$D" --socket-path="$T/s"
bad "--migration-mode=teleport" --migration-mode=teleport --shared-dir="$D" --socket-path="$T/s"
bad "--migration-on-error=ignore" --migration-on-error=ignore --shared-dir="$D" --socket-path="$T/s"
bad "--migration-verify-handles=yes" --migration-verify-handles=yes --shared-dir="$D" --socket-path="$T/s"
bad "--log-level=chatty" --log-level=chatty
bad "--socket-group=no-such-group-xyz" --socket-group=no-such-group-xyz --shared-dir="$D" --socket-path="$T/s"
bad "stray" stray
bad "--dax=sometimes" --dax=sometimes --shared-dir="$D" --socket-path="$T/s"
bad "--dax-window=3M" --dax=always --dax-window=3M --shared-dir="$D" --socket-path="$T/s"
bad "--dax-window: needs" --dax-window=1G --shared-dir="$D" --socket-path="$T/s"
bad "--dax-window=2048G: larger" --dax=always --dax-window=2048G --shared-dir="$D" --socket-path="$T/s"
bad "--dax-window=1Q" --dax=always --dax-window=1Q --shared-dir="$D" --socket-path="$T/s"
bad "--dax-vmm=qemu" --dax=always --dax-vmm=qemu --shared-dir="$D" --socket-path="$T/s"
bad "-o dax_window=5M" -o "source=$D,dax=always,dax_window=5M" --socket-path="$T/s"
bad "--worker-restart=maybe: must be yes or no" --worker-restart=maybe --shared-dir="$D" --socket-path="$T/s"
bad "--worker-restart=yes: cannot be combined with --dax" --dax=always --worker-restart=yes --shared-dir="$D" --socket-path="$T/s"
bad "--tag=" --tag="$(printf 't%.0s' $(seq 1 37))" --shared-dir="$D" --socket-path="$T/s"
long=$(printf 'x%.0s' $(seq 1 4200))
bad "--xattrmap=" --xattrmap="$long" --shared-dir="$D" --socket-path="$T/s"

"$PRIVFSD" --help | grep -q -- "--shared-dir" || fail "--help"
"$PRIVFSD" -h >/dev/null || fail "-h"
"$PRIVFSD" --version | grep -q '^privfsd [0-9]' || fail "--version"
"$PRIVFSD" -V >/dev/null || fail "-V"
"$PRIVFSD" --print-capabilities | grep -q '"type": "fs"' || fail "--print-capabilities"
pass "--help, --version, --print-capabilities exit 0"
