/*
 * libFuzzer target: the broker reading its children's messages, the one thing a
 * compromised frontend or worker can say to the privileged process: broker/relay.c's
 * dispatch tables and handlers behind common/dispatch.c, with the real fd checks on real
 * fds and the real backend.c. relay_start() hands its tables to the channel layer; the
 * stub chan_set_dispatch() keeps them, and each message goes through dispatch_msg() as
 * chan.c would pass it. What relay.c forwards lands in a stub chan_compose() that checks
 * it is what the worker's own table accepts, and what the broker promised to have checked
 * (a region fd that is a file covering the region, a slot in range). dispatch.c is built
 * with fatal()/fatalx() renamed, and broker_shutdown() is a stub: both jump back here, as
 * the end of the export.
 *
 * Input layout: records until the input ends, each:
 *   u8 ctl	bit 0: from the worker (else the frontend); bit 1: the worker's channel is
 *		gone (relay drops what it would forward)
 *   u8 type	index into the types below; 0xff: a u32 type follows
 *   u16 len	payload bytes (at most 4096), then u8 fd kind: 0 none, 1 memfd (a u32 size
 *		follows), 2 socket, 3 pipe, 4 /dev/null, 5 a directory, 6 an eventfd
 *   len bytes	the payload
 * After every input the broker must hold no more fds than before it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "used_ring.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct child	children[NCHILDREN];

static char	fe_tok, wk_tok;		/* the two channels, only ever compared */
#define FE_CHAN	((struct chan *)(void *)&fe_tok)
#define WK_CHAN	((struct chan *)(void *)&wk_tok)
static const struct dispatch_entry *fe_table, *wk_table;
static jmp_buf	fuzz_jmp;

/* ---- stubs of what lies around relay.c ---- */



void
fuzz_fatalx(const char *fmt, ...)
{
	longjmp(fuzz_jmp, 1);
}

void
fuzz_fatal(const char *fmt, ...)
{
	longjmp(fuzz_jmp, 1);
}

void
broker_shutdown(int code, const char *why)
{
	longjmp(fuzz_jmp, 2);
}

/* The connection's end line (connlog.c) is not under test here. */
void
connlog_cause(const char *fmt, ...)
{
}

void
chan_set_dispatch(struct chan *c, const struct dispatch_entry *table, void *arg)
{
	if (c == FE_CHAN)
		fe_table = table;
	else if (c == WK_CHAN)
		wk_table = table;
	else
		abort();
}

const char *
chan_peer(const struct chan *c)
{
	return c == FE_CHAN ? "frontend" : "worker";
}

/* What the worker's broker_table accepts (worker/worker.c), and the broker's promises. */
void
chan_compose(struct chan *c, uint32_t type, uint32_t peerid, int fd, const void *data,
    size_t len)
{
	struct msg_mem_region r;
	struct stat st;
	size_t want;

	if (c != WK_CHAN || children[CHILD_WORKER].chan == NULL) {
		fprintf(stderr, "compose on a channel that is not the worker's\n");
		abort();
	}
	switch (type) {
	case IMSG_BROKER_MEM_ADD:
		want = sizeof(r);
		break;
	case IMSG_BROKER_MEM_DEL:
		want = sizeof(struct msg_mem_slot);
		break;
	case IMSG_BROKER_MEM_COMMIT:
		want = sizeof(struct msg_mem_commit);
		break;
	case IMSG_BROKER_DAX_RESULT:
		want = sizeof(struct msg_dax_result);
		break;
	case IMSG_BROKER_DIRECT_RING:
		want = sizeof(struct msg_direct_ring);
		break;
	case IMSG_BROKER_DIRECT_KICK:
		want = sizeof(struct msg_direct_kick);
		break;
	default:
		fprintf(stderr, "type %u to the worker\n", type);
		abort();
	}
	if (len != want || (fd != -1) != (type == IMSG_BROKER_MEM_ADD ||
	    type == IMSG_BROKER_DIRECT_RING || type == IMSG_BROKER_DIRECT_KICK)) {
		fprintf(stderr, "type %u: %zu bytes (want %zu), fd %d\n", type, len, want, fd);
		abort();
	}
	if (type == IMSG_BROKER_MEM_ADD) {
		memcpy(&r, data, sizeof(r));
		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || r.slot >= MEM_MAX_SLOTS ||
		    r.memory_size == 0 || r.mmap_offset + r.memory_size < r.mmap_offset ||
		    (uint64_t)st.st_size < r.mmap_offset + r.memory_size) {
			fprintf(stderr, "region slot %u passed on unchecked\n", r.slot);
			abort();
		}
	}
	if (type == IMSG_BROKER_MEM_DEL) {
		struct msg_mem_slot s;

		memcpy(&s, data, sizeof(s));
		if (s.slot >= MEM_MAX_SLOTS)
			abort();
	}
	if (type == IMSG_BROKER_DIRECT_RING || type == IMSG_BROKER_DIRECT_KICK) {
		struct msg_direct_kick k;	/* queue and gen lead both structs */

		memcpy(&k, data, sizeof(k));
		if (fstat(fd, &st) == -1 || (st.st_mode & S_IFMT) != 0 || k.queue == 0 ||
		    k.queue > USED_SHARE_QUEUES || k.gen == 0) {
			fprintf(stderr, "type %u: ring or kick fd passed on unchecked\n", type);
			abort();
		}
	}
	/* The channel closes an fd once it is sent. */
	if (fd != -1)
		close(fd);
}

