/*
 * Hostile-guest rows about what the back-end reads and writes: the guest rewrites a
 * request while the back-end reads it (TOCTOU), and replies must not leak stale bytes
 * (writable buffers are filled with 0xAA first; every padding field must come back 0 and
 * no run of 0xAA may sit inside the reported length).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define TOCTOU_ROUNDS	200

struct lookup_req {
	struct fuse_in_header	h;
	char			name[10];
};

/* sizeof(struct lookup_req) has tail padding: send only header + name + NUL */
#define LOOKUP_LEN	(sizeof(struct fuse_in_header) + 10)

struct getattr_req {
	struct fuse_in_header	h;
	struct fuse_getattr_in	g;
};

/* A reply consistent with LOOKUP hello.txt, with GETATTR of the root, or an error. */
static int
toctou_reply_ok(struct hctx *h, const struct vu_fuse_req *r, const struct fuse_in_header *ih,
    const char **what)
{
	struct fuse_out_header oh;
	struct fuse_entry_out e;
	struct fuse_attr_out a;
	size_t n;

	if (vu_fuse_check(&h->dev, r, ih) == VU_FUSE_BADREPLY) {
		*what = "malformed";
		return strstr(h->dev.err, "used len 0") != NULL;
	}
	memcpy(&oh, r->out, sizeof(oh));
	n = oh.len - sizeof(oh);
	if (oh.error != 0) {
		*what = "error";
		return 1;
	}
	if (n == sizeof(e)) {
		memcpy(&e, r->out + sizeof(oh), sizeof(e));
		*what = "first version (LOOKUP)";
		return e.nodeid == h->hello && e.attr.size == 13;
	}
	if (n == sizeof(a)) {
		memcpy(&a, r->out + sizeof(oh), sizeof(a));
		*what = "second version (GETATTR)";
		return (a.attr.mode & 0170000) == 0040000;
	}
	*what = "neither";
	return 0;
}

int
h_toctou_header(struct hctx *h)
{
	struct lookup_req a;
	struct getattr_req b;
	struct vu_fuse_req r;
	const char *what = "";
	int i, bad = 0, firsts = 0, seconds = 0, errors = 0, lost = 0;

	for (i = 0; i < TOCTOU_ROUNDS && !bad; i++) {
		memset(&a, 0, sizeof(a));
		vu_fuse_hdr(&h->dev, &a.h, FUSE_LOOKUP, 1, LOOKUP_LEN);
		memcpy(a.name, "hello.txt", 10);
		memset(&b, 0, sizeof(b));
		b.h = a.h;
		b.h.opcode = FUSE_GETATTR;
		b.h.len = i % 2 ? sizeof(b) : 0xfffffff0;	/* odd: valid; even: absurd len */
		memset(&r, 0, sizeof(r));
		r.queue = 1;
		r.in = &a;
		r.inlen = LOOKUP_LEN;
		r.layout = VU_LAYOUT_FLAT;
		r.out_args = sizeof(struct fuse_entry_out);
		if (vu_fuse_submit(&h->dev, &r) == -1)
			return hcheck(0, "submit: %s", h->dev.err);
		vu_fuse_publish(&h->dev, 1);
		/* rewrite right after the kick: header and name */
		vu_mem_write(&h->dev.mem, r.gpa_in, &b, sizeof(b));
		if (vu_fuse_wait(&h->dev, &r, cli.opts.timeout_ms) != 1) {
			lost++;
			break;
		}
		if (!toctou_reply_ok(h, &r, &a.h, &what))
			bad = 1;
		else if (strcmp(what, "error") == 0 || strcmp(what, "malformed") == 0)
			errors++;
		else if (what[0] == 'f')
			firsts++;
		else
			seconds++;
		vu_fuse_req_free(&r);
	}
	hnote("%d rounds: %d answered as the first version, %d as the second, %d errors",
	    i, firsts, seconds, errors);
	if (seconds > 0)
		hnote("%s read the request after the guest rewrote it (no copy-then-validate "
		    "visible, yet consistent)", cli.backend);
	return hcheck(!bad && !lost, "every reply matched one whole version of the request or "
	    "was an error%s%s", bad ? "; got a reply that is " : "", bad ? what :
	    (lost ? "; a request was never answered" : ""));
}

/* No run of four 0xAA bytes inside what the back-end says it wrote. */
static int
no_stale(const uint8_t *p, size_t n, size_t *at)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		run = p[i] == VU_FUSE_FILL ? run + 1 : 0;
		if (run == 4) {
			*at = i - 3;
			return 0;
		}
	}
	return 1;
}

