/*
 * The descriptor chain parser (virtq_chain.c), apart from the ring machinery so the code
 * that reads guest-written descriptors can be read on its own.
 */
#ifndef PRIVFSD_VIRTQ_CHAIN_H
#define PRIVFSD_VIRTQ_CHAIN_H

#include <stdint.h>

struct vring_desc;
struct vq_seg;

#define VQ_MAX_SIZE	32768	/* largest split ring */
/*
 * The most descriptors an indirect table may hold on a ring smaller than this: QEMU's own
 * limit (VIRTQUEUE_MAX_SIZE). The virtio spec asks drivers to keep a chain within the
 * queue size, but Linux before 6.12 sends FUSE's 256 data pages plus headers in one
 * indirect table on a 128-entry ring when the device offers max_pages 256, as the C and
 * Rust virtiofsd do; tables still never exceed max(size, this).
 */
#define VQ_INDIRECT_MAX	1024
#define VQ_ITAB_MAX(num)	((num) > VQ_INDIRECT_MAX ? (num) : VQ_INDIRECT_MAX)

/* What the parser needs of a ring. */
struct vq_ring_view {
	const uint8_t		*desc;		/* the guest's descriptor table (num entries) */
	uint32_t		 num;
	int			 indirect;	/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	struct vring_desc	*itab;		/* num entries of private memory */
};

struct vq_chain {
	struct vq_seg	*seg;		/* MSG_MAX_IOV entries, filled readable first */
	uint32_t	 nseg;
	uint32_t	 nrd;		/* seg[0 .. nrd) are readable */
	uint64_t	 rd_len;
	uint64_t	 wr_len;
	int		 seen_write;
};

/*
 * Walk the chain that starts at head (< num): follow NEXT and at most one indirect table,
 * check every descriptor, split every buffer at region ends. Returns NULL, or why the chain
 * is invalid (the ring itself may still be fine).
 */
const char	*vq_chain_walk(const struct vq_ring_view *, uint16_t head, struct vq_chain *);

#endif
