# Protocol tests against privfsd.
DRIVER_BACKEND=privfsd
. "$PRIVFSD_SRCDIR/tests/driver/proto.sh"
