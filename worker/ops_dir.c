/*
 * OPENDIR and READDIR/READDIRPLUS. A directory handle's fd is shared by every request on
 * it, so entries are read under the handle's lock. getdents64 reads into a buffer of the
 * thread's; the handle remembers where its stream is (struct dirstream) and keeps a
 * bounded part of what was read but not sent: a READDIR continuing from there reads on,
 * any other offset seeks. So a handle costs little between READDIRs, however large the
 * guest's buffers are.
 * Entries are emitted while their encoded size (msg_dirent_size) fits the guest's buffer;
 * the next READDIR starts at the last entry's d_off.
 *
 * READDIRPLUS looks every entry up (one guest lookup each), except "." and "..", which go
 * out with node id 0 and only inode and type, as virtiofsd does: the kernel does not
 * instantiate those.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

#define DIRBUF_SIZE		(32 * 1024)
#define DIRBUF_MIN		512	/* > the largest record: 19 + 255 + 1, padded */
#define DIRENT_MIN_RECLEN	24	/* a getdents64 record with a name of 1 to 4 bytes */
/*
 * What a handle keeps of the records read past a full reply. A record is at least 3/4 of
 * its READDIR entry, so a 4 KiB READDIR (what a Linux guest asks for) reads about 1 KiB
 * too much at most: that is kept, and going on needs no lseek.
 */
#define DIRTAIL_MAX		1024

