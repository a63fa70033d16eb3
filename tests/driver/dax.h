/*
 * driver/vu-dax: DAX cases against privfsd, the driver playing the VMM's cache window
 * (vu_dax.c) in the flavour given with --dax-vmm. What the cases share.
 */
#ifndef DAX_H
#define DAX_H

#include "vu_cli.h"
#include "vu_fuse.h"

#define MIB		(1ULL << 20)
#define RANGE		(2 * MIB)	/* what Linux maps at a time (FUSE_DAX_SZ) */
#define FH_NONE		UINT64_MAX	/* Linux's fh in SETUPMAPPING */
#define MAP_R		FUSE_SETUPMAPPING_FLAG_READ
#define MAP_W		FUSE_SETUPMAPPING_FLAG_WRITE

struct dctx {
	struct vu_dev		 dev;
	struct fuse_init_out	 io;
	uint8_t			*win;		/* the window; NULL without one */
	uint64_t		 wsize;
};

struct dcase {
	const char	*name;
	int		(*fn)(struct dctx *);
	int		 flags;
};
#define D_OFF		0x1	/* privfsd runs without --dax: no window expected */

extern struct vu_cli	cli;
extern int		failures;

int	dcheck(int ok, const char *fmt, ...) __attribute__((__format__(printf, 2, 3)));

/* A file of the share with a known pattern (seed); its node id (LOOKUP), 0 on failure. */
uint64_t mkfile(struct dctx *, const char *name, uint64_t size, unsigned int seed);
uint8_t	 pattern_byte(unsigned int seed, uint64_t off);
/* The host file's bytes [off, +len) equal the pattern (seed2 from off2 on, if len2). */
int	 host_equals(const char *name, uint64_t off, uint64_t len, unsigned int seed);
/*
 * In a forked child (a fault must not kill the test): the window at moff holds the
 * pattern of foff.. for len bytes. 0 equal, 1 different, or the signal that killed it.
 */
int	 window_equals(struct dctx *, uint64_t moff, unsigned int seed, uint64_t foff,
	    uint64_t len);
/* In a forked child: write the pattern seed at window moff, len bytes; 0 or the signal. */
int	 window_write(struct dctx *, uint64_t moff, unsigned int seed, uint64_t foff,
	    uint64_t len);
/* In a forked child: read one byte of the window; 0 or the signal. */
int	 window_touch(struct dctx *, uint64_t moff);

int	 dax_map(struct dctx *, uint64_t nodeid, uint64_t fh, uint64_t foff, uint64_t len,
	    uint64_t flags, uint64_t moff);
int	 dax_unmap(struct dctx *, uint64_t nodeid, uint64_t moff, uint64_t len);
int	 dax_fsync(struct dctx *, uint64_t nodeid, uint64_t fh);
int	 dax_truncate(struct dctx *, uint64_t nodeid, uint64_t size);
/* The VMM's counters now. */
struct vu_dax_stats dax_stats(struct dctx *);
/* The VMM's unmaps reach n within ms. */
int	 dax_wait_unmaps(struct dctx *, uint64_t n, int ms);
/* -errno is one of a list ending with 0. */
int	 errno_in(int r, ...);

int	d_read(struct dctx *);
int	d_write(struct dctx *);
int	d_upgrade(struct dctx *);
int	d_fault(struct dctx *);
int	d_off(struct dctx *);

int	d_unaligned_moffset(struct dctx *);
int	d_unaligned_foffset(struct dctx *);
int	d_unaligned_len(struct dctx *);
int	d_zero_len(struct dctx *);
int	d_past_window(struct dctx *);
int	d_wrapping(struct dctx *);
int	d_overlapping(struct dctx *);
int	d_remove_huge_count(struct dctx *);
int	d_remove_count_mismatch(struct dctx *);
int	d_remove_never_mapped(struct dctx *);
int	d_map_directory(struct dctx *);
int	d_readonly_write(struct dctx *);
int	d_stale_fh(struct dctx *);
int	d_forgotten_node(struct dctx *);
int	d_truncate(struct dctx *);
int	d_race_release(struct dctx *);
int	d_vmm_no_reply(struct dctx *);

#endif
