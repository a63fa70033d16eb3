#!/usr/bin/env bash
# --security-label below the guest: the e2e guest has no SELinux/Smack, so its Linux sends
# no security context with new files (an empty fuse_secctx_header). Here the native driver
# (tests/driver) plays such a guest: INIT must acknowledge SECURITY_CTX, and a MKDIR with a
# "security.selinux" context must leave that xattr with that value on the host directory.
# Without --security-label INIT must not acknowledge it.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
require_root
prog=$PRIVFSD_TESTS_BUILDDIR/options/vu-seclabel
[ -x "$prog" ] || fail "no $prog"
mkdir -p "$T/share" && chmod 755 "$T/share"
ctx='system_u:object_r:virtiofs_test_t:s0'

start_privfsd "$T/on.log" --socket-path="$T/on.sock" --shared-dir="$T/share" \
	--security-label --seccomp=kill
"$prog" "$T/on.sock" labelled "$ctx" >"$T/on.out" 2>&1
cat "$T/on.out"
wait_gone "$PRIVFSD_PID" 10 || fail "privfsd did not end after the driver left"
grep -q '^init security_ctx=1$' "$T/on.out" || { cat "$T/on.log"; fail "SECURITY_CTX not acknowledged"; }
grep -q '^mkdir OK$' "$T/on.out" || { cat "$T/on.log"; fail "MKDIR with a security context failed"; }
got=$(python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'security.selinux').rstrip(b'\0').decode())" \
	"$T/share/labelled" 2>&1)
[ "$got" = "$ctx" ] || fail "host security.selinux is '$got', wanted '$ctx'"
echo "host: security.selinux of labelled = $got"

start_privfsd "$T/off.log" --socket-path="$T/off.sock" --shared-dir="$T/share" --seccomp=kill
"$prog" "$T/off.sock" unlabelled "$ctx" >"$T/off.out" 2>&1
cat "$T/off.out"
wait_gone "$PRIVFSD_PID" 10 || true
grep -q '^init security_ctx=0$' "$T/off.out" || fail "SECURITY_CTX acknowledged without --security-label"
pass "security labels from the guest are stored on the host"
