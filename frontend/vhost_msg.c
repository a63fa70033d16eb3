/*
 * The vhost-user requests QEMU (7.2 to 11.1) sends a vhost-user-fs back-end: one table row
 * per request with its payload size rule, the fds it may carry, whether it has a reply of
 * its own, and its handler. Rows without a handler are refused with a log line (and an
 * empty reply or a failed REPLY_ACK, so QEMU never waits for us).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "log.h"
#include "msg.h"
#include "vhost_user.h"
#include "guest_mem.h"
#include "dirty_log.h"

#define BIT(n)		(1ULL << (n))

static const uint64_t vu_offered_features =
    BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |
    BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VU_F_PROTOCOL_FEATURES) | BIT(VU_F_LOG_ALL);

/*
 * CONFIG only with --tag (QEMU's vhost-user-fs device builds the config space itself,
 * and 7.1-8.0 crash when a back-end offers it); SHMEM_MAP only with a DAX window the VMM
 * maps on our SHMEM_MAP requests.
 */
static const uint64_t vu_base_protocol =
    BIT(VU_PROTO_F_MQ) | BIT(VU_PROTO_F_REPLY_ACK) | BIT(VU_PROTO_F_BACKEND_REQ) |
    BIT(VU_PROTO_F_BACKEND_SEND_FD) | BIT(VU_PROTO_F_CONFIGURE_MEM_SLOTS) |
    BIT(VU_PROTO_F_RESET_DEVICE) | BIT(VU_PROTO_F_LOG_SHMFD) |
    BIT(VU_PROTO_F_DEVICE_STATE);

/* virtio-fs config space: the tag, NUL padded, and the number of request queues. */
#define VIRTIO_FS_TAG_LEN	36
struct virtio_fs_config {
	char		tag[VIRTIO_FS_TAG_LEN];
	uint32_t	num_request_queues;
};

static uint64_t		vu_offered_protocol = vu_base_protocol;
static uint64_t		vu_acked_features;
static uint64_t		vu_acked_protocol;
static struct vu_sinks	vu_sinks;	/* the layers above, from vu_cmds_init() */
static uint64_t		vu_dax_window;
static int		vu_dax_shmem;
static struct virtio_fs_config vu_fs_config;

void
vu_cmds_init(const struct vu_sinks *sinks)
{
	vu_sinks = *sinks;
}

void
vu_set_device_opts(const struct vu_device_opts *o)
{
	vu_dax_window = o->dax_window;
	vu_dax_shmem = o->dax_shmem;
	vu_offered_protocol = vu_base_protocol;
	if (vu_dax_window != 0 && vu_dax_shmem)
		vu_offered_protocol |= BIT(VU_PROTO_F_SHMEM_MAP);
	memset(&vu_fs_config, 0, sizeof(vu_fs_config));
	if (o->tag != NULL && o->tag[0] != '\0') {
		vu_offered_protocol |= BIT(VU_PROTO_F_CONFIG);
		memcpy(vu_fs_config.tag, o->tag, strnlen(o->tag, sizeof(vu_fs_config.tag)));
		vu_fs_config.num_request_queues = 1;
	}
}

/* The fd at position i, now owned by the caller (-1 if absent). */
static int
take_fd(struct vu_msg *m, unsigned int i)
{
	int fd;

	if (i >= m->nfds)
		return -1;
	fd = m->fds[i];
	m->fds[i] = -1;
	return fd;
}

/*
 * Stop reading the socket and taking chains, wait until nothing is in flight, then run
 * fn; its result answers the request (vhost_user.c).
 */
static int
defer(struct vu_reply *rep, vu_drained_fn fn, uint32_t arg)
{
	rep->drained = fn;
	rep->arg = arg;
	return VU_DEFER;
}

static int
reply_u64(struct vu_reply *rep, uint64_t v)
{
	rep->p.u64 = v;
	rep->size = sizeof(rep->p.u64);
	return VU_OK;
}

/* ---- features and ownership ---- */

