/*
 * The seccomp filters (sandbox_seccomp(), sandbox.h): the role's allow-list with the
 * --seccomp action for everything else, the SIGSYS trap report for --seccomp=trap, and
 * what sanitizer builds need on top of a role's list.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "sandbox_priv.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
add_rules(scmp_filter_ctx ctx, const struct sandbox_syscall *list)
{
	const struct sandbox_syscall *s;
	int rc;

	for (s = list; s->nr != -1; s++) {
		if (s->argc > NELEM(s->args))
			fatalx("seccomp rule for syscall %d: %u conditions", s->nr, s->argc);
		/* libseccomp skips syscalls this architecture does not have (nr < 0). */
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, s->nr, s->argc, s->args);
		if (rc < 0)
			fatalx("seccomp rule for syscall %d: %s", s->nr, strerror(-rc));
	}
}

#ifdef PRIVFSD_SANITIZERS
/*
 * ---- SANITIZER BUILDS ONLY (configure --enable-sanitizers; never installed) ----
 * What the ASan/UBSan run-time calls by itself after the filter is in place, found with
 * tests/sandbox/sandbox-probe -a exit|asan|ubsan under strace and --seccomp=log.
 */
#define SAN_ALLOW(name)	{ SCMP_SYS(name), 0, { { 0 } } }
static const struct sandbox_syscall sanitizer_allow[] = {
	/* allocator, shadow memory, reports, exit */
	SAN_ALLOW(mmap), SAN_ALLOW(munmap), SAN_ALLOW(mprotect), SAN_ALLOW(madvise),
	SAN_ALLOW(write), SAN_ALLOW(getpid), SAN_ALLOW(gettid), SAN_ALLOW(exit_group),
	SAN_ALLOW(sched_yield), SAN_ALLOW(sigaltstack), SAN_ALLOW(close),
	/* IsAccessibleMemoryRange() writes through a pipe to probe memory */
	SAN_ALLOW(pipe), SAN_ALLOW(pipe2),
	/* isatty(2) to decide on colours */
	{ SCMP_SYS(ioctl), 1, { SCMP_A1(SCMP_CMP_EQ, TCGETS) } },
	{ -1, 0, { { 0 } } }
};
/*
 * It also reads /proc/self/exe, maps, cmdline and environ for nicer reports. Those fail
 * with ENOENT instead of being allowed (the reports still come, with fewer names), so a
 * sanitizer build opens no more than a release build does, unless the role's list
 * allows the call anyway.
 */
static const int sanitizer_enoent[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
};

/*
 * LeakSanitizer's end-of-process check stops the world with clone and ptrace and reads
 * /proc/PID/task: impossible in any sandbox. Check for leaks now, while it still works;
 * that also switches the end-of-process check off.
 */
extern void __lsan_do_leak_check(void) __attribute__((__weak__));

void
sanitizer_leak_check_now(void)
{
	if (__lsan_do_leak_check != NULL)
		__lsan_do_leak_check();
}

static int
list_allows(const struct sandbox_syscall *list, int nr)
{
	for (; list->nr != -1; list++)
		if (list->nr == nr)
			return 1;
	return 0;
}

static void
add_sanitizer_rules(scmp_filter_ctx ctx, const struct sandbox_syscall *list)
{
	size_t i;
	int rc;

	add_rules(ctx, sanitizer_allow);
	for (i = 0; i < NELEM(sanitizer_enoent); i++) {
		if (list_allows(list, sanitizer_enoent[i]))
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), sanitizer_enoent[i], 0);
		if (rc < 0)
			fatalx("seccomp sanitizer rule %d: %s", sanitizer_enoent[i],
			    strerror(-rc));
	}
}
#endif	/* PRIVFSD_SANITIZERS */

/* Named in the SIGSYS trap message. */
static const char *trap_role = "privfsd";

void
seccomp_trap_role(const char *role)
{
	trap_role = role;
}

/* Async-signal-safe: append s to buf at *len, within size. */
static void
trap_append(char *buf, size_t size, size_t *len, const char *s)
{
	while (*s != '\0' && *len < size)
		buf[(*len)++] = *s++;
}

static void
sigsys_handler(int sig, siginfo_t *si, void *uctx)
{
	char buf[128], num[16];
	size_t len = 0, n = sizeof(num);
	unsigned int nr = (unsigned int)si->si_syscall;

	num[--n] = '\0';
	do {
		num[--n] = '0' + nr % 10;
		nr /= 10;
	} while (nr != 0 && n > 0);
	trap_append(buf, sizeof(buf) - 1, &len, "privfsd ");
	trap_append(buf, sizeof(buf) - 1, &len, trap_role);
	trap_append(buf, sizeof(buf) - 1, &len, ": seccomp trapped syscall ");
	trap_append(buf, sizeof(buf) - 1, &len, &num[n]);
	buf[len++] = '\n';
	(void)write(STDERR_FILENO, buf, len);
	_exit(128 + SIGSYS);
}

void
sandbox_seccomp(const struct sandbox_syscall *list, unsigned int mode)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	uint32_t action;
	int rc;

	switch (mode) {
	case SECCOMP_MODE_KILL:
		action = SCMP_ACT_KILL_PROCESS;
		break;
	case SECCOMP_MODE_LOG:
		action = SCMP_ACT_LOG;
		break;
	case SECCOMP_MODE_TRAP:
		action = SCMP_ACT_TRAP;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsys_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction SIGSYS");
		break;
	case SECCOMP_MODE_NONE:
		log_warnx("--seccomp=none: no system call filter");
		return;
	default:
		fatalx("unknown seccomp mode %u", mode);
	}
	if ((ctx = seccomp_init(action)) == NULL)
		fatalx("seccomp_init failed");
	/* Threads started before us (none should be) get the filter too. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		fatalx("seccomp TSYNC: %s", strerror(-rc));
	add_rules(ctx, list);
#ifdef PRIVFSD_SANITIZERS
	add_sanitizer_rules(ctx, list);
#endif
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}

#ifdef PRIVFSD_TEST_HOOKS
void
sandbox_test_hook(const char *role)
{
	const char *want;
	long rc;

	if ((want = getenv("PRIVFSD_TEST_FORBIDDEN_SYSCALL")) == NULL ||
	    strcmp(want, role) != 0)
		return;
	/* No role's list allows an internet socket. */
	rc = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	log_warnx("test hook: forbidden socket() returned %ld: not stopped by seccomp", rc);
	if (rc >= 0)
		close((int)rc);
}
#endif
