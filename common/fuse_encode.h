/*
 * FUSE reply records built from the worker's typed results, for whichever process writes
 * the reply into the guest's buffers: the frontend, or the worker when it completes a
 * request itself (used_ring.h). Every record is zeroed before it is filled, so no padding
 * or stale byte reaches the guest.
 */
#ifndef PRIVFSD_FUSE_ENCODE_H
#define PRIVFSD_FUSE_ENCODE_H

#include <stdint.h>

#include <linux/fuse.h>

#include "msg.h"

/* The errno a guest may see: Linux passes errors below 512 to user space, else EIO. */
int	fuse_encode_errno(int error);
/*
 * attr_flags: the FUSE_ATTR_* bits the session allows (SUBMOUNT, DAX); a node's flags
 * outside them are not passed on.
 */
void	fuse_encode_attr(struct fuse_attr *, const struct msg_attr *, uint32_t attr_flags);
/* timeout: entry and attribute validity in seconds. */
void	fuse_encode_entry(struct fuse_entry_out *, const struct msg_entry *, uint64_t timeout,
	    uint32_t attr_flags);

/*
 * READDIR and READDIRPLUS replies: each struct msg_dirent (and msg_entry for plus) of the
 * worker's list (IMSG_WORKER_REPLY_DIRENTS) becomes a fuse_dirent (fuse_direntplus)
 * record padded to 8 bytes, zeroed first, names checked again. The worker stops before
 * the guest's buffer is full; a list that does not fit in size bytes is refused (-1)
 * rather than cut, since READDIRPLUS entries carry lookup counts. *len: the bytes written.
 */
struct fuse_dirents_enc {
	uint32_t	size;		/* the guest's buffer, at most MSG_MAX_READDIR */
	int		plus;		/* READDIRPLUS */
	uint64_t	timeout;	/* plus: entry and attribute validity in seconds */
	uint32_t	attr_flags;	/* plus: as for fuse_encode_attr() */
};

struct msg_reader;
int	fuse_encode_dirents(uint8_t *out, const struct fuse_dirents_enc *,
	    struct msg_reader *, uint32_t *len);

#endif
