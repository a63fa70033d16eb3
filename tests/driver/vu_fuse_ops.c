/*
 * FUSE operations with the arguments a Linux 6.1 guest sends.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vu_fuse.h"

/* The INIT flags a Linux 6.1 virtiofs guest sends (auto_submounts, no DAX): doc/wire.md §6. */
#define LINUX61_INIT_FLAGS (FUSE_ASYNC_READ | FUSE_POSIX_LOCKS | FUSE_ATOMIC_O_TRUNC | \
	FUSE_EXPORT_SUPPORT | FUSE_BIG_WRITES | FUSE_DONT_MASK | FUSE_SPLICE_WRITE | \
	FUSE_SPLICE_MOVE | FUSE_SPLICE_READ | FUSE_FLOCK_LOCKS | FUSE_HAS_IOCTL_DIR | \
	FUSE_AUTO_INVAL_DATA | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_ASYNC_DIO | \
	FUSE_WRITEBACK_CACHE | FUSE_NO_OPEN_SUPPORT | FUSE_PARALLEL_DIROPS | \
	FUSE_HANDLE_KILLPRIV | FUSE_POSIX_ACL | FUSE_ABORT_ERROR | FUSE_MAX_PAGES | \
	FUSE_CACHE_SYMLINKS | FUSE_NO_OPENDIR_SUPPORT | FUSE_EXPLICIT_INVAL_DATA | \
	FUSE_HANDLE_KILLPRIV_V2 | FUSE_SETXATTR_EXT | FUSE_INIT_EXT | FUSE_SECURITY_CTX | \
	FUSE_SUBMOUNTS)

#define PAGE	4096

int
vu_fuse_init_ex(struct vu_dev *dev, uint32_t minor, uint64_t flags, struct fuse_init_out *out)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in i;
	} in;
	size_t got;
	int r;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_INIT, 0, sizeof(in));
	in.i.major = FUSE_KERNEL_VERSION;
	in.i.minor = minor;
	in.i.max_readahead = 32 * PAGE;
	in.i.flags = (uint32_t)flags;
	in.i.flags2 = (uint32_t)(flags >> 32);
	memset(out, 0, sizeof(*out));
	r = vu_fuse_call(dev, &in, sizeof(in), sizeof(*out), 0, out, sizeof(*out), &got);
	if (r == 0 && got != sizeof(*out)) {
		snprintf(dev->err, sizeof(dev->err), "INIT reply of %zu bytes", got);
		return VU_FUSE_BADREPLY;
	}
	return r;
}

int
vu_fuse_init(struct vu_dev *dev, struct fuse_init_out *out)
{
	uint64_t flags = LINUX61_INIT_FLAGS;

	/*
	 * A guest configured for DAX asks how the daemon wants the window aligned (even when
	 * the device ends up without a window: the "off" tests want to see the answer).
	 */
	if (dev->opts.dax_window != 0)
		flags |= FUSE_MAP_ALIGNMENT;
	return vu_fuse_init_ex(dev, 37, flags, out);
}

int
vu_fuse_destroy(struct vu_dev *dev)
{
	struct fuse_in_header h;

	vu_fuse_hdr(dev, &h, FUSE_DESTROY, 0, sizeof(h));
	return vu_fuse_call(dev, &h, sizeof(h), 0, 0, NULL, 0, NULL);
}

/* A call whose reply must be exactly one struct. */
static int
call_fixed(struct vu_dev *dev, const void *in, size_t inlen, void *out, size_t outlen)
{
	size_t got;
	int r;

	r = vu_fuse_call(dev, in, inlen, outlen, 0, out, outlen, &got);
	if (r == 0 && got != outlen) {
		snprintf(dev->err, sizeof(dev->err), "reply of %zu bytes, want %zu", got, outlen);
		return VU_FUSE_BADREPLY;
	}
	return r;
}

int
vu_fuse_lookup(struct vu_dev *dev, uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	struct {
		struct fuse_in_header h;
		char name[256];
	} in;
	size_t n = strlen(name) + 1;

	if (n > sizeof(in.name))
		return -ENAMETOOLONG;
	memcpy(in.name, name, n);
	vu_fuse_hdr(dev, &in.h, FUSE_LOOKUP, parent, sizeof(in.h) + n);
	return call_fixed(dev, &in, sizeof(in.h) + n, e, sizeof(*e));
}

int
vu_fuse_getattr(struct vu_dev *dev, uint64_t nodeid, struct fuse_attr_out *a)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_GETATTR, nodeid, sizeof(in));
	return call_fixed(dev, &in, sizeof(in), a, sizeof(*a));
}

int
vu_fuse_open(struct vu_dev *dev, uint64_t nodeid, uint32_t flags, int dir, struct fuse_open_out *o)
{
	struct {
		struct fuse_in_header h;
		struct fuse_open_in o;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, dir ? FUSE_OPENDIR : FUSE_OPEN, nodeid, sizeof(in));
	in.o.flags = flags;
	return call_fixed(dev, &in, sizeof(in), o, sizeof(*o));
}

