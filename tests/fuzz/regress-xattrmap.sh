# make check: fuzz-xattrmap replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" xattrmap
