#!/usr/bin/env bash
# Boots the end-to-end guest on a vhost-user-fs back-end serving SHARE and reports its result.
#
# Usage: run-guest.sh [options] BACKEND SHARE
#   BACKEND  privfsd (the binary in $PRIVFSD, else privfsd from PATH), virtiofsd (the C one,
#            /usr/lib/qemu/virtiofsd) or virtiofsd-rust ($VIRTIOFSD_RUST, default
#            /opt/peers/bin/virtiofsd-rust)
#   SHARE    the directory to export; the guest runs SHARE/.e2e/run.sh (see mkinitramfs.sh)
# Options:
#   --qemu=PATH       the VMM (default qemu-system-x86_64; "qemu10" means
#                     /opt/peers/bin/qemu10-system-x86_64)
#   --accel=ACCEL     tcg (the default: the test machines have no usable KVM) or kvm (needs
#                     /dev/kvm open for reading and writing; the guest gets -cpu host)
#   --queues=N        num-request-queues of the device
#   --reboot          let the guest reboot once (the host acknowledges its reboot request by
#                     creating SHARE/.e2e/reboot-ack; the second boot sees it)
#   --shell           a guest shell on this terminal after run.sh; no time limit
#   --show-console    copy the console to stdout as it comes
#   --timeout=S       give up after S seconds (default 120)
#   --tag=TAG         the mount tag (default privfsd)
#   --logdir=DIR      where console.log, backend.log and backend.pid (the back-end's pid,
#                     for tests/bench/guest-cpu.py) go (default: a new directory, printed);
#                     after a time-out also hang.txt (hang-report.py: what the back-end's
#                     and QEMU's threads, QEMU's rings and the MSI-X vectors were waiting
#                     for, and each eventfd's count)
#   --backend-arg=A   one more argument for the back-end (repeatable)
#   --generic-device  QEMU's generic vhost-user-test-device-pci as a virtio-fs device (the
#                     back-end serves the config space; QEMU 11 and later)
#   --mount-opts=O    mount options for the guest's virtiofs mount (e.g. dax=always)
#   --append=TEXT     more kernel command line (e.g. root=TAG rootfstype=virtiofs rw)
#   --second=SHARE2   a second vhost-user-fs device in the same VM, tag TAG2 (--tag2),
#                     served by a second back-end of the same kind exporting SHARE2 (one
#                     privfsd serves one connection); its log is backend2.log and it must end
#                     cleanly too. The guest's run.sh mounts TAG2 itself (e2e.tag2=TAG2 is on
#                     the kernel command line). Not with --args or --listen-fd.
#   --tag2=TAG2       the second device's tag (default privfsd2)
#   --args=LIST       the back-end's whole argument list instead of the usual one, split on
#                     blanks; @SHARE@ and @SOCK@ stand for SHARE and the socket's path
#   --listen-fd=N     make the listening socket here and pass it to the back-end as fd N
#                     (as Kata's Go runtime does); its file is then ours to remove
#   --wait-line=TEXT  start QEMU only once a line of the back-end's stderr contains TEXT
#                     (as Kata's runtime-rs does); stdout goes to backend.log.stdout
#   --lenient         do not fail when a back-end other than privfsd ends uncleanly
#   --external=SOCK   QEMU connects to SOCK, served by a back-end the caller runs (privfsd
#                     --config); none is started and only the guest's result is judged
#   --external2=SOCK2 with --second and --external: the second device's socket, the
#                     caller's too
# Exit status: 0 the guest printed PASS and the back-end ended cleanly (exit 0, its socket
# removed, none of its processes left); 1 the guest printed FAIL; 2 no result (time-out,
# crash, the back-end died early); 3 the back-end did not end cleanly; 77 something needed is
# missing. The last line printed is a one-line summary.
set -u

here=$(cd "$(dirname "$0")" && pwd)
qemu=qemu-system-x86_64
accel=tcg
queues=""
reboot=0
shell=0
show=0
timeout=120
tag=privfsd
logdir=""
lenient=0
generic=0
mountopts=""
append_extra=""
share2=""
tag2=privfsd2
backend_args=()
args_list=""
listen_fd=""
wait_line=""
external=""
external2=""

