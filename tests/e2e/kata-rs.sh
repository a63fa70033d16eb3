#!/usr/bin/env bash
# Kata Containers' runtime-rs as it starts virtiofsd (share_virtio_fs_standalone.rs, with
# the default extra arguments of its QEMU configuration):
#   --socket-path S --shared-dir D --cache auto --sandbox none --seccomp none
#   --thread-pool-size=1 -o announce_submounts
# (Newer runtime-rs also passes "--inode-file-handles MODE" as two arguments, which the Rust
# virtiofsd 1.14 refuses: it wants "="; privfsd takes both forms.)
# It pipes the daemon's stderr and, with no time limit, starts the VM only once a line there
# contains "Waiting for vhost-user socket connection". The guest then reads and writes a file.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/kata-lib.sh"
e2e_require qemu-system-x86_64
case $E2E_BACKEND in virtiofsd) skip "the C virtiofsd has no --shared-dir" ;; esac
kata_share

e2e_run kata-rs --wait-line="Waiting for vhost-user socket connection" \
    --args="--socket-path @SOCK@ --shared-dir @SHARE@ --cache auto --sandbox none --seccomp none --thread-pool-size=1 -o announce_submounts" ||
    fail "Kata runtime-rs's command line"
kata_check_written
pass "Kata runtime-rs's command line: ready line on stderr, guest reads and writes"
