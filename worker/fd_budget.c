/*
 * The fd budget (--rlimit-nofile): every fd the worker holds for the guest (node O_PATH
 * fds, open handles, lock fds) is counted, and past the budget the guest gets ENFILE while
 * the worker keeps its own fds and keeps running (CVE-2020-10717: a guest must not exhaust
 * the host). Each fd is also charged to the memory budget for the structure that holds it
 * (MEM_FD_OBJECT), so that no caller has to charge nodes and handles apart.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <unistd.h>

#include "log.h"
#include "used_ring.h"
#include "worker.h"

/*
 * fds the worker needs for itself: channels, eventfd, two epoll sets, root, /proc/self/fd,
 * log, and a call and a kick eventfd for each ring it completes on (direct.c; fault test
 * fd-budget.sh found the kick fds pushing it over the old reserve of 16 into EMFILE).
 */
#define FD_RESERVE	(16 + 2 * USED_SHARE_QUEUES)

static uint64_t			budget;
static _Atomic uint64_t		used;

void
fd_budget_init(uint64_t configured)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	budget = rl.rlim_cur > 2 * FD_RESERVE ? rl.rlim_cur - FD_RESERVE : FD_RESERVE;
	if (configured != 0 && configured < budget)
		budget = configured;
	log_debug("fd budget %llu", (unsigned long long)budget);
	mem_budget_init(wk_config.memory_budget_kib, budget);
}

static void
fd_budget_give_fd(void)
{
	if (atomic_fetch_sub(&used, 1) == 0)
		fatalx("fd budget underflow");
}

int
fd_budget_take(void)
{
	uint64_t cur = atomic_load(&used);

	do {
		if (cur >= budget)
			return ENFILE;
	} while (!atomic_compare_exchange_weak(&used, &cur, cur + 1));
	if (mem_budget_take(MEM_FD_OBJECT) != 0) {
		fd_budget_give_fd();
		return ENOMEM;
	}
	return 0;
}

void
fd_budget_give(void)
{
	fd_budget_give_fd();
	mem_budget_give(MEM_FD_OBJECT);
}

int
fd_budget_openat(int dirfd, const char *path, int flags, mode_t mode, int *fd)
{
	int error;

	if ((error = fd_budget_take()) != 0)
		return error;
	if ((*fd = openat(dirfd, path, flags, mode)) == -1) {
		error = errno;
		fd_budget_give();
		return error;
	}
	return 0;
}

void
fd_budget_close(int fd)
{
	close(fd);
	fd_budget_give();
}

void
fd_budget_close_keep_mem(int fd)
{
	close(fd);
	fd_budget_give_fd();
}
