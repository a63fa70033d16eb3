/*
 * libFuzzer target: the frontend's vhost-user device (frontend/vhost_user.c, vhost_msg.c,
 * guest_mem.c, virtq.c, virtq_chain.c) driven as QEMU drives it: a sequence of messages
 * on a real socket, with real fds (memfds for the memory table, eventfds for the rings),
 * through the real event loop. The harness plays QEMU and the guest (it writes guest
 * memory through its own copies of the memfds and kicks the rings) and, above the device,
 * the FUSE layer and the worker: the chains the rings hand up are held until the input
 * completes them, and a memory change is acknowledged (vu_mem_ready) when the input says.
 *
 * Input layout: records until the input ends, each starting with u8 op % 5:
 *   0 message	u8 request, u8 flags (bit 0 NEED_REPLY), u16 size (% 4097), u8 nfds (% 11),
 *		per fd a u8 kind (% 5: eventfd, memfd of (u8 + 1) pages, socket, pipe,
 *		/dev/null), then size payload bytes. A ring's kick fd is never a memfd or
 *		/dev/null: libevent cannot poll those and the frontend ends on it (fatalx).
 *   1 poke	u8 memfd (of this input, in order), u32 offset, u8 len, len bytes written
 *   2 kick	u8 eventfd (of this input), signalled
 *   3 complete	u8 held chain, u32 bytes written (its writable part is filled first)
 *   4 ready	the worker maps the memory generation the frontend committed
 * Checked: every request that wants an answer gets exactly one, in order, with flags 0x5;
 * what goes to the broker passes its checks (broker/relay.c); every chain lies in mapped
 * memory (it is read and written whole); after the input the device is reset (RESET_DEVICE,
 * an empty memory table, no call/err fds) and must hold no chain and no fd of its own.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "vhost_user.h"
#include "virtq.h"
#include "guest_mem.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the chains' bytes add up to: read, so that every piece is touched. */
extern volatile uint8_t fuzz_sink;
volatile uint8_t fuzz_sink;

static struct event_base	*base;
static int			 qemu_fd = -1;	/* our end of the vhost-user socket */
static int			 device_fd = -1;	/* the device's end */

/* Chains handed up by the rings, not completed yet. */
#define MAXHELD	1024
static struct vq_req	*held[MAXHELD];
static int		 nheld;

/* The worker's side of memory changes. */
static int		 commit_pending;
static struct msg_mem_commit commit_last;

/* Requests waiting for their answer, in order. */
#define MAXWAIT	4096
static uint32_t		 waiting[MAXWAIT];
static int		 wait_head, wait_tail;

/* This input's memfds and eventfds (our copies) and the queues it named. */
#define MAXFDS	64
static struct { int fd; uint32_t size; } mems[MAXFDS];
static int		 nmems;
static int		 efds[MAXFDS];
static int		 nefds;
static uint8_t		 queues_named[256];
/* What the input changed, so the reset after it sends only what undoes that. */
static int		 features_set, memory_set;

/* The input being read. */
static const uint8_t	*in_p;
static size_t		 in_left;

static void
take(void *dst, size_t len)
{
	size_t n = len < in_left ? len : in_left;

	memset(dst, 0, len);
	memcpy(dst, in_p, n);
	in_p += n;
	in_left -= n;
}

static uint8_t
take8(void)
{
	uint8_t v;

	take(&v, 1);
	return v;
}

/* ---- the layers above the device ---- */

static void
up_request(struct vq_req *req)
{
	uint64_t rd = 0, wr = 0;
	uint32_t i;

	/* A chain of empty descriptors has no pieces at all: the FUSE layer refuses it. */
	if (req->nrd + req->nwr > MSG_MAX_IOV)
		abort();
	for (i = 0; i < req->nrd + req->nwr; i++) {
		const struct vq_seg *s = &req->seg[i];

		if (s->len == 0 || s->slot >= MEM_MAX_SLOTS)
			abort();
		/* Mapped, all of it: a piece outside guest memory faults here. */
		fuzz_sink ^= s->host[0] ^ s->host[s->len - 1];
		if (i < req->nrd)
			rd += s->len;
		else
			wr += s->len;
	}
	if (rd != req->rd_len || wr != req->wr_len) {
		fprintf(stderr, "chain of %u + %u bytes holds %llu + %llu\n", req->rd_len,
		    req->wr_len, (unsigned long long)rd, (unsigned long long)wr);
		abort();
	}
	if (nheld == MAXHELD) {
		vq_complete(req, 0);
		return;
	}
	held[nheld++] = req;
}

static unsigned int
up_inflight(void)
{
	return 0;
}

static void
up_lock_waits(int allow)
{
}

static void
up_session_reset(void)
{
}

