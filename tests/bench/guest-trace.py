#!/usr/bin/env python3
"""Where an in-guest request's time goes, for guest-bench.sh (GUEST_BENCH_TRACE).

Usage: perf sched timehist -w -i DATA | guest-trace.py TIDS

TIDS is a file with the back-end's thread ids, one a line (all its processes). The input
is a whole-host scheduler trace taken while the guest ran one workload with one request
at a time. One request is a cycle of three wake-ups:

  kick   a QEMU thread other than the main one (the vCPU thread: under TCG it writes the
         kick eventfd itself) wakes a back-end thread;
  call   a back-end thread wakes QEMU's main thread (its call eventfd, which the main
         loop turns into the guest's interrupt);
  vcpu   QEMU's main thread wakes a vCPU thread.

Prints GBENCH lines in guest-load's format, medians in microseconds a cycle:
trace_kick_call (the back-end's turn, from the kick to its answer), trace_call_vcpu
(QEMU's turn, from the answer to the guest's vCPU woken), trace_vcpu_kick (the guest's
turn, to its next kick) and trace_backend_run (the back-end's threads' run time over
the trace, per cycle). A wake-up that does not fit the cycle (a timer, a kick without an
answer) is skipped and its cycle dropped, not guessed at; the one kick waking two
threads (privfsd's frontend and its worker's kick watch) counts once.
"""
import re
import statistics
import sys

TASK = r'(\S.*?)\[(\d+)(?:/(\d+))?\]'
WAKE = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+' + TASK + r'\s+awakened: ' + TASK)
# A second back-end thread woken this soon after a kick was woken by the same kick
# (privfsd's frontend and worker: 6 us apart in the traces of 2026-12-07).
SAME_KICK_US = 50
RUN = re.compile(r'\s*([\d.]+)\s+\[\d+\]\s+' + TASK + r'\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$')


def kind(comm, tid, pid, backend):
    """'backend', 'main' (QEMU's main thread), 'vcpu' (another QEMU thread) or None."""
    if tid in backend:
        return 'backend'
    if comm.startswith('qemu'):
        return 'main' if pid is None or pid == tid else 'vcpu'
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: guest-trace.py TIDS < timehist')
    with open(sys.argv[1]) as f:
        backend = {int(x) for x in f.read().split()}
    spans = {'kick_call': [], 'call_vcpu': [], 'vcpu_kick': []}
    run_ms = 0.0
    kick = call = vcpu = guest = None
    cycles = 0
    for line in sys.stdin:
        m = WAKE.match(line)
        if m is None:
            r = RUN.match(line)
            if r is not None and int(r.group(3)) in backend:
                run_ms += float(r.group(7))
            continue
        t = float(m.group(1)) * 1e6
        who = kind(m.group(2), int(m.group(3)), m.group(4) and int(m.group(4)), backend)
        whom = kind(m.group(5), int(m.group(6)), m.group(7) and int(m.group(7)), backend)
        if who == 'vcpu' and whom == 'backend':
            if kick is not None and call is None and t - kick < SAME_KICK_US:
                continue		# the same kick waking a second thread
            # The guest's turn counts once this kick is answered.
            guest = t - vcpu if vcpu is not None else None
            kick, call, vcpu = t, None, None
        elif who == 'backend' and whom == 'main' and kick is not None and call is None:
            call = t
            spans['kick_call'].append(t - kick)
            if guest is not None:
                spans['vcpu_kick'].append(guest)
        elif who == 'main' and whom == 'vcpu' and call is not None and vcpu is None:
            vcpu = t
            spans['call_vcpu'].append(t - call)
            cycles += 1
    if cycles == 0:
        sys.exit('guest-trace.py: no request cycle in the trace')
    for name, values in spans.items():
        print('GBENCH trace_%s us/cycle %.4g' % (name, statistics.median(values)))
    print('GBENCH trace_backend_run us/cycle %.4g' % (run_ms * 1e3 / cycles))


if __name__ == '__main__':
    main()
