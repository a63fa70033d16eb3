/*
 * What the children may send the broker, and the fds it passes between them. Every fd
 * is checked for its type before it moves on: the frontend reads guest bytes and may be
 * compromised, so a failed check ends the export rather than trusting it again.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "chan.h"
#include "dispatch.h"
#include "log.h"
#include "used_ring.h"

__attribute__((__noreturn__))
static void
violation(const char *who, const char *check)
{
	log_warnx("%s failed a check: %s; shutting the export down", who, check);
	connlog_cause("%s failed a check: %s", who, check);
	broker_shutdown(1, "protocol violation");
}

static void
to_worker(uint32_t type, int fd, const void *data, size_t len)
{
	struct chan *w = children[CHILD_WORKER].chan;

	if (w == NULL) {	/* already going away */
		if (fd != -1)
			close(fd);
		return;
	}
	chan_compose(w, type, 0, fd, data, len);
}

void
relay_send_connection(int fd)
{
	struct chan *fe = children[CHILD_FRONTEND].chan;

	if (fe == NULL) {
		close(fd);
		return;
	}
	chan_compose(fe, IMSG_BROKER_CONNECTION, 0, fd, NULL, 0);
}

/* A region fd must be a file (memfd, hugetlbfs) covering everything the table maps. */
static const char *
mem_region_check(const struct msg_mem_region *r, int fd)
{
	struct stat	st;
	uint64_t	end;

	if (r->slot >= MEM_MAX_SLOTS)
		return "memory slot number out of range";
	if (r->memory_size == 0)
		return "empty memory region";
	if (__builtin_add_overflow(r->mmap_offset, r->memory_size, &end) ||
	    __builtin_add_overflow(r->guest_phys_addr, r->memory_size, &end) ||
	    __builtin_add_overflow(r->userspace_addr, r->memory_size, &end))
		return "memory region range overflows";
	if (fstat(fd, &st) == -1)
		return "memory region fd cannot be fstat'ed";
	if (!S_ISREG(st.st_mode))
		return "memory region fd is not a regular file (memfd)";
	end = r->mmap_offset + r->memory_size;
	if (st.st_size < 0 || (uint64_t)st.st_size < end)
		return "memory region extends past the end of its file";
	return NULL;
}

/*
 * --worker-restart: a copy of the memory table as the worker was told it (each region
 * with an fd of our own), so that a new worker gets it whole (relay_replay_memory).
 */
static struct {
	struct msg_mem_region	r;
	int			fd;		/* -1: slot empty */
} mirror[MEM_MAX_SLOTS];
static struct msg_mem_commit	mirror_commit;
static int			mirror_on;

static int
mirror_enabled(void)
{
	return mirror_on;
}

void
relay_keep_memory(void)
{
	size_t i;

	for (i = 0; i < MEM_MAX_SLOTS; i++)
		mirror[i].fd = -1;
	mirror_on = 1;
}