static int
get_features(struct vu_msg *m, struct vu_reply *rep)
{
	return reply_u64(rep, vu_offered_features);
}

static int
set_features(struct vu_msg *m, struct vu_reply *rep)
{
	if (m->p.u64 & ~vu_offered_features) {
		log_warnx_rl("refused SET_FEATURES 0x%llx: bits 0x%llx not offered",
		    (unsigned long long)m->p.u64,
		    (unsigned long long)(m->p.u64 & ~vu_offered_features));
		return VU_FAIL;
	}
	vu_acked_features = m->p.u64;
	vq_features_changed(vu_acked_features);
	dlog_set_all((vu_acked_features & BIT(VU_F_LOG_ALL)) != 0);
	vq_direct_sync_all();	/* no completions by the worker while pages are logged */
	log_debug("features 0x%llx", (unsigned long long)vu_acked_features);
	return VU_OK;
}

static int
get_protocol_features(struct vu_msg *m, struct vu_reply *rep)
{
	return reply_u64(rep, vu_offered_protocol);
}

static int
set_protocol_features(struct vu_msg *m, struct vu_reply *rep)
{
	if (m->p.u64 & ~vu_offered_protocol) {
		log_warnx_rl("refused SET_PROTOCOL_FEATURES 0x%llx: bits 0x%llx not offered",
		    (unsigned long long)m->p.u64,
		    (unsigned long long)(m->p.u64 & ~vu_offered_protocol));
		return VU_FAIL;
	}
	vu_acked_protocol = m->p.u64;
	log_debug("protocol features 0x%llx", (unsigned long long)vu_acked_protocol);
	return VU_OK;
}

static int
set_owner(struct vu_msg *m, struct vu_reply *rep)
{
	return VU_OK;
}

static int
get_queue_num(struct vu_msg *m, struct vu_reply *rep)
{
	return reply_u64(rep, VQ_MAX);
}

static int
get_max_mem_slots(struct vu_msg *m, struct vu_reply *rep)
{
	return reply_u64(rep, MEM_MAX_SLOTS);
}

#define ACKED(bit)	((vu_acked_protocol & BIT(bit)) != 0)

/*
 * The broker talks to the VMM on it (DAX); we pass it on with what was negotiated, and
 * tell the FUSE layer whether the guest can have the window: the broker needs REPLY_ACK
 * to learn whether a mapping took, and SHMEM_MAP unless the operator vouched for FS_MAP.
 */
static int
set_backend_req_fd(struct vu_msg *m, struct vu_reply *rep)
{
	struct msg_backend_channel	bc;
	uint64_t			window = vu_dax_window;

	memset(&bc, 0, sizeof(bc));
	bc.protocol_features = vu_acked_protocol;
	vu_sinks.send_broker(IMSG_FRONTEND_BACKEND_CHANNEL, take_fd(m, 0), &bc, sizeof(bc));
	if (!ACKED(VU_PROTO_F_REPLY_ACK) || (vu_dax_shmem && !ACKED(VU_PROTO_F_SHMEM_MAP)))
		window = 0;
	vu_sinks.dax_window(window);
	return VU_OK;
}

/* GET_SHMEM_CONFIG: one region, id 0 (virtio-fs's cache window), of the window's size. */
static int
get_shmem_config(struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t	count = 1;
	uint64_t	size = vu_dax_window;

	if (!ACKED(VU_PROTO_F_SHMEM_MAP))
		return VU_FAIL;
	memset(rep->p.bytes, 0, VU_REPLY_MAX);
	memcpy(rep->p.bytes, &count, sizeof(count));
	memcpy(rep->p.bytes + 8, &size, sizeof(size));
	rep->size = VU_REPLY_MAX;
	return VU_OK;
}

/*
 * GET_CONFIG: {u32 offset, u32 size, u32 flags} and the bytes asked for, of the
 * virtio-fs config space (only with --tag). Asked beyond the space: refused.
 */
