#!/usr/bin/env bash
# See privfsd work: on a Debian 12 machine, as root, from the top of the source tree:
#   contrib/demo.sh [--shell] [DIR]
# Installs the build and run dependencies (apt-get), builds privfsd into build/demo (installed
# under build/demo/install: nothing outside the tree but the packages and the "privfsd"
# user), exports DIR (default /tmp/privfsd-demo, filled with a few files when empty) and
# boots a virtual machine (QEMU, software emulation) with the Debian kernel and a busybox
# initramfs that mounts the export by its tag, lists it, reads a file and writes one back;
# then it shows that file from the host and shuts everything down.
#   --shell   leave a shell on the guest's console instead (the export is on /mnt); typing
#             `exit` powers the guest off and ends the demo.
set -u

shell=0
dir=/tmp/privfsd-demo
for a in "$@"; do
	case $a in
	--shell) shell=1 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "demo: unknown option $a" >&2; exit 2 ;;
	*) dir=$a ;;
	esac
done

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build/demo
prefix=$build/install
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run me as root (namespaces, the privsep user, QEMU)"

step "1. Packages: build tools, libraries, QEMU, a kernel, busybox"
export DEBIAN_FRONTEND=noninteractive
deps="autoconf automake pkg-config make gcc libc6-dev linux-libc-dev libbsd-dev libevent-dev
	libseccomp-dev libcap-ng-dev libssl-dev qemu-system-x86 linux-image-amd64 busybox-static
	cpio kmod procps xz-utils zstd"
missing=$(for p in $deps; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q 'install ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
	echo "apt-get install" $missing
	apt-get update -qq && apt-get install -y -qq $missing >/dev/null || die "apt-get install failed"
else
	echo "all installed"
fi

step "2. Build: autoreconf, configure, make, make install (into $prefix)"
cd "$top" || die "no $top"
if [ ! -x configure ]; then
	echo "autoreconf -fi"
	autoreconf -fi || die "autoreconf failed"
fi
mkdir -p "$build" && cd "$build" || die "cannot make $build"
if [ ! -f Makefile ]; then
	echo "configure --prefix=$prefix"
	"$top/configure" -q --prefix="$prefix" || die "configure failed (see $build/config.log)"
fi
echo "make -j$(nproc)"
make -s -j"$(nproc)" >make.log 2>&1 || { tail -n 30 make.log; die "make failed (see $build/make.log)"; }
make -s install >>make.log 2>&1 || { tail -n 30 make.log; die "make install failed"; }
privfsd=$prefix/sbin/privfsd
[ -x "$privfsd" ] || die "no $privfsd after make install"
find "$prefix/sbin" "$prefix/libexec" -type f -exec ls -l {} + 2>/dev/null | sed "s/^/  /"

step "3. The unprivileged user the frontend runs as: privfsd"
if getent passwd privfsd >/dev/null; then
	echo "exists: $(getent passwd privfsd)"
else
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin privfsd ||
		die "useradd failed"
	echo "created: $(getent passwd privfsd)"
fi

step "4. The directory to share: $dir"
mkdir -p "$dir" || die "cannot make $dir"
chmod 755 "$dir"
if [ -z "$(ls -A "$dir")" ]; then
	echo "Hello from the host ($(hostname), $(date -u '+%Y-%m-%d %H:%M UTC'))." >"$dir/hello.txt"
	mkdir -p "$dir/notes"
	cat >"$dir/notes/how.txt" <<-'EOF'
	privfsd serves this directory to the guest with three processes: the broker
	(privileged, small), the frontend (reads the guest's bytes, sees no files) and the
	worker (does the file I/O inside the shared directory, never sees raw guest bytes).
	EOF
	ln -s notes/how.txt "$dir/how-link"
	head -c 1048576 /dev/urandom >"$dir/random-1MiB.bin"
fi
rm -f "$dir/hello-from-guest.txt"
had_e2e=0
[ -e "$dir/.e2e" ] && had_e2e=1
mkdir -p "$dir/.e2e"
# What the guest runs once it has mounted the export (its init: tests/e2e/mkinitramfs.sh).
cat >"$dir/.e2e/run.sh" <<'EOF'
show() { echo; echo "guest# $*"; sh -c "$*"; }
show 'mount | grep virtiofs'
show 'ls -l /mnt'
show 'cat /mnt/hello.txt'
show 'cat /mnt/how-link'
show 'sha256sum /mnt/random-1MiB.bin'
echo
echo "guest# echo \"Hello from the guest (\$(uname -sr))\" > /mnt/hello-from-guest.txt"
if echo "Hello from the guest ($(uname -sr))" >/mnt/hello-from-guest.txt 2>/tmp/err; then
	echo "(written)"
else
	echo "(the write failed: $(cat /tmp/err); privfsd may not support writes yet)"
fi
exit 0
EOF
ls -l "$dir" | sed 's/^/  /'
[ -f "$dir/random-1MiB.bin" ] && echo "  host sha256: $(sha256sum <"$dir/random-1MiB.bin" | cut -d' ' -f1)"

step "5. Start privfsd on $dir and boot the guest (QEMU, tag 'privfsd')"
echo "privfsd --socket-path=SOCK --shared-dir=$dir --seccomp=kill"
echo "qemu-system-x86_64 ... -device vhost-user-fs-pci,chardev=char0,tag=privfsd ..."
[ $shell = 1 ] && echo "(a shell comes up on the guest console: try ls /mnt; 'exit' ends the demo)"
logs=$build/logs
opts=(--logdir="$logs" --lenient)
if [ $shell = 1 ]; then opts+=(--shell); else opts+=(--show-console); fi
PRIVFSD=$privfsd bash "$top/tests/e2e/run-guest.sh" "${opts[@]}" privfsd "$dir"
rc=$?

step "6. Back on the host"
if [ -f "$dir/hello-from-guest.txt" ]; then
	echo "host\$ cat $dir/hello-from-guest.txt"
	cat "$dir/hello-from-guest.txt"
else
	echo "no $dir/hello-from-guest.txt: the guest's write did not arrive"
fi
echo "privfsd's log: $logs/backend.log; the console: $logs/console.log"
[ $had_e2e = 1 ] || rm -rf "$dir/.e2e"

step "7. Done: QEMU and privfsd have exited"
if [ $rc = 0 ]; then
	echo "privfsd ended cleanly when QEMU exited"
else
	echo "run-guest.sh exited with $rc (see the logs above)"
fi
exit $rc
