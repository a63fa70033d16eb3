/*
 * A FUSE client over the driver's rings, building chains the way Linux 6.1's virtio_fs.c
 * does: readable = in header | in args | write pages, writable = out header | out args |
 * read pages (one descriptor per page). Writable buffers are filled with 0xAA first so
 * tests can see which bytes the back-end wrote.
 */
#ifndef VU_FUSE_H
#define VU_FUSE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fuse.h>

#include "vu_driver.h"

#define VU_FUSE_FILL		0xAA
#define VU_FUSE_MAX_SEGS	300

/* Results of vu_fuse_call() beyond 0 / -errno. */
#define VU_FUSE_TIMEOUT		1	/* no used entry in time */
#define VU_FUSE_BADREPLY	2	/* out.len != used len, wrong unique, bad error value */
#define VU_FUSE_FAILED		3	/* could not submit (driver side) */

enum vu_fuse_layout {
	VU_LAYOUT_LINUX = 0,	/* as Linux: header, args, pages */
	VU_LAYOUT_FLAT,		/* one readable and one writable descriptor */
	VU_LAYOUT_BYTES,	/* hostile: readable part in descriptors of seg_len bytes */
};

struct vu_fuse_req {
	/* set by the caller */
	unsigned int	 queue;		/* 0 hiprio, 1.. request queues */
	const void	*in;		/* fuse_in_header + args, sent as is */
	size_t		 inlen;
	const void	*wdata;		/* WRITE payload, page per descriptor */
	size_t		 wdatalen;
	size_t		 out_args;	/* writable bytes after the out header (not split) */
	size_t		 out_pages;	/* writable bytes split per page (READ, READDIR..) */
	int		 no_out;	/* no writable part at all (FORGET) */
	int		 indirect;	/* 0 as Linux (when negotiated and > 1 segment), 1 always, -1 never */
	enum vu_fuse_layout layout;
	uint32_t	 seg_len;	/* VU_LAYOUT_BYTES */

	/* filled by the driver */
	int		 head;
	int		 done;
	uint32_t	 used_len;
	uint64_t	 done_order;	/* completion sequence number, over all requests */
	int		 overrun;	/* the back-end wrote guest memory around the buffers */
	uint8_t		*out;		/* copy of the whole writable area after completion */
	size_t		 outcap;
	uint64_t	 gpa_in, gpa_out;
	size_t		 alloc_in, alloc_out;
	struct vu_buf	*segs;		/* readable then writable segments */
	unsigned int	 nrd, nwr;
};

/* Asynchronous use: submit any number, then wait for each (completions in any order). */
int	vu_fuse_submit(struct vu_dev *, struct vu_fuse_req *);
/* Publish submitted chains on a queue (vu_fuse_submit does not, so requests can batch). */
void	vu_fuse_publish(struct vu_dev *, unsigned int queue);
/* 1 done, 0 timeout, -1 bad used entry. */
int	vu_fuse_wait(struct vu_dev *, struct vu_fuse_req *, int timeout_ms);
/* Check a completed reply (out.len == used len, unique); 0, -errno or VU_FUSE_BADREPLY. */
int	vu_fuse_check(struct vu_dev *, const struct vu_fuse_req *, const struct fuse_in_header *);
void	vu_fuse_req_free(struct vu_fuse_req *);

/* Fill a header: len from inlen, next unique, uid/gid 0, pid 1. */
void	vu_fuse_hdr(struct vu_dev *, struct fuse_in_header *, uint32_t opcode, uint64_t nodeid,
	    size_t inlen);
/*
 * Synchronous call on request queue 1: in (header + args) -> reply payload (after the out
 * header) copied to out, at most outcap, length in *outlen. Returns 0, -errno,
 * VU_FUSE_TIMEOUT, VU_FUSE_BADREPLY or VU_FUSE_FAILED; the reason is in dev->err.
 */
int	vu_fuse_call(struct vu_dev *, const void *in, size_t inlen, size_t out_args,
	    size_t out_pages, void *out, size_t outcap, size_t *outlen);
