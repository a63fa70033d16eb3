/*
 * The channel: framing across partial reads and writes, fd passing in order, the
 * blocking start-up read, composing from many threads at once on a threaded channel, and
 * the dispatcher's fatal refusals (each in a child process, which must exit 1 with the
 * refusal logged).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "check.h"

#define NMSG	2000

static int	got, got_fds, bad_order;
static struct event_base *base;

static void
on_data(struct chan *c, struct chan_msg *m, void *arg)
{
	uint32_t seq;

	memcpy(&seq, m->data, sizeof(seq));
	if (seq != (uint32_t)got)
		bad_order++;
	/* every tenth message is big: the payload must come through intact */
	if (m->hdr.len > sizeof(seq) && m->data[m->hdr.len - 1] != (uint8_t)seq)
		bad_order++;
	if (m->fd != -1) {
		struct stat st;

		if (fstat(m->fd, &st) == 0 && S_ISFIFO(st.st_mode))
			got_fds++;
		close(m->fd);
	}
	if (++got == NMSG)
		event_base_loopbreak(base);
}

static const struct dispatch_entry table[] = {
	{ 1, SIZE_MIN, sizeof(uint32_t), FD_OPTIONAL, on_data },
	DISPATCH_END
};

static const struct dispatch_entry strict_table[] = {
	{ 1, SIZE_EXACT, 4, FD_NONE, on_data },
	{ 2, SIZE_EXACT, 4, FD_REQUIRED, on_data },
	DISPATCH_END
};

static void
test_roundtrip(void)
{
	struct chan	*a, *b;
	int		 sv[2], p[2], i;
	char		 peek;
	static uint8_t	 big[CHAN_MAX_PAYLOAD];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	base = event_base_new();
	a = chan_new(sv[0], "a", 1);
	b = chan_new(sv[1], "b", 1);
	chan_set_dispatch(b, table, NULL);
	chan_event_add(a, base);
	chan_event_add(b, base);
	for (i = 0; i < NMSG; i++) {
		uint32_t seq = (uint32_t)i;
		int fd = -1;

		if (i % 7 == 0) {
			CHECK(pipe(p) == 0);
			close(p[1]);
			fd = p[0];
		}
		if (i % 10 == 0) {
			size_t len = (i % 20 == 0) ? sizeof(big) : 5000;

			memcpy(big, &seq, sizeof(seq));
			big[len - 1] = (uint8_t)seq;
			chan_compose(a, 1, 0, fd, big, len);
		} else
			chan_compose(a, 1, 0, fd, &seq, sizeof(seq));
	}
	event_base_dispatch(base);
	CHECK(got == NMSG);
	CHECK(bad_order == 0);
	CHECK(got_fds == (NMSG + 6) / 7);
	/* Nothing stayed queued in a: a blocking flush now adds no bytes for b. */
	chan_flush(a);
	CHECK(recv(sv[1], &peek, 1, MSG_PEEK | MSG_DONTWAIT) == -1 && errno == EAGAIN);
	chan_free(a);
	chan_free(b);
	event_base_free(base);
}

/*
 * Threads composing at once: every message arrives whole, and each thread's in the order
 * it sent them. The reader runs its own loop on a thread of its own and the socket buffer
 * is small, so writers find the socket full, part-full and drained again in every order:
 * the threads' direct writes stop part-way and the loop takes over, while the loop thread
 * composes too (from a timer).
 */
#define TH_THREADS	8
#define TH_MSGS		1500
#define TH_LOOP_MSGS	300
#define TH_MAXLEN	(20 * 1024)

static struct chan	*th_chan;
static struct event_base *th_rbase;
static uint32_t		 th_next[TH_THREADS + 1];
static int		 th_got, th_bad, th_mine;
static volatile int	 th_done;

/* Payload: who, seq, then len - 8 bytes of (who + seq + i). */
static size_t
th_fill(uint8_t *buf, uint32_t who, uint32_t seq)
{
	size_t	len = 8 + (seq * 7919u + who * 104729u) % (TH_MAXLEN - 8), i;

	memcpy(buf, &who, 4);
	memcpy(buf + 4, &seq, 4);
	for (i = 8; i < len; i++)
		buf[i] = (uint8_t)(who + seq + i);
	return len;
}

static void *
th_main(void *arg)
{
	static __thread uint8_t	buf[TH_MAXLEN];
	uint32_t		who = (uint32_t)(uintptr_t)arg, seq;

	for (seq = 0; seq < TH_MSGS; seq++)
		chan_compose(th_chan, 1, 0, -1, buf, th_fill(buf, who, seq));
	return NULL;
}

