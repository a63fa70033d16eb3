/*
 * The frontend's seccomp policy. Everything no rule names kills the process (or is logged /
 * trapped with --seccomp=log|trap). Keep it to what the frontend really calls; run it with
 * --seccomp=log to find a missing one. Measured with strace over the vhost-user handshake,
 * memory table changes, ring traffic, ring stop, reset and disconnect.
 *
 * The frontend reads guest bytes, so it is the process an exploit would start in: mmap and
 * mprotect only without PROT_EXEC, fcntl only for file status flags, seals and a copy of
 * a call eventfd. What is
 * deliberately absent, and why, is seccomp_frontend_absent[] at the end;
 * tests/sandbox/seccomp-policy checks the compiled filter against it.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <stddef.h>

#include "seccomp_rules.h"

const struct seccomp_rule seccomp_frontend_list[] = {
	/* memory: guest regions are mapped shared, never executable */
	ALLOW(brk), ALLOW(munmap), ALLOW(mremap), ALLOW(madvise),
	ALLOW_IF(mmap, ARG_MASKED(2, PROT_EXEC, 0)),
	ALLOW_IF(mprotect, ARG_MASKED(2, PROT_EXEC, 0)),
	/* the event loop, channels, eventfds and the vhost-user socket */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(recvmsg), ALLOW(sendmsg),
	ALLOW(close),
	/* bursts of requests to, and replies from, the worker's packet channel in one call */
	ALLOW(sendmmsg), ALLOW(recvmmsg),
	/* O_NONBLOCK on fds QEMU passes us; no locks */
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFL)), ALLOW_IF(fcntl, ARG_EQ(1, F_SETFL)),
	/*
	 * A copy of a ring's call eventfd for the worker, which signals the guest for the
	 * chains it completes itself (frontend/virtq.c); the broker checks it.
	 */
	ALLOW_IF(fcntl, ARG_EQ(1, F_DUPFD_CLOEXEC)),
	/*
	 * Guest memory files: read their seals, and add F_SEAL_SHRINK (and no other seal),
	 * so QEMU cannot shrink a region under our mapping.
	 */
	ALLOW_IF(fcntl, ARG_EQ(1, F_GET_SEALS)),
	ALLOW_IF2(fcntl, ARG_EQ(1, F_ADD_SEALS), ARG_EQ(2, F_SEAL_SHRINK)),
	/* memory region checks (glibc's fstat is newfstatat with AT_EMPTY_PATH) */
	ALLOW(fstat), ALLOW(newfstatat),
	/* time, signals, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday),
	ALLOW(rt_sigaction), ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn),
	ALLOW(futex), ALLOW(getpid), ALLOW(gettid), ALLOW(getrandom),
	/* waiting for the used ring's lock, which the worker holds for a few stores */
	ALLOW(sched_yield),
	ALLOW(exit), ALLOW(exit_group),
	RULES_END
};

const char *const seccomp_frontend_absent[] = {
	/* nothing is opened by name: every fd comes from the broker or over vhost-user */
	"open", "openat", "openat2", "creat", "open_by_handle_at",
	/* nothing to run, and no new process or thread */
	"execve", "execveat", "fork", "vfork", "clone", "clone3",
	/*
	 * no new connection: a compromised frontend cannot reach the network or a daemon,
	 * syslog included (with --syslog the broker sends our stderr lines on)
	 */
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
	/* pkey_mprotect would set PROT_EXEC where the mprotect rule cannot see it */
	"pkey_mprotect",
	/* no other process's memory, no signals, no way out of the empty root */
	"ptrace", "process_vm_readv", "process_vm_writev", "kill", "tkill", "tgkill",
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	/* ids and capabilities are dropped for good */
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset", "prctl",
	/* kernel interfaces a vhost-user back-end does not need */
	"ioctl", "bpf", "keyctl", "add_key", "request_key", "perf_event_open",
	"memfd_create", "userfaultfd", "io_uring_setup",
	NULL
};
