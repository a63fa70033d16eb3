#!/usr/bin/env bash
# The shared directory renamed, covered by a bind mount, removed and made again, and (as a
# mount point) unmounted, each under a running export. The worker has pivoted into the
# directory inside a mount namespace of its own (mount propagation off), so it holds the
# directory itself, not its path: after a rename, a bind mount over the path or an unmount
# on the host it keeps serving the original directory, and after the directory is removed
# every request in it fails cleanly (ENOENT), as for any process whose working directory
# was removed. In no case does a request reach the new directory at the path, the parent,
# or anything else outside the original export. All of it for both sandboxes, the
# namespace (pivot_root) and --sandbox=chroot, which holds the directory as its root the
# same way.
. "$PRIVFSD_SRCDIR/tests/fault/fault-lib.sh"
require_backend

# setup: $T/p/share (the export, holding "inside"), $T/p/outside-secret next to it.
setup() {
	rm -rf "$T/p"
	mkdir -p "$T/p/share" "$T/p/other"
	echo inside >"$T/p/share/inside"
	echo secret >"$T/p/outside-secret"
	echo impostor >"$T/p/other/impostor"
}

begin() {
	echo "# $sandbox: $1"
	DRIVER_PRIVFSD_ARGS=--sandbox=$sandbox
	start_backend "$T/p/share" "$T/sock" "$T/log"
	drv_start "$T/sock"
	want_ok "INIT" init
	want_ok "LOOKUP inside" lookup inside
	want_ok "root inode" getattr 1
	ROOT_INO=$F2
}

# confined: nothing outside the original directory answers.
confined() {
	want_err ENOENT "the parent's file is not reachable" lookup outside-secret
	want_err ENOENT "nor the new directory's" lookup impostor
	if drv lookup ..; then
		_fields
		[ "$F2" = "$ROOT_INO" ] || fail "LOOKUP .. in the root gave inode $F2, not the root $ROOT_INO"
		echo "ok - LOOKUP .. in the root is the root"
	else
		echo "ok - LOOKUP .. in the root refused ($ANS)"
	fi
	drv ls 1
	case ",${ANS#ok }," in *,outside-secret,*|*,impostor,*|*,other,*) fail "root listing: $ANS" ;; esac
	echo "ok - the root's listing has nothing from outside"
	backend_alive || fail "privfsd died"
}

end() {
	drv quit
	wait "$DRV_PID" 2>/dev/null
	backend_exit_status 10
	[ "$BACKEND_STATUS" = "exit 0" ] || fail "privfsd: $BACKEND_STATUS after the guest left"
	if privfsd_crashes "$T/log"; then
		tail -n 20 "$T/log"
		fail "a privfsd process crashed"
	fi
}

cases() {
	setup
	begin "renamed: the export keeps serving the directory under its new name"
	mv "$T/p/share" "$T/p/moved" || fail "rename"
	mkdir "$T/p/share" && cp "$T/p/other/impostor" "$T/p/share/" || fail "new directory"
	want_ok "LOOKUP inside after the rename" lookup inside
	echo "late" >"$T/p/moved/late"
	want_ok "a file the host adds to the moved directory is seen" lookup late
	want_ok "CREATE after the rename" create made
	[ -f "$T/p/moved/made" ] || fail "made is not in the moved directory"
	[ ! -e "$T/p/share/made" ] || fail "made went into the new directory at the old path"
	confined
	end

	setup
	begin "covered by a bind mount: the export keeps serving the directory underneath"
	mount --bind "$T/p/other" "$T/p/share" || fail "bind mount"
	at_exit "umount -l '$T/p/share'"
	want_ok "LOOKUP inside under the bind mount" lookup inside
	want_ok "CREATE under the bind mount" create made
	[ ! -e "$T/p/other/made" ] || fail "made went into the directory mounted over the export"
	confined
	end
	umount "$T/p/share" || fail "umount the bind mount"
	[ -f "$T/p/share/made" ] || fail "made is not in the export's own directory"

	setup
	begin "removed and made again: requests fail cleanly, the new directory is not served"
	rm -f "$T/p/share/inside" && rmdir "$T/p/share" || fail "rmdir"
	mkdir "$T/p/share" && cp "$T/p/other/impostor" "$T/p/share/" || fail "new directory"
	want_err ENOENT "LOOKUP inside (removed)" lookup inside
	want_err ENOENT "CREATE in the removed directory" create made
	want_err ENOENT "MKDIR in the removed directory" mkdir made
	want_ok "GETATTR of the root still answered" getattr 1
	[ "$(ls "$T/p/share")" = impostor ] || fail "the new directory changed: $(ls "$T/p/share")"
	confined
	end

	setup
	mount -t tmpfs -o size=1m,mode=755 fault-share "$T/p/share" || skip "cannot mount a tmpfs"
	at_exit "umount -l '$T/p/share'"
	echo inside >"$T/p/share/inside"
	begin "unmounted: the export keeps serving the file system it mounted"
	# In the chroot sandbox the worker's root is in the mount, so the host needs -l.
	if umount "$T/p/share" 2>/dev/null; then
		echo "  host: unmounted"
	else
		umount -l "$T/p/share" || fail "umount -l"
		echo "  host: umount refused (busy: the worker's root), lazily unmounted"
	fi
	cp "$T/p/other/impostor" "$T/p/share/" || fail "copy into the bare directory"
	want_ok "LOOKUP inside after the unmount" lookup inside
	want_ok "CREATE after the unmount" create made
	[ ! -e "$T/p/share/made" ] || fail "made went into the directory under the mount point"
	confined
	end
}

for sandbox in namespace chroot; do
	cases
done
pass "share renamed, covered, removed, unmounted: served or clean errors, never outside"