while [ $# -gt 0 ]; do
	case $1 in
	--qemu=*) qemu=${1#*=} ;;
	--accel=*) accel=${1#*=} ;;
	--queues=*) queues=${1#*=} ;;
	--reboot) reboot=1 ;;
	--shell) shell=1 ;;
	--show-console) show=1 ;;
	--timeout=*) timeout=${1#*=} ;;
	--tag=*) tag=${1#*=} ;;
	--logdir=*) logdir=${1#*=} ;;
	--backend-arg=*) backend_args+=("${1#*=}") ;;
	--args=*) args_list=${1#*=} ;;
	--listen-fd=*) listen_fd=${1#*=} ;;
	--wait-line=*) wait_line=${1#*=} ;;
	--lenient) lenient=1 ;;
	--external=*) external=${1#*=} ;;
	--external2=*) external2=${1#*=} ;;
	--generic-device) generic=1 ;;
	--mount-opts=*) mountopts=${1#*=} ;;
	--append=*) append_extra=${1#*=} ;;
	--second=*) share2=${1#*=} ;;
	--tag2=*) tag2=${1#*=} ;;
	--) shift; break ;;
	-*) echo "run-guest: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 2 ] || { sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
backend=$1
share=$(cd "$2" && pwd) || exit 2
if [ -n "$share2" ]; then
	share2=$(cd "$share2" && pwd) || exit 2
	[ -z "$args_list$listen_fd$wait_line" ] && { [ -z "$external" ] || [ -n "$external2" ]; } ||
	    { echo "run-guest: --second goes with none of --args, --listen-fd, --wait-line, and with --external only with --external2" >&2; exit 2; }
fi

case $qemu in
qemu10) qemu=/opt/peers/bin/qemu10-system-x86_64 ;;
qemu11) qemu=/opt/peers/bin/qemu11-system-x86_64 ;;
esac
command -v "$qemu" >/dev/null || { echo "run-guest: no VMM $qemu"; exit 77; }
case $accel in
tcg) accel_args=(-accel tcg) ;;
kvm)
	[ -r /dev/kvm ] && [ -w /dev/kvm ] ||
	    { echo "run-guest: --accel=kvm: /dev/kvm is missing or not ours to use"; exit 77; }
	accel_args=(-accel kvm -cpu host)
	;;
*) echo "run-guest: --accel=$accel: tcg or kvm" >&2; exit 2 ;;
esac

case $backend in
privfsd)
	bin=${PRIVFSD:-$(command -v privfsd)}
	[ -n "$bin" ] && [ -x "$bin" ] || { echo "run-guest: no privfsd (set PRIVFSD)"; exit 77; }
	;;
virtiofsd) bin=/usr/lib/qemu/virtiofsd ;;
virtiofsd-rust) bin=${VIRTIOFSD_RUST:-/opt/peers/bin/virtiofsd-rust} ;;
*) echo "run-guest: unknown back-end $backend" >&2; exit 2 ;;
esac
[ -x "$bin" ] || { echo "run-guest: no $backend at $bin"; exit 77; }

images=$(bash "$here/mkinitramfs.sh") || exit $?
kernel=$(echo "$images" | sed -n 1p)
initrd=$(echo "$images" | sed -n 2p)

if [ -z "$logdir" ]; then
	logdir=$(mktemp -d /tmp/privfsd-e2e.XXXXXX)
else
	mkdir -p "$logdir" || exit 2
fi
sock=$logdir/vhost.sock
console=$logdir/console.log
blog=$logdir/backend.log
sock2=$logdir/vhost2.sock
blog2=$logdir/backend2.log
rm -f "$sock" "$console" "$blog" "$share/.e2e/reboot-ack" "$sock2" "$blog2"

# backend_cmd SOCK SHARE: sets cmd to the usual command line of the back-end.
backend_cmd() {
	case $backend in
	privfsd)
		cmd=("$bin" --socket-path="$1" --shared-dir="$2" --seccomp=kill) ;;
	virtiofsd)
		cmd=("$bin" --socket-path="$1" -o source="$2" -o cache=none) ;;
	virtiofsd-rust)
		cmd=("$bin" --socket-path="$1" --shared-dir="$2" --cache=never) ;;
	esac
}
backend_cmd "$sock" "$share"
if [ -n "$args_list" ]; then
	cmd=("$bin")
	for a in $args_list; do
		a=${a//@SHARE@/$share}
		cmd+=("${a//@SOCK@/$sock}")
	done
fi
cmd+=("${backend_args[@]}")
if [ -n "$listen_fd" ]; then
	# Listening before the file has its name, so QEMU never finds one that refuses it.
	cmd=(python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1] + ".new"); s.listen(1); os.rename(sys.argv[1] + ".new", sys.argv[1])
os.dup2(s.fileno(), int(sys.argv[2])); os.set_inheritable(int(sys.argv[2]), True)
os.execv(sys.argv[3], sys.argv[3:])' "$sock" "$listen_fd" "${cmd[@]}")
fi
if [ -n "$external" ]; then
	# Someone else's back-end: a stand-in process keeps the watch loop below unchanged.
	sock=$external
	cmd=(sleep 1000000)
fi

qpid=""
bpid=""
b2pid=""
tpid=""
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$bpid" ] && kill -9 "$bpid" 2>/dev/null
	[ -n "$b2pid" ] && kill -9 "$b2pid" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# alive PID: the process exists and is not a zombie waiting for us.
