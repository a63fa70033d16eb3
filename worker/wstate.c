/*
 * The state store of --worker-restart (layout: wstate.h): a memfd the broker made and
 * passes to every worker of the export on fd 6. Each worker writes into it, before the
 * guest can see them, the node ids the guest holds (with a name to find each again), the
 * generations given out and the session; the next worker reads them back
 * (wstate_rebuild.c) after a crash. What it reads was written by a worker that may have
 * been compromised: every value is copied out and bounded before use.
 *
 * Writers: records and the node high-water under nodes_lock, the handle high-water under
 * the handle table's lock, the session on the loop thread. Nothing reads the store while a
 * worker runs but that worker, so a record only has to survive its writer's death
 * half-way: seq is odd while it changes.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"
#include "wstate.h"

#define SESSION_KNOWN	(SESSION_WRITEBACK | SESSION_KILLPRIV_V2 | SESSION_POSIX_ACL | \
	SESSION_SECURITY_CTX | SESSION_SUBMOUNTS | SESSION_DONT_MASK | \
	SESSION_HANDLE_KILLPRIV | SESSION_INODE_DAX)

static struct wstate_header	*hdr;		/* NULL: no store */
static struct wstate_rec	*recs;
static struct wstate_long	*longs;		/* the long-name area, by record index */
static uint32_t			 nrecs;
static uint32_t			 node_floor, handle_floor;	/* read at start */
static uint32_t			 node_next, handle_next;	/* ours, written out */
static uint32_t			 max_index;
static int			 found;
/*
 * A bit per page of the store, set where the predecessor wrote: reading a hole of a
 * memfd allocates its page, so the rebuild reads none, whatever max_index says.
 */
#define STORE_PAGES	(WSTATE_BYTES / WSTATE_HEADER_BYTES)
static uint8_t			 written[STORE_PAGES / 8];

/* The fd must be the broker's: a sealed memfd of WSTATE_BYTES that nobody can shrink. */
static void
check_fd(int fd)
{
	struct stat	st;
	int		seals;

	if (fstat(fd, &st) == -1)
		fatal("state fd %d", fd);
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != WSTATE_BYTES)
		fatalx("state fd %d: not a %llu-byte file", fd, (unsigned long long)WSTATE_BYTES);
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 || !(seals & F_SEAL_SHRINK))
		fatalx("state fd %d: not sealed against shrinking", fd);
}

/* Zero [off, end): whatever is there was not written for the next worker. */
static void
punch(int fd, uint64_t off, uint64_t end)
{
	if (off >= end)
		return;
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
	    (off_t)(end - off)) == -1)
		fatal("state: punch hole");
}

static void
mark_written(uint64_t from, uint64_t to)
{
	uint64_t pg;

	for (pg = from / WSTATE_HEADER_BYTES; pg < STORE_PAGES &&
	    pg * WSTATE_HEADER_BYTES < to; pg++)
		written[pg / 8] |= 1 << (pg % 8);
}

/* Which pages hold data (the bitmap written[]). */
static void
find_written(int fd)
{
	off_t	data = 0, hole = 0;
	int	extents;

	/* At most one extent per page; a file system that cannot tell is all data. */
	for (extents = 0; extents < (int)STORE_PAGES; extents++) {
		if ((data = lseek(fd, hole, SEEK_DATA)) == -1)
			break;
		if ((hole = lseek(fd, data, SEEK_HOLE)) == -1 || hole <= data) {
			mark_written((uint64_t)data, WSTATE_BYTES);
			return;
		}
		mark_written((uint64_t)data, (uint64_t)hole);
	}
	if (data == -1 && errno != ENXIO)
		mark_written(0, WSTATE_BYTES);
}

/* A floor from the store: one past the high-water, never more than the sane maximum. */
static uint32_t
floor_of(uint32_t next)
{
	return next > WSTATE_GEN_FLOOR_MAX ? WSTATE_GEN_FLOOR_MAX : next;
}

