/*
 * Hostile-guest rows about what the back-end reads and writes: the guest rewrites a
 * request while the back-end reads it (TOCTOU), and replies must not leak stale bytes
 * (writable buffers are filled with 0xAA first; every padding field must come back 0 and
 * no run of 0xAA may sit inside the reported length).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"

#define TOCTOU_ROUNDS	200

struct lookup_req {
	struct fuse_in_header	h;
	char			name[16];
};

/* sizeof(struct lookup_req) has tail padding: send only header + name + NUL */
#define LOOKUP_LEN	(sizeof(struct fuse_in_header) + 10)
/* 15 characters + NUL: LOOKUP of it is as long as a GETATTR (56 bytes) */
#define TOCTOU_NAME	"toctou-target15"

struct getattr_req {
	struct fuse_in_header	h;
	struct fuse_getattr_in	g;
};

/* A reply consistent with LOOKUP TOCTOU_NAME, with GETATTR of the root, or an error. */
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
		return e.nodeid != 0 && (e.attr.mode & 0170000) == 0100000 && e.attr.size == 13;
	}
	if (n == sizeof(a)) {
		memcpy(&a, r->out + sizeof(oh), sizeof(a));
		*what = "second version (GETATTR)";
		return (a.attr.mode & 0170000) == 0040000;
	}
	*what = "neither";
	return 0;
}

/* Second half of the rounds: a thread flips the request between both versions. */
struct flipper {
	struct vu_mem		*mem;
	uint64_t		 gpa;
	const void		*a, *b;
	size_t			 len;
	volatile int		 stop;
};

static void *
flip(void *arg)
{
	struct flipper *f = arg;

	while (!f->stop) {
		vu_mem_write(f->mem, f->gpa, f->b, f->len);
		vu_mem_write(f->mem, f->gpa, f->a, f->len);
	}
	return NULL;
}

struct toctou_tally {
	int	firsts, seconds, errors;
};

/* One round: 0 fine, -1 an inconsistent reply (what says which), -2 no reply. */
static int
toctou_round(struct hctx *h, int i, struct toctou_tally *t, const char **what)
{
	struct lookup_req a;
	struct getattr_req b;
	struct vu_fuse_req r;
	struct flipper f;
	pthread_t th;
	int threaded = i >= TOCTOU_ROUNDS / 2, w;

	memset(&a, 0, sizeof(a));
	vu_fuse_hdr(&h->dev, &a.h, FUSE_LOOKUP, 1, sizeof(a));
	memcpy(a.name, TOCTOU_NAME, sizeof(a.name));
	memset(&b, 0, sizeof(b));
	b.h = a.h;
	b.h.opcode = FUSE_GETATTR;
	b.h.len = i % 2 ? sizeof(b) : 0xfffffff0;	/* odd: valid; even: absurd len */
	memset(&r, 0, sizeof(r));
	r.queue = 1;
	r.in = &a;
	r.inlen = sizeof(a);
	r.layout = VU_LAYOUT_FLAT;
	r.out_args = sizeof(struct fuse_entry_out);
	if (vu_fuse_submit(&h->dev, &r) == -1)
		return -2;
	memset(&f, 0, sizeof(f));
	f.mem = &h->dev.mem;
	f.gpa = r.gpa_in;
	f.a = &a;
	f.b = &b;
	f.len = sizeof(a);
	vu_fuse_publish(&h->dev, 1);
	if (threaded && pthread_create(&th, NULL, flip, &f) != 0)
		threaded = 0;
	if (!threaded)		/* rewrite once, right after the kick */
		vu_mem_write(&h->dev.mem, r.gpa_in, &b, sizeof(b));
	w = vu_fuse_wait(&h->dev, &r, cli.opts.timeout_ms);
	if (threaded) {
		f.stop = 1;
		pthread_join(th, NULL);
	}
	if (w != 1)
		return -2;
	w = toctou_reply_ok(h, &r, &a.h, what) ? 0 : -1;
	if (w == 0 && (strcmp(*what, "error") == 0 || strcmp(*what, "malformed") == 0))
		t->errors++;
	else if (w == 0 && (*what)[0] == 'f')
		t->firsts++;
	else if (w == 0)
		t->seconds++;
	vu_fuse_req_free(&r);
	return w;
}

int
h_toctou_header(struct hctx *h)
{
	struct toctou_tally t;
	const char *what = "";
	char path[4096];
	FILE *f;
	int i, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", cli.host_dir ? cli.host_dir : ".", TOCTOU_NAME);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("hello, world\n", f);
		fclose(f);
	}
	memset(&t, 0, sizeof(t));
	for (i = 0; i < TOCTOU_ROUNDS && rc == 0; i++)
		rc = toctou_round(h, i, &t, &what);
	vu_note("%d rounds (half rewritten once after the kick, half flipped by a thread while "
	    "the back-end works): %d answered as LOOKUP, %d as the rewritten GETATTR, %d errors",
	    i, t.firsts, t.seconds, t.errors);
	return hcheck(rc == 0, "every reply matched one whole version of the request or "
	    "was an error%s%s", rc == -1 ? "; got a reply that is " : "", rc == -1 ? what :
	    (rc == -2 ? "; a request was never answered" : ""));
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
		vu_note("first stale byte at offset %zu", at);
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
