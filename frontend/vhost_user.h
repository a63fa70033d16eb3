/*
 * The vhost-user back-end inside the frontend: the connection to QEMU (vhost_user.c), the
 * requests it carries (vhost_msg.c) and the rings as the connection drives them
 * (virtq.c). The memory table is guest_mem.h. The process's wiring (frontend.c) sees
 * vu_init() and the connection calls; the FUSE layer only sees virtq.h. What this layer
 * needs from the layers above it, it gets as struct vu_sinks at vu_init().
 */
#ifndef PRIVFSD_VHOST_USER_H
#define PRIVFSD_VHOST_USER_H

#include <stddef.h>
#include <stdint.h>

#include <linux/vhost_types.h>

struct event_base;
struct msg_fuse_state;
struct msg_state_done;
struct vq;
struct vq_req;
struct req_ring;

/* Virtio feature bit QEMU and back-ends use to announce protocol features. */
#define VU_F_LOG_ALL			26	/* VHOST_F_LOG_ALL: dirty page logging on */
#define VU_F_PROTOCOL_FEATURES		30

/* vhost-user protocol feature bits (doc/wire.md §1). */
#define VU_PROTO_F_MQ			0
#define VU_PROTO_F_LOG_SHMFD		1
#define VU_PROTO_F_REPLY_ACK		3
#define VU_PROTO_F_BACKEND_REQ		5
#define VU_PROTO_F_CONFIG		9
#define VU_PROTO_F_BACKEND_SEND_FD	10
#define VU_PROTO_F_INFLIGHT_SHMFD	12
#define VU_PROTO_F_RESET_DEVICE		13
#define VU_PROTO_F_CONFIGURE_MEM_SLOTS	15
#define VU_PROTO_F_DEVICE_STATE		19	/* QEMU 8.2: SET_DEVICE_STATE_FD, CHECK_... */
#define VU_PROTO_F_SHMEM_MAP		22	/* QEMU 11: GET_SHMEM_CONFIG, SHMEM_MAP/UNMAP */

/* Header flags. */
#define VU_FLAG_VERSION_MASK		0x3u
#define VU_VERSION			0x1u
#define VU_FLAG_REPLY			0x4u
#define VU_FLAG_NEED_REPLY		0x8u

/* KICK/CALL/ERR payload. */
#define VU_VRING_IDX_MASK		0xffu
#define VU_VRING_NOFD			0x100u

#define VU_MAX_FDS			8	/* fds one message may carry */
#define VU_TABLE_REGIONS		8	/* regions in one SET_MEM_TABLE */

/*
 * 1 hiprio queue + request queues: as many as QEMU allows a virtio device
 * (VIRTIO_QUEUE_MAX, 1024), so any num-request-queues of vhost-user-fs-pci is served.
 * A queue costs its struct until the guest sets it up; nothing on the request path
 * walks them all.
 */
#define VQ_MAX				1024

struct vu_hdr {
	uint32_t	request;
	uint32_t	flags;
	uint32_t	size;
};

struct vu_mem_region {
	uint64_t	gpa;
	uint64_t	size;
	uint64_t	uaddr;
	uint64_t	mmap_offset;
};

struct vu_mem_table {			/* SET_MEM_TABLE: 8 + nregions * 32 bytes */
	uint32_t		nregions;
	uint32_t		pad;
	struct vu_mem_region	regions[VU_TABLE_REGIONS];
};

struct vu_mem_single {			/* ADD_MEM_REG, REM_MEM_REG */
	uint64_t		pad;
	struct vu_mem_region	region;
};

