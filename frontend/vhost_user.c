/*
 * The vhost-user connection: reading QEMU's messages (12-byte header, bounded payload,
 * SCM_RIGHTS fds), checking each against its row in the request table (vhost_msg.c),
 * answering (flags exactly 0x5), and the requests that must wait until no request is in
 * flight (GET_VRING_BASE, memory table changes, resets). While one waits we neither read
 * the socket nor take chains from the rings; QEMU waits for our answer anyway. Nothing
 * the guest controls may hold that up: lock waits are ended in the worker first, and if
 * the worker still has not answered everything after VU_DRAIN_TIMEOUT_S, the device is
 * broken and the export ends (answering anyway would let the worker write guest memory
 * QEMU believes is ours no longer).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "vhost_user.h"
#include "guest_mem.h"

#define VU_IO_TIMEOUT_MS	5000	/* the rest of a message QEMU started to send */
#define VU_DRAIN_TIMEOUT_S	30	/* the worker answering what is in flight */
/*
 * A device state transfer, bounded in case the worker never gets the fd (it died before
 * the broker could pass it): then CHECK_DEVICE_STATE fails instead of waiting forever.
 */
#define VU_STATE_TIMEOUT_S	600

static struct event_base	*vu_base;
static int			 vu_fd = -1;
static struct event		*vu_ev;
static struct event		*vu_drain_ev;	/* bounds the wait of vu_pend */
static struct event		*vu_state_ev;	/* bounds a CHECK_DEVICE_STATE's wait */
static struct vu_msg		 vu_in;
static struct vu_sinks		 vu_sinks;	/* the layers above, from vu_init() */

/* The one request waiting for the rings to drain (and maybe for the worker). */
static struct {
	int			 active;
	int			 drained;
	int			 wait_ready;
	int			 wait_state;	/* VU_WAIT_STATE: for the worker's transfer */
	uint32_t		 gen;
	const struct vu_cmd	*cmd;
	struct vu_hdr		 hdr;
	vu_drained_fn		 fn;
	uint32_t		 arg;
	int			 memory;	/* a memory change: see vq_detach() */
	struct vu_reply		 rep;
} vu_pend;

static void
vu_drain_timeout(int fd, short events, void *arg)
{
	fatalx("device broken: %s waited %d s for %u chains and %u worker requests; "
	    "export ends", vu_pend.cmd != NULL ? vu_pend.cmd->name : "a request",
	    VU_DRAIN_TIMEOUT_S, vq_alive(), vu_sinks.inflight());
}

static void
vu_state_timeout(int fd, short events, void *arg)
{
	log_warnx("no end of the device state transfer after %d s", VU_STATE_TIMEOUT_S);
	vu_state_done(NULL);
}

void
vu_init(struct event_base *base, const struct vu_sinks *sinks)
{
	vu_base = base;
	vu_sinks = *sinks;
	if ((vu_drain_ev = evtimer_new(base, vu_drain_timeout, NULL)) == NULL ||
	    (vu_state_ev = evtimer_new(base, vu_state_timeout, NULL)) == NULL)
		fatalx("evtimer_new");
	vq_init(base, sinks->request, vu_check_drained);
	vu_cmds_init(sinks);
}

__attribute__((__noreturn__)) static void
vu_closed(void)
{
	log_info("vhost-user connection closed by QEMU; export ends");
	exit(0);
}

/* Wait for fd to become ready; a peer that stalls mid-message is broken. */
static void
vu_poll(short events)
{
	struct pollfd pfd = { .fd = vu_fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, VU_IO_TIMEOUT_MS);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		fatal("vhost-user poll");
	if (n == 0)
		fatalx("vhost-user protocol error: message stalled for %d ms",
		    VU_IO_TIMEOUT_MS);
}

static void
vu_read_full(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(vu_fd, p, len);
		if (n == 0)
			fatalx("vhost-user protocol error: connection closed inside a message");
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				vu_poll(POLLIN);
				continue;
			}
			if (errno == ECONNRESET)
				vu_closed();
			fatal("vhost-user read");
		}
		p += n;
		len -= n;
	}
}

static void
vu_write_full(const void *buf, size_t len)
{
	struct iovec iov;
	struct msghdr mh;
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		iov.iov_base = (void *)(uintptr_t)p;
		iov.iov_len = len;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		n = sendmsg(vu_fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				vu_poll(POLLOUT);
				continue;
			}
			if (errno == EPIPE || errno == ECONNRESET)
				vu_closed();
			fatal("vhost-user write");
		}
		p += n;
		len -= n;
	}
}

static void
vu_send(uint32_t request, const void *payload, uint32_t size)
{
	uint8_t buf[sizeof(struct vu_hdr) + sizeof(((struct vu_reply *)0)->p)];
	struct vu_hdr hdr;

	if (size > sizeof(buf) - sizeof(hdr))
		fatalx("%s: reply of %u bytes", __func__, size);
	explicit_bzero(buf, sizeof(buf));
	hdr.request = request;
	hdr.flags = VU_VERSION | VU_FLAG_REPLY;	/* QEMU accepts exactly 0x5 */
	hdr.size = size;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, size);
	vu_write_full(buf, sizeof(hdr) + size);
}

