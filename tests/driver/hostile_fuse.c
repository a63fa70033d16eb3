/*
 * Hostile FUSE requests (the FUSE rows of doc/security.md, "Attacks used against virtiofs
 * and 9p daemons"): malformed framing, names, ids and sizes must get an error reply (or,
 * where no reply is possible, the chain returned), never a crash; replies must not carry
 * stale bytes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostile.h"

#define MAXREQ	(2 << 20)

/* header + body into buf; h.len = total unless len_override. */
static size_t
mkreq(struct hctx *h, uint8_t *buf, uint32_t opcode, uint64_t nodeid, const void *body,
    size_t bodylen)
{
	struct fuse_in_header ih;

	vu_fuse_hdr(&h->dev, &ih, opcode, nodeid, sizeof(ih) + bodylen);
	memcpy(buf, &ih, sizeof(ih));
	if (bodylen > 0)
		memcpy(buf + sizeof(ih), body, bodylen);
	return sizeof(ih) + bodylen;
}

static void
set_len(uint8_t *buf, uint32_t len)
{
	memcpy(buf, &len, sizeof(len));
}

/* An error reply is what we want; a returned chain without reply is tolerated. */
static int
expect_error(struct hctx *h, int rc, const char *what, int want)
{
	if (rc == VU_FUSE_BADREPLY && strstr(h->dev.err, "used len 0") != NULL)
		return hcheck(1, "%s: chain returned without a reply (request dropped)", what);
	if (want != 0 && rc < 0 && rc != -want)
		vu_note("%s: got %s, %s expected", what, vu_fuse_why(&h->dev, rc), strerror(want));
	return hcheck(rc < 0, "%s: %s (want an error reply)", what, vu_fuse_why(&h->dev, rc));
}

int
h_fuse_truncated_header(struct hctx *h)
{
	uint8_t buf[64];
	int rc;

	mkreq(h, buf, FUSE_GETATTR, 1, NULL, 0);
	set_len(buf, 20);
	rc = fuse_bytes(h, buf, 20, 4096, NULL);
	if (rc == VU_FUSE_TIMEOUT)
		return hcheck(1, "20-byte request (half a header): dropped, chain not returned "
		    "within %d ms", cli.opts.timeout_ms);
	return expect_error(h, rc, "20-byte request (half a header)", 0);
}

int
h_fuse_len_larger_than_chain(struct hctx *h)
{
	struct fuse_getattr_in g;
	uint8_t buf[128];
	size_t n;

	memset(&g, 0, sizeof(g));
	n = mkreq(h, buf, FUSE_GETATTR, 1, &g, sizeof(g));
	set_len(buf, 4096);
	return expect_error(h, fuse_bytes(h, buf, n, 4096, NULL),
	    "GETATTR whose in.len 4096 exceeds the 56-byte chain", EINVAL);
}

int
h_fuse_len_too_large(struct hctx *h)
{
	struct fuse_open_out oo;
	struct fuse_write_in w;
	uint8_t *buf;
	size_t data = (1 << 20) + 4096, n;
	int rc;

	rc = vu_fuse_open(&h->dev, h->hello, O_RDWR, 0, &oo);
	if (rc != 0)
		return hcheck(0, "OPEN hello.txt O_RDWR: %s", vu_fuse_why(&h->dev, rc));
	if ((buf = calloc(1, MAXREQ)) == NULL)
		return -1;
	memset(&w, 0, sizeof(w));
	w.fh = oo.fh;
	w.size = (uint32_t)data;
	n = mkreq(h, buf, FUSE_WRITE, h->hello, &w, sizeof(w));
	memset(buf + n, 'x', data);
	n += data;
	set_len(buf, (uint32_t)n);
	rc = fuse_bytes(h, buf, n, 4096, NULL);
	free(buf);
	return expect_error(h, rc, "WRITE of 1 MiB + 4 KiB (in.len > 1 MiB + header)", 0);
}

