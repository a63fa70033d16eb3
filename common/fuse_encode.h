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

#endif
