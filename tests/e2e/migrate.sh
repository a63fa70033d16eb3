#!/usr/bin/env bash
# End to end, live migration (issue 13): a TCG guest on QEMU 10.0 moves to a second QEMU 10.0
# on this machine (-incoming tcp, QMP migrate), each QEMU with its own privfsd on the same
# shared directory. A loop in the guest writes and reads files and keeps three open (one
# appended to, one read line by line, one read and written) while the move happens; once the
# host has said the move is done (.e2e/migrated) it goes on a while, writes through the
# open files again, and the host then finds every byte where it belongs. Run once per
# --migration-mode (MIGRATE_MODES, default "find-paths file-handles"); then the
# guest-error variant: a file the guest holds open is renamed away on the host while the
# VM is paused between save and load, so the destination cannot find it again: with
# --migration-on-error=guest-error that file answers EIO in the guest and the rest works.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
q10=/opt/peers/bin/qemu10-system-x86_64
[ -x "$q10" ] || skip "no QEMU 10 at $q10 (the peers are not installed)"
e2e_require "$q10"
command -v python3 >/dev/null || skip "needs python3"

images=$(bash "$E2E_DIR/mkinitramfs.sh") || fail "initramfs"
kernel=$(echo "$images" | sed -n 1p)
initrd=$(echo "$images" | sed -n 2p)

# qmp SOCK JSON...: each command in turn on the QMP socket; prints each "return" as JSON.
qmp() {
	python3 "$E2E_DIR/qmp.py" "$@"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() {	# wait_for SECONDS FILE TEXT
	local i=0
	until grep -aq -- "$3" "$2" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le $(($1 * 10)) ] || return 1
		sleep 0.1
	done
}

# The guest's part: the loop across the move, then the checks after it.
guest_script() {
	cat "$E2E_DIR/guest-lib.sh"
	cat <<'EOF'
d=/mnt/mig
exec 3>>$d/open-append.txt
exec 4<$d/open-read.txt
exec 5<>$d/open-rw.bin
i=0; after=0; seen=0; bad=""
echo E2E-LOOP-STARTED
while [ $after -lt 40 ] && [ $i -lt 20000 ]; do
	i=$((i + 1))
	echo "line $i" >&3
	echo "content $i" >$d/f$((i % 20))
	[ "$(cat $d/f$((i % 20)))" = "content $i" ] || bad="$bad f$((i % 20))@$i"
	read -r l <&4
	[ "$l" = "r$i" ] || bad="$bad read@$i:$l"
	if [ $seen = 0 ] && [ -e /mnt/.e2e/migrated ]; then
		seen=1
		echo "E2E-SAW-MIGRATED i=$i"
	fi
	[ $seen = 1 ] && after=$((after + 1))
done
echo "E2E-LOOP-END i=$i"
step "the loop saw the move" [ $seen = 1 ]
step "every write read back, every line read in order ($i rounds)" [ -z "$bad" ]
echo "after the move" >&5
step "the rw file, written through its fd kept open across the move" \
    grep -q "^after the move" $d/open-rw.bin
step "an fd kept open reads on" sh -c "read -r l <&4 && [ \"\$l\" = r$((i + 1)) ]"
exec 3>&- 4<&- 5>&-
step "a new file after the move" sh -c "echo new >$d/new-after && [ \"\$(cat $d/new-after)\" = new ]"
if [ -e $d/guest-error ]; then
	step "the file renamed away answers EIO through its open fd" \
	    sh -c "if cat <&6 >/tmp/out 2>/tmp/err; then echo read: \$(cat /tmp/out); exit 1; fi; cat /tmp/err; grep -qi 'input/output error' /tmp/err"
	step "its neighbour works" sh -c "[ \"\$(cat $d/held/neighbour)\" = neighbour ]"
fi
echo "E2E-ROUNDS $i"
finish
EOF
}

