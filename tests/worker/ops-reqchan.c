/*
 * A lying frontend on the two request channels. The requests channel (fd 5) is a
 * SOCK_SEQPACKET socket that request threads read themselves; each record must be exactly
 * one whole message without an fd, and each request type is accepted only on its own
 * channel (msg_req_ordered()). Every violation ends the worker with a message naming it
 * (exit 1, never a signal), with and without request threads, since the two read the
 * socket differently (chan_recv_packet() on threads, the event loop without). The record
 * is the worker's own copy once received, so a frontend cannot change it under the check.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "msg.h"
#include "check.h"
#include "harness.h"

enum lie {
	LIE_SHORT,		/* a record shorter than a header */
	LIE_LEN_LONG,		/* the header claims more than the record holds */
	LIE_LEN_SHORT,		/* the header claims less: trailing bytes */
	LIE_HUGE,		/* a record longer than any message */
	LIE_FLAGS,		/* the fd flag on a channel without fds */
	LIE_FD,			/* an fd passed anyway */
	LIE_ORDERED_HERE,	/* FORGET on the requests channel */
	LIE_CALLER_THERE,	/* GETATTR on the ordered channel */
	LIE_UNKNOWN,		/* a type nobody knows */
};

static const struct {
	enum lie	 lie;
	const char	*name;
	const char	*logged;	/* what the worker's last words must say */
} lies[] = {
	{ LIE_SHORT, "short record", "shorter than a header" },
	{ LIE_LEN_LONG, "length past the record", "holding a message of" },
	{ LIE_LEN_SHORT, "trailing bytes", "holding a message of" },
	{ LIE_HUGE, "record too long", "sent a record" },
	{ LIE_FLAGS, "fd flag", "flags" },
	{ LIE_FD, "fd passed", "fd" },
	{ LIE_ORDERED_HERE, "FORGET on the requests channel", "unexpected message type" },
	{ LIE_CALLER_THERE, "GETATTR on the ordered channel", "unexpected message type" },
	{ LIE_UNKNOWN, "unknown type", "unexpected message type" },
};

/* A framed request: chan_hdr, msg_req, body; the header's len as given. */
static size_t
frame(uint8_t *buf, uint32_t type, uint32_t len, uint32_t flags, size_t body)
{
	struct chan_hdr	hdr;
	struct msg_req	req;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = len;
	hdr.pid = (uint32_t)getpid();
	hdr.flags = flags;
	memset(&req, 0, sizeof(req));
	req.id = 77;
	req.nodeid = WH_ROOT;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &req, sizeof(req));
	memset(buf + sizeof(hdr) + sizeof(req), 0, body);
	return sizeof(hdr) + sizeof(req) + body;
}

static int
send_record(int fd, const void *buf, size_t len, int pass_fd)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	return check_rawsend(fd, &iov, 1, pass_fd) == (long)len ? 0 : -1;
}

static void
tell(struct wh *w, enum lie lie)
{
	static uint8_t	 buf[CHAN_PACKET_BUF + 4096];
	int		 req = chan_fd(w->req), ord = chan_fd(w->fe), ok;
	size_t		 n, getattr = sizeof(struct msg_getattr);

	switch (lie) {
	case LIE_SHORT:
		n = frame(buf, IMSG_FRONTEND_GETATTR, 0, 0, 0);
		ok = send_record(req, buf, sizeof(struct chan_hdr) - 1, -1);
		break;
	case LIE_LEN_LONG:
		n = frame(buf, IMSG_FRONTEND_GETATTR, sizeof(struct msg_req) + getattr + 8, 0,
		    getattr);
		ok = send_record(req, buf, n, -1);
		break;
	case LIE_LEN_SHORT:
		n = frame(buf, IMSG_FRONTEND_GETATTR, sizeof(struct msg_req) + getattr, 0,
		    getattr + 8);
		ok = send_record(req, buf, n, -1);
		break;
	case LIE_HUGE:
		n = frame(buf, IMSG_FRONTEND_SETXATTR, CHAN_MAX_PAYLOAD, 0, 0);
		ok = send_record(req, buf, sizeof(buf), -1);
		break;
	case LIE_FLAGS:
		n = frame(buf, IMSG_FRONTEND_GETATTR, sizeof(struct msg_req) + getattr,
		    CHAN_F_HASFD, getattr);
		ok = send_record(req, buf, n, -1);
		break;
	case LIE_FD:
		n = frame(buf, IMSG_FRONTEND_GETATTR, sizeof(struct msg_req) + getattr, 0,
		    getattr);
		ok = send_record(req, buf, n, STDERR_FILENO);
		break;
	case LIE_ORDERED_HERE:
		n = frame(buf, IMSG_FRONTEND_FORGET, sizeof(struct msg_req) +
		    sizeof(struct msg_forget), 0, sizeof(struct msg_forget));
		ok = send_record(req, buf, n, -1);
		break;
	case LIE_CALLER_THERE:
		n = frame(buf, IMSG_FRONTEND_GETATTR, sizeof(struct msg_req) + getattr, 0,
		    getattr);
		ok = send_record(ord, buf, n, -1);
		break;
	case LIE_UNKNOWN:
		n = frame(buf, IMSG_FRONTEND_TYPE_END + 7, sizeof(struct msg_req), 0, 0);
		ok = send_record(req, buf, n, -1);
		break;
	default:
		ok = -1;
	}
	CHECK(ok == 0);
}

static void
run(unsigned int threads)
{
	struct wh_opts	 o;
	struct wh	 w;
	struct msg_attr	 a;
	size_t		 i;
	char		 what[64];

	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		wh_opts_default(&o);
		o.threads = threads;
		if (wh_start(&w, &o) == -1) {
			CHECK(0);
			continue;
		}
		/* Both channels work before the lie. */
		CHECK(wh_getattr(&w, WH_ROOT, &a) == 0);
		wh_forget(&w, 12345, 1);
		tell(&w, lies[i].lie);
		snprintf(what, sizeof(what), "%u threads, %s", threads, lies[i].name);
		CHECK(wh_expect_fatal(&w, what, lies[i].logged));
		wh_stop(&w);
	}
}

/* The largest request there is still passes: the bound is not off by one. */
static void
largest(unsigned int threads)
{
	struct wh_opts	 o;
	struct wh	 w;
	struct wh_reply	*rep;
	uint8_t		*body;
	size_t		 len = CHAN_MAX_PAYLOAD - sizeof(struct msg_req);
	uint64_t	 id;

	wh_opts_default(&o);
	o.threads = threads;
	if ((rep = malloc(sizeof(*rep))) == NULL || (body = calloc(1, len)) == NULL ||
	    wh_start(&w, &o) == -1) {
		CHECK(0);
		return;
	}
	/* A SETXATTR whose name length lies: one answer (an error), the worker lives. */
	id = wh_send(&w, IMSG_FRONTEND_SETXATTR, WH_ROOT, body, len);
	CHECK(wh_recv(&w, id, rep, 5000) == 0);
	CHECK(rep->error != 0);
	CHECK(wh_alive(&w));
	wh_stop(&w);
	free(body);
	free(rep);
}

int
main(void)
{
	run(0);
	run(4);
	largest(0);
	largest(4);
	return check_done("ops-reqchan");
}