/* What broker/relay.c lets through, checked the way it checks. */
static int			state_pending;
static struct msg_state_done	state_done;

static void
up_fuse_state_save(struct msg_fuse_state *out)
{
	memset(out, 0, sizeof(*out));
}

static int
up_fuse_state_load(const struct msg_fuse_state *in)
{
	return -1;
}

static void
up_send_broker(uint32_t type, int fd, const void *data, size_t len)
{
	struct msg_mem_region r;
	struct msg_state_fd sf;
	struct msg_state_done done;
	struct stat st;

	switch (type) {
	case IMSG_FRONTEND_MEM_ADD:
		if (len != sizeof(r) || fd == -1)
			abort();
		memcpy(&r, data, sizeof(r));
		if (r.slot >= MEM_MAX_SLOTS || r.memory_size == 0 ||
		    r.mmap_offset + r.memory_size < r.mmap_offset ||
		    r.guest_phys_addr + r.memory_size < r.guest_phys_addr ||
		    r.userspace_addr + r.memory_size < r.userspace_addr ||
		    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < r.mmap_offset + r.memory_size) {
			fprintf(stderr, "region slot %u would fail the broker's check\n",
			    r.slot);
			abort();
		}
		break;
	case IMSG_FRONTEND_MEM_DEL:
		if (len != sizeof(struct msg_mem_slot) || fd != -1)
			abort();
		break;
	case IMSG_FRONTEND_MEM_COMMIT:
		if (len != sizeof(struct msg_mem_commit) || fd != -1 || commit_pending)
			abort();
		memcpy(&commit_last, data, sizeof(commit_last));
		memory_set |= commit_last.nslots > 0;
		if (commit_last.nslots > MEM_MAX_SLOTS)
			abort();
		commit_pending = 1;
		break;
	case IMSG_FRONTEND_BACKEND_CHANNEL:
		if (len != sizeof(struct msg_backend_channel) || fd == -1)
			abort();
		break;
	case IMSG_FRONTEND_STATE_FD:
		if (len != sizeof(struct msg_state_fd) || fd == -1)
			abort();
		memcpy(&sf, data, sizeof(sf));
		if (sf.direction != STATE_SAVE && sf.direction != STATE_LOAD)
			abort();
		/* The worker's answer: a transfer ends, as it would, in error. */
		memset(&done, 0, sizeof(done));
		done.direction = sf.direction;
		done.seq = sf.seq;
		done.error = EIO;
		state_pending = 1;
		state_done = done;
		break;
	default:
		fprintf(stderr, "type %u to the broker\n", type);
		abort();
	}
	if (fd != -1)
		close(fd);
}

/* No request is detached here: the FUSE layer above is not linked. */
static unsigned int
up_inflight_detached(void)
{
	return 0;
}

static void
up_dax_window(uint64_t size)
{
}

static const struct vu_sinks sinks = {
	.request = up_request,
	.inflight = up_inflight,
	.inflight_detached = up_inflight_detached,
	.lock_waits = up_lock_waits,
	.session_reset = up_session_reset,
	.send_broker = up_send_broker,
	.dax_window = up_dax_window,
	.fuse_state_save = up_fuse_state_save,
	.fuse_state_load = up_fuse_state_load,
};

/* ---- QEMU's side ---- */

/* Answers that came back: each must be the next one waited for. */
/* The largest answer to each request: a u64 but for GET_CONFIG and GET_SHMEM_CONFIG. */
static uint32_t
answer_max(uint32_t request)
{
	switch (request) {
	case 24:	/* GET_CONFIG: offset, size, flags and up to 256 bytes of space */
		return 12 + 256;
	case 44:	/* GET_SHMEM_CONFIG: a count and 256 sizes */
		return 8 + 256 * 8;
	default:
		return 8;
	}
}

static void
read_answers(void)
{
	uint8_t buf[sizeof(struct vu_hdr) + 8 + 256 * 8];
	struct vu_hdr h;
	ssize_t n;

	for (;;) {
		n = recv(qemu_fd, &h, sizeof(h), MSG_DONTWAIT | MSG_PEEK);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n != sizeof(h) || h.flags != (VU_VERSION | VU_FLAG_REPLY) ||
		    h.size > answer_max(h.request)) {
			fprintf(stderr, "answer: %zd bytes, flags %#x, size %u\n", n, h.flags,
			    h.size);
			abort();
		}
		if (recv(qemu_fd, buf, sizeof(h) + h.size, MSG_DONTWAIT) !=
		    (ssize_t)(sizeof(h) + h.size))
			abort();
		if (wait_head == wait_tail || waiting[wait_head % MAXWAIT] != h.request) {
			fprintf(stderr, "answer to %u, none or another waited for\n", h.request);
			abort();
		}
		wait_head++;
	}
}

