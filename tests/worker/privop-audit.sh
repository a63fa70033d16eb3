#!/usr/bin/env bash
# The worker's capability model, checked on its sources: a worker thread holds only what
# a local process of its caller's mapped host uid would hold (worker/creds.c), and the only
# code that raises a capability beyond that is worker/privop.c, whose operations are listed
# in its header comment with the capability and the system call each uses. This prints that
# list and fails when:
#   - a file under worker/ other than creds.c and privop.c changes capabilities or fs ids
#     (capset, caps_raise/caps_restore, setfsuid/setfsgid, creds_leave);
#   - privop.c defines an operation its header does not list, or the other way round;
#   - a raise in privop.c names more than one capability;
#   - an operation has no negative test (test_privop_NAME in tests/worker/ops-privsep.c,
#     called from its main()), in which a caller who may not use it fails.
set -u
src=${PRIVFSD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
w=$src/worker
t=$src/tests/worker/ops-privsep.c
fail=0
bad() { echo "privop-audit: $*"; fail=1; }

# 1. Nobody else touches capabilities or fs ids.
for f in "$w"/*.c; do
	case ${f##*/} in creds.c|privop.c) continue ;; esac
	grep -nE '\b(caps_raise|caps_restore|capset|SYS_capset|setfsuid|setfsgid|SYS_setfsuid|SYS_setfsgid|creds_leave)\b' "$f" |
	    while IFS= read -r l; do echo "privop-audit: ${f##*/}:$l"; done | grep . && fail=1
done

# 2. Defined operations and listed operations are the same.
defined=$(grep -oE '^privop_[a-z_]+\(' "$w/privop.c" | tr -d '(' | sort)
listed=$(sed -n '1,/^\*\//p' "$w/privop.c" | grep -oE '^ \*	privop_[a-z_]+' | sed 's/^ \*	//' | sort)
[ -n "$defined" ] || bad "no privileged operation found in privop.c"
[ "$defined" = "$listed" ] || bad "privop.c defines [$(echo $defined)] but lists [$(echo $listed)]"

# 3. One capability per raise.
grep -n 'WITH_CAPS(' "$w/privop.c" | grep -v '#define' | while IFS= read -r l; do
	n=$(echo "$l" | grep -o 'CAPBIT(' | wc -l)
	[ "$n" -eq 1 ] || echo "privop-audit: privop.c:$l raises $n capabilities"
done | grep . && fail=1

# 4. Each operation has its negative test, run by main().
for op in $defined; do
	grep -q "^test_$op(void)" "$t" || bad "$op has no test_$op in ops-privsep.c"
	sed -n '/^main(void)/,/^}/p' "$t" | grep -q "test_$op()" || bad "test_$op is not run"
done

echo "privileged operations of the worker (name, capability, system calls):"
sed -n '1,/^\*\//p' "$w/privop.c" | grep -E '^ \*	privop_' | sed 's/^ \*	/  /'
[ "$fail" -eq 0 ] && echo "privop-audit: ok" || exit 1