static void
mirror_set(uint32_t slot, const struct msg_mem_region *r, int fd)
{
	if (!mirror_enabled())
		return;
	if (mirror[slot].fd != -1)
		close(mirror[slot].fd);
	mirror[slot].fd = -1;
	if (r == NULL)
		return;
	if ((mirror[slot].fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		fatal("memory region fd");
	mirror[slot].r = *r;
}

void
relay_replay_memory(void)
{
	struct msg_mem_region	r;
	int			fd;
	size_t			i;

	for (i = 0; i < MEM_MAX_SLOTS && mirror_enabled(); i++) {
		if (mirror[i].fd == -1)
			continue;
		if ((fd = fcntl(mirror[i].fd, F_DUPFD_CLOEXEC, 0)) == -1)
			fatal("memory region fd");
		r = mirror[i].r;
		r.gen = mirror_commit.gen;
		to_worker(IMSG_BROKER_MEM_ADD, fd, &r, sizeof(r));
	}
	/* Always one commit: its MEM_READY tells the frontend the new worker is ready. */
	to_worker(IMSG_BROKER_MEM_COMMIT, -1, &mirror_commit, sizeof(mirror_commit));
}

static void
fe_mem_add(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_region	 r;
	const char		*why;

	memcpy(&r, m->data, sizeof(r));
	if ((why = mem_region_check(&r, m->fd)) != NULL)
		violation("frontend", why);
	mirror_set(r.slot, &r, m->fd);
	to_worker(IMSG_BROKER_MEM_ADD, m->fd, &r, sizeof(r));
	m->fd = -1;
}

static void
fe_mem_del(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_slot s;

	memcpy(&s, m->data, sizeof(s));
	if (s.slot >= MEM_MAX_SLOTS)
		violation("frontend", "memory slot number out of range");
	mirror_set(s.slot, NULL, -1);
	to_worker(IMSG_BROKER_MEM_DEL, -1, &s, sizeof(s));
}

static void
fe_mem_commit(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_mem_commit mc;

	memcpy(&mc, m->data, sizeof(mc));
	if (mc.nslots > MEM_MAX_SLOTS)
		violation("frontend", "memory table has too many slots");
	mirror_commit = mc;
	to_worker(IMSG_BROKER_MEM_COMMIT, -1, &mc, sizeof(mc));
}

static void
fe_backend_channel(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_backend_channel	bc;
	struct stat			st;

	memcpy(&bc, m->data, sizeof(bc));
	if (fstat(m->fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		violation("frontend", "back-end channel fd is not a socket");
	backend_set_channel(m->fd, bc.protocol_features);
	m->fd = -1;
}

/*
 * SET_DEVICE_STATE_FD's fd, for the worker: the VMM's pipe (or socket) end, open for the
 * direction asked (the worker writes a save, reads a load; a wrong mode fails the
 * transfer there). The worker reads the stream as hostile input.
 */
static void
fe_state_fd(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_state_fd	sf;
	struct stat		st;

	memcpy(&sf, m->data, sizeof(sf));
	if (sf.direction != STATE_SAVE && sf.direction != STATE_LOAD)
		violation("frontend", "device state transfer direction out of range");
	if (fstat(m->fd, &st) == -1 || (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)))
		violation("frontend", "device state fd is not a pipe or socket");
	to_worker(IMSG_BROKER_STATE_FD, m->fd, &sf, sizeof(sf));
	m->fd = -1;
}

/*
 * Where a request queue's rings are and its call eventfd, for the worker to complete
 * chains itself (common/used_ring.h). The fd must be an anonymous inode (an eventfd); the
 * worker checks the ranges against its own memory table.
 */
static void
fe_direct_ring(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_direct_ring	dr;

	memcpy(&dr, m->data, sizeof(dr));
	if (dr.queue == 0 || dr.queue > USED_SHARE_QUEUES || dr.gen == 0 || dr.num == 0 ||
	    dr.num > 32768 || (dr.num & (dr.num - 1)) != 0 || dr.event_idx > 1)
		violation("frontend", "direct ring out of range");
	if (!used_ring_fd_is_eventfd(m->fd))
		violation("frontend", "call fd is not an eventfd");
	to_worker(IMSG_BROKER_DIRECT_RING, m->fd, &dr, sizeof(dr));
	m->fd = -1;
}

/* The same ring's kick eventfd, for the worker's waiting thread to wake with the frontend. */
static void
fe_direct_kick(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_direct_kick	dk;

	memcpy(&dk, m->data, sizeof(dk));
	if (dk.queue == 0 || dk.queue > USED_SHARE_QUEUES || dk.gen == 0)
		violation("frontend", "direct kick out of range");
	if (!used_ring_fd_is_eventfd(m->fd))
		violation("frontend", "kick fd is not an eventfd");
	to_worker(IMSG_BROKER_DIRECT_KICK, m->fd, &dk, sizeof(dk));
	m->fd = -1;
}

static const struct dispatch_entry frontend_dispatch[] = {
	{ IMSG_FRONTEND_DIRECT_RING, SIZE_EXACT, sizeof(struct msg_direct_ring), FD_REQUIRED,
	    fe_direct_ring },
	{ IMSG_FRONTEND_DIRECT_KICK, SIZE_EXACT, sizeof(struct msg_direct_kick), FD_REQUIRED,
	    fe_direct_kick },
	{ IMSG_FRONTEND_STATE_FD, SIZE_EXACT, sizeof(struct msg_state_fd), FD_REQUIRED,
	    fe_state_fd },
	{ IMSG_FRONTEND_MEM_ADD, SIZE_EXACT, sizeof(struct msg_mem_region), FD_REQUIRED,
	    fe_mem_add },
	{ IMSG_FRONTEND_MEM_DEL, SIZE_EXACT, sizeof(struct msg_mem_slot), FD_NONE,
	    fe_mem_del },
	{ IMSG_FRONTEND_MEM_COMMIT, SIZE_EXACT, sizeof(struct msg_mem_commit), FD_NONE,
	    fe_mem_commit },
	{ IMSG_FRONTEND_BACKEND_CHANNEL, SIZE_EXACT, sizeof(struct msg_backend_channel),
	    FD_REQUIRED, fe_backend_channel },
	DISPATCH_END
};

static void
dax_result(uint64_t id, int error)
{
	struct msg_dax_result res;

	explicit_bzero(&res, sizeof(res));
	res.id = id;
	res.error = error;
	to_worker(IMSG_BROKER_DAX_RESULT, -1, &res, sizeof(res));
}

/*
 * The worker only forwards what it and the frontend validated, so anything outside the
 * window, a file that is not regular or a writable mapping of a file not opened for
 * writing means the worker is not ours any more.
 */
static void
wk_dax_map(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_dax_map	d;
	struct stat		st;
	uint64_t		end;
	int			mode;

	memcpy(&d, m->data, sizeof(d));
	if (fstat(m->fd, &st) == -1 || !S_ISREG(st.st_mode))
		violation("worker", "DAX fd is not a regular file");
	if ((mode = fcntl(m->fd, F_GETFL)) == -1 ||
	    ((d.flags & DAX_MAP_WRITE) && (mode & O_ACCMODE) != O_RDWR) ||
	    (mode & O_ACCMODE) == O_WRONLY)
		violation("worker", "DAX fd opened with the wrong access mode");
	if (!(d.flags & DAX_MAP_READ) || (d.flags & ~(DAX_MAP_READ | DAX_MAP_WRITE)) != 0 ||
	    !backend_range_ok(d.window_offset, d.len) || d.fd_offset % DAX_ALIGN != 0 ||
	    __builtin_add_overflow(d.fd_offset, d.len, &end) || end > INT64_MAX)
		violation("worker", "DAX map request out of range");
	dax_result(d.id, backend_dax_map(&d, m->fd));
	close(m->fd);
	m->fd = -1;
}

static void
wk_dax_unmap(struct chan *c, struct chan_msg *m, void *arg)
{
	struct msg_dax_unmap d;

	memcpy(&d, m->data, sizeof(d));
	if (!backend_range_ok(d.range.window_offset, d.range.len))
		violation("worker", "DAX unmap request out of range");
	dax_result(d.id, backend_dax_unmap(&d.range));
}

static const struct dispatch_entry worker_dispatch[] = {
	{ IMSG_WORKER_DAX_MAP, SIZE_EXACT, sizeof(struct msg_dax_map), FD_REQUIRED,
	    wk_dax_map },
	{ IMSG_WORKER_DAX_UNMAP, SIZE_EXACT, sizeof(struct msg_dax_unmap), FD_NONE,
	    wk_dax_unmap },
	DISPATCH_END
};

void
relay_worker_start(void)
{
	chan_set_dispatch(children[CHILD_WORKER].chan, worker_dispatch,
	    &children[CHILD_WORKER]);
}

void
relay_start(void)
{
	chan_set_dispatch(children[CHILD_FRONTEND].chan, frontend_dispatch,
	    &children[CHILD_FRONTEND]);
	relay_worker_start();
}
