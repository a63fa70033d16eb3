/*
 * A native vhost-user front-end for tests and benchmarks: it plays QEMU (the vhost-user
 * messages of the QEMU 7.2 start, stop and reboot sequences) and the guest driver (memfd
 * guest memory, split virtqueues), so a back-end can be driven without a VM.
 *
 * Layers, each usable alone:
 *   vu_msg.c   vhost-user messages over the unix socket (raw access for hostile tests)
 *   vu_mem.c   guest memory: memfd regions at chosen guest physical addresses, allocator
 *   vu_ring.c  split rings: chains, indirect tables, EVENT_IDX, kicks, used entries
 *   vu_dev.c   the device: start sequence, stop (GET_VRING_BASE), restart
 *   vu_fuse.c  FUSE client over the rings (vu_fuse.h)
 */
#ifndef VU_DRIVER_H
#define VU_DRIVER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

/* ---- vhost-user wire (QEMU-internal structs, not in any system header) ------------- */

enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SET_BACKEND_REQ_FD = 21,
	VU_GET_CONFIG = 24,
	VU_RESET_DEVICE = 34,
	VU_GET_MAX_MEM_SLOTS = 36,
	VU_ADD_MEM_REG = 37,
	VU_REM_MEM_REG = 38,
	VU_GET_SHMEM_CONFIG = 44,
};

/* Requests the back-end sends on the back-end channel (SET_BACKEND_REQ_FD). */
enum vu_backend_request {
	VU_BE_FS_MAP = 6,	/* the old virtio-fs DAX branch of QEMU */
	VU_BE_FS_UNMAP = 7,
	VU_BE_SHMEM_MAP = 9,	/* VHOST_USER_PROTOCOL_F_SHMEM_MAP */
	VU_BE_SHMEM_UNMAP = 10,
};

#define VU_FLAG_VERSION		0x1
#define VU_FLAG_REPLY		0x4
#define VU_FLAG_NEED_REPLY	0x8

#define VU_PROTO_MQ			0
#define VU_PROTO_LOG_SHMFD		1
#define VU_PROTO_REPLY_ACK		3
#define VU_PROTO_BACKEND_REQ		5
#define VU_PROTO_CONFIG			9
#define VU_PROTO_BACKEND_SEND_FD	10
#define VU_PROTO_RESET_DEVICE		13
#define VU_PROTO_CONFIGURE_MEM_SLOTS	15
#define VU_PROTO_SHMEM_MAP		22

#define VU_F_LOG_ALL			26
#define VU_F_PROTOCOL_FEATURES		30

#define VU_HDR_SIZE		12
#define VU_MAX_FDS		8
#define VU_MAX_PAYLOAD		4096	/* our receive buffer; replies are small */
#define VU_VRING_NOFD		0x100

struct vu_hdr {
	uint32_t	request;
	uint32_t	flags;
	uint32_t	size;
} __attribute__((packed));

struct vu_region_msg {
	uint64_t	guest_phys_addr;
	uint64_t	memory_size;
	uint64_t	userspace_addr;
	uint64_t	mmap_offset;
};

struct vu_mem_table_msg {
	uint32_t	nregions;
	uint32_t	pad;
	struct vu_region_msg regions[8];
};

struct vu_mem_reg_msg {
	uint64_t	pad;
	struct vu_region_msg region;
};

/* ---- options ------------------------------------------------------------------------ */

#define VU_MAX_REGIONS	8
#define VU_MAX_QUEUES	9	/* hiprio + up to 8 request queues */

struct vu_opts {
	const char	*socket;
	unsigned int	 num_request_queues;	/* 1 */
	unsigned int	 queue_size;		/* 128 */
	int		 event_idx;		/* negotiate VIRTIO_RING_F_EVENT_IDX */
	int		 indirect;		/* negotiate VIRTIO_RING_F_INDIRECT_DESC */
	unsigned int	 nregions;		/* 1; guest memory split into this many regions */
	uint64_t	 mem_size;		/* total guest memory, 64 MiB */
	uint64_t	 gpa_base;		/* first region's guest physical address */
	uint64_t	 gpa_gap;		/* hole between regions (0: contiguous) */
	int		 add_mem_reg;		/* ADD_MEM_REG instead of SET_MEM_TABLE */
	int		 qemu_acks;		/* NEED_REPLY only where QEMU 7.2 asks for it
						   (memory, back-end channel); default: always */
	int		 timeout_ms;		/* wait for replies and used entries, 5000 */
	int		 no_overrun_check;	/* skip the check that nothing was written
						   around the writable buffers (benchmarks) */
	int		 mem_sealable;		/* memfd with MFD_ALLOW_SEALING, as QEMU's
						   memory-backend-memfd seal=off: a back-end
						   may add seals; default: it cannot */
	uint64_t	 dax_window;		/* DAX cache window: 0 none; in shmem mode
						   any non-zero value asks for the window and
						   the back-end's GET_SHMEM_CONFIG size is used */
	int		 dax_vmm;		/* VU_DAX_SHMEM or VU_DAX_FS_MAP */
	int		 verbose;
};