static int
get_config(struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t	hdr[3];

	if (!ACKED(VU_PROTO_F_CONFIG) || m->hdr.size < sizeof(hdr))
		return VU_FAIL;
	memcpy(hdr, m->p.bytes, sizeof(hdr));
	if (hdr[0] > sizeof(vu_fs_config) || hdr[1] > sizeof(vu_fs_config) - hdr[0] ||
	    m->hdr.size != sizeof(hdr) + hdr[1])
		return VU_FAIL;
	memset(rep->p.bytes, 0, sizeof(hdr) + hdr[1]);
	memcpy(rep->p.bytes, hdr, sizeof(hdr));
	memcpy(rep->p.bytes + sizeof(hdr), (const uint8_t *)&vu_fs_config + hdr[0], hdr[1]);
	rep->size = sizeof(hdr) + hdr[1];
	return VU_OK;
}

static int
reset_drained(struct vu_reply *rep, uint32_t arg)
{
	vq_reset_all();
	vu_sinks.session_reset();
	log_info_rl("device reset");
	return VU_OK;
}

/* RESET_OWNER (deprecated) and RESET_DEVICE: every ring stopped, the session forgotten. */
static int
reset_device(struct vu_msg *m, struct vu_reply *rep)
{
	return defer(rep, reset_drained, 0);
}

/* ---- device state (migration; doc/wire.md) ---- */

/* SET_DEVICE_STATE_FD's reply: an error code in bits 0-7; bit 8: we return no fd. */
#define STATE_NO_FD		0x100ULL
#define STATE_ERROR		0x1ULL
#define STATE_PHASE_STOPPED	0

/*
 * One transfer at a time: the worker writes or reads the stream on the VMM's fd (passed
 * through the broker; we open nothing), then says how it went.
 */
static struct {
	int		 fd;		/* between the request and the drain */
	int		 busy;		/* the worker has the fd */
	int		 known;		/* result holds a transfer's end not yet checked */
	uint32_t	 seq;		/* the transfer's number, which the worker echoes */
	uint32_t	 direction;	/* STATE_SAVE or STATE_LOAD, as asked */
	uint64_t	 result;	/* CHECK_DEVICE_STATE's answer: 0 success */
} vu_xfer = { -1, 0, 0, 0, 0, 0 };

static int
state_fd_drained(struct vu_reply *rep, uint32_t direction)
{
	struct msg_state_fd sf;

	memset(&sf, 0, sizeof(sf));
	sf.direction = direction;
	sf.seq = ++vu_xfer.seq;
	vu_xfer.direction = direction;
	if (direction == STATE_SAVE)
		vu_sinks.fuse_state_save(&sf.fuse);
	/* The channel closes the fd once sent. */
	vu_sinks.send_broker(IMSG_FRONTEND_STATE_FD, vu_xfer.fd, &sf, sizeof(sf));
	vu_xfer.fd = -1;
	vu_xfer.busy = 1;
	vu_xfer.known = 0;
	log_info("device state %s started", direction == STATE_SAVE ? "save" : "load");
	return reply_u64(rep, STATE_NO_FD);
}

/* {u32 direction, u32 phase} and the fd: the worker gets it once nothing is in flight. */
static int
set_device_state_fd(struct vu_msg *m, struct vu_reply *rep)
{
	uint32_t	dir, phase;

	memcpy(&dir, m->p.bytes, sizeof(dir));
	memcpy(&phase, m->p.bytes + sizeof(dir), sizeof(phase));
	if (!ACKED(VU_PROTO_F_DEVICE_STATE) || (dir != STATE_SAVE && dir != STATE_LOAD) ||
	    phase != STATE_PHASE_STOPPED || vu_xfer.busy || vu_xfer.fd != -1) {
		log_warnx_rl("refused SET_DEVICE_STATE_FD: direction %u, phase %u%s", dir,
		    phase, vu_xfer.busy ? ", a transfer is running" : "");
		return reply_u64(rep, STATE_NO_FD | STATE_ERROR);
	}
	vu_xfer.fd = take_fd(m, 0);
	return defer(rep, state_fd_drained, dir);
}