int
h_fuse_body_short(struct hctx *h)
{
	uint8_t buf[128], body[16];
	size_t n;

	memset(body, 0, sizeof(body));
	n = mkreq(h, buf, FUSE_READ, h->hello, body, sizeof(body));
	return expect_error(h, fuse_bytes(h, buf, n, 4096, NULL),
	    "READ with a 16-byte body (fuse_read_in is 40)", EINVAL);
}

static int
lookup_bytes(struct hctx *h, const void *name, size_t namelen, const char *what, int want)
{
	uint8_t buf[1024];
	size_t n;

	n = mkreq(h, buf, FUSE_LOOKUP, 1, name, namelen);
	return expect_error(h, fuse_bytes(h, buf, n, 4096, NULL), what, want);
}

int
h_name_no_nul(struct hctx *h)
{
	return lookup_bytes(h, "hello.txt", 9, "LOOKUP \"hello.txt\" without its NUL", EINVAL);
}

int
h_name_embedded_nul(struct hctx *h)
{
	return lookup_bytes(h, "hello.txt\0junk", 15, "LOOKUP \"hello.txt\\0junk\\0\"", EINVAL);
}

int
h_name_too_long(struct hctx *h)
{
	char name[301];

	memset(name, 'a', 300);
	name[300] = '\0';
	return lookup_bytes(h, name, sizeof(name), "LOOKUP of a 300-byte name", ENAMETOOLONG);
}

int
h_name_slash(struct hctx *h)
{
	char path[4096];
	int fd;

	if (cli.host_dir != NULL) {
		snprintf(path, sizeof(path), "%s/sub", cli.host_dir);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/sub/a", cli.host_dir);
		if ((fd = open(path, O_WRONLY | O_CREAT, 0644)) != -1)
			close(fd);
	}
	return lookup_bytes(h, "sub/a", 6, "LOOKUP \"sub/a\" (an existing path with '/')",
	    EINVAL);
}

int
h_name_dotdot(struct hctx *h)
{
	struct fuse_attr_out root;
	struct fuse_entry_out e;
	struct {
		struct fuse_mkdir_in m;
		char name[3];
	} mk;
	uint8_t buf[128];
	size_t n;
	int r;

	if ((r = vu_fuse_getattr(&h->dev, 1, &root)) != 0)
		return hcheck(0, "GETATTR root: %s", vu_fuse_why(&h->dev, r));
	r = vu_fuse_lookup(&h->dev, 1, "..", &e);
	hcheck(r < 0 || (r == 0 && e.attr.ino == root.attr.ino),
	    "LOOKUP \"..\" at the export root: %s%s", vu_fuse_why(&h->dev, r),
	    r == 0 ? (e.attr.ino == root.attr.ino ? ", stays at the root" :
	    ", LEAVES the root") : "");
	memset(&mk, 0, sizeof(mk));
	mk.m.mode = 0755;
	memcpy(mk.name, "..", 3);
	n = mkreq(h, buf, FUSE_MKDIR, 1, &mk, sizeof(mk.m) + 3);
	return expect_error(h, fuse_bytes(h, buf, n, 4096, NULL), "MKDIR \"..\"", 0);
}

int
h_name_empty_abs(struct hctx *h)
{
	lookup_bytes(h, "", 1, "LOOKUP \"\" (empty name)", 0);
	return lookup_bytes(h, "/etc", 5, "LOOKUP \"/etc\" (absolute)", 0);
}

