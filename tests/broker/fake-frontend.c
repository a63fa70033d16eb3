/*
 * A frontend that misbehaves on purpose, for tests/broker/violation.sh: it starts like the
 * real one (config in, hello out, "privfsd: frontend" title), then does what FAKE_CASE
 * says, and waits to be killed. The broker must catch every bad case and end the export.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"
#include "msg.h"

extern char **environ;

static int
memfd_of(size_t size)
{
	int fd;

	if ((fd = memfd_create("fake-guest", MFD_CLOEXEC)) == -1 || ftruncate(fd, size) == -1)
		fatal("memfd");
	return fd;
}

static void
mem_add(struct chan *b, uint32_t slot, uint64_t size, uint64_t offset, int fd)
{
	struct msg_mem_region r;

	memset(&r, 0, sizeof(r));
	r.gen = 1;
	r.slot = slot;
	r.memory_size = size;
	r.mmap_offset = offset;
	chan_compose(b, IMSG_FRONTEND_MEM_ADD, 0, fd, &r, sizeof(r));
}

static void
misbehave(struct chan *b, const char *c)
{
	struct msg_mem_commit	mc = { 1, 1 };
	int			p[2];

	if (strcmp(c, "mem-pipe") == 0) {
		if (pipe(p) == -1)
			fatal("pipe");
		mem_add(b, 0, 4096, 0, p[0]);
	} else if (strcmp(c, "mem-short") == 0)
		mem_add(b, 0, 8192, 0, memfd_of(4096));
	else if (strcmp(c, "mem-overflow") == 0)
		mem_add(b, 0, 4096, UINT64_MAX - 100, memfd_of(4096));
	else if (strcmp(c, "mem-slot") == 0)
		mem_add(b, MEM_MAX_SLOTS, 4096, 0, memfd_of(4096));
	else if (strcmp(c, "backend-not-socket") == 0) {
		struct msg_backend_channel bc = { 0 };

		chan_compose(b, IMSG_FRONTEND_BACKEND_CHANNEL, 0, memfd_of(16), &bc, sizeof(bc));
	}
	else if (strcmp(c, "unknown-type") == 0)
		chan_compose(b, IMSG_WORKER_REPLY_STATUS, 0, -1, &mc, sizeof(mc));
	else if (strcmp(c, "mem-good") == 0) {
		mem_add(b, 0, 4096, 0, memfd_of(8192));
		chan_compose(b, IMSG_FRONTEND_MEM_COMMIT, 0, -1, &mc, sizeof(mc));
	} else
		fatalx("unknown FAKE_CASE %s", c);
	chan_flush(b);
}

int
main(int argc, char **argv)
{
	struct msg_hello	 hello = { PRIVFSD_PROTO_VERSION, ROLE_FRONTEND };
	struct chan		*b;
	struct chan_msg		 m;
	const char		*c;

	setproctitle_init(argc, argv, environ);
	c = getenv("FAKE_CASE");	/* after: the title overwrites the old environment */
	setproctitle("-privfsd: %s", "frontend");
	log_init(0, LOG_LEVEL_INFO);
	log_procinit("fake-frontend");
	if (c == NULL)
		fatalx("FAKE_CASE not set");
	b = chan_new(CHAN_FD_BROKER, "broker", 1);
	if (chan_recv_blocking(b, &m, 5000) == -1 || m.hdr.type != IMSG_BROKER_CONFIG)
		fatalx("no config");
	if (strcmp(c, "bad-version") == 0)
		hello.version = PRIVFSD_PROTO_VERSION + 1;
	if (strcmp(c, "no-hello") != 0) {
		chan_compose(b, IMSG_CHILD_HELLO, 0, -1, &hello, sizeof(hello));
		chan_flush(b);
	}
	if (strcmp(c, "bad-version") != 0 && strcmp(c, "no-hello") != 0)
		misbehave(b, c);
	for (;;)
		pause();
}