int
vu_fuse_release(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, int dir)
{
	struct {
		struct fuse_in_header h;
		struct fuse_release_in r;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, dir ? FUSE_RELEASEDIR : FUSE_RELEASE, nodeid, sizeof(in));
	in.r.fh = fh;
	in.r.flags = dir ? 0x10000 /* O_DIRECTORY */ : 0;
	return call_fixed(dev, &in, sizeof(in), NULL, 0);
}

static int
read_common(struct vu_dev *dev, uint32_t op, uint64_t nodeid, uint64_t fh, uint64_t off,
    uint32_t size, void *buf, size_t *got)
{
	struct {
		struct fuse_in_header h;
		struct fuse_read_in r;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, op, nodeid, sizeof(in));
	in.r.fh = fh;
	in.r.offset = off;
	in.r.size = size;
	return vu_fuse_call(dev, &in, sizeof(in), 0, size, buf, size, got);
}

int
vu_fuse_read(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size,
    void *buf, size_t *got)
{
	return read_common(dev, FUSE_READ, nodeid, fh, off, size, buf, got);
}

int
vu_fuse_write(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, uint64_t off, const void *buf,
    uint32_t size, uint32_t *written)
{
	struct {
		struct fuse_in_header h;
		struct fuse_write_in w;
	} in;
	struct fuse_write_out wo;
	struct vu_fuse_req r;
	int rc;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_WRITE, nodeid, sizeof(in) + size);
	in.w.fh = fh;
	in.w.offset = off;
	in.w.size = size;
	memset(&r, 0, sizeof(r));
	r.queue = 1;
	r.in = &in;
	r.inlen = sizeof(in);
	r.wdata = buf;
	r.wdatalen = size;
	r.out_args = sizeof(wo);
	rc = vu_fuse_call_req(dev, &r);
	if (rc == 0 && r.used_len != sizeof(struct fuse_out_header) + sizeof(wo)) {
		snprintf(dev->err, sizeof(dev->err), "WRITE reply of %u bytes", r.used_len);
		rc = VU_FUSE_BADREPLY;
	}
	if (rc == 0) {
		memcpy(&wo, r.out + sizeof(struct fuse_out_header), sizeof(wo));
		if (written != NULL)
			*written = wo.size;
	}
	if (rc != VU_FUSE_TIMEOUT)
		vu_fuse_req_free(&r);
	return rc;
}

int
vu_fuse_readdir(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size,
    int plus, void *buf, size_t *got)
{
	return read_common(dev, plus ? FUSE_READDIRPLUS : FUSE_READDIR, nodeid, fh, off, size,
	    buf, got);
}

int
vu_fuse_statfs(struct vu_dev *dev, struct fuse_statfs_out *s)
{
	struct fuse_in_header h;

	vu_fuse_hdr(dev, &h, FUSE_STATFS, 1, sizeof(h));
	return call_fixed(dev, &h, sizeof(h), s, sizeof(*s));
}

int
vu_fuse_readlink(struct vu_dev *dev, uint64_t nodeid, char *buf, size_t cap)
{
	struct fuse_in_header h;
	size_t got;
	int r;

	if (cap == 0)
		return -EINVAL;
	vu_fuse_hdr(dev, &h, FUSE_READLINK, nodeid, sizeof(h));
	r = vu_fuse_call(dev, &h, sizeof(h), 0, PAGE, buf, cap - 1, &got);
	buf[r == 0 ? got : 0] = '\0';
	return r;
}

void
vu_fuse_lk_fill(struct vu_dev *dev, struct vu_fuse_lk *in, uint32_t opcode, uint64_t nodeid,
    uint64_t fh, uint64_t owner, uint32_t type, int flock)
{
	memset(in, 0, sizeof(*in));
	vu_fuse_hdr(dev, &in->h, opcode, nodeid, sizeof(*in));
	in->lk.fh = fh;
	in->lk.owner = owner;
	in->lk.lk.start = 0;
	in->lk.lk.end = INT64_MAX;	/* OFFSET_MAX: to the end of the file */
	in->lk.lk.type = type;
	in->lk.lk.pid = type != F_UNLCK ? 1234 : 0;
	in->lk.lk_flags = flock ? FUSE_LK_FLOCK : 0;
}

int
vu_fuse_setlk(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, uint64_t owner,
    uint32_t type, int flock)
{
	struct vu_fuse_lk in;

	vu_fuse_lk_fill(dev, &in, FUSE_SETLK, nodeid, fh, owner, type, flock);
	return vu_fuse_call(dev, &in, sizeof(in), 0, 0, NULL, 0, NULL);
}

