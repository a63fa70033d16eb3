/*
 * The device as QEMU 7.2's vhost-user-fs drives it: realize (feature and protocol feature
 * negotiation, queue count, back-end channel, owner, call/err eventfds), start at the
 * guest's DRIVER_OK (features, memory table, rings), stop at reset (disable, GET_VRING_BASE)
 * and start again after a reboot on the same socket.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/vhost_types.h>
#include <linux/virtio_config.h>

#include "vu_driver.h"

/* What QEMU 7.2 keeps of the back-end's protocol features (never CONFIG for vhost-user-fs). */
#define DRIVER_PROTOCOL_FEATURES ( \
	(1ULL << VU_PROTO_MQ) | (1ULL << VU_PROTO_REPLY_ACK) | \
	(1ULL << VU_PROTO_BACKEND_REQ) | (1ULL << VU_PROTO_BACKEND_SEND_FD) | \
	(1ULL << VU_PROTO_RESET_DEVICE) | (1ULL << VU_PROTO_CONFIGURE_MEM_SLOTS) | \
	(1ULL << VU_PROTO_LOG_SHMFD))

void
vu_opts_default(struct vu_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->num_request_queues = 1;
	o->queue_size = 128;
	o->nregions = 1;
	o->mem_size = 64ULL << 20;
	o->gpa_base = 1ULL << 20;
	o->timeout_ms = 5000;
}

static int __attribute__((__format__(printf, 2, 3)))
fail(struct vu_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->err, sizeof(dev->err), fmt, ap);
	va_end(ap);
	vu_log(dev, "%s", dev->err);
	return -1;
}

struct vu_ring *
vu_dev_ring(struct vu_dev *dev, unsigned int q)
{
	if (q >= dev->nqueues)
		return NULL;
	return &dev->ring[q];
}

static int
connect_retry(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	int fd, waited = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		close(fd);
		if ((errno != ENOENT && errno != ECONNREFUSED) || waited >= timeout_ms)
			return -1;
		usleep(50 * 1000);
		waited += 50;
	}
}

int
vu_dev_connect(struct vu_dev *dev, const struct vu_opts *o)
{
	unsigned int q;

	memset(dev, 0, sizeof(*dev));
	dev->opts = *o;
	dev->sock = dev->backend_fd = -1;
	dev->next_unique = 2;	/* Linux starts at 2 and steps by 2 */
	dev->nqueues = 1 + o->num_request_queues;
	if (o->num_request_queues == 0 || dev->nqueues > VU_MAX_QUEUES)
		return fail(dev, "%s", "bad number of request queues");
	if (vu_mem_init(&dev->mem, o) == -1)
		return fail(dev, "guest memory: %s", strerror(errno));
	for (q = 0; q < dev->nqueues; q++)
		if (vu_ring_init(&dev->ring[q], &dev->mem, q, (uint16_t)o->queue_size,
		    o->event_idx, o->indirect) == -1)
			return fail(dev, "ring: %s", strerror(errno));
	dev->sock = connect_retry(o->socket, o->timeout_ms);
	if (dev->sock == -1)
		return fail(dev, "connect: %s", strerror(errno));
	return 0;
}

static int
set_vring_fd(struct vu_dev *dev, uint32_t request, unsigned int q, int fd)
{
	uint64_t v = q;

	if (fd < 0)
		v |= VU_VRING_NOFD;
	return vu_dev_request(dev, request, &v, sizeof(v), fd >= 0 ? &fd : NULL, fd >= 0);
}

static int
backend_channel(struct vu_dev *dev)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return fail(dev, "socketpair: %s", strerror(errno));
	dev->backend_fd = sv[0];
	r = vu_dev_request(dev, VU_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1);
	close(sv[1]);
	return r;
}

/*
 * GET_SHMEM_CONFIG: {u32 nregions, u32 pad, u64 sizes[256]}, sizes indexed by shmid.
 * Older drafts had 8 entries; both are taken.
 */
