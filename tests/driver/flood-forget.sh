# A guest floods with forget; memory bounds checked (flood.sh).
. "$PRIVFSD_SRCDIR/tests/driver/flood.sh" forget