/*
 * Answer per the request's kind: requests with a reply of their own get it (a refused one
 * gets an empty payload, which QEMU reports as an error instead of waiting forever); any
 * other request that asked for NEED_REPLY gets REPLY_ACK's u64, 0 for success.
 */
static void
vu_answer(const struct vu_cmd *cmd, const struct vu_hdr *hdr, int rc, struct vu_reply *rep)
{
	uint64_t ack;

	if (cmd != NULL && cmd->has_reply) {
		if (rc != VU_OK)
			rep->size = 0;
		vu_send(hdr->request, &rep->p, rep->size);
	} else if (hdr->flags & VU_FLAG_NEED_REPLY) {
		ack = rc == VU_OK ? 0 : 1;
		vu_send(hdr->request, &ack, sizeof(ack));
	}
}

static void
vu_close_fds(struct vu_msg *m)
{
	unsigned int i;

	for (i = 0; i < m->nfds; i++)
		if (m->fds[i] != -1)
			close(m->fds[i]);
	m->nfds = 0;
}

/* ---- requests that wait for in-flight chains ---- */

static void
vu_pend_finish(int rc)
{
	vu_answer(vu_pend.cmd, &vu_pend.hdr, rc, &vu_pend.rep);
	vu_pend.active = 0;
	evtimer_del(vu_drain_ev);
	evtimer_del(vu_state_ev);
	vu_sinks.lock_waits(1);
	if (event_add(vu_ev, NULL) == -1)
		fatalx("event_add");
	vq_pause_all(0);
}

void
vu_check_drained(void)
{
	static const struct timeval state_tv = { VU_STATE_TIMEOUT_S, 0 };
	unsigned int	chains = vq_alive(), reqs = vu_sinks.inflight();
	int		rc;

	if (vu_pend.memory) {
		chains -= vq_detached();
		reqs -= vu_sinks.inflight_detached();
	}
	if (!vu_pend.active || vu_pend.drained || chains != 0 || reqs != 0)
		return;
	vu_pend.drained = 1;
	rc = vu_pend.fn(&vu_pend.rep, vu_pend.arg);
	if (rc == VU_WAIT_STATE) {
		/* Not the drain's time-out: the transfer takes what the VMM's pipe takes. */
		vu_pend.wait_state = 1;
		evtimer_del(vu_drain_ev);
		if (evtimer_add(vu_state_ev, &state_tv) == -1)
			fatalx("evtimer_add");
		return;
	}
	if (rc != VU_WAIT_READY) {
		vu_pend_finish(rc);
		return;
	}
	vu_pend.wait_ready = 1;
	vu_pend.gen = vu_pend.rep.gen;
}

void
vu_state_done(const struct msg_state_done *done)
{
	int rc;

	vu_xfer_end(done);
	if (!vu_pend.active || !vu_pend.wait_state)
		return;
	/* The waiting CHECK_DEVICE_STATE's drained fn answers from the result now. */
	if ((rc = vu_pend.fn(&vu_pend.rep, vu_pend.arg)) != VU_WAIT_STATE)
		vu_pend_finish(rc);
}

int
vu_mem_pending(uint32_t gen)
{
	return vu_pend.active && vu_pend.wait_ready && gen == vu_pend.gen;
}

void
vu_mem_ready(uint32_t gen, uint32_t nslots)
{
	if (!vu_pend.active || !vu_pend.wait_ready || gen != vu_pend.gen)
		fatalx("worker reported memory generation %u, none was pending", gen);
	if (nslots != gm_nslots())
		fatalx("worker mapped %u slots of generation %u, we have %u", nslots, gen,
		    gm_nslots());
	log_debug("memory generation %u ready in the worker", gen);
	vu_pend_finish(VU_OK);
}

void
vu_mem_lost(void)
{
	uint32_t slot = gm_lost() - 1;

	vq_break_all("guest memory lost");
	fatalx("vhost-user protocol error: the file of guest memory slot %u (gpa 0x%llx) "
	    "shrank under its mapping (SIGBUS); device broken, export ends", slot,
	    (unsigned long long)gm_slot_gpa(slot));
}

/* ---- reading and dispatching ---- */

static void
vu_collect_fds(struct msghdr *mh, struct vu_msg *m, int *overflow)
{
	struct cmsghdr *c;
	int *fds;
	size_t i, n;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)(void *)CMSG_DATA(c);
		for (i = 0; i < n; i++) {
			if (m->nfds < VU_MAX_FDS)
				m->fds[m->nfds++] = fds[i];
			else {
				close(fds[i]);
				*overflow = 1;
			}
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		*overflow = 1;
}

