/*
 * The seccomp filters (sandbox_seccomp(), sandbox_priv.h): the role's policy
 * (seccomp_<role>.c) with the --seccomp action for everything else, the SIGSYS trap report
 * for --seccomp=trap, and what sanitizer builds need on top of a role's policy.
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
#include "seccomp_rules.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r)
{
	uint32_t action;
	int rc;

	if (r->argc > NELEM(r->args))
		fatalx("seccomp rule for syscall %d: %u conditions", r->nr, r->argc);
	action = r->errnum != 0 ? SCMP_ACT_ERRNO(r->errnum) : SCMP_ACT_ALLOW;
	/* libseccomp skips syscalls this architecture does not have (nr < 0). */
	rc = seccomp_rule_add_array(ctx, action, r->nr, r->argc, r->args);
	if (rc < 0)
		fatalx("seccomp rule for syscall %d: %s", r->nr, strerror(-rc));
}

static void
add_rules(scmp_filter_ctx ctx, const struct seccomp_rule *list)
{
	const struct seccomp_rule *r;

	for (r = list; r->nr != -1; r++)
		add_rule(ctx, r);
}

/*
 * Every role: a timed wait (nanosleep, poll, a futex with a timeout) interrupted by a stop
 * signal (SIGSTOP/SIGCONT from an operator, a debugger attaching) is resumed by the kernel
 * as restart_syscall, which only continues a call the role's policy already allowed.
 * Without it, stopping and continuing a process killed it (tests/sandbox/seccomp-policy).
 */
static const struct seccomp_rule every_role[] = {
	ALLOW(restart_syscall),
	RULES_END
};

scmp_filter_ctx
seccomp_policy(const struct seccomp_rule *list, uint32_t default_action)
{
	scmp_filter_ctx ctx;
	int rc;

	if ((ctx = seccomp_init(default_action)) == NULL)
		fatalx("seccomp_init failed");
	/* Threads started before us (none should be) get the filter too. */
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		fatalx("seccomp TSYNC: %s", strerror(-rc));
	add_rules(ctx, every_role);
	add_rules(ctx, list);
	return ctx;
}

#ifdef PRIVFSD_SANITIZERS
/*
 * ---- SANITIZER BUILDS ONLY (configure --enable-sanitizers; never installed) ----
 * What the ASan/UBSan run-time calls by itself after the filter is in place, found with
 * tests/sandbox/sandbox-probe -a exit|asan|ubsan under strace and --seccomp=log.
 */
static const struct seccomp_rule sanitizer_allow[] = {
	/* allocator, shadow memory, reports, exit */
	ALLOW(mmap), ALLOW(munmap), ALLOW(mprotect), ALLOW(madvise),
	ALLOW(write), ALLOW(getpid), ALLOW(gettid), ALLOW(exit_group),
	ALLOW(sched_yield), ALLOW(sigaltstack), ALLOW(close),
	/* IsAccessibleMemoryRange() writes through a pipe to probe memory */
	ALLOW(pipe), ALLOW(pipe2),
	/* isatty(2) to decide on colours */
	ALLOW_IF(ioctl, ARG_EQ(1, TCGETS)),
	RULES_END
};
/*
 * It also reads /proc/self/exe, maps, cmdline and environ for nicer reports. Those fail
 * with ENOENT instead of being allowed (the reports still come, with fewer names), so a
 * sanitizer build opens no more than a release build does, unless the role's list
 * allows the call anyway.
 */
static const struct seccomp_rule sanitizer_enoent[] = {
	FAIL(open, ENOENT), FAIL(openat, ENOENT), FAIL(readlink, ENOENT),
	FAIL(readlinkat, ENOENT),
	RULES_END
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
list_names(const struct seccomp_rule *list, int nr)
{
	for (; list->nr != -1; list++)
		if (list->nr == nr)
			return 1;
	return 0;
}

static void
add_sanitizer_rules(scmp_filter_ctx ctx, const struct seccomp_rule *list)
{
	const struct seccomp_rule *r;

	add_rules(ctx, sanitizer_allow);
	for (r = sanitizer_enoent; r->nr != -1; r++)
		if (!list_names(list, r->nr))
			add_rule(ctx, r);
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
sandbox_seccomp(const struct seccomp_rule *list, unsigned int mode)
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
	ctx = seccomp_policy(list, action);
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
