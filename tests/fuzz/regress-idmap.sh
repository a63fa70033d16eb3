# make check: fuzz-idmap replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" idmap
