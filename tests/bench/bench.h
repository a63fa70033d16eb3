/*
 * vu-bench: the same FUSE workloads against any vhost-user-fs back-end, through the
 * driver library (tests/driver). Requests are laid out as Linux 6.1 lays them out (one
 * descriptor per data page, indirect tables), in preallocated guest buffers, so the
 * driver's own cost is small and the same for every back-end.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <linux/fuse.h>

#include "../driver/vu_driver.h"
#include "../driver/vu_fuse.h"

#define BENCH_PAGE	4096u
#define BENCH_MAX_IO	(1024u * 1024u)
#define BENCH_MAX_DEPTH	16
#define BENCH_NFORGET	32

/* One request's guest buffers, reused for every request it carries. */
struct bench_slot {
	uint64_t	 gin, gout;	/* in area: header + args page, then data pages */
	uint8_t		*pin, *pout;
	size_t		 inpages, outpages;
	unsigned int	 queue;
	struct vu_buf	 segs[VU_FUSE_MAX_SEGS];
	uint64_t	 unique;
	uint64_t	 t0;		/* submit time (ns), for latency */
	uint64_t	 arg;		/* caller's: offset, index ... */
	uint32_t	 used_len;
	int		 busy;
	int		 done;
};

struct bench {
	struct vu_dev	 dev;
	const char	*backend;
	double		 seconds;	/* per workload */
	uint64_t	 file_size;	/* of "big" */
	unsigned int	 seq_depth;
	int		 scatter;	/* data pages one apart, as in a guest's page cache */
	uint32_t	 max_io;	/* what INIT allows per READ/WRITE */
	int		 broken;	/* a timeout or bad reply: skip the rest */
	uint64_t	 completed;	/* requests answered, all queues: CPU per request */
	struct bench_slot slot[BENCH_MAX_DEPTH];
	struct bench_slot fslot[BENCH_NFORGET];	/* FORGETs on hiprio */
	struct fuse_init_out init;
};

/* bench_req.c */
uint64_t now_ns(void);
int	 bench_setup(struct bench *);
/* Args buffer of a slot (after the in header). */
void	*slot_args(struct bench_slot *);
/* Reply payload (after the out header), and the data pages. */
void	*slot_reply(struct bench_slot *);
void	*slot_pages(struct bench_slot *);
int	 slot_submit(struct bench *, struct bench_slot *, uint32_t op, uint64_t nodeid,
	    size_t arglen, size_t wlen, size_t out_args, size_t out_pages);
void	 bench_publish(struct bench *, unsigned int queue);
/* Wait for one completion on queue q: its slot, NULL on failure (b->broken set). */
struct bench_slot *bench_reap(struct bench *, unsigned int q);
/* A reply's error (0 or -errno), checking out.len and unique; BADREPLY on nonsense. */
int	 slot_error(struct bench *, struct bench_slot *);
/* Synchronous request on queue 1 using slot 0. */
int	 bench_call(struct bench *, uint32_t op, uint64_t nodeid, size_t arglen, size_t wlen,
	    size_t out_args, size_t out_pages);
int	 bench_forget(struct bench *, uint64_t nodeid);
void	 bench_drain_forgets(struct bench *);

/* bench_ops.c: common requests through slot 0 */
int	 op_lookup(struct bench *, uint64_t parent, const char *name, uint64_t *nodeid);
int	 op_open(struct bench *, uint64_t nodeid, uint32_t flags, int dir, uint64_t *fh);
int	 op_release(struct bench *, uint64_t nodeid, uint64_t fh, int dir);
int	 op_create(struct bench *, uint64_t parent, const char *name, uint64_t *nodeid,
	    uint64_t *fh);
int	 op_unlink(struct bench *, uint64_t parent, const char *name);
int	 op_getattr(struct bench *, uint64_t nodeid);
void	 fill_rw(struct bench_slot *, uint64_t fh, uint64_t off, uint32_t size);
void	 fill_name(struct bench_slot *, const char *name, size_t *arglen);

/* bench_work.c: each prints its result line(s) */
/* the argument: request size, queue depth or nothing */
void	 work_seq_read(struct bench *, unsigned int reqsize);
void	 work_rand_read(struct bench *, unsigned int depth);
void	 work_seq_write(struct bench *, unsigned int reqsize);
void	 work_lookup(struct bench *, unsigned int);
void	 work_create(struct bench *, unsigned int);
void	 work_readdir(struct bench *, unsigned int plus);
void	 work_latency(struct bench *, unsigned int);
/* bench_dax.c: reads through the DAX window (only with one) */
void	 work_dax_read(struct bench *, unsigned int);

/* bench_rss.c: pid and all its descendants; memory in kB, CPU time in us */
int	 rss_tree(int pid, uint64_t *rss_kb, uint64_t *anon_kb, int *nproc);
int	 pss_tree(int pid, uint64_t *pss_kb, uint64_t *private_dirty_kb, int *nproc);
int	 cpu_tree(int pid, uint64_t *us);

/* vu-bench.c */
void	 result(struct bench *, const char *key, double v, const char *unit);
void	 result_na(struct bench *, const char *key, const char *why);

#endif
