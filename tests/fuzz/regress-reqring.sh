# make check: fuzz-reqring replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" reqring