/* A previous worker's header, checked; the rest of the store past its records dropped. */
static int
read_header(int fd)
{
	struct wstate_header	h;
	const uint64_t		long_off = WSTATE_LONG_OFFSET(WSTATE_BYTES);

	memcpy(&h, hdr, sizeof(h));
	if (h.magic != WSTATE_MAGIC || h.version != WSTATE_VERSION ||
	    h.record_size != sizeof(struct wstate_rec))
		return 0;
	max_index = h.max_index < nrecs ? h.max_index : nrecs - 1;
	find_written(fd);
	punch(fd, WSTATE_HEADER_BYTES + ((uint64_t)max_index + 1) * sizeof(*recs), long_off);
	punch(fd, long_off + ((uint64_t)max_index + 1) * sizeof(*longs), WSTATE_BYTES);
	/* Past a restart each table starts above what any predecessor gave out. */
	node_floor = floor_of(h.node_gen_next);
	handle_floor = floor_of(h.handle_gen_next);
	if (h.session_active == 1) {
		wk_session_flags = h.session_flags & SESSION_KNOWN;
		hdr->session_flags = wk_session_flags;
		log_info("restart: session flags %#x kept", wk_session_flags);
	} else
		hdr->session_active = 0;
	return 1;
}

void
wstate_init(void)
{
	int fd = CHAN_FD_STATE;

	if (!(wk_config.flags & CONFIG_WORKER_RESTART))
		return;
	check_fd(fd);
	hdr = mmap(NULL, WSTATE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hdr == MAP_FAILED)
		fatal("state: mmap");
	recs = (struct wstate_rec *)((uint8_t *)hdr + WSTATE_HEADER_BYTES);
	longs = (struct wstate_long *)((uint8_t *)hdr + WSTATE_LONG_OFFSET(WSTATE_BYTES));
	nrecs = WSTATE_NRECORDS(WSTATE_BYTES);
	if (!(found = read_header(fd))) {
		punch(fd, 0, WSTATE_BYTES);
		hdr->magic = WSTATE_MAGIC;
		hdr->version = WSTATE_VERSION;
		hdr->record_size = sizeof(struct wstate_rec);
	}
	node_next = node_floor;
	handle_next = handle_floor;
	hdr->node_gen_next = node_next;
	hdr->handle_gen_next = handle_next;
	hdr->max_index = max_index;
	close(fd);	/* the mapping keeps it; the broker keeps it for the next worker */
}

int
wstate_enabled(void)
{
	return hdr != NULL;
}

int
wstate_found(void)
{
	return found;
}

uint32_t
wstate_node_floor(void)
{
	return node_floor;
}

uint32_t
wstate_handle_floor(void)
{
	return handle_floor;
}

void
wstate_node_gen(uint32_t gen)
{
	if (hdr == NULL || gen < node_next)
		return;
	node_next = gen == UINT32_MAX ? gen : gen + 1;
	__atomic_store_n(&hdr->node_gen_next, node_next, __ATOMIC_RELEASE);
}

void
wstate_handle_gen(uint32_t gen)
{
	if (hdr == NULL || gen < handle_next)
		return;
	handle_next = gen == UINT32_MAX ? gen : gen + 1;
	__atomic_store_n(&hdr->handle_gen_next, handle_next, __ATOMIC_RELEASE);
}

void
wstate_session(int active, uint32_t flags)
{
	if (hdr == NULL)
		return;
	/* Inactive first: a death half-way leaves no session rather than a wrong one. */
	__atomic_store_n(&hdr->session_active, 0, __ATOMIC_RELEASE);
	hdr->session_flags = flags;
	__atomic_store_n(&hdr->session_active, active ? 1 : 0, __ATOMIC_RELEASE);
}

