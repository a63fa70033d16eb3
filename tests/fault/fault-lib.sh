# shellcheck shell=bash
# Helpers for the fault tests; sources tests/driver/lib-driver.sh (and so tests/lib.sh).
#
#   drv_start SOCK          start "vu-fault shell" on SOCK as a coprocess
#   drv CMD...              send one command, answer in ANS; 0 when it starts with "ok"
#   want_ok WHAT CMD...     the command must answer ok (else fail)
#   want_err ERR WHAT CMD...  it must answer "err ERR"
#   tree_pids PID           PID and every process below it
#   gone_within SECONDS PIDS  0 once none of PIDS is running (zombies count as gone)
#   full_fs ERR SHARE       the checks of a file system that runs out (enospc, edquot)
#   guest_start, console_wait, privfsd_tree_gone  real guests (below)
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/lib-driver.sh"

FAULT_BIN=${PRIVFSD_TESTS_BUILDDIR:-.}/fault/vu-fault
[ -x "$FAULT_BIN" ] || skip "no $FAULT_BIN"

drv_start() {
	coproc DRV { exec "$FAULT_BIN" --socket="$1" shell 2>"$T/drv.err"; }
	at_exit "kill $DRV_PID 2>/dev/null"
}

drv() {
	ANS=""
	echo "$*" >&"${DRV[1]}" 2>/dev/null || { ANS="bad driver gone"; return 1; }
	IFS= read -r -t 60 ANS <&"${DRV[0]}" || ANS="bad no answer to: $*"
	case $ANS in ok*) return 0 ;; *) return 1 ;; esac
}

# The value fields of the last answer: F1 F2 F3 after "ok" or "err NAME".
_fields() { set -- $ANS; shift; case $ANS in err*) shift ;; esac; F1=${1:-} F2=${2:-} F3=${3:-}; }

# drv_fail MESSAGE: what the driver said on stderr (a crash, a sanitizer report), then fail.
drv_fail() {
	[ -s "$T/drv.err" ] && { echo "--- vu-fault stderr:"; tail -n 40 "$T/drv.err"; }
	fail "$*"
}

want_ok() {
	local what=$1
	shift
	drv "$@" || drv_fail "$what: $* answered: $ANS"
	_fields
	echo "ok - $what"
}

want_err() {
	local err=$1 what=$2
	shift 2
	drv "$@"
	case $ANS in "err $err"|"err $err "*) ;; *) drv_fail "$what: $* answered '$ANS', want err $err" ;; esac
	_fields
	echo "ok - $what (err $err)"
}

tree_pids() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q];
			if (q == root) print p } }'
}

gone_within() {
	local s=$1 p
	shift
	for p in "$@"; do dead "$p" "$s" || return 1; done
	return 0
}

# full_fs ERR SHARE: SHARE is a small file system (its root the export) that runs out with
# ERR (ENOSPC, EDQUOT) on the guest's writes; the host made SHARE/keep and SHARE/big, both
# empty and owned by the user the limit is on. The guest writes and fsyncs 256 KiB to keep,
# then writes big until the error. The error must reach the guest as ERR, the bytes it was
# told were written must be in big, keep must be whole, the daemon must keep serving, and
# once big is removed the guest can write again.
full_fs() {
	local err=$1 share=$2 keep keepfh big bigfh wrote
	start_backend "$share" "$T/sock" "$T/log"
	drv_start "$T/sock"
	want_ok "INIT" init
	want_ok "LOOKUP keep" lookup keep
	keep=$F1
	want_ok "OPEN keep" open "$keep"
	keepfh=$F1
	want_ok "write 256 KiB to keep" write "$keep" "$keepfh" 0 262144
	want_ok "FSYNC keep" fsync "$keep" "$keepfh"
	want_ok "LOOKUP big" lookup big
	big=$F1
	want_ok "OPEN big" open "$big"
	bigfh=$F1
	want_err "$err" "write big until the file system is full" write "$big" "$bigfh" 0 16777216
	wrote=$F1
	echo "  the guest was told $wrote bytes were written before $err"
	[ "$wrote" -gt 0 ] || fail "nothing written before $err"
	want_err "$err" "one more write is refused too" write "$big" "$bigfh" "$wrote" 4096
	backend_alive || fail "privfsd died when the file system filled up"
	want_ok "big reads back as written ($wrote bytes)" verify "$big" "$bigfh" "$wrote"
	want_ok "keep reads back whole" verify "$keep" "$keepfh" 262144
	want_ok "GETATTR still answered" getattr "$big"
	[ "$F1" = "$wrote" ] || fail "big is $F1 bytes, the guest was told $wrote"
	want_ok "STATFS still answered" statfs
	want_ok "directory listing still answered" ls 1
	"$FAULT_BIN" pattern "$wrote" | cmp - "$share/big" || fail "big on the host is not what the guest wrote"
	"$FAULT_BIN" pattern 262144 | cmp - "$share/keep" || fail "keep on the host is not whole"
	echo "ok - the host sees both files as the guest wrote them"
	want_ok "RELEASE big" release "$big" "$bigfh"
	want_ok "UNLINK big" unlink big
	# The worker's own reference (an O_PATH fd) holds the inode, and so its blocks, until
	# the guest forgets it, as the guest's kernel does once it drops the inode. FORGET
	# takes another channel to the worker than WRITE, so allow it a moment.
	want_ok "FORGET big" forget "$big" 1
	for i in $(seq 1 50); do drv write "$keep" "$keepfh" 262144 262144 && break; sleep 0.1; done
	want_ok "write keep again once there is room" write "$keep" "$keepfh" 262144 262144
	want_ok "keep reads back whole (512 KiB)" verify "$keep" "$keepfh" 524288
	want_ok "RELEASE keep" release "$keep" "$keepfh"
	drv quit
	wait "$DRV_PID" 2>/dev/null
	backend_exit_status 10
	[ "$BACKEND_STATUS" = "exit 0" ] || fail "privfsd: $BACKEND_STATUS after the guest left"
	if privfsd_crashes "$T/log"; then
		tail -n 20 "$T/log"
		fail "a privfsd process crashed"
	fi
	"$FAULT_BIN" pattern 524288 | cmp - "$share/keep" || fail "keep on the host is not whole at the end"
}

