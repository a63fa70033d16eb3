#!/usr/bin/env python3
# Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/{fuse,chain,xattrmap,idmap,
# options,brokermsg,vhost,wreq,reqring})
# in the input layouts their header comments describe: a well-formed case per FUSE opcode
# with a worker answer of the right type, a few descriptor chain shapes, and the rule sets
# of tests/worker/ops-xattrmap.c, command lines, children's messages to the broker, vhost-user
# sessions and worker request sessions. Usage: mkseeds.py [CORPUS-DIR]. Inputs found by fuzzing
# (crash-*) live beside these and are not rewritten.
import os
import struct
import sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def write(target, name, data):
    d = os.path.join(top, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuse ----
# INIT flags: ASYNC_READ POSIX_LOCKS FLOCK_LOCKS DO_READDIRPLUS WRITEBACK_CACHE POSIX_ACL
# MAX_PAGES HANDLE_KILLPRIV_V2 SETXATTR_EXT INIT_EXT, flags2 SECURITY_CTX.
INIT_FLAGS = (1 | 2 | 1 << 10 | 1 << 13 | 1 << 16 | 1 << 20 | 1 << 22 | 1 << 28 |
              1 << 29 | 1 << 30 | 1 << 32)
# Config byte: bits 0-1 cache, then SECURITY_LABEL XATTR POSIX_ACL WRITEBACK KILLPRIV_V2.
CFG_PLAIN = 0x08
CFG_ALL = 0x04 | 0x08 | 0x10 | 0x20 | 0x40

# Reply type index (IMSG_WORKER_REPLY_STATUS + n) and payload size.
STATUS, ENTRY, ATTR, OPEN, CREATE, COUNT, DATA, STATFS, DIRENTS, LOCK = range(10)
ATTR_SIZE = 8 * 6 + 4 * 8 + 8	# msg_attr as msg.h lays it out (checked by the length)
SIZES = {STATUS: 0, ENTRY: 16 + ATTR_SIZE, ATTR: ATTR_SIZE, OPEN: 16,
         CREATE: 16 + ATTR_SIZE + 16, COUNT: 8, STATFS: 56, LOCK: 24}


def header(cfg=CFG_PLAIN, flags=INIT_FLAGS, minor=38):
    return struct.pack("<BBQ", cfg, minor, flags)


def inhdr(op, nodeid, arglen, unique=2):
    # fuse_in_header: len opcode unique nodeid uid gid pid total_extlen padding
    return struct.pack("<IIQQIIIHH", 40 + arglen, op, unique, nodeid, 1000, 100, 42, 0, 0)


def record(op, nodeid, args, wrlen, ctl=0x08, nseg=0, replies=()):
    body = inhdr(op, nodeid, len(args)) + args
    out = struct.pack("<BHHB", ctl, len(body), wrlen, nseg) + body
    if ctl & 0x08:
        for rt, err, payload in replies:
            out += struct.pack("<Bb", rt, err)
            if rt in (DATA, DIRENTS):
                extra = len(payload) - (8 if rt == DIRENTS else 0)
                out += struct.pack("<H", extra)
            out += payload
    return out


def z(n):
    return b"\0" * n


def attr(mode=0o100644, ino=99):
    a = struct.pack("<QQQqqqIIIIIII", ino, 4096, 8, 1, 2, 3, 0, 0, 0, mode, 1, 1000, 100)
    return a + z(ATTR_SIZE - len(a))


def entry(mode=0o100644):
    return struct.pack("<QQ", 7, 1) + attr(mode)


def opened():
    return struct.pack("<QII", 5, 0, 0)


def dirents(names):
    out = struct.pack("<II", len(names), 0)
    for i, n in enumerate(names):
        out += struct.pack("<QQII", 10 + i, i + 1, 8, len(n)) + n
    return out


def rep(rt, payload=None, err=0):
    return (rt, err, payload if payload is not None else z(SIZES.get(rt, 0)))


S = b"\0"
OPS = {
    "lookup": (1, 1, b"foo" + S, 16 + 128, [rep(ENTRY, entry())]),
    "getattr": (3, 2, z(16), 16 + 104, [rep(ATTR, attr())]),
    "setattr": (4, 2, struct.pack("<II", 1 | 8, 0) + z(80), 16 + 104, [rep(ATTR, attr())]),
    "readlink": (5, 2, b"", 16 + 4096, [rep(DATA, b"/target")]),
    "symlink": (6, 1, b"ln" + S + b"/etc/passwd" + S, 16 + 128, [rep(ENTRY, entry(0o120777))]),
    "mknod": (8, 1, struct.pack("<IIII", 0o10644, 0, 0o22, 0) + b"fifo" + S, 16 + 128,
              [rep(ENTRY, entry(0o10644))]),
    "mkdir": (9, 1, struct.pack("<II", 0o755, 0o22) + b"dir" + S, 16 + 128,
              [rep(ENTRY, entry(0o40755))]),
    "unlink": (10, 1, b"x" + S, 16, [rep(STATUS)]),
    "rmdir": (11, 1, b"d" + S, 16, [rep(STATUS, err=39)]),
    "rename": (12, 1, struct.pack("<Q", 1) + b"a" + S + b"b" + S, 16, [rep(STATUS)]),
    "link": (13, 1, struct.pack("<Q", 2) + b"hard" + S, 16 + 128, [rep(ENTRY, entry())]),
    "open": (14, 2, struct.pack("<II", 2, 0), 16 + 16, [rep(OPEN, opened())]),
    "read": (15, 2, struct.pack("<QQIIQII", 5, 0, 4096, 0, 0, 0, 0), 16 + 4096,
             [rep(COUNT, struct.pack("<Q", 100))]),
    "write": (16, 2, struct.pack("<QQIIQII", 5, 0, 8, 0, 0, 0, 0) + b"abcdefgh", 16 + 8,
              [rep(COUNT, struct.pack("<Q", 8))]),
    "statfs": (17, 1, b"", 16 + 80, [rep(STATFS, struct.pack("<QQQQQIIII", 100, 50, 50, 10, 5,
                                                               4096, 255, 4096, 0))]),
    "release": (18, 2, struct.pack("<QIIQ", 5, 0, 0, 0), 16, [rep(STATUS)]),
    "fsync": (20, 2, struct.pack("<QII", 5, 1, 0), 16, [rep(STATUS)]),
    "setxattr": (21, 2, struct.pack("<IIII", 3, 0, 0, 0) + b"user.k" + S + b"abc", 16,
                 [rep(STATUS)]),
    "getxattr": (22, 2, struct.pack("<II", 64, 0) + b"user.x" + S, 16 + 64,
                 [rep(DATA, b"value")]),
    "getxattr-size": (22, 2, struct.pack("<II", 0, 0) + b"user.x" + S, 16 + 8,
                      [rep(COUNT, struct.pack("<Q", 5))]),
    "listxattr": (23, 2, struct.pack("<II", 64, 0), 16 + 64,
                  [rep(DATA, b"user.a\0user.b\0")]),
    "removexattr": (24, 2, b"user.x" + S, 16, [rep(STATUS)]),
    "flush": (25, 2, struct.pack("<QIIQ", 5, 0, 0, 0), 16, [rep(STATUS)]),
    "opendir": (27, 1, struct.pack("<II", 0o200000, 0), 16 + 16, [rep(OPEN, opened())]),
    "readdir": (28, 1, struct.pack("<QQIIQII", 5, 0, 4096, 0, 0, 0, 0), 16 + 4096,
                [rep(DIRENTS, dirents([b".", b"..", b"file"]))]),
    "releasedir": (29, 1, struct.pack("<QIIQ", 5, 0, 0, 0), 16, [rep(STATUS)]),
    "fsyncdir": (30, 1, struct.pack("<QII", 5, 0, 0), 16, [rep(STATUS)]),
    "getlk": (31, 2, struct.pack("<QQQQIIII", 5, 0, 0, 100, 1, 42, 0, 0), 16 + 24,
              [rep(LOCK, struct.pack("<QQII", 0, 100, 2, 0))]),
    "setlk": (32, 2, struct.pack("<QQQQIIII", 5, 0, 0, 100, 1, 42, 0, 0), 16, [rep(STATUS)]),
    "setlkw": (33, 2, struct.pack("<QQQQIIII", 5, 0, 0, 100, 1, 42, 0, 0), 16, [rep(STATUS)]),
    "access": (34, 2, struct.pack("<II", 4, 0), 16, [rep(STATUS)]),
    "create": (35, 1, struct.pack("<IIII", 0o102, 0o100644, 0o22, 0) + b"f" + S, 16 + 144,
               [rep(CREATE, entry() + opened())]),
    "interrupt": (36, 0, struct.pack("<Q", 2), 16, []),
    "destroy": (38, 0, b"", 16, [rep(STATUS)]),
    "fallocate": (43, 2, struct.pack("<QQQII", 5, 0, 4096, 0, 0), 16, [rep(STATUS)]),
    "readdirplus": (44, 1, struct.pack("<QQIIQII", 5, 0, 4096, 0, 0, 0, 0), 16 + 4096,
                    [rep(DIRENTS, dirents([b"a", b"bb"]))]),
    "rename2": (45, 1, struct.pack("<QII", 1, 1, 0) + b"a" + S + b"b" + S, 16, [rep(STATUS)]),
    "lseek": (46, 2, struct.pack("<QQII", 5, 0, 3, 0), 16 + 8,
              [rep(COUNT, struct.pack("<Q", 4096))]),
    "copy_file_range": (47, 2, struct.pack("<QQQQQQQ", 5, 0, 3, 6, 0, 4096, 0), 16 + 8,
                        [rep(COUNT, struct.pack("<Q", 4096))]),
    "setupmapping": (48, 2, struct.pack("<QQQQQ", 5, 0, 2 << 20, 3, 0), 16, [rep(STATUS)]),
    "removemapping": (49, 1, struct.pack("<I", 1) + struct.pack("<QQ", 0, 4096), 16,
                      [rep(STATUS)]),
    "syncfs": (50, 1, z(8), 16, [rep(STATUS)]),
    "tmpfile": (51, 1, struct.pack("<IIII", 0o2, 0o100600, 0o22, 0) + b"t" + S, 16 + 144,
                [rep(CREATE, entry() + opened())]),
    "ioctl": (39, 2, z(32), 16, []),
    "unknown": (4095, 1, b"", 16, []),
}

for name, (op, node, args, wr, reps) in OPS.items():
    write("fuse", "op-" + name, header() + record(op, node, args, wr, replies=reps))

# Every opcode once in one session, with the config that enables the most.
session = header(CFG_ALL)
for name, (op, node, args, wr, reps) in OPS.items():
    if name != "destroy":
        session += record(op, node, args, wr, replies=reps)
write("fuse", "session-all", session)

# Split segments, hiprio FORGET/BATCH_FORGET, a device reset mid-request, a bad in.len.
write("fuse", "segments", header() +
      record(15, 2, struct.pack("<QQIIQII", 5, 0, 6000, 0, 0, 0, 0), 16 + 8192, nseg=0x32,
             replies=[rep(COUNT, struct.pack("<Q", 6000))]) +
      record(16, 2, struct.pack("<QQIIQII", 5, 0, 300, 0, 0, 0, 0) + z(300), 24, nseg=0x02,
             replies=[rep(COUNT, struct.pack("<Q", 300))]))
write("fuse", "hiprio", header() +
      record(2, 7, struct.pack("<Q", 3), 0, ctl=0x01) +
      record(42, 0, struct.pack("<II", 2, 0) + struct.pack("<QQ", 7, 1) * 2, 0, ctl=0x01))
write("fuse", "reset", header() +
      record(1, 1, b"x" + S, 16 + 128, ctl=0x00) +
      record(3, 1, z(16), 16 + 104, ctl=0x18, replies=[rep(ENTRY, entry()), rep(ATTR, attr())]))
write("fuse", "secctx", header(CFG_ALL) +
      record(35, 1, struct.pack("<IIII", 0o302, 0o100644, 0o22, 0) + b"f" + S +
             struct.pack("<II", 8 + 32, 1) + struct.pack("<II", 4, 0) +
             b"security.selinux\0ctx1\0\0\0", 16 + 144,
             replies=[rep(CREATE, entry() + opened())]))
write("fuse", "wrong-replies", header() +
      record(1, 1, b"foo" + S, 16 + 128, replies=[(ATTR | 0x10, 0, z(SIZES[ATTR])),
                                                 (ATTR, 0, z(SIZES[ATTR]))]) +
      record(28, 1, struct.pack("<QQIIQII", 5, 0, 100, 0, 0, 0, 0), 16 + 100,
             replies=[rep(DIRENTS, dirents([b"a/b"]))]))

# ---- chain ----
def desc(addr, length, flags, nxt):
    return struct.pack("<QIHH", addr, length, flags, nxt)


NEXT, WRITE, INDIRECT = 1, 2, 4


def chain(num, head, indirect, r0, gap, table, rest=b""):
    mem = table + z(max(0, 16 * num - len(table))) + rest
    return struct.pack("<HHBHB", num - 1, head, indirect, r0, gap) + mem


# Two descriptors: a readable header and a writable reply buffer.
write("chain", "simple", chain(4, 0, 0, 4096, 1,
                               desc(256, 40, NEXT, 1) + desc(512, 100, WRITE, 0)))
# A buffer that crosses from region 0 into region 1 (regions 2 KiB + gap 4 KiB).
write("chain", "split", chain(4, 1, 0, 2048, 1,
                              z(16) + desc(2000, 48, NEXT, 2) + desc(2048 + 4096, 64, WRITE, 0)))
# An indirect table of three entries at gpa 1024.
itab = desc(256, 40, NEXT, 1) + desc(300, 20, NEXT, 2) + desc(512, 200, WRITE, 0)
write("chain", "indirect", chain(8, 0, 1, 4096, 0, desc(1024, 48, INDIRECT, 0) +
                                 z(1024 - 16) + itab))
# A loop, and NEXT past the table.
write("chain", "loop", chain(2, 0, 0, 4096, 0, desc(64, 8, NEXT, 1) + desc(64, 8, NEXT, 0)))
write("chain", "next-range", chain(2, 0, 0, 4096, 0, desc(64, 8, NEXT, 9)))
# A readable descriptor after a writable one; a region at the top of the address space.
write("chain", "order", chain(2, 0, 0, 4096, 0, desc(64, 8, WRITE | NEXT, 1) +
                              desc(64, 8, 0, 0)))
write("chain", "top", chain(2, 0, 0, 4096, 0xff, desc((1 << 64) - 100, 200, 0, 0)))

# ---- xattrmap ----
RULES = [
    "", "  \n ", ":ok:all:::", ":bogus:all:::", ":ok:nowhere:::", ":ok:all::",
    ":ok:all:::x", ":map:a.:b.::ok:all:::", "/ok/all/:/:/",
    ":prefix:all::user.virtiofs.::bad:all:::", ":map:trusted.:user.virtiofs.:",
    ":map::user.g.:", ":ok:client:user.::",
    ":prefix:client:trusted.:user.virtiofs.:\n:bad:server:user.virtiofs.::\n"
    ":unsupported:all:security.::\n:ok:all:::",
]
NAMES = [b"user.x", b"trusted.overlay.opaque", b"security.selinux",
         b"user.virtiofs.trusted.a", b"system.posix_acl_access", b""]
for i, r in enumerate(RULES):
    data = r.encode() + S
    for k, n in enumerate(NAMES):
        data += bytes([255 if k % 2 == 0 else 16]) + n + S
    write("xattrmap", "rules-%02d" % i, data)

# ---- idmap ----
IDMAPS = [
    [b"\0map:0:1000:1"], [b"\0guest:1000:100000:65536", b"\0host:0:0:1"],
    [b"\0squash-guest:0:65534:4294967295"], [b"\0forbid-guest:5:10", b"\0forbid-guest:5:0:3"],
    [b"\1:0:1000:1:", b"\1:1:2:3"], [b"\0squash-host:0:0:1", b"\0map:4294967295:0:2"],
    [b"\0map:%d:%d:1" % (i, i) for i in range(9)],
]
for i, vals in enumerate(IDMAPS):
    write("idmap", "values-%02d" % i, b"\0".join(vals))

# ---- options ----
# Command lines as the tests, libvirt and the two virtiofsd styles write them.
ARGVS = [
    ["--shared-dir=/tmp", "--socket-path=/tmp/vfs.sock"],
    ["--shared-dir", "/tmp", "--fd=3", "--cache=never", "--sandbox=none", "--seccomp=log"],
    ["-o", "source=/tmp,cache=none,xattr,no_posix_lock,flock", "--socket-path=/tmp/s"],
    ["-osource=/tmp,,x,xattrmap=:ok:all:::", "--fd", "4", "-d", "-f"],
    ["--shared-dir=/tmp", "--socket-path=/tmp/s", "--socket-group=root", "--posix-acl",
     "--security-label", "--no-announce-submounts", "--killpriv-v2", "--writeback",
     "--allow-direct-io", "--readonly", "--preserve-noatime", "--syslog"],
    ["--shared-dir=/tmp", "--socket-path=/tmp/s", "--translate-uid=map:0:1000:1",
     "--translate-gid=guest:1000:100000:65536", "--uid-map=:0:1000:1:", "--gid-map=:1:2:3:"],
    ["--shared-dir=/tmp", "--fd=5", "--rlimit-nofile=4096", "--memory-budget=64",
     "--thread-pool-size=0", "--inode-file-handles=prefer", "--inode-numbers=hashed",
     "--log-level=debug", "--xattrmap=:prefix:all::user.virtiofs.::bad:all:::"],
    ["--shared-dir=/tmp", "--socket-path=/tmp/s", "-o", "no_readdirplus,readdirplus,"
     "posix_acl,no_xattr,log_level=warn,sandbox=chroot,timeout=5,max_idle_threads=2"],
    ["--help"], ["-V"], ["--print-capabilities"], ["--modcaps=+sys_admin"],
    ["--shared-dir=/tmp", "--socket-path=/tmp/s", "--fd=3"],
    ["--socket=/tmp/s", "-o", "source=/tmp\\,x", "--foreground", "--version"],
]
for i, argv in enumerate(ARGVS):
    write("options", "argv-%02d" % i, b"\0".join(a.encode() for a in argv))

# ---- brokermsg ----
FE_MEM_ADD, FE_MEM_DEL, FE_MEM_COMMIT, FE_BACKEND, WK_DAX_MAP, WK_DAX_UNMAP = range(6)
FE_DIRECT_RING, FE_DIRECT_KICK = 8, 9
FD_NONE, FD_MEMFD, FD_SOCKET, FD_PIPE, FD_NULL, FD_DIR, FD_EVENTFD = range(7)


def bmsg(ctl, t, payload, fd=FD_NONE, memsize=0):
    out = struct.pack("<BBHB", ctl, t, len(payload), fd)
    if fd == FD_MEMFD:
        out += struct.pack("<I", memsize)
    return out + payload


def region(gen, slot, gpa, size, uaddr, off):
    return struct.pack("<IIQQQQ", gen, slot, gpa, size, uaddr, off)


write("brokermsg", "mem-table",
      bmsg(0, FE_MEM_DEL, struct.pack("<II", 2, 0)) +
      bmsg(0, FE_MEM_ADD, region(2, 0, 0, 1 << 20, 0x7f0000000000, 0), FD_MEMFD, 1 << 20) +
      bmsg(0, FE_MEM_ADD, region(2, 1, 1 << 32, 4096, 0x7f1000000000, 4096), FD_MEMFD, 8192) +
      bmsg(0, FE_MEM_COMMIT, struct.pack("<II", 2, 2)))
write("brokermsg", "mem-short", bmsg(0, FE_MEM_ADD, region(1, 0, 0, 8192, 0, 4096),
                                     FD_MEMFD, 8192))
write("brokermsg", "mem-notfile", bmsg(0, FE_MEM_ADD, region(1, 0, 0, 4096, 0, 0), FD_PIPE))
write("brokermsg", "mem-slot", bmsg(0, FE_MEM_DEL, struct.pack("<II", 1, 509)))
write("brokermsg", "mem-gone", bmsg(2, FE_MEM_ADD, region(1, 0, 0, 4096, 0, 0), FD_MEMFD, 4096) +
      bmsg(2, FE_MEM_COMMIT, struct.pack("<II", 1, 1)))
write("brokermsg", "backend", bmsg(0, FE_BACKEND, b"", FD_SOCKET) +
      bmsg(0, FE_BACKEND, b"", FD_SOCKET) + bmsg(0, FE_BACKEND, b"", FD_NULL))
write("brokermsg", "dax", bmsg(1, WK_DAX_MAP, struct.pack("<QQQQII", 7, 0, 0, 2 << 20, 1, 0),
                               FD_MEMFD, 4096) +
      bmsg(1, WK_DAX_UNMAP, struct.pack("<QQQ", 8, 0, 2 << 20)) +
      bmsg(1, WK_DAX_MAP, struct.pack("<QQQQII", 9, 0, 0, 4096, 1, 0), FD_DIR))
write("brokermsg", "unknown", bmsg(0, 0xff, b"", FD_NONE)[:4] + b"\0" + struct.pack("<I", 99))
write("brokermsg", "wrong-size", bmsg(0, FE_MEM_COMMIT, z(9)))
write("brokermsg", "fd-where-none", bmsg(1, WK_DAX_UNMAP, z(24), FD_NULL))


def direct_ring(queue, gen, num):
    return struct.pack("<IIII", queue, gen, num, 1) + \
        struct.pack("<IIQ", 0, 6 + 8 * num, 0x1000) + struct.pack("<IIQ", 0, 6 + 2 * num, 0)


write("brokermsg", "direct", bmsg(0, FE_DIRECT_RING, direct_ring(1, 3, 128), FD_EVENTFD) +
      bmsg(0, FE_DIRECT_KICK, struct.pack("<II", 1, 3), FD_EVENTFD))
write("brokermsg", "direct-kick-pipe", bmsg(0, FE_DIRECT_KICK, struct.pack("<II", 1, 3), FD_PIPE))
write("brokermsg", "direct-kick-range", bmsg(0, FE_DIRECT_KICK, struct.pack("<II", 9, 3),
                                             FD_EVENTFD))
write("brokermsg", "direct-ring-size", bmsg(0, FE_DIRECT_RING, direct_ring(1, 3, 100),
                                            FD_EVENTFD))

# ---- vhost ----
# Ops: 0 message, 1 poke, 2 kick, 3 complete, 4 ready. Fd kinds: 0 eventfd, 1 memfd
# (then pages - 1), 2 socket, 3 pipe, 4 /dev/null.
EVENTFD, MEMFD, SOCKET = 0, 1, 2
UADDR = 0x7f0000000000


def vmsg(req, payload=b"", fds=(), need_reply=1):
    out = struct.pack("<BBBHB", 0, req, need_reply, len(payload), len(fds))
    for f in fds:
        out += bytes(f)
    return out + payload


def poke(mem, off, data):
    return struct.pack("<BBIB", 1, mem, off, len(data)) + data


def u64(v):
    return struct.pack("<Q", v)


def state(i, n):
    return struct.pack("<II", i, n)


def vregion(gpa, size, uaddr, off):
    return struct.pack("<QQQQ", gpa, size, uaddr, off)


FEATURES = 1 << 32 | 1 << 28 | 1 << 29 | 1 << 30
PROTOCOL = 1 | 8 | 32 | 1024 | 32768 | 8192
KICK, COMPLETE, READY = b"\x02", b"\x03", b"\x04"


def ring_setup(q, num, desc, avail, used, evbase):
    """SET_VRING_* for queue q; its call, err and kick eventfds are evbase..evbase+2."""
    return (vmsg(8, state(q, num)) +
            vmsg(9, struct.pack("<IIQQQQ", q, 0, UADDR + desc, UADDR + used, UADDR + avail,
                                0)) +
            vmsg(10, state(q, 0)) +
            vmsg(13, u64(q), [(EVENTFD,)]) + vmsg(14, u64(q), [(EVENTFD,)]) +
            vmsg(12, u64(q), [(EVENTFD,)]) + vmsg(18, state(q, 1)))


def session(features=FEATURES, descs=None, indirect=b""):
    s = (vmsg(1) + vmsg(2, u64(features)) + vmsg(15) + vmsg(16, u64(PROTOCOL)) + vmsg(3) +
         vmsg(17) + vmsg(36) + vmsg(21, b"", [(SOCKET,)]) +
         vmsg(5, struct.pack("<II", 1, 0) + vregion(0, 0x10000, UADDR, 0), [(MEMFD, 15)]) +
         READY)
    if descs is None:
        descs = (desc(0x4000, 64, NEXT, 1) + desc(0x5000, 128, WRITE, 0))
    s += poke(0, 0x1000, descs) + poke(0, 0x6000, indirect) if indirect else \
        poke(0, 0x1000, descs)
    s += poke(0, 0x2000, struct.pack("<HHH", 0, 1, 0))
    s += ring_setup(1, 8, 0x1000, 0x2000, 0x3000, 0)
    s += KICK + b"\x02" + COMPLETE + b"\x00" + struct.pack("<I", 16)
    s += poke(0, 0x2000, struct.pack("<HHHH", 0, 3, 0, 0))
    s += KICK + b"\x02"
    return s


write("vhost", "session", session() + vmsg(11, state(1, 0)) + vmsg(34))
write("vhost", "event-idx-off", session(features=1 << 32 | 1 << 30) + vmsg(11, state(1, 0)))
write("vhost", "indirect", session(descs=desc(0x6000, 48, INDIRECT, 0),
                                   indirect=desc(0x4000, 40, NEXT, 1) +
                                   desc(0x4100, 20, NEXT, 2) + desc(0x5000, 200, WRITE, 0)))
write("vhost", "mem-slots", session() +
      vmsg(37, u64(0) + vregion(1 << 32, 0x2000, UADDR + (1 << 32), 0x1000), [(MEMFD, 2)]) +
      READY + vmsg(38, u64(0) + vregion(1 << 32, 0x2000, UADDR + (1 << 32), 0)) + READY +
      vmsg(5, struct.pack("<II", 2, 0) + vregion(0, 0x10000, UADDR, 0) +
           vregion(0x100000, 0x1000, UADDR + 0x100000, 0), [(MEMFD, 15), (MEMFD, 0)]) +
      READY)
write("vhost", "held-reset", session()[:-2] + vmsg(34) + COMPLETE + b"\x00" + u64(0)[:4])
write("vhost", "refused", vmsg(6, u64(0), [(MEMFD, 0)]) + vmsg(24, z(12)) + vmsg(99) +
      vmsg(12, u64(0x100)) + vmsg(13, u64(0x100 | 3)) + vmsg(18, state(0, 2)) +
      vmsg(8, state(2000, 8)) + vmsg(8, state(0, 3)) + vmsg(5, struct.pack("<II", 9, 0)) +
      vmsg(5, struct.pack("<II", 1, 0) + vregion(0, 0, 0, 0), [(MEMFD, 0)]) +
      vmsg(2, u64(1 << 40)) + vmsg(12, u64(1), [(EVENTFD,)] * 9))

# ---- wreq ----
# Request types as offsets from IMSG_FRONTEND_SESSION_INIT (common/msg.h's order).
(W_INIT, W_DESTROY, W_LOOKUP, W_FORGET, W_BATCH_FORGET, W_GETATTR, W_SETATTR, W_READLINK,
 W_SYMLINK, W_MKNOD, W_MKDIR, W_UNLINK, W_RMDIR, W_RENAME, W_LINK, W_OPEN, W_READ, W_WRITE,
 W_STATFS, W_RELEASE, W_FSYNC, W_SETXATTR, W_GETXATTR, W_LISTXATTR, W_REMOVEXATTR, W_FLUSH,
 W_OPENDIR, W_READDIR, W_RELEASEDIR, W_FSYNCDIR, W_GETLK, W_SETLK, W_ACCESS, W_CREATE,
 W_FALLOCATE, W_LSEEK, W_COPY_FILE_RANGE, W_SYNCFS, W_TMPFILE, W_SETUPMAPPING,
 W_REMOVEMAPPING, W_LOCK_WAITS, W_SYNC) = range(43)


def wreq(t, payload=b"", node=0, fh=0):
    """node/fh: 0 root (or none), k the k-th id an earlier reply returned."""
    return struct.pack("<BBBH", t, node, fh, len(payload)) + payload


def ws(s):
    return struct.pack("<I", len(s)) + s


def newnode(mode, umask=0o22, rdev=0, oflags=0, flags=0):
    return struct.pack("<IIIIII", mode, umask, rdev, oflags, flags, 0)


def io(size, off=0, goff=0x1000, niov=1):
    return (struct.pack("<QQIIII", 0, off, size, niov, 0, 0) +
            struct.pack("<IIQ", 0, size, goff) * niov)


RELEASE = struct.pack("<QQII", 0, 0, 0, 0)
write("wreq", "file", wreq(W_LOOKUP, ws(b"f")) + wreq(W_GETATTR, z(16), node=1) +
      wreq(W_OPEN, struct.pack("<II", 2, 0), node=1) +
      wreq(W_READ, io(16), node=1, fh=1) + wreq(W_WRITE, io(8, 4), node=1, fh=1) +
      wreq(W_READ, io(4096, 0, 0xf000), node=1, fh=1) +
      wreq(W_SETATTR, struct.pack("<IIIIQQqqqIIII", 0x8 | 0x200 | 0x1, 0o600, 0, 0, 0, 3,
                                  0, 0, 0, 0, 0, 0, 0), node=1, fh=1) +
      wreq(W_FSYNC, struct.pack("<QII", 0, 1, 0), node=1, fh=1) +
      wreq(W_FLUSH, RELEASE, node=1, fh=1) + wreq(W_RELEASE, RELEASE, node=1, fh=1) +
      wreq(W_FORGET, struct.pack("<Q", 1), node=1))
write("wreq", "dir", wreq(W_LOOKUP, ws(b"d")) + wreq(W_OPENDIR, struct.pack("<II", 0, 0),
                                                      node=1) +
      wreq(W_READDIR, struct.pack("<QQII", 0, 0, 4096, 0), node=1, fh=1) +
      wreq(W_READDIR, struct.pack("<QQII", 0, 0, 4096, 1), node=1, fh=1) +
      wreq(W_RELEASEDIR, RELEASE, node=1, fh=1) +
      wreq(W_MKDIR, newnode(0o40755) + ws(b"sub"), node=1) +
      wreq(W_CREATE, newnode(0o100644, oflags=2) + ws(b"new"), node=1) +
      wreq(W_MKNOD, newnode(0o10644) + ws(b"fifo"), node=1) +
      wreq(W_SYMLINK, newnode(0o120777) + ws(b"ln") + ws(b"../f"), node=1) +
      wreq(W_LINK, struct.pack("<Q", 3) + ws(b"hard"), node=1) +
      wreq(W_RENAME, struct.pack("<QII", 1, 0, 0) + ws(b"new") + ws(b"moved"), node=1) +
      wreq(W_RENAME, struct.pack("<QII", 1, 2, 0) + ws(b"moved") + ws(b"hard"), node=1) +
      wreq(W_UNLINK, ws(b"hard"), node=1) + wreq(W_RMDIR, ws(b"sub"), node=1) +
      wreq(W_FSYNCDIR, struct.pack("<QII", 0, 0, 0), node=1, fh=1) +
      wreq(W_BATCH_FORGET, struct.pack("<I", 2) + struct.pack("<QQ", 2, 1) * 2))
write("wreq", "xattr", wreq(W_LOOKUP, ws(b"f")) +
      wreq(W_SETXATTR, struct.pack("<IIII", 3, 0, 0, 0) + ws(b"user.a") + ws(b"abc"), node=1) +
      wreq(W_GETXATTR, struct.pack("<IIII", 64, 0, 0, 0) + ws(b"user.a"), node=1) +
      wreq(W_GETXATTR, struct.pack("<IIII", 0, 0, 0, 0) + ws(b"user.a"), node=1) +
      wreq(W_LISTXATTR, struct.pack("<IIII", 256, 0, 0, 0), node=1) +
      wreq(W_SETXATTR, struct.pack("<IIII", 4, 0, 0, 0) + ws(b"system.posix_acl_access") +
           ws(b"\2\0\0\0"), node=1) +
      wreq(W_REMOVEXATTR, ws(b"user.a"), node=1))
write("wreq", "escape", wreq(W_LOOKUP, ws(b"abs")) + wreq(W_READLINK, node=1) +
      wreq(W_OPEN, struct.pack("<II", 0, 0), node=1) + wreq(W_LOOKUP, ws(b"up")) +
      wreq(W_LOOKUP, ws(b"passwd"), node=2) + wreq(W_LOOKUP, ws(b"..")) +
      wreq(W_LOOKUP, ws(b"a/b")) + wreq(W_LOOKUP, ws(b"p")) +
      wreq(W_OPEN, struct.pack("<II", 0, 0), node=5) +
      wreq(W_CREATE, newnode(0o100644, oflags=2) + ws(b"../x")))
write("wreq", "locks", wreq(W_LOOKUP, ws(b"f")) + wreq(W_OPEN, struct.pack("<II", 2, 0), node=1) +
      wreq(W_OPEN, struct.pack("<II", 2, 0), node=1) +
      wreq(W_SETLK, struct.pack("<QQQQIIII", 0, 7, 0, 100, 1, 42, 0, 0), node=1, fh=1) +
      wreq(W_GETLK, struct.pack("<QQQQIIII", 0, 8, 0, 100, 1, 43, 0, 0), node=1, fh=2) +
      wreq(W_SETLK, struct.pack("<QQQQIIII", 0, 7, 0, 100, 2, 42, 0, 0), node=1, fh=1) +
      wreq(W_SETLK, struct.pack("<QQQQIIII", 0, 7, 0, 0, 1, 42, 1, 0), node=1, fh=1) +
      wreq(W_LOCK_WAITS, struct.pack("<II", 0, 0)) + wreq(W_SYNC) +
      wreq(W_RELEASE, struct.pack("<QQII", 0, 7, 1, 0), node=1, fh=1))
write("wreq", "misc", wreq(W_STATFS) + wreq(W_ACCESS, struct.pack("<II", 4, 0)) +
      wreq(W_LOOKUP, ws(b"f")) + wreq(W_OPEN, struct.pack("<II", 2, 0), node=1) +
      wreq(W_FALLOCATE, struct.pack("<QQQII", 0, 0, 8192, 0, 0), node=1, fh=1) +
      wreq(W_LSEEK, struct.pack("<QQII", 0, 0, 3, 0), node=1, fh=1) +
      wreq(W_COPY_FILE_RANGE, struct.pack("<QQQQQQQ", 0, 0, 0, 0, 100, 10, 0), node=1, fh=1) +
      wreq(W_SYNCFS, z(0)) + wreq(W_TMPFILE, newnode(0o100600, oflags=2) + ws(b"t")) +
      wreq(W_SETUPMAPPING, struct.pack("<QQQQII", 0, 0, 4096, 0, 1, 0), node=1, fh=1) +
      wreq(W_REMOVEMAPPING, struct.pack("<I", 1) + struct.pack("<QQ", 0, 4096)) +
      wreq(W_INIT, struct.pack("<II", 0x3f, 4096)) + wreq(W_DESTROY) + wreq(W_GETATTR, z(16)))

# Migration streams (worker/migrate.h), loaded by fuzz-wreq when the magic comes first:
# header, then node records (+ name, + handle), then handle records.
MIG_MAGIC = 0x0031474d44534650
S_IFDIR, S_IFREG = 0o040000, 0o100000


def mig_node(index, typ, parent, name, gen=7, fh=b""):
    pgen = 0 if parent == 1 else gen
    return (struct.pack("<IIQQQIIII", index, gen, 1, 0, 0, typ, parent, pgen, 0) +
            ws(name) + ws(fh))


def mig_handle(index, nodeid, flags, is_dir, gen=3):
    return struct.pack("<IIQII", index, gen, nodeid, flags, is_dir)


def mig_stream(nodes, handles=(), session=0x24):
    body = b"".join(nodes) + b"".join(handles)
    fuse = struct.pack("<IIQIIII", 1, 38, 0x68c4943b, 256, 1 << 20, 65536, 0)
    hdr_len = 56 + len(fuse)
    hdr = (struct.pack("<QIIQIIIIIIII", MIG_MAGIC, 1, hdr_len, hdr_len + len(body), 0, 0, 1,
                       session, 100, 100, len(nodes), len(handles)) + fuse)
    return hdr + body


G7 = 7 << 32
write("wreq", "migrate", mig_stream(
    [mig_node(2, S_IFDIR, 1, b"d"), mig_node(3, S_IFREG, 2, b"g"), mig_node(4, S_IFREG, 1, b"f")],
    [mig_handle(1, G7 | 4, 2, 0), mig_handle(2, G7 | 2, 0o200000, 1)]))
write("wreq", "migrate-bad", mig_stream(
    [mig_node(2, S_IFDIR, 3, b"d"), mig_node(3, S_IFDIR, 2, b".."), mig_node(4, S_IFDIR, 1, b"up"),
     mig_node(5, S_IFREG, 4, b"passwd"), mig_node(6, S_IFREG, 1, b"l/x")]))


# ---- reqring ----
# Steps of fuzz-reqring.c: an honest ring through wraps, then the lies of
# tests/worker/ops-reqring.c written by hand.
def put(n):
    return b"p" + struct.pack("<H", n)


def hdr_at(off, typ, ln):
    h = struct.pack("<IIIIII", typ, ln, 0, 0, 0, 0)
    return b"w" + struct.pack("<HB", off, len(h)) + h


write("reqring", "honest", b"".join(put(n) + put(n * 7 % 600) + b"tt" for n in range(200)))
write("reqring", "full", b"".join(put(4000) for _ in range(10)) + b"t" * 10)
write("reqring", "index", b"c" + struct.pack("<I", 0) + b"i" + struct.pack("<I", 40000) + b"t")
write("reqring", "unaligned", hdr_at(0, 7, 40) + b"i" + struct.pack("<I", 68) + b"t")
write("reqring", "past-put", hdr_at(0, 7, 400) + b"i" + struct.pack("<I", 64) + b"t")
write("reqring", "too-long", hdr_at(0, 7, 0x7fffffff) + b"i" + struct.pack("<I", 64) + b"t")
write("reqring", "wrap", b"c" + struct.pack("<I", 32704) + hdr_at(32704, 0xffffffff, 0) +
      b"i" + struct.pack("<I", 32736) + b"t")
write("reqring", "index-wraps", b"c" + struct.pack("<I", 0xffffffc0) + put(40) + put(40) + b"tt")
