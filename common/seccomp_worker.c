/*
 * The worker's seccomp policy. Everything no rule names kills the process (or is logged /
 * trapped with --seccomp=log|trap). Run with --seccomp=log to find a missing one.
 *
 * Threads are started after the sandbox, so clone is allowed with glibc's thread flags
 * only. clone3 fails with ENOSYS: seccomp cannot see its flags (they sit in memory), and
 * glibc then falls back to clone, whose flags the rule checks. unshare is allowed for
 * CLONE_FS only and prlimit64 only to read a limit. What is deliberately absent, and why,
 * is seccomp_worker_absent[] at the end; tests/sandbox/seccomp-policy checks the
 * compiled filter against it.
 */
#include "config.h"

#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <stddef.h>

#include "seccomp_rules.h"

/* Exactly what glibc's pthread_create passes to clone(): a thread, never a process. */
#define THREAD_CLONE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | \
	CLONE_SIGHAND | CLONE_THREAD | CLONE_SETTLS | CLONE_PARENT_SETTID | \
	CLONE_CHILD_CLEARTID)

const struct seccomp_rule seccomp_worker_list[] = {
	/* memory (guest memory regions are mapped and unmapped as the table changes) */
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(mprotect), ALLOW(madvise),

	/* the event loop and channels */
	ALLOW(epoll_wait), ALLOW(epoll_pwait), ALLOW(epoll_ctl), ALLOW(poll), ALLOW(ppoll),
	ALLOW(read), ALLOW(readv), ALLOW(write), ALLOW(writev), ALLOW(recvmsg), ALLOW(sendmsg),
	ALLOW(close),
	/* the loop's bursts of records on the requests channel (chan.c's packet mode) */
	ALLOW(sendmmsg), ALLOW(recvmmsg),

	/* fcntl: fd flags, and the lock commands of GETLK/SETLK (POSIX and OFD locks) */
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFD)), ALLOW_IF(fcntl, ARG_EQ(1, F_SETFD)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETFL)), ALLOW_IF(fcntl, ARG_EQ(1, F_SETFL)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_DUPFD_CLOEXEC)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_GETLK)), ALLOW_IF(fcntl, ARG_EQ(1, F_SETLK)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_SETLKW)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_OFD_GETLK)), ALLOW_IF(fcntl, ARG_EQ(1, F_OFD_SETLK)),
	ALLOW_IF(fcntl, ARG_EQ(1, F_OFD_SETLKW)),
	/* --dax=inode: read a file's flags for its DAX mark, and nothing else */
	ALLOW_IF(ioctl, ARG_EQ(1, FS_IOC_GETFLAGS)),
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
	ALLOW_IF(unshare, ARG_EQ(0, CLONE_FS)), ALLOW(umask),

	/* limits: read only (glibc getrlimit is prlimit64 of ourselves with no new limit) */
	ALLOW_IF2(prlimit64, ARG_EQ(0, 0), ARG_EQ(2, 0)),

	/* the thread pool */
	ALLOW_IF(clone, ARG_EQ(0, THREAD_CLONE_FLAGS)), FAIL(clone3, ENOSYS),
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
	RULES_END
};

const char *const seccomp_worker_absent[] = {
	/* the worker talks only on the channels it inherited (syslog through the broker) */
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
	/* it never runs or forks anything (clone is for threads only, see above) */
	"execve", "execveat", "fork", "vfork",
	/* no other process's memory, no way out of its mount namespace */
	"ptrace", "process_vm_readv", "process_vm_writev",
	"mount", "umount2", "pivot_root", "chroot", "setns", "open_tree", "move_mount",
	"fsopen", "fsmount", "mount_setattr",
	/* ids are set once by the sandbox; requests change only fsuid/fsgid */
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	/* signals only among its own threads, and none of those either */
	"kill", "tkill", "tgkill",
	/* kernel interfaces no file operation needs (ioctl: FS_IOC_GETFLAGS only, above) */
	"bpf", "keyctl", "add_key", "request_key", "perf_event_open",
	"memfd_create", "userfaultfd", "io_uring_setup",
	/* glibc opens with openat; open and creat take paths relative to no fd */
	"open", "openat2", "creat",
	/* limits are read, never set */
	"setrlimit",
	NULL
};