# ---- real guests (e2e/mkinitramfs.sh's busybox guest) ----
#
#   guest_start SCRIPT   privfsd on $T/share, QEMU (TCG) booting the e2e guest, which runs
#                        SCRIPT (copied to $T/share/.e2e/run.sh); console in $T/console.log;
#                        BACKEND_PID, QEMU_PID, PRIVFSD_TREE (the privfsd processes)
#                        (more privfsd options: GUEST_PRIVFSD_ARGS)
#   console_wait ERE S   0 once a console line matches ERE within S seconds
#   privfsd_tree_gone    fail unless every privfsd process and the socket are gone
guest_start() {
	local images kernel initrd i
	. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
	e2e_require qemu-system-x86_64
	images=$(bash "$E2E_DIR/mkinitramfs.sh") || skip "no guest image"
	kernel=$(echo "$images" | sed -n 1p)
	initrd=$(echo "$images" | sed -n 2p)
	mkdir -p "$T/share/.e2e" "$T/share/data"
	chmod 755 "$T/share" "$T/share/data"
	cp "$1" "$T/share/.e2e/run.sh" || fail "guest script"
	start_privfsd "$T/log" --socket-path="$T/sock" --shared-dir="$T/share" --seccomp=kill \
	    ${GUEST_PRIVFSD_ARGS:-}
	BACKEND_PID=$PRIVFSD_PID
	qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nodefaults -no-user-config -display none \
	    -object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem \
	    -chardev socket,id=char0,path="$T/sock" \
	    -device vhost-user-fs-pci,chardev=char0,tag=privfsd \
	    -kernel "$kernel" -initrd "$initrd" -no-reboot \
	    -append "console=ttyS0 panic=-1 quiet e2e.tag=privfsd" \
	    -serial file:"$T/console.log" >"$T/qemu.err" 2>&1 </dev/null &
	QEMU_PID=$!
	at_exit "kill -9 $QEMU_PID 2>/dev/null"
	# The children exist once QEMU has connected (the broker spawns them at start).
	for i in $(seq 1 50); do
		PRIVFSD_TREE=$(tree_pids "$BACKEND_PID" | tr '\n' ' ')
		[ "$(echo $PRIVFSD_TREE | wc -w)" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(echo $PRIVFSD_TREE | wc -w)" -ge 3 ] || fail "privfsd has not three processes: $PRIVFSD_TREE"
}

console_wait() {
	local i=0
	while ! tr -d '\r' 2>/dev/null <"$T/console.log" | grep -aqE "$1"; do
		i=$((i + 1))
		[ $i -le $(($2 * 10)) ] || return 1
		kill -0 "$QEMU_PID" 2>/dev/null || return 1
		sleep 0.1
	done
}

# drv_end_clean [PID]: the driver quits; privfsd must then end with status 0 by itself, and
# none of its processes but PID (a worker the test killed) may have crashed.
drv_end_clean() {
	drv quit
	wait "$drv_pid" 2>/dev/null
	backend_exit_status 10
	[ "$BACKEND_STATUS" = "exit 0" ] ||
	    { tail -n 20 "$T/log"; fail "privfsd: $BACKEND_STATUS after the driver left"; }
	if privfsd_crashes "$T/log" | grep -v "pid ${1:-none}"; then
		tail -n 20 "$T/log"
		fail "a privfsd process crashed"
	fi
}

# guest_end_clean: the guest's QEMU has 30 s to power off (then it is killed); privfsd must
# then end with status 0 by itself, and none of its processes may have crashed.
guest_end_clean() {
	local i
	for i in $(seq 1 300); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$QEMU_PID" 2>/dev/null
	wait "$QEMU_PID" 2>/dev/null
	backend_exit_status 10
	[ "$BACKEND_STATUS" = "exit 0" ] || { guest_dump; fail "privfsd: $BACKEND_STATUS, want exit 0"; }
	if privfsd_crashes "$T/log"; then guest_dump; fail "a privfsd process crashed"; fi
	echo "ok - privfsd ended with status 0 when QEMU went"
}

guest_dump() {
	echo "--- console (last 40 lines):"
	tr -d '\r' <"$T/console.log" 2>/dev/null | tail -n 40
	echo "--- privfsd log (last 30 lines):"
	tail -n 30 "$T/log"
	echo "--- qemu stderr:"
	cat "$T/qemu.err"
}

privfsd_tree_gone() {
	local p left=""
	gone_within 10 $PRIVFSD_TREE || true
	for p in $PRIVFSD_TREE; do
		[ -d "/proc/$p" ] && [ "$(awk '$1 == "State:" { print $2 }' "/proc/$p/status" 2>/dev/null)" != Z ] &&
		    left="$left $p($(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-40))"
	done
	[ -z "$left" ] || fail "privfsd processes left:$left"
	echo "ok - no privfsd process left ($PRIVFSD_TREE)"
	[ ! -e "$T/sock" ] || fail "the socket $T/sock was left behind"
	echo "ok - the socket file is gone"
}