static int
shmem_config(struct vu_dev *dev)
{
	uint8_t buf[8 + 8 * 256];
	struct vu_hdr hdr;
	uint32_t n, i;
	int r;

	vu_log(dev, "-> GET_SHMEM_CONFIG");
	if (vu_send(dev->sock, VU_GET_SHMEM_CONFIG, 0, NULL, 0, NULL, 0) == -1)
		return fail(dev, "GET_SHMEM_CONFIG: %s", strerror(errno));
	r = vu_recv(dev->sock, &hdr, buf, sizeof(buf), dev->opts.timeout_ms);
	if (r != 1)
		return fail(dev, "GET_SHMEM_CONFIG: %s", r == 0 ? "no reply" : "closed");
	if (hdr.request != VU_GET_SHMEM_CONFIG ||
	    hdr.flags != (VU_FLAG_VERSION | VU_FLAG_REPLY) ||
	    (hdr.size != sizeof(buf) && hdr.size != 8 + 8 * 8))
		return fail(dev, "GET_SHMEM_CONFIG: bad reply (size %u)", hdr.size);
	memcpy(&n, buf, sizeof(n));
	if (n > (hdr.size - 8) / 8)
		return fail(dev, "GET_SHMEM_CONFIG: %u regions in a reply of %u bytes", n,
		    hdr.size);
	dev->shmem_nregions = n;
	for (i = 0; i < 8; i++)
		memcpy(&dev->shmem_sizes[i], buf + 8 + 8 * i, 8);
	return 0;
}

/*
 * The DAX window: in the shmem flavour only when the back-end offers SHMEM_MAP (without
 * it the device simply has no window), sized by the back-end's region 0; in the fs-map
 * flavour the operator's size. Then the thread that serves the back-end channel.
 */
static int
dax_window(struct vu_dev *dev)
{
	uint64_t size = dev->opts.dax_window;

	if (dev->opts.dax_vmm == VU_DAX_SHMEM) {
		if (!((dev->protocol_features >> VU_PROTO_SHMEM_MAP) & 1)) {
			vu_log(dev, "back-end offers no SHMEM_MAP: no DAX window");
			return 0;
		}
		if (shmem_config(dev) == -1)
			return -1;
		if (dev->shmem_nregions == 0 || dev->shmem_sizes[0] == 0)
			return fail(dev, "%s", "GET_SHMEM_CONFIG declares no cache window");
		size = dev->shmem_sizes[0];
	}
	if (dev->backend_fd == -1)
		return fail(dev, "%s", "a DAX window needs the back-end channel");
	if (vu_dax_start(&dev->dax, dev->backend_fd, size, dev->opts.dax_vmm,
	    dev->reply_ack) == -1)
		return fail(dev, "DAX window of %llu bytes: %s", (unsigned long long)size,
		    strerror(errno));
	dev->dax.verbose |= dev->opts.verbose;
	vu_log(dev, "DAX window of %llu bytes (%s)", (unsigned long long)size,
	    vu_dax_flavour_name(dev->opts.dax_vmm));
	return 0;
}

