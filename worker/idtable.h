/*
 * Id tables: what the guest holds as a 64-bit id (node id, fh) is a slot index in the low
 * 32 bits and the slot's generation in the high 32 bits, never a pointer or an fd. Index 0
 * is never given out. Freeing a slot bumps its generation, so an old id never finds the
 * slot's next occupant; a slot whose generation would wrap is retired for good.
 *
 * A restarted worker (--worker-restart) sets a floor: every generation below it may have
 * been given out by a predecessor, so a free slot's next id starts at the floor, and an id
 * below it that names nothing here is ESTALE. idtable_restore() puts a predecessor's id
 * back at its own slot and generation.
 *
 * The table has no lock of its own: the owner holds its lock around every call.
 */
#ifndef PRIVFSD_IDTABLE_H
#define PRIVFSD_IDTABLE_H

#include <stdint.h>

struct idslot;

struct idtable {
	struct idslot	*slots;
	uint32_t	 nslots;	/* slots ever used, slot 0 included */
	uint32_t	 cap;
	uint32_t	 free_head;	/* 0: the free list is empty */
	uint32_t	 first_cap;	/* slots allocated at the first add */
	const char	*what;		/* names the table in fatal messages */
	uint32_t	 floor;		/* generations below: a predecessor's */
	int		 relink;	/* restores left the free list to rebuild */
};

#define IDTABLE_INITIALIZER(what, first_cap)	{ NULL, 0, 0, 0, (first_cap), (what), 0, 0 }

#define IDTABLE_INDEX(id)	((uint32_t)(id))
#define IDTABLE_GEN(id)		((uint32_t)((id) >> 32))

/* Store p in a free slot; returns its id. */
uint64_t	 idtable_add(struct idtable *, void *p);
/*
 * What id names, or NULL with *err (when err is not NULL) = EBADF (never given out) or
 * ESTALE (its slot was emptied since, or it is below the floor).
 */
void		*idtable_find(const struct idtable *, uint64_t id, int *err);
/* Empty slot index (which must hold something); returns what it held. */
void		*idtable_remove(struct idtable *, uint32_t index);
/*
 * Raise the floor (never lowered): every empty slot's next generation is at least floor.
 * floor must be below UINT32_MAX.
 */
void		 idtable_set_floor(struct idtable *, uint32_t floor);
/*
 * Put p back at index with generation gen, an id a predecessor gave out (gen below the
 * floor). 0, or -1 when index is 0 or beyond max_index, or the slot is taken.
 */
int		 idtable_restore(struct idtable *, uint32_t index, uint32_t gen, void *p,
		    uint32_t max_index);
/* For walking the table: indices 1 .. idtable_end() - 1; idtable_at() may be NULL. */
uint32_t	 idtable_end(const struct idtable *);
void		*idtable_at(const struct idtable *, uint32_t index);
/* The id of what slot index holds, 0 when it is empty. */
uint64_t	 idtable_id(const struct idtable *, uint32_t index);

#endif