static int
check_drained(struct vu_reply *rep, uint32_t arg)
{
	if (vu_xfer.busy)
		return VU_WAIT_STATE;
	reply_u64(rep, vu_xfer.known ? vu_xfer.result : STATE_ERROR);
	vu_xfer.known = 0;
	return VU_OK;
}

static int
check_device_state(struct vu_msg *m, struct vu_reply *rep)
{
	if (!ACKED(VU_PROTO_F_DEVICE_STATE))
		return VU_FAIL;
	if (vu_xfer.busy)
		return defer(rep, check_drained, 0);
	return check_drained(rep, 0);
}

void
vu_xfer_end(const struct msg_state_done *done)
{
	uint64_t result = 0;

	/* One that already ended (timed out) or was never ours: nothing waits for it. */
	if (!vu_xfer.busy || (done != NULL && (done->seq != vu_xfer.seq ||
	    done->direction != vu_xfer.direction))) {
		if (done != NULL)
			log_warnx("the worker ended device state transfer %u, not the "
			    "current one; ignored", done->seq);
		return;
	}
	if (done == NULL) {
		log_warnx("device state transfer failed: the worker died or did not answer");
		result = STATE_ERROR;
	} else if (done->error != 0) {
		log_warnx("device state %s failed: %s", done->direction == STATE_SAVE ?
		    "save" : "load", strerror(done->error));
		result = STATE_ERROR;
	} else if (done->direction == STATE_LOAD &&
	    vu_sinks.fuse_state_load(&done->fuse) == -1)
		result = STATE_ERROR;
	else
		log_info("device state %s done", done->direction == STATE_SAVE ?
		    "save" : "load");
	vu_xfer.busy = 0;
	vu_xfer.result = result;
	vu_xfer.known = 1;
}

/* ---- memory ---- */

/* The worker's mirror: removed slots, added ones with their fds, then the commit. */
static void
mem_tell_broker(struct gm_change *ch)
{
	struct msg_mem_slot del;
	struct msg_mem_region add;
	struct msg_mem_commit commit;
	uint32_t i;

	for (i = 0; i < ch->ndel; i++) {
		memset(&del, 0, sizeof(del));
		del.gen = ch->gen;
		del.slot = ch->del[i];
		vu_sinks.send_broker(IMSG_FRONTEND_MEM_DEL, -1, &del, sizeof(del));
	}
	for (i = 0; i < ch->nadd; i++) {
		memset(&add, 0, sizeof(add));
		add.gen = ch->gen;
		add.slot = ch->add_slot[i];
		add.guest_phys_addr = ch->add[i].gpa;
		add.memory_size = ch->add[i].size;
		add.userspace_addr = ch->add[i].uaddr;
		add.mmap_offset = ch->add[i].mmap_offset;
		/* The channel closes the fd once sent. */
		vu_sinks.send_broker(IMSG_FRONTEND_MEM_ADD, ch->add_fd[i], &add, sizeof(add));
		ch->add_fd[i] = -1;
	}
	memset(&commit, 0, sizeof(commit));
	commit.gen = ch->gen;
	commit.nslots = ch->nslots;
	vu_sinks.send_broker(IMSG_FRONTEND_MEM_COMMIT, -1, &commit, sizeof(commit));
}

/* Answered once the worker has mapped the new generation (vu_mem_ready). */
static int
mem_drained(struct vu_reply *rep, uint32_t arg)
{
	struct gm_change ch;

	gm_commit(&ch);
	mem_tell_broker(&ch);
	vq_remap_all();
	rep->gen = ch.gen;
	return VU_WAIT_READY;
}