/* Upward calls: what the transport asks of the layers above it. */
struct vu_sinks {
	/* A validated chain; the receiver owns it and completes it with vq_complete(). */
	void		(*request)(struct vq_req *);
	/* Requests passed on and not answered yet: the drain waits for 0. */
	unsigned int	(*inflight)(void);
	/* Of those, the detached ones (vq_detach()): a memory change does not wait for them. */
	unsigned int	(*inflight_detached)(void);
	/* 0: end every lock wait and start none (a drain is waiting); 1: allow them again. */
	void		(*lock_waits)(int allow);
	/* The device was reset: forget the FUSE session (a new INIT follows). */
	void		(*session_reset)(void);
	/* A message for the broker: region fds, memory changes, the back-end channel. */
	void		(*send_broker)(uint32_t type, int fd, const void *data, size_t len);
	/* The DAX window the VMM can map on this connection, in bytes (0: none). */
	void		(*dax_window)(uint64_t size);
	/* Migration: the FUSE session into the device state, and back (0, or -1: refused). */
	void		(*fuse_state_save)(struct msg_fuse_state *);
	int		(*fuse_state_load)(const struct msg_fuse_state *);
};

/*
 * What the operator configured beyond the vhost-user basics, before vu_start(): the DAX
 * window (0: none) and whether the VMM speaks SHMEM (else FS_MAP, on the operator's word);
 * the device's tag, served with GET_CONFIG only when set (QEMU's own virtio-fs device builds
 * its config space itself, and some releases fail when a back-end offers CONFIG).
 */
struct vu_device_opts {
	uint64_t	dax_window;
	int		dax_shmem;
	const char	*tag;		/* NULL or "" : no GET_CONFIG */
};
void	vu_set_device_opts(const struct vu_device_opts *);

/* ---- vhost_user.c: the connection ---- */
void	vu_init(struct event_base *, const struct vu_sinks *);
/* The accepted vhost-user socket from the broker; only one per frontend. */
void	vu_start(int fd);
/* The worker mapped memory table generation gen. */
void	vu_mem_ready(uint32_t gen, uint32_t nslots);
/* 1 when a memory change waits for the worker to map generation gen. */
int	vu_mem_pending(uint32_t gen);
/*
 * The worker ended a device state transfer (IMSG_WORKER_STATE_DONE), or died in one
 * (NULL): CHECK_DEVICE_STATE gets the result, now or when it comes.
 */
void	vu_state_done(const struct msg_state_done *);
/* Something completed: a waiting GET_VRING_BASE / memory change / reset may go on. */
void	vu_check_drained(void);
/* Guest memory was lost to a SIGBUS (gm_lost()): break the device, end the export. */
__attribute__((__noreturn__)) void vu_mem_lost(void);

/* ---- virtq.c: the rings, as driven by vhost_user.c and vhost_msg.c ---- */
/* request takes each validated chain; completed runs after each completion. */
void		 vq_init(struct event_base *, void (*request)(struct vq_req *),
		    void (*completed)(void));
struct vq	*vq_get(uint32_t index);	/* NULL when index >= VQ_MAX */
/* --poll-max-ns: how long to look at an empty avail ring before sleeping (virtq_look.c). */
void		 vq_look_init(uint32_t max_ns);
/*
 * The worker completes chains itself where it can (virtq.c). The page comes on
 * fd 7: vq_share_map() maps it before vq_init() and the sandbox (without it we complete
 * everything). send gives the broker a ring's place and a copy of its call fd for the
 * worker; done is called with each call id the worker completed, when we take it back.
 */
struct msg_direct_ring;
void		 vq_share_map(void);
/* The page's count of records sent to the worker's request threads, or NULL (no page). */
uint64_t	*vq_share_requests_sent(void);
struct req_ring	*vq_share_request_ring(void);
void		 vq_direct_init(void (*send)(const struct msg_direct_ring *, int call_fd,
		    int kick_fd),
		    void (*done)(struct vq *, uint64_t id), int (*gone)(void));
