/*
 * Hostile vhost-user messages (doc/security.md attacks row "A vhost-user message larger
 * than the buffer, a wrong payload size, an unknown request, extra fds"; doc/wire.md
 * section 1): the back-end must refuse (REPLY_ACK failure) or close the connection, never
 * trust the size, and close every fd it did not expect.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vhost_types.h>

#include "hostile.h"

/* After a NEED_REPLY message: "nack", "ack", "closed" or "nothing". */
static const char *
reply_of(struct hctx *h, uint32_t request, int ms)
{
	struct vu_hdr hdr;
	uint64_t v = 0;
	int r;

	r = vu_recv(h->dev.sock, &hdr, &v, sizeof(v), ms);
	if (r == 0)
		return "nothing";
	if (r < 0)
		return "closed";
	if (hdr.request != request || hdr.size != sizeof(v))
		return "garbage";
	return v != 0 ? "nack" : "ack";
}

static int
refused(const char *rep)
{
	return strcmp(rep, "nack") == 0 || strcmp(rep, "closed") == 0;
}

int
h_vu_oversized(struct hctx *h)
{
	struct vu_hdr hdr;
	static uint8_t junk[65536];
	size_t sent = 0;
	const char *rep;
	int waited = 0;

	hdr.request = VU_SET_MEM_TABLE;
	hdr.flags = VU_FLAG_VERSION | VU_FLAG_NEED_REPLY;
	hdr.size = 64U << 20;
	if (send(h->dev.sock, &hdr, sizeof(hdr), MSG_NOSIGNAL) != sizeof(hdr))
		return hcheck(0, "send header");
	while (sent < sizeof(junk) && waited < 1000) {
		ssize_t n = send(h->dev.sock, junk + sent, sizeof(junk) - sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			sent += n;
		else if (n == -1 && errno == EAGAIN) {
			usleep(10000);
			waited += 10;
		} else
			break;
	}
	rep = reply_of(h, VU_SET_MEM_TABLE, cli.opts.timeout_ms);
	if (strcmp(rep, "nothing") == 0 && vu_dev_peer_closed(&h->dev, 500))
		rep = "closed";
	return hcheck(refused(rep), "SET_MEM_TABLE claiming 64 MiB of payload (%zu bytes "
	    "sent): %s (want refused or closed, not waiting for 64 MiB)", sent, rep);
}

int
h_vu_wrong_size(struct hctx *h)
{
	uint32_t four = 128;
	const char *rep;

	if (vu_send(h->dev.sock, VU_SET_VRING_NUM, VU_FLAG_NEED_REPLY, &four, sizeof(four),
	    NULL, 0) == -1)
		return hcheck(0, "send");
	rep = reply_of(h, VU_SET_VRING_NUM, cli.opts.timeout_ms);
	return hcheck(refused(rep), "SET_VRING_NUM with a 4-byte payload (needs 8): %s",
	    rep);
}

int
h_vu_unknown_request(struct hctx *h)
{
	uint64_t v = 0;
	const char *rep;

	if (vu_send(h->dev.sock, 200, VU_FLAG_NEED_REPLY, &v, sizeof(v), NULL, 0) == -1)
		return hcheck(0, "send");
	rep = reply_of(h, 200, cli.opts.timeout_ms);
	return hcheck(refused(rep), "request code 200 with NEED_REPLY: %s", rep);
}

int
h_vu_extra_fds(struct hctx *h)
{
	struct vhost_vring_state st = { 1, 1 };
	int p1[2], p2[2], fds[2], hup = 0, waited;
	struct pollfd pf[2];
	const char *rep;

	if (pipe2(p1, O_CLOEXEC) == -1 || pipe2(p2, O_CLOEXEC) == -1)
		return hcheck(0, "pipe");
	fds[0] = p1[1];
	fds[1] = p2[1];
	if (vu_send(h->dev.sock, VU_SET_VRING_ENABLE, VU_FLAG_NEED_REPLY, &st, sizeof(st),
	    fds, 2) == -1)
		return hcheck(0, "send");
	close(p1[1]);
	close(p2[1]);
	rep = reply_of(h, VU_SET_VRING_ENABLE, cli.opts.timeout_ms);
	vu_note("SET_VRING_ENABLE {1, 1} with two unexpected fds: %s", rep);
	/* the pipes see EOF only once the back-end closed its copies */
	pf[0].fd = p1[0];
	pf[1].fd = p2[0];
	for (waited = 0; waited < 1500 && hup != 2; waited += 50) {
		pf[0].events = pf[1].events = POLLIN;
		hup = 0;
		if (poll(pf, 2, 50) > 0)
			hup = !!(pf[0].revents & POLLHUP) + !!(pf[1].revents & POLLHUP);
	}
	close(p1[0]);
	close(p2[0]);
	return hcheck(hup == 2 && strcmp(rep, "nothing") != 0,
	    "the back-end answered (%s) and closed both extra fds (%d of 2 closed)", rep, hup);
}

int
h_vu_mem_table_bad(struct hctx *h)
{
	struct vu_mem_table_msg t;
	const char *rep;
	int fd = h->dev.mem.reg[0].fd;

	memset(&t, 0, sizeof(t));
	t.nregions = 2;		/* two regions, one fd */
	t.regions[0].guest_phys_addr = h->dev.mem.reg[0].gpa;
	t.regions[0].memory_size = h->dev.mem.reg[0].size;
	t.regions[0].userspace_addr = (uint64_t)(uintptr_t)h->dev.mem.reg[0].map;
	t.regions[1] = t.regions[0];
	t.regions[1].guest_phys_addr = 0xfffffffffffff000ULL;	/* and gpa + size wraps */
	if (vu_send(h->dev.sock, VU_SET_MEM_TABLE, VU_FLAG_NEED_REPLY, &t,
	    8 + 2 * sizeof(t.regions[0]), &fd, 1) == -1)
		return hcheck(0, "send");
	rep = reply_of(h, VU_SET_MEM_TABLE, 3000);
	return hcheck(refused(rep), "SET_MEM_TABLE with 2 regions, 1 fd, the second wrapping "
	    "around 2^64: %s", rep);
}