static int
fixed_reply(struct hctx *h, const void *in, size_t inlen, size_t outlen, uint8_t *out,
    const char *what)
{
	struct vu_fuse_req r;
	struct fuse_in_header ih;
	size_t at = 0;
	int rc, clean;

	memcpy(&ih, in, sizeof(ih));
	memset(&r, 0, sizeof(r));
	r.queue = 1;
	r.in = in;
	r.inlen = inlen;
	r.out_args = outlen;
	rc = vu_fuse_call_req(&h->dev, &r);
	if (rc != 0) {
		hcheck(0, "%s: %s", what, vu_fuse_why(&h->dev, rc));
		vu_fuse_req_free(&r);
		return -1;
	}
	clean = no_stale(r.out, r.used_len, &at);
	hcheck(clean, "%s: %u bytes written, %s", what, r.used_len,
	    clean ? "no 0xAA left inside" : "0xAA bytes left inside the reply");
	if (!clean)
		hnote("first stale byte at offset %zu", at);
	memcpy(out, r.out + sizeof(struct fuse_out_header), outlen);
	vu_fuse_req_free(&r);
	return 0;
}

static void
padding_attr_entry(struct hctx *h)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} ga;
	struct lookup_req lk;
	struct fuse_attr_out a;
	struct fuse_entry_out e;

	memset(&ga, 0, sizeof(ga));
	vu_fuse_hdr(&h->dev, &ga.h, FUSE_GETATTR, 1, sizeof(ga));
	if (fixed_reply(h, &ga, sizeof(ga), sizeof(a), (uint8_t *)&a, "GETATTR root") == 0)
		hcheck(a.dummy == 0, "fuse_attr_out.dummy is 0 (0x%x)", a.dummy);
	memset(&lk, 0, sizeof(lk));
	vu_fuse_hdr(&h->dev, &lk.h, FUSE_LOOKUP, 1, LOOKUP_LEN);
	memcpy(lk.name, "hello.txt", 10);
	fixed_reply(h, &lk, LOOKUP_LEN, sizeof(e), (uint8_t *)&e, "LOOKUP hello.txt");
}

static void
padding_open_statfs(struct hctx *h)
{
	struct {
		struct fuse_in_header h;
		struct fuse_open_in o;
	} op;
	struct fuse_in_header sf;
	struct fuse_open_out oo;
	struct fuse_statfs_out s;
	int i, spare = 0;

	memset(&op, 0, sizeof(op));
	vu_fuse_hdr(&h->dev, &op.h, FUSE_OPEN, h->hello, sizeof(op));
	if (fixed_reply(h, &op, sizeof(op), sizeof(oo), (uint8_t *)&oo, "OPEN hello.txt") == 0) {
		hcheck(oo.padding == 0, "fuse_open_out.padding is 0 (0x%x)", oo.padding);
		vu_fuse_release(&h->dev, h->hello, oo.fh, 0);
	}
	vu_fuse_hdr(&h->dev, &sf, FUSE_STATFS, 1, sizeof(sf));
	if (fixed_reply(h, &sf, sizeof(sf), sizeof(s), (uint8_t *)&s, "STATFS") == 0) {
		for (i = 0; i < 6; i++)
			spare |= s.st.spare[i];
		hcheck(s.st.padding == 0 && spare == 0, "fuse_kstatfs padding and spare[] are 0");
	}
}

/* Bytes between the end of each name and the 8-byte aligned end of its record. */
static void
padding_dirents(struct hctx *h)
{
	struct fuse_open_out oo;
	uint8_t buf[4096];
	size_t got, pos = 0, k;
	int r, bad = 0, n = 0;

	if ((r = vu_fuse_open(&h->dev, 1, O_RDONLY | O_DIRECTORY, 1, &oo)) != 0) {
		hcheck(0, "OPENDIR root: %s", vu_fuse_why(&h->dev, r));
		return;
	}
	r = vu_fuse_readdir(&h->dev, 1, oo.fh, 0, sizeof(buf), 0, buf, &got);
	while (r == 0 && pos + FUSE_NAME_OFFSET <= got) {
		struct fuse_dirent d;
		size_t end, rec;

		memcpy(&d, buf + pos, FUSE_NAME_OFFSET);
		end = pos + FUSE_NAME_OFFSET + d.namelen;
		rec = pos + FUSE_DIRENT_SIZE(&d);
		if (rec > got)
			break;
		for (k = end; k < rec; k++)
			if (buf[k] != 0)
				bad = 1;
		pos = rec;
		n++;
	}
	hcheck(r == 0 && !bad && n > 0, "READDIR: %d entries, name padding %s", n,
	    bad ? "carries stale bytes" : "all zero");
	vu_fuse_release(&h->dev, 1, oo.fh, 1);
}

int
h_reply_padding(struct hctx *h)
{
	struct fuse_init_out io;
	int i, r, unused = 0;

	padding_attr_entry(h);
	padding_open_statfs(h);
	padding_dirents(h);
	/* last: a second INIT resets the session */
	r = vu_fuse_init(&h->dev, &io);
	for (i = 0; i < 7; i++)
		unused |= io.unused[i];
	hcheck(r == 0 && unused == 0, "INIT reply: %s, unused[] all 0",
	    vu_fuse_why(&h->dev, r));
	return 0;
}
