#!/usr/bin/env bash
# Whether a TCG guest's memory barrier orders its store before its load for another host
# process, as virtio's event index handshakes need (doc/wire.md, "A guest whose barrier is
# not one"). Run by hand, not in make check: for each kind of barrier (none, mfence, the
# locked add of Linux's x86-64 smp_mb()) one guest boot runs the guest half of
# e2e/tcg-barrier and the host runs the other half on the same page of guest memory.
# Prints the rounds in which neither side saw the other's store (BOTH_MISSED); with a
# real barrier on both sides there are none.
#
#   PRIVFSD_SRCDIR=. PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test PRIVFSD_LIBEXEC_DIR=BUILD/tests/libexec \
#   bash tests/e2e/tcg-barrier.sh
#
# Settings (environment): TCG_BARRIER_ROUNDS (200000), TCG_BARRIER_SPAN (3000: the host's
# random delay, in loop turns, that sweeps the two halves across each other; this
# machine's guest needs about that long from seeing a round start to its store),
# TCG_BARRIER_QEMU (run-guest.sh's --qemu, e.g. qemu10; default Debian's).
# Measured 2026-12-07 (2 CPUs), 200,000 rounds, BOTH_MISSED on QEMU 7.2 / 10.0: no barrier
# 15-98 / 21, mfence 0-159 / 0 (7.2 elides it; QEMU 8.1 stopped that), locked add 3-8 /
# 6-51. Each run differs: a 0 says little, a count above 0 says the barrier is none.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64

rounds=${TCG_BARRIER_ROUNDS:-200000}
span=${TCG_BARRIER_SPAN:-3000}
prog=${PRIVFSD_TESTS_BUILDDIR:-.}/e2e/tcg-barrier
[ -x "$prog" ] || fail "no $prog"
mkdir -p "$T/share/.e2e" || fail mkdir
cp "$prog" "$T/share/.e2e/tcg-barrier" || fail "copy tcg-barrier"

for fence in 0 1 2; do
	case $fence in 0) what="no barrier" ;; 1) what=mfence ;; 2) what="lock addl (smp_mb)" ;; esac
	echo "/mnt/.e2e/tcg-barrier guest $rounds $fence" >"$T/share/.e2e/run.sh"
	log=$T/run$fence
	bash "$E2E_DIR/run-guest.sh" ${TCG_BARRIER_QEMU:+--qemu="$TCG_BARRIER_QEMU"} \
	    --logdir="$log" --timeout=600 privfsd "$T/share" >"$T/run$fence.out" 2>&1 &
	guest_run=$!
	pfn=""
	for _ in $(seq 120); do
		pfn=$({ tr -d '\r' <"$log/console.log"; } 2>/dev/null |
		    sed -n 's/^TCG-BARRIER pfn=\(0x[0-9a-f]*\).*/\1/p')
		[ -n "$pfn" ] && break
		sleep 0.5
	done
	qpid=$(pgrep -f "system-x86_64 .*$log/" | head -n 1)
	if [ -z "$pfn" ] || [ -z "$qpid" ]; then
		wait "$guest_run"
		cat "$T/run$fence.out"
		fail "$what: the guest did not start its half"
	fi
	result=$("$prog" host "$qpid" "$pfn" "$rounds" "$span")
	wait "$guest_run"
	echo "$what: $result"
done
pass "store buffering measured (BOTH_MISSED above 0: that barrier orders nothing here)"
