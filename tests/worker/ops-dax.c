/*
 * SETUPMAPPING and REMOVEMAPPING against the real worker with --dax, the test playing both
 * the frontend (which may lie) and the broker (which answers each map request as a VMM
 * would, or refuses it). Checked: what may be mapped and with which access (regular
 * files only; a writable mapping only of a file the caller may write, never through a
 * read-only handle), the fd the broker gets (its type and access mode), the ranges the
 * worker asks for (overlaps removed first, a range asked again not sent again), and what
 * the worker removes by itself (RELEASE, FORGET, a truncating SETATTR, a new session).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define M2	(2ULL << 20)

/* One message from the worker to its broker, or 0 when none comes within ms. */
static uint32_t
broker_next(struct wh *w, struct chan_msg *m, int ms)
{
	if (chan_recv_blocking(w->broker, m, ms) == -1)
		return 0;
	return m->hdr.type;
}

static void
broker_result(struct wh *w, uint64_t id, int error)
{
	struct msg_dax_result r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.error = error;
	wh_broker_send(w, IMSG_BROKER_DAX_RESULT, -1, &r, sizeof(r));
}

static uint64_t
send_map(struct wh *w, uint64_t nodeid, uint64_t fh, uint64_t foff, uint64_t moff,
    uint64_t len, uint32_t flags, uint32_t uid)
{
	struct msg_setupmapping m;

	memset(&m, 0, sizeof(m));
	m.fh = fh;
	m.foffset = foff;
	m.moffset = moff;
	m.len = len;
	m.flags = flags;
	return wh_send_as(w, IMSG_FRONTEND_SETUPMAPPING, nodeid, uid, uid, &m, sizeof(m));
}

static int
reply_of(struct wh *w, uint64_t id)
{
	struct wh_reply r;

	if (wh_recv(w, id, &r, WH_TIMEOUT_MS) == -1)
		return -1;
	return r.error;
}

/*
 * Expect one DAX_MAP for [moff, moff + len) of the file at foff, with the fd's access
 * mode acc; answer it with error. Returns 0 when it came as expected.
 */
static int
expect_map(struct wh *w, uint64_t moff, uint64_t foff, uint64_t len, uint32_t flags,
    int acc, int error)
{
	struct chan_msg		m;
	struct msg_dax_map	d;
	struct stat		st;
	int			ok;

	if (broker_next(w, &m, WH_TIMEOUT_MS) != IMSG_WORKER_DAX_MAP ||
	    m.hdr.len != sizeof(d) || m.fd == -1)
		return -1;
	memcpy(&d, m.data, sizeof(d));
	ok = fstat(m.fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (fcntl(m.fd, F_GETFL) & O_ACCMODE) == acc && d.window_offset == moff &&
	    d.fd_offset == foff && d.len == len && d.flags == flags && d.id != 0;
	close(m.fd);
	broker_result(w, d.id, error);
	return ok ? 0 : -1;
}

/* Expect one DAX_UNMAP of [moff, moff + len); answered with success. */
static int
expect_unmap(struct wh *w, uint64_t moff, uint64_t len)
{
	struct chan_msg		m;
	struct msg_dax_unmap	u;

	if (broker_next(w, &m, WH_TIMEOUT_MS) != IMSG_WORKER_DAX_UNMAP ||
	    m.hdr.len != sizeof(u))
		return -1;
	memcpy(&u, m.data, sizeof(u));
	broker_result(w, u.id, 0);
	return u.range.window_offset == moff && u.range.len == len ? 0 : -1;
}

static int
nothing_for_broker(struct wh *w)
{
	struct chan_msg m;

	return broker_next(w, &m, 200) == 0;
}

static int
remove_mapping(struct wh *w, uint64_t moff, uint64_t len, uint64_t *id)
{
	struct wh_body		b;
	struct msg_dax_range	r = { moff, len };
	uint32_t		count = 1;

	wh_body_init(&b);
	wh_body_put(&b, &count, sizeof(count));
	wh_body_put(&b, &r, sizeof(r));
	*id = wh_send(w, IMSG_FRONTEND_REMOVEMAPPING, WH_ROOT, b.buf, b.len);
	return 0;
}

static void
prepare(const char *dir)
{
	char	path[PATH_MAX];
	int	fd;

	(void)snprintf(path, sizeof(path), "%s/f", dir);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) == -1 || ftruncate(fd, 4 * M2) == -1)
		_exit(2);
	close(fd);
	(void)snprintf(path, sizeof(path), "%s/ro", dir);
	if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) == -1 || ftruncate(fd, M2) == -1 ||
	    fchown(fd, 0, 0) == -1)
		_exit(2);
	close(fd);
	(void)snprintf(path, sizeof(path), "%s/d", dir);
	if (mkdir(path, 0755) == -1)
		_exit(2);
}

