# make check: fuzz-fuse replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" fuse
