/*
 * posixsuite: POSIX semantics checks for a (virtiofs) mount, compared against a local file
 * system. A tiny harness: every check runs in a forked child whose cwd is a fresh directory,
 * returns R_PASS, R_FAIL or R_SKIP and leaves its reason in the message buffer.
 */
#ifndef POSIX_H
#define POSIX_H

#include <sys/types.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

enum { R_PASS = 0, R_FAIL = 1, R_SKIP = 2 };

/* Check flags: what a check needs from the run. */
#define C_ROOT	0x1	/* runs as root (skipped otherwise) */
#define C_USER	0x2	/* needs root and --uid: forks callers as the unprivileged user */

struct check {
	const char	*name;
	int		(*fn)(void);
	int		 flags;
};

extern const struct check files_checks[];
extern const struct check links_checks[];
extern const struct check space_checks[];
extern const struct check dirs_checks[];
extern const struct check perm_checks[];
extern const struct check locks_checks[];
extern const struct check xattr_checks[];
extern const struct check io_checks[];

/* The run's settings. */
extern uid_t	 ps_uid;	/* the unprivileged user (--uid) */
extern gid_t	 ps_gid;
extern int	 ps_root;	/* running as root */
extern int	 ps_fuse;	/* the directory is on a FUSE (virtiofs) mount */
extern long	 ps_many;	/* entries of the big-directory check */

int	 fail_at(int, const char *, ...) __attribute__((format(printf, 2, 3)));
int	 skip(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 note(const char *, ...) __attribute__((format(printf, 1, 2)));
const char *ename(int);

/*
 * The unprivileged user's supplementary groups: ps_gid and PS_SUPP_GID(ps_gid), as a
 * local user in a second group would have (FUSE carries only the primary group).
 */
#define PS_SUPP_GID(g)	((gid_t)((g) + 1))
int	 user_groups(void);
/* user_fork: 0 in a child running as ps_uid/ps_gid with the groups of user_groups(). */
pid_t	 user_fork(void);
/* user_wait: the child's exit status, -2 when it died by a signal, -1 on error. */
int	 user_wait(pid_t);

/* Helpers shared by the areas. */
int	 put_file(const char *, const char *, mode_t);
int	 file_is(const char *, const char *);
long long file_mode(const char *);
void	 drop_caches(void);

/* Fail with the line number and a message. */
#define T_FAIL(...) return fail_at(__LINE__, __VA_ARGS__)
/* A call that must succeed (returns -1 with errno on failure). */
#define T_SYS(e) do {							\
	if ((long)(e) == -1)						\
		return fail_at(__LINE__, "%s: %s", #e, ename(errno));	\
} while (0)
/* A call that must fail with errno W. */
#define T_ERR(e, w) do {						\
	long r_;							\
	errno = 0;							\
	r_ = (long)(e);							\
	if (r_ != -1 || errno != (w))					\
		return fail_at(__LINE__, "%s: got %s, want %s", #e,	\
		    r_ == -1 ? ename(errno) : "success", ename(w));	\
} while (0)
/* A call that must fail with errno A or B. */
#define T_ERR2(e, a, b) do {						\
	long r_;							\
	errno = 0;							\
	r_ = (long)(e);							\
	if (r_ != -1 || (errno != (a) && errno != (b)))			\
		return fail_at(__LINE__, "%s: got %s, want %s or %s",	\
		    #e, r_ == -1 ? ename(errno) : "success", ename(a),	\
		    ename(b));						\
} while (0)
#define T_ASSERT(c, ...) do {						\
	if (!(c))							\
		return fail_at(__LINE__, __VA_ARGS__);			\
} while (0)
#define T_EQ(a, b) do {							\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		return fail_at(__LINE__, "%s = %lld, want %lld", #a,	\
		    a_, b_);						\
} while (0)
#define T_MODE(path, want) do {						\
	long long m_ = file_mode(path);					\
	if (m_ != (long long)(want))					\
		return fail_at(__LINE__, "mode of %s is %llo, want %o",	\
		    (path), m_, (unsigned)(want));			\
} while (0)

/*
 * U_RUN(expr): evaluates expr in a child running as the unprivileged user; 0 when it
 * succeeded (did not return -1), else its errno; negative when the child went wrong.
 */
#define U_RUN(expr) ({							\
	pid_t p_ = user_fork();						\
	if (p_ == 0) {							\
		long r_;						\
		errno = 0;						\
		r_ = (long)(expr);					\
		_exit(r_ == -1 ? (errno > 0 && errno < 250 ? errno : 249) : 0); \
	}								\
	user_wait(p_);							\
})
/* T_USER(expr, want): as the user, expr succeeds (want 0) or fails with errno want. */
#define T_USER(e, w) do {						\
	int u_ = U_RUN(e);						\
	if (u_ != (w))							\
		return fail_at(__LINE__, "as uid %u: %s: got %s, want %s", \
		    (unsigned)ps_uid, #e, u_ == 0 ? "success" :		\
		    u_ < 0 ? "a crashed child" : ename(u_),		\
		    (w) == 0 ? "success" : ename(w));			\
} while (0)

#endif /* POSIX_H */