static int
set_mem_table(struct vu_msg *m, struct vu_reply *rep)
{
	const struct vu_mem_table *t = &m->p.table;
	int fds[VU_MAX_FDS];
	unsigned int i, n = m->nfds;

	if (t->nregions > VU_TABLE_REGIONS ||
	    m->hdr.size != 8 + t->nregions * sizeof(struct vu_mem_region)) {
		log_warnx_rl("refused SET_MEM_TABLE: %u regions in %u bytes", t->nregions,
		    m->hdr.size);
		return VU_FAIL;
	}
	for (i = 0; i < n; i++)
		fds[i] = take_fd(m, i);
	if (gm_stage_table(t, fds, n) == -1) {
		log_warnx_rl("refused SET_MEM_TABLE");
		return VU_FAIL;
	}
	rep->memory = 1;
	return defer(rep, mem_drained, 0);
}

static int
add_mem_reg(struct vu_msg *m, struct vu_reply *rep)
{
	if (gm_stage_add(&m->p.single.region, take_fd(m, 0)) == -1) {
		log_warnx_rl("refused ADD_MEM_REG");
		return VU_FAIL;
	}
	rep->memory = 1;
	return defer(rep, mem_drained, 0);
}

static int
rem_mem_reg(struct vu_msg *m, struct vu_reply *rep)
{
	/* An fd QEMU may still attach is closed unused (vu_dispatch closes it). */
	if (gm_stage_rem(&m->p.single.region) == -1) {
		log_warnx_rl("refused REM_MEM_REG");
		return VU_FAIL;
	}
	rep->memory = 1;
	return defer(rep, mem_drained, 0);
}

/* ---- rings ---- */

static struct vq *
ring(uint32_t index, const char *name)
{
	struct vq *vq;

	if ((vq = vq_get(index)) == NULL)
		log_warnx_rl("refused %s: queue %u (we have %u)", name, index, VQ_MAX);
	return vq;
}

static int
set_vring_num(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq = ring(m->p.state.index, "SET_VRING_NUM");

	return vq != NULL && vq_set_num(vq, m->p.state.num) == 0 ? VU_OK : VU_FAIL;
}

static int
set_vring_base(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq = ring(m->p.state.index, "SET_VRING_BASE");

	return vq != NULL && vq_set_base(vq, m->p.state.num) == 0 ? VU_OK : VU_FAIL;
}

static int
set_vring_addr(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq = ring(m->p.addr.index, "SET_VRING_ADDR");

	if (vq == NULL)
		return VU_FAIL;
	if (m->p.addr.flags & ~(1u << VHOST_VRING_F_LOG)) {
		log_warnx_rl("refused SET_VRING_ADDR: flags 0x%x", m->p.addr.flags);
		return VU_FAIL;
	}
	return vq_set_addr(vq, &m->p.addr) == 0 ? VU_OK : VU_FAIL;
}

/* The dirty page bitmap of a migration (dirty_log.c); QEMU waits for an answer. */
static int
set_log_base(struct vu_msg *m, struct vu_reply *rep)
{
	if ((vu_acked_protocol & BIT(VU_PROTO_F_LOG_SHMFD)) == 0) {
		log_warnx_rl("refused SET_LOG_BASE: LOG_SHMFD not negotiated");
		return VU_FAIL;
	}
	if (dlog_set_base(take_fd(m, 0), m->p.log.mmap_size, m->p.log.mmap_offset) == -1)
		return VU_FAIL;
	vq_direct_sync_all();
	return reply_u64(rep, 0);
}

static int
set_vring_enable(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq = ring(m->p.state.index, "SET_VRING_ENABLE");

	if (vq == NULL)
		return VU_FAIL;
	if (m->p.state.num > 1) {
		log_warnx_rl("refused SET_VRING_ENABLE %u", m->p.state.num);
		return VU_FAIL;
	}
	vq_set_enable(vq, m->p.state.num);
	return VU_OK;
}

static int
stop_drained(struct vu_reply *rep, uint32_t index)
{
	struct vq *vq = vq_get(index);

	vq_stop(vq);
	rep->p.state.index = index;
	rep->p.state.num = vq_get_base(vq);
	rep->size = sizeof(rep->p.state);
	return VU_OK;
}

