/*
 * vhost-user messages on the front-end side: framing, fd passing, replies checked the way
 * QEMU 7.2 checks them (flags exactly VERSION|REPLY, same request code, exact sizes).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/vhost_types.h>

#include "vu_driver.h"

static const char *const vu_names[] = {
	[VU_GET_FEATURES] = "GET_FEATURES",
	[VU_SET_FEATURES] = "SET_FEATURES",
	[VU_SET_OWNER] = "SET_OWNER",
	[VU_RESET_OWNER] = "RESET_OWNER",
	[VU_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VU_SET_LOG_BASE] = "SET_LOG_BASE",
	[VU_SET_LOG_FD] = "SET_LOG_FD",
	[VU_SET_VRING_NUM] = "SET_VRING_NUM",
	[VU_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VU_SET_VRING_BASE] = "SET_VRING_BASE",
	[VU_GET_VRING_BASE] = "GET_VRING_BASE",
	[VU_SET_VRING_KICK] = "SET_VRING_KICK",
	[VU_SET_VRING_CALL] = "SET_VRING_CALL",
	[VU_SET_VRING_ERR] = "SET_VRING_ERR",
	[VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VU_SET_BACKEND_REQ_FD] = "SET_BACKEND_REQ_FD",
	[VU_GET_CONFIG] = "GET_CONFIG",
	[VU_RESET_DEVICE] = "RESET_DEVICE",
	[VU_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS",
	[VU_ADD_MEM_REG] = "ADD_MEM_REG",
	[VU_REM_MEM_REG] = "REM_MEM_REG",
};

const char *
vu_request_name(uint32_t r)
{
	if (r < sizeof(vu_names) / sizeof(vu_names[0]) && vu_names[r] != NULL)
		return vu_names[r];
	return "UNKNOWN";
}

void
vu_log(const struct vu_dev *dev, const char *fmt, ...)
{
	va_list ap;

	if (dev != NULL && !dev->opts.verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "driver: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int
vu_send_raw(int sock, const struct vu_hdr *hdr, const void *body, size_t bodylen,
    const int *fds, int nfds)
{
	struct msghdr mh;
	struct iovec iov[2];
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} cm;
	struct cmsghdr *c;
	ssize_t n;
	size_t total = sizeof(*hdr) + bodylen;

	if (nfds < 0 || nfds > 16) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = (void *)hdr;
	iov[0].iov_len = sizeof(*hdr);
	iov[1].iov_base = (void *)body;
	iov[1].iov_len = bodylen;
	mh.msg_iov = iov;
	mh.msg_iovlen = bodylen > 0 ? 2 : 1;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	/* Anything left (large hostile bodies) goes without fds. */
	while ((size_t)n < total) {
		const uint8_t *p;
		size_t off = (size_t)n - sizeof(*hdr);
		ssize_t m;

		if ((size_t)n < sizeof(*hdr)) {
			p = (const uint8_t *)hdr + n;
			m = send(sock, p, sizeof(*hdr) - n, MSG_NOSIGNAL);
		} else {
			p = (const uint8_t *)body + off;
			m = send(sock, p, bodylen - off, MSG_NOSIGNAL);
		}
		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1)
			return -1;
		n += m;
	}
	return 0;
}

int
vu_send(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
    const int *fds, int nfds)
{
	struct vu_hdr hdr;

	hdr.request = request;
	hdr.flags = VU_FLAG_VERSION | flags;
	hdr.size = size;
	return vu_send_raw(sock, &hdr, payload, size, fds, nfds);
}

static int
wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r == -1 && errno == EINTR);
	return r;
}