make_share() {	# make_share DIR [guest-error]
	local s=$1
	rm -rf "$s"
	mkdir -p "$s/mig/held" "$s/.e2e" || fail mkdir
	chmod 755 "$s" "$s/mig"
	: >"$s/mig/open-append.txt"
	seq -f 'r%.0f' 1 20100 >"$s/mig/open-read.txt"
	printf 'before\n' >"$s/mig/open-rw.bin"
	printf 'victim\n' >"$s/mig/held/victim"
	printf 'neighbour\n' >"$s/mig/held/neighbour"
	[ -n "${2:-}" ] && : >"$s/mig/guest-error"
	guest_script >"$s/.e2e/run.sh"
}

pids=""
at_exit 'for p in $pids; do kill -9 $p 2>/dev/null; done'

# migrate_once NAME MODE [EXTRA-PRIVFSD-ARGS...]: boots, migrates, checks. 0 when it passed.
migrate_once() {
	local name=$1 mode=$2 dir=$T/$1 port rc=0 st i apid bpid src dst r
	shift 2
	mkdir -p "$dir"
	port=$(free_port)
	for side in a b; do
		"$PRIVFSD" --socket-path="$dir/$side.sock" --shared-dir="$T/share" --cache=never \
		    --seccomp=kill --migration-mode="$mode" "$@" >"$dir/$side.log" 2>&1 </dev/null &
		eval "${side}pid=\$!"
		pids="$pids $!"
	done
	for side in a b; do
		wait_for 10 "$dir/$side.log" "Waiting for vhost-user" || { cat "$dir/$side.log"; return 1; }
	done
	qargs=(-accel tcg -m 256 -smp 1 -nodefaults -no-user-config -display none
		-object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem
		-device vhost-user-fs-pci,chardev=char0,tag=privfsd
		-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 quiet e2e.tag=privfsd"
		-no-reboot)
	"$q10" "${qargs[@]}" -chardev socket,id=char0,path="$dir/a.sock" \
	    -qmp unix:"$dir/qmp-src.sock",server=on,wait=off \
	    -serial file:"$dir/console-src.log" >"$dir/qemu-src.err" 2>&1 </dev/null &
	src=$!
	"$q10" "${qargs[@]}" -chardev socket,id=char0,path="$dir/b.sock" \
	    -qmp unix:"$dir/qmp-dst.sock",server=on,wait=off \
	    -serial file:"$dir/console-dst.log" -incoming tcp:127.0.0.1:"$port" \
	    >"$dir/qemu-dst.err" 2>&1 </dev/null &
	dst=$!
	pids="$pids $src $dst"
	if ! wait_for 180 "$dir/console-src.log" "E2E-LOOP-STARTED"; then
		echo "$name: the guest never started its loop"; rc=1
	fi
	if [ $rc = 0 ]; then
		sleep 2
		if [ -e "$T/share/mig/guest-error" ]; then
			# Pause at the end of the move: the source saves, we rename, the destination loads.
			qmp "$dir/qmp-src.sock" \
			    '{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"pause-before-switchover","state":true}]}}' >/dev/null
		fi
		qmp "$dir/qmp-src.sock" \
		    "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:$port\"}}" >/dev/null ||
		    { echo "$name: migrate refused"; rc=1; }
		i=0
		while [ $rc = 0 ]; do
			st=$(qmp "$dir/qmp-src.sock" '{"execute":"query-migrate"}' | python3 -c 'import json,sys; print(json.load(sys.stdin).get("status",""))')
			case $st in
			completed) break ;;
			failed|cancelled) echo "$name: migration $st"; rc=1 ;;
			pre-switchover)
				mv "$T/share/mig/held/victim" "$T/share/mig/victim-moved"
				qmp "$dir/qmp-src.sock" '{"execute":"migrate-continue","arguments":{"state":"pre-switchover"}}' >/dev/null ;;
			esac
			i=$((i + 1))
			[ $i -lt 600 ] || { echo "$name: migration still $st after 120 s"; rc=1; }
			sleep 0.2
		done
	fi
	if [ $rc = 0 ]; then
		echo "$name: migration completed"
		qmp "$dir/qmp-src.sock" '{"execute":"quit"}' >/dev/null 2>&1
		touch "$T/share/.e2e/migrated"
		wait_for 240 "$dir/console-dst.log" "E2E-END" || { echo "$name: the guest did not finish"; rc=1; }
	fi
	for p in $src $dst; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# Each privfsd ends by itself once its QEMU has gone.
	for p in $apid $bpid; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		if kill -0 "$p" 2>/dev/null; then
			echo "$name: privfsd $p still running"; kill -9 "$p"; rc=1
		fi
		wait "$p"
		r=$?
		[ $r = 0 ] || { echo "$name: privfsd $p exit status $r"; rc=1; }
	done
	tr -d '\r' <"$dir/console-dst.log" | grep -a '^not ok\|^ok\|^E2E-' 
	grep -aq '^E2E-RESULT: PASS' "$dir/console-dst.log" || rc=1
	grep -q "migration: sent" "$dir/a.log" || { echo "$name: the source sent no state"; rc=1; }
	grep -q "device state load done" "$dir/b.log" || { echo "$name: the destination loaded no state"; rc=1; }
	if [ $rc != 0 ]; then
		echo "--- source console:"; tr -d '\r' <"$dir/console-src.log" | tail -n 40
		echo "--- destination console:"; tr -d '\r' <"$dir/console-dst.log" | tail -n 40
		echo "--- source privfsd:"; tail -n 40 "$dir/a.log"
		echo "--- destination privfsd:"; tail -n 40 "$dir/b.log"
		echo "--- qemu:"; cat "$dir/qemu-src.err" "$dir/qemu-dst.err"
	fi
	return $rc
}