/* The reader's side, on its own thread. */
static void
th_data(struct chan *c, struct chan_msg *m, void *arg)
{
	static uint8_t	want[TH_MAXLEN];
	uint32_t	who, seq;

	memcpy(&who, m->data, 4);
	memcpy(&seq, m->data + 4, 4);
	if (who > TH_THREADS || seq != th_next[who] ||
	    m->hdr.len != th_fill(want, who, seq) || memcmp(m->data, want, m->hdr.len) != 0)
		th_bad++;
	else
		th_next[who]++;
	if (++th_got == TH_THREADS * TH_MSGS + TH_LOOP_MSGS || th_bad > 0) {
		th_done = 1;
		event_base_loopbreak(th_rbase);
	}
}

static void *
th_reader(void *arg)
{
	event_base_dispatch(th_rbase);
	return NULL;
}

/* The writer's loop thread: compose its own messages, stop when the reader is done. */
static void
th_tick(int fd, short events, void *arg)
{
	static uint8_t	buf[TH_MAXLEN];
	struct timeval	tv = { 0, 1000 };

	if (th_mine < TH_LOOP_MSGS) {
		chan_compose(th_chan, 1, 0, -1, buf, th_fill(buf, TH_THREADS, th_mine));
		th_mine++;
	}
	if (th_done)
		event_base_loopbreak(base);
	else
		evtimer_add((struct event *)arg, &tv);
}

static const struct dispatch_entry th_table[] = {
	{ 1, SIZE_MIN, 8, FD_NONE, th_data },
	DISPATCH_END
};

static void
test_threaded(void)
{
	struct chan	*b;
	struct event	*tick;
	struct timeval	 tv = { 0, 1000 };
	pthread_t	 tid[TH_THREADS], rtid;
	int		 sv[2], sz = 4096, i;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0);
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)) == 0);
	base = event_base_new();
	th_rbase = event_base_new();
	th_chan = chan_new(sv[0], "a", 0);
	b = chan_new(sv[1], "b", 0);
	chan_set_threaded(th_chan);
	chan_set_dispatch(b, th_table, NULL);
	chan_event_add(th_chan, base);
	chan_event_add(b, th_rbase);
	tick = event_new(base, -1, 0, th_tick, event_self_cbarg());
	evtimer_add(tick, &tv);
	CHECK(pthread_create(&rtid, NULL, th_reader, NULL) == 0);
	for (i = 0; i < TH_THREADS; i++)
		CHECK(pthread_create(&tid[i], NULL, th_main, (void *)(uintptr_t)i) == 0);
	event_base_dispatch(base);
	for (i = 0; i < TH_THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_join(rtid, NULL);
	CHECK(th_bad == 0);
	for (i = 0; i < TH_THREADS; i++)
		CHECK(th_next[i] == TH_MSGS);
	CHECK(th_next[TH_THREADS] == TH_LOOP_MSGS);
	event_free(tick);
	chan_free(th_chan);
	chan_free(b);
	event_base_free(th_rbase);
	event_base_free(base);
}

/*
 * The one order that breaks framing if a thread writes directly while bytes wait: a
 * message half sent and the rest queued, the socket drained by the reader, then a thread
 * composes. Its message must go after the queued bytes, not into the stream before them.
 */
struct th_burst {
	uint32_t	from, to;	/* seq numbers to compose */
};

static void *
th_burst_main(void *arg)
{
	struct th_burst	*t = arg;
	static uint8_t	 buf[TH_MAXLEN];
	uint32_t	 seq;

	for (seq = t->from; seq < t->to; seq++)
		chan_compose(th_chan, 1, 0, -1, buf, th_fill(buf, 0, seq));
	return NULL;
}

static void
th_burst(uint32_t from, uint32_t to)
{
	struct th_burst	t = { from, to };
	pthread_t	tid;

	CHECK(pthread_create(&tid, NULL, th_burst_main, &t) == 0);
	pthread_join(tid, NULL);
}

static void
th_order_data(struct chan *c, struct chan_msg *m, void *arg)
{
	static uint8_t	want[TH_MAXLEN];
	uint32_t	who, seq;

	memcpy(&who, m->data, 4);
	memcpy(&seq, m->data + 4, 4);
	if (who != 0 || seq != th_next[0] || m->hdr.len != th_fill(want, 0, seq) ||
	    memcmp(m->data, want, m->hdr.len) != 0)
		th_bad++;
	else
		th_next[0]++;
	if (++th_got == 40)
		event_base_loopbreak(base);
}

static const struct dispatch_entry th_order_table[] = {
	{ 1, SIZE_MIN, 8, FD_NONE, th_order_data },
	DISPATCH_END
};

