# make check: fuzz-brokermsg replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" brokermsg
