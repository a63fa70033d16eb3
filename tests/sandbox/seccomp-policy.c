/*
 * seccomp-policy: reads each role's compiled seccomp filter and checks what the role's
 * policy says it leaves out. The filter is built as the sandbox builds it
 * (seccomp_policy(), the kill default of --seccomp=kill) and exported as libseccomp's
 * pseudo filter code without being loaded. Then:
 *  - no syscall in seccomp_<role>_absent[] has a rule: the default action decides it;
 *  - every syscall a rule names has its block in the export (the reading works);
 *  - the worker's clone3 fails with ENOSYS instead of running, in the export and in a
 *    child that loads the worker's policy;
 *  - a process of each role stopped and continued (SIGSTOP, SIGCONT: an operator, a
 *    debugger attaching) in a timed wait survives: the kernel resumes such a wait with
 *    restart_syscall, which the policy must allow.
 *
 * usage: seccomp-policy [-v]	(-v prints each role's filter)
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/futex.h>

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "seccomp_rules.h"

static const struct role {
	const char			*name;
	const struct seccomp_rule	*rules;
	const char *const		*absent;
} roles[] = {
	{ "broker", seccomp_broker_list, seccomp_broker_absent },
	{ "frontend", seccomp_frontend_list, seccomp_frontend_absent },
	{ "worker", seccomp_worker_list, seccomp_worker_absent },
};

static int verbose;

/* The role's filter as pseudo filter code, NUL-terminated; exits 99 when that fails. */
static char *
export_pfc(const struct role *r)
{
	scmp_filter_ctx ctx;
	char *text;
	off_t size;
	int fd, rc;

	ctx = seccomp_policy(r->rules, SCMP_ACT_KILL_PROCESS);
	if ((fd = memfd_create("pfc", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		exit(99);
	}
	if ((rc = seccomp_export_pfc(ctx, fd)) < 0) {
		fprintf(stderr, "%s: seccomp_export_pfc: %s\n", r->name, strerror(-rc));
		exit(99);
	}
	seccomp_release(ctx);
	if ((size = lseek(fd, 0, SEEK_END)) <= 0 || (text = malloc(size + 1)) == NULL ||
	    pread(fd, text, size, 0) != size) {
		perror("reading the exported filter");
		exit(99);
	}
	text[size] = '\0';
	close(fd);
	if (verbose)
		printf("---- %s ----\n%s", r->name, text);
	return text;
}

/*
 * The block of the export that decides syscall nr: its "if ($syscall == nr)" line and the
 * lines indented deeper below it. NULL when no rule names nr; *len is the block's length.
 */
static const char *
syscall_block(const char *pfc, int nr, size_t *len)
{
	char want[64];
	const char *line, *p, *end;
	size_t indent;

	snprintf(want, sizeof(want), "if ($syscall == %d)\n", nr);
	if ((p = strstr(pfc, want)) == NULL)
		return NULL;
	for (line = p; line > pfc && line[-1] == ' '; line--)
		;
	indent = (size_t)(p - line);
	for (end = strchr(p, '\n') + 1; *end != '\0'; end = strchr(end, '\n') + 1)
		if (strspn(end, " ") <= indent)
			break;
	*len = (size_t)(end - line);
	return line;
}

/* 1 when the block holds this action line ("action ALLOW;"). */
static int
block_has(const char *block, size_t len, const char *action)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "action %s;\n", action);
	p = memmem(block, len, want, strlen(want));
	return p != NULL;
}

static void
check_absent(const struct role *r, const char *pfc)
{
	const char *const *name;
	const char *block;
	size_t len;
	int nr;

	for (name = r->absent; *name != NULL; name++) {
		nr = seccomp_syscall_resolve_name(*name);
		if (nr == __NR_SCMP_ERROR)
			fprintf(stderr, "%s: absent syscall %s: unknown to libseccomp\n",
			    r->name, *name);
		CHECK(nr != __NR_SCMP_ERROR);
		if (nr < 0)
			continue;	/* not a syscall of this architecture */
		block = syscall_block(pfc, nr, &len);
		if (block != NULL)
			fprintf(stderr, "%s: %s (%d) is documented as absent, but the "
			    "filter has a rule for it:\n%.*s", r->name, *name, nr, (int)len,
			    block);
		CHECK(block == NULL);
	}
}

/* Guards the reading itself: every syscall a rule names has its block. */
static void
check_rules_found(const struct role *r, const char *pfc)
{
	const struct seccomp_rule *rule;
	size_t len;

	for (rule = r->rules; rule->nr != -1; rule++) {
		if (rule->nr < 0)
			continue;
		if (syscall_block(pfc, rule->nr, &len) == NULL)
			fprintf(stderr, "%s: no block for syscall %d in the export\n",
			    r->name, rule->nr);
		CHECK(syscall_block(pfc, rule->nr, &len) != NULL);
	}
	CHECK(strstr(pfc, "# default action\n  action KILL_PROCESS;\n") != NULL);
}