int
h_bogus_nodeid(struct hctx *h)
{
	struct fuse_attr_out a;
	int r;

	r = vu_fuse_getattr(&h->dev, 0xdeadbeefULL, &a);
	hcheck(r == -EBADF || r == -ESTALE, "GETATTR of node id 0xdeadbeef: %s (want EBADF or "
	    "ESTALE)", vu_fuse_why(&h->dev, r));
	r = vu_fuse_getattr(&h->dev, h->hello ^ (1ULL << 40), &a);
	hcheck(r == -EBADF || r == -ESTALE, "GETATTR of a real node id with other high bits: "
	    "%s (want EBADF or ESTALE)", vu_fuse_why(&h->dev, r));
	r = vu_fuse_getattr(&h->dev, 0, &a);
	return hcheck(r < 0, "GETATTR of node id 0: %s (want an error)", vu_fuse_why(&h->dev, r));
}

int
h_forget_unknown(struct hctx *h)
{
	int r = vu_fuse_forget(&h->dev, 0x123456789ULL, 5);

	hcheck(r == 0, "FORGET of an unknown node on hiprio: %s (want ignored, chain "
	    "returned)", vu_fuse_why(&h->dev, r));
	r = vu_fuse_forget(&h->dev, h->hello, 1ULL << 62);
	return hcheck(r == 0, "FORGET of hello.txt with nlookup 2^62: %s",
	    vu_fuse_why(&h->dev, r));
}

int
h_double_release(struct hctx *h)
{
	struct fuse_open_out oo;
	int r;

	if ((r = vu_fuse_open(&h->dev, h->hello, O_RDONLY, 0, &oo)) != 0)
		return hcheck(0, "OPEN: %s", vu_fuse_why(&h->dev, r));
	r = vu_fuse_release(&h->dev, h->hello, oo.fh, 0);
	hcheck(r == 0, "first RELEASE: %s", vu_fuse_why(&h->dev, r));
	r = vu_fuse_release(&h->dev, h->hello, oo.fh, 0);
	return hcheck(r == -EBADF, "second RELEASE of the same fh: %s (want EBADF)",
	    vu_fuse_why(&h->dev, r));
}

int
h_batch_forget_overflow(struct hctx *h)
{
	struct {
		struct fuse_batch_forget_in b;
		struct fuse_forget_one one;
	} body;
	uint8_t buf[128];
	size_t n;
	int rc;

	/* count * 16 wraps to 16 in 32 bits: exactly the one entry that follows */
	body.b.count = 0x10000001;
	body.b.dummy = 0;
	body.one.nodeid = h->hello;
	body.one.nlookup = 1;
	n = mkreq(h, buf, FUSE_BATCH_FORGET, 0, &body, sizeof(body));
	rc = fuse_bytes(h, buf, n, 4096, NULL);
	if (rc == VU_FUSE_BADREPLY && strstr(h->dev.err, "used len 0") != NULL)
		return hcheck(1, "BATCH_FORGET count 0x10000001 with one entry: chain returned "
		    "without a reply");
	return hcheck(rc < 0, "BATCH_FORGET count 0x10000001 with one entry: %s",
	    vu_fuse_why(&h->dev, rc));
}

int
h_read_size_too_large(struct hctx *h)
{
	struct fuse_open_out oo;
	struct fuse_read_in rd;
	struct vu_fuse_req keep;
	uint8_t buf[128];
	size_t n;
	int r;

	if ((r = vu_fuse_open(&h->dev, h->hello, O_RDONLY, 0, &oo)) != 0)
		return hcheck(0, "OPEN: %s", vu_fuse_why(&h->dev, r));
	memset(&rd, 0, sizeof(rd));
	rd.fh = oo.fh;
	rd.size = 0xffffffff;
	n = mkreq(h, buf, FUSE_READ, h->hello, &rd, sizeof(rd));
	memset(&keep, 0, sizeof(keep));
	r = fuse_bytes(h, buf, n, 4096, &keep);
	if (r == 0)
		vu_note("READ size 0xffffffff answered with %u bytes", keep.used_len);
	vu_fuse_req_free(&keep);
	return expect_error(h, r, "READ of size 0xffffffff into 4 KiB", EINVAL);
}

