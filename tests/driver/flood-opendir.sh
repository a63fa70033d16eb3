# A guest floods with opendir; memory bounds checked (flood.sh).
. "$PRIVFSD_SRCDIR/tests/driver/flood.sh" opendir
