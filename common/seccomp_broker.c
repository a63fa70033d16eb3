/*
 * The broker's seccomp allow-list, loaded once both children said hello. From then on the
 * broker only runs its event loop: accept one connection, move checked fds between the
 * children, reap them, kill them, remove its socket file and exit. Everything else kills
 * the process (or is logged / trapped with --seccomp=log|trap). Found by tracing every
 * exit path (QEMU disconnect, SIGTERM/SIGINT, a child killed, a protocol violation)
 * under --seccomp=log and strace; run it that way to find a missing one.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <signal.h>
#include <stddef.h>
#include <seccomp.h>

#include "sandbox.h"

#define ALLOW(name)	{ SCMP_SYS(name), 0, { { 0 } } }
#define ARG_EQ(n, v)	{ .arg = (n), .op = SCMP_CMP_EQ, .datum_a = (v) }

const struct sandbox_syscall seccomp_broker_list[] = {
	/* malloc (libevent, the channels' buffers) */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(madvise),
	/* the event loop, its signal pipe, the channels and the fd checks */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl),
	ALLOW(read), ALLOW(write), ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(close),
	ALLOW(fstat), ALLOW(newfstatat),
	/* the one vhost-user connection, and who made it (for the log) */
	{ SCMP_SYS(accept4), 1, { ARG_EQ(3, SOCK_CLOEXEC) } },
	{ SCMP_SYS(getsockopt), 2, { ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_PEERCRED) } },
	/* supervision: reap, stop (SIGTERM) or kill (SIGKILL) the children */
	ALLOW(wait4),
	{ SCMP_SYS(kill), 1, { ARG_EQ(1, SIGTERM) } },
	{ SCMP_SYS(kill), 1, { ARG_EQ(1, SIGKILL) } },
	ALLOW(nanosleep), ALLOW(clock_nanosleep),
	/* removing our socket file at exit (by directory fd, see listener.c) */
	ALLOW(unlinkat),
	/* --syslog: glibc reconnects to /dev/log when syslogd went away */
	{ SCMP_SYS(socket), 2, { ARG_EQ(0, AF_UNIX), ARG_EQ(1, SOCK_DGRAM | SOCK_CLOEXEC) } },
	ALLOW(connect), ALLOW(sendto),
	/* time (when the vDSO cannot answer), signal return, log lines, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday), ALLOW(rt_sigreturn), ALLOW(rt_sigprocmask),
	ALLOW(getpid), ALLOW(exit_group),
	{ -1, 0, { { 0 } } }
};