static void
test_threaded_order(void)
{
	struct chan	*b;
	int		 sv[2], sz = 4096;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) == 0);
	base = event_base_new();
	th_chan = chan_new(sv[0], "a", 0);
	chan_set_threaded(th_chan);
	memset(th_next, 0, sizeof(th_next));
	th_got = th_bad = 0;
	/* Off the loop thread, before the loop: the socket fills, the rest is queued. */
	th_burst(0, 20);
	b = chan_new(sv[1], "b", 0);
	chan_set_dispatch(b, th_order_table, NULL);
	chan_event_add(b, base);
	/* The reader drains the socket while a's queue still holds bytes... */
	event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* ...and a thread composes then: after those bytes, not before them. */
	th_burst(20, 40);
	chan_event_add(th_chan, base);
	event_base_dispatch(base);
	CHECK(th_bad == 0);
	CHECK(th_next[0] == 40);
	chan_free(th_chan);
	chan_free(b);
	event_base_free(base);
}

static void
test_blocking(void)
{
	struct chan	*a, *b;
	struct chan_msg	 m;
	int		 sv[2];
	uint32_t	 v = 42;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
	a = chan_new(sv[0], "a", 0);
	b = chan_new(sv[1], "b", 0);
	CHECK(chan_recv_blocking(b, &m, 100) == -1 && errno == ETIMEDOUT);
	chan_compose(a, 7, 3, -1, &v, sizeof(v));
	chan_compose(a, 8, 0, -1, NULL, 0);
	chan_flush(a);
	CHECK(chan_recv_blocking(b, &m, 1000) == 0);
	CHECK(m.hdr.type == 7 && m.hdr.len == 4 && m.hdr.peerid == 3 && m.fd == -1);
	CHECK(m.hdr.pid == (uint32_t)getpid());
	CHECK(chan_recv_blocking(b, &m, 1000) == 0 && m.hdr.type == 8 && m.hdr.len == 0);
	chan_free(a);
	CHECK(chan_recv_blocking(b, &m, 1000) == -1 && errno == EPIPE);
	chan_free(b);
}

/*
 * Send raw bytes (a header and payload, maybe an fd) to a channel with strict_table in a
 * child; the child must die with exit status 1.
 */
static int
refused(const struct chan_hdr *hdr, const void *payload, int fd, int fd_passing)
{
	struct iovec	 iov[2];
	int		 sv[2], status, devnull;
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return 0;
	if ((pid = fork()) == 0) {
		struct chan *ch;

		close(sv[0]);
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDERR_FILENO);	/* the refusal is logged: keep output tidy */
		base = event_base_new();
		ch = chan_new(sv[1], "peer", fd_passing);
		chan_set_dispatch(ch, strict_table, NULL);
		chan_event_add(ch, base);
		event_base_dispatch(base);
		_exit(0);
	}
	close(sv[1]);
	iov[0].iov_base = (void *)(uintptr_t)hdr;
	iov[0].iov_len = sizeof(*hdr);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = payload ? 4 : 0;
	(void)check_rawsend(sv[0], iov, 2, fd);
	waitpid(pid, &status, 0);
	close(sv[0]);
	return WIFEXITED(status) && WEXITSTATUS(status) == 1;
}

static void
test_refusals(void)
{
	struct chan_hdr	 h;
	uint32_t	 v = 1;

	memset(&h, 0, sizeof(h));
	h.type = 99; h.len = 4;
	CHECK(refused(&h, &v, -1, 1));			/* unknown type */
	h.type = 1; h.len = 4;
	CHECK(refused(&h, &v, STDIN_FILENO, 1));	/* fd on a FD_NONE row */
	CHECK(refused(&h, &v, STDIN_FILENO, 0));	/* fd on a channel without fd passing */
	h.type = 2; h.len = 4;
	CHECK(refused(&h, &v, -1, 1));			/* FD_REQUIRED without fd */
	h.flags = CHAN_F_HASFD;
	CHECK(refused(&h, &v, -1, 1));			/* announced fd missing */
	h.type = 1; h.len = 0; h.flags = 0;
	CHECK(refused(&h, NULL, -1, 1));		/* SIZE_EXACT violated */
	h.len = CHAN_MAX_PAYLOAD + 1;
	CHECK(refused(&h, &v, -1, 1));			/* oversized */
	h.len = 4; h.flags = 0x80;
	CHECK(refused(&h, &v, -1, 1));			/* unknown flags */
	/* acceptance of good messages is what test_roundtrip checks */
}

/*
 * Packet channels: every message is one record, read whole by chan_recv_packet(), in the
 * composing thread's order even when the socket pushes back and the rest waits in the
 * queue (more than a socket buffer's worth is composed before anything is read).
 */
#define PKT_N		3000
#define PKT_LEN		700

