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
	uint32_t	 cap;

	if (t->cap >= UINT32_MAX / 2)
		fatalx("%s table full", t->what);
	cap = t->cap == 0 ? t->first_cap : t->cap * 2;
	if ((ns = reallocarray(t->slots, cap, sizeof(*ns))) == NULL)
		fatal("%s table", t->what);
	memset(ns + t->cap, 0, (cap - t->cap) * sizeof(*ns));
	t->slots = ns;
	t->cap = cap;
	if (t->nslots == 0)
		t->nslots = 1;		/* index 0 is never given out: id 0 means none */
}

uint64_t
idtable_add(struct idtable *t, void *p)
{
	uint32_t i;

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
			*err = EBADF;
		return NULL;
	}
	if (t->slots[i].p == NULL || t->slots[i].gen != gen) {
		if (err != NULL)
			*err = gen < t->slots[i].gen ? ESTALE : EBADF;
		return NULL;
	}
	return t->slots[i].p;
}

void *
idtable_remove(struct idtable *t, uint32_t i)
{
	struct idslot	*s = &t->slots[i];
	void		*p = s->p;

	s->p = NULL;
	/* A slot whose generation would wrap is retired, so old ids never come back. */
	if (++s->gen != UINT32_MAX) {
		s->next_free = t->free_head;
		t->free_head = i;
	}
	return p;
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
