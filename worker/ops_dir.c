/*
 * OPENDIR and READDIR/READDIRPLUS. A directory handle's fd is shared by every request on
 * it, so a read seeks to the guest's offset and reads entries under the handle's lock.
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

#define DIRBUF_SIZE	(32 * 1024)

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

/* Entries from the fd's current position until the buffer is full or the end. */
static int
dirfill_run(struct dirfill *f, int fd)
{
	const struct dirent64	*d;
	uint8_t			*buf;
	ssize_t			 n, pos;
	int			 more = 1, error = 0;

	if ((buf = malloc(DIRBUF_SIZE)) == NULL)
		fatal("readdir");
	while (more && (n = getdents64(fd, buf, DIRBUF_SIZE)) != 0) {
		if (n == -1) {
			error = errno;
			break;
		}
		for (pos = 0; pos < n && more; pos += d->d_reclen) {
			d = (const struct dirent64 *)(buf + pos);
			more = dirfill_add(f, d);
			if (more < 0) {
				error = -more;
				more = 0;
			}
		}
	}
	free(buf);
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
	if (lseek(handle_fd(h), (off_t)rd.offset, SEEK_SET) == -1)
		error = errno;
	else
		error = dirfill_run(&f, handle_fd(h));
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
