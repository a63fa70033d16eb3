# A guest floods with readdir; memory bounds checked (flood.sh).
. "$PRIVFSD_SRCDIR/tests/driver/flood.sh" readdir