int
vu_dev_realize(struct vu_dev *dev)
{
	unsigned int q;

	if (vu_dev_get_u64(dev, VU_GET_FEATURES, &dev->backend_features) == -1)
		return -1;
	if (!(dev->backend_features & (1ULL << VU_F_PROTOCOL_FEATURES)))
		return fail(dev, "%s", "back-end lacks VHOST_USER_F_PROTOCOL_FEATURES");
	if (vu_dev_get_u64(dev, VU_GET_PROTOCOL_FEATURES, &dev->protocol_features) == -1)
		return -1;
	dev->offered_protocol_features = dev->protocol_features;
	dev->protocol_features &= DRIVER_PROTOCOL_FEATURES;
	if (dev->opts.dax_window != 0 && dev->opts.dax_vmm == VU_DAX_SHMEM)
		dev->protocol_features |= dev->offered_protocol_features &
		    (1ULL << VU_PROTO_SHMEM_MAP);
	if (vu_send(dev->sock, VU_SET_PROTOCOL_FEATURES, 0, &dev->protocol_features, 8,
	    NULL, 0) == -1)
		return fail(dev, "SET_PROTOCOL_FEATURES: %s", strerror(errno));
	dev->reply_ack = (dev->protocol_features >> VU_PROTO_REPLY_ACK) & 1;
	if ((dev->protocol_features >> VU_PROTO_MQ) & 1) {
		if (vu_dev_get_u64(dev, VU_GET_QUEUE_NUM, &dev->queue_num) == -1)
			return -1;
		if (dev->queue_num < dev->nqueues)
			return fail(dev, "%s", "back-end has fewer queues than asked for");
	}
	if ((dev->protocol_features >> VU_PROTO_CONFIGURE_MEM_SLOTS) & 1 &&
	    vu_dev_get_u64(dev, VU_GET_MAX_MEM_SLOTS, &dev->max_mem_slots) == -1)
		return -1;
	if ((dev->protocol_features >> VU_PROTO_BACKEND_REQ) & 1 && backend_channel(dev) == -1)
		return -1;
	if (vu_dev_request(dev, VU_SET_OWNER, NULL, 0, NULL, 0) == -1)
		return -1;
	if (vu_dev_get_u64(dev, VU_GET_FEATURES, &dev->backend_features) == -1)
		return -1;
	for (q = 0; q < dev->nqueues; q++) {
		if (set_vring_fd(dev, VU_SET_VRING_CALL, q, dev->ring[q].callfd) == -1 ||
		    set_vring_fd(dev, VU_SET_VRING_ERR, q, dev->ring[q].errfd) == -1)
			return -1;
	}
	if (dev->opts.dax_window != 0)
		return dax_window(dev);
	return 0;
}

static int
send_memory(struct vu_dev *dev)
{
	struct vu_mem_table_msg t;
	struct vu_mem_reg_msg one;
	int fds[VU_MAX_REGIONS];
	unsigned int i;

	memset(&t, 0, sizeof(t));
	for (i = 0; i < dev->mem.nreg; i++) {
		struct vu_region *r = &dev->mem.reg[i];

		t.regions[i].guest_phys_addr = r->gpa;
		t.regions[i].memory_size = r->size;
		t.regions[i].userspace_addr = (uint64_t)(uintptr_t)(r->map + r->mmap_offset);
		t.regions[i].mmap_offset = r->mmap_offset;
		fds[i] = r->fd;
	}
	t.nregions = dev->mem.nreg;
	if (!dev->opts.add_mem_reg)
		return vu_dev_request(dev, VU_SET_MEM_TABLE, &t,
		    8 + sizeof(t.regions[0]) * t.nregions, fds, (int)t.nregions);
	if (!((dev->protocol_features >> VU_PROTO_CONFIGURE_MEM_SLOTS) & 1))
		return fail(dev, "%s", "ADD_MEM_REG without CONFIGURE_MEM_SLOTS");
	for (i = 0; i < t.nregions; i++) {
		memset(&one, 0, sizeof(one));
		one.region = t.regions[i];
		if (vu_dev_request(dev, VU_ADD_MEM_REG, &one, sizeof(one), &fds[i], 1) == -1)
			return -1;
	}
	return 0;
}

