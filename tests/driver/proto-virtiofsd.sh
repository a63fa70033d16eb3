# Protocol tests against virtiofsd.
DRIVER_BACKEND=virtiofsd
. "$PRIVFSD_SRCDIR/tests/driver/proto.sh"
