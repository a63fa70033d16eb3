# make check: fuzz-options replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" options