static int
start_ring(struct vu_dev *dev, struct vu_ring *r)
{
	struct vhost_vring_addr a;

	if (vu_dev_set_state(dev, VU_SET_VRING_NUM, r->index, r->num) == -1 ||
	    vu_dev_set_state(dev, VU_SET_VRING_BASE, r->index, r->avail_idx) == -1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.index = r->index;
	a.desc_user_addr = vu_mem_uaddr(&dev->mem, r->desc_gpa);
	a.avail_user_addr = vu_mem_uaddr(&dev->mem, r->avail_gpa);
	a.used_user_addr = vu_mem_uaddr(&dev->mem, r->used_gpa);
	if (vu_dev_request(dev, VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) == -1)
		return -1;
	return set_vring_fd(dev, VU_SET_VRING_KICK, r->index, r->kickfd);
}

int
vu_dev_start(struct vu_dev *dev)
{
	uint64_t want = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VU_F_PROTOCOL_FEATURES);
	unsigned int q;

	if (dev->opts.indirect)
		want |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (dev->opts.event_idx)
		want |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if ((dev->backend_features & want) != want) {
		snprintf(dev->err, sizeof(dev->err), "back-end lacks features 0x%llx",
		    (unsigned long long)(want & ~dev->backend_features));
		return -1;
	}
	dev->features = want;
	if (vu_dev_set_u64(dev, VU_SET_FEATURES, want) == -1 || send_memory(dev) == -1)
		return -1;
	for (q = 0; q < dev->nqueues; q++)
		if (start_ring(dev, &dev->ring[q]) == -1)
			return -1;
	for (q = 0; q < dev->nqueues; q++)
		if (vu_dev_set_state(dev, VU_SET_VRING_ENABLE, q, 1) == -1)
			return -1;
	for (q = 0; q < dev->nqueues; q++)
		if (set_vring_fd(dev, VU_SET_VRING_CALL, q, dev->ring[q].callfd) == -1)
			return -1;
	dev->started = 1;
	/*
	 * Without acks nothing tells us the back-end has processed the ring set-up; a real
	 * guest mounts long after DRIVER_OK. Give the back-end that moment before any kick.
	 */
	if (dev->opts.qemu_acks)
		usleep(100 * 1000);
	return 0;
}

int
vu_dev_open(struct vu_dev *dev, const struct vu_opts *o)
{
	if (vu_dev_connect(dev, o) == -1 || vu_dev_realize(dev) == -1 || vu_dev_start(dev) == -1)
		return -1;
	return 0;
}

int
vu_dev_stop(struct vu_dev *dev, uint16_t *base)
{
	struct vhost_vring_state st;
	struct vu_hdr hdr;
	unsigned int q;
	int r;

	for (q = 0; q < dev->nqueues; q++)
		if (vu_dev_set_state(dev, VU_SET_VRING_ENABLE, q, 0) == -1)
			return -1;
	for (q = 0; q < dev->nqueues; q++) {
		st.index = q;
		st.num = 0;
		if (vu_send(dev->sock, VU_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0) == -1)
			return fail(dev, "GET_VRING_BASE: %s", strerror(errno));
		r = vu_recv(dev->sock, &hdr, &st, sizeof(st), dev->opts.timeout_ms);
		if (r != 1)
			return fail(dev, "GET_VRING_BASE: %s", r == 0 ? "no reply" : "closed");
		if (hdr.request != VU_GET_VRING_BASE ||
		    hdr.flags != (VU_FLAG_VERSION | VU_FLAG_REPLY) || hdr.size != sizeof(st))
			return fail(dev, "%s", "GET_VRING_BASE: bad reply");
		if (st.index != q)
			return fail(dev, "%s", "GET_VRING_BASE: reply for another ring");
		if (base != NULL)
			base[q] = (uint16_t)st.num;
	}
	dev->started = 0;
	return 0;
}

int
vu_dev_reboot(struct vu_dev *dev)
{
	unsigned int q;

	if (dev->started && vu_dev_stop(dev, NULL) == -1)
		return -1;
	for (q = 0; q < dev->nqueues; q++)
		vu_ring_reset(&dev->ring[q], &dev->mem);
	dev->next_unique = 2;
	return vu_dev_start(dev);
}

void
vu_dev_close(struct vu_dev *dev)
{
	unsigned int q;

	vu_dax_stop(&dev->dax);	/* before its channel goes */
	if (dev->sock != -1)
		close(dev->sock);
	if (dev->backend_fd != -1)
		close(dev->backend_fd);
	for (q = 0; q < dev->nqueues; q++)
		vu_ring_fini(&dev->ring[q], &dev->mem);
	vu_mem_fini(&dev->mem);
	dev->sock = dev->backend_fd = -1;
}