/* One whole message into m. Returns 0, or -1 when nothing was there yet. */
static int
vu_recv(struct vu_msg *m, int *fd_overflow)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = &m->hdr, .iov_len = sizeof(m->hdr) };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	m->nfds = 0;
	*fd_overflow = 0;
	n = recvmsg(vu_fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n == 0)
		vu_closed();
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return -1;
		if (errno == ECONNRESET)
			vu_closed();
		fatal("vhost-user recvmsg");
	}
	vu_collect_fds(&mh, m, fd_overflow);
	if ((size_t)n < sizeof(m->hdr))
		vu_read_full((uint8_t *)&m->hdr + n, sizeof(m->hdr) - n);
	if (m->hdr.size > sizeof(m->p))
		fatalx("vhost-user protocol error: %s (%u) with a %u-byte payload "
		    "(at most %zu)", vu_request_name(m->hdr.request), m->hdr.request,
		    m->hdr.size, sizeof(m->p));
	if ((m->hdr.flags & VU_FLAG_VERSION_MASK) != VU_VERSION ||
	    (m->hdr.flags & VU_FLAG_REPLY))
		fatalx("vhost-user protocol error: %s with flags 0x%x",
		    vu_request_name(m->hdr.request), m->hdr.flags);
	memset(&m->p, 0, sizeof(m->p));
	vu_read_full(&m->p, m->hdr.size);
	return 0;
}

/* Size and fd count against the table row; logged when wrong. */
static int
vu_check(const struct vu_cmd *cmd, const struct vu_msg *m, int fd_overflow)
{
	if (m->hdr.size < cmd->size_min || m->hdr.size > cmd->size_max) {
		log_warnx_rl("refused %s: payload of %u bytes (expected %u..%u)", cmd->name,
		    m->hdr.size, cmd->size_min, cmd->size_max);
		return -1;
	}
	if (fd_overflow || m->nfds < cmd->fd_min || m->nfds > cmd->fd_max) {
		log_warnx_rl("refused %s: %s%u fds (expected %u..%u)", cmd->name,
		    fd_overflow ? "more than " : "", m->nfds, cmd->fd_min, cmd->fd_max);
		return -1;
	}
	return 0;
}

static void
vu_dispatch(struct vu_msg *m, int fd_overflow)
{
	static const struct timeval drain_tv = { VU_DRAIN_TIMEOUT_S, 0 };
	const struct vu_cmd *cmd;
	struct vu_reply rep;
	int rc;

	memset(&rep, 0, sizeof(rep));
	cmd = vu_cmd_lookup(m->hdr.request);
	log_debug("vhost-user %s (%u) size %u fds %u flags 0x%x",
	    vu_request_name(m->hdr.request), m->hdr.request, m->hdr.size, m->nfds,
	    m->hdr.flags);
	if (cmd == NULL) {
		log_warnx_rl("refused unknown vhost-user request %u", m->hdr.request);
		rc = VU_FAIL;
	} else if (vu_check(cmd, m, fd_overflow) == -1)
		rc = VU_FAIL;
	else if (cmd->fn == NULL) {
		log_warnx_rl("refused %s: not offered", cmd->name);
		rc = VU_FAIL;
	} else
		rc = cmd->fn(m, &rep);
	vu_close_fds(m);
	if (rc != VU_DEFER) {
		vu_answer(cmd, &m->hdr, rc, &rep);
		return;
	}
	vu_pend.active = 1;
	vu_pend.drained = 0;
	vu_pend.wait_ready = 0;
	vu_pend.wait_state = 0;
	vu_pend.fn = rep.drained;
	vu_pend.arg = rep.arg;
	vu_pend.memory = rep.memory;
	vu_pend.cmd = cmd;
	vu_pend.hdr = m->hdr;
	memset(&vu_pend.rep, 0, sizeof(vu_pend.rep));
	event_del(vu_ev);
	vq_pause_all(1);
	vu_sinks.lock_waits(0);
	if (evtimer_add(vu_drain_ev, &drain_tv) == -1)
		fatalx("evtimer_add");
	log_debug("%s waits for %u chains, %u worker requests", cmd->name, vq_alive(),
	    vu_sinks.inflight());
	vu_check_drained();
}

static void
vu_read_cb(int fd, short events, void *arg)
{
	int fd_overflow;

	if (vu_recv(&vu_in, &fd_overflow) == -1)
		return;
	vu_dispatch(&vu_in, fd_overflow);
}

void
vu_start(int fd)
{
	int fl;

	if (vu_fd != -1) {
		log_warnx("a second vhost-user connection for this frontend; closed");
		close(fd);
		return;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		fatal("vhost-user socket O_NONBLOCK");
	vu_fd = fd;
	vu_ev = event_new(vu_base, fd, EV_READ | EV_PERSIST, vu_read_cb, NULL);
	if (vu_ev == NULL || event_add(vu_ev, NULL) == -1)
		fatalx("vhost-user event");
	log_info("vhost-user connection from QEMU");
}
