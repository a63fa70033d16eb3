# A guest floods with lookup; memory bounds checked (flood.sh).
. "$PRIVFSD_SRCDIR/tests/driver/flood.sh" lookup
