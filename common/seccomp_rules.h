/*
 * How a role's seccomp policy is written. Each seccomp_<role>.c holds the whole policy of
 * its role: the rules, and the syscalls it deliberately leaves to the default action
 * (seccomp_<role>_absent), so that tests/sandbox/seccomp-policy can check the compiled
 * filter against that list and the two cannot drift apart.
 */
#ifndef PRIVFSD_SECCOMP_RULES_H
#define PRIVFSD_SECCOMP_RULES_H

#include <stdint.h>
#include <seccomp.h>

/*
 * One rule: when all argc argument conditions hold (argc 0: any arguments) the syscall is
 * allowed, or with errnum != 0 fails with that errno without running.
 */
struct seccomp_rule {
	int			nr;
	int			errnum;
	unsigned int		argc;
	struct scmp_arg_cmp	args[3];
};

/* Argument conditions: argument n equals v; argument n masked with m equals v. */
#define ARG_EQ(n, v)		{ (n), SCMP_CMP_EQ, (v), 0 }
#define ARG_MASKED(n, m, v)	{ (n), SCMP_CMP_MASKED_EQ, (m), (v) }

#define ALLOW(name)		{ SCMP_SYS(name), 0, 0, { { 0 } } }
#define ALLOW_IF(name, c)	{ SCMP_SYS(name), 0, 1, { c } }
#define ALLOW_IF2(name, c1, c2)	{ SCMP_SYS(name), 0, 2, { c1, c2 } }
/* The syscall fails with errno e, so that the caller takes another path. */
#define FAIL(name, e)		{ SCMP_SYS(name), (e), 0, { { 0 } } }
#define RULES_END		{ -1, 0, 0, { { 0 } } }

extern const struct seccomp_rule seccomp_broker_list[];
extern const struct seccomp_rule seccomp_frontend_list[];
extern const struct seccomp_rule seccomp_worker_list[];

/* Names of the syscalls no rule of the role may name; NULL-terminated. */
extern const char *const seccomp_broker_absent[];
extern const char *const seccomp_frontend_absent[];
extern const char *const seccomp_worker_absent[];

/*
 * The role's filter as the sandbox builds it, not loaded: its rules, and default_action
 * (an SCMP_ACT_*) for everything else. Fatal on any error.
 */
scmp_filter_ctx seccomp_policy(const struct seccomp_rule *, uint32_t default_action);

#endif
