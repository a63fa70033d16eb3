#!/usr/bin/env bash
# Soak, run by hand (not in make check): one guest boot that mounts, loads and unmounts the
# export many times. Each cycle runs bench/guest-load for a moment (sequential and random
# reads and writes, create, stat, unlink), then umount (FORGETs on the hiprio queue, then
# DESTROY) and mount (a fresh INIT on the same rings). Every cycle's teardown races the
# back-end's last completions and its awake waits (--poll-max-ns), which is where a lost
# kick or a lost completion would leave the guest waiting; a run that times out prints
# what each side was waiting for (e2e/hang-report.py), and the guest prints its count of
# interrupts per virtio vector every 30 s.
#
# After the first and the last cycle the guest pauses with the export freshly mounted, and
# the host counts the fds and threads of every process of the back-end and sums their
# RssAnon: fds and threads must be the same after the last cycle as after the first, and
# RssAnon may grow by at most E2E_SOAK_RSS_KIB (a session leaves nothing behind).
#
#   PRIVFSD_SRCDIR=. PRIVFSD_TESTS_BUILDDIR=BUILD/tests PRIVFSD_BUILDDIR=BUILD \
#   PRIVFSD=BUILD/broker/privfsd-test PRIVFSD_LIBEXEC_DIR=BUILD/tests/libexec \
#   bash tests/e2e/remount-soak.sh
#
# Settings (environment): E2E_SOAK_CYCLES (100), E2E_SOAK_LOAD_SECONDS (per workload, 0.15),
# E2E_SOAK_ARGS (more privfsd options, e.g. --poll-max-ns=20000), E2E_SOAK_RSS_KIB (1024).
# About 4 s a cycle on the 2-CPU development machine.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64

cycles=${E2E_SOAK_CYCLES:-100}
load_secs=${E2E_SOAK_LOAD_SECONDS:-0.15}
rss_tolerance=${E2E_SOAK_RSS_KIB:-1024}
LOAD=${PRIVFSD_TESTS_BUILDDIR:-.}/bench/guest-load
[ -x "$LOAD" ] || fail "no $LOAD"
case $cycles in ''|*[!0-9]*|0) fail "E2E_SOAK_CYCLES: not a positive number: $cycles" ;; esac

mkdir -p "$T/share/.e2e" "$T/share/data/load" || fail mkdir
chmod 755 "$T/share" "$T/share/data"
chmod 777 "$T/share/data/load"
cp "$LOAD" "$T/share/.e2e/guest-load" || fail "copy guest-load"
# The loop runs from /tmp: a script or a working directory on /mnt would keep it busy.
cat >"$T/share/.e2e/soak.sh" <<EOF
# The guest's count of interrupts per vector now and then: after a hang, whether the
# vector of the queue it waits on still moved.
(while sleep 30; do
	echo "soak: interrupts at \$(cut -d' ' -f1 /proc/uptime) s"
	grep virtio /proc/interrupts
done) &
tag=\$(sed -n 's/.*e2e\.tag=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "\$tag" ] || tag=privfsd
i=0
failed=0
while [ \$i -lt $cycles ]; do
	i=\$((i + 1))
	/tmp/guest-load /mnt/data/load $load_secs 4 >/tmp/load.out 2>&1 ||
		{ echo "soak: guest-load failed in cycle \$i"; cat /tmp/load.out; failed=1; break; }
	umount /mnt || { echo "soak: umount failed in cycle \$i"; failed=1; break; }
	mount -t virtiofs "\$tag" /mnt || { echo "soak: mount failed in cycle \$i"; failed=1; break; }
	if [ \$i = 1 ] || [ \$i = $cycles ]; then
		echo "SOAK-QUIET \$i"
		sleep 2
	fi
done
echo "soak: \$i cycles"
echo "n=\$i failed=\$failed" >/tmp/e2e-summary
exit \$failed
EOF
cat >"$T/share/.e2e/run.sh" <<'EOF'
cp /mnt/.e2e/soak.sh /mnt/.e2e/guest-load /tmp/ && cd / && exec sh /tmp/soak.sh
EOF

# sample LABEL: "LABEL fds threads rss_anon_kib" over the back-end's processes.
sample() {
	local root pids p fds=0 thr=0 rss=0 n
	root=$(cat "$T/soak/backend.pid" 2>/dev/null) || return 1
	pids=$(ps -e -o pid=,ppid= | awk -v r="$root" '
	    { parent[$1] = $2 } END {
		for (p in parent) for (q = p; q != ""; q = parent[q]) {
			if (q == r) { print p; break }
			if (q == 1 || q == 0) break
		}
	    }')
	for p in $pids; do
		n=$(ls "/proc/$p/fd" 2>/dev/null | wc -l)
		fds=$((fds + n))
		thr=$((thr + $(awk '/^Threads:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
		rss=$((rss + $(awk '/^RssAnon:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$1 $fds $thr $rss"
}
# Waits for each SOAK-QUIET line on the console and samples the back-end in its pause.
watch_console() {
	local want
	for want in 1 "$cycles"; do
		until { tr -d '\r' <"$T/soak/console.log"; } 2>/dev/null | grep -q "^SOAK-QUIET $want\$"; do
			sleep 0.2
		done
		sleep 0.5
		sample "$want" >>"$T/samples"
	done
}

E2E_BACKEND=privfsd
E2E_BACKEND_ARGS="${E2E_SOAK_ARGS:-}"
E2E_TIMEOUT=$((90 + cycles * 8))
mkdir -p "$T/soak"
watch_console &
watcher=$!
at_exit "kill $watcher 2>/dev/null"
e2e_run soak >"$T/soak.log" 2>&1
rc=$?
sleep 1
kill "$watcher" 2>/dev/null
done_cycles=$(tr -d '\r' <"$T/soak/console.log" | sed -n 's/^soak: \([0-9]*\) cycles$/\1/p')
if [ $rc != 0 ]; then
	cat "$T/soak.log"
	fail "the guest run failed after ${done_cycles:-?} of $cycles cycles"
fi
[ "$done_cycles" = "$cycles" ] || fail "the guest did $done_cycles of $cycles cycles"
[ "$(wc -l <"$T/samples" 2>/dev/null)" = 2 ] || fail "no samples of the back-end in the pauses"
# How often the frontend's late look saved this guest (a signal it asked for after our
# check; frontend/virtq.c): the count in the last such line, a lower bound, since the
# lines are rate-limited.
late=$(sed -n 's/.*sent late (\([0-9]*\) so far).*/\1/p' "$T/soak/backend.log" | tail -n 1)
echo "signals sent late by the frontend's look: at least ${late:-0}"
echo "cycle fds threads rss_anon_kib"
cat "$T/samples"
read -r _ fds1 thr1 rss1 < <(sed -n 1p "$T/samples")
read -r _ fdsn thrn rssn < <(sed -n 2p "$T/samples")
[ "$fds1" = "$fdsn" ] || fail "fds $fds1 after cycle 1, $fdsn after cycle $cycles"
[ "$thr1" = "$thrn" ] || fail "threads $thr1 after cycle 1, $thrn after cycle $cycles"
[ $((rssn - rss1)) -le "$rss_tolerance" ] ||
	fail "RssAnon grew by $((rssn - rss1)) KiB in $cycles cycles (at most $rss_tolerance)"
pass "$cycles mount/load/umount cycles in one boot; fds and threads as after cycle 1," \
    "RssAnon +$((rssn - rss1)) KiB"
