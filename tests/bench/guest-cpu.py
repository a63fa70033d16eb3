#!/usr/bin/env python3
"""CPU time of a back-end per in-guest workload, for guest-bench.sh.

Usage: guest-cpu.py PIDFILE CONSOLE OUT

Watches the back-end whose pid run-guest.sh writes to PIDFILE (privfsd's broker or a
virtiofsd) and every process below it, and the guest's console log. guest-load prints
"GBEGIN <workload>" and then waits half a second before it starts, and
"GBENCH <workload> ..." when it is done; the back-end's CPU time (user + system, all
its processes and threads, reaped children included) between the two lines is that
workload's. Writes "GCPU <workload> <seconds>" lines to OUT as they are known. The
quiet half second is what makes a look every POLL seconds exact enough: the lines are
seen up to POLL late, while nothing runs. Ends when the guest prints E2E-END or when
killed.
"""
import os
import sys
import time

POLL = 0.05
RESCAN = 10
TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.rindex(")") + 2:].split()


def read_root(pidfile):
    try:
        with open(pidfile) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def tree(root):
    """ROOT and every process below it."""
    parent = {}
    for d in os.listdir("/proc"):
        f = stat_fields(d) if d.isdigit() else None
        if f is not None:
            parent[int(d)] = int(f[1])
    members = []
    for pid in parent:
        p = pid
        while p in parent and p != root and p > 1:
            p = parent[p]
        if p == root:
            members.append(pid)
    return members


def cpu_of(pids):
    """Seconds of CPU of PIDS (their threads and reaped children too)."""
    total = 0
    for pid in pids:
        f = stat_fields(pid)
        if f is not None:
            # after the name: state(3) ppid(4) ... utime(14) stime cutime cstime(17)
            total += sum(int(x) for x in f[11:15])
    return total / TICK


def main():
    pidfile, console, out = sys.argv[1:4]
    root, pos, partial, begun, done = None, 0, b"", {}, set()
    members, polls = [], 0
    with open(out, "w") as o:
        while True:
            if root is None:
                root = read_root(pidfile)
            # The whole of /proc costs a millisecond or so: only every RESCAN looks.
            if root is not None and polls % RESCAN == 0:
                members = tree(root)
            polls += 1
            cpu = cpu_of(members)
            try:
                with open(console, "rb") as f:
                    f.seek(pos)
                    data = f.read()
            except OSError:
                data = b""
            pos += len(data)
            lines = (partial + data).split(b"\n")
            partial = lines.pop()
            for raw in lines:
                w = raw.replace(b"\r", b"").decode(errors="replace").split()
                # The guest prints its lines once more at the end: the first count.
                if len(w) >= 2 and w[0] == "GBEGIN" and w[1] not in done:
                    begun[w[1]] = cpu
                elif len(w) >= 2 and w[0] == "GBENCH" and w[1] in begun:
                    done.add(w[1])
                    o.write(f"GCPU {w[1]} {cpu - begun.pop(w[1]):.2f}\n")
                    o.flush()
                elif w[:1] == ["E2E-END"]:
                    return
            time.sleep(POLL)


if __name__ == "__main__":
    main()
