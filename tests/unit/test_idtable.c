/*
 * The worker's id tables (worker/idtable.c): index 0 never given out, ids of emptied slots
 * EBADF or ESTALE and never valid again, free slots reused with a new generation, growth.
 */
#include <errno.h>
#include <stdint.h>

#include "idtable.h"
#include "check.h"

static int	objs[3000];

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
	return check_done("test_idtable");
}
