/*
 * Hostile-guest cases: what the cases share. Each case is named after a row of the
 * attacks table in doc/security.md or a rule of doc/wire.md section 4, does one thing a
 * malicious guest (or VMM) can do, and checks the outcome; worker-lies, after the
 * security.md section on the shared page, does what a compromised worker can. For privfsd a wrong outcome
 * fails the case; for a peer it is recorded ("peer:" lines), since comparing is the point.
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include "vu_cli.h"
#include "vu_fuse.h"

/* hcase.flags */
#define H_NOINIT	0x01	/* no FUSE_INIT before the case */
#define H_INDIRECT	0x02	/* negotiate INDIRECT_DESC */
#define H_CONTIG_REGIONS	0x04	/* three regions, contiguous in guest physical space */
#define H_BREAKS	0x08	/* queue 1 may end up broken: no GETATTR on it afterwards */
#define H_MAY_CLOSE	0x10	/* privfsd may close the connection (vhost-user violation) */
#define H_NOSTART	0x20	/* connect only: the case sends the start sequence itself */
#define H_MEM_SEALABLE	0x40	/* guest memory memfd created with MFD_ALLOW_SEALING */

struct hctx {
	struct vu_dev	 dev;
	uint64_t	 hello;		/* node id of hello.txt (after INIT) */
	int		 broken_seen;	/* err fd fired or log said "broken" */
};

struct hcase {
	const char	*name;
	const char	*ref;		/* doc/security.md attacks row / doc/wire.md rule */
	int		(*fn)(struct hctx *);
	int		 flags;
};

/* What came back after a hostile kick. */
struct outcome {
	int		used;		/* a used entry appeared */
	uint32_t	id, len;
	int		err_fd;		/* the back-end signalled the vring err eventfd */
	int		closed;		/* the back-end closed the vhost-user socket */
};

extern struct vu_cli	cli;
extern int		failures;

/*
 * The verdict on one check: for privfsd a failure counts; for peers it is only printed.
 * Returns ok.
 */
int	hcheck(int ok, const char *fmt, ...) __attribute__((__format__(printf, 2, 3)));

/* Raw ring access on request queue 1: descriptors at the top of the table. */
#define RAW_DESC(ring, k)	((uint16_t)((ring)->num - 1 - (k)))
void	raw_desc(struct vu_ring *, uint16_t idx, uint64_t addr, uint32_t len, uint16_t flags,
	    uint16_t next);
void	raw_push(struct vu_ring *, uint16_t head);
/* A GETATTR of the root in guest memory (72 bytes readable); *unique set. */
uint64_t put_getattr(struct hctx *, uint64_t *unique);
/* Writable guest memory filled with 0xAA. */
uint64_t alloc_out(struct hctx *, uint32_t len);
/* Wait up to ms for a used entry (consumed raw), the err fd or a close. */
void	wait_outcome(struct hctx *, struct vu_ring *, int ms, struct outcome *);
/* "broken or failed": err fd, close, a used entry with an error reply or len 0, or a log line. */
int	broken_or_failed(struct hctx *, const struct outcome *, uint64_t out_gpa,
	    const char *what);
/* The back-end's log (DRIVER_BACKEND_LOG) contains s. */
int	log_has(const char *s);
/* The same within LOG_SOON_MS (lines pass through the broker's relay): s, or any of pats. */
#define LOG_SOON_MS	3000
int	log_soon(const char *s);
int	log_soon_any(const char *const *pats, size_t n);

/* A FUSE request as raw bytes on queue 1 with outcap writable bytes; the reply checked. */
int	fuse_bytes(struct hctx *, const void *in, size_t inlen, size_t outcap,
	    struct vu_fuse_req *keep);

int	h_avail_idx_jump(struct hctx *);
int	h_head_out_of_range(struct hctx *);
int	h_next_out_of_range(struct hctx *);
int	h_desc_loop(struct hctx *);
int	h_indirect_len0(struct hctx *);
int	h_indirect_len_not16(struct hctx *);
int	h_indirect_too_large(struct hctx *);
int	h_indirect_nested(struct hctx *);
int	h_indirect_next(struct hctx *);
int	h_indirect_not_negotiated(struct hctx *);
int	h_buffer_outside(struct hctx *);
int	h_buffer_cross_regions(struct hctx *);
int	h_addr_overflow(struct hctx *);
int	h_readable_after_writable(struct hctx *);
int	h_ring_outside(struct hctx *);
int	h_ring_misaligned(struct hctx *);
int	h_used_over_avail(struct hctx *);
int	h_kick_not_pollable(struct hctx *);
int	h_queue_size_not_pow2(struct hctx *);

int	h_vu_oversized(struct hctx *);
int	h_vu_wrong_size(struct hctx *);
int	h_vu_unknown_request(struct hctx *);
int	h_vu_extra_fds(struct hctx *);
int	h_vu_mem_table_bad(struct hctx *);
int	h_log_base_bad(struct hctx *);
int	h_log_base_short(struct hctx *);

int	h_fuse_truncated_header(struct hctx *);
int	h_fuse_len_larger_than_chain(struct hctx *);
int	h_fuse_len_too_large(struct hctx *);
int	h_fuse_body_short(struct hctx *);
int	h_name_no_nul(struct hctx *);
int	h_name_embedded_nul(struct hctx *);
int	h_name_too_long(struct hctx *);
int	h_name_slash(struct hctx *);
int	h_name_dotdot(struct hctx *);
int	h_name_empty_abs(struct hctx *);
int	h_bogus_nodeid(struct hctx *);
int	h_forget_unknown(struct hctx *);
int	h_double_release(struct hctx *);
int	h_batch_forget_overflow(struct hctx *);
int	h_read_size_too_large(struct hctx *);
int	h_getxattr_size_too_large(struct hctx *);
int	h_toctou_header(struct hctx *);
int	h_reply_padding(struct hctx *);
int	h_open_flags(struct hctx *);
int	h_open_special(struct hctx *);
int	h_worker_lies(struct hctx *);
int	h_symlink_escape(struct hctx *);

int	h_lock_wait_stop(struct hctx *);
int	h_lock_wait_stop_host(struct hctx *);
int	h_log_flood(struct hctx *);
int	h_mem_shrink_sealable(struct hctx *);
int	h_mem_shrink_unsealable(struct hctx *);

#endif
