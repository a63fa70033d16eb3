# Hostile-guest cases against virtiofsd.
DRIVER_BACKEND=virtiofsd
. "$PRIVFSD_SRCDIR/tests/driver/hostile.sh"