# host_checks: every line the guest appended, the last content of each file.
host_checks() {
	local n m=$T/share/mig k
	n=$(grep -a '^E2E-ROUNDS' "$1/console-dst.log" | tr -d '\r' | cut -d' ' -f2)
	[ -n "$n" ] || { echo "no round count"; return 1; }
	seq -f 'line %.0f' 1 "$n" | cmp -s - "$m/open-append.txt" ||
	    { echo "open-append.txt is not line 1 .. line $n"; return 1; }
	for k in $(seq 0 19); do
		last=$(( (n / 20) * 20 + k )); [ $last -gt $n ] && last=$((last - 20))
		[ "$(cat "$m/f$k")" = "content $last" ] || { echo "f$k: $(cat "$m/f$k"), want content $last"; return 1; }
	done
	grep -q '^after the move' "$m/open-rw.bin" || { echo "open-rw.bin lacks the write"; return 1; }
	echo "host: $n lines appended in order, 20 files with their last content, the rw write"
}

failed=""
for mode in ${MIGRATE_MODES:-find-paths file-handles}; do
	make_share "$T/share"
	if migrate_once "$mode" "$mode" && host_checks "$T/$mode"; then
		echo "PASS $mode"
	else
		failed="$failed $mode"
	fi
done

# guest-error: the victim, held open and looked up, renamed away between save and load.
make_share "$T/share" guest-error
sed -i 's|^echo E2E-LOOP-STARTED|exec 6<$d/held/victim; cat $d/held/neighbour >/dev/null\necho E2E-LOOP-STARTED|' \
    "$T/share/.e2e/run.sh"
if migrate_once guest-error find-paths --migration-on-error=guest-error &&
    grep -q 'not found again' "$T/guest-error/b.log"; then
	echo "PASS guest-error"
else
	failed="$failed guest-error"
fi
[ -z "$failed" ] || fail "live migration failed:$failed"
pass "live migration between two QEMU 10.0, each with its own privfsd: find-paths, file-handles, guest-error"
