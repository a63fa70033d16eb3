/*
 * Message channel between two privfsd processes, in the shape of OpenBSD imsg: a fixed
 * header, a bounded payload, at most one fd per message (SCM_RIGHTS, and only on channels
 * created with fd passing allowed), and a non-blocking write queue driven by one libevent
 * event per channel (EV_WRITE armed only while something is queued).
 */
#ifndef PRIVFSD_CHAN_H
#define PRIVFSD_CHAN_H

#include <sys/types.h>
#include <sys/uio.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Largest payload: a READDIR/GETXATTR/LISTXATTR answer of 64 KiB plus its headers. */
#define CHAN_MAX_PAYLOAD	(64 * 1024 + 4096)

#define CHAN_F_HASFD		0x1
/*
 * Packet channels: another record of the same sendmmsg follows this one, so a reader
 * that wants more need not sleep (a hint; the receiver never relies on it).
 */
#define CHAN_F_MORE		0x2

/* A packet channel's doorbell record (chan_set_ring()): no payload, never dispatched. */
#define CHAN_TYPE_BELL		0

struct chan_hdr {
	uint32_t	type;
	uint32_t	len;		/* payload bytes after this header */
	uint32_t	peerid;		/* free for the sender's use (0 when unused) */
	uint32_t	pid;		/* sender's pid */
	uint32_t	flags;		/* CHAN_F_* */
	uint32_t	pad;
};

struct chan_msg {
	struct chan_hdr	 hdr;
	const uint8_t	*data;		/* hdr.len bytes, valid only during the handler */
	int		 fd;		/* -1 or the passed fd; the handler owns it */
};

struct chan;
struct dispatch_entry;

/*
 * How a channel ends: a closed or failed channel calls this once (from the event loop);
 * by default (NULL) the process exits through fatalx(), since a lost peer ends the export.
 */
typedef void (*chan_closed_cb)(struct chan *, void *arg);

/*
 * Backpressure: called with full = 1 once more than high bytes wait in the write queue,
 * and with full = 0 once it has drained to low bytes or fewer.
 */
typedef void (*chan_pressure_cb)(struct chan *, int full, void *arg);

/* fd: connected non-blocking SOCK_STREAM socket. peer: name of the other side, for logs. */
struct chan	*chan_new(int fd, const char *peer, int fd_passing);
void		 chan_set_dispatch(struct chan *, const struct dispatch_entry *table, void *arg);
void		 chan_set_closed_cb(struct chan *, chan_closed_cb, void *arg);
void		 chan_set_watermarks(struct chan *, size_t high, size_t low, chan_pressure_cb,
		    void *arg);
/*
 * From now on any thread may compose on the channel; the calling thread is the one that
 * will run the loop. Before chan_event_add(), and not with watermarks.
 */
void		 chan_set_threaded(struct chan *);

/*
 * fd is a SOCK_SEQPACKET socket: one message a record, never an fd, and no order among
 * records (a thread's record may overtake one the socket refused before). A record that is
 * not exactly one whole message is fatal for the receiver. loop_reads: the event loop
 * reads the channel; 0: threads take its records with chan_recv_packet() (the kernel hands
 * each to one of them, whole) and the loop only writes. Before chan_event_add().
 */
void		 chan_set_packet(struct chan *, int loop_reads);
/*
 * A packet channel the loop reads: called with each record before it is dispatched (it
 * may shorten hdr.len: the requests channel's completion trailer, worker/direct.c).
 */
void		 chan_set_before(struct chan *, void (*)(struct chan_msg *));
/*
 * A packet channel: *counter grows by the number of records each send put on the socket
 * (atomically, after the send), for a peer that watches it in shared memory.
 */
void		 chan_set_sent_counter(struct chan *, uint64_t *counter);
/*
 * A packet channel with a request ring beside it (common/req_ring.h). The producer (1;
 * a channel the loop alone writes) puts the records it composes without an fd there while
 * they fit, and queues a doorbell record when the reader may be asleep. A consumer (0)
 * takes the ring's records before the socket's, in chan_recv_packet_flags() or in the
 * loop, and never dispatches a doorbell. Before chan_event_add().
 */
struct req_ring;
void		 chan_set_ring(struct chan *, struct req_ring *, int producer);
/* A consumer's: 1 when the ring holds records not taken yet (a hint). */
int		 chan_ring_pending(struct chan *);
/*
 * A consumer's own sleep on the socket (epoll): begin returns 1 when records came
 * meanwhile (do not sleep), 0 when the producer will ring; end after the wake-up.
 */
int		 chan_ring_sleep_begin(struct chan *);
void		 chan_ring_sleep_end(struct chan *);
/* A consumer's: how late the doorbell woke a sleep since the last call (req_ring.h). */
int		 chan_ring_bell_delay(struct chan *, uint64_t *delay_ns);
/* Register with the loop: EV_READ persistent, EV_WRITE while the queue is not empty. */
void		 chan_event_add(struct chan *, struct event_base *);
void		 chan_free(struct chan *);
const char	*chan_peer(const struct chan *);
int		 chan_fd(const struct chan *);

/*
 * Queue a message; fd (or -1) is sent with it and closed by the channel after sending.
 * Fatal on payload > CHAN_MAX_PAYLOAD or an fd on a channel without fd passing: both are
 * bugs of ours, never guest input. On a threaded channel, a thread other than the loop's
 * writes the message itself when nothing waits before it.
 */
void	chan_compose(struct chan *, uint32_t type, uint32_t peerid, int fd,
	    const void *data, size_t len);
void	chan_composev(struct chan *, uint32_t type, uint32_t peerid, int fd,
	    const struct iovec *iov, int iovcnt);
/* Write out what is queued now, blocking; for the last message before exit. */
void	chan_flush(struct chan *);

/*
 * Start-up only, before the event loop: wait up to timeout_ms for one whole message.
 * Returns 0 and fills msg (data stays valid until the next call on this channel),
 * -1 on timeout or a closed channel (errno ETIMEDOUT or EPIPE).
 */
int	chan_recv_blocking(struct chan *, struct chan_msg *msg, int timeout_ms);

/*
 * A packet channel's reader threads: wait for one record and check it. buf holds at least
 * CHAN_PACKET_BUF bytes, and msg's data points into it. Returns 0, or -1 once the peer has
 * closed. Fatal on a record that is not one whole message.
 */
#define CHAN_PACKET_BUF		(sizeof(struct chan_hdr) + CHAN_MAX_PAYLOAD)
int	chan_recv_packet(struct chan *, uint8_t *buf, struct chan_msg *msg);
/* The same with recvmsg flags (MSG_DONTWAIT): 1 a record, 0 none waiting, -1 closed. */
int	chan_recv_packet_flags(struct chan *, uint8_t *buf, struct chan_msg *msg, int flags);

/*
 * A thread's batch on a threaded packet channel: from chan_batch_begin() on, the records
 * this thread composes on it (without an fd) wait in the thread's own buffer until
 * chan_batch_flush() sends them in one sendmmsg; chan_batch_end() flushes and stops. A
 * thread flushes before it may sleep, so no record waits behind it.
 */
void	chan_batch_begin(struct chan *);
void	chan_batch_flush(void);
void	chan_batch_end(void);

#endif
