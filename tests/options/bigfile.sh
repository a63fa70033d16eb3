#!/usr/bin/env bash
# 1 GiB each way (issue 4): the guest writes 1 GiB of a pseudo-random stream (optool
# pattern-write: real data, streamed in 1 MiB blocks, fsync'ed), the host's sha256 of the
# file must be the stream's; the host writes another 1 GiB stream and the guest compares
# every byte of it (optool pattern-check). Times are printed. OPT_BIG_MIB changes the size.
. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
. "$PRIVFSD_SRCDIR/tests/options/opt-lib.sh"
mib=${OPT_BIG_MIB:-1024}
opt_setup
"$T/optool" pattern-write "$d/from-host" "$mib" 9 >/dev/null || fail "host pattern-write"
cat >"$T/guest.sh" <<EOG
out=\$(\$OPT pattern-write \$D/from-guest $mib 7)
val write "\$out"
expect "guest writes $mib MiB" "^OK" echo "\$out"
out=\$(\$OPT pattern-check \$D/from-host $mib 9)
val check "\$out"
expect "guest reads $mib MiB from the host, every byte right" "^OK" echo "\$out"
finish
EOG
opt_guest "$T/guest.sh"
E2E_TIMEOUT=${E2E_TIMEOUT:-400} opt_boot bigfile
rc=$?
want "host sha256 of the guest's file is the stream's" test \
	"$(sha256sum <"$d/from-guest" | cut -d' ' -f1)" = \
	"$("$T/optool" pattern-cat "$mib" 7 | sha256sum | cut -d' ' -f1)"
echo "guest write: $(opt_val bigfile write); guest read+compare: $(opt_val bigfile check)"
opt_finish $rc "$mib MiB each way, same bytes"
