# Protocol tests against virtiofsd-rust.
DRIVER_BACKEND=virtiofsd-rust
. "$PRIVFSD_SRCDIR/tests/driver/proto.sh"