static void
run(uint32_t threads)
{
	const uint32_t	R = SETUPMAPPING_READ, RW = SETUPMAPPING_READ | SETUPMAPPING_WRITE;
	struct wh_opts	o;
	struct wh	w;
	struct msg_entry f, ro, d;
	struct msg_setattr sa;
	struct wh_reply	rep;
	uint64_t	id, fh_ro, fh_rw;

	wh_opts_default(&o);
	o.threads = threads;
	o.dax = DAX_ALWAYS;
	o.prepare = prepare;
	wh_start_session(&w, &o, 0);
	CHECK(wh_lookup(&w, WH_ROOT, "f", &f) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "ro", &ro) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "d", &d) == 0);

	/* As Linux asks: fh -1, a read mapping; the fd is read-write (QEMU 11.1). */
	id = send_map(&w, f.nodeid, UINT64_MAX, 0, 0, M2, R, 0);
	CHECK(expect_map(&w, 0, 0, M2, DAX_MAP_READ, O_RDWR, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	/* Asked again to write: the VMM already maps it writable, nothing is sent. */
	id = send_map(&w, f.nodeid, UINT64_MAX, 0, 0, M2, RW, 0);
	CHECK(reply_of(&w, id) == 0);
	CHECK(nothing_for_broker(&w));
	/* A caller who may only read gets a read-only fd (which QEMU 11.1 refuses). */
	id = send_map(&w, ro.nodeid, UINT64_MAX, 0, M2, M2, R, 1000);
	CHECK(expect_map(&w, M2, 0, M2, DAX_MAP_READ, O_RDONLY, EIO) == 0);
	CHECK(reply_of(&w, id) == EIO);
	/* ... and no writable mapping; neither does anyone of a directory. */
	CHECK(reply_of(&w, send_map(&w, ro.nodeid, UINT64_MAX, 0, M2, M2, RW, 1000)) == EACCES);
	CHECK(reply_of(&w, send_map(&w, d.nodeid, UINT64_MAX, 0, M2, M2, R, 0)) == EISDIR);
	/* A lying frontend: no READ, unknown bits, a stale node. */
	CHECK(reply_of(&w, send_map(&w, f.nodeid, UINT64_MAX, 0, M2, M2, SETUPMAPPING_WRITE,
	    0)) == EINVAL);
	CHECK(reply_of(&w, send_map(&w, f.nodeid, UINT64_MAX, 0, M2, M2, R | 4, 0)) == EINVAL);
	CHECK(reply_of(&w, send_map(&w, 12345, UINT64_MAX, 0, M2, M2, R, 0)) != 0);
	CHECK(nothing_for_broker(&w));

	/* Through handles: a read-only one maps read-only only, and only its own node. */
	CHECK(wh_open(&w, f.nodeid, O_RDONLY, &fh_ro) == 0);
	CHECK(wh_open(&w, f.nodeid, O_RDWR, &fh_rw) == 0);
	CHECK(reply_of(&w, send_map(&w, f.nodeid, fh_ro, 0, M2, M2, RW, 0)) == EACCES);
	CHECK(reply_of(&w, send_map(&w, ro.nodeid, fh_ro, 0, M2, M2, R, 0)) == EBADF);
	CHECK(reply_of(&w, send_map(&w, f.nodeid, 99999, 0, M2, M2, R, 0)) == EBADF);
	CHECK(nothing_for_broker(&w));
	id = send_map(&w, f.nodeid, fh_ro, M2, M2, M2, R, 0);
	CHECK(expect_map(&w, M2, M2, M2, DAX_MAP_READ, O_RDONLY, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	/* Its RELEASE removes what was mapped through it. */
	CHECK(wh_release(&w, fh_ro) == 0);
	CHECK(expect_unmap(&w, M2, M2) == 0);
	/* A writable mapping through the read-write handle, overlapping the first one. */
	id = send_map(&w, f.nodeid, fh_rw, 2 * M2, M2 / 2, M2, RW, 0);
	CHECK(expect_unmap(&w, 0, M2) == 0);
	CHECK(expect_map(&w, M2 / 2, 2 * M2, M2, DAX_MAP_READ | DAX_MAP_WRITE, O_RDWR, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	/* REMOVEMAPPING of a piece removes the whole mapping it touches; of nothing, nothing. */
	remove_mapping(&w, M2, 4096, &id);
	CHECK(expect_unmap(&w, M2 / 2, M2) == 0);
	CHECK(reply_of(&w, id) == 0);
	remove_mapping(&w, 8 * M2, M2, &id);
	CHECK(reply_of(&w, id) == 0);
	CHECK(nothing_for_broker(&w));

	/* A truncating SETATTR removes what lies past the new end. */
	id = send_map(&w, f.nodeid, UINT64_MAX, 3 * M2, 3 * M2, M2, R, 0);
	CHECK(expect_map(&w, 3 * M2, 3 * M2, M2, DAX_MAP_READ, O_RDWR, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	id = send_map(&w, f.nodeid, UINT64_MAX, 0, 0, M2, R, 0);
	CHECK(expect_map(&w, 0, 0, M2, DAX_MAP_READ, O_RDWR, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	memset(&sa, 0, sizeof(sa));
	sa.valid = SETATTR_SIZE;
	sa.size = 2 * M2 + 1;
	id = wh_send(&w, IMSG_FRONTEND_SETATTR, f.nodeid, &sa, sizeof(sa));
	CHECK(expect_unmap(&w, 3 * M2, M2) == 0);
	CHECK(wh_recv(&w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	CHECK(nothing_for_broker(&w));
	/* FORGET of the node removes the rest (the handle still holds it: its RELEASE). */
	wh_forget(&w, f.nodeid, 1);
	CHECK(wh_release(&w, fh_rw) == 0);
	CHECK(expect_unmap(&w, 0, M2) == 0);
	/* A refused map leaves nothing to remove. */
	CHECK(wh_lookup(&w, WH_ROOT, "f", &f) == 0);
	id = send_map(&w, f.nodeid, UINT64_MAX, 0, 0, M2, R, 0);
	CHECK(expect_map(&w, 0, 0, M2, DAX_MAP_READ, O_RDWR, EIO) == 0);
	CHECK(reply_of(&w, id) == EIO);
	remove_mapping(&w, 0, M2, &id);
	CHECK(reply_of(&w, id) == 0);
	CHECK(nothing_for_broker(&w));
	/* A new session removes every mapping. */
	id = send_map(&w, f.nodeid, UINT64_MAX, 0, 0, M2, R, 0);
	CHECK(expect_map(&w, 0, 0, M2, DAX_MAP_READ, O_RDWR, 0) == 0);
	CHECK(reply_of(&w, id) == 0);
	CHECK(wh_session(&w, 0) == 0);
	CHECK(expect_unmap(&w, 0, M2) == 0);
	wh_finish(&w);
}

int
main(void)
{
	run(0);
	run(4);
	return check_done("ops-dax");
}
