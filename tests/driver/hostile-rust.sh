# Hostile-guest cases against virtiofsd-rust.
DRIVER_BACKEND=virtiofsd-rust
. "$PRIVFSD_SRCDIR/tests/driver/hostile.sh"
