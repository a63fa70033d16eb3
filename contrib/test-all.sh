#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian 12 machine (as root), builds privfsd
# three times (plain, with ASan/UBSan, and with clang's libFuzzer targets), runs the whole
# suite and closes with one line:
#   N passed, N failed[, N skipped]
# Usage: contrib/test-all.sh   (from the top of the source tree; ../shared beside it)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export DEBIAN_FRONTEND=noninteractive

deps="autoconf automake pkg-config make gcc libc6-dev linux-libc-dev libbsd-dev libevent-dev
	libseccomp-dev libcap-ng-dev libssl-dev mandoc qemu-system-x86 linux-image-amd64
	busybox-static cpio kmod procps psmisc attr acl xz-utils zstd python3 util-linux quota mount
	clang libclang-rt-14-dev bindfs"
missing=$(for p in $deps; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	apt-get update -qq && apt-get install -y -qq $missing >/dev/null || {
		echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# libvirt for tests/install/libvirt.sh, without what it recommends (other hypervisors' drivers).
lvdeps="libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients"
missing=$(for p in $lvdeps; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
		echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
fi
if [ -x ../shared/tools/install-peers ] || [ -f ../shared/tools/install-peers ]; then
	sh ../shared/tools/install-peers >/dev/null 2>&1 || echo "warning: install-peers failed; peer comparisons are skipped"
fi
getent passwd privfsd >/dev/null || useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin privfsd

passed=0 failed=0 skipped=0
count() {	# count DIR: add up the automake .trs results below DIR
	local p f s
	p=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c '^:test-result: PASS') || true
	f=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c -E '^:test-result: (FAIL|XPASS|ERROR)') || true
	s=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c '^:test-result: SKIP') || true
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}
# check DIR COMMAND...: run the stage's make check in DIR and count its results. A make
# that fails with no failed test (a test program that did not build, so never ran) is a
# failure too: otherwise the tests it lost would just be missing from the count.
check() {
	local dir=$1 rc before=$failed
	shift
	(cd "$dir" && "$@")
	rc=$?
	count "$dir"
	if [ $rc -ne 0 ] && [ "$failed" -eq "$before" ]; then
		echo "$dir: '$*' failed (exit $rc) with no failed test: a build error above"
		failed=$((failed + 1))
	fi
}
build() {	# build DIR CONFIGURE-ARGS...: a fresh out-of-tree build
	local dir=$1; shift
	rm -rf "$dir" && mkdir -p "$dir" &&
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$(nproc)")
}

autoreconf -fi >/dev/null 2>&1 || { autoreconf -fi; echo "0 passed, 1 failed"; exit 1; }

# 1. The plain build: every test, the QEMU end-to-end ones included.
if build build/plain; then
	check build/plain make -s -j1 check
	find build/plain -name '*.log' -path '*tests*' | while read -r l; do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "${l%.log}.trs" 2>/dev/null && { echo "=== $l"; tail -n 60 "$l"; }
	done
else
	echo "plain build failed"; failed=$((failed + 1))
fi

# 2. ASan/UBSan: the unit, sandbox and native-driver tests (the guest adds nothing there).
if build build/asan --enable-sanitizers --disable-e2e-tests; then
	check build/asan env ASAN_OPTIONS=detect_leaks=0 make -s -j1 check
else
	echo "sanitizer build failed"; failed=$((failed + 1))
fi

# 3. clang with the libFuzzer targets (tests/fuzz): each replays its seed corpus.
if build build/fuzz CC=clang --enable-fuzzing --disable-e2e-tests; then
	check build/fuzz make -s check-fuzz
	find build/fuzz -name '*.log' -path '*tests/fuzz*' | while read -r l; do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "${l%.log}.trs" 2>/dev/null && { echo "=== $l"; tail -n 60 "$l"; }
	done
else
	echo "fuzz build failed"; failed=$((failed + 1))
fi

# 4. The release tarball builds and passes its own checks.
# (The minute-long flood tests ran in the plain build; the tarball's run shortens them.)
if (cd build/plain && FLOOD_SECONDS=5 make -s distcheck >distcheck.log 2>&1); then
	passed=$((passed + 1)); echo "distcheck: ok"
else
	failed=$((failed + 1)); echo "distcheck: FAILED"; tail -n 40 build/plain/distcheck.log
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
