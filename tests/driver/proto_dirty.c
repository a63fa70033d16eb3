/*
 * Dirty page logging, as QEMU drives it in the precopy phase of a migration: a bitmap in a
 * sealed memfd (SET_LOG_BASE, LOG_SHMFD), then SET_FEATURES with VHOST_F_LOG_ALL and
 * SET_VRING_ADDR with VHOST_VRING_F_LOG on the running ring. Every page the back-end wrote
 * must then be marked (the writable buffers of a READ, whose data the worker wrote, and
 * the used ring); the pages it only read (descriptor table, avail ring) must not be; with
 * logging turned off nothing is marked; a bitmap larger than its file is refused and the
 * device goes on.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vhost_types.h>

#include "vu_cli.h"
#include "vu_fuse.h"
#include "proto.h"

#define LOG_PAGE	4096

struct dlog {
	int		 fd;
	uint8_t		*bits;
	size_t		 size;
};

static int
page_marked(const struct dlog *l, uint64_t gpa)
{
	uint64_t page = gpa / LOG_PAGE;

	return page / 8 < l->size && (l->bits[page / 8] >> (page % 8)) & 1;
}

static size_t
marked_count(const struct dlog *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->size; i++)
		n += (size_t)__builtin_popcount(l->bits[i]);
	return n;
}

/* A bitmap for every guest address we have, in a memfd sealed as QEMU seals its own. */
static int
dlog_make(struct dlog *l, const struct vu_dev *dev, size_t file_size)
{
	const struct vu_region *last = &dev->mem.reg[dev->mem.nreg - 1];
	uint64_t top = last->gpa + last->size;

	l->size = (size_t)((top / LOG_PAGE + 7) / 8);
	if ((l->fd = memfd_create("dirty-log", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(l->fd, (off_t)(file_size ? file_size : l->size)) == -1 ||
	    fcntl(l->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == -1)
		return -1;
	if (file_size != 0)
		return 0;
	l->bits = mmap(NULL, l->size, PROT_READ | PROT_WRITE, MAP_SHARED, l->fd, 0);
	return l->bits == MAP_FAILED ? -1 : 0;
}

/* SET_LOG_BASE and its answer: 1 accepted, 0 refused, -1 no answer. */
static int
set_log_base(struct vu_dev *dev, int fd, uint64_t size)
{
	uint64_t	log[2] = { size, 0 }, ans[2];
	struct vu_hdr	hdr;

	if (vu_send(dev->sock, VU_SET_LOG_BASE, 0, log, sizeof(log), &fd, 1) == -1 ||
	    vu_recv(dev->sock, &hdr, ans, sizeof(ans), dev->opts.timeout_ms) != 1 ||
	    hdr.request != VU_SET_LOG_BASE)
		return -1;
	return hdr.size != 0;
}

static int
ring_log(struct vu_dev *dev, struct vu_ring *r, int on)
{
	struct vhost_vring_addr a;

	memset(&a, 0, sizeof(a));
	a.index = r->index;
	a.flags = on ? 1u << VHOST_VRING_F_LOG : 0;
	a.desc_user_addr = vu_mem_uaddr(&dev->mem, r->desc_gpa);
	a.avail_user_addr = vu_mem_uaddr(&dev->mem, r->avail_gpa);
	a.used_user_addr = vu_mem_uaddr(&dev->mem, r->used_gpa);
	a.log_guest_addr = r->used_gpa;
	return vu_dev_request(dev, VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
}

static int
log_all(struct vu_dev *dev, int on)
{
	uint64_t f = dev->features | (on ? 1ULL << VU_F_LOG_ALL : 0);

	return vu_dev_request(dev, VU_SET_FEATURES, &f, sizeof(f), NULL, 0);
}

/* A 64 KiB READ of big.bin; its writable segments stay in r for the caller. */
static int
read_big(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, struct vu_fuse_req *r)
{
	static struct {
		struct fuse_in_header h;
		struct fuse_read_in r;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_READ, nodeid, sizeof(in));
	in.r.fh = fh;
	in.r.size = 65536;
	memset(r, 0, sizeof(*r));
	r->queue = 1;
	r->in = &in;
	r->inlen = sizeof(in);
	r->out_pages = 65536;
	return vu_fuse_call_req(dev, r);
}

static void
logged_checks(struct vu_dev *dev, struct dlog *l, uint64_t nodeid, uint64_t fh)
{
	struct vu_ring		*ring = vu_dev_ring(dev, 1);
	struct vu_fuse_req	 r;
	struct fuse_attr_out	 ao;
	unsigned int		 i, missing = 0;
	int			 rc;

	check(log_all(dev, 1) == 0 && ring_log(dev, ring, 1) == 0,
	    "SET_FEATURES with LOG_ALL, SET_VRING_ADDR with VHOST_VRING_F_LOG");
	memset(l->bits, 0, l->size);
	rc = read_big(dev, nodeid, fh, &r);
	check(rc == 0, "READ 64 KiB while logging: %s", vu_fuse_why(dev, rc));
	for (i = r.nrd; i < r.nrd + r.nwr; i++)
		if (!page_marked(l, r.segs[i].gpa) ||
		    !page_marked(l, r.segs[i].gpa + r.segs[i].len - 1))
			missing++;
	check(rc == 0 && missing == 0, "every page of the %u writable buffers marked "
	    "(%u not)", r.nwr, missing);
	vu_fuse_req_free(&r);
	check(page_marked(l, ring->used_gpa), "the used ring's page marked");
	check(!page_marked(l, ring->desc_gpa) && !page_marked(l, ring->avail_gpa),
	    "the descriptor table and avail ring (only read) not marked");
	check(log_all(dev, 0) == 0 && ring_log(dev, ring, 0) == 0, "logging turned off");
	memset(l->bits, 0, l->size);
	rc = vu_fuse_getattr(dev, nodeid, &ao);
	if (cli.peer && rc == 0 && marked_count(l) != 0)
		vu_note("differs: %s marks %zu pages with logging off", cli.backend,
		    marked_count(l));
	else
		check(rc == 0 && marked_count(l) == 0, "GETATTR with logging off: %zu pages "
		    "marked", marked_count(l));
}

void
case_dirty_log(void)
{
	struct fuse_entry_out	eo;
	struct fuse_open_out	oo;
	struct fuse_attr_out	ao;
	struct vu_dev		dev;
	struct dlog		l, small;
	int			rc;

	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &cli.opts) == -1 || do_init(&dev) == -1) {
		vu_dev_close(&dev);
		return;
	}
	if (!((dev.protocol_features >> VU_PROTO_LOG_SHMFD) & 1) ||
	    !((dev.backend_features >> VU_F_LOG_ALL) & 1)) {
		check(cli.peer, "LOG_SHMFD and VHOST_F_LOG_ALL offered");
		vu_dev_close(&dev);
		return;
	}
	rc = vu_fuse_lookup(&dev, FUSE_ROOT_ID, "big.bin", &eo);
	if (rc == 0)
		rc = vu_fuse_open(&dev, eo.nodeid, O_RDONLY, 0, &oo);
	check(rc == 0, "LOOKUP and OPEN big.bin: %s", vu_fuse_why(&dev, rc));
	if (rc != 0 || dlog_make(&l, &dev, 0) == -1) {
		check(0, "a bitmap memfd: %s", strerror(errno));
		vu_dev_close(&dev);
		return;
	}
	check(set_log_base(&dev, l.fd, l.size) == 1, "SET_LOG_BASE of %zu bytes answered",
	    l.size);
	logged_checks(&dev, &l, eo.nodeid, oo.fh);
	/* A bitmap said to be larger than its file would be a SIGBUS on the first mark. */
	if (dlog_make(&small, &dev, 4096) == 0) {
		rc = set_log_base(&dev, small.fd, small.size + 8192);
		if (cli.peer && rc == 1)
			vu_note("differs: %s takes a bitmap of %zu bytes in a file of 4096",
			    cli.backend, small.size + 8192);
		else
			check(rc == 0, "SET_LOG_BASE of %zu bytes in a file of 4096: refused",
			    small.size + 8192);
		close(small.fd);
	}
	rc = vu_fuse_getattr(&dev, eo.nodeid, &ao);
	check(rc == 0, "the device goes on after the refusal: GETATTR %s", vu_fuse_why(&dev, rc));
	munmap(l.bits, l.size);
	close(l.fd);
	vu_dev_close(&dev);
}