/* Run the loop until it has nothing ready, reading answers as they come. */
static void
pump(void)
{
	int i, unread;

	for (i = 0; i < 16; i++) {
		if (event_base_loop(base, EVLOOP_NONBLOCK) == -1)
			abort();
		read_answers();
		if (event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE) == 0 &&
		    (ioctl(device_fd, FIONREAD, &unread) == -1 || unread == 0))
			return;
	}
}

/* Complete every held chain and acknowledge a committed table. */
static void
settle(void)
{
	int rounds, i, n;

	for (rounds = 0; rounds < 64; rounds++) {
		n = nheld;
		nheld = 0;
		for (i = 0; i < n; i++)
			vq_complete(held[i], 0);
		if (commit_pending) {
			commit_pending = 0;
			vu_mem_ready(commit_last.gen, commit_last.nslots);
		}
		if (state_pending) {
			state_pending = 0;
			vu_state_done(&state_done);
		}
		pump();
		if (nheld == 0 && !commit_pending && !state_pending)
			return;
	}
	fprintf(stderr, "the device never settles\n");
	abort();
}

static int
make_fd(uint8_t kind, uint32_t request)
{
	int fd = -1, sv[2];
	uint32_t size;

	kind %= 5;
	switch (kind) {
	case 0:
		if ((fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
			abort();
		if (nefds < MAXFDS)
			efds[nefds++] = dup(fd);
		break;
	case 1:
		size = ((uint32_t)take8() + 1) * 4096;
		if ((fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
		    ftruncate(fd, size) == -1)
			abort();
		if (nmems < MAXFDS) {
			mems[nmems].fd = dup(fd);
			mems[nmems++].size = size;
		}
		break;
	case 2:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
			abort();
		close(sv[1]);
		fd = sv[0];
		break;
	case 3:
		if (pipe2(sv, O_CLOEXEC) == -1)
			abort();
		close(sv[1]);
		fd = sv[0];
		break;
	case 4:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	}
	if (fd == -1)
		abort();
	return fd;
}

/* Whether QEMU waits for an answer to this request (vhost_user.c's vu_answer). */
static int
answered(uint32_t request, uint32_t flags)
{
	const struct vu_cmd *cmd = vu_cmd_lookup(request);

	return (cmd != NULL && cmd->has_reply) || (flags & VU_FLAG_NEED_REPLY);
}

static void
send_msg(uint32_t request, uint32_t flags, const void *payload, uint32_t size,
    const int *fds, unsigned int nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(16 * sizeof(int))];
	} cm;
	uint8_t buf[sizeof(struct vu_hdr) + VU_MAX_PAYLOAD];
	struct vu_hdr h = { request, flags, size };
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *c;
	int avail;

	/* Queued messages while a request waits: never let the socket fill mid-message. */
	if (ioctl(qemu_fd, TIOCOUTQ, &avail) == 0 && avail > 64 * 1024)
		settle();
	memcpy(buf, &h, sizeof(h));
	if (size > 0)
		memcpy(buf + sizeof(h), payload, size);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + size;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(qemu_fd, &mh, MSG_NOSIGNAL) != (ssize_t)iov.iov_len) {
		perror("sendmsg");
		abort();
	}
	if (answered(request, flags)) {
		if (wait_tail - wait_head >= MAXWAIT)
			abort();
		waiting[wait_tail++ % MAXWAIT] = request;
	}
	pump();
}

static void
op_message(void)
{
	static uint8_t payload[VU_MAX_PAYLOAD];
	int fds[16];
	uint32_t request, flags, size, nfds, i;
	uint16_t s16;
	uint64_t v;

	request = take8();
	flags = VU_VERSION | (take8() & 1 ? VU_FLAG_NEED_REPLY : 0);
	take(&s16, sizeof(s16));
	size = s16 % (VU_MAX_PAYLOAD + 1);
	nfds = take8() % 11;
	for (i = 0; i < nfds; i++)
		fds[i] = make_fd(take8(), request);
	take(payload, size);
	features_set |= request == 2 || request == 16;
	if ((request == 13 || request == 14) && size == 8) {
		memcpy(&v, payload, sizeof(v));
		queues_named[v & 0xff] = 1;
	}
	send_msg(request, flags, payload, size, fds, nfds);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
}

static void
op_poke(void)
{
	uint8_t buf[256];
	uint32_t off;
	uint8_t which = take8(), len;

	take(&off, sizeof(off));
	len = take8();
	take(buf, len);
	if (nmems == 0)
		return;
	which %= nmems;
	off %= mems[which].size;
	if (len > mems[which].size - off)
		len = (uint8_t)(mems[which].size - off);
	if (pwrite(mems[which].fd, buf, len, off) != len)
		abort();
}

