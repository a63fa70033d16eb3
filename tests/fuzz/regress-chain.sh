# make check: fuzz-chain replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" chain
