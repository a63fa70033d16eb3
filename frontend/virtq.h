/*
 * Split virtqueues as seen by the FUSE layer. The vhost-user layer pops validated chains
 * (every check of doc/wire.md section 4 done, descriptors copied before use, every buffer
 * split per memory region) and hands each to the request sink it was given (the FUSE
 * layer's fuse_request()); the FUSE layer completes it, in any order, with vq_complete().
 */
#ifndef PRIVFSD_VIRTQ_H
#define PRIVFSD_VIRTQ_H

#include <stddef.h>
#include <stdint.h>

struct vq;

/* One guest buffer piece inside one memory slot. */
struct vq_seg {
	uint8_t		*host;		/* this process's mapping of the piece */
	uint64_t	 gpa;		/* its guest physical address (the dirty page log) */
	uint64_t	 offset;	/* offset into the slot's mapping (fd offset) */
	uint32_t	 slot;		/* memory slot, see msg_iov */
	uint32_t	 len;
};

/* A popped descriptor chain: readable segments first, then writable ones. */
struct vq_req {
	struct vq	*vq;
	uint32_t	 head;		/* descriptor index that heads the chain */
	uint32_t	 nrd;		/* seg[0 .. nrd) are readable by us */
	uint32_t	 nwr;		/* seg[nrd .. nrd + nwr) are writable by us */
	uint32_t	 rd_len;	/* total readable bytes */
	uint32_t	 wr_len;	/* total writable bytes */
	uint32_t	 memgen;	/* memory table generation the segments belong to */
	struct vq_seg	 seg[];
};

/* Queue number of the virtqueue (0 = hiprio, 1.. = request queues). */
unsigned int	vq_index(const struct vq *);
/*
 * Ring size (SET_VRING_NUM) of the virtqueue. The FUSE layer clamps max_pages to it (a
 * chain, indirect or not, holds at most that many descriptors).
 */
unsigned int	vq_num(const struct vq *);
/* The most descriptors one chain may hold: the ring size, more with indirect tables. */
unsigned int	vq_chain_max(const struct vq *);

/*
 * Return the chain to the guest with used.len = written (bytes we wrote into the writable
 * segments), notify per EVENT_IDX, free req. Safe to call after the ring was stopped (the
 * request is then dropped without touching guest memory).
 */
void	vq_complete(struct vq_req *req, uint32_t written);
/*
 * A chain whose answer may take VMM round trips (a DAX map): a memory change does not
 * wait for it, since QEMU changes the memory table in the middle of a map and waits for
 * us. Its reply is written only where its segments are still mapped as they were
 * (vq_copy_to_req() copies nothing otherwise).
 */
void	vq_detach(struct vq_req *req);
/* 0 when a memory change since the chain was taken unmapped its writable segments. */
int	vq_req_live(const struct vq_req *req);

/*
 * The worker completes chains itself where it can (the end of virtq.c; set up through
 * vhost_user.h).
 */
struct msg_direct;
struct msg_iov;
/*
 * A request the worker may complete: its ring's gen, queue and head in *d, and in seg
 * (DIRECT_SEGS_MAX) the writable pieces of its first len bytes. 0, or -1 when not.
 */
int	vq_direct_req(const struct vq_req *req, uint32_t len, struct msg_direct *d,
	    struct msg_iov *seg);
/* The worker completed req (it is on the used ring): free it as vq_complete() would. */
void	vq_release(struct vq_req *req);

/*
 * Backpressure: while any reason is on, no ring gives out chains (the guest's requests
 * wait in its avail rings); completions still go out. When the last reason goes off,
 * every ring looks at its avail ring again.
 */
#define VQ_THROTTLE_CHAN	0x1	/* the worker's ordered channel holds too many bytes */
#define VQ_THROTTLE_CALLS	0x2	/* too many requests wait for the worker */
#define VQ_THROTTLE_REQUESTS	0x4	/* the worker's requests channel holds too many bytes */
#define VQ_THROTTLE_WORKER	0x8	/* no worker: the old one died, the new one is not ready */
void	vq_throttle(unsigned int reason, int on);

/*
 * Copy helpers over the segments of a request. They never go past the segments; they
 * return the number of bytes copied.
 */
size_t	vq_copy_from_req(const struct vq_req *req, size_t from, void *dst, size_t len);	/* readable part */
size_t	vq_copy_to_req(struct vq_req *req, size_t to, const void *src, size_t len);	/* writable part */

#endif