int
vu_fuse_forget(struct vu_dev *dev, uint64_t nodeid, uint64_t nlookup)
{
	struct {
		struct fuse_in_header h;
		struct fuse_forget_in f;
	} in;
	struct vu_fuse_req r;
	int rc;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_FORGET, nodeid, sizeof(in));
	in.f.nlookup = nlookup;
	memset(&r, 0, sizeof(r));
	r.queue = 0;
	r.in = &in;
	r.inlen = sizeof(in);
	r.no_out = 1;
	rc = vu_fuse_call_req(dev, &r);
	if (rc == 0 && r.used_len != 0) {
		snprintf(dev->err, sizeof(dev->err), "FORGET used len %u, want 0", r.used_len);
		rc = VU_FUSE_BADREPLY;
	}
	if (rc != VU_FUSE_TIMEOUT)
		vu_fuse_req_free(&r);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the names of one READDIR(PLUS) page; *off = offset of the last entry. */
static int
parse_dirents(const uint8_t *buf, size_t len, int plus, char ***names, size_t *n, uint64_t *off)
{
	size_t pos = 0, base = plus ? offsetof(struct fuse_direntplus, dirent) : 0;

	while (pos < len) {
		struct fuse_dirent d;
		size_t reclen;
		char **nn;

		if (len - pos < base + FUSE_NAME_OFFSET)
			return -1;
		memcpy(&d, buf + pos + base, FUSE_NAME_OFFSET);
		reclen = FUSE_DIRENT_ALIGN(base + FUSE_NAME_OFFSET + d.namelen);
		if (d.namelen == 0 || d.namelen > 255 || reclen > len - pos)
			return -1;
		*off = d.off;
		if (!(d.namelen == 1 && buf[pos + base + FUSE_NAME_OFFSET] == '.') &&
		    !(d.namelen == 2 && memcmp(buf + pos + base + FUSE_NAME_OFFSET, "..", 2) == 0)) {
			if ((nn = reallocarray(*names, *n + 1, sizeof(**names))) == NULL)
				return -1;
			*names = nn;
			nn[*n] = strndup((const char *)buf + pos + base + FUSE_NAME_OFFSET, d.namelen);
			if (nn[*n] == NULL)
				return -1;
			(*n)++;
		}
		pos += reclen;
	}
	return 0;
}

static char *
join_sorted(char **names, size_t n)
{
	size_t i, total = 1;
	char *s;

	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++)
		total += strlen(names[i]) + 1;
	if ((s = malloc(total)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		strlcat(s, names[i], total);
		strlcat(s, "\n", total);
	}
	return s;
}

int
vu_fuse_list_dir(struct vu_dev *dev, uint64_t nodeid, int plus, char **out)
{
	struct fuse_open_out oo;
	uint8_t buf[PAGE];
	char **names = NULL;
	size_t n = 0, got, i;
	uint64_t off = 0;
	int r;

	*out = NULL;
	if ((r = vu_fuse_open(dev, nodeid, 0x10000, 1, &oo)) != 0)
		return r;
	for (;;) {
		r = vu_fuse_readdir(dev, nodeid, oo.fh, off, sizeof(buf), plus, buf, &got);
		if (r != 0 || got == 0)
			break;
		if (parse_dirents(buf, got, plus, &names, &n, &off) == -1) {
			snprintf(dev->err, sizeof(dev->err), "malformed directory entries");
			r = VU_FUSE_BADREPLY;
			break;
		}
	}
	if (r == 0 && (*out = join_sorted(names, n)) == NULL)
		r = VU_FUSE_FAILED;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (vu_fuse_release(dev, nodeid, oo.fh, 1) != 0 && r == 0)
		r = VU_FUSE_BADREPLY;
	return r;
}

int
vu_fuse_setupmapping(struct vu_dev *dev, uint64_t nodeid, uint64_t fh, uint64_t foffset,
    uint64_t len, uint64_t flags, uint64_t moffset)
{
	struct {
		struct fuse_in_header h;
		struct fuse_setupmapping_in s;
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, FUSE_SETUPMAPPING, nodeid, sizeof(in));
	in.s.fh = fh;
	in.s.foffset = foffset;
	in.s.len = len;
	in.s.flags = flags;
	in.s.moffset = moffset;
	return call_fixed(dev, &in, sizeof(in), NULL, 0);
}

/* The count, then the entries right after it (unaligned, from byte 44), as Linux packs them. */
int
vu_fuse_removemapping(struct vu_dev *dev, uint64_t nodeid,
    const struct fuse_removemapping_one *one, uint32_t count)
{
	struct fuse_removemapping_in ri;
	struct fuse_in_header h;
	uint8_t *in;
	size_t len;
	int r;

	if (count > (PAGE * 2) / sizeof(*one))
		return -EINVAL;
	len = sizeof(h) + sizeof(ri) + count * sizeof(*one);
	if ((in = malloc(len)) == NULL)
		return VU_FUSE_FAILED;
	vu_fuse_hdr(dev, &h, FUSE_REMOVEMAPPING, nodeid, len);
	ri.count = count;
	memcpy(in, &h, sizeof(h));
	memcpy(in + sizeof(h), &ri, sizeof(ri));
	if (count > 0)
		memcpy(in + sizeof(h) + sizeof(ri), one, count * sizeof(*one));
	r = call_fixed(dev, in, len, NULL, 0);
	free(in);
	return r;
}