static void
op_kick(void)
{
	uint64_t one = 1;
	uint8_t which = take8();

	if (nefds == 0)
		return;
	if (write(efds[which % nefds], &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		abort();
	pump();
}

static void
op_complete(void)
{
	struct vq_req *req;
	uint8_t which = take8();
	uint32_t written, i;

	take(&written, sizeof(written));
	if (nheld == 0)
		return;
	which %= nheld;
	req = held[which];
	held[which] = held[--nheld];
	/* The FUSE layer writes the writable part: all of it must be ours to write. */
	for (i = req->nrd; i < req->nrd + req->nwr; i++)
		memset(req->seg[i].host, 0xa5, req->seg[i].len);
	vq_complete(req, written);
	pump();
}

static void
op_ready(void)
{
	if (state_pending) {
		state_pending = 0;
		vu_state_done(&state_done);
	}
	if (!commit_pending)
		return;
	commit_pending = 0;
	vu_mem_ready(commit_last.gen, commit_last.nslots);
	pump();
}

/* Back to the state every input starts from. */
static void
teardown(void)
{
	uint64_t v;
	uint32_t table[2] = { 0, 0 };
	int i, q;

	settle();
	if (features_set) {
		v = 1ULL << VU_F_PROTOCOL_FEATURES;
		send_msg(2, VU_VERSION | VU_FLAG_NEED_REPLY, &v, sizeof(v), NULL, 0);
		v = 0;
		send_msg(16, VU_VERSION | VU_FLAG_NEED_REPLY, &v, sizeof(v), NULL, 0);
		features_set = 0;
	}
	send_msg(34, VU_VERSION | VU_FLAG_NEED_REPLY, NULL, 0, NULL, 0);
	settle();
	if (memory_set || gm_nslots() != 0) {
		send_msg(5, VU_VERSION | VU_FLAG_NEED_REPLY, table, sizeof(table), NULL, 0);
		settle();
		memory_set = 0;
	}
	for (q = 0; q < 256; q++) {
		if (!queues_named[q])
			continue;
		queues_named[q] = 0;
		v = (uint64_t)q | VU_VRING_NOFD;
		send_msg(13, VU_VERSION, &v, sizeof(v), NULL, 0);
		send_msg(14, VU_VERSION, &v, sizeof(v), NULL, 0);
	}
	settle();
	if (wait_head != wait_tail) {
		fprintf(stderr, "%d requests never answered (the first %u)\n",
		    wait_tail - wait_head, waiting[wait_head % MAXWAIT]);
		abort();
	}
	if (vq_alive() != 0 || nheld != 0 || gm_nslots() != 0) {
		fprintf(stderr, "after the reset: %u chains alive, %u slots\n", vq_alive(),
		    gm_nslots());
		abort();
	}
	for (i = 0; i < nmems; i++)
		close(mems[i].fd);
	for (i = 0; i < nefds; i++)
		close(efds[i]);
	nmems = nefds = 0;
}

/* Open fds; with show, each one's target on stderr. */
static int
count_fds(int show)
{
	struct dirent *e;
	char path[300], target[256];
	ssize_t len;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		abort();
	while ((e = readdir(d)) != NULL) {
		n++;
		if (!show)
			continue;
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		if ((len = readlink(path, target, sizeof(target) - 1)) == -1)
			len = 0;
		target[len] = '\0';
		fprintf(stderr, "  fd %s: %s\n", e->d_name, target);
	}
	closedir(d);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], n, before;

	if (base == NULL) {
		log_init(0, getenv("FUZZ_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
		/* As frontend.c: a call fd that is a closed socket is EPIPE, not death. */
		signal(SIGPIPE, SIG_IGN);
		if ((base = event_base_new()) == NULL ||
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
			abort();
		vu_init(base, &sinks);
		/* With a DAX window and a tag: GET_SHMEM_CONFIG and GET_CONFIG are served. */
		vu_set_device_opts(&(struct vu_device_opts){ 64ULL << 20, 1, "fuzz" });
		qemu_fd = sv[0];
		device_fd = sv[1];
		vu_start(sv[1]);
		teardown();
	}
	/* Counted per input: libFuzzer's symbolizer opens pipes between inputs. */
	before = count_fds(0);
	in_p = data;
	in_left = size;
	while (in_left > 0) {
		switch (take8() % 5) {
		case 0:
			op_message();
			break;
		case 1:
			op_poke();
			break;
		case 2:
			op_kick();
			break;
		case 3:
			op_complete();
			break;
		case 4:
			op_ready();
			break;
		}
	}
	teardown();
	if ((n = count_fds(0)) != before) {
		fprintf(stderr, "fds: %d after the reset, %d at the start\n", n, before);
		count_fds(1);
		abort();
	}
	return 0;
}