alive() {
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
# descendants PID: every process below PID.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q in parent && q != root && q > 1) q = parent[q];
			if (q == root && p != root) print p } }'
}

echo "run-guest: $backend: ${cmd[*]}" >"$blog.cmd"
start=$(date +%s.%N)
if [ -n "$wait_line" ]; then
	"${cmd[@]}" >"$blog.stdout" 2>"$blog" </dev/null &
else
	"${cmd[@]}" >"$blog" 2>&1 </dev/null &
fi
bpid=$!
echo "$bpid" >"$logdir/backend.pid"
i=0
while [ -n "$wait_line" ] && ! grep -qF -- "$wait_line" "$blog"; do
	i=$((i + 1))
	if ! alive "$bpid" || [ $i -gt 300 ]; then
		echo "run-guest: $backend never wrote \"$wait_line\" on stderr; its stderr:"
		cat "$blog"
		echo "run-guest: RESULT=none backend=$backend (no ready line on stderr)"
		exit 2
	fi
	sleep 0.1
done
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if ! alive "$bpid" || [ $i -gt 100 ]; then
		wait "$bpid" 2>/dev/null
		echo "run-guest: $backend did not create its socket (exit $?); its log:"
		cat "$blog"
		echo "run-guest: RESULT=none backend=$backend (no socket)"
		exit 2
	fi
	sleep 0.1
done
if [ -n "$external2" ]; then
	sock2=$external2
elif [ -n "$share2" ]; then
	backend_cmd "$sock2" "$share2"
	cmd+=("${backend_args[@]}")
	echo "run-guest: $backend (second): ${cmd[*]}" >"$blog2.cmd"
	"${cmd[@]}" >"$blog2" 2>&1 </dev/null &
	b2pid=$!
	i=0
	while [ ! -S "$sock2" ]; do
		i=$((i + 1))
		if ! alive "$b2pid" || [ $i -gt 100 ]; then
			wait "$b2pid" 2>/dev/null
			echo "run-guest: the second $backend did not create its socket (exit $?); its log:"
			cat "$blog2"
			echo "run-guest: RESULT=none backend=$backend (no second socket)"
			exit 2
		fi
		sleep 0.1
	done
fi

dev="vhost-user-fs-pci,chardev=char0,tag=$tag"
[ -n "$queues" ] && dev="$dev,num-request-queues=$queues"
# virtio-fs is device 26; two queues (hiprio and one request queue); the config space is
# tag[36] and num_request_queues, 40 bytes, which the back-end serves (--tag).
[ $generic = 1 ] && dev="vhost-user-test-device-pci,chardev=char0,virtio-id=26,num_vqs=2,config_size=40"
append="console=ttyS0 panic=-1 quiet e2e.tag=$tag"
[ -n "$mountopts" ] && append="$append e2e.mountopts=$mountopts"
[ -n "$append_extra" ] && append="$append $append_extra"
[ $shell = 1 ] && append="$append e2e.shell=1"
[ -n "$share2" ] && append="$append e2e.tag2=$tag2"
qargs=("${accel_args[@]}" -m 512 -smp 1 -nodefaults -no-user-config -display none
	-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem
	-chardev socket,id=char0,path="$sock" -device "$dev"
	-kernel "$kernel" -initrd "$initrd" -append "$append")
[ -n "$share2" ] &&
    qargs+=(-chardev socket,id=char1,path="$sock2" -device vhost-user-fs-pci,chardev=char1,tag="$tag2")
