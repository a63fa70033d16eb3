#!/usr/bin/env python3
# A QMP client for the e2e scripts: connect() to QEMU's -qmp unix socket, then call(cmd)
# with a command object; the answer is the reply object ("return" or "error"), events
# skipped.
#
# As a command: qmp.py SOCK JSON...: each command in turn; prints each "return" as JSON,
# and the whole reply with exit status 1 at the first "error".
import json
import socket
import sys


def connect(path, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile("rw")

    def call(cmd):
        f.write(json.dumps(cmd) + "\n")
        f.flush()
        while True:
            m = json.loads(f.readline())
            if "return" in m or "error" in m:
                return m

    f.readline()  # greeting
    call({"execute": "qmp_capabilities"})
    return call


def main():
    call = connect(sys.argv[1])
    for c in sys.argv[2:]:
        m = call(json.loads(c))
        if "error" in m:
            print(json.dumps(m))
            sys.exit(1)
        print(json.dumps(m["return"]))


if __name__ == "__main__":
    main()
