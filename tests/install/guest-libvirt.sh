# shellcheck shell=sh
# The guest's part of libvirt.sh (after guest-lib.sh): reads what the host put into data/,
# writes into data/out-RUN (RUN from /mnt/.e2e/run-name), which the host then checks.
run=$(cat /mnt/.e2e/run-name)
d=/mnt/data
o=$d/out-$run
step "hello.txt reads back" grep -qx 'hello from the host' "$d/hello.txt"
step "big.bin has the host's sha256" sh -c \
	"[ \"\$(sha256sum '$d/big.bin' | cut -d' ' -f1)\" = \"\$(cat /mnt/.e2e/big.sha256)\" ]"
step "the listing of data/ is the host's" sh -c "ls -1 '$d' | grep -qx big.bin"
step "mkdir out-$run" mkdir "$o"
step "write a file" sh -c "echo 'written by the guest ($run)' >'$o/new.txt'"
step "append to it" sh -c "echo 'second line' >>'$o/new.txt'"
step "rename it" mv "$o/new.txt" "$o/renamed.txt"
step "write 1 MiB" dd if=/dev/zero of="$o/zero.bin" bs=64k count=16
step "sync" sync
finish
