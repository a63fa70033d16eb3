# make check: fuzz-vhost replays its seed corpus (regress.sh).
exec bash "$(dirname "$0")/regress.sh" vhost
