# guest-trace.py on a made-up scheduler trace whose answer is known: three requests, each
# a kick that wakes two back-end threads (a frontend and a worker's kick watch), the
# answer 40 us after the kick, the vCPU woken 20 us later, the next kick 60 us after that;
# a timer's wake-up and a kick without an answer in between, which must not count; the
# back-end's threads running 90 us in all.
[ -n "${PRIVFSD_SRCDIR:-}" ] || { echo "SKIP: no PRIVFSD_SRCDIR"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
T=$(mktemp -d /tmp/privfsd-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
printf '%s\n' 301 310 >"$T/tids"
wake() { printf '  %s [0001]  %s   awakened: %s\n' "$1" "$2" "$3"; }
ran() { printf '  %s [0000]  %s   0.075  0.008  %s\n' "$1" "$2" "$3"; }
V='qemu-system-x86[200/100]' M='qemu-system-x86[100]'
W='privfsd-worker[301/300]' F='privfsd-fronten[310]'
{
	echo '           time    cpu  task name                       wait time  sch delay   run time'
	for c in 0 1 2; do
		t=$((100000 + c * 120))
		wake "100.$(printf %06d $t)" "$V" "$W"
		wake "100.$(printf %06d $((t + 6)))" "$V" "$F"
		ran "100.$(printf %06d $((t + 30)))" "$F" 0.020
		wake "100.$(printf %06d $((t + 40)))" "$W" "$M"
		ran "100.$(printf %06d $((t + 45)))" "$W" 0.010
		wake "100.$(printf %06d $((t + 50)))" "kworker/0:1[9]" "$M"
		wake "100.$(printf %06d $((t + 60)))" "$M" "$V"
		ran "100.$(printf %06d $((t + 70)))" "$M" 0.500
	done
	# a kick nobody answers, then one answered 40 us later: the cycle restarts there
	wake 100.100400 "$V" "$F"
	wake 100.100500 "$V" "$W"
	wake 100.100540 "$W" "$M"
	wake 100.100560 "$M" "$V"
} >"$T/timehist"
out=$(python3 "$PRIVFSD_SRCDIR/tests/bench/guest-trace.py" "$T/tids" <"$T/timehist") ||
    { echo "FAIL: guest-trace.py exit $?"; exit 1; }
echo "$out"
want='GBENCH trace_kick_call us/cycle 40
GBENCH trace_call_vcpu us/cycle 20
GBENCH trace_vcpu_kick us/cycle 60
GBENCH trace_backend_run us/cycle 22.5'
[ "$out" = "$want" ] || { echo "FAIL: expected"; echo "$want"; exit 1; }
echo "PASS: guest-trace.py"
