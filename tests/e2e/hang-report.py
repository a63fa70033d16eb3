#!/usr/bin/env python3
# What a guest run that timed out was waiting for, written before run-guest.sh kills QEMU:
# each back-end thread's state, kernel wait channel, system call and kernel stack (root
# reads /proc/PID/task/TID/stack), then QEMU's view of every virtio device's rings over
# its QMP socket, with each ring's indices as they are in guest memory: an avail index
# ahead of the used one is a request the back-end has not answered; the two equal with the
# guest still waiting points at a signal (or at the guest). Then each virtio PCI device's
# MSI-X vectors as the guest left them (QEMU's virtio-pci keeps the table at the start of
# BAR1 and the pending bits at 0x800): a signal QEMU raised on a vector the guest masked is
# a pending bit there; an unmasked vector with nothing pending was delivered, or never raised.
#
# Each process's eventfds are listed with their kernel id and count, so that the back-end's
# call fd can be found in QEMU's list (pass QEMU's pid too) and a signal written but never
# read shows.
#
# Usage: hang-report.py QMP_SOCKET PID...   (QMP_SOCKET may be "-" for none)
import os
import re
import sys

import qmp  # beside this script


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return "(%s)" % e.strerror


def numbered(path):
    """The numbered entries of a /proc directory, in order; none (and a line) if gone."""
    try:
        return sorted(os.listdir(path), key=int)
    except OSError as e:
        print("(%s: %s)" % (path, e.strerror))
        return []


def threads(pid):
    print("=== process %s: %s" % (pid, read("/proc/%s/cmdline" % pid).replace("\0", " ")))
    for tid in numbered("/proc/%s/task" % pid):
        t = "/proc/%s/task/%s" % (pid, tid)
        state = re.search(r"^State:\s*(.*)$", read(t + "/status"), re.M)
        print("--- task %s %s state=%s wchan=%s syscall=%s" % (
            tid, read(t + "/comm"), state.group(1) if state else "?", read(t + "/wchan"),
            read(t + "/syscall")))
        print(read(t + "/stack"))
    eventfds(pid)


def eventfds(pid):
    """Each eventfd the process holds, with the kernel's id for it (the same in every
    process that holds it: the back-end's call fd is QEMU's guest notifier) and its count:
    a signal written and not yet read shows as a count above 0 (the kernel prints it in
    hex). The frontend never reads its kick fds, so theirs only grow."""
    for fd in numbered("/proc/%s/fd" % pid):
        try:
            if os.readlink("/proc/%s/fd/%s" % (pid, fd)) != "anon_inode:[eventfd]":
                continue
        except OSError:
            continue
        fdinfo = read("/proc/%s/fdinfo/%s" % (pid, fd))
        info = dict(re.findall(r"^(eventfd-\w+):\s*(\S+)", fdinfo, re.M))
        print("  eventfd fd %s: id %s count 0x%s" % (fd, info.get("eventfd-id", "?"),
                                                     info.get("eventfd-count", "?")))


def report(path, commands):
    call = qmp.connect(path, timeout=10)
    for line in commands(lambda c: call({"execute": "human-monitor-command",
                                         "arguments": {"command-line": c}})):
        print(line)


def rings(hmp):
    listing = hmp("info virtio").get("return", "")
    yield "=== info virtio\n" + listing
    for path in re.findall(r"^(/\S+)", listing, re.M):
        for q in range(3):
            for what in ("virtio-queue-status", "virtio-vhost-queue-status"):
                m = hmp("info %s %s %d" % (what, path, q))
                text = m.get("return", str(m.get("error")))
                yield "=== info %s %s %d\n%s" % (what, path, q, text)
                if what == "virtio-vhost-queue-status":
                    yield from indices(hmp, text)


def indices(hmp, status):
    """The split ring's indices as they are in guest memory (a vhost device's own)."""
    f = dict(re.findall(r"^\s*(num|avail_phys|used_phys):\s*(\S+)", status, re.M))
    if len(f) < 3:
        return
    num, avail, used = int(f["num"]), int(f["avail_phys"], 16), int(f["used_phys"], 16)
    for what, addr in (("avail flags, idx", avail), ("used_event", avail + 4 + 2 * num),
                       ("used flags, idx", used), ("avail_event", used + 4 + 8 * num)):
        m = hmp("xp /%dhx %#x" % (1 if "event" in what else 2, addr))
        yield "  guest memory, %s: %s" % (what, m.get("return", "").strip())


def msix(hmp):
    """Each virtio PCI device's MSI-X table (address, data, control) and pending bits."""
    listing = hmp("info pci").get("return", "")
    for dev in re.split(r"\n(?=\s*Bus\s)", listing):
        if "PCI device 1af4:" not in dev:
            continue
        bar = re.search(r"BAR1: 32 bit memory at (0x[0-9a-f]+)", dev)
        if bar is None:
            continue
        base = int(bar.group(1), 16)
        yield "=== MSI-X of %s (address, upper address, data, control: bit 0 masked)" % (
            " ".join(dev.split()[:6]).rstrip(":"))
        for i in range(64):     # entries until the table ends
            text = hmp("xp /4wx %#x" % (base + 16 * i)).get("return", "")
            if "Cannot access" in text or not text.strip():
                break
            yield "  vector %d: %s" % (i, text.strip())
        m = hmp("xp /2wx %#x" % (base + 0x800))
        yield "  pending bits: %s" % m.get("return", str(m.get("error"))).strip()


def everything(hmp):
    yield from rings(hmp)
    yield from msix(hmp)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: hang-report.py QMP_SOCKET PID...")
    for pid in sys.argv[2:]:
        threads(pid)
    if sys.argv[1] != "-":
        try:
            report(sys.argv[1], everything)
        except (OSError, ValueError) as e:
            print("=== QMP %s: %s" % (sys.argv[1], e))


main()