[ $reboot = 1 ] || qargs+=(-no-reboot)
# A QMP socket for hang-report.py, when its path fits a socket address.
qmp_sock=-
[ $shell = 0 ] && [ ${#logdir} -lt 96 ] && qmp_sock=$logdir/qmp.sock &&
    qargs+=(-qmp unix:"$qmp_sock",server=on,wait=off)
echo "run-guest: $qemu ${qargs[*]}" >"$logdir/qemu.cmd"

if [ $shell = 1 ]; then
	# Interactive: the console is this terminal (Ctrl-A X quits QEMU), copied to the log.
	"$qemu" "${qargs[@]}" -serial mon:stdio 2>"$logdir/qemu.err" | tee "$console"
	qrc=${PIPESTATUS[0]}
	qpid=""
else
	"$qemu" "${qargs[@]}" -serial file:"$console" >"$logdir/qemu.err" 2>&1 </dev/null &
	qpid=$!
	if [ $show = 1 ]; then
		while [ ! -e "$console" ] && alive "$qpid"; do sleep 0.05; done
		tail -n +1 -f --pid="$qpid" "$console" 2>/dev/null &
		tpid=$!
	fi
fi

# Watch the run: answer the reboot request, remember the back-end's processes (to check at
# the end that none is left), stop at the time limit or when the back-end dies under QEMU.
pids=" "
acked=0
early=""
deadline=$(($(date +%s) + timeout))
while [ -n "$qpid" ] && alive "$qpid"; do
	for p in $(descendants "$bpid") ${b2pid:+$(descendants "$b2pid")}; do
		case $pids in *" $p "*) ;; *) pids="$pids$p " ;; esac
	done
	if [ $reboot = 1 ] && [ $acked = 0 ] && grep -q '^E2E-REQUEST-REBOOT' "$console" 2>/dev/null; then
		touch "$share/.e2e/reboot-ack"
		acked=1
	fi
	# Once the guest has powered off QEMU closes the socket before it exits itself.
	if { ! alive "$bpid" || { [ -n "$b2pid" ] && ! alive "$b2pid"; }; } &&
	    ! grep -q '^E2E-END' "$console" 2>/dev/null; then
		early="a back-end exited while the guest was running"
		sleep 1
		kill "$qpid" 2>/dev/null
		break
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		early="time-out after ${timeout}s"
		# What everyone was waiting for, before the kill changes it (hang.txt).
		python3 "$here/hang-report.py" "$qmp_sock" $(descendants "$bpid") \
		    ${b2pid:+$(descendants "$b2pid")} "$qpid" >"$logdir/hang.txt" 2>&1
		kill "$qpid" 2>/dev/null
		break
	fi
	sleep 0.2
done
if [ -n "$qpid" ]; then
	wait "$qpid"
	qrc=$?
	qpid=""
fi
[ -n "$tpid" ] && { wait "$tpid" 2>/dev/null; tpid=""; }
guest_end=$(date +%s.%N)

# The back-ends must end by themselves once QEMU has gone.
if [ -n "$external" ]; then
	kill "$bpid" 2>/dev/null
	wait "$bpid" 2>/dev/null
	bpid=""
	pids=""
fi
i=0
while { alive "$bpid" || { [ -n "$b2pid" ] && alive "$b2pid"; }; } && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
end=clean
problems=""
if [ -n "$bpid" ] && alive "$bpid"; then
	problems="$problems; still running 10 s after QEMU exited"
	kill -9 "$bpid" 2>/dev/null
fi
if [ -n "$bpid" ]; then
	wait "$bpid" 2>/dev/null
	brc=$?
	bpid=""
	[ "$brc" = 0 ] || problems="$problems; exit status $brc"
fi
if [ -n "$external" ]; then
	:
elif [ -n "$listen_fd" ]; then
	rm -f "$sock"	# ours, as Kata removes the socket it made
else
	[ -e "$sock" ] && problems="$problems; socket $sock left behind"
fi
if [ -n "$b2pid" ]; then
	if alive "$b2pid"; then
		problems="$problems; the second still running 10 s after QEMU exited"
		kill -9 "$b2pid" 2>/dev/null
	fi
	wait "$b2pid" 2>/dev/null
	brc=$?
	b2pid=""
	[ "$brc" = 0 ] || problems="$problems; the second's exit status $brc"
	[ -e "$sock2" ] && problems="$problems; socket $sock2 left behind"
fi
left=""
sleep 0.2
for p in $pids; do
	[ -d "/proc/$p" ] && left="$left $p($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-40))"
done
[ -n "$left" ] && problems="$problems; processes left:$left"
[ -n "$problems" ] && end="unclean${problems}"
for p in $pids; do [ -d "/proc/$p" ] && kill -9 "$p" 2>/dev/null; done

result=$(grep -a '^E2E-RESULT:' "$console" 2>/dev/null | tail -n 1 | tr -d '\r')
boots=$(grep -ac '^E2E-BOOTED' "$console" 2>/dev/null)
secs=$(echo "$start $guest_end" | awk '{ printf "%.1f", $2 - $1 }')
nprocs=$(echo $pids | wc -w)
summary="backend=$backend vmm=${qemu##*/} qemu-exit=$qrc boots=$boots time=${secs}s children=$nprocs end=$end"
[ -n "$early" ] && summary="$summary problem=\"$early\""
echo "run-guest: logs in $logdir"
if [ -z "$result" ]; then
	echo "run-guest: RESULT=none $summary"
	exit 2
fi
echo "run-guest: ${result#E2E-RESULT: }"
case $result in
*PASS*) ;;
*) echo "run-guest: RESULT=fail $summary"; exit 1 ;;
esac
if [ "$end" != clean ] && { [ "$backend" = privfsd ] || [ $lenient = 0 ]; }; then
	echo "run-guest: RESULT=unclean-end $summary"
	exit 3
fi
echo "run-guest: RESULT=pass $summary"
exit 0
