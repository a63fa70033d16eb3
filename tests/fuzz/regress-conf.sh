# make check: fuzz-conf replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" conf