/* Stops the ring; answered once its chains are all back in the used ring. */
static int
get_vring_base(struct vu_msg *m, struct vu_reply *rep)
{
	if (ring(m->p.state.index, "GET_VRING_BASE") == NULL)
		return VU_FAIL;
	return defer(rep, stop_drained, m->p.state.index);
}

/* KICK/CALL/ERR payload: the queue, whether an fd came, and the fd (taken). */
static struct vq *
vring_file(struct vu_msg *m, const char *name, int *fd)
{
	uint64_t v = m->p.u64;
	int nofd = (v & VU_VRING_NOFD) != 0;

	*fd = -1;
	if (v & ~(uint64_t)(VU_VRING_IDX_MASK | VU_VRING_NOFD)) {
		log_warnx_rl("refused %s: payload 0x%llx", name, (unsigned long long)v);
		return NULL;
	}
	if (nofd != (m->nfds == 0)) {
		log_warnx_rl("refused %s: NOFD %s but %u fds", name, nofd ? "set" : "clear",
		    m->nfds);
		return NULL;
	}
	*fd = take_fd(m, 0);
	return ring(v & VU_VRING_IDX_MASK, name);
}

static int
set_vring_kick(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq;
	int fd;

	if ((vq = vring_file(m, "SET_VRING_KICK", &fd)) == NULL || fd == -1) {
		if (vq != NULL)
			log_warnx_rl("refused SET_VRING_KICK without fd: polling is not "
			    "supported");
		if (fd != -1)
			close(fd);
		return VU_FAIL;
	}
	return vq_set_kick(vq, fd) == 0 ? VU_OK : VU_FAIL;
}

