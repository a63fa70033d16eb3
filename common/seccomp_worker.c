/*
 * The worker's seccomp allow-list. Everything not listed kills the process (or is logged /
 * trapped with --seccomp=log|trap). Run with --seccomp=log to find a missing one.
 *
 * What is deliberately absent: socket, connect, bind, listen, accept (the worker talks only
 * on the channels it inherited), execve/execveat, fork/vfork and clone without thread
 * flags, clone3 (its flags are out of seccomp's sight; the worker answers it ENOSYS with a
 * filter of its own so glibc falls back to clone), ptrace, mount/umount/pivot_root/chroot,
 * unshare/setns, setuid/setgid/setresuid/setgroups (only setfsuid/setfsgid, per request),
 * memfd_create, kill/tkill beyond our own threads, ioctl, bpf, keyctl, perf_event_open,
 * process_vm_*, open (glibc uses openat), and prlimit64 that sets a limit.
 */
#include "config.h"

#include <sys/types.h>
#include <sched.h>
#include <stddef.h>
#include <fcntl.h>
#include <seccomp.h>

#include "sandbox.h"

#define ALLOW(name)	{ SCMP_SYS(name), 0, { { 0 } } }
#define ALLOW_ARG0(name, val) \
	{ SCMP_SYS(name), 1, { SCMP_A0(SCMP_CMP_EQ, (val)) } }
#define ALLOW_ARG1(name, val) \
	{ SCMP_SYS(name), 1, { SCMP_A1(SCMP_CMP_EQ, (val)) } }

/* Exactly what glibc's pthread_create passes to clone(): a thread, never a process. */
#define THREAD_CLONE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | \
	CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	CLONE_CHILD_CLEARTID)

const struct sandbox_syscall seccomp_worker_list[] = {
	/* memory (guest memory regions are mapped and unmapped as the table changes) */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(mprotect), ALLOW(madvise),

	/* the event loop and channels (sendto: syslog on its already connected socket) */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(recvmsg), ALLOW(sendmsg),
	ALLOW(sendto), ALLOW(close),

	/* fcntl: fd flags, and the lock commands of GETLK/SETLK (POSIX and OFD locks) */
	ALLOW_ARG1(fcntl, F_GETFD), ALLOW_ARG1(fcntl, F_SETFD),
	ALLOW_ARG1(fcntl, F_GETFL), ALLOW_ARG1(fcntl, F_SETFL),
	ALLOW_ARG1(fcntl, F_DUPFD_CLOEXEC),
	ALLOW_ARG1(fcntl, F_GETLK), ALLOW_ARG1(fcntl, F_SETLK), ALLOW_ARG1(fcntl, F_SETLKW),
	ALLOW_ARG1(fcntl, F_OFD_GETLK), ALLOW_ARG1(fcntl, F_OFD_SETLK),
	ALLOW_ARG1(fcntl, F_OFD_SETLKW),
	ALLOW(flock),

	/* one component under an O_PATH directory fd, and reopening through /proc/self/fd */
	ALLOW(openat), ALLOW(open_by_handle_at), ALLOW(name_to_handle_at),
	ALLOW(fstat), ALLOW(newfstatat), ALLOW(statx), ALLOW(fstatfs),
	ALLOW(readlinkat), ALLOW(getdents64), ALLOW(lseek), ALLOW(faccessat),
	ALLOW(faccessat2), ALLOW(fchdir), ALLOW(dup), ALLOW(dup3),

	/* data */
	ALLOW(pread64), ALLOW(pwrite64), ALLOW(preadv), ALLOW(pwritev), ALLOW(preadv2),
	ALLOW(pwritev2), ALLOW(copy_file_range), ALLOW(fallocate), ALLOW(ftruncate),
	ALLOW(fsync), ALLOW(fdatasync), ALLOW(syncfs),

	/* changing the tree and its attributes */
	ALLOW(mkdirat), ALLOW(mknodat), ALLOW(symlinkat), ALLOW(linkat), ALLOW(unlinkat),
	ALLOW(renameat), ALLOW(renameat2), ALLOW(fchmod), ALLOW(fchmodat), ALLOW(fchown),
	ALLOW(fchownat), ALLOW(utimensat),
	ALLOW(fgetxattr), ALLOW(fsetxattr), ALLOW(flistxattr), ALLOW(fremovexattr),
	ALLOW(getxattr), ALLOW(setxattr), ALLOW(listxattr), ALLOW(removexattr),
	ALLOW(lgetxattr), ALLOW(lsetxattr), ALLOW(llistxattr), ALLOW(lremovexattr),

	/* credentials: per request fsuid/fsgid (raw syscalls), and reading our own ids */
	ALLOW(setfsuid), ALLOW(setfsgid), ALLOW(getuid), ALLOW(geteuid), ALLOW(getgid),
	ALLOW(getegid), ALLOW(capget),
	/*
	 * capset: each thread's effective set follows its caller's mapped host uid, and the
	 * named privileged operations raise one capability around one call; a thread can
	 * never go beyond the worker's permitted set.
	 */
	ALLOW(capset),
	/* per-thread umask for creating ops: unshare the fs context of this thread only */
	ALLOW_ARG0(unshare, CLONE_FS), ALLOW(umask),

	/* limits: read only (glibc getrlimit is prlimit64 of ourselves with no new limit) */
	{ SCMP_SYS(prlimit64), 2, { SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0) } },

	/* the thread pool */
	ALLOW_ARG0(clone, THREAD_CLONE_FLAGS), ALLOW(clone3),
	ALLOW(set_robust_list), ALLOW(rseq), ALLOW(futex), ALLOW(sched_yield),

	/* time, signals, exit */
	ALLOW(clock_gettime), ALLOW(gettimeofday), ALLOW(nanosleep), ALLOW(clock_nanosleep),
	ALLOW(rt_sigaction), ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn), ALLOW(sigaltstack),
	ALLOW(getpid), ALLOW(gettid), ALLOW(getrandom),
	ALLOW(exit), ALLOW(exit_group),
	/*
	 * glibc's malloc asks for the CPU count when a thread first needs an arena of its
	 * own (the pool's and the lock waiters' threads); ASan asks too.
	 */
	ALLOW(sched_getaffinity),
	{ -1, 0, { { 0 } } }
};
