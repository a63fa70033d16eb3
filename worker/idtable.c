/*
 * Index + generation id tables, shared by the node and handle tables (idtable.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "idtable.h"

struct idslot {
	void		*p;
	uint32_t	 gen;
	uint32_t	 next_free;	/* 0: end of the free list */
};

static void
idtable_grow(struct idtable *t)
{
	struct idslot	*ns;
	uint32_t	 cap, i;

	if (t->cap >= UINT32_MAX / 2)
		fatalx("%s table full", t->what);
	cap = t->cap == 0 ? t->first_cap : t->cap * 2;
	if ((ns = reallocarray(t->slots, cap, sizeof(*ns))) == NULL)
		fatal("%s table", t->what);
	memset(ns + t->cap, 0, (cap - t->cap) * sizeof(*ns));
	for (i = t->cap; i < cap; i++)
		ns[i].gen = t->floor;
	t->slots = ns;
	t->cap = cap;
	if (t->nslots == 0)
		t->nslots = 1;		/* index 0 is never given out: id 0 means none */
}

/* Rebuild the free list from the empty slots, lowest index first out. */
static void
idtable_relink(struct idtable *t)
{
	uint32_t i;

	t->free_head = 0;
	for (i = t->nslots; i-- > 1;) {
		if (t->slots[i].p != NULL || t->slots[i].gen == UINT32_MAX)
			continue;
		t->slots[i].next_free = t->free_head;
		t->free_head = i;
	}
	t->relink = 0;
}

uint64_t
idtable_add(struct idtable *t, void *p)
{
	uint32_t i;

	if (t->relink)
		idtable_relink(t);
	if (t->free_head != 0) {
		i = t->free_head;
		t->free_head = t->slots[i].next_free;
	} else {
		if (t->nslots == t->cap)
			idtable_grow(t);
		i = t->nslots++;
	}
	t->slots[i].p = p;
	return (uint64_t)t->slots[i].gen << 32 | i;
}

void *
idtable_find(const struct idtable *t, uint64_t id, int *err)
{
	uint32_t	 i = IDTABLE_INDEX(id), gen = IDTABLE_GEN(id);

	if (i == 0 || i >= t->nslots) {
		if (err != NULL)
			*err = i != 0 && gen < t->floor ? ESTALE : EBADF;
		return NULL;
	}
	if (t->slots[i].p == NULL || t->slots[i].gen != gen) {
		if (err != NULL)
			*err = gen < t->slots[i].gen || gen < t->floor ? ESTALE : EBADF;
		return NULL;
	}
	return t->slots[i].p;
}

void *
idtable_remove(struct idtable *t, uint32_t i)
{
	struct idslot	*s = &t->slots[i];
	void		*p = s->p;

	/* Before the slot is empty: a relink must not list it as well as the push below. */
	if (t->relink)
		idtable_relink(t);
	s->p = NULL;
	/* A restored slot's next id is past every id a predecessor may have given out. */
	s->gen = s->gen < t->floor ? t->floor : s->gen + 1;
	/* A slot whose generation would wrap is retired, so old ids never come back. */
	if (s->gen != UINT32_MAX) {
		s->next_free = t->free_head;
		t->free_head = i;
	}
	return p;
}

void
idtable_set_floor(struct idtable *t, uint32_t floor)
{
	uint32_t i;

	if (floor == UINT32_MAX)
		fatalx("%s table: floor %u", t->what, floor);
	if (floor <= t->floor)
		return;
	t->floor = floor;
	for (i = 1; i < t->cap; i++)
		if (t->slots[i].p == NULL && t->slots[i].gen < floor)
			t->slots[i].gen = floor;
}

int
idtable_restore(struct idtable *t, uint32_t i, uint32_t gen, void *p, uint32_t max_index)
{
	if (i == 0 || i > max_index || i >= UINT32_MAX / 2 || gen >= t->floor || p == NULL)
		return -1;
	while (i >= t->cap)
		idtable_grow(t);
	if (i < t->nslots && (t->slots[i].p != NULL || t->slots[i].gen == UINT32_MAX))
		return -1;		/* taken, or retired for good */
	/* The slots skipped on the way up are empty at the floor, as grown. */
	if (i >= t->nslots)
		t->nslots = i + 1;
	t->slots[i].p = p;
	t->slots[i].gen = gen;
	/* i may have been on the free list, and the skipped slots are on none. */
	t->relink = 1;
	return 0;
}

uint32_t
idtable_end(const struct idtable *t)
{
	return t->nslots;
}

void *
idtable_at(const struct idtable *t, uint32_t i)
{
	return i < t->nslots ? t->slots[i].p : NULL;
}

uint64_t
idtable_id(const struct idtable *t, uint32_t i)
{
	if (i >= t->nslots || t->slots[i].p == NULL)
		return 0;
	return (uint64_t)t->slots[i].gen << 32 | i;
}
