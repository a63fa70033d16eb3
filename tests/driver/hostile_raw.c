/*
 * Raw ring and request helpers for the hostile cases: descriptors written by hand, heads
 * pushed without the driver's bookkeeping, outcomes observed on the used ring, the err
 * eventfd and the socket at once.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

void
raw_desc(struct vu_ring *r, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	r->desc[idx].addr = addr;
	r->desc[idx].len = len;
	r->desc[idx].flags = flags;
	r->desc[idx].next = next;
}

void
raw_push(struct vu_ring *r, uint16_t head)
{
	vu_ring_raw_avail(r, r->avail_idx, head);
	vu_ring_raw_set_avail_idx(r, (uint16_t)(r->avail_idx + 1));
	vu_ring_kick(r);
}

uint64_t
put_getattr(struct hctx *h, uint64_t *unique)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} in;
	uint64_t gpa;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(&h->dev, &in.h, FUSE_GETATTR, 1, sizeof(in));
	*unique = in.h.unique;
	gpa = vu_mem_alloc(&h->dev.mem, 4096, 4096);
	if (gpa != 0)
		vu_mem_write(&h->dev.mem, gpa, &in, sizeof(in));
	return gpa;
}

uint64_t
alloc_out(struct hctx *h, uint32_t len)
{
	uint64_t gpa = vu_mem_alloc(&h->dev.mem, len, 4096);

	if (gpa != 0)
		vu_mem_fill(&h->dev.mem, gpa, VU_FUSE_FILL, len);
	return gpa;
}

void
wait_outcome(struct hctx *h, struct vu_ring *r, int ms, struct outcome *o)
{
	int64_t deadline = vu_now_ms() + ms;
	struct pollfd p[3];
	uint64_t v;

	memset(o, 0, sizeof(*o));
	for (;;) {
		volatile struct vring_used *u = (volatile struct vring_used *)r->used;
		int64_t left;

		if (u->idx != r->last_used) {
			struct vring_used_elem e;

			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			e = r->used->ring[r->last_used % r->num];
			r->last_used++;
			o->used = 1;
			o->id = e.id;
			o->len = e.len;
			return;
		}
		left = deadline - vu_now_ms();
		if (left <= 0 || o->err_fd || o->closed)
			return;
		p[0].fd = r->callfd;
		p[1].fd = r->errfd;
		p[2].fd = h->dev.sock;
		p[0].events = p[1].events = POLLIN;
		p[2].events = POLLRDHUP;
		p[0].revents = p[1].revents = p[2].revents = 0;
		if (poll(p, 3, (int)left) <= 0)
			continue;
		if (p[0].revents & POLLIN)
			(void)!read(r->callfd, &v, sizeof(v));
		if (p[1].revents & POLLIN && read(r->errfd, &v, sizeof(v)) == sizeof(v))
			o->err_fd = 1;
		if (p[2].revents & (POLLRDHUP | POLLHUP | POLLERR))
			o->closed = 1;
		/* give a used entry that comes with the error a moment */
		if (o->err_fd || o->closed) {
			usleep(50 * 1000);
			if (u->idx != r->last_used)
				continue;
		}
	}
}

int
broken_or_failed(struct hctx *h, const struct outcome *o, uint64_t out_gpa, const char *what)
{
	struct fuse_out_header oh;
	char how[200];
	int ok = 0;

	how[0] = '\0';
	if (o->used) {
		memset(&oh, 0, sizeof(oh));
		if (o->len == 0) {
			ok = 1;
			snprintf(how, sizeof(how), "chain returned with used len 0");
		} else if (out_gpa != 0 && vu_mem_read(&h->dev.mem, out_gpa, &oh, sizeof(oh)) == 0 &&
		    oh.error < 0 && oh.len == o->len) {
			ok = 1;
			snprintf(how, sizeof(how), "error reply %d (%s)", -oh.error,
			    strerror(-oh.error));
		} else {
			snprintf(how, sizeof(how), "used entry id %u len %u, out.len %u error %d",
			    o->id, o->len, oh.len, oh.error);
		}
	}
	if (o->err_fd) {
		ok = 1;
		strlcat(how, how[0] ? ", " : "", sizeof(how));
		strlcat(how, "err eventfd signalled", sizeof(how));
		h->broken_seen = 1;
	}
	if (o->closed) {
		ok = 1;
		strlcat(how, how[0] ? ", " : "", sizeof(how));
		strlcat(how, "connection closed", sizeof(how));
	}
	if (!cli.peer && (ok ? log_has("broken") : log_soon("broken"))) {
		ok = 1;
		strlcat(how, how[0] ? ", " : "", sizeof(how));
		strlcat(how, "log says broken", sizeof(how));
		h->broken_seen = 1;
	}
	if (how[0] == '\0')
		snprintf(how, sizeof(how), "nothing at all (no used entry, no err fd, no log)");
	return hcheck(ok, "%s: queue broken or request failed: %s", what, how);
}

int
fuse_bytes(struct hctx *h, const void *in, size_t inlen, size_t outcap, struct vu_fuse_req *keep)
{
	struct vu_fuse_req r;
	struct fuse_in_header ih;
	int rc;

	memset(&r, 0, sizeof(r));
	r.queue = 1;
	r.in = in;
	r.inlen = inlen;
	r.layout = VU_LAYOUT_FLAT;
	r.out_args = outcap > sizeof(struct fuse_out_header) ?
	    outcap - sizeof(struct fuse_out_header) : 0;
	memset(&ih, 0, sizeof(ih));
	memcpy(&ih, in, inlen < sizeof(ih) ? inlen : sizeof(ih));
	rc = vu_fuse_submit(&h->dev, &r);
	if (rc == -1)
		return VU_FUSE_FAILED;
	vu_fuse_publish(&h->dev, 1);
	rc = vu_fuse_wait(&h->dev, &r, cli.opts.timeout_ms);
	if (rc == 0)
		return VU_FUSE_TIMEOUT;
	if (rc < 0)
		return VU_FUSE_BADREPLY;
	rc = vu_fuse_check(&h->dev, &r, &ih);
	if (keep != NULL)
		*keep = r;
	else
		vu_fuse_req_free(&r);
	return rc;
}