void
op_opendir(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_open		 m;
	struct wnode		*n;
	int			 fd;

	/* Its open flags change nothing: a directory is opened for reading. */
	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((n = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	if (!S_ISDIR(node_type(n)))
		fd = -ENOTDIR;
	else
		fd = node_open(n, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		node_put(n);
		reply_status(req, -fd);
		return;
	}
	reply_open(req, handle_new(n, fd, 1));
	node_put(n);
}

struct dirfill {
	struct wnode		*dir;
	struct msg_writer	 w;
	uint32_t		 size;		/* the guest's buffer */
	uint32_t		 used;		/* msg_dirent_size() sum so far */
	uint32_t		 count;
	int			 plus;
};

static int
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/*
 * One entry into the reply. 1: emitted or skipped, go on; 0: full; or -errno when a
 * READDIRPLUS lookup failed (the entries before it still go out).
 */
static int
dirfill_add(struct dirfill *f, const struct dirent64 *d)
{
	struct msg_dirent	de;
	struct msg_entry	e;
	uint32_t		namelen = (uint32_t)strlen(d->d_name), need;
	int			error;

	need = msg_dirent_size(namelen, f->plus);
	if (need > f->size - f->used)
		return 0;
	explicit_bzero(&e, sizeof(e));
	if (f->plus && is_dot(d->d_name)) {
		e.attr.ino = attr_ino(node_dev(f->dir), d->d_ino);
		e.attr.mode = (uint32_t)d->d_type << 12;
	} else if (f->plus && (error = node_lookup(f->dir, d->d_name, &e)) != 0)
		return error == ENOENT ? 1 : -error;	/* ENOENT: gone since getdents */
	explicit_bzero(&de, sizeof(de));
	de.ino = f->plus && !is_dot(d->d_name) ? e.attr.ino :
	    attr_ino(node_dev(f->dir), d->d_ino);
	de.off = (uint64_t)d->d_off;
	de.type = d->d_type;
	de.namelen = namelen;
	msg_put(&f->w, &de, sizeof(de));
	if (f->plus)
		msg_put(&f->w, &e, sizeof(e));
	msg_put(&f->w, d->d_name, namelen);
	f->used += need;
	f->count++;
	return 1;
}

/*
 * How much to ask getdents64 for: about what the reply can hold. A getdents64 record
 * (19 bytes + name + NUL, padded to 8) is never larger than the READDIR entry it becomes,
 * so the bytes left in a READDIR reply read at least every entry that fits. A
 * READDIRPLUS entry is much larger (160 bytes and up): there, fit * 24 bytes (the record
 * of a name of up to 4 bytes) cover the most entries that can fit; longer names take
 * another call. Entries read and not sent wait for the next request (dirstream_keep).
 * At least one record of the longest name; at most DIRBUF_SIZE.
 */
static size_t
dirbuf_want(const struct dirfill *f)
{
	size_t left = f->size - f->used, want;

	want = f->plus ? left / msg_dirent_size(1, 1) * DIRENT_MIN_RECLEN : left;
	if (want > DIRBUF_SIZE)
		return DIRBUF_SIZE;
	return want < DIRBUF_MIN ? DIRBUF_MIN : want;
}

/* What getdents64 reads into: one per thread, used during one READDIR only. */
static uint8_t *
dirbuf_get(void)
{
	static __thread uint8_t *buf;

	if (buf == NULL && (buf = malloc(DIRBUF_SIZE)) == NULL)
		fatal("readdir");
	return buf;
}

/*
 * Records buf[*pos, len) into the reply while they fit, each one sent moving the stream
 * on: 1 when all went, else what dirfill_add() said of the first that did not.
 */
static int
dirfill_records(struct dirfill *f, struct dirstream *ds, const uint8_t *buf,
    uint32_t *pos, uint32_t len)
{
	const struct dirent64	*d;
	int			 more;

	while (*pos < len) {
		d = (const struct dirent64 *)(buf + *pos);
		if ((more = dirfill_add(f, d)) <= 0)
			return more;
		*pos += d->d_reclen;
		ds->off = (uint64_t)d->d_off;
	}
	return 1;
}

/*
 * The unsent records buf[pos, len) of a getdents64 call wait for the next READDIR, as
 * many as DIRTAIL_MAX holds. The fd is at the end of the last one read; once the kept
 * ones are sent, the stream seeks back to the first one dropped.
 */
static void
dirstream_keep(struct dirstream *ds, const uint8_t *buf, uint32_t pos, uint32_t len)
{
	const struct dirent64	*d;
	uint32_t		 p, keep = 0;

	for (p = pos; p < len; p += d->d_reclen) {
		d = (const struct dirent64 *)(buf + p);
		if (p + d->d_reclen - pos <= DIRTAIL_MAX)
			keep = p + d->d_reclen - pos;
		ds->fdpos = (uint64_t)d->d_off;
	}
	/* Past the memory budget nothing is kept: the next READDIR reads them again. */
	if (keep == 0 || (ds->tail = mem_budget_alloc(keep)) == NULL)
		return;
	memcpy(ds->tail, buf + pos, keep);
	ds->tail_len = keep;
}

/* The fd at the stream's offset, for reading on: seeks only when it is elsewhere. */
static int
dirstream_seek(struct dirstream *ds, int fd)
{
	if (!ds->stale && ds->fdpos == ds->off)
		return 0;
	ds->stale = 1;
	if (lseek(fd, (off_t)ds->off, SEEK_SET) == -1)
		return errno;
	ds->fdpos = ds->off;
	ds->stale = 0;
	return 0;
}

/* Entries read from the fd until the reply is full or the end; -errno on failure. */
static int
dirfill_read(struct dirfill *f, struct dirstream *ds, int fd)
{
	uint8_t		*buf = dirbuf_get();
	uint32_t	 pos;
	ssize_t		 n;
	int		 more, error;

	if ((error = dirstream_seek(ds, fd)) != 0)
		return -error;
	do {
		if ((n = getdents64(fd, buf, dirbuf_want(f))) == -1) {
			ds->stale = 1;		/* where is the fd now? */
			return -errno;
		}
		pos = 0;
		if ((more = dirfill_records(f, ds, buf, &pos, (uint32_t)n)) > 0)
			ds->fdpos = ds->off;
		else
			dirstream_keep(ds, buf, pos, (uint32_t)n);
	} while (more > 0 && n > 0);
	return more;
}

/* Entries from offset until the reply is full or the end; only those sent are used up. */
static int
dirfill_run(struct dirfill *f, struct whandle *h, uint64_t offset)
{
	struct dirstream	*ds = handle_dirstream(h);
	int			 more = 1;

	/* What was kept is only for going on from where the last READDIR stopped. */
	if (ds->off != offset) {
		dirstream_free(ds);
		ds->off = offset;
	}
	if (ds->tail != NULL &&
	    (more = dirfill_records(f, ds, ds->tail, &ds->tail_pos, ds->tail_len)) > 0)
		dirstream_free(ds);
	if (more > 0)
		more = dirfill_read(f, ds, handle_fd(h));
	/* After some entries, a failure only ends the list early. */
	return f->count > 0 || more >= 0 ? 0 : -more;
}

void
op_readdir(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_readdir	 m;
	struct msg_dirents	 hdr;
	struct dirfill		 f;
	struct whandle		*h;
	int			 error = EINVAL;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    (h = handle_get(m.fh, &error)) == NULL) {
		reply_status(req, error);
		return;
	}
	if (!handle_is_dir(h) || m.offset > INT64_MAX) {
		error = handle_is_dir(h) ? EINVAL : ENOTDIR;
		handle_put(h);
		reply_status(req, error);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.dir = handle_node(h);
	f.size = m.size < MSG_MAX_READDIR ? m.size : MSG_MAX_READDIR;
	f.plus = m.plus != 0;
	msg_writer_init(&f.w);
	explicit_bzero(&hdr, sizeof(hdr));
	msg_put(&f.w, &hdr, sizeof(hdr));

	handle_lock(h);
	error = dirfill_run(&f, h, m.offset);
	handle_unlock(h);
	handle_put(h);

	if (error != 0)
		reply_status(req, error);
	else {
		hdr.count = f.count;
		memcpy(f.w.buf, &hdr, sizeof(hdr));
		reply_dirents(req, f.w.buf, f.w.len);
	}
	msg_writer_free(&f.w);
}
