/*
 * The frontend's seccomp allow-list. Everything not listed kills the process (or is logged /
 * trapped with --seccomp=log|trap). Keep it to what the frontend really calls; run it with
 * --seccomp=log to find a missing one. Measured with strace over the vhost-user handshake,
 * memory table changes, ring traffic, ring stop, reset and disconnect.
 *
 * The frontend reads guest bytes, so it is the process an exploit would start in: no
 * open/openat/creat, no execve, no socket/socketpair, and no memory that is both writable
 * then executable (mmap and mprotect without PROT_EXEC).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <stddef.h>
#include <seccomp.h>

#include "sandbox.h"

#define ALLOW(name)	{ SCMP_SYS(name), 0, { { 0 } } }
/* Allowed only when argument arg, masked with mask, equals val. */
#define ALLOW_MASKED(name, arg, mask, val) \
	{ SCMP_SYS(name), 1, { { (arg), SCMP_CMP_MASKED_EQ, (mask), (val) } } }
/* Allowed only when argument arg equals val. */
#define ALLOW_EQ(name, arg, val) \
	{ SCMP_SYS(name), 1, { { (arg), SCMP_CMP_EQ, (val), 0 } } }

const struct sandbox_syscall seccomp_frontend_list[] = {
	/* memory: guest regions are mapped shared, never executable */
	ALLOW(brk), ALLOW(munmap), ALLOW(mremap), ALLOW(madvise),
	ALLOW_MASKED(mmap, 2, PROT_EXEC, 0),
	ALLOW_MASKED(mprotect, 2, PROT_EXEC, 0),
	/* the event loop, channels, eventfds and the vhost-user socket */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(recvmsg), ALLOW(sendmsg),
	ALLOW(close),
	/* O_NONBLOCK on fds QEMU passes us; nothing else of fcntl (no F_DUPFD, no locks) */
	ALLOW_EQ(fcntl, 1, F_GETFL), ALLOW_EQ(fcntl, 1, F_SETFL),
	/*
	 * Guest memory files: read their seals, and add F_SEAL_SHRINK (and no other seal),
	 * so QEMU cannot shrink a region under our mapping.
	 */
	ALLOW_EQ(fcntl, 1, F_GET_SEALS),
	{ SCMP_SYS(fcntl), 2, { { 1, SCMP_CMP_EQ, F_ADD_SEALS, 0 },
	    { 2, SCMP_CMP_EQ, F_SEAL_SHRINK, 0 } } },
	/* memory region checks (glibc's fstat is newfstatat with AT_EMPTY_PATH) */
	ALLOW(fstat), ALLOW(newfstatat),
	/* time, signals, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday),
	ALLOW(rt_sigaction), ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn),
	ALLOW(futex), ALLOW(getpid), ALLOW(gettid), ALLOW(getrandom),
	ALLOW(exit), ALLOW(exit_group),
	{ -1, 0, { { 0 } } }
};
