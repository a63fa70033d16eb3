/*
 * The memory budget (--memory-budget): the bytes a guest makes the worker keep between
 * requests are charged here, and past the budget the guest gets ENOMEM while the worker
 * keeps running. Charged: the structure behind every fd the guest holds (node, handle,
 * lock fd: MEM_FD_OBJECT each, with the fd, by fd_budget_take()), a node that keeps a file
 * handle instead of its fd, what a directory handle keeps between READDIRs, and what the
 * lock table remembers per handle. What a request needs while it runs is bounded per
 * request and not charged.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "log.h"
#include "worker.h"

/* malloc's header and rounding on a small allocation */
#define MALLOC_OVERHEAD		16
/* The default: this much per fd of the fd budget, and never less than the floor. */
#define DEFAULT_PER_FD		1024
#define DEFAULT_FLOOR		(16 * 1024 * 1024)

static uint64_t			budget;
static _Atomic uint64_t		used;

void
mem_budget_init(uint32_t configured_kib, uint64_t fd_budget)
{
	if (configured_kib != 0)
		budget = (uint64_t)configured_kib * 1024;
	else if (fd_budget > UINT64_MAX / DEFAULT_PER_FD)
		budget = UINT64_MAX;
	else {
		budget = fd_budget * DEFAULT_PER_FD;
		if (budget < DEFAULT_FLOOR)
			budget = DEFAULT_FLOOR;
	}
	log_debug("memory budget %llu KiB", (unsigned long long)budget / 1024);
}

int
mem_budget_take(size_t n)
{
	uint64_t cur = atomic_load(&used);

	do {
		if (n > budget || cur > budget - n)
			return ENOMEM;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + n));
	return 0;
}

void
mem_budget_give(size_t n)
{
	if (atomic_fetch_sub(&used, n) < n)
		fatalx("memory budget underflow");
}

void *
mem_budget_alloc(size_t size)
{
	void *p;

	if (mem_budget_take(size + MALLOC_OVERHEAD) != 0)
		return NULL;
	if ((p = calloc(1, size)) == NULL)
		mem_budget_give(size + MALLOC_OVERHEAD);
	return p;
}

void
mem_budget_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	free(p);
	mem_budget_give(size + MALLOC_OVERHEAD);
}
