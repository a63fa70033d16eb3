# make check: fuzz-wreq replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" wreq
