/*
 * The broker's seccomp policy, loaded once both children said hello. From then on the
 * broker only runs its event loop: accept one connection, move checked fds between the
 * children, reap them, kill them, remove its socket file and exit. Everything no rule
 * names kills the process (or is logged / trapped with --seccomp=log|trap). Found by
 * tracing every exit path (QEMU disconnect, SIGTERM/SIGINT, a child killed, a protocol
 * violation) under --seccomp=log and strace; run it that way to find a missing one.
 *
 * accept4 only with SOCK_CLOEXEC, getsockopt only for SO_PEERCRED, kill only with
 * SIGTERM or SIGKILL, socket only for syslog's AF_UNIX datagrams. What is deliberately
 * absent, and why, is seccomp_broker_absent[] at the end; tests/sandbox/seccomp-policy
 * checks the compiled filter against it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>

#include "seccomp_rules.h"

const struct seccomp_rule seccomp_broker_list[] = {
	/* malloc (libevent, the channels' buffers) */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(madvise),
	/* the event loop, its signal pipe, the channels and the fd checks */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl),
	ALLOW(read), ALLOW(write), ALLOW(recvmsg), ALLOW(sendmsg), ALLOW(close),
	ALLOW(fstat), ALLOW(newfstatat),
	/* DAX: the access mode of a file to map; the VMM's answer, waited for a bounded time */
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFL)),
	/*
	 * --worker-restart: a copy of each guest memory region fd for the next worker; its
	 * respawner's answer and the request to it (sendto), bounded by poll
	 */
	ALLOW_IF(fcntl, ARG_EQ(1, F_DUPFD_CLOEXEC)),
	ALLOW(poll), ALLOW(ppoll), ALLOW(recvfrom),
	/* the one vhost-user connection, and who made it (for the log) */
	ALLOW_IF(accept4, ARG_EQ(3, SOCK_CLOEXEC)),
	ALLOW_IF2(getsockopt, ARG_EQ(1, SOL_SOCKET), ARG_EQ(2, SO_PEERCRED)),
	/* supervision: reap, stop (SIGTERM) or kill (SIGKILL) the children */
	ALLOW(wait4),
	ALLOW_IF(kill, ARG_EQ(1, SIGTERM)),
	ALLOW_IF(kill, ARG_EQ(1, SIGKILL)),
	ALLOW(nanosleep), ALLOW(clock_nanosleep),
	/* removing our socket file at exit (by directory fd, see listener.c) */
	ALLOW(unlinkat),
	/*
	 * --syslog, for all three processes: glibc reconnects to /dev/log when syslogd went
	 * away, as a stream when /dev/log turned out to be one
	 */
	ALLOW_IF2(socket, ARG_EQ(0, AF_UNIX), ARG_EQ(1, SOCK_DGRAM | SOCK_CLOEXEC)),
	ALLOW_IF2(socket, ARG_EQ(0, AF_UNIX), ARG_EQ(1, SOCK_STREAM | SOCK_CLOEXEC)),
	ALLOW(connect), ALLOW(sendto),
	/* time (when the vDSO cannot answer), signal return, log lines, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday), ALLOW(rt_sigreturn), ALLOW(rt_sigprocmask),
	ALLOW(getpid), ALLOW(exit_group),
	RULES_END
};

const char *const seccomp_broker_absent[] = {
	/* both children run before the filter: nothing more to start */
	"execve", "execveat", "fork", "vfork", "clone", "clone3", "socketpair",
	/* every file it needs is open before; its socket is bound and listening */
	"open", "openat", "openat2", "creat", "bind", "listen", "accept",
	/* it reads no child's memory and changes no mounts */
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	/* ids and capabilities are final (CAP_KILL only) */
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset",
	/* kernel interfaces it does not need */
	"ioctl", "bpf", "keyctl", "perf_event_open", "memfd_create",
	NULL
};
