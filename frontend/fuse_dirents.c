/*
 * READDIR and READDIRPLUS replies: each struct msg_dirent (and msg_entry for plus) from
 * the worker becomes a fuse_dirent (fuse_direntplus) record padded to 8 bytes, zeroed
 * first. The worker promised to stop before the guest's buffer is full; if it did not, the
 * reply is refused (EIO) rather than cut, since READDIRPLUS entries carry lookup counts.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "fuse_priv.h"

static uint8_t	dirbuf[MSG_MAX_READDIR];

static void
dirent_put(uint8_t *p, const struct msg_dirent *d, const char *name)
{
	struct fuse_dirent fd;

	explicit_bzero(&fd, sizeof(fd));
	fd.ino = d->ino;
	fd.off = d->off;
	fd.namelen = d->namelen;
	fd.type = d->type;
	memcpy(p, &fd, FUSE_NAME_OFFSET);
	memcpy(p + FUSE_NAME_OFFSET, name, d->namelen);
}

/* One record at dirbuf + off; returns its size, 0 when malformed or too big. */
static uint32_t
dirent_one(struct msg_reader *r, int plus, uint32_t off, uint32_t size)
{
	struct fuse_entry_out eo;
	struct msg_dirent d;
	struct msg_entry e;
	char name[NAME_MAX + 1];
	uint32_t rec;
	uint8_t *p;

	if (msg_get(r, &d, sizeof(d)) == -1 ||
	    (plus && msg_get(r, &e, sizeof(e)) == -1))
		return 0;
	if (d.namelen == 0 || d.namelen > NAME_MAX || msg_get(r, name, d.namelen) == -1)
		return 0;
	/* Names come from the host: still one component each, as Linux insists. */
	if (name_check(name, d.namelen, NAME_OK_DOTS) != 0)
		return 0;
	rec = msg_dirent_size(d.namelen, plus);
	if (rec > size - off)
		return 0;
	p = dirbuf + off;
	explicit_bzero(p, rec);
	if (plus) {
		fuse_fill_entry(&eo, &e);
		memcpy(p, &eo, sizeof(eo));
		p += sizeof(eo);
	}
	dirent_put(p, &d, name);
	return rec;
}

int
fuse_encode_dirents(struct fuse_call *call, struct msg_reader *r)
{
	struct msg_dirents h;
	uint32_t i, off = 0, rec;
	int plus = call->aux != 0;

	if (call->size > sizeof(dirbuf) || msg_get(r, &h, sizeof(h)) == -1)
		return -1;
	for (i = 0; i < h.count; i++) {
		if ((rec = dirent_one(r, plus, off, call->size)) == 0)
			return -1;
		off += rec;
	}
	if (msg_end(r) == -1)
		return -1;
	call_reply(call, dirbuf, off);
	return 0;
}