/* Mark record r as changing; returns the seq that ends the change. */
static uint32_t
rec_begin(struct wstate_rec *r)
{
	uint32_t seq = __atomic_load_n(&r->seq, __ATOMIC_RELAXED) | 1;

	__atomic_store_n(&r->seq, seq, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return seq + 1;
}

static void
rec_end(struct wstate_rec *r, uint32_t seq)
{
	__atomic_store_n(&r->seq, seq, __ATOMIC_RELEASE);
}

void
wstate_node_put(uint32_t index, const struct wstate_node *in)
{
	struct wstate_rec	*r;
	uint32_t		 seq, len = in->name_len;

	if (hdr == NULL || index == 0 || index >= nrecs || len > NAME_MAX)
		return;		/* past the store: that node is lost to a restart */
	if (index > max_index) {
		max_index = index;
		__atomic_store_n(&hdr->max_index, max_index, __ATOMIC_RELEASE);
	}
	r = &recs[index];
	seq = rec_begin(r);
	/* Every field up to the name, as one piece: the two layouts share it (wstate.h). */
	memcpy((uint8_t *)r + sizeof(r->seq), (const uint8_t *)in + sizeof(in->seq),
	    WSTATE_FIELDS_END - sizeof(r->seq));
	memset(r->name, 0, sizeof(r->name));
	if (len < WSTATE_NAME_INLINE)
		memcpy(r->name, in->name, len);
	else {
		memcpy(longs[index].name, in->name, len);
		longs[index].name[len] = '\0';
	}
	rec_end(r, seq);
}

void
wstate_node_count(uint32_t index, uint32_t gen, uint64_t nlookup)
{
	struct wstate_rec	*r;
	uint32_t		 seq;

	if (hdr == NULL || index == 0 || index >= nrecs)
		return;
	r = &recs[index];
	/* Only our own record of this node: one without a name has nothing to keep. */
	if (r->gen != gen || r->name_len == 0)
		return;
	seq = rec_begin(r);
	r->nlookup = nlookup;
	rec_end(r, seq);
}

void
wstate_node_clear(uint32_t index)
{
	struct wstate_rec	*r;
	uint32_t		 seq;

	if (hdr == NULL || index == 0 || index >= nrecs)
		return;
	r = &recs[index];
	seq = rec_begin(r);
	r->nlookup = 0;
	r->name_len = 0;
	r->name[0] = '\0';
	rec_end(r, seq);
}

uint32_t
wstate_node_end(void)
{
	return hdr == NULL || !found ? 0 : max_index + 1;
}

/* [p, p + len) of the store lies in pages nobody wrote: it reads as zeros, untouched. */
static int
unwritten(const void *p, size_t len)
{
	uint64_t first = (uint64_t)((const uint8_t *)p - (uint8_t *)hdr) / WSTATE_HEADER_BYTES;
	uint64_t last = (uint64_t)((const uint8_t *)p + len - 1 - (uint8_t *)hdr) /
	    WSTATE_HEADER_BYTES;

	return !(written[first / 8] & (1 << (first % 8))) &&
	    !(written[last / 8] & (1 << (last % 8)));
}

int
wstate_node_get(uint32_t index, struct wstate_node *out)
{
	struct wstate_rec r;

	if (hdr == NULL || index == 0 || index > max_index)
		return -1;
	memset(out, 0, sizeof(*out));
	if (unwritten(&recs[index], sizeof(r)))
		return 0;
	memcpy(&r, &recs[index], sizeof(r));
	memcpy(out, &r, WSTATE_FIELDS_END);
	/* Copied as stored; the rebuild checks length, NUL and component. */
	if (r.name_len < WSTATE_NAME_INLINE)
		memcpy(out->name, r.name, sizeof(r.name));
	else if (!unwritten(&longs[index], sizeof(longs[index])))
		memcpy(out->name, longs[index].name, sizeof(out->name));
	/* Odd: its writer died writing it. The copy is ours now; the store may change. */
	return (out->seq & 1) ? -1 : 0;
}