/* Same with the request structure given (queue, layout, indirect); keeps req->out. */
int	vu_fuse_call_req(struct vu_dev *, struct vu_fuse_req *);

/* Helpers. Each returns 0, -errno or a VU_FUSE_* code. */
int	vu_fuse_init(struct vu_dev *, struct fuse_init_out *);
int	vu_fuse_init_ex(struct vu_dev *, uint32_t minor, uint64_t flags, struct fuse_init_out *);
int	vu_fuse_destroy(struct vu_dev *);
int	vu_fuse_lookup(struct vu_dev *, uint64_t parent, const char *name, struct fuse_entry_out *);
int	vu_fuse_getattr(struct vu_dev *, uint64_t nodeid, struct fuse_attr_out *);
int	vu_fuse_open(struct vu_dev *, uint64_t nodeid, uint32_t flags, int dir, struct fuse_open_out *);
int	vu_fuse_release(struct vu_dev *, uint64_t nodeid, uint64_t fh, int dir);
int	vu_fuse_read(struct vu_dev *, uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size,
	    void *buf, size_t *got);
/* WRITE: data goes one descriptor per page after the fuse_write_in, as Linux sends it. */
int	vu_fuse_write(struct vu_dev *, uint64_t nodeid, uint64_t fh, uint64_t off,
	    const void *buf, uint32_t size, uint32_t *written);
/* READDIR or READDIRPLUS (plus = 1) from offset: raw entries into buf. */
int	vu_fuse_readdir(struct vu_dev *, uint64_t nodeid, uint64_t fh, uint64_t off, uint32_t size,
	    int plus, void *buf, size_t *got);
int	vu_fuse_statfs(struct vu_dev *, struct fuse_statfs_out *);
int	vu_fuse_readlink(struct vu_dev *, uint64_t nodeid, char *buf, size_t cap);
/* FORGET on hiprio: waits until the chain is returned (used len must be 0). */
int	vu_fuse_forget(struct vu_dev *, uint64_t nodeid, uint64_t nlookup);
/* GETLK/SETLK/SETLKW as Linux fills them: the whole file, lock owner and fh given. */
struct vu_fuse_lk {
	struct fuse_in_header	h;
	struct fuse_lk_in	lk;
};
void	vu_fuse_lk_fill(struct vu_dev *, struct vu_fuse_lk *, uint32_t opcode, uint64_t nodeid,
	    uint64_t fh, uint64_t owner, uint32_t type, int flock);
/* SETLK (never waits): 0 or -errno (-EAGAIN when another owner holds a conflicting lock). */
int	vu_fuse_setlk(struct vu_dev *, uint64_t nodeid, uint64_t fh, uint64_t owner,
	    uint32_t type, int flock);
/*
 * DAX, as Linux 6.1 sends them: SETUPMAPPING of [foffset, +len) of the file at window
 * offset moffset (flags FUSE_SETUPMAPPING_FLAG_READ | _WRITE; Linux gives fh (u64)-1),
 * REMOVEMAPPING of count ranges. Status only.
 */
int	vu_fuse_setupmapping(struct vu_dev *, uint64_t nodeid, uint64_t fh, uint64_t foffset,
	    uint64_t len, uint64_t flags, uint64_t moffset);
int	vu_fuse_removemapping(struct vu_dev *, uint64_t nodeid,
	    const struct fuse_removemapping_one *, uint32_t count);
/* Raw: send these bytes, give me the reply (whole writable area up to outcap). */
int	vu_fuse_raw(struct vu_dev *, unsigned int queue, const void *in, size_t inlen,
	    size_t outcap, void *out, uint32_t *used_len);

/*
 * Directory listing: every name READDIR(PLUS) returns for nodeid (all pages), sorted,
 * "." and ".." left out, as a newline-separated string (malloc'ed).
 */
int	vu_fuse_list_dir(struct vu_dev *, uint64_t nodeid, int plus, char **names);

const char *vu_fuse_strerror(int r);
/* Same, with dev->err appended for the VU_FUSE_* codes (static buffer). */
const char *vu_fuse_why(const struct vu_dev *, int r);

#endif