/* CALL/ERR without an fd: QEMU does not want that signal (we keep none). */
static int
set_vring_call(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq;
	int fd;

	if ((vq = vring_file(m, "SET_VRING_CALL", &fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return VU_FAIL;
	}
	vq_set_call(vq, fd);
	return VU_OK;
}

static int
set_vring_err(struct vu_msg *m, struct vu_reply *rep)
{
	struct vq *vq;
	int fd;

	if ((vq = vring_file(m, "SET_VRING_ERR", &fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return VU_FAIL;
	}
	vq_set_err(vq, fd);
	return VU_OK;
}

/* ---- the table ---- */

#define ANY		0, VU_MAX_PAYLOAD
#define EXACT(n)	(n), (n)
#define U64		EXACT(sizeof(uint64_t))
#define STATE		EXACT(sizeof(struct vhost_vring_state))
#define FDS(a, b)	(a), (b)
#define ANYFDS		FDS(0, VU_MAX_FDS)

static const struct vu_cmd vu_cmds[] = {
	{ 1, "GET_FEATURES",		EXACT(0), FDS(0, 0), 1, get_features },
	{ 2, "SET_FEATURES",		U64, FDS(0, 0), 0, set_features },
	{ 3, "SET_OWNER",		EXACT(0), FDS(0, 0), 0, set_owner },
	{ 4, "RESET_OWNER",		EXACT(0), FDS(0, 0), 0, reset_device },
	{ 5, "SET_MEM_TABLE",		8, sizeof(struct vu_mem_table), FDS(0, VU_TABLE_REGIONS),
	    0, set_mem_table },
	{ 6, "SET_LOG_BASE",		EXACT(sizeof(struct vu_log)), FDS(1, 1), 1, set_log_base },
	{ 7, "SET_LOG_FD",		ANY, ANYFDS, 0, NULL },
	{ 8, "SET_VRING_NUM",		STATE, FDS(0, 0), 0, set_vring_num },
	{ 9, "SET_VRING_ADDR",		EXACT(sizeof(struct vhost_vring_addr)), FDS(0, 0), 0,
	    set_vring_addr },
	{ 10, "SET_VRING_BASE",		STATE, FDS(0, 0), 0, set_vring_base },
	{ 11, "GET_VRING_BASE",		STATE, FDS(0, 0), 1, get_vring_base },
	{ 12, "SET_VRING_KICK",		U64, FDS(0, 1), 0, set_vring_kick },
	{ 13, "SET_VRING_CALL",		U64, FDS(0, 1), 0, set_vring_call },
	{ 14, "SET_VRING_ERR",		U64, FDS(0, 1), 0, set_vring_err },
	{ 15, "GET_PROTOCOL_FEATURES",	EXACT(0), FDS(0, 0), 1, get_protocol_features },
	{ 16, "SET_PROTOCOL_FEATURES",	U64, FDS(0, 0), 0, set_protocol_features },
	{ 17, "GET_QUEUE_NUM",		EXACT(0), FDS(0, 0), 1, get_queue_num },
	{ 18, "SET_VRING_ENABLE",	STATE, FDS(0, 0), 0, set_vring_enable },
	{ 19, "SEND_RARP",		ANY, ANYFDS, 0, NULL },
	{ 20, "NET_SET_MTU",		ANY, ANYFDS, 0, NULL },
	{ 21, "SET_BACKEND_REQ_FD",	EXACT(0), FDS(1, 1), 0, set_backend_req_fd },
	{ 22, "IOTLB_MSG",		ANY, ANYFDS, 0, NULL },
	{ 23, "SET_VRING_ENDIAN",	ANY, ANYFDS, 0, NULL },
	{ 24, "GET_CONFIG",		12, 12 + 256, FDS(0, 0), 1, get_config },
	{ 25, "SET_CONFIG",		ANY, ANYFDS, 0, NULL },
	{ 26, "CREATE_CRYPTO_SESSION",	ANY, ANYFDS, 1, NULL },
	{ 27, "CLOSE_CRYPTO_SESSION",	ANY, ANYFDS, 0, NULL },
	{ 28, "POSTCOPY_ADVISE",	ANY, ANYFDS, 1, NULL },
	{ 29, "POSTCOPY_LISTEN",	ANY, ANYFDS, 0, NULL },
	{ 30, "POSTCOPY_END",		ANY, ANYFDS, 1, NULL },
	{ 31, "GET_INFLIGHT_FD",	ANY, ANYFDS, 1, NULL },
	{ 32, "SET_INFLIGHT_FD",	ANY, ANYFDS, 0, NULL },
	{ 33, "GPU_SET_SOCKET",		ANY, ANYFDS, 0, NULL },
	{ 34, "RESET_DEVICE",		EXACT(0), FDS(0, 0), 0, reset_device },
	{ 35, "VRING_KICK",		ANY, ANYFDS, 0, NULL },
	{ 36, "GET_MAX_MEM_SLOTS",	EXACT(0), FDS(0, 0), 1, get_max_mem_slots },
	{ 37, "ADD_MEM_REG",		EXACT(sizeof(struct vu_mem_single)), FDS(1, 1), 0,
	    add_mem_reg },
	{ 38, "REM_MEM_REG",		EXACT(sizeof(struct vu_mem_single)), FDS(0, 1), 0,
	    rem_mem_reg },
	{ 39, "SET_STATUS",		ANY, ANYFDS, 0, NULL },
	{ 40, "GET_STATUS",		ANY, ANYFDS, 1, NULL },
	{ 41, "GET_SHARED_OBJECT",	ANY, ANYFDS, 1, NULL },
	{ 42, "SET_DEVICE_STATE_FD",	EXACT(8), FDS(1, 1), 1, set_device_state_fd },
	{ 43, "CHECK_DEVICE_STATE",	EXACT(0), FDS(0, 0), 1, check_device_state },
	{ 44, "GET_SHMEM_CONFIG",	EXACT(0), FDS(0, 0), 1, get_shmem_config },
};

const struct vu_cmd *
vu_cmd_lookup(uint32_t request)
{
	size_t i;

	for (i = 0; i < sizeof(vu_cmds) / sizeof(vu_cmds[0]); i++)
		if (vu_cmds[i].request == request)
			return &vu_cmds[i];
	return NULL;
}

const char *
vu_request_name(uint32_t request)
{
	const struct vu_cmd *cmd = vu_cmd_lookup(request);

	return cmd != NULL ? cmd->name : "unknown";
}
