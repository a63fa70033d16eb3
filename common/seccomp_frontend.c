/*
 * The frontend's seccomp allow-list. Everything not listed kills the process (or is logged /
 * trapped with --seccomp=log|trap). Keep it to what the frontend really calls; run it with
 * --seccomp=log to find a missing one.
 */
#include <sys/types.h>
#include <stddef.h>
#include <seccomp.h>

#include "sandbox.h"

#define ALLOW(name)	{ SCMP_SYS(name), 0, { { 0 } } }

const struct sandbox_syscall seccomp_frontend_list[] = {
	/* memory */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(mprotect), ALLOW(madvise),
	/* the event loop and channels */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(recvmsg), ALLOW(sendmsg),
	ALLOW(close), ALLOW(fcntl), ALLOW(fstat), ALLOW(newfstatat),
	/* time, signals, threads, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday), ALLOW(nanosleep), ALLOW(clock_nanosleep),
	ALLOW(rt_sigaction), ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn), ALLOW(sigaltstack),
	ALLOW(futex), ALLOW(getpid), ALLOW(gettid), ALLOW(getrandom),
	ALLOW(exit), ALLOW(exit_group),
	{ -1, 0, { { 0 } } }
};