static int
read_full(int sock, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		int r = wait_readable(sock, timeout_ms);

		if (r <= 0)
			return r;
		n = recv(sock, p, len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0) {
			errno = 0;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 1;
}

int
vu_recv(int sock, struct vu_hdr *hdr, void *buf, size_t cap, int timeout_ms)
{
	uint8_t discard[256];
	size_t left;
	int r;

	r = read_full(sock, hdr, sizeof(*hdr), timeout_ms);
	if (r <= 0)
		return r;
	if (hdr->size <= cap)
		return read_full(sock, buf, hdr->size, timeout_ms) == 1 ? 1 : -1;
	/* Too large for the caller: read what fits, drop the rest. */
	if (read_full(sock, buf, cap, timeout_ms) != 1)
		return -1;
	for (left = hdr->size - cap; left > 0;) {
		size_t n = left < sizeof(discard) ? left : sizeof(discard);

		if (read_full(sock, discard, n, timeout_ms) != 1)
			return -1;
		left -= n;
	}
	return 1;
}

static int
dev_fail(struct vu_dev *dev, const char *what, uint32_t request)
{
	int saved = errno;

	snprintf(dev->err, sizeof(dev->err), "%s: %s%s%s", vu_request_name(request), what,
	    saved ? ": " : "", saved ? strerror(saved) : "");
	vu_log(dev, "%s", dev->err);
	errno = saved;
	return -1;
}

/* A reply as QEMU accepts it: flags exactly VERSION|REPLY, same code, exact size. */
static int
recv_reply(struct vu_dev *dev, uint32_t request, void *buf, uint32_t size)
{
	struct vu_hdr hdr;
	uint8_t tmp[VU_MAX_PAYLOAD];
	int r;

	r = vu_recv(dev->sock, &hdr, tmp, sizeof(tmp), dev->opts.timeout_ms);
	if (r == 0) {
		errno = ETIMEDOUT;
		return dev_fail(dev, "no reply", request);
	}
	if (r < 0)
		return dev_fail(dev, errno ? "receive" : "connection closed", request);
	errno = 0;
	if (hdr.request != request)
		return dev_fail(dev, "reply to another request", request);
	if (hdr.flags != (VU_FLAG_VERSION | VU_FLAG_REPLY))
		return dev_fail(dev, "reply flags not 0x5", request);
	if (hdr.size != size)
		return dev_fail(dev, "reply size", request);
	memcpy(buf, tmp, size);
	return 0;
}

int
vu_dev_get_u64(struct vu_dev *dev, uint32_t request, uint64_t *val)
{
	if (vu_send(dev->sock, request, 0, NULL, 0, NULL, 0) == -1)
		return dev_fail(dev, "send", request);
	return recv_reply(dev, request, val, sizeof(*val));
}

int
vu_dev_request(struct vu_dev *dev, uint32_t request, const void *payload, uint32_t size,
    const int *fds, int nfds)
{
	uint64_t ack;

	int want = dev->reply_ack;

	/* QEMU 7.2 wants an ack only for the memory table and the back-end channel */
	if (dev->opts.qemu_acks && request != VU_SET_MEM_TABLE && request != VU_ADD_MEM_REG &&
	    request != VU_REM_MEM_REG && request != VU_SET_BACKEND_REQ_FD)
		want = 0;
	vu_log(dev, "-> %s (%u bytes, %d fds)", vu_request_name(request), size, nfds);
	if (vu_send(dev->sock, request, want ? VU_FLAG_NEED_REPLY : 0, payload, size,
	    fds, nfds) == -1)
		return dev_fail(dev, "send", request);
	if (!want)
		return 0;
	if (recv_reply(dev, request, &ack, sizeof(ack)) == -1)
		return -1;
	if (ack != 0) {
		errno = 0;
		return dev_fail(dev, "REPLY_ACK reports failure", request);
	}
	return 0;
}

int
vu_dev_set_u64(struct vu_dev *dev, uint32_t request, uint64_t val)
{
	return vu_dev_request(dev, request, &val, sizeof(val), NULL, 0);
}

int
vu_dev_set_state(struct vu_dev *dev, uint32_t request, unsigned int index, unsigned int num)
{
	struct vhost_vring_state st;

	st.index = index;
	st.num = num;
	return vu_dev_request(dev, request, &st, sizeof(st), NULL, 0);
}

int
vu_dev_peer_closed(struct vu_dev *dev, int timeout_ms)
{
	struct pollfd pfd;
	char c;
	ssize_t n;

	pfd.fd = dev->sock;
	pfd.events = POLLIN | POLLRDHUP;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR))
		return 1;
	n = recv(dev->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n == -1 && errno != EAGAIN);
}
