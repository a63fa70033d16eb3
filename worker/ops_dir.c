/*
 * OPENDIR and READDIR/READDIRPLUS. A directory handle's fd is shared by every request on
 * it, so entries are read under the handle's lock. The handle remembers where its stream
 * is (struct dirstream) with the entries read but not yet sent: a READDIR continuing from
 * there reads on, any other offset seeks.
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
#include "wcore.h"

#define DIRBUF_SIZE		(32 * 1024)
#define DIRBUF_MIN		512	/* > the largest record: 19 + 255 + 1, padded */
#define DIRENT_MIN_RECLEN	24	/* a getdents64 record with a name of 1 to 4 bytes */

void
op_opendir(struct wreq *r)
{
	struct wnode	*n;
	int		 fd, error;

	if ((n = node_get(r->hdr.nodeid, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	if (!S_ISDIR(node_type(n)))
		fd = -ENOTDIR;
	else
		fd = node_open(n, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		node_put(n);
		reply_status(r, -fd);
		return;
	}
	reply_open(r, handle_new(n, fd, 1));
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
 * another call. Entries read and not sent wait for the next request. At least one record
 * of the longest name; at most DIRBUF_SIZE.
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

/* Refill ds from the fd when nothing waits: 1, 0 at the end, or -errno. */
static int
dirstream_fill(struct dirstream *ds, int fd, size_t want)
{
	ssize_t	n;

	if (ds->pos < ds->len)
		return 1;
	if (ds->cap < want) {
		free(ds->buf);
		if ((ds->buf = malloc(want)) == NULL)
			fatal("readdir");
		ds->cap = want;
	}
	ds->pos = ds->len = 0;
	if ((n = getdents64(fd, ds->buf, want)) == -1)
		return -errno;
	ds->len = (size_t)n;
	return n > 0;
}

/* Go to offset: nothing to do when the stream is there already. */
static int
dirstream_seek(struct dirstream *ds, int fd, uint64_t offset)
{
	if (!ds->stale && ds->off == offset)
		return 0;
	ds->pos = ds->len = 0;
	ds->stale = 1;
	if (lseek(fd, (off_t)offset, SEEK_SET) == -1)
		return errno;
	ds->off = offset;
	ds->stale = 0;
	return 0;
}

/* Entries from offset until the buffer is full or the end; only those sent are used up. */
static int
dirfill_run(struct dirfill *f, struct whandle *h, uint64_t offset)
{
	struct dirstream	*ds = handle_dirstream(h);
	const struct dirent64	*d;
	int			 more, error;

	if ((error = dirstream_seek(ds, handle_fd(h), offset)) != 0)
		return error;
	while ((more = dirstream_fill(ds, handle_fd(h), dirbuf_want(f))) > 0) {
		d = (const struct dirent64 *)(ds->buf + ds->pos);
		if ((more = dirfill_add(f, d)) <= 0)
			break;
		ds->pos += d->d_reclen;
		ds->off = (uint64_t)d->d_off;
	}
	if (more < 0) {
		error = -more;
		if (ds->pos >= ds->len)
			ds->stale = 1;		/* getdents64 failed: where is the fd? */
	}
	/* After some entries, a failure only ends the list early. */
	return f->count > 0 ? 0 : error;
}

void
op_readdir(struct wreq *r)
{
	struct msg_readdir	 rd;
	struct msg_dirents	 hdr;
	struct dirfill		 f;
	struct whandle		*h;
	int			 error = 0;

	memcpy(&rd, r->data, sizeof(rd));
	if ((h = handle_get(rd.fh, &error)) == NULL) {
		reply_status(r, error);
		return;
	}
	if (!handle_is_dir(h) || rd.offset > INT64_MAX) {
		error = handle_is_dir(h) ? EINVAL : ENOTDIR;
		handle_put(h);
		reply_status(r, error);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.dir = handle_node(h);
	f.size = rd.size < MSG_MAX_READDIR ? rd.size : MSG_MAX_READDIR;
	f.plus = rd.plus != 0;
	msg_writer_init(&f.w);
	explicit_bzero(&hdr, sizeof(hdr));
	msg_put(&f.w, &hdr, sizeof(hdr));

	handle_lock(h);
	error = dirfill_run(&f, h, rd.offset);
	handle_unlock(h);
	handle_put(h);

	if (error != 0)
		reply_status(r, error);
	else {
		hdr.count = f.count;
		memcpy(f.w.buf, &hdr, sizeof(hdr));
		reply_dirents(r, f.w.buf, f.w.len);
	}
	msg_writer_free(&f.w);
}
