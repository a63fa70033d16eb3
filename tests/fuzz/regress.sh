# Replays a fuzz target's seed corpus, each input once (no search, nothing written to the
# tree): regress.sh NAME runs fuzz/fuzz-NAME over fuzz/corpus/NAME/*. Used by make check
# through regress-NAME.sh; a crash fails the test.
set -u
name=$1
srcdir=${PRIVFSD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/fuzz
bin=${PRIVFSD_TESTS_BUILDDIR:-.}/fuzz/fuzz-$name
corpus=$srcdir/corpus/$name
[ -x "$bin" ] || { echo "no $bin"; exit 77; }
[ -d "$corpus" ] || { echo "no corpus $corpus"; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
# fuzz-wreq makes its scratch export under TMPDIR and serves it as nobody.
chmod 711 "$tmp"
export TMPDIR=$tmp
n=$(find "$corpus" -type f | wc -l)
echo "fuzz-$name: replaying $n inputs"
# Crash artifacts go to the scratch dir (not the tree); the log shows the input's name.
find "$corpus" -type f -print0 | sort -z |
	xargs -0 "$bin" -artifact_prefix="$tmp/" -timeout=25 -rss_limit_mb=2048 2>&1 |
	grep -v '^Running: \|^Executed ' | tail -n 40
rc=${PIPESTATUS[2]}
[ "$rc" -eq 0 ] || { echo "fuzz-$name: FAILED (exit $rc)"; exit 1; }
echo "fuzz-$name: ok"
