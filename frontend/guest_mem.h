/*
 * The guest memory table (guest_mem.c): QEMU's regions mapped here, with stable slot
 * numbers, translation of guest physical and QEMU virtual addresses, and staged changes
 * that its caller mirrors to the worker through the broker.
 */
#ifndef PRIVFSD_GUEST_MEM_H
#define PRIVFSD_GUEST_MEM_H

#include <stdint.h>

#include "msg.h"	/* MEM_MAX_SLOTS */
#include "vhost_user.h"	/* struct vu_mem_region, struct vu_mem_table */

struct gm_piece {
	uint8_t		*host;		/* this process's address of the first byte */
	uint64_t	 offset;	/* offset in the slot's mapping (= fd offset) */
	uint64_t	 len;		/* bytes from host to the end of the request or region */
	uint32_t	 slot;
};

/*
 * The piece of [gpa, gpa + len) that starts at gpa: in one region, len clipped where the
 * region ends (callers loop to split). len > 0. Returns 0, or -1 when gpa is not mapped.
 */
int	gm_gpa(uint64_t gpa, uint64_t len, struct gm_piece *);
/* A QEMU virtual range that must lie inside one region: host pointer or NULL. */
void	*gm_uaddr(uint64_t uaddr, uint64_t len);
/* The same as a piece of its slot: 0, or -1 when not inside one region. */
int	gm_uaddr_piece(uint64_t uaddr, uint64_t len, struct gm_piece *);
uint32_t gm_gen(void);
/* Keep fd from shrinking under a mapping (F_SEAL_SHRINK): 1 sealed, 0 not possible. */
int	gm_seal_shrink(int fd);
/* Before the sandbox: survive SIGBUS on guest memory (a region file that shrank). */
void	gm_sigbus_init(void);
/* 0, or the slot + 1 of a region whose memory was lost to a SIGBUS. */
uint32_t gm_lost(void);
uint64_t gm_slot_gpa(uint32_t slot);
uint32_t gm_nslots(void);
/*
 * A piece mapped under an older table is still [host, host + len) of slot's mapping now
 * (its region stayed). Only for chains a memory change did not wait for (vq_detach()).
 */
int	gm_piece_live(uint32_t slot, const uint8_t *host, size_t len);

/* What a commit changed: the caller mirrors it to the worker (through the broker). */
struct gm_change {
	uint32_t		gen;		/* the new generation */
	uint32_t		nslots;		/* slots in use after the change */
	uint32_t		ndel;
	uint32_t		del[MEM_MAX_SLOTS];
	uint32_t		nadd;
	uint32_t		add_slot[VU_TABLE_REGIONS];
	struct vu_mem_region	add[VU_TABLE_REGIONS];
	int			add_fd[VU_TABLE_REGIONS];	/* now the caller's */
};

/*
 * Changes are staged (checked, new regions mapped; the live table untouched), then
 * committed once nothing holds segments of the old table: commit swaps the table,
 * unmaps what went away and reports the changed slots in *out. Staging owns every fd it
 * is given: closed on failure or when the region is already mapped, else handed to the
 * caller by the commit. Returns 0 or -1 (logged; nothing staged).
 */
int	gm_stage_table(const struct vu_mem_table *, const int *fds, unsigned int nfds);
int	gm_stage_add(const struct vu_mem_region *, int fd);
int	gm_stage_rem(const struct vu_mem_region *);
void	gm_commit(struct gm_change *out);

#endif
