/*
 * Host attributes -> struct msg_attr: ids mapped back to the guest's, the inode number
 * hashed when --hashed-inodes asks for it (keyed on device and inode, so every path to
 * one file, bind mounts included, shows the same number and submounts never collide).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <string.h>

#include "msg.h"
#include "worker.h"

uint64_t
attr_ino(uint64_t dev, uint64_t ino)
{
	uint64_t h;

	if (!(wk_config.flags & CONFIG_HASHED_INODES))
		return ino;
	h = keyhash_ino(dev, ino);
	return h != 0 ? h : 1;
}

void
stat_to_attr(const struct stat *st, struct msg_attr *a)
{
	explicit_bzero(a, sizeof(*a));
	a->ino = attr_ino(st->st_dev, st->st_ino);
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->atime = st->st_atim.tv_sec;
	a->mtime = st->st_mtim.tv_sec;
	a->ctime = st->st_ctim.tv_sec;
	a->atimensec = (uint32_t)st->st_atim.tv_nsec;
	a->mtimensec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctimensec = (uint32_t)st->st_ctim.tv_nsec;
	a->mode = st->st_mode;
	a->nlink = (uint32_t)st->st_nlink;
	a->uid = uid_to_guest(st->st_uid);
	a->gid = gid_to_guest(st->st_gid);
	/* glibc's dev_t truncated to 32 bits is the kernel's new_encode_dev() form. */
	a->rdev = (uint32_t)st->st_rdev;
	a->blksize = (uint32_t)st->st_blksize;
}

void
statx_to_attr(const struct statx *stx, struct msg_attr *a)
{
	explicit_bzero(a, sizeof(*a));
	a->ino = attr_ino(makedev(stx->stx_dev_major, stx->stx_dev_minor), stx->stx_ino);
	a->size = stx->stx_size;
	a->blocks = stx->stx_blocks;
	a->atime = stx->stx_atime.tv_sec;
	a->mtime = stx->stx_mtime.tv_sec;
	a->ctime = stx->stx_ctime.tv_sec;
	a->atimensec = stx->stx_atime.tv_nsec;
	a->mtimensec = stx->stx_mtime.tv_nsec;
	a->ctimensec = stx->stx_ctime.tv_nsec;
	a->mode = stx->stx_mode;
	a->nlink = stx->stx_nlink;
	a->uid = uid_to_guest(stx->stx_uid);
	a->gid = gid_to_guest(stx->stx_gid);
	a->rdev = (uint32_t)makedev(stx->stx_rdev_major, stx->stx_rdev_minor);
	a->blksize = stx->stx_blksize;
}