#define VU_DAX_SHMEM	0	/* SHMEM_MAP/UNMAP, protocol feature bit 22 */
#define VU_DAX_FS_MAP	1	/* FS_MAP/FS_UNMAP; the window size is ours */

void	vu_opts_default(struct vu_opts *);

/* ---- guest memory ------------------------------------------------------------------- */

struct vu_region {
	uint64_t	 gpa;
	uint64_t	 size;
	uint64_t	 mmap_offset;	/* the region starts this far into the memfd */
	uint8_t		*map;		/* driver's mapping of the whole memfd */
	int		 fd;
};

struct vu_extent {
	uint64_t	gpa;
	uint64_t	len;
};

struct vu_mem {
	struct vu_region reg[VU_MAX_REGIONS];
	unsigned int	 nreg;
	struct vu_extent *free;		/* sorted free extents (guest physical) */
	size_t		 nfree;
	size_t		 capfree;
};

int	 vu_mem_init(struct vu_mem *, const struct vu_opts *);
void	 vu_mem_fini(struct vu_mem *);
/* Host pointer of [gpa, gpa + len) when it lies within one region, else NULL. */
void	*vu_mem_ptr(struct vu_mem *, uint64_t gpa, uint64_t len);
/* The driver's "QEMU virtual address" of a guest physical address (for SET_VRING_ADDR). */
uint64_t vu_mem_uaddr(struct vu_mem *, uint64_t gpa);
/* Copies that may span regions; -1 when part of the range is not memory. */
int	 vu_mem_write(struct vu_mem *, uint64_t gpa, const void *, size_t);
int	 vu_mem_read(struct vu_mem *, uint64_t gpa, void *, size_t);
int	 vu_mem_fill(struct vu_mem *, uint64_t gpa, int c, size_t);
/* First fit, align a power of two; never spans a region boundary. 0 when out of memory. */
uint64_t vu_mem_alloc(struct vu_mem *, uint64_t len, uint64_t align);
void	 vu_mem_free(struct vu_mem *, uint64_t gpa, uint64_t len);
/* Free guest memory left after all allocations. */
uint64_t vu_mem_avail(const struct vu_mem *);

/* ---- split rings ------------------------------------------------------------------- */

struct vu_buf {
	uint64_t	gpa;
	uint32_t	len;
};

struct vu_chain {		/* what the driver remembers about one head */
	void		*cookie;
	uint16_t	 ndesc;		/* ring descriptors used (1 for indirect) */
	uint64_t	 indirect;	/* gpa of an indirect table to free, 0 none */
	uint32_t	 indirect_len;
	int		 done;
	uint32_t	 used_len;
};

struct vu_ring {
	unsigned int	 index;
	uint16_t	 num;
	int		 event_idx;
	int		 indirect;
	uint64_t	 desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	int		 kickfd, callfd, errfd;
	uint16_t	 avail_idx;	/* our shadow of avail->idx */
	uint16_t	 last_used;	/* next used entry to consume */
	uint16_t	 free_head;
	uint16_t	 num_free;
	uint16_t	 kicked_idx;	/* avail idx at the last notification decision */
	struct vu_chain	*chains;	/* [num] by head */
	uint16_t	*link;		/* private next: free list and chain membership */
	uint64_t	 kicks, calls;	/* counters for tests and benchmarks */
};

/* Allocate the ring parts in guest memory and the eventfds. */
int	 vu_ring_init(struct vu_ring *, struct vu_mem *, unsigned int index, uint16_t num,
	    int event_idx, int indirect);
void	 vu_ring_fini(struct vu_ring *, struct vu_mem *);
/* Forget every chain (after GET_VRING_BASE returned), for a restart at base 0. */
void	 vu_ring_reset(struct vu_ring *, struct vu_mem *);
/*
 * Add a chain: rd readable buffers, then wr writable ones; with use_indirect, in an
 * indirect table allocated in guest memory. Returns the head, -1 when there is no room.
 * The chain is not visible until vu_ring_publish().
 */