static void
check_clone3_exported(const char *pfc)
{
	const char *block;
	char enosys[32];
	size_t len = 0;

	snprintf(enosys, sizeof(enosys), "ERRNO(%d)", ENOSYS);
	block = syscall_block(pfc, SCMP_SYS(clone3), &len);
	CHECK(block != NULL);
	if (block == NULL)
		return;
	if (!block_has(block, len, enosys) || block_has(block, len, "ALLOW"))
		fprintf(stderr, "worker: clone3 must fail with ENOSYS:\n%.*s", (int)len,
		    block);
	CHECK(block_has(block, len, enosys));
	CHECK(!block_has(block, len, "ALLOW"));
}

/*
 * A child loads the worker's policy (everything else fails with EPERM, so the child
 * survives) and calls clone3 with no arguments: EINVAL unfiltered, ENOSYS with the policy.
 */
static void
check_clone3_loaded(void)
{
	scmp_filter_ctx ctx;
	pid_t pid;
	int status;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		ctx = seccomp_policy(seccomp_worker_list, SCMP_ACT_ERRNO(EPERM));
		if (seccomp_load(ctx) < 0)
			_exit(3);
		if (syscall(SYS_clone3, NULL, 0) != -1)
			_exit(4);
		_exit(errno == ENOSYS ? 0 : 5);
	}
	if (waitpid(pid, &status, 0) == -1) {
		perror("waitpid");
		exit(99);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "worker: clone3 under the loaded policy: status %#x "
		    "(3 load failed, 4 it ran, 5 other errno)\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * A child loads the role's policy (everything else fails with EPERM, so the child
 * survives to tell, also in sanitizer builds whose run-time makes calls of its own) and
 * waits 600 ms in a timed call the role makes (a futex wait, or nanosleep for the broker,
 * which has no threads). It is stopped and continued during the wait; the kernel then
 * resumes the call through restart_syscall. The wait must end as it would have (the futex
 * with ETIMEDOUT, nanosleep with 0), not with the filter's EPERM: under the kill default
 * of --seccomp=kill, that EPERM is the process killed.
 */
static void
check_stop_cont(const struct role *role)
{
	struct timespec	 ts = { 0, 600 * 1000 * 1000 }, pause = { 0, 150 * 1000 * 1000 };
	scmp_filter_ctx	 ctx;
	uint32_t	 word = 0;
	pid_t		 pid;
	long		 ret;
	int		 status;

	if ((pid = fork()) == -1) {
		perror("fork");
		exit(99);
	}
	if (pid == 0) {
		ctx = seccomp_policy(role->rules, SCMP_ACT_ERRNO(EPERM));
		if (seccomp_load(ctx) < 0)
			_exit(3);
		if (strcmp(role->name, "broker") == 0)
			ret = syscall(SYS_nanosleep, &ts, NULL) == 0 ? 0 : errno;
		else
			ret = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0) == -1 &&
			    errno == ETIMEDOUT ? 0 : errno;
		/*
		 * exit_group by hand: under ASan a call to a noreturn function
		 * (_exit) first runs __asan_handle_no_return, whose sigaltstack
		 * the roles' filters refuse, and ASan aborts.
		 */
		syscall(SYS_exit_group, ret == 0 ? 0 : ret == EPERM ? 4 : 5);
		_exit(5);
	}
	nanosleep(&pause, NULL);
	kill(pid, SIGSTOP);
	nanosleep(&pause, NULL);
	kill(pid, SIGCONT);
	if (waitpid(pid, &status, 0) == -1) {
		perror("waitpid");
		exit(99);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "%s: stopped and continued in a timed wait: status %#x (3 load "
		    "failed, 4 the resumed wait was refused: restart_syscall not allowed, "
		    "5 other)\n", role->name, status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(int argc, char *argv[])
{
	size_t i;
	char *pfc;

	if (argc == 2 && strcmp(argv[1], "-v") == 0)
		verbose = 1;
	else if (argc != 1) {
		fprintf(stderr, "usage: seccomp-policy [-v]\n");
		return 2;
	}
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		pfc = export_pfc(&roles[i]);
		check_rules_found(&roles[i], pfc);
		check_absent(&roles[i], pfc);
		if (strcmp(roles[i].name, "worker") == 0)
			check_clone3_exported(pfc);
		free(pfc);
		check_stop_cont(&roles[i]);
	}
	check_clone3_loaded();
	return check_done("seccomp-policy");
}
