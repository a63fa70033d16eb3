#!/usr/bin/env bash
# libvirt starts privfsd: the e2e guest boots through `virsh create` with a virtiofs
# <filesystem>, reads what the host put in the share and writes; the host checks the writes.
#   run 1, <binary path=...>: a wrapper around the test broker, with the options libvirt
#          turns into -o cache=,sandbox=,xattr,flock,posix_lock, --thread-pool-size and -d;
#          privfsd must say once that the lock switches change nothing.
#   run 2, `virsh destroy` while the guest runs: all three privfsd processes must end;
#   run 3, no <binary>: libvirt finds privfsd through the vhost-user descriptor that
#          `make install` (DESTDIR) put in the descriptor directory; QEMU's own
#          50-qemu-virtiofsd.json stays next to it, and 50-privfsd.json must win (libvirt
#          takes the first "fs" descriptor by file name).
# There is no systemd: the test starts virtlogd, virtlockd and libvirtd itself, in a mount
# namespace of its own where /run is a fresh tmpfs and /var, /etc/libvirt, the descriptor
# directory and the install prefix are overlays, so nothing on the host changes and runs
# at the same time do not meet. QEMU runs as root (qemu.conf): the libvirt-qemu user only
# exists with libvirt-daemon-system, and the share and console live under the test's
# private directory. It skips only where libvirt or the namespace cannot be had.
if [ -z "${LIBVIRT_TEST_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
	for c in libvirtd virtlogd virtlockd virsh; do
		command -v "$c" >/dev/null || { echo "SKIP: no $c (libvirt-daemon," \
		    "libvirt-daemon-driver-qemu, libvirt-clients)"; exit 77; }
	done
	ls /usr/lib/*/libvirt/connection-driver/libvirt_driver_qemu.so >/dev/null 2>&1 ||
	    { echo "SKIP: no QEMU driver for libvirtd (libvirt-daemon-driver-qemu)"; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "SKIP: cannot make a mount namespace"; exit 77; }
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	    { echo "SKIP: no overlay file system"; exit 77; }
	LIBVIRT_TEST_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi

. "$PRIVFSD_SRCDIR/tests/lib.sh"
. "$PRIVFSD_SRCDIR/tests/e2e/e2e-lib.sh"
e2e_require qemu-system-x86_64
qemu=$(command -v qemu-system-x86_64)
images=$(bash "$E2E_DIR/mkinitramfs.sh") || exit $?
kernel=$(echo "$images" | sed -n 1p)
initrd=$(echo "$images" | sed -n 2p)
HERE=$PRIVFSD_SRCDIR/tests/install
TIMEOUT=${E2E_TIMEOUT:-120}

# --- the installed privfsd, from the build tree
prefix=$(sed -n 's/^prefix = //p' "$PRIVFSD_BUILDDIR/Makefile")
[ "$(sed -n 's/^vhostuserjsondir = //p' "$PRIVFSD_BUILDDIR/Makefile")" != no ] ||
    skip "configured --without-vhost-user-json-dir: no descriptor to find privfsd by"
[ -d "$prefix" ] || skip "install prefix $prefix does not exist (the overlay needs it)"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$PRIVFSD_BUILDDIR" install \
    DESTDIR="$T/dest" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "make install"; }
desc=$(find "$T/dest" -name 50-privfsd.json)
[ -n "$desc" ] || fail "make install put no 50-privfsd.json under $T/dest"
binary=$(sed -n 's/^ *"binary": *"\(.*\)",*$/\1/p' "$desc")
[ -x "$T/dest$binary" ] || fail "the descriptor names $binary, not installed"
jsondir=${desc#"$T/dest"}
jsondir=${jsondir%/*}

# --- this namespace: private /run, and overlays (read-only lower dirs, writable tmpfs)
mounts=""
unmount_all() { for m in $mounts; do umount -l "$m"; done; }
at_exit unmount_all
mkdir -p "$T/ns" && mount -t tmpfs tmpfs "$T/ns" || fail "tmpfs"
mounts="$T/ns"
overlay() {	# overlay DIR [LOWER]: DIR made writable (or LOWER laid over it, read-only)
	local dir=$1 name
	name=$(echo "$dir" | tr / _)
	if [ $# -eq 2 ]; then
		mount -t overlay overlay -o "lowerdir=$2:$dir" "$dir"
	else
		mkdir -p "$T/ns/$name.up" "$T/ns/$name.work" &&
		mount -t overlay overlay \
		    -o "lowerdir=$dir,upperdir=$T/ns/$name.up,workdir=$T/ns/$name.work" "$dir"
	fi || fail "overlay on $dir"
	mounts="$dir $mounts"
}
mount -t tmpfs tmpfs /run || fail "tmpfs on /run"
mounts="/run $mounts"
overlay /var
overlay /etc/libvirt
overlay "$prefix" "$T/dest$prefix"
# libvirt reads /usr/share/qemu/vhost-user and /etc/qemu/vhost-user. With --prefix=/usr the
# descriptor is installed into the first; from any other prefix (/usr/local) the
# administrator copies it to the second, which is what a copy over the first stands for.
case $jsondir in
/usr/share/qemu/vhost-user|/etc/qemu/vhost-user)
	[ -d "$jsondir" ] || skip "$jsondir does not exist (the overlay needs it)"
	overlay "$jsondir" "$T/dest$jsondir" ;;
*)
	mkdir -p "$T/json" && cp "$desc" "$T/json/" && overlay /usr/share/qemu/vhost-user "$T/json" ;;
esac
[ -s /usr/share/qemu/vhost-user/50-privfsd.json ] || [ -s /etc/qemu/vhost-user/50-privfsd.json ] ||
    fail "the descriptor is not where libvirt looks"

# libvirt's QEMU driver looks its built-in user up before it reads qemu.conf; without
# libvirt-daemon-system (which creates it) the user goes into this namespace's passwd.
if ! getent passwd libvirt-qemu >/dev/null || ! getent group libvirt-qemu >/dev/null; then
	cp /etc/passwd "$T/ns/passwd" && cp /etc/group "$T/ns/group" || fail "copy passwd"
	getent group libvirt-qemu >/dev/null || echo "libvirt-qemu:x:64055:" >>"$T/ns/group"
	getent passwd libvirt-qemu >/dev/null ||
	    echo "libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin" >>"$T/ns/passwd"
	mount --bind "$T/ns/passwd" /etc/passwd && mount --bind "$T/ns/group" /etc/group ||
	    fail "bind passwd"
	mounts="/etc/passwd /etc/group $mounts"
fi

# --- the daemons, with private configuration
L=$T/libvirt
mkdir -p "$L"
cat >/etc/libvirt/qemu.conf <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
cgroup_controllers = [ ]
lock_manager = "lockd"
stdio_handler = "logd"
virtiofsd_debug = 1
EOF
cat >/etc/libvirt/libvirtd.conf <<EOF
log_outputs = "3:file:$L/libvirtd.log"
EOF
echo "log_outputs = \"3:file:$L/virtlogd.log\"" >/etc/libvirt/virtlogd.conf
echo "log_outputs = \"3:file:$L/virtlockd.log\"" >/etc/libvirt/virtlockd.conf
cat >/etc/libvirt/qemu-lockd.conf <<EOF
auto_disk_leases = 0
EOF

daemon_pids=""
stop_daemons() {
	local p
	for d in $(virsh -c qemu:///system list --name 2>/dev/null); do
		virsh -c qemu:///system destroy "$d" >/dev/null 2>&1
	done
	for p in $daemon_pids; do kill "$p" 2>/dev/null; done
	for p in $daemon_pids; do dead "$p" 5 || kill -9 "$p" 2>/dev/null; done
	# QEMU and the back-ends libvirt started, should any be left (their pid files)
	for f in /run/libvirt/qemu/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
}
at_exit stop_daemons
start_daemon() {	# start_daemon NAME: NAME -d with our config, pid file in /run
	"$1" -d -f "/etc/libvirt/$1.conf" -p "/run/$1.pid" >"$L/$1.out" 2>&1 ||
	    { cat "$L/$1.out" "$L/$1.log" 2>/dev/null; fail "$1 did not start"; }
	i=0
	while [ ! -s "/run/$1.pid" ]; do
		i=$((i + 1)); [ $i -le 100 ] || fail "$1 wrote no pid file"
		sleep 0.1
	done
	daemon_pids="$daemon_pids $(cat "/run/$1.pid")"
}
start_daemon virtlogd
start_daemon virtlockd
start_daemon libvirtd
i=0
until virsh -c qemu:///system version >"$L/version" 2>&1; do
	i=$((i + 1))
	kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null || {
		cat "$L/libvirtd.log"; fail "libvirtd exited"; }
	[ $i -le 300 ] || { cat "$L/version" "$L/libvirtd.log"; fail "libvirtd does not answer"; }
	sleep 0.1
done
echo "$(grep -i 'running hypervisor\|using library' "$L/version" | tr '\n' ' ')"

# --- the share
S=$T/share
mkdir -p "$S/data" "$S/.e2e" && chmod 755 "$S" "$S/data" || fail mkdir
echo 'hello from the host' >"$S/data/hello.txt"
head -c 3000000 /dev/urandom >"$S/data/big.bin"
sha256sum <"$S/data/big.bin" | cut -d' ' -f1 >"$S/.e2e/big.sha256"
cat "$E2E_DIR/guest-lib.sh" "$HERE/guest-libvirt.sh" >"$S/.e2e/run.sh" || fail "guest script"

# A wrapper, because libvirt gives the back-end a clean environment and the test broker
# finds its children through PRIVFSD_LIBEXEC_DIR.
mkdir -p "$T/bin"
printf '#!/bin/sh\nPRIVFSD_LIBEXEC_DIR=%s exec %s "$@"\n' "$PRIVFSD_LIBEXEC_DIR" "$PRIVFSD" \
    >"$T/bin/privfsd"
chmod 755 "$T/bin/privfsd"

# domain_xml RUN BINARY-ELEMENT: the e2e guest with the share under the tag "lvfs".
domain_xml() {
	cat <<EOF
<domain type='qemu'>
  <name>privfsd-$1-$$</name>
  <memory unit='MiB'>512</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet e2e.tag=lvfs</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>$qemu</emulator>
    <filesystem type='mount' accessmode='passthrough'>
      <driver type='virtiofs' queue='1024'/>
      $2
      <source dir='$S'/>
      <target dir='lvfs'/>
    </filesystem>
    <serial type='file'>
      <source path='$T/$1/console.log'/>
      <target port='0'/>
    </serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# boot RUN BINARY-ELEMENT: virsh create, wait for the transient domain to go away, check
# the guest's result and its writes. Sets FSLOG (privfsd's log as libvirt kept it).
boot() {
	local run=$1 dom=privfsd-$1-$$ o=$S/data/out-$1 bad=0
	mkdir -p "$T/$run"
	echo "$run" >"$S/.e2e/run-name"
	domain_xml "$@" >"$T/$run/domain.xml"
	virsh -c qemu:///system create "$T/$run/domain.xml" >"$T/$run/create.out" 2>&1 || {
		cat "$T/$run/create.out"; tail -n 30 "$L/libvirtd.log"
		cat /var/log/libvirt/qemu/"$dom"*.log 2>/dev/null; fail "$run: virsh create"; }
	i=0
	while virsh -c qemu:///system domstate "$dom" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -le $((TIMEOUT * 5)) ] || {
			virsh -c qemu:///system destroy "$dom" >/dev/null 2>&1
			tr -d '\r' <"$T/$run/console.log"; fail "$run: the guest did not finish in ${TIMEOUT}s"; }
		sleep 0.2
	done
	FSLOG=$(ls /var/log/libvirt/qemu/"$dom"-fs*-virtiofsd.log 2>/dev/null | head -n 1)
	QLOG=/var/log/libvirt/qemu/$dom.log
	if ! grep -aq '^E2E-RESULT: PASS' "$T/$run/console.log"; then
		echo "--- console:"; tr -d '\r' <"$T/$run/console.log" | tail -n 60
		echo "--- back-end log:"; tail -n 40 "$FSLOG"
		echo "--- domain log:"; cat "$QLOG"
		fail "$run: the guest did not pass"
	fi
	grep -a '^ok \|^not ok ' "$T/$run/console.log" | tr -d '\r'
	[ "$(cat "$o/renamed.txt" 2>/dev/null)" = "$(printf 'written by the guest (%s)\nsecond line' "$run")" ] ||
	    { echo "host: $o/renamed.txt is wrong"; bad=1; }
	[ ! -e "$o/new.txt" ] || { echo "host: $o/new.txt still there"; bad=1; }
	[ "$(stat -c %s "$o/zero.bin" 2>/dev/null)" = 1048576 ] || { echo "host: zero.bin"; bad=1; }
	[ $bad = 0 ] || fail "$run: the guest's writes are not on the host"
}

# Run 1: <binary> with options.
boot binary "<binary path='$T/bin/privfsd' xattr='on'>
        <cache mode='always'/><sandbox mode='chroot'/>
        <lock posix='on' flock='on'/><thread_pool size='4'/>
      </binary>"
grep -q "$T/bin/privfsd --fd=" "$QLOG" || { cat "$QLOG"; fail "binary: libvirt did not start the wrapper"; }
grep -q -- '-o source=.*cache=always,sandbox=chroot,xattr,flock,posix_lock' "$QLOG" ||
    { cat "$QLOG"; fail "binary: not the options the domain asks for"; }
grep -q 'broker: debug:' "$FSLOG" || fail "binary: -d did not turn on debug logging"
n=$(grep -c 'accepted for compatibility and ignored' "$FSLOG")
[ "$n" = 1 ] || { grep 'ignored' "$FSLOG"; fail "binary: the ignored lock switches logged $n times"; }
grep -q -- '-o flock, posix_lock: accepted for compatibility and ignored' "$FSLOG" ||
    { grep 'ignored' "$FSLOG"; fail "binary: the ignored-switch line does not name flock, posix_lock"; }
pass "binary: libvirt ran $T/bin/privfsd with -o cache,sandbox,xattr,flock,posix_lock, -d; guest read and wrote"

# Run 2: virsh destroy while the guest runs: libvirt kills the broker, and the frontend
# and the worker go with it.
dom=privfsd-destroy-$$
mkdir -p "$T/destroy"
domain_xml destroy "<binary path='$T/bin/privfsd'/>" >"$T/destroy/domain.xml"
virsh -c qemu:///system create "$T/destroy/domain.xml" >"$T/destroy/create.out" 2>&1 ||
    { cat "$T/destroy/create.out"; fail "destroy: virsh create"; }
FSLOG=/var/log/libvirt/qemu/$dom-fs0-virtiofsd.log
i=0
until grep -q 'vhost-user connection' "$FSLOG" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 300 ] || { cat "$FSLOG"; fail "destroy: QEMU did not connect"; }
	sleep 0.2
done
# The worker's title names the share, which is this test's own; its parent is the broker.
wpid=$(pgrep -f "^privfsd: worker $S\$" | head -n 1)
[ -n "$wpid" ] || { ps -eo pid,args | grep privfsd; fail "destroy: no worker serving $S"; }
bpid=$(ps -o ppid= -p "$wpid" | tr -d ' ')
kids=$(ps -o pid= --ppid "$bpid" | tr -d ' ')
n=$(echo $kids | wc -w)
# frontend and worker, and the respawner of --worker-restart (the default)
[ "$n" = 2 ] || [ "$n" = 3 ] || fail "destroy: broker $bpid has children '$kids', not 2 or 3"
virsh -c qemu:///system destroy "$dom" >/dev/null || fail "destroy: virsh destroy"
for p in $bpid $kids; do
	dead "$p" 10 || { ps -o pid,args -p "$p"; fail "destroy: pid $p still there"; }
done
pass "destroy: virsh destroy while the guest ran ended the broker and both children"

# Run 3: no <binary>; libvirt picks the descriptor.
boot descriptor ""
grep -q "$binary --fd=" "$QLOG" || {
	grep -i virtiofsd "$QLOG"; fail "descriptor: libvirt did not start $binary"; }
grep -q 'broker: info: exporting' "$FSLOG" || { cat "$FSLOG"; fail "descriptor: no privfsd log"; }
pass "descriptor: libvirt found $binary through $jsondir/50-privfsd.json (before 50-qemu-virtiofsd.json); guest read and wrote"