int	 vu_ring_add(struct vu_ring *, struct vu_mem *, const struct vu_buf *rd, unsigned int nrd,
	    const struct vu_buf *wr, unsigned int nwr, int use_indirect, void *cookie);
/* Make added heads visible (avail->idx) and kick when the back-end wants it. */
void	 vu_ring_publish(struct vu_ring *);
void	 vu_ring_kick(struct vu_ring *);	/* unconditional */
/*
 * Consume used entries (any order). Returns 1 with *cookie and *len of one completed chain,
 * 0 when there is none, -1 on a used entry that makes no sense (bad id / not in flight).
 */
int	 vu_ring_get_used(struct vu_ring *, struct vu_mem *, void **cookie, uint32_t *len);
/* Wait until a used entry is there or the call eventfd fires: 1 ready, 0 timeout. */
int	 vu_ring_wait(struct vu_ring *, int timeout_ms);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
int64_t	 vu_now_ms(void);
/* Raw access for hostile tests: put any head into the avail ring, set avail->idx. */
void	 vu_ring_raw_avail(struct vu_ring *, uint16_t slot, uint16_t head);
void	 vu_ring_raw_set_avail_idx(struct vu_ring *, uint16_t idx);
/* EVENT_IDX fields: the back-end's avail_event, our used_event. */
uint16_t vu_ring_avail_event(struct vu_ring *);
void	 vu_ring_set_used_event(struct vu_ring *, uint16_t);
/* Heads in flight. */
unsigned int vu_ring_inflight(const struct vu_ring *);

/* ---- the DAX window (the VMM's side of the back-end channel) -------------------------- */

#define VU_DAX_MAX_LIVE		4096	/* live mappings kept track of (a test's worth) */
#define VU_DAX_LOG		64	/* last requests remembered */

struct vu_dax_map {			/* one live mapping of the window */
	uint64_t	shm_offset;
	uint64_t	len;
	uint64_t	fd_offset;
	int		writable;	/* mapped PROT_WRITE (shmem: always, as QEMU 11.1) */
};

struct vu_dax_rec {			/* one request as the VMM saw it */
	uint32_t	request;	/* VU_BE_* */
	uint64_t	shm_offset, len, fd_offset, flags;
	int		result;		/* 0 done, -1 refused, 1 not answered */
};

struct vu_dax_stats {
	uint64_t	requests;	/* every message received on the channel */
	uint64_t	maps, unmaps;	/* done */
	uint64_t	failures;	/* refused (QEMU's rules, mmap failure, malformed) */
	uint64_t	outside;	/* ranges not inside the window: the daemon's bug */
	uint64_t	unanswered;	/* received while not answering */
	uint64_t	nlive;		/* live mappings now */
};

struct vu_dax {
	uint8_t		*window;	/* PROT_NONE reservation; NULL: no window */
	uint64_t	 size;
	int		 flavour;	/* VU_DAX_SHMEM or VU_DAX_FS_MAP */
	int		 fd;		/* our end of the back-end channel (not owned) */
	int		 reply_ack;	/* answer NEED_REPLY */
	int		 stop[2];	/* pipe: wakes the thread to end */
	int		 running;
	volatile int	 no_reply;	/* a hung VMM: read requests, do and answer nothing */
	pthread_t	 thread;
	pthread_mutex_t	 lock;		/* the fields below */
	struct vu_dax_stats st;
	struct vu_dax_map *live;	/* sorted by shm_offset, never overlapping */
	struct vu_dax_rec log[VU_DAX_LOG];
	uint64_t	 nlog;		/* records ever made; log[nlog % VU_DAX_LOG] next */
	int		 verbose;
};

/*
 * Reserve a window of size bytes and serve the back-end channel fd in a thread, with
 * QEMU's rules for the flavour. The test's own fake back-end can use it on a socketpair.
 */
