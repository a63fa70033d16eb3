# shellcheck shell=sh
# The guest's part of userns.sh's second boot (after guest-lib.sh): every guest id squashed
# to 0, so a guest user other than root acts as the invoking user.
D=/mnt/data
mkdir -p /etc && echo 'u:x:1000:1000::/tmp:/bin/sh' >>/etc/passwd && echo 'u:x:1000:' >>/etc/group
step "guest user 1000 reads the first boot's file" su -s /bin/sh u -c "grep -q 'from the guest' $D/hello"
# The guest's own permission checks still apply: a directory user 1000 may write in.
step "a directory for everyone" sh -c "mkdir -m 1777 $D/pub"
step "and writes a file of its own" su -s /bin/sh u -c "echo 'from user 1000' >$D/pub/by-1000 && sync"
step "which the guest sees owned by 0:0" sh -c "[ \"\$(stat -c %u:%g $D/pub/by-1000)\" = 0:0 ]"
step "root's file stays out of reach for it" sh -c "! su -s /bin/sh u -c 'cat $D/roots'"
finish
