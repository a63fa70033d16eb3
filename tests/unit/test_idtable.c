/*
 * The worker's id tables (worker/idtable.c): index 0 never given out, ids of emptied slots
 * EBADF or ESTALE and never valid again, free slots reused with a new generation, growth;
 * and a restarted worker's table: the floor, ids put back at their slots, ESTALE below.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "idtable.h"
#include "check.h"

static int	objs[3000];

/* A table after a restart: the root added first, then the floor, then restored ids. */
static void
test_floor(void)
{
	struct idtable	t = IDTABLE_INITIALIZER("test", 4);
	uint64_t	root, n, m;
	int		err, ok;
	uint32_t	i;

	root = idtable_add(&t, &objs[0]);
	idtable_set_floor(&t, 100);
	CHECK(root == 1 && idtable_find(&t, root, &err) == &objs[0]);
	/* Restored ids: below the floor only, into empty slots, within the bound. */
	CHECK(idtable_restore(&t, 5, 7, &objs[5], 10) == 0);
	CHECK(idtable_restore(&t, 3, 99, &objs[3], 10) == 0);
	CHECK(idtable_restore(&t, 5, 8, &objs[6], 10) == -1);		/* taken */
	CHECK(idtable_restore(&t, 1, 0, &objs[6], 10) == -1);		/* the root's */
	CHECK(idtable_restore(&t, 4, 100, &objs[6], 10) == -1);		/* not below */
	CHECK(idtable_restore(&t, 11, 1, &objs[6], 10) == -1);		/* past the bound */
	CHECK(idtable_restore(&t, 0, 1, &objs[6], 10) == -1);
	CHECK(idtable_find(&t, (uint64_t)7 << 32 | 5, &err) == &objs[5]);
	CHECK(idtable_find(&t, (uint64_t)99 << 32 | 3, &err) == &objs[3]);
	/* A predecessor's id that is not back: ESTALE, in range or not. */
	err = 0;
	CHECK(idtable_find(&t, (uint64_t)7 << 32 | 4, &err) == NULL && err == ESTALE);
	err = 0;
	CHECK(idtable_find(&t, (uint64_t)3 << 32 | 500, &err) == NULL && err == ESTALE);
	err = 0;
	CHECK(idtable_find(&t, (uint64_t)100 << 32 | 500, &err) == NULL && err == EBADF);
	/* New ids fill the skipped slots (2 and 4) and the rest at the floor or above. */
	n = idtable_add(&t, &objs[10]);
	m = idtable_add(&t, &objs[11]);
	CHECK(n == ((uint64_t)100 << 32 | 2) && m == ((uint64_t)100 << 32 | 4));
	/* A restored slot emptied: its next id starts at the floor, never 8. */
	CHECK(idtable_remove(&t, 5) == &objs[5]);
	err = 0;
	CHECK(idtable_find(&t, (uint64_t)7 << 32 | 5, &err) == NULL && err == ESTALE);
	for (ok = 1, i = 0; i < 100; i++) {
		n = idtable_add(&t, &objs[20 + i]);
		ok &= IDTABLE_GEN(n) >= 100 && idtable_find(&t, n, &err) == &objs[20 + i];
	}
	CHECK(ok);
	free(t.slots);
}

int
main(void)
{
	struct idtable	t = IDTABLE_INITIALIZER("test", 4);
	uint64_t	a, b, c, ids[3000];
	uint32_t	i;
	int		err, ok;

	err = 0;
	CHECK(idtable_find(&t, 0, &err) == NULL && err == EBADF);
	CHECK(idtable_find(&t, 1, NULL) == NULL);
	CHECK(idtable_end(&t) == 0 && idtable_at(&t, 1) == NULL);

	a = idtable_add(&t, &objs[0]);
	b = idtable_add(&t, &objs[1]);
	CHECK(a == 1 && b == 2);		/* the first id is 1, generation 0 */
	CHECK(idtable_find(&t, a, &err) == &objs[0]);
	CHECK(idtable_find(&t, b, &err) == &objs[1]);
	CHECK(idtable_end(&t) == 3 && idtable_at(&t, 2) == &objs[1]);

	/* An emptied slot: its id is stale; the slot comes back with the next generation. */
	CHECK(idtable_remove(&t, IDTABLE_INDEX(a)) == &objs[0]);
	err = 0;
	CHECK(idtable_find(&t, a, &err) == NULL && err == ESTALE);
	c = idtable_add(&t, &objs[2]);
	CHECK(IDTABLE_INDEX(c) == IDTABLE_INDEX(a) && IDTABLE_GEN(c) == 1);
	err = 0;
	CHECK(idtable_find(&t, a, &err) == NULL && err == ESTALE);
	CHECK(idtable_find(&t, c, &err) == &objs[2]);
	/* A generation the slot never had, and an index past the end: EBADF. */
	err = 0;
	CHECK(idtable_find(&t, (uint64_t)7 << 32 | IDTABLE_INDEX(c), &err) == NULL &&
	    err == EBADF);
	err = 0;
	CHECK(idtable_find(&t, 12345, &err) == NULL && err == EBADF);
	CHECK(idtable_find(&t, UINT64_MAX, &err) == NULL);

	/* Growth from the first 4 slots: every id stays valid and distinct. */
	for (i = 0; i < 3000; i++)
		ids[i] = idtable_add(&t, &objs[i]);
	for (ok = 1, i = 0; i < 3000; i++)
		ok &= idtable_find(&t, ids[i], &err) == &objs[i];
	CHECK(ok);
	CHECK(idtable_end(&t) == 3003);
	free(t.slots);
	test_floor();
	return check_done("test_idtable");
}
