/*
 * Guest flags into our own: O_* open flags sanitized, FATTR_* into SETATTR_*.
 *
 * Open flags arrive as the guest kernel's f_flags (Linux strips O_CREAT, O_EXCL and
 * O_NOCTTY for OPEN itself). The values are the guest architecture's; guest and host are
 * both x86-64 Linux here, as with every virtiofsd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "msg.h"
#include "fuse_priv.h"

/* glibc's __O_TMPFILE includes O_DIRECTORY: the bit of its own is this one. */
#define TMPFILE_BIT	((uint32_t)(O_TMPFILE & ~O_DIRECTORY))

/*
 * Kept: access mode, O_APPEND, O_NONBLOCK (harmless: only regular files and directories
 * are ever opened), O_SYNC/O_DSYNC, O_DIRECTORY (the worker checks it against the node).
 * Dropped silently: O_EXCL, O_NOCTTY, O_CLOEXEC and FASYNC (host-side details the worker
 * decides), O_NOFOLLOW (the worker reopens a node it already holds, never a path),
 * O_LARGEFILE (0 on 64-bit hosts), the kernel's internal __FMODE_* bits and anything unknown.
 */
#define OPEN_KEEP	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_DIRECTORY)

int
fuse_open_flags_in(uint32_t in, uint32_t opcode, uint32_t *out)
{
	uint32_t cf = fuse_sess.config_flags, keep = OPEN_KEEP;
	uint32_t f;

	/* OPEN never creates; nothing opens by O_PATH (doc/security.md, attacks table). */
	if (opcode != FUSE_CREATE && opcode != FUSE_TMPFILE && (in & O_CREAT))
		return EINVAL;
	if (opcode != FUSE_TMPFILE && (in & TMPFILE_BIT))
		return EINVAL;
	if (in & O_PATH)
		return EINVAL;
	/* ATOMIC_O_TRUNC: OPEN may truncate; a created file is empty anyway. */
	if (opcode == FUSE_OPEN)
		keep |= O_TRUNC;
	/* As virtiofsd: guest O_DIRECT need not bypass the host's cache (--allow-direct-io). */
	if (cf & CONFIG_ALLOW_DIRECT_IO)
		keep |= O_DIRECT;
	/* O_NOATIME fails with EPERM for non-owners; virtiofsd drops it unless asked. */
	if (cf & CONFIG_PRESERVE_NOATIME)
		keep |= O_NOATIME;
	if (opcode == FUSE_TMPFILE)
		keep &= ~(uint32_t)O_DIRECTORY;	/* the worker adds O_TMPFILE itself */
	f = in & keep;
	if (fuse_sess.flags & FUSE_WRITEBACK_CACHE) {
		/* The guest's page cache may read around a write-only file's writes. */
		if ((f & O_ACCMODE) == O_WRONLY)
			f = (f & ~(uint32_t)O_ACCMODE) | O_RDWR;
		/* The guest computes append offsets itself; the host must not move them. */
		f &= ~(uint32_t)O_APPEND;
	}
	*out = f;
	return 0;
}

uint32_t
fuse_setattr_valid(uint32_t fattr)
{
	static const struct {
		uint32_t fattr, ours;
	} map[] = {
		{ FATTR_MODE, SETATTR_MODE },
		{ FATTR_UID, SETATTR_UID },
		{ FATTR_GID, SETATTR_GID },
		{ FATTR_SIZE, SETATTR_SIZE },
		{ FATTR_ATIME, SETATTR_ATIME },
		{ FATTR_MTIME, SETATTR_MTIME },
		{ FATTR_FH, SETATTR_FH },
		{ FATTR_ATIME_NOW, SETATTR_ATIME_NOW },
		{ FATTR_MTIME_NOW, SETATTR_MTIME_NOW },
		{ FATTR_CTIME, SETATTR_CTIME },
		{ FATTR_KILL_SUIDGID, SETATTR_KILL_SUIDGID },
	};
	uint32_t ours = 0;
	size_t i;

	/* FATTR_LOCKOWNER and unknown bits ask for nothing we do. */
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (fattr & map[i].fattr)
			ours |= map[i].ours;
	return ours;
}