/* ---- the input ---- */

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

static int
count_fds(void)
{
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		abort();
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
make_fd(uint8_t kind)
{
	int fd = -1, sv[2];
	uint32_t size;

	switch (kind % 7) {
	case 1:
		take(&size, sizeof(size));
		if ((fd = memfd_create("fuzz-region", MFD_CLOEXEC)) == -1 ||
		    ftruncate(fd, size) == -1)
			abort();
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
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		break;
	case 5:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	case 6:
		fd = eventfd(0, EFD_CLOEXEC);
		break;
	}
	return fd;
}

static const uint32_t types[] = {
	IMSG_FRONTEND_MEM_ADD, IMSG_FRONTEND_MEM_DEL, IMSG_FRONTEND_MEM_COMMIT,
	IMSG_FRONTEND_BACKEND_CHANNEL, IMSG_WORKER_DAX_MAP, IMSG_WORKER_DAX_UNMAP,
	IMSG_CHILD_HELLO, IMSG_BROKER_MEM_ADD, IMSG_FRONTEND_DIRECT_RING,
	IMSG_FRONTEND_DIRECT_KICK,
};

/* One message through the dispatcher; 0, or -1 once the export ended. */
static int
message(void)
{
	static uint8_t payload[4096];
	volatile struct chan_msg m;
	uint8_t ctl, t, kind;
	uint16_t len;
	int fromwk;

	take(&ctl, 1);
	take(&t, 1);
	take(&len, 2);
	take(&kind, 1);
	fromwk = ctl & 1;
	children[CHILD_WORKER].chan = ctl & 2 ? NULL : WK_CHAN;
	memset((void *)&m, 0, sizeof(m));
	if (t == 0xff)
		take((void *)&m.hdr.type, sizeof(m.hdr.type));
	else
		m.hdr.type = types[t % (sizeof(types) / sizeof(types[0]))];
	m.fd = make_fd(kind);
	if (len > sizeof(payload))
		len = sizeof(payload);
	take(payload, len);
	m.hdr.len = len;
	m.hdr.flags = m.fd != -1 ? CHAN_F_HASFD : 0;
	m.data = payload;
	if (setjmp(fuzz_jmp) != 0) {
		/* The export ends; the process would exit with this fd still open. */
		if (m.fd != -1)
			close(m.fd);
		return -1;
	}
	dispatch_msg(fromwk ? WK_CHAN : FE_CHAN, fromwk ? wk_table : fe_table,
	    (struct chan_msg *)&m, fromwk ? &children[CHILD_WORKER] :
	    &children[CHILD_FRONTEND]);
	/* A handler owns the fd it was given: it must have passed it on or closed it. */
	if (m.fd != -1) {
		fprintf(stderr, "type %u: the handler left its fd\n", m.hdr.type);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	int before;

	if (!once) {
		log_init(0, getenv("FUZZ_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
		children[CHILD_FRONTEND].chan = FE_CHAN;
		children[CHILD_WORKER].chan = WK_CHAN;
		relay_start();
		if (fe_table == NULL || wk_table == NULL)
			abort();
		once = 1;
	}
	in_p = data;
	in_left = size;
	before = count_fds();
	while (in_left > 0 && message() == 0)
		;
	/* The back-end channel is the broker's until a new one replaces it. */
	backend_set_channel(-1, 0);
	if (count_fds() != before) {
		fprintf(stderr, "fds: %d before the input, %d after\n", before, count_fds());
		abort();
	}
	return 0;
}