int
h_getxattr_size_too_large(struct hctx *h)
{
	struct {
		struct fuse_getxattr_in g;
		char name[7];
	} body;
	uint8_t buf[128];
	size_t n;

	memset(&body, 0, sizeof(body));
	body.g.size = 0x7fffffff;
	memcpy(body.name, "user.x", 7);
	n = mkreq(h, buf, FUSE_GETXATTR, h->hello, &body, sizeof(body));
	return expect_error(h, fuse_bytes(h, buf, n, 4096, NULL),
	    "GETXATTR user.x with size 0x7fffffff", 0);
}

int
h_open_flags(struct hctx *h)
{
	struct fuse_open_out oo;
	int r;

	r = vu_fuse_open(&h->dev, h->hello, O_RDWR | O_CREAT, 0, &oo);
	hcheck(r == -EINVAL, "OPEN with O_CREAT: %s (want EINVAL)", vu_fuse_why(&h->dev, r));
	if (r == 0)
		vu_fuse_release(&h->dev, h->hello, oo.fh, 0);
	r = vu_fuse_open(&h->dev, 1, O_RDWR | O_TMPFILE, 0, &oo);
	return hcheck(r == -EINVAL || r == -EISDIR, "OPEN of the root with O_TMPFILE|O_RDWR: "
	    "%s (want EINVAL)", vu_fuse_why(&h->dev, r));
}

/* doc/security.md, attacks: "OPEN of a device node, FIFO or socket" */
int
h_open_special(struct hctx *h)
{
	struct fuse_entry_out e;
	struct fuse_open_out oo;
	char path[4096];
	int r;

	if (cli.host_dir == NULL)
		return hcheck(0, "needs --host-dir");
	snprintf(path, sizeof(path), "%s/fifo", cli.host_dir);
	if (mkfifo(path, 0666) == -1)
		return hcheck(0, "mkfifo %s", path);
	r = vu_fuse_lookup(&h->dev, 1, "fifo", &e);
	if (r != 0)
		return hcheck(r < 0, "LOOKUP fifo: %s", vu_fuse_why(&h->dev, r));
	r = vu_fuse_open(&h->dev, e.nodeid, O_RDONLY | O_NONBLOCK, 0, &oo);
	if (r == 0)
		vu_fuse_release(&h->dev, e.nodeid, oo.fh, 0);
	return hcheck(r < 0 && r > -4096, "OPEN of a FIFO on the host: %s (want an error, "
	    "and no hang)", vu_fuse_why(&h->dev, r));
}

/* doc/security.md, attacks: "A symlink followed out of the share" */
int
h_symlink_escape(struct hctx *h)
{
	struct fuse_entry_out e, in;
	struct fuse_open_out oo;
	char path[4096];
	int r;

	if (cli.host_dir == NULL)
		return hcheck(0, "needs --host-dir");
	snprintf(path, sizeof(path), "%s/escape", cli.host_dir);
	if (symlink("/etc", path) == -1)
		return hcheck(0, "symlink %s", path);
	r = vu_fuse_lookup(&h->dev, 1, "escape", &e);
	if (r != 0)
		return hcheck(r < 0, "LOOKUP escape: %s", vu_fuse_why(&h->dev, r));
	hcheck((e.attr.mode & 0170000) == 0120000, "LOOKUP escape gives the link itself "
	    "(mode 0%o)", e.attr.mode);
	r = vu_fuse_lookup(&h->dev, e.nodeid, "passwd", &in);
	hcheck(r < 0, "LOOKUP passwd under the link to /etc: %s (want an error)",
	    vu_fuse_why(&h->dev, r));
	r = vu_fuse_open(&h->dev, e.nodeid, O_RDONLY, 1, &oo);
	if (r == 0)
		vu_fuse_release(&h->dev, e.nodeid, oo.fh, 1);
	return hcheck(r < 0, "OPENDIR of the link to /etc: %s (want an error)",
	    vu_fuse_why(&h->dev, r));
}