int	 vu_dax_start(struct vu_dax *, int fd, uint64_t size, int flavour, int reply_ack);
void	 vu_dax_stop(struct vu_dax *);	/* thread ended, window unmapped */
void	 vu_dax_stats(struct vu_dax *, struct vu_dax_stats *);
/* The live mapping that covers window offset off: 1 found (copied to *m), 0 none. */
int	 vu_dax_find(struct vu_dax *, uint64_t off, struct vu_dax_map *);
/* The k-th last request (0 = the newest): 1 found, 0 none. */
int	 vu_dax_last(struct vu_dax *, unsigned int k, struct vu_dax_rec *);
/* Wait until pred(stats, arg) holds or timeout_ms passes: 1 held, 0 not. */
int	 vu_dax_wait(struct vu_dax *, int (*pred)(const struct vu_dax_stats *, void *),
	    void *arg, int timeout_ms);
const char *vu_dax_flavour_name(int);

/* ---- the device -------------------------------------------------------------------- */

struct vu_dev {
	struct vu_opts	 opts;
	int		 sock;
	int		 backend_fd;	/* our end of the SET_BACKEND_REQ_FD socketpair */
	uint64_t	 features;	/* negotiated virtio features */
	uint64_t	 backend_features;
	uint64_t	 protocol_features;
	uint64_t	 queue_num;	/* GET_QUEUE_NUM answer (0 when not asked) */
	uint64_t	 max_mem_slots;
	unsigned int	 nqueues;	/* hiprio + request queues */
	struct vu_mem	 mem;
	struct vu_ring	 ring[VU_MAX_QUEUES];
	int		 started;
	int		 reply_ack;	/* REPLY_ACK negotiated */
	uint64_t	 offered_protocol_features;	/* GET_PROTOCOL_FEATURES, unmasked */
	uint64_t	 shmem_sizes[8];	/* GET_SHMEM_CONFIG (shmem flavour) */
	uint32_t	 shmem_nregions;
	struct vu_dax	 dax;		/* window and channel server (opts.dax_window) */
	uint64_t	 next_unique;
	char		 err[256];	/* last error, for messages */
};

/* Connect, do the QEMU realize and DRIVER_OK sequences. 0 ok, -1 with dev->err set. */
int	 vu_dev_open(struct vu_dev *, const struct vu_opts *);
int	 vu_dev_connect(struct vu_dev *, const struct vu_opts *);	/* socket + memory only */
int	 vu_dev_realize(struct vu_dev *);	/* GET_FEATURES .. SET_VRING_CALL/ERR */
int	 vu_dev_start(struct vu_dev *);		/* SET_FEATURES .. SET_VRING_ENABLE */
/* SET_VRING_ENABLE 0 + GET_VRING_BASE per ring; bases returned in base[] if not NULL. */
int	 vu_dev_stop(struct vu_dev *, uint16_t *base);
/* Reboot: stop, forget ring contents, start again (same socket). */
int	 vu_dev_reboot(struct vu_dev *);
void	 vu_dev_close(struct vu_dev *);
/* Request queue q (1-based) or hiprio (0). */
struct vu_ring *vu_dev_ring(struct vu_dev *, unsigned int q);

/* ---- raw vhost-user messages --------------------------------------------------------- */

/* Send one message; payload may be NULL with size 0. -1 on error (errno). */
int	 vu_send(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
	    const int *fds, int nfds);
/* Send a message with arbitrary header fields and body bytes (hostile tests). */
int	 vu_send_raw(int sock, const struct vu_hdr *, const void *body, size_t bodylen,
	    const int *fds, int nfds);
/*
 * Receive one message within timeout_ms: header in *hdr, payload (up to cap) in buf.
 * 1 got one, 0 timeout, -1 error or EOF (errno = 0 on EOF).
 */
int	 vu_recv(int sock, struct vu_hdr *hdr, void *buf, size_t cap, int timeout_ms);
/* A request with a u64/state reply checked like QEMU does. */
int	 vu_dev_get_u64(struct vu_dev *, uint32_t request, uint64_t *val);
int	 vu_dev_set_u64(struct vu_dev *, uint32_t request, uint64_t val);
int	 vu_dev_set_state(struct vu_dev *, uint32_t request, unsigned int index, unsigned int num);
/* Send with NEED_REPLY when REPLY_ACK is on and check the ack. */
int	 vu_dev_request(struct vu_dev *, uint32_t request, const void *payload, uint32_t size,
	    const int *fds, int nfds);
/* 1 when the back-end closed the socket (poll for HUP/EOF without consuming data). */
int	 vu_dev_peer_closed(struct vu_dev *, int timeout_ms);

const char *vu_request_name(uint32_t);
void	 vu_log(const struct vu_dev *, const char *, ...)
	    __attribute__((__format__(printf, 2, 3)));

#endif