struct pkt_reader {
	struct chan	*c;
	int		 got, bad;
	int		 more;		/* records marked CHAN_F_MORE */
	int		 last_more;	/* the last one was */
};

static void *
pkt_read(void *arg)
{
	struct pkt_reader	*r = arg;
	struct chan_msg		 m;
	uint8_t			*buf = malloc(CHAN_PACKET_BUF);
	uint32_t		 seq;

	while (buf != NULL && r->got < PKT_N && chan_recv_packet(r->c, buf, &m) == 0) {
		memcpy(&seq, m.data, sizeof(seq));
		if (m.hdr.type != 7 || m.hdr.len != PKT_LEN || seq != (uint32_t)r->got ||
		    m.data[PKT_LEN - 1] != (uint8_t)seq)
			r->bad++;
		r->last_more = (m.hdr.flags & CHAN_F_MORE) != 0;
		r->more += r->last_more;
		r->got++;
	}
	free(buf);
	return NULL;
}

static void
test_packets(void)
{
	struct pkt_reader	r;
	struct chan		*w;
	pthread_t		t;
	uint8_t			payload[PKT_LEN];
	uint32_t		i;
	int			sv[2], fl;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == -1) {
		CHECK(0);
		return;
	}
	/* The reader blocks in recvmsg, as the worker's request threads do. */
	fl = fcntl(sv[1], F_GETFL);
	fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
	w = chan_new(sv[0], "reader", 0);
	chan_set_packet(w, 1);
	memset(&r, 0, sizeof(r));
	r.c = chan_new(sv[1], "writer", 0);
	chan_set_packet(r.c, 0);
	memset(payload, 0, sizeof(payload));
	for (i = 0; i < PKT_N; i++) {
		memcpy(payload, &i, sizeof(i));
		payload[PKT_LEN - 1] = (uint8_t)i;
		chan_compose(w, 7, 0, -1, payload, sizeof(payload));
	}
	CHECK(pthread_create(&t, NULL, pkt_read, &r) == 0);
	chan_flush(w);
	pthread_join(t, NULL);
	CHECK(r.got == PKT_N);
	CHECK(r.bad == 0);
	/* sendmmsg batches: all but the last record of each say another follows. */
	CHECK(r.more > 0 && r.more < PKT_N && !r.last_more);
	/* The peer gone: the reader sees the end, not an error. */
	chan_free(w);
	{
		uint8_t		*buf = malloc(CHAN_PACKET_BUF);
		struct chan_msg	 m;

		CHECK(buf != NULL && chan_recv_packet(r.c, buf, &m) == -1);
		free(buf);
	}
	chan_free(r.c);
}

/*
 * A thread's batch (chan_batch_begin) on a threaded packet channel: the records wait
 * until chan_batch_flush(), then leave together, each but the last marked CHAN_F_MORE.
 */
static void *
batch_compose(void *arg)
{
	struct chan	*c = arg;
	uint32_t	 i;

	chan_batch_begin(c);
	for (i = 0; i < 5; i++)
		chan_compose(c, 9, 0, -1, &i, sizeof(i));
	chan_batch_end();
	return NULL;
}

static void
test_batch(void)
{
	struct chan	*w, *r;
	struct chan_msg	 m;
	pthread_t	 t;
	uint8_t		*buf = malloc(CHAN_PACKET_BUF);
	uint32_t	 i, seq;
	int		 sv[2], ok = 1;

	if (buf == NULL || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) == -1) {
		CHECK(0);
		free(buf);
		return;
	}
	w = chan_new(sv[0], "batch reader", 0);
	chan_set_packet(w, 0);
	chan_set_threaded(w);
	r = chan_new(sv[1], "batch writer", 0);
	chan_set_packet(r, 0);
	CHECK(pthread_create(&t, NULL, batch_compose, w) == 0);
	pthread_join(t, NULL);
	for (i = 0; i < 5; i++) {
		if (chan_recv_packet_flags(r, buf, &m, MSG_DONTWAIT) != 1) {
			ok = 0;
			break;
		}
		memcpy(&seq, m.data, sizeof(seq));
		if (m.hdr.type != 9 || seq != i ||
		    ((m.hdr.flags & CHAN_F_MORE) != 0) != (i < 4))
			ok = 0;
	}
	CHECK(ok);
	CHECK(chan_recv_packet_flags(r, buf, &m, MSG_DONTWAIT) == 0);	/* nothing more */
	free(buf);
	chan_free(w);
	chan_free(r);
}

int
main(void)
{
	log_init(0, LOG_LEVEL_WARN);
	log_procinit("test");
	test_roundtrip();
	test_blocking();
	test_threaded();
	test_threaded_order();
	test_packets();
	test_batch();
	test_refusals();
	return check_done("test_chan");
}
