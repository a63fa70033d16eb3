# Hostile-guest cases against privfsd.
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/hostile.sh"