/* Dirty page logging changed: the worker's completions are off while pages are logged. */
void		 vq_direct_sync_all(void);
int		 vq_set_num(struct vq *, uint32_t num);
int		 vq_set_base(struct vq *, uint32_t base);
uint32_t	 vq_get_base(const struct vq *);
int		 vq_set_addr(struct vq *, const struct vhost_vring_addr *);
int		 vq_set_kick(struct vq *, int fd);	/* starts the ring; -1: refused */
void		 vq_set_call(struct vq *, int fd);	/* -1: no notifications */
void		 vq_set_err(struct vq *, int fd);
void		 vq_set_enable(struct vq *, int enable);
/* Stop: no more guest memory access for this ring until it starts again. */
void		 vq_stop(struct vq *);
/* Every ring stopped, enabled as the features say, indices 0. */
void		 vq_reset_all(void);
/* After SET_FEATURES: ring enable default and EVENT_IDX/INDIRECT_DESC. */
void		 vq_features_changed(uint64_t features);
/* The memory table changed: translate every ring's addresses again. */
void		 vq_remap_all(void);
/* While paused no new chains are taken from any ring; completions still go out. */
void		 vq_pause_all(int paused);
/* Every started ring broken (error eventfd signalled), with why in the log. */
void		 vq_break_all(const char *why);
/* Chains taken from the rings and not yet completed (for any ring). */
unsigned int	 vq_alive(void);
/* Of those, the ones vq_detach() let a memory change go on without. */
unsigned int	 vq_detached(void);

/* ---- between vhost_user.c (the connection) and vhost_msg.c (the requests) ---- */
#define VU_MAX_PAYLOAD			4096	/* larger messages end the connection */

/* SET_LOG_BASE: the dirty page bitmap, in the fd that comes with it. */
struct vu_log {
	uint64_t	mmap_size;
	uint64_t	mmap_offset;
};

struct vu_msg {
	struct vu_hdr		hdr;
	union {
		uint64_t			u64;
		struct vu_log			log;
		struct vhost_vring_state	state;
		struct vhost_vring_addr		addr;
		struct vu_mem_table		table;
		struct vu_mem_single		single;
		uint8_t				bytes[VU_MAX_PAYLOAD];
	} p;
	int			fds[VU_MAX_FDS];	/* -1 once a handler took one */
	unsigned int		nfds;
};

/* Handler results. */
#define VU_OK		0
#define VU_FAIL		(-1)
#define VU_DEFER	1	/* from a handler: run rep->drained once nothing is in flight */
#define VU_WAIT_READY	2	/* from a drained fn: answer once the worker has rep->gen */
#define VU_WAIT_STATE	3	/* from a drained fn: answer once the worker ends a transfer */

struct vu_reply;
/* Runs once no request is in flight; returns VU_OK, VU_FAIL or VU_WAIT_READY. */
typedef int (*vu_drained_fn)(struct vu_reply *, uint32_t arg);

/* GET_SHMEM_CONFIG's reply: u32 count, u32 pad, a size for each of 256 region ids. */
#define VU_SHMEM_REGIONS		256
#define VU_REPLY_MAX			(8 + VU_SHMEM_REGIONS * 8)

struct vu_reply {
	uint32_t		size;
	union {
		uint64_t			u64;
		struct vhost_vring_state	state;
		uint8_t				bytes[VU_REPLY_MAX];
	} p;
	vu_drained_fn		drained;	/* with VU_DEFER */
	int			memory;		/* a memory change: detached chains go on */
	uint32_t		arg;		/* drained's argument */
	uint32_t		gen;		/* with VU_WAIT_READY: memory generation */
};

typedef int (*vu_handler)(struct vu_msg *, struct vu_reply *);

struct vu_cmd {
	uint32_t	 request;
	const char	*name;
	uint32_t	 size_min;	/* payload size rule: size_min <= size <= size_max */
	uint32_t	 size_max;
	uint8_t		 fd_min;	/* fds the request may carry */
	uint8_t		 fd_max;
	uint8_t		 has_reply;	/* always answered with a payload of its own */
	vu_handler	 fn;		/* NULL: refused (feature not offered) */
};

/* ---- vhost_msg.c: the request table ---- */
/* The handlers' own upward calls (session reset, the broker), from vu_init(). */
void			 vu_cmds_init(const struct vu_sinks *);
const struct vu_cmd	*vu_cmd_lookup(uint32_t request);
const char		*vu_request_name(uint32_t request);
/* The transfer the worker had ended (NULL: it died): CHECK_DEVICE_STATE's result. */
void			 vu_xfer_end(const struct msg_state_done *);

#endif
